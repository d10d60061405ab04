// softmax.hpp — softmax over one dimension (the classes), forward + backward.
//   y = exp(x - max) / sum exp(x - max) along dim;  dx = y * (dy - sum(dy * y) along dim).
#pragma once
#include "engine/tensor.hpp"
#include "ops/dispatch.hpp"

namespace eng {

Tensor softmax(const Tensor& x, int dim);

#define ENG_SOFTMAX_KERNELS                         \
  Tensor softmax_forward(const Tensor& x, int dim); \
  Tensor softmax_backward(const Tensor& y, const Tensor& dy, int dim);
ENG_DECLARE_KERNELS(ENG_SOFTMAX_KERNELS)

}  // namespace eng
