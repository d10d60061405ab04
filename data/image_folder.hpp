// image_folder.hpp — users' own images as a Dataset, decoded with stb_image (PNG, JPEG, BMP).
//
// Layouts (decided per root folder):
//  - labelled:   root/<class>/.../*.png|jpg|jpeg|bmp — every sub-folder is a class, classes
//                sorted by name (byte order) get labels 0, 1, ...; the images of a class are
//                found recursively and sorted by path. A class folder without images is an error.
//  - unlabelled: root/*.png|jpg|jpeg|bmp with no sub-folders; images sorted by name; labels -1.
//  A root holding both images and sub-folders is an error (ambiguous). Hidden entries (".x") and
//  files with other extensions are skipped; extensions match case-insensitively.
// Pixels: decoded to RGB (channels = 3; greyscale files are replicated) or to greyscale
// (channels = 1, PIL's "L": (19595 R + 38470 G + 7471 B + 2^15) >> 16).
// Size: with resize_h = resize_w = 0 every image must have the size of the first one (an image
// of another size is an error naming both sizes and the file); otherwise each image is resized
// to resize_h x resize_w with augment.hpp's resize_bilinear (PIL's antialiased bilinear) and
// rounded back to bytes. The aspect ratio is not kept.
// An unreadable or corrupt image is an eng::Error naming the file and stb_image's reason.
// Decoding runs on OpenMP threads; the result (and the first error reported) does not depend on
// their number.
#pragma once
#include <string>
#include <vector>

#include "data/dataset.hpp"

namespace eng::data {

struct ImageFolderOptions {
  int channels = 3;                // 3 (RGB) or 1 (greyscale)
  int resize_h = 0, resize_w = 0;  // 0, 0: keep (one size required)
};

struct ImageFolder {
  Dataset data;
  std::vector<std::string> paths;    // the file of each image
  std::vector<std::string> classes;  // class names (labelled layout); empty when unlabelled
};

// One root folder.
ImageFolder read_image_folder(const std::string& root, const ImageFolderOptions& options = {});
// Several roots (e.g. train/ and test/) in order; either all labelled with the same class
// names, or all unlabelled. Images must share one size (or be resized).
ImageFolder read_image_folders(const std::vector<std::string>& roots,
                               const ImageFolderOptions& options = {});

bool is_image_file_name(const std::string& name);  // by extension: png, jpg, jpeg, bmp

}  // namespace eng::data
