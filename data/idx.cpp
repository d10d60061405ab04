// idx.cpp — IDX parsing with full validation, a user's own IDX pair, and the MNIST family
// (see idx.hpp).
#include "data/idx.hpp"

#include "data/md5.hpp"
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
  ENG_CHECK(got == magic, path, "bad magic number: expected ", magic, " (IDX ", kind,
            " of unsigned bytes), got ", got);
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
  ENG_CHECK(labels.empty() || images.count == int64_t(labels.size()), name,
            "image/label count mismatch: ", images_path, " holds ", images.count, " images but ",
            labels_path, " holds ", labels.size(), " labels");
  return Dataset(std::move(name), images.count, 1, images.rows, images.cols,
                 std::move(images.pixels), std::move(labels));
}

// One file of a family folder (raw or .gz), its content MD5 checked when known.
std::vector<uint8_t> read_family_file(const std::string& dir, const IdxFamily& family, size_t index,
                                      std::string& path) {
  const std::string& file = family.fetch.files.at(index);
  path = find_file(dir, file);
  std::vector<uint8_t> bytes = read_maybe_gzip(path);
  const std::string& want = family.content_md5.at(index);
  if (!want.empty()) {
    const std::string got = md5_hex(bytes.data(), bytes.size());
    ENG_CHECK(got == want, path, "MD5 of the decompressed ", file, " is ", got, ", expected ", want,
              " (the genuine ", family.fetch.title,
              " file): a corrupt or different file; delete it to download it again");
  }
  return bytes;
}

// The images and labels at `first`, `first + 1` of the family's files.
Dataset read_family_split(const std::string& dir, const IdxFamily& family, size_t first,
                          const std::string& name) {
  std::string images_path, labels_path;
  IdxImages images =
      parse_idx_images(read_family_file(dir, family, first, images_path), images_path);
  std::vector<int> labels = parse_idx_labels(read_family_file(dir, family, first + 1, labels_path),
                                             labels_path, int(family.class_names.size()));
  return to_dataset(std::move(images), std::move(labels), images_path, labels_path, name);
}

// The four files every member of the family ships, in the spec's order.
// Functions, not namespace-scope constants: registries may call the families during static
// initialisation.
const std::vector<std::string>& family_files() {
  static const std::vector<std::string> files = {
      "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
      "t10k-labels-idx1-ubyte"};
  return files;
}

// A family member whose downloads are <prefix><file>.gz for each of family_files() and prefix.
IdxFamily make_family(std::string name, std::string title, const std::vector<std::string>& prefixes,
                      const std::vector<std::string>& gz_md5, std::vector<std::string> content_md5,
                      std::vector<std::string> class_names) {
  std::vector<RemoteFile> downloads;
  for (size_t i = 0; i < family_files().size(); ++i) {
    RemoteFile d{family_files()[i] + ".gz", gz_md5[i], {}};
    for (const std::string& p : prefixes) d.urls.push_back(p + d.name);
    downloads.push_back(std::move(d));
  }
  FetchSpec fetch{std::move(title), name, family_files(), std::move(downloads)};
  return {std::move(name), std::move(fetch), std::move(content_md5), std::move(class_names)};
}

std::vector<std::string> digits() { return {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}; }
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

std::vector<int> parse_idx_labels(const std::vector<uint8_t>& bytes, const std::string& path,
                                  int classes) {
  ENG_CHECK(classes >= 1 && classes <= 256, path, "class count ", classes,
            " is outside 1..256 (IDX labels are bytes)");
  constexpr size_t kHeader = 8;
  int64_t count = check_header(bytes, path, kHeader, kLabelsMagic, "labels");
  check_payload(bytes, path, kHeader, count, str(count, " labels"));
  std::vector<int> labels(bytes.begin() + kHeader, bytes.end());
  for (size_t i = 0; i < labels.size(); ++i)
    ENG_CHECK(labels[i] < classes, path, "label ", i, " is ", labels[i], ", expected a class 0..",
              classes - 1);
  return labels;
}

Dataset read_idx(const std::string& images_path, const std::string& labels_path, std::string name) {
  IdxImages images = parse_idx_images(read_maybe_gzip(images_path), images_path);
  std::vector<int> labels;
  if (!labels_path.empty()) labels = parse_idx_labels(read_maybe_gzip(labels_path), labels_path);
  return to_dataset(std::move(images), std::move(labels), images_path, labels_path,
                    std::move(name));
}

const IdxFamily& mnist_family() {
  static const IdxFamily f = make_family(
      "mnist", "MNIST",
      {"https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"},
      {"f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",
       "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c"},
      // of the decompressed files, whose SHA-256s are the canonical ones
      {"6bbc9ace898e44ae57da46a324031adb", "a25bea736e30d166cdddb491f175f624",
       "2646ac647ad5339dbf082846283269ea", "27ae3e4e09519cfbb04c329615203637"},
      digits());
  return f;
}

const IdxFamily& fashion_mnist_family() {
  static const IdxFamily f =
      make_family("fashion-mnist", "Fashion-MNIST",
                  {"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"},
                  {"8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
                   "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310"},
                  // of the decompressed files of the published .gz (above)
                  {"f4a8712d7a061bf5bd6d2ca38dc4d50a", "9018921c3c673c538a1fc5bad174d6f9",
                   "8181f5470baa50b63fa0f6fddb340f0a", "15d484375f8d13e6eb1aabb0c3f46965"},
                  {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot"});
  return f;
}

const IdxFamily& kmnist_family() {
  static const IdxFamily f =
      make_family("kmnist", "KMNIST", {"http://codh.rois.ac.jp/kmnist/dataset/kmnist/"},
                  {"bdb82020997e1d708af4cf47b453dcf7", "e144d726b3acfaa3e44228e80efcd344",
                   "5c965bf0a639b31b8f53240b1b52f4d7", "7320c461ea6c1c855c0b718fb2a4b134"},
                  {"", "", "", ""},  // not known here: files found on disk are read unverified
                  {"o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"});
  return f;
}

Dataset read_idx_family_dir(const std::string& dir, const IdxFamily& family, IdxSplit split) {
  const std::string train = family.name + "-train", test = family.name + "-test";
  if (split == IdxSplit::Train) return read_family_split(dir, family, 0, train);
  if (split == IdxSplit::Test) return read_family_split(dir, family, 2, test);
  const Dataset a = read_family_split(dir, family, 0, train);
  const Dataset b = read_family_split(dir, family, 2, test);
  return concat({&a, &b}, family.name + "-train+test");
}

Dataset load_idx_family(const DataRoot& root, const IdxFamily& family, IdxSplit split,
                        Download download) {
  return read_idx_family_dir(ensure_dataset(root, family.fetch, download), family, split);
}

}  // namespace eng::data
