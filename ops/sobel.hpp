// sobel.hpp — the fixed Sobel filter of the IIC Sobel pipeline, as a convolution whose weight
// takes no gradient: [N, 1, H, W] greyscale -> [N, 2, H, W], zero padding 1, cross-correlation,
// channel 0 = d/dx [[1,0,-1],[2,0,-2],[1,0,-1]], channel 1 = d/dy [[1,2,1],[0,0,0],[-1,-2,-1]].
#pragma once
#include "engine/tensor.hpp"

namespace eng {

Tensor sobel(const Tensor& gray);

}  // namespace eng
