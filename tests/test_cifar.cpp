// test_cifar.cpp — the CIFAR-10 / CIFAR-100 binary readers on small files written here in the
// exact official record formats (pixels, labels, split order, every kind of corrupt file), MD5
// against RFC 1321's vectors, and the archive route: an archive served from a file:// URL is
// accepted with the right MD5 and unpacked, rejected with a wrong one, and missing data is a
// clear error naming the folder, the URL and the digest.
#define BOOST_TEST_MODULE cifar
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "data/cifar.hpp"
#include "data/fetch_archive.hpp"
#include "data/md5.hpp"
#include "temp_files.hpp"

namespace fs = std::filesystem;
using namespace eng::data;
using testing::Bytes;
using testing::contains;
using testing::error_of;
using testing::TempDir;
using testing::write_bytes;

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

bool have_curl() { return std::system("command -v curl >/dev/null 2>&1") == 0; }
}  // namespace

BOOST_AUTO_TEST_CASE(md5_matches_rfc1321_vectors) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", "d41d8cd98f00b204e9800998ecf8427e"},
      {"a", "0cc175b9c0f1b6a831c399e269772661"},
      {"abc", "900150983cd24fb0d6963f7d28e17f72"},
      {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
      {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
      {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
       "d174ab98d277d9f5a5611c2c9f419d9f"},
      {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
       "57edf4a22be3c955ac49da2e2107b67a"}};
  for (const auto& [text, digest] : vectors)
    BOOST_TEST(md5_hex(text.data(), text.size()) == digest);
  // Fed in uneven pieces (partial blocks, a 64-byte boundary) and from a file: the same digest.
  const std::string long_text(1000, 'x');
  Md5 h;
  for (size_t at = 0, step = 1; at < long_text.size(); at += step, step = step * 3 % 97 + 1)
    h.update(long_text.data() + at, std::min(step, long_text.size() - at));
  const std::string chunked = h.finish();
  BOOST_TEST(chunked == md5_hex(long_text.data(), long_text.size()));
  TempDir dir("cifar");
  write_bytes(dir.path / "x", Bytes(long_text.begin(), long_text.end()));
  BOOST_TEST(md5_file_hex((dir.path / "x").string()) == chunked);
  BOOST_TEST(contains(error_of([&] { md5_file_hex((dir.path / "nope").string()); }), "nope"));
}

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
  write_bytes(dir / "test.bin", records({{6, 60}}, 2));
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

BOOST_AUTO_TEST_CASE(archive_download_verifies_md5_and_unpacks,
                     *boost::unit_test::precondition([](boost::unit_test::test_unit_id) {
                       return have_curl();
                     })) {
  TempDir mirror("cifar"), root("cifar");
  write_bytes(mirror.path / "pkg/cifar-10-batches-bin/test_batch.bin", records({{4}, {2}}));
  const std::string tar = "tar -czf " + (mirror.path / "toy.tar.gz").string() + " -C " +
                          (mirror.path / "pkg").string() + " cifar-10-batches-bin";
  BOOST_REQUIRE(std::system(tar.c_str()) == 0);
  const std::string md5 = md5_file_hex((mirror.path / "toy.tar.gz").string());
  ArchiveSpec spec{"TOY",
                   "cifar-10-batches-bin",
                   {"test_batch.bin"},
                   "toy.tar.gz",
                   {"file:///nonexistent-iic-mirror/toy.tar.gz",
                    "file://" + (mirror.path / "toy.tar.gz").string()},
                   md5};
  const DataRoot r{root.path.string(), "--data"};

  // A wrong digest: rejected, nothing left behind, every URL's failure named.
  ArchiveSpec wrong = spec;
  wrong.md5 = std::string(32, '0');
  std::string e = error_of([&] { ensure_archive(r, wrong); });
  BOOST_TEST(contains(e, "file:///nonexistent-iic-mirror/toy.tar.gz: "));
  BOOST_TEST(contains(e, "MD5 of " + (root.path / "toy.tar.gz.part").string() + " is " + md5 +
                             ", expected " + std::string(32, '0')));
  BOOST_TEST(!fs::exists(root.path / "toy.tar.gz"));
  BOOST_TEST(!fs::exists(root.path / "toy.tar.gz.part"));
  BOOST_TEST(!fs::exists(root.path / "cifar-10-batches-bin"));

  // The right digest: downloaded from the second URL, kept, unpacked, readable.
  const std::string dir = ensure_archive(r, spec);
  BOOST_TEST(dir == (root.path / "cifar-10-batches-bin").string());
  BOOST_TEST(fs::is_regular_file(root.path / "toy.tar.gz"));
  BOOST_TEST(read_cifar10_dir(dir, CifarSplit::Test).labels() == (std::vector<int>{4, 2}),
             boost::test_tools::per_element());
  // Present now: found without downloading.
  BOOST_TEST(ensure_archive(r, spec, Download::Never) == dir);

  // An archive already in the root is checked before use.
  fs::remove_all(dir);
  write_bytes(root.path / "toy.tar.gz", Bytes(10, 1));
  e = error_of([&] { ensure_archive(r, spec); });
  BOOST_TEST(contains(e, "MD5 of " + (root.path / "toy.tar.gz").string()));
  BOOST_TEST(contains(e, "delete it to download it again"));

  // A verified archive that lacks a required file.
  fs::remove(root.path / "toy.tar.gz");
  ArchiveSpec more = spec;
  more.files.push_back("data_batch_1.bin");
  e = error_of([&] { ensure_archive(r, more); });
  BOOST_TEST(contains(e, "unpacked, but it does not hold " + dir + "/data_batch_1.bin"));
}
