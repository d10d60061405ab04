// augment_sobel.cpp — tf1 / tf2 / tf3 of the Sobel pipeline (see augment_sobel.hpp).
#include "data/augment_sobel.hpp"

#include "engine/error.hpp"

namespace eng::data {
namespace {
void check_pipeline(const SobelPipeline& p) {
  ENG_CHECK(p.crop > 0 && p.input > 0, "sobel pipeline", "crop and input sides must be positive, ",
            "got crop ", p.crop, ", input ", p.input);
}
}  // namespace

SobelPipeline cifar_sobel_pipeline() { return SobelPipeline{20, 32}; }
SobelPipeline stl10_sobel_pipeline() { return SobelPipeline{64, 64}; }

Image sobel_tf1(const Image& img, const SobelPipeline& p, Rng& rng) {
  check_pipeline(p);
  return to_greyscale(resize_bilinear(random_crop(img, p.crop, p.crop, rng), p.input, p.input));
}

Image sobel_tf2(const Image& img, const SobelPipeline& p, Rng& rng) {
  check_pipeline(p);
  Image out = resize_bilinear(random_crop(img, p.crop, p.crop, rng), p.input, p.input);
  if (p.flip && rng.bernoulli(0.5f)) out = hflip(out);
  p.jitter.apply(out, rng);
  return to_greyscale(out);
}

Image sobel_tf3(const Image& img, const SobelPipeline& p) {
  check_pipeline(p);
  return to_greyscale(resize_bilinear(centre_crop(img, p.crop, p.crop), p.input, p.input));
}

TransformSet sobel_transforms(const SobelPipeline& p) {
  check_pipeline(p);
  return {[p](const Image& img, Rng& rng) { return sobel_tf1(img, p, rng); },
          [p](const Image& img, Rng& rng) { return sobel_tf2(img, p, rng); },
          [p](const Image& img, Rng&) { return sobel_tf3(img, p); },
          1,
          p.input,
          p.input};
}

}  // namespace eng::data
