// test_stl10.cpp — the STL-10 reader on small files written here in the exact official format
// (tests/stl10_files.hpp): column-major planes come out as CHW row-major images, labels 1..10
// become 0..9, unlabelled images get -1, the authors' partitions keep their order (head A's
// training images interleaved with the unlabelled ones), corrupt files are named errors and
// missing data names the folder, the URL and the archive digest (a compressed file, the remedy).
#define BOOST_TEST_MODULE stl10
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/stl10_files.hpp"

namespace fs = std::filesystem;
using namespace eng::data;
using testing::Bytes;
using testing::contains;
using testing::error_of;
using testing::stl10_images_file;
using testing::stl10_value;
using testing::TempDir;
using testing::write_bytes;

namespace {
constexpr int S = kStl10Side;

void check_image(const Dataset& d, int64_t row, int64_t number) {
  const uint8_t* img = d.image(row);
  for (int c = 0; c < 3; ++c)
    for (int y : {0, 1, 50, 95})
      for (int x : {0, 2, 61, 95})
        BOOST_TEST(img[size_t(c) * S * S + size_t(y) * S + x] == stl10_value(number, c, y, x),
                   "row " << row << " c " << c << " y " << y << " x " << x);
}

// A complete small stl10_binary/ folder: train 3 images, test 2, unlabelled 6 (2 per train image).
fs::path write_folder(const fs::path& root) {
  return testing::write_stl10_folder(root, Bytes{1, 10, 5}, Bytes{2, 3}, 6);
}
}  // namespace

BOOST_AUTO_TEST_CASE(column_major_planes_become_row_major) {
  // Two whole images against their definition.
  const Bytes file = stl10_images_file(2, 7);
  Bytes chw(file.size());
  stl10_to_chw(file.data(), chw.data(), 2);
  for (int64_t i = 0; i < 2; ++i)
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < S; ++y)
        for (int x = 0; x < S; ++x)
          if (chw[size_t(i) * kStl10ImageBytes + size_t(c) * S * S + size_t(y) * S + x] !=
              stl10_value(7 + i, c, y, x))
            BOOST_FAIL("pixel " << i << "," << c << "," << y << "," << x << " misplaced");
}

BOOST_AUTO_TEST_CASE(splits_labels_and_partitions) {
  TempDir root("stl10");
  const fs::path dir = write_folder(root.path);
  Dataset train = read_stl10_dir(dir.string(), {Stl10Split::Train});
  BOOST_TEST(train.size() == 3);
  BOOST_TEST(train.channels() == 3);
  BOOST_TEST(train.height() == 96);
  BOOST_TEST(train.width() == 96);
  BOOST_TEST(train.labels() == (std::vector<int>{0, 9, 4}), boost::test_tools::per_element());
  for (int64_t i = 0; i < 3; ++i) check_image(train, i, i);

  Dataset unl = read_stl10_dir(dir.string(), {Stl10Split::Unlabelled});
  BOOST_TEST(unl.size() == 6);
  BOOST_TEST(unl.labels() == (std::vector<int>(6, -1)), boost::test_tools::per_element());
  check_image(unl, 3, 203);

  // Head A: train + unlabelled + test, each training image followed by its share of unlabelled
  // ones (the authors' order); head B: train + test (protocol.md).
  const DataRoot r{root.path.string(), "--data"};
  Dataset a = load_stl10(r, stl10_head_a_splits(), Download::Never);
  BOOST_TEST(a.name() == "stl10-train+unlabeled(interleaved)+test");
  BOOST_TEST(a.size() == 11);
  BOOST_TEST(a.labels() == (std::vector<int>{0, -1, -1, 9, -1, -1, 4, -1, -1, 1, 2}),
             boost::test_tools::per_element());
  const std::vector<int64_t> numbers = {0, 200, 201, 1, 202, 203, 2, 204, 205, 100, 101};
  for (int64_t row = 0; row < a.size(); ++row) check_image(a, row, numbers[size_t(row)]);
  Dataset b = load_stl10(r, stl10_head_b_splits(), Download::Never);
  BOOST_TEST(b.name() == "stl10-train+test");
  BOOST_TEST(b.labels() == (std::vector<int>{0, 9, 4, 1, 2}), boost::test_tools::per_element());
  BOOST_TEST(b.has_labels());
  check_image(b, 4, 101);
  BOOST_TEST(stl10_class_names().size() == 10u);
}

BOOST_AUTO_TEST_CASE(corrupt_stl10_files_are_named_errors) {
  TempDir root("stl10");
  const fs::path dir = write_folder(root.path);
  const std::string x = (dir / "train_X.bin").string(), y = (dir / "train_y.bin").string();
  auto train_error = [&] {
    return error_of([&] { read_stl10_dir(dir.string(), {Stl10Split::Train}); });
  };

  write_bytes(y, Bytes{1, 0, 5});
  std::string e = train_error();
  BOOST_TEST(contains(e, y + ": label 1 is 0, expected a class 1..10"));
  write_bytes(y, Bytes{1, 11, 5});
  BOOST_TEST(contains(train_error(), y + ": label 1 is 11"));
  write_bytes(y, Bytes{1, 2});
  e = train_error();
  BOOST_TEST(contains(e, y + ": holds 2 labels, but " + x + " holds 3 images"));
  fs::remove(y);
  BOOST_TEST(contains(train_error(), y + ": no such file (the labels of " + x + ")"));
  write_bytes(y, Bytes{1, 2, 3});

  Bytes cut = stl10_images_file(3, 0);
  cut.resize(cut.size() - 1);
  write_bytes(x, cut);
  e = train_error();
  BOOST_TEST(contains(e, x + ": size 82943 bytes is not a multiple of the 27648-byte 3x96x96 "
                             "image (2 whole images and 27647 bytes more)"));
  write_bytes(x, {});
  BOOST_TEST(contains(train_error(), x + ": empty file"));
  fs::remove(x);
  BOOST_TEST(contains(train_error(), x + ": no such file"));
  BOOST_TEST(contains(error_of([&] { read_stl10_dir(dir.string(), {}); }), "no splits"));

  // Interleaving needs the same number of unlabelled images after every training image.
  write_folder(root.path);
  write_bytes(dir / "unlabeled_X.bin", stl10_images_file(4, 200));
  e = error_of([&] { read_stl10_dir(dir.string(), stl10_head_a_splits()); });
  BOOST_TEST(contains(e, (dir / "unlabeled_X.bin").string() +
                             ": holds 4 images, not the same number after each of the 3 images "
                             "of " +
                             x));
}

BOOST_AUTO_TEST_CASE(missing_stl10_names_the_folder_url_and_digest) {
  TempDir root("stl10");
  const std::string e = error_of([&] {
    load_stl10({root.path.string(), "IIC_DATA"}, stl10_head_b_splits(), Download::Never);
  });
  BOOST_TEST(
      contains(e, "STL-10: " + (root.path / "stl10_binary/train_X.bin").string() + " not found"));
  BOOST_TEST(contains(e, "from IIC_DATA"));
  BOOST_TEST(contains(e, "http://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz"));
  BOOST_TEST(contains(e, "91f7769df0f17e558f3565bffb0c7dfb"));
  // Partially present (no unlabelled file): still reported as missing, naming that file.
  write_folder(root.path);
  fs::remove(root.path / "stl10_binary/unlabeled_X.bin");
  const std::string e2 = error_of([&] {
    load_stl10({root.path.string(), "IIC_DATA"}, stl10_head_b_splits(), Download::Never);
  });
  BOOST_TEST(contains(e2, "stl10_binary/unlabeled_X.bin not found"));
  // A file stored compressed counts as present, but STL-10 is streamed uncompressed: said so.
  const fs::path dir = write_folder(root.path);
  fs::rename(dir / "test_y.bin", dir / "test_y.bin.gz");
  const std::string e3 = error_of([&] {
    load_stl10({root.path.string(), "IIC_DATA"}, stl10_head_b_splits(), Download::Never);
  });
  BOOST_TEST(contains(e3, (dir / "test_y.bin").string() + ": no such file (the labels of " +
                              (dir / "test_X.bin").string() + ") (" +
                              (dir / "test_y.bin.gz").string() +
                              " is there: STL-10 files are read uncompressed, gunzip it)"));
}
