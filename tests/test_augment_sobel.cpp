// test_augment_sobel.cpp — the Sobel pipeline's tf1 / tf2 / tf3 (CIFAR: crop 20 -> 32, STL:
// crop 64 -> 64): each equals the composition of augment.hpp's ops that protocol.md describes,
// drawn from the same random stream in the documented order; shapes, value range, the flip and
// the jitter really vary across draws; greyscale input works; errors name the problem.
#define BOOST_TEST_MODULE augment_sobel
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <set>
#include <string>

#include "data/augment_sobel.hpp"
#include "temp_files.hpp"

using namespace eng::data;
using eng::Rng;
using testing::contains;
using testing::error_of;

namespace {
Image random_image(int c, int h, int w, Rng& rng) {
  Image img(c, h, w);
  for (float& v : img.px) v = rng.uniform();
  return img;
}

void check_same(const Image& a, const Image& b, const std::string& what) {
  BOOST_REQUIRE_MESSAGE(a.c == b.c && a.h == b.h && a.w == b.w, what << ": shapes differ");
  for (size_t i = 0; i < a.px.size(); ++i)
    if (a.px[i] != b.px[i])
      BOOST_FAIL(what << ": pixel " << i << " " << a.px[i] << " vs " << b.px[i]);
}
}  // namespace

BOOST_AUTO_TEST_CASE(cifar_transforms_are_the_protocol_composition) {
  Rng data(1);
  const Image img = random_image(3, 32, 32, data);
  const SobelPipeline p = cifar_sobel_pipeline();
  BOOST_TEST(p.crop == 20);
  BOOST_TEST(p.input == 32);
  for (uint64_t seed = 0; seed < 20; ++seed) {
    Rng a(seed, 3), b(seed, 3);
    check_same(sobel_tf1(img, p, a),
               to_greyscale(resize_bilinear(random_crop(img, 20, 20, b), 32, 32)), "tf1");
    BOOST_TEST(a.next_u64() == b.next_u64());  // same number of draws

    Rng c(seed, 4), d(seed, 4);
    Image want = resize_bilinear(random_crop(img, 20, 20, d), 32, 32);
    if (d.bernoulli(0.5f)) want = hflip(want);
    ColorJitter{0.4f, 0.4f, 0.4f, 0.125f}.apply(want, d);
    check_same(sobel_tf2(img, p, c), to_greyscale(want), "tf2");
    BOOST_TEST(c.next_u64() == d.next_u64());
  }
  check_same(sobel_tf3(img, p), to_greyscale(resize_bilinear(centre_crop(img, 20, 20), 32, 32)),
             "tf3");
  const TransformSet t = sobel_transforms(p);
  BOOST_TEST(t.out_c == 1);
  BOOST_TEST(t.out_h == 32);
  BOOST_TEST(t.out_w == 32);
  Rng e(9, 1), f(9, 1);
  check_same(t.tf2(img, e), sobel_tf2(img, p, f), "TransformSet.tf2");
  check_same(t.tf3(img, e), sobel_tf3(img, p), "TransformSet.tf3");
}

BOOST_AUTO_TEST_CASE(stl_transforms_crop_64_without_rescaling) {
  Rng data(2);
  const Image img = random_image(3, 96, 96, data);
  const SobelPipeline p = stl10_sobel_pipeline();
  Rng a(3), b(3);
  const Image got = sobel_tf1(img, p, a);
  BOOST_TEST(got.c == 1);
  BOOST_TEST(got.h == 64);
  BOOST_TEST(got.w == 64);
  check_same(got, to_greyscale(random_crop(img, 64, 64, b)), "stl tf1 = crop + greyscale");
  check_same(sobel_tf3(img, p), to_greyscale(centre_crop(img, 64, 64)), "stl tf3");
}

BOOST_AUTO_TEST_CASE(tf2_draws_vary_flip_and_colour) {
  // An image that is bright on the left: a flip moves the brightness to the right.
  Image img(3, 32, 32, 0.1f);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 16; ++x) img.at(c, y, x) = 0.2f + 0.02f * c;
  const SobelPipeline p = cifar_sobel_pipeline();
  int flipped = 0;
  std::set<float> means;
  for (uint64_t s = 0; s < 200; ++s) {
    Rng rng(s, 7);
    const Image out = sobel_tf2(img, p, rng);
    double left = 0, right = 0, sum = 0;
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 32; ++x)
        (x < 16 ? left : right) += out.at(0, y, x), sum += out.at(0, y, x);
    flipped += right > left;
    means.insert(float(sum));
    for (float v : out.px) BOOST_REQUIRE(v >= 0.0f && v <= 1.0f);
  }
  BOOST_TEST(flipped > 70);  // p = 1/2 over 200 draws: far from both 0 and 200
  BOOST_TEST(flipped < 130);
  BOOST_TEST(means.size() > 150u);  // brightness / contrast change every draw
}

BOOST_AUTO_TEST_CASE(greyscale_inputs_and_errors) {
  Rng data(4);
  const Image grey = random_image(1, 32, 32, data);
  Rng a(1);
  const Image out = sobel_tf2(grey, cifar_sobel_pipeline(), a);
  BOOST_TEST(out.c == 1);
  BOOST_TEST(out.h == 32);

  Rng b(1);
  const Image small = random_image(3, 16, 16, data);
  BOOST_TEST(contains(error_of([&] { sobel_tf1(small, cifar_sobel_pipeline(), b); }),
                      "random_crop: crop 20x20 does not fit a 16x16 image"));
  BOOST_TEST(contains(error_of([&] { sobel_tf3(small, cifar_sobel_pipeline()); }),
                      "centre_crop: crop 20x20 does not fit a 16x16 image"));
  SobelPipeline bad;
  bad.input = 0;
  BOOST_TEST(
      contains(error_of([&] { sobel_transforms(bad); }),
               "sobel pipeline: crop and input sides must be positive, got crop 20, input 0"));
  const Image two(2, 32, 32);
  BOOST_TEST(contains(error_of([&] { sobel_tf3(two, cifar_sobel_pipeline()); }),
                      "needs a greyscale (C=1) or RGB (C=3) image, got C=2"));
}
