// stl10.cpp — STL-10 binary reading with validation, and the loaders (see stl10.hpp).
#include "data/stl10.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "engine/error.hpp"

namespace eng::data {
namespace fs = std::filesystem;
namespace {

const char* split_name(Stl10Split s) {
  switch (s) {
    case Stl10Split::Train:
      return "train";
    case Stl10Split::Test:
      return "test";
    case Stl10Split::Unlabelled:
      return "unlabeled";
    case Stl10Split::TrainUnlabelledInterleaved:
      break;
  }
  return "train+unlabeled(interleaved)";
}

// Where image j of a file goes: row base + (j / group) * period + offset + j % group. A split on
// its own: group = period = its image count, offset 0 (rows base, base + 1, ...).
struct Placement {
  int64_t base = 0, group = 1, period = 1, offset = 0;
  int64_t row(int64_t j) const { return base + (j / group) * period + offset + j % group; }
};

// One file of the splits asked for: <stem>_X.bin (and <stem>_y.bin unless unlabelled).
struct Part {
  std::string stem;
  int64_t count = 0;
  Placement at;
};

// A missing file is an eng::Error; `what` says what it is for. One stored as .gz is named, since
// the files are streamed uncompressed.
void check_present(const fs::path& path, const std::string& what) {
  const std::string gz = path.string() + ".gz";
  ENG_CHECK(fs::is_regular_file(path), path.string(), "no such file", what,
            fs::is_regular_file(gz) ? " (" + gz +
                                          " is there: STL-10 files are read uncompressed, "
                                          "gunzip it)"
                                    : "");
}

// Image count of an _X.bin file, from its size.
int64_t image_count(const fs::path& path) {
  check_present(path, "");
  const uintmax_t size = fs::file_size(path);
  ENG_CHECK(size > 0, path.string(), "empty file (expected ", kStl10ImageBytes,
            "-byte STL-10 images)");
  ENG_CHECK(size % kStl10ImageBytes == 0, path.string(), "size ", size,
            " bytes is not a multiple of the ", kStl10ImageBytes, "-byte 3x96x96 image (",
            size / kStl10ImageBytes, " whole images and ", size % kStl10ImageBytes,
            " bytes more): truncated, or not an STL-10 _X.bin file");
  return int64_t(size / kStl10ImageBytes);
}

std::ifstream open_binary(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  ENG_CHECK(in.good(), path.string(), "cannot open: ", std::strerror(errno));
  return in;
}

// Streams `count` images into the rows of chw that `at` gives them.
void read_images(const fs::path& path, int64_t count, uint8_t* chw, const Placement& at) {
  std::ifstream in = open_binary(path);
  constexpr int64_t kChunk = 256;  // images per read
  std::vector<uint8_t> buf(size_t(kChunk) * kStl10ImageBytes);
  for (int64_t done = 0; done < count; done += kChunk) {
    const int64_t n = std::min(kChunk, count - done);
    in.read(reinterpret_cast<char*>(buf.data()), std::streamsize(n * kStl10ImageBytes));
    ENG_CHECK(in.gcount() == std::streamsize(n * kStl10ImageBytes), path.string(),
              "read failed at image ", done, " of ", count);
    for (int64_t k = 0; k < n; ++k)
      stl10_to_chw(buf.data() + size_t(k) * kStl10ImageBytes,
                   chw + size_t(at.row(done + k)) * kStl10ImageBytes, 1);
  }
}

std::vector<int> read_labels(const fs::path& path, int64_t count, const fs::path& images) {
  check_present(path, " (the labels of " + images.string() + ")");
  const uintmax_t size = fs::file_size(path);
  ENG_CHECK(int64_t(size) == count, path.string(), "holds ", size, " labels, but ", images.string(),
            " holds ", count, " images (one label byte per image expected)");
  std::ifstream in = open_binary(path);
  std::vector<uint8_t> bytes(size);
  in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(size));
  ENG_CHECK(in.gcount() == std::streamsize(size), path.string(), "read failed");
  std::vector<int> labels(count);
  for (int64_t i = 0; i < count; ++i) {
    ENG_CHECK(bytes[i] >= 1 && bytes[i] <= 10, path.string(), "label ", i, " is ", int(bytes[i]),
              ", expected a class 1..10");
    labels[i] = bytes[i] - 1;
  }
  return labels;
}
}  // namespace

void stl10_to_chw(const uint8_t* column_major, uint8_t* chw, int64_t count) {
  constexpr int S = kStl10Side;
  for (int64_t i = 0; i < count * 3; ++i) {  // one plane at a time
    const uint8_t* src = column_major + i * S * S;
    uint8_t* dst = chw + i * S * S;
    for (int x = 0; x < S; ++x)
      for (int y = 0; y < S; ++y) dst[y * S + x] = src[x * S + y];
  }
}

Dataset read_stl10_dir(const std::string& dir, const std::vector<Stl10Split>& splits) {
  ENG_CHECK(!splits.empty(), "stl10", "no splits asked for");
  auto images = [&](const std::string& stem) { return fs::path(dir) / (stem + "_X.bin"); };
  std::vector<Part> parts;
  int64_t total = 0;
  std::string name = "stl10-";
  for (size_t k = 0; k < splits.size(); ++k) {
    name += std::string(k == 0 ? "" : "+") + split_name(splits[k]);
    if (splits[k] != Stl10Split::TrainUnlabelledInterleaved) {
      const std::string stem = split_name(splits[k]);
      const int64_t n = image_count(images(stem));
      parts.push_back({stem, n, {total, n, n, 0}});
      total += n;
      continue;
    }
    const int64_t n_train = image_count(images("train")), n_unl = image_count(images("unlabeled"));
    ENG_CHECK(n_unl % n_train == 0, images("unlabeled").string(), "holds ", n_unl,
              " images, not the same number after each of the ", n_train, " images of ",
              images("train").string(), " (the official files: 100000 and 5000)");
    const int64_t per = n_unl / n_train;  // unlabelled images after each training image
    parts.push_back({"train", n_train, {total, 1, per + 1, 0}});
    parts.push_back({"unlabeled", n_unl, {total, per, per + 1, 1}});
    total += n_train + n_unl;
  }
  std::vector<uint8_t> pixels(size_t(total) * kStl10ImageBytes);
  std::vector<int> labels(size_t(total), -1);
  for (const Part& p : parts) {
    read_images(images(p.stem), p.count, pixels.data(), p.at);
    if (p.stem == "unlabeled") continue;  // no _y file: labels stay -1
    const std::vector<int> l =
        read_labels(fs::path(dir) / (p.stem + "_y.bin"), p.count, images(p.stem));
    for (int64_t j = 0; j < p.count; ++j) labels[size_t(p.at.row(j))] = l[size_t(j)];
  }
  return Dataset(name, total, 3, kStl10Side, kStl10Side, std::move(pixels), std::move(labels));
}

const FetchSpec& stl10_fetch_spec() {
  static const FetchSpec spec{
      "STL-10",
      "stl10_binary",
      {"train_X.bin", "train_y.bin", "test_X.bin", "test_y.bin", "unlabeled_X.bin"},
      {{"stl10_binary.tar.gz",
        "91f7769df0f17e558f3565bffb0c7dfb",  // the digest torchvision checks
        {"http://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz"}}}};
  return spec;
}

Dataset load_stl10(const DataRoot& root, const std::vector<Stl10Split>& splits, Download download) {
  return read_stl10_dir(ensure_dataset(root, stl10_fetch_spec(), download), splits);
}

const std::vector<std::string>& stl10_class_names() {
  static const std::vector<std::string> names = {"airplane", "bird",  "car",    "cat",  "deer",
                                                 "dog",      "horse", "monkey", "ship", "truck"};
  return names;
}

}  // namespace eng::data
