// augment_sobel.hpp — the image transforms of the Sobel pipeline (protocol.md, "CIFAR and STL"):
// colour images in, ONE greyscale channel out. The fixed Sobel step (greyscale -> 2 gradient
// channels) runs on the whole batch inside the network (models/clusternet5g.hpp, sobel = true),
// so the loader, the trainer and evaluation stay the same for every pipeline.
//
//  tf1: random crop (crop x crop), resize to input x input, greyscale.
//  tf2: random crop of the same size, resize, random horizontal flip (p = 1/2), colour jitter
//       (brightness 0.4, contrast 0.4, saturation 0.4, hue 0.125, random order) on the RGB
//       image, greyscale.
//  tf3: centre crop, resize, greyscale.
// Draw order in tf2: crop offsets, flip, jitter (augment.hpp). Inputs may be RGB (C = 3) or
// already greyscale (C = 1: saturation and hue then do nothing). Greyscale is
// 0.299 R + 0.587 G + 0.114 B. The crop must fit the image (else eng::Error from the crop).
#pragma once
#include "data/augment.hpp"

namespace eng::data {

struct SobelPipeline {
  int crop = 20;     // crop side
  int input = 32;    // network input side (resize target)
  bool flip = true;  // tf2's random horizontal flip
  ColorJitter jitter{0.4f, 0.4f, 0.4f, 0.125f};
};

SobelPipeline cifar_sobel_pipeline();  // 32x32 images: crop 20, resize to 32
SobelPipeline stl10_sobel_pipeline();  // 96x96 images: crop 64, "resize" to 64

Image sobel_tf1(const Image& img, const SobelPipeline& p, Rng& rng);
Image sobel_tf2(const Image& img, const SobelPipeline& p, Rng& rng);
Image sobel_tf3(const Image& img, const SobelPipeline& p);
// The three as a TransformSet of 1 x input x input images.
TransformSet sobel_transforms(const SobelPipeline& p);

}  // namespace eng::data
