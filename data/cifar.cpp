// cifar.cpp — CIFAR-10 / CIFAR-100 binary records with validation, and the loaders (cifar.hpp).
#include "data/cifar.hpp"

#include <algorithm>
#include <filesystem>

#include "data/md5.hpp"
#include "engine/error.hpp"

namespace eng::data {
namespace {

struct RecordFormat {
  int label_bytes;  // 1 (CIFAR-10) or 2 (CIFAR-100: coarse, fine)
  int label_at;     // which label byte becomes the Dataset label
  int classes[2];   // valid range of each label byte
  const char* names[2];
};
constexpr RecordFormat kCifar10{1, 0, {10, 0}, {"label", ""}};
constexpr RecordFormat kCifar100Coarse{2, 0, {20, 100}, {"coarse label", "fine label"}};
constexpr RecordFormat kCifar100Fine{2, 1, {20, 100}, {"coarse label", "fine label"}};

Dataset parse_records(const std::vector<uint8_t>& bytes, const std::string& path,
                      const RecordFormat& f, std::string name) {
  const size_t record = size_t(f.label_bytes) + kCifarImageBytes;
  ENG_CHECK(!bytes.empty(), path, "empty file (expected ", record, "-byte CIFAR records)");
  ENG_CHECK(bytes.size() % record == 0, path, "size ", bytes.size(), " bytes is not a multiple of ",
            "the ", record, "-byte record (", bytes.size() / record, " whole records and ",
            bytes.size() % record, " bytes more): truncated, or not a CIFAR-",
            f.label_bytes == 1 ? "10" : "100", " binary file");
  const int64_t n = int64_t(bytes.size() / record);
  std::vector<uint8_t> pixels(size_t(n) * kCifarImageBytes);
  std::vector<int> labels(n);
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* r = bytes.data() + size_t(i) * record;
    for (int b = 0; b < f.label_bytes; ++b)
      ENG_CHECK(r[b] < f.classes[b], path, "record ", i, ": ", f.names[b], " ", int(r[b]),
                " is out of range 0..", f.classes[b] - 1);
    labels[i] = r[f.label_at];
    std::copy_n(r + f.label_bytes, kCifarImageBytes, pixels.data() + size_t(i) * kCifarImageBytes);
  }
  return Dataset(std::move(name), n, 3, kCifarSide, kCifarSide, std::move(pixels),
                 std::move(labels));
}

// The files of a split, in order, and the dataset name.
Dataset read_files(const std::string& dir, const std::vector<std::string>& files,
                   const RecordFormat& f, const std::string& name) {
  std::vector<Dataset> parts;
  for (const std::string& file : files) {
    const std::string path = find_file(dir, file);
    parts.push_back(parse_records(read_maybe_gzip(path), path, f, name + ":" + file));
  }
  std::vector<const Dataset*> ptrs;
  for (const Dataset& p : parts) ptrs.push_back(&p);
  return concat(ptrs, name);
}

const std::vector<std::string> kCifar10Train = {"data_batch_1.bin", "data_batch_2.bin",
                                                "data_batch_3.bin", "data_batch_4.bin",
                                                "data_batch_5.bin"};

std::vector<std::string> split_files(CifarSplit split, const std::vector<std::string>& train,
                                     const std::string& test) {
  std::vector<std::string> files;
  if (split != CifarSplit::Test) files = train;
  if (split != CifarSplit::Train) files.push_back(test);
  return files;
}

const char* split_name(CifarSplit split) {
  return split == CifarSplit::Train ? "train" : split == CifarSplit::Test ? "test" : "train+test";
}
}  // namespace

Dataset parse_cifar10(const std::vector<uint8_t>& bytes, const std::string& path,
                      std::string name) {
  return parse_records(bytes, path, kCifar10, std::move(name));
}

Dataset parse_cifar100(const std::vector<uint8_t>& bytes, const std::string& path,
                       Cifar100Labels labels, std::string name) {
  return parse_records(bytes, path,
                       labels == Cifar100Labels::Coarse ? kCifar100Coarse : kCifar100Fine,
                       std::move(name));
}

const FetchSpec& cifar10_fetch_spec() {
  static const FetchSpec spec{"CIFAR-10",
                              "cifar-10-batches-bin",
                              split_files(CifarSplit::TrainTest, kCifar10Train, "test_batch.bin"),
                              {{"cifar-10-binary.tar.gz",
                                "c32a1d4ab5d03f1284b67883e8d87530",  // published on the CIFAR page
                                {"https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"}}}};
  return spec;
}

const FetchSpec& cifar100_fetch_spec() {
  static const FetchSpec spec{"CIFAR-100",
                              "cifar-100-binary",
                              {"train.bin", "test.bin"},
                              {{"cifar-100-binary.tar.gz",
                                "03b5dce01913d631647c71ecec9e9cb8",  // published on the CIFAR page
                                {"https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"}}}};
  return spec;
}

Dataset read_cifar10_dir(const std::string& dir, CifarSplit split) {
  return read_files(dir, split_files(split, kCifar10Train, "test_batch.bin"), kCifar10,
                    std::string("cifar10-") + split_name(split));
}

Dataset read_cifar100_dir(const std::string& dir, CifarSplit split, Cifar100Labels labels) {
  const bool coarse = labels == Cifar100Labels::Coarse;
  return read_files(dir, split_files(split, {"train.bin"}, "test.bin"),
                    coarse ? kCifar100Coarse : kCifar100Fine,
                    std::string(coarse ? "cifar100-20-" : "cifar100-") + split_name(split));
}

Dataset load_cifar10(const DataRoot& root, CifarSplit split, Download download) {
  return read_cifar10_dir(ensure_dataset(root, cifar10_fetch_spec(), download), split);
}

Dataset load_cifar100(const DataRoot& root, CifarSplit split, Cifar100Labels labels,
                      Download download) {
  return read_cifar100_dir(ensure_dataset(root, cifar100_fetch_spec(), download), split, labels);
}

const std::vector<std::string>& cifar10_class_names() {
  static const std::vector<std::string> names = {
      "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
  return names;
}

const std::vector<std::string>& cifar100_coarse_class_names() {
  static const std::vector<std::string> names = {"aquatic_mammals",
                                                 "fish",
                                                 "flowers",
                                                 "food_containers",
                                                 "fruit_and_vegetables",
                                                 "household_electrical_devices",
                                                 "household_furniture",
                                                 "insects",
                                                 "large_carnivores",
                                                 "large_man-made_outdoor_things",
                                                 "large_natural_outdoor_scenes",
                                                 "large_omnivores_and_herbivores",
                                                 "medium_mammals",
                                                 "non-insect_invertebrates",
                                                 "people",
                                                 "reptiles",
                                                 "small_mammals",
                                                 "trees",
                                                 "vehicles_1",
                                                 "vehicles_2"};
  return names;
}

std::string cifar10_provenance(const std::string& dir) {
  // MD5 of what ../shared/data/cifar10/make-bin.sh writes (their SHA-256s are in its README).
  static const std::vector<std::pair<std::string, std::string>> kMakeBin = {
      {"data_batch_1.bin", "6eb24ca221f2bcdb1ddd193c366313ac"},
      {"data_batch_2.bin", "bccdbe04d353614dae90ed2cd172af62"},
      {"data_batch_3.bin", "86f0f3eda520bcc84b1fce8b72b552e7"},
      {"data_batch_4.bin", "7a8367c753d6c6a1ffa0d1bdc41221ba"},
      {"data_batch_5.bin", "c3c15ce4cdb7779908cd246e38e8929d"},
      {"test_batch.bin", "584f6fde3371778c41bf12790a407e07"}};
  for (const auto& [file, digest] : kMakeBin) {
    const std::string path = find_file(dir, file);
    if (!std::filesystem::is_regular_file(path)) return "";
    const std::vector<uint8_t> bytes = read_maybe_gzip(path);
    if (md5_hex(bytes.data(), bytes.size()) != digest) return "";
  }
  return "lossy JPEG reconstruction (make-bin.sh): labels and order exact, pixels differ from "
         "the genuine CIFAR-10 by ~6/255 on average";
}

}  // namespace eng::data
