// relu.hpp — y = max(x, 0); dy/dx = 1 where y > 0, else 0 (0 at the kink, like PyTorch).
// Layout-preserving: a blocked input gives a blocked output on oneDNN.
#pragma once
#include "engine/tensor.hpp"
#include "ops/dispatch.hpp"

namespace eng {

Tensor relu(const Tensor& x);

#define ENG_RELU_KERNELS                \
  Tensor relu_forward(const Tensor& x); \
  Tensor relu_backward(const Tensor& y, const Tensor& dy);
ENG_DECLARE_KERNELS(ENG_RELU_KERNELS)

}  // namespace eng
