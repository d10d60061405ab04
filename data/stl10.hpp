// stl10.hpp — the official STL-10 binary format and the partitions IIC trains on.
//
// Format (https://cs.stanford.edu/~acoates/stl10/, stl10_binary.tar.gz -> stl10_binary/):
//  - <split>_X.bin: N images of 3 x 96 x 96 bytes, each channel plane stored COLUMN-major (the
//    MATLAB order: byte x * 96 + y is pixel (row y, column x)); read into the Dataset's CHW
//    row-major order. Splits: train (5000), test (8000), unlabeled (100000).
//  - <split>_y.bin: one byte per image, classes 1..10, read as 0..9; unlabeled has no _y file
//    (its labels are -1).
// Validation: an empty image file, a size that is not a whole number of images, a label file
// whose length differs from the image count, a label outside 1..10, an unlabelled count that is
// not a whole multiple of the train count (interleaving): eng::Error naming the file.
// Files are streamed image by image into one buffer (the 2.8 GB unlabelled split is never held
// twice).
//
// The authors' partitions (protocol.md): head A trains on train+unlabelled+test (113k), head B
// on train+test (13k), evaluation on train+test. In head A's set the training images are spread
// through the unlabelled ones as the authors' code orders them (reorder_train_deterministic):
// train 0, unlabelled 0..19, train 1, unlabelled 20..39, ..., then test; this is the order a run
// without shuffling sees. Loaders find <root>/stl10_binary/ or download the official archive,
// check its published MD5 and unpack it (fetch.hpp). The files are streamed, so they must be
// stored uncompressed (a <file>.gz in their place is an eng::Error saying to gunzip it).
#pragma once
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/fetch.hpp"

namespace eng::data {

constexpr int kStl10Side = 96;
constexpr int kStl10ImageBytes = 3 * kStl10Side * kStl10Side;  // 27648

// TrainUnlabelledInterleaved: train and unlabelled, each training image followed by its share of
// unlabelled ones (unlabelled count / train count of them, which must be a whole number: 20).
enum class Stl10Split { Train, Test, Unlabelled, TrainUnlabelledInterleaved };

// Column-major planes -> CHW row-major, for `count` images.
void stl10_to_chw(const uint8_t* column_major, uint8_t* chw, int64_t count);

// The given splits of the folder `dir`, concatenated in the given order.
Dataset read_stl10_dir(const std::string& dir, const std::vector<Stl10Split>& splits);

const FetchSpec& stl10_fetch_spec();
Dataset load_stl10(const DataRoot& root, const std::vector<Stl10Split>& splits,
                   Download download = Download::Allowed);

// The authors' partitions.
inline std::vector<Stl10Split> stl10_head_a_splits() {
  return {Stl10Split::TrainUnlabelledInterleaved, Stl10Split::Test};
}
inline std::vector<Stl10Split> stl10_head_b_splits() {
  return {Stl10Split::Train, Stl10Split::Test};
}

const std::vector<std::string>& stl10_class_names();

}  // namespace eng::data
