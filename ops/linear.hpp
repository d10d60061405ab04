// linear.hpp — fully connected layer y = x w^T + b (PyTorch's nn.Linear), forward + backward.
//   x: [N, IN]   w: [OUT, IN]   b: [OUT] or undefined   y: [N, OUT]
#pragma once
#include "engine/tensor.hpp"
#include "ops/dispatch.hpp"

namespace eng {

Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b);

struct LinearGrads {
  Tensor dx, dw, db;
};

#define ENG_LINEAR_KERNELS                                                                      \
  Tensor linear_forward(const Tensor& x, const Tensor& w, const Tensor& b);                     \
  LinearGrads linear_backward(const Tensor& x, const Tensor& w, const Tensor& dy, bool need_dx, \
                              bool need_dw, bool need_db);
ENG_DECLARE_KERNELS(ENG_LINEAR_KERNELS)

}  // namespace eng
