// augment.cpp — the image operations and the MNIST transforms (conventions in augment.hpp).
#include "data/augment.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "engine/error.hpp"

namespace eng::data {
namespace {
float clamp01(float v) { return std::min(1.0f, std::max(0.0f, v)); }

void check_colour(const char* op, const Image& img) {
  ENG_CHECK(img.c == 1 || img.c == 3, op,
            "needs a greyscale (C=1) or RGB (C=3) image, got C=", img.c);
}

// Mean of the greyscale version of the image (the contrast pivot).
double grey_mean(const Image& img) {
  Image g = to_greyscale(img);
  double sum = 0;
  for (float v : g.px) sum += v;
  return g.px.empty() ? 0.0 : sum / double(g.px.size());
}

// PIL's resampling coefficients for one axis (ImagingResample, bilinear = triangle filter of
// support 1, widened by the scale when downscaling).
struct Taps {
  int max_taps = 0;
  std::vector<int> first, count;  // per output position
  std::vector<float> weight;      // [out, max_taps]
};

Taps bilinear_taps(int in, int out) {
  const double scale = double(in) / out, filter_scale = std::max(scale, 1.0);
  const double support = filter_scale;
  Taps t;
  t.max_taps = int(std::ceil(support)) * 2 + 1;
  t.first.resize(out), t.count.resize(out), t.weight.assign(size_t(out) * t.max_taps, 0.0f);
  std::vector<double> w(t.max_taps);
  for (int o = 0; o < out; ++o) {
    const double centre = (o + 0.5) * scale;
    const int lo = std::max(int(centre - support + 0.5), 0);
    const int n = std::min(int(centre + support + 0.5), in) - lo;
    double total = 0;
    for (int k = 0; k < n; ++k) {
      double d = std::fabs((lo + k - centre + 0.5) / filter_scale);
      w[k] = d < 1.0 ? 1.0 - d : 0.0;
      total += w[k];
    }
    t.first[o] = lo, t.count[o] = n;
    for (int k = 0; k < n; ++k) t.weight[size_t(o) * t.max_taps + k] = float(w[k] / total);
  }
  return t;
}

// dst[o * dst_stride] = sum_k w * src[(first + k) * src_stride], for `lines` independent lines.
void resample_axis(const float* src, float* dst, const Taps& t, int out, int lines,
                   ptrdiff_t src_stride, ptrdiff_t src_line, ptrdiff_t dst_stride,
                   ptrdiff_t dst_line) {
  for (int l = 0; l < lines; ++l) {
    const float* s = src + l * src_line;
    float* d = dst + l * dst_line;
    for (int o = 0; o < out; ++o) {
      const float* w = &t.weight[size_t(o) * t.max_taps];
      float acc = 0;
      for (int k = 0; k < t.count[o]; ++k) acc += w[k] * s[(t.first[o] + k) * src_stride];
      d[o * dst_stride] = acc;
    }
  }
}

void rgb_to_hsv(float r, float g, float b, float& h, float& s, float& v) {
  const float mx = std::max({r, g, b}), mn = std::min({r, g, b}), d = mx - mn;
  v = mx;
  s = mx > 0 ? d / mx : 0.0f;
  if (d <= 0) {
    h = 0;
    return;
  }
  if (mx == r)
    h = (g - b) / d;
  else if (mx == g)
    h = (b - r) / d + 2.0f;
  else
    h = (r - g) / d + 4.0f;
  h /= 6.0f;
  h -= std::floor(h);
}

void hsv_to_rgb(float h, float s, float v, float& r, float& g, float& b) {
  const float h6 = h * 6.0f;
  const int i = int(std::floor(h6)) % 6;
  const float f = h6 - std::floor(h6);
  const float p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  switch (i) {
    case 0:
      r = v, g = t, b = p;
      break;
    case 1:
      r = q, g = v, b = p;
      break;
    case 2:
      r = p, g = v, b = t;
      break;
    case 3:
      r = p, g = q, b = v;
      break;
    case 4:
      r = t, g = p, b = v;
      break;
    default:
      r = v, g = p, b = q;
      break;
  }
}
}  // namespace

Image::Image(int c_, int h_, int w_, float fill) : c(c_), h(h_), w(w_) {
  ENG_CHECK(c_ > 0 && h_ > 0 && w_ > 0, "image", "bad dimensions ", c_, "x", h_, "x", w_);
  px.assign(size_t(c_) * h_ * w_, fill);
}

Image image_from_u8(const uint8_t* chw, int c, int h, int w) {
  Image img(c, h, w);
  for (size_t i = 0; i < img.px.size(); ++i) img.px[i] = chw[i] / 255.0f;  // exactly ToTensor
  return img;
}

// ---- geometry -----------------------------------------------------------------------------

Box centre_box(int h, int w, int crop_h, int crop_w) {
  ENG_CHECK(crop_h > 0 && crop_w > 0 && crop_h <= h && crop_w <= w, "centre_crop", "crop ", crop_h,
            "x", crop_w, " does not fit a ", h, "x", w, " image");
  // Python's round(): halves go to even, which std::nearbyint does in the default mode.
  return {int(std::nearbyint((h - crop_h) / 2.0)), int(std::nearbyint((w - crop_w) / 2.0)), crop_h,
          crop_w};
}

Box random_box(int h, int w, int crop_h, int crop_w, Rng& rng) {
  ENG_CHECK(crop_h > 0 && crop_w > 0 && crop_h <= h && crop_w <= w, "random_crop", "crop ", crop_h,
            "x", crop_w, " does not fit a ", h, "x", w, " image");
  int top = int(rng.randint(h - crop_h + 1));
  int left = int(rng.randint(w - crop_w + 1));
  return {top, left, crop_h, crop_w};
}

Image crop(const Image& img, const Box& b) {
  ENG_CHECK(b.height > 0 && b.width > 0 && b.top >= 0 && b.left >= 0 && b.top + b.height <= img.h &&
                b.left + b.width <= img.w,
            "crop", "box (top ", b.top, ", left ", b.left, ", ", b.height, "x", b.width,
            ") is not inside the ", img.h, "x", img.w, " image");
  Image out(img.c, b.height, b.width);
  for (int ch = 0; ch < img.c; ++ch)
    for (int y = 0; y < b.height; ++y)
      std::copy_n(img.plane(ch) + size_t(b.top + y) * img.w + b.left, b.width, &out.at(ch, y, 0));
  return out;
}

Image centre_crop(const Image& img, int crop_h, int crop_w) {
  return crop(img, centre_box(img.h, img.w, crop_h, crop_w));
}

Image random_crop(const Image& img, int crop_h, int crop_w, Rng& rng) {
  return crop(img, random_box(img.h, img.w, crop_h, crop_w, rng));
}

Image resize_bilinear(const Image& img, int out_h, int out_w) {
  ENG_CHECK(out_h > 0 && out_w > 0 && !img.px.empty(), "resize_bilinear", "cannot resize a ", img.c,
            "x", img.h, "x", img.w, " image to ", out_h, "x", out_w);
  Image wide = img;  // horizontal pass first, then vertical, like PIL
  if (out_w != img.w) {
    wide = Image(img.c, img.h, out_w);
    resample_axis(img.px.data(), wide.px.data(), bilinear_taps(img.w, out_w), out_w, img.c * img.h,
                  1, img.w, 1, out_w);
  }
  if (out_h == img.h) return wide;
  Image out(img.c, out_h, out_w);
  const Taps t = bilinear_taps(img.h, out_h);
  for (int ch = 0; ch < img.c; ++ch)
    resample_axis(wide.plane(ch), out.plane(ch), t, out_h, out_w, out_w, 1, out_w, 1);
  return out;
}

Image rotate(const Image& img, double degrees, Resample filter) {
  ENG_CHECK(!img.px.empty(), "rotate", "empty image");
  // PIL rounds the matrix to 15 decimals, which makes multiples of 90 degrees exact.
  auto round15 = [](double v) { return std::round(v * 1e15) / 1e15; };
  const double a = degrees * (M_PI / 180.0);
  const double ca = round15(std::cos(a)), sa = round15(std::sin(a));
  const double cx = img.w / 2.0, cy = img.h / 2.0;
  Image out(img.c, img.h, img.w, 0.0f);
  for (int y = 0; y < img.h; ++y)
    for (int x = 0; x < img.w; ++x) {
      // Source point of the output pixel centre (inverse rotation; y points down).
      const double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
      const double xin = ca * dx - sa * dy + cx, yin = sa * dx + ca * dy + cy;
      if (xin < 0 || xin >= img.w || yin < 0 || yin >= img.h) continue;  // zero fill
      if (filter == Resample::Nearest) {  // the pixel whose square contains the point
        for (int ch = 0; ch < img.c; ++ch) out.at(ch, y, x) = img.at(ch, int(yin), int(xin));
        continue;
      }
      const double xs = xin - 0.5, ys = yin - 0.5;
      const int x0 = int(std::floor(xs)), y0 = int(std::floor(ys));
      const float fx = float(xs - x0), fy = float(ys - y0);
      const int xa = std::max(x0, 0), xb = std::min(x0 + 1, img.w - 1);
      const int ya = std::max(y0, 0), yb = std::min(y0 + 1, img.h - 1);
      for (int ch = 0; ch < img.c; ++ch) {
        const float top = img.at(ch, ya, xa) + fx * (img.at(ch, ya, xb) - img.at(ch, ya, xa));
        const float bot = img.at(ch, yb, xa) + fx * (img.at(ch, yb, xb) - img.at(ch, yb, xa));
        out.at(ch, y, x) = top + fy * (bot - top);
      }
    }
  return out;
}

Image hflip(const Image& img) {
  Image out = img;
  for (int ch = 0; ch < img.c; ++ch)
    for (int y = 0; y < img.h; ++y) std::reverse(&out.at(ch, y, 0), &out.at(ch, y, 0) + img.w);
  return out;
}

// ---- colour -------------------------------------------------------------------------------

Image to_greyscale(const Image& img) {
  check_colour("to_greyscale", img);
  if (img.c == 1) return img;
  Image out(1, img.h, img.w);
  const float *r = img.plane(0), *g = img.plane(1), *b = img.plane(2);
  for (size_t i = 0; i < out.px.size(); ++i)
    out.px[i] = 0.299f * r[i] + 0.587f * g[i] + 0.114f * b[i];
  return out;
}

void adjust_brightness(Image& img, float factor) {
  ENG_CHECK(factor >= 0, "adjust_brightness", "factor must be >= 0, got ", factor);
  for (float& v : img.px) v = clamp01(v * factor);
}

void adjust_contrast(Image& img, float factor) {
  ENG_CHECK(factor >= 0, "adjust_contrast", "factor must be >= 0, got ", factor);
  check_colour("adjust_contrast", img);
  const float mean = float(grey_mean(img));
  for (float& v : img.px) v = clamp01((v - mean) * factor + mean);
}

void adjust_saturation(Image& img, float factor) {
  ENG_CHECK(factor >= 0, "adjust_saturation", "factor must be >= 0, got ", factor);
  check_colour("adjust_saturation", img);
  if (img.c == 1) return;
  const Image grey = to_greyscale(img);
  for (int ch = 0; ch < 3; ++ch) {
    float* p = img.plane(ch);
    for (size_t i = 0; i < grey.px.size(); ++i)
      p[i] = clamp01(grey.px[i] + factor * (p[i] - grey.px[i]));
  }
}

void adjust_hue(Image& img, float shift) {
  ENG_CHECK(shift >= -0.5f && shift <= 0.5f, "adjust_hue", "shift must be in [-0.5, 0.5], got ",
            shift);
  check_colour("adjust_hue", img);
  if (img.c == 1) return;
  float *r = img.plane(0), *g = img.plane(1), *b = img.plane(2);
  for (size_t i = 0; i < size_t(img.h) * img.w; ++i) {
    float h, s, v;
    rgb_to_hsv(r[i], g[i], b[i], h, s, v);
    h += shift;
    h -= std::floor(h);
    hsv_to_rgb(h, s, v, r[i], g[i], b[i]);
  }
}

void ColorJitter::apply(Image& img, Rng& rng) const {
  enum Kind { kBrightness, kContrast, kSaturation, kHue };
  struct Step {
    Kind kind;
    float value;
  };
  Step steps[4];
  int n = 0;
  auto factor = [&rng](float amount) {
    return rng.uniform(std::max(0.0f, 1 - amount), 1 + amount);
  };
  if (brightness > 0) steps[n++] = {kBrightness, factor(brightness)};
  if (contrast > 0) steps[n++] = {kContrast, factor(contrast)};
  if (saturation > 0) steps[n++] = {kSaturation, factor(saturation)};
  if (hue > 0) steps[n++] = {kHue, rng.uniform(-hue, hue)};
  for (int i = n - 1; i > 0; --i) std::swap(steps[i], steps[rng.randint(i + 1)]);  // shuffle
  for (int i = 0; i < n; ++i) switch (steps[i].kind) {
      case kBrightness:
        adjust_brightness(img, steps[i].value);
        break;
      case kContrast:
        adjust_contrast(img, steps[i].value);
        break;
      case kSaturation:
        adjust_saturation(img, steps[i].value);
        break;
      case kHue:
        adjust_hue(img, steps[i].value);
        break;
    }
}

// ---- the MNIST transforms (protocol.md) -----------------------------------------------------

namespace {
constexpr int kMnistCrop = 20;                               // tf1 / tf3 crop side
constexpr int kMnistInput = 24;                              // network input side
constexpr float kMnistRotation = 25;                         // tf2 rotation range, degrees
constexpr ColorJitter kMnistJitter{0.4f, 0.4f, 0.0f, 0.0f};  // sat./hue: no-ops on greyscale
}  // namespace

Image mnist_tf1(const Image& img, Rng& rng) {
  Image c = rng.bernoulli(0.5f) ? random_crop(img, kMnistCrop, kMnistCrop, rng)
                                : centre_crop(img, kMnistCrop, kMnistCrop);
  return resize_bilinear(c, kMnistInput, kMnistInput);
}

Image mnist_tf2(const Image& img, Rng& rng, const MnistAugment& aug) {
  ENG_CHECK(!aug.tf2_crops.empty(), "mnist_tf2", "no tf2 crop sides given");
  Image rotated;
  if (rng.bernoulli(0.5f))
    rotated = rotate(img, rng.uniform(-kMnistRotation, kMnistRotation), aug.rotation);
  const Image& src = rotated.px.empty() ? img : rotated;
  const int side = aug.tf2_crops[rng.randint(int64_t(aug.tf2_crops.size()))];
  Image out = resize_bilinear(random_crop(src, side, side, rng), kMnistInput, kMnistInput);
  kMnistJitter.apply(out, rng);
  return out;
}

Image mnist_tf3(const Image& img) {
  return resize_bilinear(centre_crop(img, kMnistCrop, kMnistCrop), kMnistInput, kMnistInput);
}

TransformSet mnist_transforms(const MnistAugment& aug) {
  ENG_CHECK(!aug.tf2_crops.empty(), "mnist_transforms", "no tf2 crop sides given");
  for (int side : aug.tf2_crops)
    ENG_CHECK(side >= 1 && side <= 28, "mnist_transforms", "tf2 crop side ", side,
              " is outside [1, 28] (MNIST images are 28x28)");
  return {mnist_tf1,
          [aug](const Image& img, Rng& rng) { return mnist_tf2(img, rng, aug); },
          [](const Image& img, Rng&) { return mnist_tf3(img); },
          1,
          kMnistInput,
          kMnistInput};
}

}  // namespace eng::data
