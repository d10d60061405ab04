// test_mnist.cpp — the IDX reader on small files written here (raw and gzip), every kind of
// corrupt file, the real MNIST (counts per class, SHA-256), data root resolution, and fetching:
// a file:// mirror (checksum accepted / rejected) and the missing-data error.
#define BOOST_TEST_MODULE mnist
#include <zlib.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "data/download.hpp"
#include "data/mnist.hpp"
#include "data/sha256.hpp"
#include "tests/temp_files.hpp"

namespace fs = std::filesystem;
using namespace eng::data;
using testing::Bytes;
using testing::contains;
using testing::error_of;
using testing::TempDir;
using testing::write_bytes;

namespace {

void put_be32(Bytes& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(v >> s));
}

Bytes idx_images(uint32_t magic, uint32_t count, uint32_t rows, uint32_t cols, size_t pixels) {
  Bytes b;
  put_be32(b, magic), put_be32(b, count), put_be32(b, rows), put_be32(b, cols);
  for (size_t i = 0; i < pixels; ++i) b.push_back(uint8_t(i * 37 % 256));
  return b;
}

Bytes idx_labels(uint32_t magic, uint32_t count, size_t labels) {
  Bytes b;
  put_be32(b, magic), put_be32(b, count);
  for (size_t i = 0; i < labels; ++i) b.push_back(uint8_t(i % 10));
  return b;
}

void write_gz(const fs::path& p, const Bytes& b) {
  gzFile f = gzopen(p.c_str(), "wb");
  BOOST_REQUIRE(f);
  BOOST_REQUIRE(gzwrite(f, b.data(), unsigned(b.size())) == int(b.size()));
  gzclose(f);
}

const std::string kShared = IIC_SHARED_DIR "/data";
bool have_real_mnist() { return fs::exists(kShared + "/mnist/train-images-idx3-ubyte.gz"); }
}  // namespace

BOOST_AUTO_TEST_CASE(reads_raw_and_gzip_idx) {
  TempDir dir;
  const Bytes images = idx_images(2051, 3, 4, 5, 3 * 4 * 5), labels = idx_labels(2049, 3, 3);
  write_bytes(dir.path / "img", images), write_bytes(dir.path / "lbl", labels);
  write_gz(dir.path / "img.gz", images), write_gz(dir.path / "lbl.gz", labels);
  for (const char* ext : {"", ".gz"}) {
    Dataset d =
        read_mnist((dir.path / "img").string() + ext, (dir.path / "lbl").string() + ext, "toy");
    BOOST_TEST(d.size() == 3);
    BOOST_TEST(d.channels() == 1);
    BOOST_TEST(d.height() == 4);
    BOOST_TEST(d.width() == 5);
    BOOST_TEST(d.name() == "toy");
    BOOST_TEST(d.image(2)[7] == uint8_t((2 * 20 + 7) * 37 % 256));
    BOOST_TEST(d.label(0) == 0);
    BOOST_TEST(d.label(2) == 2);
    BOOST_TEST(d.has_labels());
  }
}

BOOST_AUTO_TEST_CASE(corrupt_files_are_named_errors) {
  TempDir dir;
  const std::string img = (dir.path / "img").string(), lbl = (dir.path / "lbl").string();
  write_bytes(lbl, idx_labels(2049, 3, 3));
  auto images_error = [&](const Bytes& b) {
    write_bytes(img, b);
    return error_of([&] { read_mnist(img, lbl, "toy"); });
  };
  std::string e = images_error(idx_images(2049, 3, 4, 5, 60));
  BOOST_TEST(contains(e, img));
  BOOST_TEST(contains(e, "bad magic number: expected 2051"));
  BOOST_TEST(contains(e, "got 2049"));

  e = images_error(idx_images(2051, 3, 4, 5, 59));  // one byte short
  BOOST_TEST(contains(e, img));
  BOOST_TEST(contains(e, "truncated"));
  BOOST_TEST(contains(e, "= 60 bytes, the file holds 59"));

  e = images_error(idx_images(2051, 4, 4, 5, 60));  // count says 4, data for 3
  BOOST_TEST(contains(e, "4 images of 4x5 = 80 bytes, the file holds 60"));

  e = images_error(idx_images(2051, 2, 4, 5, 60));  // count says 2, data for 3
  BOOST_TEST(contains(e, "20 bytes more follow"));

  e = images_error({});
  BOOST_TEST(contains(e, img));
  BOOST_TEST(contains(e, "empty file"));

  e = images_error(Bytes{0, 0, 8, 3, 0});
  BOOST_TEST(contains(e, "file is 5 bytes, shorter than the 16-byte IDX images header"));

  // image/label count mismatch
  e = images_error(idx_images(2051, 2, 4, 5, 40));
  BOOST_TEST(contains(e, "image/label count mismatch"));
  BOOST_TEST(contains(e, img + " holds 2 images"));
  BOOST_TEST(contains(e, lbl + " holds 3 labels"));

  // labels: bad magic, truncated, out of range
  write_bytes(img, idx_images(2051, 3, 4, 5, 60));
  write_bytes(lbl, idx_labels(2051, 3, 3));
  e = error_of([&] { read_mnist(img, lbl, "toy"); });
  BOOST_TEST(contains(e, lbl));
  BOOST_TEST(contains(e, "bad magic number: expected 2049"));
  write_bytes(lbl, idx_labels(2049, 3, 2));
  e = error_of([&] { read_mnist(img, lbl, "toy"); });
  BOOST_TEST(contains(e, "truncated: header says 3 labels = 3 bytes, the file holds 2"));
  Bytes bad = idx_labels(2049, 3, 3);
  bad.back() = 10;
  write_bytes(lbl, bad);
  e = error_of([&] { read_mnist(img, lbl, "toy"); });
  BOOST_TEST(contains(e, "label 2 is 10, expected a digit 0..9"));

  // missing file, truncated gzip stream
  write_bytes(lbl, idx_labels(2049, 3, 3));
  e = error_of([&] { read_mnist(img + ".missing", lbl, "toy"); });
  BOOST_TEST(contains(e, img + ".missing: no such file"));
  Bytes big = idx_images(2051, 50, 28, 28, 50 * 28 * 28);
  for (size_t i = 0; i < big.size(); i += 3) big[i] = uint8_t(i * 2654435761u >> 13);  // noise
  write_gz(img + ".gz", big);
  fs::resize_file(img + ".gz", fs::file_size(img + ".gz") / 2);
  e = error_of([&] { read_mnist(img + ".gz", lbl, "toy"); });
  BOOST_TEST(contains(e, img + ".gz"));
  BOOST_TEST(contains(e, "corrupt or truncated gzip data"));
}

BOOST_AUTO_TEST_CASE(dataset_validation_and_concat) {
  BOOST_CHECK_THROW(Dataset("d", 2, 1, 2, 2, Bytes(7)), eng::Error);
  std::string e = error_of([] { Dataset("d", 2, 1, 2, 2, Bytes(8), {1}); });
  BOOST_TEST(contains(e, "dataset 'd': has 1 labels for 2 images"));
  Dataset a("a", 2, 1, 2, 2, Bytes(8, 1), {3, 4}), b("b", 1, 1, 2, 2, Bytes(4, 9));
  Dataset ab = concat({&a, &b}, "a+b");
  BOOST_TEST(ab.size() == 3);
  BOOST_TEST(ab.image(2)[0] == 9);
  BOOST_TEST(ab.label(1) == 4);
  BOOST_TEST(ab.label(2) == -1);
  BOOST_TEST(!ab.has_labels());
  Dataset c("c", 1, 1, 3, 3, Bytes(9));
  e = error_of([&] { concat({&a, &c}, "a+c"); });
  BOOST_TEST(contains(e, "'c' has images 1x3x3 but 'a' has 1x2x2"));
  e = error_of([&] { a.image(2); });
  BOOST_TEST(contains(e, "image index 2 out of range [0, 2)"));
}

BOOST_AUTO_TEST_CASE(real_mnist_counts_and_checksums,
                     *boost::unit_test::precondition([](boost::unit_test::test_unit_id) {
                       return have_real_mnist();
                     })) {
  const FetchSpec& spec = mnist_fetch_spec();
  for (const RemoteFile& f : spec.files) {
    const std::string path = kShared + "/mnist/" + f.name + ".gz";
    const Bytes bytes = read_maybe_gzip(path);
    BOOST_TEST(sha256_hex(bytes.data(), bytes.size()) == f.sha256, f.name);
  }
  Dataset all = load_mnist_train_test({kShared, "test"}, Download::Never);
  BOOST_TEST(all.size() == 70000);
  BOOST_TEST(all.name() == "mnist-train+test");
  BOOST_TEST(all.height() == 28);
  BOOST_TEST(all.width() == 28);
  const std::vector<int> train_counts = {5923, 6742, 5958, 6131, 5842,
                                         5421, 5918, 6265, 5851, 5949};
  const std::vector<int> test_counts = {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009};
  std::vector<int> train(10), test(10);
  for (int64_t i = 0; i < all.size(); ++i) (i < 60000 ? train : test)[all.label(i)]++;
  BOOST_TEST(train == train_counts, boost::test_tools::per_element());
  BOOST_TEST(test == test_counts, boost::test_tools::per_element());
  BOOST_TEST(all.label(0) == 5);      // the first training digit is a 5
  BOOST_TEST(all.label(60000) == 7);  // the first test digit is a 7
}

BOOST_AUTO_TEST_CASE(data_root_resolution) {
  setenv("IIC_DATA", "/from/env", 1);
  BOOST_TEST(resolve_data_root("/from/flag").path == "/from/flag");
  BOOST_TEST(resolve_data_root("/from/flag").source == "--data");
  BOOST_TEST(resolve_data_root("").path == "/from/env");
  BOOST_TEST(resolve_data_root("").source == "IIC_DATA");
  unsetenv("IIC_DATA");
  BOOST_TEST(resolve_data_root("").path == "./data");
  BOOST_TEST(resolve_data_root("").source == "default");
}

BOOST_AUTO_TEST_CASE(missing_data_error_names_paths_and_remedies) {
  TempDir root;
  const std::string e = error_of([&] {
    load_mnist({root.path.string(), "IIC_DATA"}, MnistSplit::Train, Download::Never);
  });
  const std::string dir = (root.path / "mnist").string();
  BOOST_TEST(contains(e, "looked for " + dir + "/train-images-idx3-ubyte and " + dir +
                             "/train-images-idx3-ubyte.gz"));
  BOOST_TEST(contains(e, "from IIC_DATA"));
  BOOST_TEST(contains(e, "downloads disabled"));
  BOOST_TEST(contains(e, "--data DIR or IIC_DATA=DIR"));
  BOOST_TEST(
      contains(e, "https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz"));
  BOOST_TEST(contains(e, "http://yann.lecun.com/exdb/mnist/train-images-idx3-ubyte.gz"));
}

// The real mirrors: without internet (as here) this must fail cleanly, naming the paths and each
// failed URL; with internet it must install verified files.
BOOST_AUTO_TEST_CASE(download_from_the_real_mirrors_fails_cleanly_or_verifies) {
  TempDir root;
  try {
    std::vector<std::string> paths =
        ensure_files({root.path.string(), "--data"}, mnist_fetch_spec(), Download::Allowed);
    BOOST_TEST(paths.size() == 4u);
    for (const std::string& p : paths) BOOST_TEST(fs::is_regular_file(p));
  } catch (const eng::Error& err) {
    const std::string e = err.what();
    BOOST_TEST(contains(e, (root.path / "mnist/train-images-idx3-ubyte.gz").string()));
    BOOST_TEST(contains(e, "download failed"));
    BOOST_TEST(contains(e,
                        "https://ossci-datasets.s3.amazonaws.com/mnist/"
                        "train-images-idx3-ubyte.gz: "));
    BOOST_TEST(!fs::exists(root.path / "mnist/train-images-idx3-ubyte.gz.part"));
  }
}

BOOST_AUTO_TEST_CASE(download_verifies_the_checksum,
                     *boost::unit_test::precondition([](boost::unit_test::test_unit_id) {
                       return std::system("command -v curl >/dev/null 2>&1") == 0;
                     })) {
  TempDir mirror, root;
  const Bytes payload = idx_labels(2049, 5, 5);
  write_gz(mirror.path / "toy-labels.gz", payload);
  const std::string good = sha256_hex(payload.data(), payload.size());
  const std::string url = "file://" + mirror.path.string() + "/";
  FetchSpec spec{"toy", {{"toy-labels", good}}, {"file:///nonexistent-iic-mirror/", url}};
  // The first mirror fails, the second serves a file whose decompressed digest matches.
  std::vector<std::string> paths = ensure_files({root.path.string(), "--data"}, spec);
  BOOST_TEST(paths.at(0) == (root.path / "toy/toy-labels.gz").string());
  BOOST_TEST(read_maybe_gzip(paths[0]) == payload);
  // Present now: found without downloading.
  BOOST_TEST(ensure_files({root.path.string(), "--data"}, spec, Download::Never) == paths);

  // A digest mismatch rejects the file and leaves nothing behind.
  fs::remove_all(root.path / "toy");
  spec.files[0].sha256 = std::string(64, '0');
  const std::string e = error_of([&] { ensure_files({root.path.string(), "--data"}, spec); });
  BOOST_TEST(contains(e, url + "toy-labels.gz: "));
  BOOST_TEST(contains(e, "does not match: expected " + std::string(64, '0') + ", got " + good));
  BOOST_TEST(contains(e, "file:///nonexistent-iic-mirror/toy-labels.gz: "));
  BOOST_TEST(!fs::exists(root.path / "toy/toy-labels.gz"));
  BOOST_TEST(!fs::exists(root.path / "toy/toy-labels.gz.part"));
}
