// relu_ref.cpp — reference relu kernels (eng::ref): plain C++ + OpenMP, the oracle.
// Inputs of any layout are read through plain(); outputs are plain. NaN propagates (x < 0 is
// false for NaN), like PyTorch; the gradient passes where y > 0 only.
#include "ops/relu.hpp"

namespace eng::ref {

Tensor relu_forward(const Tensor& x_in) {
  Tensor x = x_in.plain();
  Tensor y = Tensor::empty(x.shape(), x.device());
  const float* xs = x.data();
  float* ys = y.data();
  const int64_t n = x.numel();
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) ys[i] = xs[i] < 0.0f ? 0.0f : xs[i];
  return y;
}

Tensor relu_backward(const Tensor& y_in, const Tensor& dy_in) {
  Tensor y = y_in.plain(), dy = dy_in.plain();
  Tensor dx = Tensor::empty(y.shape(), y.device());
  const float* ys = y.data();
  const float* gs = dy.data();
  float* dxs = dx.data();
  const int64_t n = y.numel();
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) dxs[i] = ys[i] > 0.0f ? gs[i] : 0.0f;
  return dx;
}

}  // namespace eng::ref
