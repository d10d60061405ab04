// mnist.hpp — the IDX file format (MNIST) and the MNIST datasets.
//
// Contract:
//  - parse_idx_images / parse_idx_labels take the decompressed bytes of an IDX file: big-endian
//    magic 2051 (images: count, rows, cols, then count*rows*cols bytes) or 2049 (labels: count,
//    then count bytes, each 0..9). Anything else (bad magic, empty or short header, truncated
//    data, trailing bytes, label out of range) is an eng::Error naming the file and the problem,
//    expected vs got.
//  - read_mnist reads an image file and a label file (raw or .gz) into a Dataset [N, 1, H, W];
//    the counts must agree.
//  - load_mnist finds (or downloads, see download.hpp) the canonical files under
//    <root>/mnist/, verifies the SHA-256 of their decompressed bytes and reads them.
//    load_mnist_train_test is train (60k) followed by test (10k), as the authors train on.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/download.hpp"

namespace eng::data {

struct IdxImages {
  int64_t count = 0;
  int rows = 0, cols = 0;
  std::vector<uint8_t> pixels;  // count * rows * cols, row-major
};
IdxImages parse_idx_images(const std::vector<uint8_t>& bytes, const std::string& path);
std::vector<int> parse_idx_labels(const std::vector<uint8_t>& bytes, const std::string& path);

Dataset read_mnist(const std::string& images_path, const std::string& labels_path,
                   std::string name);

enum class MnistSplit { Train, Test };
Dataset load_mnist(const DataRoot& root, MnistSplit split, Download download = Download::Allowed);
Dataset load_mnist_train_test(const DataRoot& root, Download download = Download::Allowed);

}  // namespace eng::data
