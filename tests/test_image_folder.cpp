// test_image_folder.cpp — the image-folder reader on PNG/BMP/JPEG files written here: labelled
// and flat layouts, sorted classes and files, exact pixels (lossless formats), greyscale,
// resizing, several roots, every error (mixed layout, empty class, size mismatch, corrupt file,
// missing folder, class mismatch between roots), and the CIFAR-10 JPEG tree when it is here.
#define BOOST_TEST_MODULE image_folder
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "data/augment.hpp"
#include "data/cifar.hpp"
#include "data/image_folder.hpp"
#include "temp_files.hpp"

#include <stb_image_write.h>  // implementation in data/stb_impl.cpp

namespace fs = std::filesystem;
using namespace eng::data;
using testing::Bytes;
using testing::contains;
using testing::error_of;
using testing::TempDir;
using testing::write_bytes;

namespace {
uint8_t value(int id, int c, int y, int x) {
  return uint8_t((id * 29 + c * 83 + y * 5 + x * 11) % 256);
}

// An RGB image (interleaved, as files store it) with pixels value(id, c, y, x).
Bytes rgb(int id, int h, int w) {
  Bytes b(size_t(h) * w * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) b[(size_t(y) * w + x) * 3 + c] = value(id, c, y, x);
  return b;
}

void write_image(const fs::path& p, int id, int h = 6, int w = 5) {
  fs::create_directories(p.parent_path());
  const Bytes px = rgb(id, h, w);
  const std::string ext = p.extension().string();
  int ok = 0;
  if (ext == ".png" || ext == ".PNG")
    ok = stbi_write_png(p.c_str(), w, h, 3, px.data(), w * 3);
  else if (ext == ".bmp")
    ok = stbi_write_bmp(p.c_str(), w, h, 3, px.data());
  else
    ok = stbi_write_jpg(p.c_str(), w, h, 3, px.data(), 95);
  BOOST_REQUIRE_MESSAGE(ok, "cannot write " << p);
}

void check_pixels(const Dataset& d, int64_t row, int id) {
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < d.height(); ++y)
      for (int x = 0; x < d.width(); ++x)
        BOOST_TEST(d.image(row)[(size_t(c) * d.height() + y) * d.width() + x] == value(id, c, y, x),
                   "row " << row << " (" << c << "," << y << "," << x << ")");
}

const std::string kCifarJpeg = IIC_SHARED_DIR "/data/cifar10/cifar-10-jpeg.tar.gz";
}  // namespace

BOOST_AUTO_TEST_CASE(labelled_folder_sorted_classes_and_files) {
  TempDir root("imgf");
  const fs::path r = root.path;
  write_image(r / "zebra/b.png", 1);
  write_image(r / "zebra/a.bmp", 2);
  write_image(r / "ant/x.PNG", 3);
  write_image(r / "ant/deeper/y.png", 4);             // found recursively, sorted by path
  write_image(r / "ant/.hidden.png", 5);              // skipped
  write_bytes(r / "ant/notes.txt", Bytes{'h', 'i'});  // skipped
  ImageFolder f = read_image_folder(r.string());
  BOOST_TEST(f.classes == (std::vector<std::string>{"ant", "zebra"}),
             boost::test_tools::per_element());
  BOOST_TEST(f.data.size() == 4);
  BOOST_TEST(f.data.channels() == 3);
  BOOST_TEST(f.data.height() == 6);
  BOOST_TEST(f.data.width() == 5);
  BOOST_TEST(f.data.labels() == (std::vector<int>{0, 0, 1, 1}), boost::test_tools::per_element());
  const std::vector<std::string> want = {(r / "ant/deeper/y.png").string(),
                                         (r / "ant/x.PNG").string(), (r / "zebra/a.bmp").string(),
                                         (r / "zebra/b.png").string()};
  BOOST_TEST(f.paths == want, boost::test_tools::per_element());
  check_pixels(f.data, 0, 4);
  check_pixels(f.data, 1, 3);
  check_pixels(f.data, 2, 2);
  check_pixels(f.data, 3, 1);
}

BOOST_AUTO_TEST_CASE(flat_folder_is_unlabelled_and_greyscale_uses_pil_luma) {
  TempDir root("imgf");
  write_image(root.path / "2.png", 7);
  write_image(root.path / "10.png", 8);  // byte order: "10.png" < "2.png"
  ImageFolder f = read_image_folder(root.path.string());
  BOOST_TEST(f.classes.empty());
  BOOST_TEST(f.data.labels() == (std::vector<int>{-1, -1}), boost::test_tools::per_element());
  BOOST_TEST(f.paths.at(0) == (root.path / "10.png").string());
  check_pixels(f.data, 0, 8);

  ImageFolderOptions grey;
  grey.channels = 1;
  ImageFolder g = read_image_folder(root.path.string(), grey);
  BOOST_TEST(g.data.channels() == 1);
  for (int y = 0; y < 6; ++y)
    for (int x = 0; x < 5; ++x) {
      const unsigned lum = (19595u * value(7, 0, y, x) + 38470u * value(7, 1, y, x) +
                            7471u * value(7, 2, y, x) + 0x8000u) >>
                           16;
      BOOST_TEST(g.data.image(1)[y * 5 + x] == lum);
    }
}

BOOST_AUTO_TEST_CASE(jpeg_decodes_close_to_the_original) {
  TempDir root("imgf");
  write_image(root.path / "a.jpg", 9, 16, 16);
  write_image(root.path / "b.jpeg", 9, 16, 16);
  ImageFolder f = read_image_folder(root.path.string());
  BOOST_TEST(f.data.size() == 2);
  double err = 0;
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 16; ++y)
      for (int x = 0; x < 16; ++x)
        err += std::fabs(double(f.data.image(0)[(c * 16 + y) * 16 + x]) - value(9, c, y, x));
  BOOST_TEST(err / (3 * 16 * 16) < 20.0);  // quality 95 on a busy pattern: small mean error
}

BOOST_AUTO_TEST_CASE(resize_uses_the_bilinear_resize) {
  TempDir root("imgf");
  write_image(root.path / "a.png", 1, 8, 6);
  write_image(root.path / "b.png", 2, 3, 3);  // another size: fine when resizing
  ImageFolderOptions opt;
  opt.resize_h = 4, opt.resize_w = 5;
  ImageFolder f = read_image_folder(root.path.string(), opt);
  BOOST_TEST(f.data.height() == 4);
  BOOST_TEST(f.data.width() == 5);
  Bytes chw(3 * 8 * 6);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 8; ++y)
      for (int x = 0; x < 6; ++x) chw[(c * 8 + y) * 6 + x] = value(1, c, y, x);
  const Image want = resize_bilinear(image_from_u8(chw.data(), 3, 8, 6), 4, 5);
  for (size_t i = 0; i < want.px.size(); ++i)
    BOOST_TEST(f.data.image(0)[i] == uint8_t(std::lround(want.px[i] * 255)), "byte " << i);
}

BOOST_AUTO_TEST_CASE(several_roots_concatenate) {
  TempDir a("imgf"), b("imgf");
  write_image(a.path / "cat/1.png", 1);
  write_image(a.path / "dog/1.png", 2);
  write_image(b.path / "cat/1.png", 3);
  write_image(b.path / "dog/1.png", 4);
  write_image(b.path / "dog/2.png", 5);
  ImageFolder f = read_image_folders({a.path.string(), b.path.string()});
  BOOST_TEST(f.data.labels() == (std::vector<int>{0, 1, 0, 1, 1}),
             boost::test_tools::per_element());
  check_pixels(f.data, 4, 5);
  write_image(b.path / "eel/1.png", 6);
  const std::string e = error_of([&] { read_image_folders({a.path.string(), b.path.string()}); });
  BOOST_TEST(contains(e, "'" + b.path.string() + "' has 3 classes (cat, dog, eel) but '" +
                             a.path.string() + "' has 2 classes (cat, dog)"));
}

BOOST_AUTO_TEST_CASE(bad_folders_and_files_are_named_errors) {
  TempDir root("imgf");
  const fs::path r = root.path;
  BOOST_TEST(contains(error_of([&] { read_image_folder((r / "nope").string()); }),
                      (r / "nope").string() + "' is not a folder"));
  BOOST_TEST(contains(error_of([&] { read_image_folder(r.string()); }),
                      "holds no images (.png, .jpg, .jpeg, .bmp) and no class sub-folders"));

  write_image(r / "cls/a.png", 1);
  write_image(r / "loose.png", 2);
  std::string e = error_of([&] { read_image_folder(r.string()); });
  BOOST_TEST(contains(e, "holds both images (e.g. " + (r / "loose.png").string()));
  fs::remove(r / "loose.png");

  fs::create_directories(r / "empty");
  e = error_of([&] { read_image_folder(r.string()); });
  BOOST_TEST(contains(e, "class folder '" + (r / "empty").string() + "' holds no images"));
  fs::remove(r / "empty");

  write_image(r / "cls/b.png", 3, 7, 5);
  e = error_of([&] { read_image_folder(r.string()); });
  BOOST_TEST(contains(e, (r / "cls/b.png").string() + ": image is 7x5 (HxW) but " +
                             (r / "cls/a.png").string() + " is 6x5"));
  fs::remove(r / "cls/b.png");

  write_bytes(r / "cls/c.png", Bytes{'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'a', 'g', 'e'});
  e = error_of([&] { read_image_folder(r.string()); });
  BOOST_TEST(contains(e, (r / "cls/c.png").string() + ": unreadable or not a supported image"));

  ImageFolderOptions bad;
  bad.channels = 2;
  BOOST_TEST(contains(error_of([&] { read_image_folder(r.string(), bad); }),
                      "channels must be 1 (greyscale) or 3 (RGB), got 2"));
  bad.channels = 3, bad.resize_h = 4;
  BOOST_TEST(contains(error_of([&] { read_image_folder(r.string(), bad); }),
                      "resize size must be positive"));
}

BOOST_AUTO_TEST_CASE(cifar10_jpeg_tree_test_split,
                     *boost::unit_test::precondition([](boost::unit_test::test_unit_id) {
                       return fs::exists(kCifarJpeg);
                     })) {
  TempDir root("imgf");
  const std::string untar = "tar -xzf '" + kCifarJpeg + "' -C '" + root.path.string() + "' test";
  BOOST_REQUIRE(std::system(untar.c_str()) == 0);
  ImageFolder f = read_image_folder((root.path / "test").string());
  BOOST_TEST(f.classes == cifar10_class_names(), boost::test_tools::per_element());
  BOOST_TEST(f.data.size() == 10000);
  BOOST_TEST(f.data.channels() == 3);
  BOOST_TEST(f.data.height() == 32);
  BOOST_TEST(f.data.width() == 32);
  std::vector<int> per_class(10);
  for (int l : f.data.labels()) per_class.at(l)++;
  BOOST_TEST(per_class == std::vector<int>(10, 1000), boost::test_tools::per_element());
  BOOST_TEST(f.paths.front() == (root.path / "test/airplane/0000.jpg").string());
}
