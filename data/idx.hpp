// idx.hpp — the IDX file format: a user's own image/label pair, and the MNIST family (MNIST,
// Fashion-MNIST, KMNIST: the same four files, 28x28 greyscale, 10 classes).
//
// Contract:
//  - parse_idx_images / parse_idx_labels take the decompressed bytes of an IDX file: big-endian
//    magic 2051 (images, unsigned bytes: count, rows, cols, then count*rows*cols bytes) or 2049
//    (labels: count, then count bytes, each below `classes`). Anything else (bad magic — other
//    IDX element types or ranks included —, empty or short header, truncated data, trailing
//    bytes, label out of range) is an eng::Error naming the file and the problem, expected vs got.
//  - read_idx reads an image file and a label file (each raw or .gz) into a Dataset [N, 1, H, W]
//    with labels 0..255; the counts must agree. An empty labels_path reads the images unlabelled
//    (every label -1). No digest is known for such files: they are read unverified.
//  - An IdxFamily is one dataset of the MNIST family: its fetch spec (folder <root>/<name>/, the
//    files train images, train labels, test images, test labels in this order, and the published
//    .gz downloads with their MD5s, see fetch.hpp), the MD5 of each DECOMPRESSED file where
//    known, and its class names (labels must be below their count).
//  - read_idx_family_dir reads the split from the folder (each file raw or .gz): a file whose
//    content MD5 is known is checked on every read (a mismatch is an eng::Error naming the file,
//    both digests and the remedy); one with no known digest (KMNIST) is read unverified. A
//    download is verified against the published .gz MD5 when it is fetched (fetch.hpp).
//    load_idx_family = ensure_dataset (find, or download) + read_idx_family_dir. Dataset names:
//    "<name>-train", "<name>-test", "<name>-train+test" (train then test, as the authors train).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/fetch.hpp"

namespace eng::data {

struct IdxImages {
  int64_t count = 0;
  int rows = 0, cols = 0;
  std::vector<uint8_t> pixels;  // count * rows * cols, row-major
};
IdxImages parse_idx_images(const std::vector<uint8_t>& bytes, const std::string& path);
// classes: 1..256; every label must be below it.
std::vector<int> parse_idx_labels(const std::vector<uint8_t>& bytes, const std::string& path,
                                  int classes = 256);

// A user's own IDX pair; labels_path "" = unlabelled.
Dataset read_idx(const std::string& images_path, const std::string& labels_path, std::string name);

struct IdxFamily {
  std::string name;                      // "mnist", "fashion-mnist", "kmnist": folder, names
  FetchSpec fetch;                       // fetch.folder == name; the four files in order
  std::vector<std::string> content_md5;  // per fetch.files: MD5 of the decompressed bytes or ""
  std::vector<std::string> class_names;  // label i names class_names[i]
};
const IdxFamily& mnist_family();
const IdxFamily& fashion_mnist_family();
const IdxFamily& kmnist_family();

enum class IdxSplit { Train, Test, TrainTest };
Dataset read_idx_family_dir(const std::string& dir, const IdxFamily& family, IdxSplit split);
Dataset load_idx_family(const DataRoot& root, const IdxFamily& family, IdxSplit split,
                        Download download = Download::Allowed);

}  // namespace eng::data
