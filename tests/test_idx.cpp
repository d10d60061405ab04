// test_idx.cpp — the IDX reader on small files written here (raw and gzip), every kind of corrupt
// file, a user's own pair (labelled, unlabelled), the MNIST family: a Fashion-MNIST-format folder
// through the family loader (content digests checked, per-family classes), KMNIST read
// unverified, the real MNIST and (when installed) Debian's Fashion-MNIST, and the missing-data
// error and the real mirrors through the one fetch path.
#define BOOST_TEST_MODULE idx
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "data/idx.hpp"
#include "data/md5.hpp"
#include "tests/data_files.hpp"

namespace fs = std::filesystem;
using namespace eng::data;
using testing::Bytes;
using testing::contains;
using testing::error_of;
using testing::idx_images;
using testing::idx_labels;
using testing::only_if;
using testing::TempDir;
using testing::write_bytes;
using testing::write_gz;

namespace {
const std::string kShared = IIC_SHARED_DIR "/data";
const std::string kDebian = "/usr/share/datasets";  // Debian's dataset-fashion-mnist
bool have_real_mnist() { return fs::exists(kShared + "/mnist/train-images-idx3-ubyte.gz"); }
bool have_debian_fashion() {
  return fs::exists(kDebian + "/fashion-mnist/train-images-idx3-ubyte.gz");
}

std::string md5_of(const Bytes& b) { return md5_hex(b.data(), b.size()); }
Bytes read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A family folder <root>/<folder>/ in the official layout: 3 training images of 4x5 (labels 0, 1,
// 2) and 2 test images (labels 3, 4); images gzip-compressed, labels raw. Returns the MD5 of each
// decompressed file, in the family's file order.
std::vector<std::string> write_family_folder(const fs::path& root, const std::string& folder) {
  const fs::path dir = root / folder;
  const Bytes files[4] = {idx_images(2051, 3, 4, 5, 60), idx_labels(2049, 3, 3),
                          idx_images(2051, 2, 4, 5, 40), idx_labels(2049, 2, 2, 3)};
  write_gz(dir / "train-images-idx3-ubyte.gz", files[0]);
  write_bytes(dir / "train-labels-idx1-ubyte", files[1]);
  write_gz(dir / "t10k-images-idx3-ubyte.gz", files[2]);
  write_bytes(dir / "t10k-labels-idx1-ubyte", files[3]);
  return {md5_of(files[0]), md5_of(files[1]), md5_of(files[2]), md5_of(files[3])};
}

// Per-class counts of the first `n` labels, and of the rest.
std::vector<std::vector<int>> class_counts(const Dataset& d, int64_t n) {
  std::vector<std::vector<int>> counts(2, std::vector<int>(10));
  for (int64_t i = 0; i < d.size(); ++i) counts[i < n ? 0 : 1][d.label(i)]++;
  return counts;
}
}  // namespace

BOOST_AUTO_TEST_CASE(reads_raw_and_gzip_idx) {
  TempDir dir;
  const Bytes images = idx_images(2051, 3, 4, 5, 3 * 4 * 5), labels = idx_labels(2049, 3, 3);
  write_bytes(dir.path / "img", images), write_bytes(dir.path / "lbl", labels);
  write_gz(dir.path / "img.gz", images), write_gz(dir.path / "lbl.gz", labels);
  for (const char* ext : {"", ".gz"}) {
    Dataset d =
        read_idx((dir.path / "img").string() + ext, (dir.path / "lbl").string() + ext, "toy");
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
    return error_of([&] { read_idx(img, lbl, "toy"); });
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
  BOOST_TEST(contains(e, "toy: image/label count mismatch"));
  BOOST_TEST(contains(e, img + " holds 2 images"));
  BOOST_TEST(contains(e, lbl + " holds 3 labels"));

  // labels: bad magic, truncated, out of range of the class count
  write_bytes(img, idx_images(2051, 3, 4, 5, 60));
  write_bytes(lbl, idx_labels(2051, 3, 3));
  e = error_of([&] { read_idx(img, lbl, "toy"); });
  BOOST_TEST(contains(e, lbl));
  BOOST_TEST(contains(e, "bad magic number: expected 2049"));
  write_bytes(lbl, idx_labels(2049, 3, 2));
  e = error_of([&] { read_idx(img, lbl, "toy"); });
  BOOST_TEST(contains(e, "truncated: header says 3 labels = 3 bytes, the file holds 2"));
  Bytes bad = idx_labels(2049, 3, 3);
  bad.back() = 10;
  e = error_of([&] { parse_idx_labels(bad, lbl, 10); });
  BOOST_TEST(contains(e, lbl + ": label 2 is 10, expected a class 0..9"));
  e = error_of([&] { parse_idx_labels(bad, lbl, 0); });
  BOOST_TEST(contains(e, lbl + ": class count 0 is outside 1..256"));

  // missing file, truncated gzip stream
  write_bytes(lbl, idx_labels(2049, 3, 3));
  e = error_of([&] { read_idx(img + ".missing", lbl, "toy"); });
  BOOST_TEST(contains(e, img + ".missing: no such file"));
  Bytes big = idx_images(2051, 50, 28, 28, 50 * 28 * 28);
  for (size_t i = 0; i < big.size(); i += 3) big[i] = uint8_t(i * 2654435761u >> 13);  // noise
  write_gz(img + ".gz", big);
  fs::resize_file(img + ".gz", fs::file_size(img + ".gz") / 2);
  e = error_of([&] { read_idx(img + ".gz", lbl, "toy"); });
  BOOST_TEST(contains(e, img + ".gz"));
  BOOST_TEST(contains(e, "corrupt or truncated gzip data"));
}

BOOST_AUTO_TEST_CASE(user_idx_pair_labelled_or_unlabelled) {
  TempDir dir;
  const std::string img = dir.file("my-images.idx"), lbl = dir.file("my-labels.idx.gz");
  write_bytes(img, idx_images(2051, 3, 2, 3, 18));
  Bytes labels = idx_labels(2049, 3, 3);
  labels.back() = 255;  // a user's labels may be any byte
  write_gz(lbl, labels);
  Dataset d = read_idx(img, lbl, "mine");
  BOOST_TEST(d.name() == "mine");
  BOOST_TEST(d.size() == 3);
  BOOST_TEST(d.height() == 2);
  BOOST_TEST(d.width() == 3);
  BOOST_TEST(d.labels() == (std::vector<int>{0, 1, 255}), boost::test_tools::per_element());

  // No labels file: every image unlabelled.
  Dataset u = read_idx(img, "", "mine-unlabelled");
  BOOST_TEST(u.size() == 3);
  BOOST_TEST(!u.has_labels());
  BOOST_TEST(u.label(0) == -1);
  BOOST_TEST(u.image(1)[0] == d.image(1)[0]);

  // Mismatched counts name both files.
  write_gz(lbl, idx_labels(2049, 4, 4));
  std::string e = error_of([&] { read_idx(img, lbl, "mine"); });
  BOOST_TEST(contains(e, "mine: image/label count mismatch: " + img + " holds 3 images but " + lbl +
                             " holds 4 labels"));

  // Other IDX element types or ranks (float images: 0x0D03) are bad magic.
  write_bytes(img, idx_images(0x0D03, 3, 2, 3, 18));
  e = error_of([&] { read_idx(img, "", "mine"); });
  BOOST_TEST(
      contains(e, img + ": bad magic number: expected 2051 (IDX images of unsigned bytes), got " +
                      std::to_string(0x0D03)));
  // A labels file given as the images.
  write_gz(lbl, idx_labels(2049, 10, 10));
  e = error_of([&] { read_idx(lbl, "", "mine"); });
  BOOST_TEST(contains(e, lbl + ": bad magic number: expected 2051"));
}

BOOST_AUTO_TEST_CASE(family_specs_name_folders_files_urls_and_classes) {
  const std::vector<std::string> files = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                          "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
  for (const IdxFamily* f : {&mnist_family(), &fashion_mnist_family(), &kmnist_family()}) {
    BOOST_TEST(f->fetch.folder == f->name);
    BOOST_TEST(f->fetch.files == files, boost::test_tools::per_element());
    BOOST_TEST(f->content_md5.size() == 4u);
    BOOST_TEST(f->class_names.size() == 10u);
    BOOST_TEST(f->fetch.downloads.size() == 4u);
    for (size_t i = 0; i < f->fetch.downloads.size(); ++i) {
      BOOST_TEST(f->fetch.downloads[i].name == files[i] + ".gz");
      BOOST_TEST(f->fetch.downloads[i].md5.size() == 32u);
      BOOST_TEST(!f->fetch.downloads[i].urls.empty());
    }
  }
  BOOST_TEST(mnist_family().fetch.title == "MNIST");
  BOOST_TEST(fashion_mnist_family().name == "fashion-mnist");
  BOOST_TEST(fashion_mnist_family().fetch.downloads[0].urls[0] ==
             "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
             "train-images-idx3-ubyte.gz");
  BOOST_TEST(fashion_mnist_family().fetch.downloads[0].md5 == "8d4fb7e6c68d591d4c3dfef9ec88bf0d");
  BOOST_TEST(fashion_mnist_family().class_names.front() == "T-shirt/top");
  BOOST_TEST(fashion_mnist_family().class_names.back() == "Ankle boot");
  BOOST_TEST(kmnist_family().fetch.downloads[3].urls[0] ==
             "http://codh.rois.ac.jp/kmnist/dataset/kmnist/t10k-labels-idx1-ubyte.gz");
  BOOST_TEST(kmnist_family().class_names[3] == "tsu");
  BOOST_TEST(kmnist_family().content_md5 == std::vector<std::string>(4, ""),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(fashion_mnist_format_folder_through_the_family_loader) {
  TempDir root;
  const std::vector<std::string> digests = write_family_folder(root.path, "fashion-mnist");
  const DataRoot r{root.path.string(), "--data"};
  // Fashion-MNIST with the fake files' digests: read, verified, named after the family.
  IdxFamily fake = fashion_mnist_family();
  fake.content_md5 = digests;
  Dataset all = load_idx_family(r, fake, IdxSplit::TrainTest, Download::Never);
  BOOST_TEST(all.name() == "fashion-mnist-train+test");
  BOOST_TEST(all.size() == 5);
  BOOST_TEST(all.labels() == (std::vector<int>{0, 1, 2, 3, 4}), boost::test_tools::per_element());
  BOOST_TEST(all.image(3)[0] == 0);  // the first test image
  Dataset train = load_idx_family(r, fake, IdxSplit::Train, Download::Never);
  BOOST_TEST(train.name() == "fashion-mnist-train");
  BOOST_TEST(train.size() == 3);
  Dataset test = load_idx_family(r, fake, IdxSplit::Test, Download::Never);
  BOOST_TEST(test.name() == "fashion-mnist-test");
  BOOST_TEST(test.labels() == (std::vector<int>{3, 4}), boost::test_tools::per_element());

  // The real family knows the genuine files' digests: the fakes are rejected, by name.
  const std::string gz = (root.path / "fashion-mnist/train-images-idx3-ubyte.gz").string();
  std::string e = error_of(
      [&] { load_idx_family(r, fashion_mnist_family(), IdxSplit::Train, Download::Never); });
  BOOST_TEST(contains(e, gz + ": MD5 of the decompressed train-images-idx3-ubyte is " + digests[0] +
                             ", expected f4a8712d7a061bf5bd6d2ca38dc4d50a"));
  BOOST_TEST(contains(e, "delete it to download it again"));

  // Labels must be below the family's class count.
  Bytes labels = idx_labels(2049, 2, 2, 3);
  labels.back() = 10;
  const fs::path lbl = root.path / "fashion-mnist/t10k-labels-idx1-ubyte";
  write_bytes(lbl, labels);
  fake.content_md5[3] = md5_of(labels);
  e = error_of([&] { load_idx_family(r, fake, IdxSplit::Test, Download::Never); });
  BOOST_TEST(contains(e, lbl.string() + ": label 1 is 10, expected a class 0..9"));
}

BOOST_AUTO_TEST_CASE(kmnist_files_without_known_digests_are_read_unverified) {
  TempDir root;
  write_family_folder(root.path, "kmnist");
  Dataset d = load_idx_family({root.path.string(), "--data"}, kmnist_family(), IdxSplit::TrainTest,
                              Download::Never);
  BOOST_TEST(d.name() == "kmnist-train+test");
  BOOST_TEST(d.size() == 5);
  // The folder is <root>/kmnist/: a file missing there is named.
  fs::remove(root.path / "kmnist/t10k-labels-idx1-ubyte");
  const std::string e = error_of([&] {
    read_idx_family_dir((root.path / "kmnist").string(), kmnist_family(), IdxSplit::Test);
  });
  BOOST_TEST(
      contains(e, (root.path / "kmnist/t10k-labels-idx1-ubyte").string() + ": no such file"));
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

BOOST_AUTO_TEST_CASE(real_mnist_counts_and_checksums, *only_if(have_real_mnist)) {
  const IdxFamily& mnist = mnist_family();
  for (size_t i = 0; i < mnist.fetch.files.size(); ++i) {
    const std::string path = kShared + "/mnist/" + mnist.fetch.files[i] + ".gz";
    BOOST_TEST(md5_of(read_maybe_gzip(path)) == mnist.content_md5[i], path);
  }
  Dataset all = load_idx_family({kShared, "test"}, mnist, IdxSplit::TrainTest, Download::Never);
  BOOST_TEST(all.size() == 70000);
  BOOST_TEST(all.name() == "mnist-train+test");
  BOOST_TEST(all.height() == 28);
  BOOST_TEST(all.width() == 28);
  const std::vector<std::vector<int>> counts = {
      {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949},
      {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}};
  const std::vector<std::vector<int>> got = class_counts(all, 60000);
  BOOST_TEST(got[0] == counts[0], boost::test_tools::per_element());
  BOOST_TEST(got[1] == counts[1], boost::test_tools::per_element());
  BOOST_TEST(all.label(0) == 5);      // the first training digit is a 5
  BOOST_TEST(all.label(60000) == 7);  // the first test digit is a 7
}

// Debian's dataset-fashion-mnist: --data /usr/share/datasets reads it (content digests checked).
BOOST_AUTO_TEST_CASE(debian_fashion_mnist_counts_and_checksums, *only_if(have_debian_fashion)) {
  Dataset all = load_idx_family({kDebian, "test"}, fashion_mnist_family(), IdxSplit::TrainTest,
                                Download::Never);
  BOOST_TEST(all.size() == 70000);
  BOOST_TEST(all.name() == "fashion-mnist-train+test");
  BOOST_TEST(all.height() == 28);
  BOOST_TEST(all.width() == 28);
  const std::vector<std::vector<int>> got = class_counts(all, 60000);
  BOOST_TEST(got[0] == std::vector<int>(10, 6000), boost::test_tools::per_element());
  BOOST_TEST(got[1] == std::vector<int>(10, 1000), boost::test_tools::per_element());
  BOOST_TEST(all.label(0) == 9);      // the first training image is an ankle boot
  BOOST_TEST(all.label(60000) == 9);  // and so is the first test image
}

// Debian ships the published .gz files with the gzip header's file name and time stripped (the
// deflate data unchanged). Putting them back (the times are those of the published files) gives
// files with the published MD5s: served from file:// URLs, they pass the download check and the
// content check, through the real Fashion-MNIST spec.
BOOST_AUTO_TEST_CASE(debian_fashion_mnist_is_the_published_data,
                     *only_if([] { return have_debian_fashion() && testing::have_curl(); })) {
  TempDir mirror, root;
  IdxFamily fashion = fashion_mnist_family();
  for (size_t i = 0; i < fashion.fetch.files.size(); ++i) {
    const std::string& file = fashion.fetch.files[i];
    const Bytes debian = read_file_bytes(kDebian + "/fashion-mnist/" + file + ".gz");
    BOOST_REQUIRE(debian.size() > 10 && debian[3] == 0);     // no optional header fields
    const uint32_t mtime = i < 2 ? 1504176606 : 1504176627;  // 2017-08-31 10:50:06 / :27 UTC
    Bytes published = {0x1f, 0x8b, 8, 8};                    // FLG: a file name follows
    for (int k = 0; k < 4; ++k) published.push_back(uint8_t(mtime >> (8 * k)));
    published.insert(published.end(), debian.begin() + 8, debian.begin() + 10);  // XFL, OS
    published.insert(published.end(), file.begin(), file.end());
    published.push_back(0);
    published.insert(published.end(), debian.begin() + 10, debian.end());
    RemoteFile& d = fashion.fetch.downloads[i];
    BOOST_TEST(md5_of(published) == d.md5, file);
    write_bytes(mirror.path / d.name, published);
    d.urls = {"file://" + mirror.file(d.name)};
  }
  Dataset test = load_idx_family({root.path.string(), "--data"}, fashion, IdxSplit::Test);
  BOOST_TEST(test.size() == 10000);
  BOOST_TEST(fs::is_regular_file(root.path / "fashion-mnist/t10k-images-idx3-ubyte.gz"));
}

BOOST_AUTO_TEST_CASE(missing_data_error_names_paths_and_remedies) {
  TempDir root;
  const std::string e = error_of([&] {
    load_idx_family({root.path.string(), "IIC_DATA"}, mnist_family(), IdxSplit::Train,
                    Download::Never);
  });
  const std::string dir = (root.path / "mnist").string();
  BOOST_TEST(contains(e, "MNIST: " + dir + "/train-images-idx3-ubyte not found"));
  BOOST_TEST(contains(e, "looked for " + dir + "/train-images-idx3-ubyte and " + dir +
                             "/train-images-idx3-ubyte.gz"));
  BOOST_TEST(contains(e,
                      "likewise for 3 more: train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
                      "t10k-labels-idx1-ubyte"));
  BOOST_TEST(contains(e, "from IIC_DATA"));
  BOOST_TEST(contains(e, "downloads disabled"));
  BOOST_TEST(contains(e, "in DIR/mnist/"));
  BOOST_TEST(contains(e, "--data DIR or IIC_DATA=DIR"));
  BOOST_TEST(contains(e,
                      "https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz "
                      "(MD5 f68b3c2dcbeaaa9fbdd348bbdeb94873)"));
  BOOST_TEST(contains(e, "http://yann.lecun.com/exdb/mnist/train-images-idx3-ubyte.gz"));
}

// The real mirrors: without internet (as here) this must fail cleanly, naming the paths and each
// failed URL; with internet it must install verified files.
BOOST_AUTO_TEST_CASE(download_from_the_real_mirrors_fails_cleanly_or_verifies) {
  TempDir root;
  try {
    const std::string dir =
        ensure_dataset({root.path.string(), "--data"}, mnist_family().fetch, Download::Allowed);
    for (const std::string& f : mnist_family().fetch.files)
      BOOST_TEST(fs::is_regular_file(find_file(dir, f)));
  } catch (const eng::Error& err) {
    const std::string e = err.what();
    BOOST_TEST(contains(e, (root.path / "mnist/train-images-idx3-ubyte.gz").string()));
    BOOST_TEST(contains(e, "download of train-images-idx3-ubyte.gz failed"));
    BOOST_TEST(contains(e,
                        "https://ossci-datasets.s3.amazonaws.com/mnist/"
                        "train-images-idx3-ubyte.gz: "));
    BOOST_TEST(!fs::exists(root.path / "mnist/train-images-idx3-ubyte.gz.part"));
  }
}
