// sobel.cpp — the IIC Sobel filter (see sobel.hpp): a [2,1,3,3] constant weight, built on the
// input's device and never requiring grad, applied by conv2d with padding 1 and no bias, so the
// gradient flows to the greyscale input only.
#include "ops/sobel.hpp"

#include "ops/conv2d.hpp"

namespace eng {

Tensor sobel(const Tensor& gray) {
  ENG_CHECK(gray.defined(), "sobel", "input is undefined");
  ENG_CHECK(gray.ndim() == 4 && gray.size(1) == 1, "sobel",
            "input must be [N, 1, H, W] greyscale, got ", shape_str(gray.shape()));
  static const std::vector<float> kWeights = {
      1, 0, -1, 2, 0, -2, 1,  0,  -1,  // channel 0: d/dx
      1, 2, 1,  0, 0, 0,  -1, -2, -1,  // channel 1: d/dy
  };
  Tensor w = Tensor::from_vector({2, 1, 3, 3}, kWeights, gray.device());
  return conv2d(gray, w, Tensor(), Conv2dParams::square(1, 1));
}

}  // namespace eng
