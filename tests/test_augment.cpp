// test_augment.cpp — the augmentation ops against hand-computed pixels (crop, PIL-style
// bilinear resize up and down, rotation by multiples of 90 degrees, zero fill, colour formulas
// and clamping), jitter factor ranges and order, the MNIST transforms' shapes, ranges and
// reproducibility, and the error messages.
#define BOOST_TEST_MODULE augment
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "data/augment.hpp"
#include "tests/testing.hpp"

using namespace eng::data;
using eng::Rng;
using testing::contains;
using testing::error_of;

namespace {
Image make(int c, int h, int w, const std::vector<float>& v) {
  Image img(c, h, w);
  BOOST_REQUIRE(v.size() == img.px.size());
  img.px = v;
  return img;
}

// c x h x w image whose pixel values are distinct: (ch*h*w + y*w + x) / (c*h*w).
Image ramp(int c, int h, int w) {
  Image img(c, h, w);
  for (size_t i = 0; i < img.px.size(); ++i) img.px[i] = float(i) / float(img.px.size());
  return img;
}

Image random_image(int c, int h, int w, Rng& rng) {
  Image img(c, h, w);
  for (float& v : img.px) v = rng.uniform();
  return img;
}

void check_pixels(const Image& got, const std::vector<float>& want, float tol,
                  const std::string& what) {
  BOOST_REQUIRE_MESSAGE(got.px.size() == want.size(), what << ": size " << got.px.size());
  for (size_t i = 0; i < want.size(); ++i)
    BOOST_CHECK_MESSAGE(std::fabs(got.px[i] - want[i]) <= tol,
                        what << ": pixel " << i << " is " << got.px[i] << ", expected " << want[i]);
}

}  // namespace

BOOST_AUTO_TEST_CASE(image_from_u8_scales_to_unit_range) {
  const uint8_t px[3] = {0, 51, 255};
  Image img = image_from_u8(px, 1, 1, 3);
  check_pixels(img, {0.0f, 0.2f, 1.0f}, 1e-7f, "from_u8");
}

BOOST_AUTO_TEST_CASE(crop_given_box_and_centre_offsets) {
  Image img = ramp(2, 4, 5);  // value = index / 40
  Image c = crop(img, {1, 2, 2, 3});
  BOOST_TEST(c.c == 2);
  BOOST_TEST(c.h == 2);
  BOOST_TEST(c.w == 3);
  std::vector<float> want;
  for (int ch = 0; ch < 2; ++ch)
    for (int y = 1; y < 3; ++y)
      for (int x = 2; x < 5; ++x) want.push_back(float(ch * 20 + y * 5 + x) / 40.0f);
  check_pixels(c, want, 0.0f, "crop");
  // torchvision CenterCrop: round((H - h) / 2) with Python's ties-to-even
  BOOST_TEST(centre_box(28, 28, 20, 20).top == 4);
  BOOST_TEST(centre_box(5, 5, 2, 2).top == 2);  // round(1.5) = 2
  BOOST_TEST(centre_box(7, 8, 2, 2).top == 2);  // round(2.5) = 2
  BOOST_TEST(centre_box(7, 8, 2, 2).left == 3);
  Image cc = centre_crop(ramp(1, 4, 4), 2, 2);
  check_pixels(cc, {5 / 16.0f, 6 / 16.0f, 9 / 16.0f, 10 / 16.0f}, 0.0f, "centre_crop");
}

BOOST_AUTO_TEST_CASE(random_crop_covers_every_position_uniformly) {
  Rng rng(1);
  std::vector<int> hits(3 * 5, 0);
  for (int i = 0; i < 3000; ++i) {
    Box b = random_box(6, 8, 4, 4, rng);
    BOOST_REQUIRE(b.top >= 0 && b.top <= 2 && b.left >= 0 && b.left <= 4);
    hits[b.top * 5 + b.left]++;
  }
  for (int h : hits) BOOST_TEST((h > 140 && h < 260));  // expected 200 each
  Image img = ramp(1, 6, 8);
  Rng a(5), b(5);
  Image c = random_crop(img, 4, 4, a);
  Box box = random_box(6, 8, 4, 4, b);
  check_pixels(c, crop(img, box).px, 0.0f, "random_crop = crop(random_box)");
}

BOOST_AUTO_TEST_CASE(resize_upscale_2x2_to_4x4_bilinear) {
  // Per axis, output o samples the input at (o + 0.5)/2 - 0.5 = -0.25, 0.25, 0.75, 1.25, edges
  // clamped: weights (1,0), (.75,.25), (.25,.75), (0,1).
  Image img = make(1, 2, 2, {0.0f, 0.4f, 0.8f, 1.0f});
  Image r = resize_bilinear(img, 4, 4);
  check_pixels(r,
               {0.0f, 0.1f, 0.3f, 0.4f,         //
                0.2f, 0.2875f, 0.4625f, 0.55f,  //
                0.6f, 0.6625f, 0.7875f, 0.85f,  //
                0.8f, 0.85f, 0.95f, 1.0f},
               1e-6f, "resize 2x2->4x4");
}

BOOST_AUTO_TEST_CASE(resize_downscale_is_pil_antialiased) {
  // PIL, 4 -> 2: the triangle is widened to support 2; output 0 is centred at 1.0 and takes
  // inputs 0,1,2 with weights .75,.75,.25 (normalised 3/7, 3/7, 1/7); output 1 inputs 1,2,3 with
  // 1/7, 3/7, 3/7.
  Image img = make(1, 1, 4, {0.0f, 0.25f, 0.5f, 0.75f});
  Image r = resize_bilinear(img, 1, 2);
  check_pixels(r, {5.0f / 28, 16.0f / 28}, 1e-6f, "resize 4->2");
  // 20 -> 24 on a constant image stays constant; same size is the identity.
  Image flat(1, 20, 20, 0.3f);
  Image up = resize_bilinear(flat, 24, 24);
  BOOST_TEST(up.h == 24);
  check_pixels(up, std::vector<float>(24 * 24, 0.3f), 1e-6f, "constant");
  Image img2 = ramp(3, 5, 7);
  check_pixels(resize_bilinear(img2, 5, 7), img2.px, 0.0f, "same size");
  // non-square, multi-channel: channels are resized independently
  Image rgb = ramp(3, 2, 2);
  Image big = resize_bilinear(rgb, 4, 3);
  for (int ch = 0; ch < 3; ++ch) {
    Image one =
        make(1, 2, 2, {rgb.at(ch, 0, 0), rgb.at(ch, 0, 1), rgb.at(ch, 1, 0), rgb.at(ch, 1, 1)});
    Image ref = resize_bilinear(one, 4, 3);
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 3; ++x) BOOST_TEST(big.at(ch, y, x) == ref.at(0, y, x));
  }
}

BOOST_AUTO_TEST_CASE(rotation_by_multiples_of_90_degrees) {
  for (int n : {4, 5}) {
    Image img = ramp(2, n, n);
    check_pixels(rotate(img, 0), img.px, 0.0f, "rotate 0 is the identity");
    Image r90 = rotate(img, 90), r270 = rotate(img, -90), r180 = rotate(img, 180);
    for (int ch = 0; ch < 2; ++ch)
      for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x) {
          // +90 is counter-clockwise: transpose, then flip vertically.
          BOOST_TEST(r90.at(ch, y, x) == img.at(ch, x, n - 1 - y));
          BOOST_TEST(r270.at(ch, y, x) == img.at(ch, n - 1 - x, y));
          BOOST_TEST(r180.at(ch, y, x) == img.at(ch, n - 1 - y, n - 1 - x));
        }
    check_pixels(rotate(img, 360), img.px, 0.0f, "rotate 360");
  }
  // A counter-clockwise quarter turn moves the top-right pixel to the top-left.
  Image dot(1, 3, 3, 0.0f);
  dot.at(0, 0, 2) = 1.0f;
  BOOST_TEST(rotate(dot, 90).at(0, 0, 0) == 1.0f);
}

BOOST_AUTO_TEST_CASE(rotation_fills_with_zero_and_samples_bilinearly) {
  Image ones(1, 9, 9, 1.0f);
  Image r = rotate(ones, 45);
  BOOST_TEST(r.at(0, 0, 0) == 0.0f);  // corners map outside the source
  BOOST_TEST(r.at(0, 8, 8) == 0.0f);
  BOOST_TEST(r.at(0, 4, 4) == 1.0f);  // the centre is fixed
  BOOST_TEST(r.at(0, 0, 4) == 1.0f);  // edge midpoints stay inside
  // A 30-degree rotation of a linear ramp in x keeps the value at the centre.
  Image ramp_x(1, 7, 7);
  for (int y = 0; y < 7; ++y)
    for (int x = 0; x < 7; ++x) ramp_x.at(0, y, x) = x / 6.0f;
  BOOST_TEST(std::fabs(rotate(ramp_x, 30).at(0, 3, 3) - 0.5f) < 1e-6f);
  // Source point of output (3, 4) (x, y) for 30 degrees: dx = 0, dy = 1 -> xin = -sin(30) + 3.5,
  // sample at x = 3 - 0.5 = 2.5 -> ramp value 2.5 / 6.
  BOOST_TEST(std::fabs(rotate(ramp_x, 30).at(0, 4, 3) - 2.5f / 6) < 1e-6f);
}

BOOST_AUTO_TEST_CASE(rotation_with_nearest_sampling) {
  Image ramp_x(1, 7, 7);
  for (int y = 0; y < 7; ++y)
    for (int x = 0; x < 7; ++x) ramp_x.at(0, y, x) = x / 6.0f;
  const Image r = rotate(ramp_x, 30, Resample::Nearest);
  // Output (x, y) = (3, 4): source point (-sin 30 + 3.5, cos 30 + 3.5) = (3.0, 4.37), in pixel
  // (3, 4); output (4, 3): (cos 30 + 3.5, sin 30 + 3.5) = (4.37, 4.0), in pixel (4, 4).
  BOOST_TEST(r.at(0, 4, 3) == 3 / 6.0f);
  BOOST_TEST(r.at(0, 3, 4) == 4 / 6.0f);
  BOOST_TEST(r.at(0, 0, 0) == 0.0f);  // a corner maps outside the source
  // No blending: every output value is 0 or one of the source's.
  for (float v : r.px) BOOST_TEST((v == 0.0f || std::fabs(v * 6 - std::round(v * 6)) < 1e-6f));
  // Quarter turns are exact permutations, as with bilinear sampling.
  Image img = ramp(2, 5, 5);
  BOOST_TEST(rotate(img, 90, Resample::Nearest).px == rotate(img, 90).px);
}

BOOST_AUTO_TEST_CASE(flip_and_greyscale) {
  Image img = ramp(2, 2, 3);
  Image f = hflip(img);
  for (int ch = 0; ch < 2; ++ch)
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 3; ++x) BOOST_TEST(f.at(ch, y, x) == img.at(ch, y, 2 - x));
  Image rgb = make(3, 1, 2, {1.0f, 0.0f, 0.5f, 0.0f, 0.25f, 1.0f});
  Image g = to_greyscale(rgb);
  BOOST_TEST(g.c == 1);
  check_pixels(g, {0.299f + 0.2935f + 0.0285f, 0.114f}, 1e-6f, "greyscale");
  check_pixels(to_greyscale(g), g.px, 0.0f, "greyscale of greyscale");
}

BOOST_AUTO_TEST_CASE(brightness_and_contrast_formulas_clamp) {
  Image img = make(1, 1, 4, {0.2f, 0.4f, 0.6f, 1.0f});
  Image b = img;
  adjust_brightness(b, 1.2f);
  check_pixels(b, {0.24f, 0.48f, 0.72f, 1.0f}, 1e-6f, "brightness 1.2");
  b = img;
  adjust_brightness(b, 0.5f);
  check_pixels(b, {0.1f, 0.2f, 0.3f, 0.5f}, 1e-6f, "brightness 0.5");
  Image c = img;  // mean 0.55
  adjust_contrast(c, 2.0f);
  check_pixels(c, {0.0f, 0.25f, 0.65f, 1.0f}, 1e-6f, "contrast 2");
  c = img;
  adjust_contrast(c, 0.0f);
  check_pixels(c, std::vector<float>(4, 0.55f), 1e-6f, "contrast 0");
  // RGB: the pivot is the mean of the greyscale image: grey = (0.299, 0.587) -> mean 0.443
  Image rgb = make(3, 1, 2, {1, 0, 0, 1, 0, 0});
  adjust_contrast(rgb, 0.5f);
  const float m = 0.443f;
  check_pixels(rgb, {(1 - m) / 2 + m, m / 2, m / 2, (1 - m) / 2 + m, m / 2, m / 2}, 1e-6f,
               "contrast rgb");
}

BOOST_AUTO_TEST_CASE(saturation_and_hue) {
  Image rgb = make(3, 1, 1, {1.0f, 0.0f, 0.0f});
  Image s = rgb;
  adjust_saturation(s, 0.0f);
  check_pixels(s, {0.299f, 0.299f, 0.299f}, 1e-6f, "saturation 0");
  Image h = rgb;
  adjust_hue(h, 1.0f / 3);
  check_pixels(h, {0.0f, 1.0f, 0.0f}, 1e-5f, "red + 1/3 turn = green");
  h = rgb;
  adjust_hue(h, -1.0f / 3);
  check_pixels(h, {0.0f, 0.0f, 1.0f}, 1e-5f, "red - 1/3 turn = blue");
  Image mixed = make(3, 1, 1, {0.2f, 0.7f, 0.4f});
  Image m = mixed;
  adjust_hue(m, 0.0f);
  check_pixels(m, mixed.px, 1e-6f, "hue 0");
  Image grey = ramp(1, 2, 2);
  Image g = grey;
  adjust_hue(g, 0.3f);
  adjust_saturation(g, 1.4f);
  check_pixels(g, grey.px, 0.0f, "no-ops on greyscale");
}

BOOST_AUTO_TEST_CASE(jitter_factor_range_and_random_order) {
  ColorJitter brightness_only{0.4f, 0.0f, 0.0f, 0.0f};
  Rng rng(3);
  float lo = 2, hi = 0;
  for (int i = 0; i < 2000; ++i) {
    Image img(1, 2, 2, 0.5f);
    brightness_only.apply(img, rng);
    const float f = img.px[0] / 0.5f;
    lo = std::min(lo, f), hi = std::max(hi, f);
    BOOST_REQUIRE(img.px[3] == img.px[0]);
  }
  BOOST_TEST((lo >= 0.6f && lo < 0.61f));
  BOOST_TEST((hi <= 1.4f && hi > 1.39f));
  // Both components, factors drawn brightness then contrast, then a random order: the result
  // must be one of the two orders, and both orders occur.
  ColorJitter jitter{0.4f, 0.4f, 0.0f, 0.0f};
  const Image img = make(1, 1, 3, {0.0f, 0.5f, 0.95f});
  int brightness_first = 0, contrast_first = 0;
  for (int i = 0; i < 400; ++i) {
    Rng draw(7, i), replay(7, i);
    Image got = img;
    jitter.apply(got, draw);
    const float b = replay.uniform(0.6f, 1.4f), c = replay.uniform(0.6f, 1.4f);
    Image bc = img, cb = img;
    adjust_brightness(bc, b), adjust_contrast(bc, c);
    adjust_contrast(cb, c), adjust_brightness(cb, b);
    const bool is_bc = bc.px == got.px, is_cb = cb.px == got.px;
    BOOST_REQUIRE(is_bc || is_cb);
    brightness_first += is_bc && !is_cb;
    contrast_first += is_cb && !is_bc;
  }
  BOOST_TEST(brightness_first > 100);
  BOOST_TEST(contrast_first > 100);
}

BOOST_AUTO_TEST_CASE(mnist_transforms_shapes_ranges_reproducibility) {
  Rng data_rng(11);
  const Image digit = random_image(1, 28, 28, data_rng);
  std::set<float> first_pixels;
  for (int i = 0; i < 50; ++i) {
    Rng a(100, i), b(100, i);
    Image t1 = mnist_tf1(digit, a), t2 = mnist_tf2(digit, a);
    BOOST_REQUIRE((t1.c == 1 && t1.h == 24 && t1.w == 24));
    BOOST_REQUIRE((t2.c == 1 && t2.h == 24 && t2.w == 24));
    for (float v : t1.px) BOOST_REQUIRE((v >= 0.0f && v <= 1.0f));
    for (float v : t2.px) BOOST_REQUIRE((v >= 0.0f && v <= 1.0f));
    BOOST_REQUIRE(mnist_tf1(digit, b).px == t1.px);  // same stream, same result
    BOOST_REQUIRE(mnist_tf2(digit, b).px == t2.px);
    first_pixels.insert(t2.px[0]);
  }
  BOOST_TEST(first_pixels.size() > 40u);  // different streams, different draws
  Image t3 = mnist_tf3(digit);
  check_pixels(t3, resize_bilinear(centre_crop(digit, 20, 20), 24, 24).px, 1e-6f, "tf3");
  TransformSet set = mnist_transforms();
  BOOST_TEST((set.out_c == 1 && set.out_h == 24 && set.out_w == 24));
  Rng r(0);
  check_pixels(set.tf3(digit, r), t3.px, 0.0f, "set.tf3");
  // tf1 is a 20x20 crop (random or centre) resized: of a constant image, a constant image
  Image flat(1, 28, 28, 0.7f);
  Image f1 = mnist_tf1(flat, r);
  check_pixels(f1, std::vector<float>(24 * 24, 0.7f), 1e-6f, "tf1 of a constant");
  // The nearest-rotation set (authors-code recipe): tf2 draws the same choices from the same
  // stream, and differs from the bilinear one exactly when the draw rotates.
  TransformSet nearest = mnist_transforms({Resample::Nearest});
  int rotated = 0, same = 0;
  for (int i = 0; i < 40; ++i) {
    Rng a(200, i), b(200, i), c(200, i);
    const bool rotates = c.bernoulli(0.5f);
    const bool equal = nearest.tf2(digit, a).px == set.tf2(digit, b).px;
    BOOST_TEST(equal == !rotates);
    rotated += rotates, same += equal;
  }
  BOOST_TEST((rotated > 5 && same > 5));
  // The defaults are the protocol's crops; other crop sides change what tf2 draws.
  const TransformSet explicit_set = mnist_transforms({Resample::Bilinear, {16, 20, 24}});
  const TransformSet large = mnist_transforms({Resample::Bilinear, {20, 24}});
  int differ = 0;
  for (int i = 0; i < 20; ++i) {
    Rng a(300, i), b(300, i), c(300, i);
    const std::vector<float> px = set.tf2(digit, a).px;
    BOOST_TEST((explicit_set.tf2(digit, b).px == px));
    differ += large.tf2(digit, c).px != px;
  }
  BOOST_TEST(differ > 5);
  testing::expect_error(
      [] {
        mnist_transforms({Resample::Bilinear, {}});
      },
      {"mnist_transforms", "no tf2 crop sides"});
  testing::expect_error(
      [] {
        mnist_transforms({Resample::Bilinear, {20, 29}});
      },
      {"tf2 crop side 29", "outside [1, 28]"});
}

BOOST_AUTO_TEST_CASE(bad_input_is_reported) {
  Image img = ramp(1, 4, 4);
  BOOST_TEST(contains(error_of([&] {
                        crop(img, {2, 0, 3, 3});
                      }),
                      "crop: box (top 2, left 0, 3x3) is not inside the 4x4 image"));
  BOOST_TEST(contains(error_of([&] { centre_crop(img, 5, 5); }),
                      "centre_crop: crop 5x5 does not fit a 4x4 image"));
  Rng rng(0);
  BOOST_TEST(contains(error_of([&] { random_crop(img, 2, 6, rng); }),
                      "random_crop: crop 2x6 does not fit a 4x4 image"));
  BOOST_TEST(contains(error_of([&] { resize_bilinear(img, 0, 3); }),
                      "resize_bilinear: cannot resize a 1x4x4 image to 0x3"));
  Image two(2, 2, 2);
  BOOST_TEST(contains(error_of([&] { adjust_contrast(two, 1.0f); }),
                      "adjust_contrast: needs a greyscale (C=1) or RGB (C=3) image, got C=2"));
  BOOST_TEST(contains(error_of([&] { adjust_brightness(img, -1.0f); }),
                      "adjust_brightness: factor must be >= 0, got -1"));
  BOOST_TEST(contains(error_of([] { Image(0, 3, 3); }), "image: bad dimensions 0x3x3"));
  BOOST_TEST(contains(error_of([] { rotate(Image(), 10); }), "rotate: empty image"));
}
