#pragma once

// Where crops lie in an image, as plain values: shared by the image layer that cuts them and
// the case database that records what was scored (which may not depend on image decoding).

namespace rine {

// Where a crop lies in the image: its top-left corner (negative where torchvision pads with
// zeros) and its side.
struct CropRegion {
    int left = 0;
    int top = 0;
    int size = 0;
};

// One window TextureCrop kept, with one head's score of it (rank order; repeats included).
struct WindowScore {
    CropRegion region;
    double entropy = 0;
    double logit = 0;
};

} // namespace rine
