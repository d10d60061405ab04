// augment.hpp — image operations for data augmentation on float images in [0, 1], and the
// authors' MNIST transforms tf1 / tf2 / tf3 (protocol.md, "Augmentation").
//
// Conventions (those of PIL, which torchvision used for the published runs):
//  - Image: C planes of H x W floats, CHW order, values in [0, 1]. Any C for the geometric ops;
//    C = 1 (greyscale) or 3 (RGB) for the colour ops.
//  - Pixel (x, y) covers [x, x+1) x [y, y+1); its centre is (x + 0.5, y + 0.5) (align_corners =
//    False).
//  - resize_bilinear is PIL's separable triangle filter: output pixel o samples the input at
//    (o + 0.5) * in/out - 0.5; when upscaling this is plain bilinear interpolation with edge
//    clamping, when downscaling the triangle is widened by in/out (antialiasing, like PIL).
//  - rotate(img, deg) is PIL's img.rotate(deg, BILINEAR): counter-clockwise for positive deg,
//    about the centre (W/2, H/2), same canvas size; a point that maps outside the source image is
//    0, inside it is bilinearly sampled with edges clamped. With Resample::Nearest it is
//    img.rotate(deg, NEAREST) (torchvision's RandomRotation default, which the authors' code
//    used): the source pixel that contains the point.
//  - Centre crop offsets are round((H - th) / 2) with ties to even (torchvision CenterCrop);
//    random crop offsets are uniform over all positions that fit (torchvision RandomCrop).
//  - Colour jitter follows torchvision's ColorJitter: factors b ~ U[max(0, 1-B), 1+B],
//    c ~ U[max(0, 1-C), 1+C], s ~ U[max(0, 1-S), 1+S], hue shift ~ U[-H, H], the enabled ones
//    applied in random order, each clamping to [0, 1]: brightness img*b; contrast
//    (img - mean(grey(img)))*c + mean; saturation grey + s*(img - grey); hue rotates the HSV hue.
//  - Greyscale is 0.299 R + 0.587 G + 0.114 B.
// Every random choice draws from the eng::Rng passed in, so a fixed stream gives a fixed result.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "engine/rng.hpp"

namespace eng::data {

struct Image {
  int c = 0, h = 0, w = 0;
  std::vector<float> px;  // c * h * w values, CHW
  Image() = default;
  Image(int c, int h, int w, float fill = 0.0f);
  float* plane(int ch) { return px.data() + size_t(ch) * h * w; }
  const float* plane(int ch) const { return px.data() + size_t(ch) * h * w; }
  float& at(int ch, int y, int x) { return plane(ch)[size_t(y) * w + x]; }
  float at(int ch, int y, int x) const { return plane(ch)[size_t(y) * w + x]; }
};

// uint8 CHW pixels -> floats in [0, 1] (divided by 255, like ToTensor).
Image image_from_u8(const uint8_t* chw, int c, int h, int w);

// Geometry.
struct Box {
  int top = 0, left = 0, height = 0, width = 0;
};
Box centre_box(int h, int w, int crop_h, int crop_w);
Box random_box(int h, int w, int crop_h, int crop_w, Rng& rng);
Image crop(const Image& img, const Box& box);  // the box must lie inside the image
Image centre_crop(const Image& img, int crop_h, int crop_w);
Image random_crop(const Image& img, int crop_h, int crop_w, Rng& rng);
Image resize_bilinear(const Image& img, int out_h, int out_w);
enum class Resample { Bilinear, Nearest };
Image rotate(const Image& img, double degrees, Resample filter = Resample::Bilinear);
Image hflip(const Image& img);

// Colour (in place, clamped to [0, 1]).
Image to_greyscale(const Image& img);  // C = 3 -> 1; C = 1 is returned unchanged
void adjust_brightness(Image& img, float factor);
void adjust_contrast(Image& img, float factor);
void adjust_saturation(Image& img, float factor);  // no-op on greyscale
void adjust_hue(Image& img, float shift);          // shift in turns, [-0.5, 0.5]; no-op on grey

struct ColorJitter {
  float brightness = 0, contrast = 0, saturation = 0, hue = 0;  // 0 disables a component
  void apply(Image& img, Rng& rng) const;
};

// A transform draws its randomness from the stream it is given (tf3 draws none).
using Transform = std::function<Image(const Image&, Rng&)>;
struct TransformSet {
  Transform tf1, tf2, tf3;
  int out_c = 0, out_h = 0, out_w = 0;  // the shape every transform returns
};

// MNIST (greyscale pipeline of protocol.md), on a 1 x H x W image:
//  tf1: with probability 1/2 a random, else a centre, 20x20 crop; resize to 24x24.
//  tf2: with probability 1/2 a rotation by U[-25, 25] degrees (sampled with `rotation`:
//       bilinear by default, nearest as in the authors' released code); a random crop of side
//       drawn uniformly from `tf2_crops` ({16, 20, 24}); resize to 24x24; colour jitter
//       (brightness 0.4, contrast 0.4).
//  tf3: centre crop 20, resize to 24.
// MnistAugment holds tf2's choices; its defaults are the protocol's. Empty tf2_crops or a side
// outside [1, 28] is an Error naming it.
struct MnistAugment {
  Resample rotation = Resample::Bilinear;
  std::vector<int> tf2_crops = {16, 20, 24};
};
Image mnist_tf1(const Image& img, Rng& rng);
Image mnist_tf2(const Image& img, Rng& rng, const MnistAugment& aug = {});
Image mnist_tf3(const Image& img);
TransformSet mnist_transforms(const MnistAugment& aug = {});

}  // namespace eng::data
