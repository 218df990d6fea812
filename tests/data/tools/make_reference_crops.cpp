// Writes the 224 x 224 center crops of tests/data/reference-tiny/images/* as binary PPM files
// (tests/data/reference-tiny/crops/NAME.ppm), decoded and cropped as the published evaluation
// does (see core/image). installer/cuda-check.sh feeds them to a build of core/model that has
// no OpenCV. Built by hand, from a build tree:
// g++ -std=c++17 make_reference_crops.cpp -I../../../core -I<build>/core/generated \
//     <build>/core/librine_image.a <build>/core/librine_util.a -lopencv_imgcodecs -lopencv_core \
//     -o make_reference_crops
// ./make_reference_crops ../reference-tiny/images ../reference-tiny/crops
#include "image/ImageDecoder.h"

#include <dirent.h>
#include <fstream>
#include <iostream>

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    DIR *dir = opendir(argv[1]);
    if (!dir)
        return 1;
    while (const dirent *entry = readdir(dir)) {
        const std::string name = entry->d_name;
        if (name == "." || name == "..")
            continue;
        rine::FileBytes bytes;
        auto image = rine::readImage(std::string(argv[1]) + "/" + name, bytes);
        if (!image) {
            std::cerr << image.error() << "\n";
            return 1;
        }
        const auto crop = rine::centerCrop(image->rgb, 224);
        std::ofstream out(std::string(argv[2]) + "/" + name + ".ppm", std::ios::binary);
        out << "P6\n224 224\n255\n";
        out.write(reinterpret_cast<const char *>(crop.data()), std::streamsize(crop.size()));
    }
    closedir(dir);
    return 0;
}
