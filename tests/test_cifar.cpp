// test_cifar.cpp — the CIFAR-10 / CIFAR-100 binary readers on small files written here in the
// exact official record formats (pixels, labels, split order, every kind of corrupt file, files
// stored as .gz), the provenance of the make-bin.sh reconstruction, and missing data: a clear
// error naming the folder, the URL and the archive digest. (The archive route itself:
// test_fetch.cpp.)
#define BOOST_TEST_MODULE cifar
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "data/cifar.hpp"
#include "tests/data_files.hpp"

namespace fs = std::filesystem;
using namespace eng::data;
using testing::Bytes;
using testing::contains;
using testing::error_of;
using testing::TempDir;
using testing::write_bytes;
using testing::write_gz;

namespace {
uint8_t pixel(int64_t image, int64_t k) { return uint8_t((image * 7 + k * 13) % 251); }

// Records <label bytes...><3072 pixels> for images first..first+n-1.
Bytes records(const std::vector<std::vector<uint8_t>>& labels, int64_t first = 0) {
  Bytes b;
  for (size_t i = 0; i < labels.size(); ++i) {
    b.insert(b.end(), labels[i].begin(), labels[i].end());
    for (int k = 0; k < kCifarImageBytes; ++k) b.push_back(pixel(first + int64_t(i), k));
  }
  return b;
}
}  // namespace

BOOST_AUTO_TEST_CASE(cifar10_records_give_chw_images_and_labels) {
  const Bytes b = records({{3}, {0}, {9}});
  Dataset d = parse_cifar10(b, "toy.bin", "toy");
  BOOST_TEST(d.size() == 3);
  BOOST_TEST(d.channels() == 3);
  BOOST_TEST(d.height() == 32);
  BOOST_TEST(d.width() == 32);
  BOOST_TEST(d.label(0) == 3);
  BOOST_TEST(d.label(1) == 0);
  BOOST_TEST(d.label(2) == 9);
  // Byte k of a record's pixels is channel k / 1024, row (k % 1024) / 32, column k % 32.
  for (int64_t i = 0; i < 3; ++i)
    for (int k : {0, 1, 31, 32, 1023, 1024, 2048 + 5 * 32 + 7, 3071})
      BOOST_TEST(d.image(i)[k] == pixel(i, k));
}

BOOST_AUTO_TEST_CASE(cifar100_coarse_and_fine_labels) {
  const Bytes b = records({{19, 99}, {0, 0}, {7, 42}});
  Dataset coarse = parse_cifar100(b, "t.bin", Cifar100Labels::Coarse, "c");
  Dataset fine = parse_cifar100(b, "t.bin", Cifar100Labels::Fine, "f");
  BOOST_TEST(coarse.size() == 3);
  BOOST_TEST(coarse.labels() == (std::vector<int>{19, 0, 7}), boost::test_tools::per_element());
  BOOST_TEST(fine.labels() == (std::vector<int>{99, 0, 42}), boost::test_tools::per_element());
  BOOST_TEST(coarse.image(2)[100] == pixel(2, 100));
  BOOST_TEST(cifar100_coarse_class_names().size() == 20u);
}

BOOST_AUTO_TEST_CASE(corrupt_cifar_files_are_named_errors) {
  std::string e = error_of([] { parse_cifar10({}, "/d/empty.bin", "x"); });
  BOOST_TEST(contains(e, "/d/empty.bin: empty file (expected 3073-byte CIFAR records)"));

  Bytes b = records({{1}, {2}});
  b.pop_back();  // truncated
  e = error_of([&] { parse_cifar10(b, "/d/cut.bin", "x"); });
  BOOST_TEST(contains(e, "/d/cut.bin: size 6145 bytes is not a multiple of the 3073-byte record"));
  BOOST_TEST(contains(e, "1 whole records and 3072 bytes more"));

  // A CIFAR-100 file read as CIFAR-10 (3074-byte records) does not divide either.
  e = error_of([] { parse_cifar10(records({{1, 2}, {3, 4}}), "/d/c100.bin", "x"); });
  BOOST_TEST(contains(e, "not a CIFAR-10 binary file"));

  e = error_of([] { parse_cifar10(records({{1}, {10}}), "/d/lab.bin", "x"); });
  BOOST_TEST(contains(e, "/d/lab.bin: record 1: label 10 is out of range 0..9"));
  e = error_of([] { parse_cifar100(records({{20, 5}}), "/d/c.bin", Cifar100Labels::Coarse, "x"); });
  BOOST_TEST(contains(e, "/d/c.bin: record 0: coarse label 20 is out of range 0..19"));
  e = error_of([] {
    parse_cifar100(records({{2, 5}, {3, 100}}), "/d/f.bin", Cifar100Labels::Coarse, "x");
  });
  BOOST_TEST(contains(e, "record 1: fine label 100 is out of range 0..99"));
}

BOOST_AUTO_TEST_CASE(cifar10_folder_splits_in_official_order) {
  TempDir root("cifar");
  const fs::path dir = root.path / "cifar-10-batches-bin";
  // data_batch_b holds 2 images labelled b-1 and b; test_batch 3 images labelled 9, 8, 7.
  for (int b = 1; b <= 5; ++b)
    write_bytes(dir / ("data_batch_" + std::to_string(b) + ".bin"),
                records({{uint8_t(b - 1)}, {uint8_t(b)}}, 2 * (b - 1)));
  write_bytes(dir / "test_batch.bin", records({{9}, {8}, {7}}, 100));

  Dataset train = read_cifar10_dir(dir.string(), CifarSplit::Train);
  BOOST_TEST(train.size() == 10);
  BOOST_TEST(train.name() == "cifar10-train");
  BOOST_TEST(train.labels() == (std::vector<int>{0, 1, 1, 2, 2, 3, 3, 4, 4, 5}),
             boost::test_tools::per_element());
  for (int64_t i = 0; i < 10; ++i) BOOST_TEST(train.image(i)[17] == pixel(i, 17));
  Dataset test = read_cifar10_dir(dir.string(), CifarSplit::Test);
  BOOST_TEST(test.labels() == (std::vector<int>{9, 8, 7}), boost::test_tools::per_element());
  Dataset all =
      load_cifar10({root.path.string(), "--data"}, CifarSplit::TrainTest, Download::Never);
  BOOST_TEST(all.size() == 13);
  BOOST_TEST(all.name() == "cifar10-train+test");
  BOOST_TEST(all.label(10) == 9);
  BOOST_TEST(all.image(12)[5] == pixel(102, 5));
  BOOST_TEST(cifar10_provenance(dir.string()).empty());  // not make-bin.sh's files

  // One corrupt batch: the error names it.
  Bytes cut = records({{1}});
  cut.resize(100);
  write_bytes(dir / "data_batch_3.bin", cut);
  std::string e = error_of([&] { read_cifar10_dir(dir.string(), CifarSplit::Train); });
  BOOST_TEST(contains(e, (dir / "data_batch_3.bin").string() + ": size 100 bytes"));
  fs::remove(dir / "data_batch_3.bin");
  e = error_of([&] { read_cifar10_dir(dir.string(), CifarSplit::Train); });
  BOOST_TEST(contains(e, (dir / "data_batch_3.bin").string() + ": no such file"));
}

BOOST_AUTO_TEST_CASE(cifar100_folder_gives_cifar100_20) {
  TempDir root("cifar");
  const fs::path dir = root.path / "cifar-100-binary";
  write_bytes(dir / "train.bin", records({{4, 40}, {5, 50}}));
  write_gz(dir / "test.bin.gz", records({{6, 60}}, 2));  // a file may be stored compressed
  Dataset d = load_cifar100({root.path.string(), "--data"}, CifarSplit::TrainTest,
                            Cifar100Labels::Coarse, Download::Never);
  BOOST_TEST(d.name() == "cifar100-20-train+test");
  BOOST_TEST(d.labels() == (std::vector<int>{4, 5, 6}), boost::test_tools::per_element());
  BOOST_TEST(d.image(2)[3000] == pixel(2, 3000));
}

BOOST_AUTO_TEST_CASE(missing_cifar_names_the_folder_url_and_digest) {
  TempDir root("cifar");
  std::string e = error_of([&] {
    load_cifar10({root.path.string(), "IIC_DATA"}, CifarSplit::TrainTest, Download::Never);
  });
  BOOST_TEST(
      contains(e, "CIFAR-10: " + (root.path / "cifar-10-batches-bin/data_batch_1.bin").string() +
                      " not found"));
  BOOST_TEST(contains(e, "from IIC_DATA"));
  BOOST_TEST(contains(e, "downloads disabled"));
  BOOST_TEST(contains(e, "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"));
  BOOST_TEST(contains(e, "c32a1d4ab5d03f1284b67883e8d87530"));
  BOOST_TEST(contains(e, "--data DIR or IIC_DATA=DIR"));
  e = error_of([&] {
    load_cifar100({root.path.string(), "--data"}, CifarSplit::Train, Cifar100Labels::Coarse,
                  Download::Never);
  });
  BOOST_TEST(contains(e, "cifar-100-binary/train.bin not found"));
  BOOST_TEST(contains(e, "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"));
  BOOST_TEST(contains(e, "03b5dce01913d631647c71ecec9e9cb8"));
}
