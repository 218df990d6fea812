#!/usr/bin/env bash
# Builds core/model against a CUDA LibTorch and checks the CUDA path on the GPU:
#  - the tiny golden test (tests/data/reference-tiny) on cuda:0, backbone fp16 with fp32
#    LayerNorms: every logit within 1e-2 of the published reference code's (fp32);
#  - CUDA fp16 against CPU fp32 on the same crops (worst logit difference, printed);
#  - ViT-L/14 fp16 throughput (random weights) at batch 64 and 256.
# Needs LibTorch with CUDA, CMake and a C++17 compiler; no Qt, no OpenCV (the crops are
# stored decoded in tests/data/reference-tiny/crops).
#
#   installer/cuda-check.sh [LIBTORCH_CMAKE_PREFIX]
#
# Default prefix: the LibTorch inside the installed PyTorch wheel,
# python3 -c 'import torch;print(torch.utils.cmake_prefix_path)'. For an official LibTorch
# zip, pass the unpacked folder (e.g. /opt/libtorch). BUILD_DIR (default build/cuda-check)
# and BATCHES (default 64,256) may be set in the environment.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
prefix=${1:-$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')}
build=${BUILD_DIR:-$repo/build/cuda-check}
batches=${BATCHES:-64,256}
say() { printf 'cuda-check: %s\n' "$*" >&2; }

command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >&2 || true
say "LibTorch from $prefix"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
mkdir -p "$(dirname "$build")"
cmake -S "$repo" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DRINE_MODEL_ONLY=ON \
    -DCMAKE_PREFIX_PATH="$prefix" >"$build.configure.log" 2>&1 || {
    tail -n 40 "$build.configure.log" >&2
    say "configuring failed; a CUDA LibTorch's CMake files look for the CUDA toolkit (nvcc, headers):"
    say "install it, or pass an official LibTorch zip's folder"
    exit 2
}
cmake --build "$build" --target rine-cuda-check -j"$(nproc)" >"$build.build.log" 2>&1 \
    || { tail -n 40 "$build.build.log" >&2; exit 2; }
"$build/rine-cuda-check" --data "$repo/tests/data/reference-tiny" --device cuda --tolerance 1e-2 --batches "$batches"
