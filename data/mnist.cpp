// mnist.cpp — IDX parsing with full validation, and the MNIST loaders (see mnist.hpp).
#include "data/mnist.hpp"

#include "engine/error.hpp"

namespace eng::data {
namespace {
constexpr uint32_t kImagesMagic = 2051, kLabelsMagic = 2049;

uint32_t be32(const std::vector<uint8_t>& b, size_t at) {
  return uint32_t(b[at]) << 24 | uint32_t(b[at + 1]) << 16 | uint32_t(b[at + 2]) << 8 |
         uint32_t(b[at + 3]);
}

// Checks the header length and magic; returns the item count.
int64_t check_header(const std::vector<uint8_t>& bytes, const std::string& path, size_t header,
                     uint32_t magic, const char* kind) {
  ENG_CHECK(bytes.size() >= header, path, "file is ", bytes.size(), " bytes, shorter than the ",
            header, "-byte IDX ", kind, " header", bytes.empty() ? " (empty file)" : "");
  uint32_t got = be32(bytes, 0);
  ENG_CHECK(got == magic, path, "bad magic number: expected ", magic, " (IDX ", kind, "), got ",
            got);
  return be32(bytes, 4);
}

void check_payload(const std::vector<uint8_t>& bytes, const std::string& path, size_t header,
                   uint64_t expected, const std::string& what) {
  const uint64_t got = bytes.size() - header;
  ENG_CHECK(got >= expected, path, "truncated: header says ", what, " = ", expected,
            " bytes, the file holds ", got);
  ENG_CHECK(got == expected, path, "header says ", what, " = ", expected, " bytes, but ",
            got - expected, " bytes more follow (wrong count or not an IDX file)");
}

Dataset to_dataset(IdxImages images, std::vector<int> labels, const std::string& images_path,
                   const std::string& labels_path, std::string name) {
  ENG_CHECK(images.count == int64_t(labels.size()), "mnist",
            "image/label count mismatch: ", images_path, " holds ", images.count, " images but ",
            labels_path, " holds ", labels.size(), " labels");
  return Dataset(std::move(name), images.count, 1, images.rows, images.cols,
                 std::move(images.pixels), std::move(labels));
}
}  // namespace

IdxImages parse_idx_images(const std::vector<uint8_t>& bytes, const std::string& path) {
  constexpr size_t kHeader = 16;
  IdxImages out;
  out.count = check_header(bytes, path, kHeader, kImagesMagic, "images");
  uint32_t rows = be32(bytes, 8), cols = be32(bytes, 12);
  ENG_CHECK(rows > 0 && cols > 0 && rows <= 65536 && cols <= 65536, path, "implausible image size ",
            rows, "x", cols);
  out.rows = int(rows), out.cols = int(cols);
  check_payload(bytes, path, kHeader, uint64_t(out.count) * rows * cols,
                str(out.count, " images of ", rows, "x", cols));
  out.pixels.assign(bytes.begin() + kHeader, bytes.end());
  return out;
}

std::vector<int> parse_idx_labels(const std::vector<uint8_t>& bytes, const std::string& path) {
  constexpr size_t kHeader = 8;
  int64_t count = check_header(bytes, path, kHeader, kLabelsMagic, "labels");
  check_payload(bytes, path, kHeader, count, str(count, " labels"));
  std::vector<int> labels(bytes.begin() + kHeader, bytes.end());
  for (size_t i = 0; i < labels.size(); ++i)
    ENG_CHECK(labels[i] <= 9, path, "label ", i, " is ", labels[i], ", expected a digit 0..9");
  return labels;
}

Dataset read_mnist(const std::string& images_path, const std::string& labels_path,
                   std::string name) {
  IdxImages images = parse_idx_images(read_maybe_gzip(images_path), images_path);
  std::vector<int> labels = parse_idx_labels(read_maybe_gzip(labels_path), labels_path);
  return to_dataset(std::move(images), std::move(labels), images_path, labels_path,
                    std::move(name));
}

Dataset load_mnist(const DataRoot& root, MnistSplit split, Download download) {
  const FetchSpec& spec = mnist_fetch_spec();
  const std::vector<std::string> paths = ensure_files(root, spec, download);
  const size_t first = split == MnistSplit::Train ? 0 : 2;  // spec order: train, train, test, test
  const std::string &images_path = paths[first], &labels_path = paths[first + 1];
  std::vector<uint8_t> image_bytes = read_maybe_gzip(images_path);
  verify_sha256(image_bytes, spec.files[first], images_path);
  std::vector<uint8_t> label_bytes = read_maybe_gzip(labels_path);
  verify_sha256(label_bytes, spec.files[first + 1], labels_path);
  return to_dataset(parse_idx_images(image_bytes, images_path),
                    parse_idx_labels(label_bytes, labels_path), images_path, labels_path,
                    split == MnistSplit::Train ? "mnist-train" : "mnist-test");
}

Dataset load_mnist_train_test(const DataRoot& root, Download download) {
  Dataset train = load_mnist(root, MnistSplit::Train, download);
  Dataset test = load_mnist(root, MnistSplit::Test, download);
  return concat({&train, &test}, "mnist-train+test");
}

}  // namespace eng::data
