// Writes tests/data/rine_tiny_head_b.pth from rine_tiny_head.pth. Built by hand, from a build tree:
// g++ -std=c++17 make_tiny_head_b.cpp -I../../../core -I<build>/core/generated -I/usr/include/torch/csrc/api/include \
//     <build>/core/librine_model.a <build>/core/librine_util.a -ltorch -ltorch_cpu -lc10 -o make_tiny_head_b
// ./make_tiny_head_b ../reference-tiny/rine_tiny_head.pth ../rine_tiny_head_b.pth
#include <torch/torch.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <fstream>
#include "model/TensorArchive.h"
int main(int argc, char**argv){
  auto head = rine::readTensorArchive(argv[1]);
  if(!head){ std::cerr<<head.error()<<"\n"; return 1;}
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto &[name, tensor] : head->tensors) {
    at::Tensor t = tensor.clone();
    if (name == "alpha") t = t.flip({1});           // importance reversed over blocks
    if (name == "head.6.bias") t = t - 0.75;        // logit shifted
    if (name == "proj2.1.weight") t = t * 1.5;
    dict.insert(name, t);
  }
  auto bytes = torch::jit::pickle_save(c10::IValue(dict));
  std::ofstream(argv[2], std::ios::binary).write(bytes.data(), bytes.size());
}
