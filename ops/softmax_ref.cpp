// softmax_ref.cpp — reference softmax kernels (the oracle). The tensor is viewed as
// [outer, len, inner] around dim; each (outer, inner) line is one task: subtract its max,
// exponentiate, divide by the sum (accumulated in double, in index order).
#include <algorithm>
#include <cmath>

#include "ops/softmax.hpp"

namespace eng::ref {
namespace {

struct Lines {
  int64_t outer = 1, len = 1, inner = 1;
  explicit Lines(const Shape& s, int dim) {
    for (int i = 0; i < dim; ++i) outer *= s[i];
    len = s[dim];
    for (size_t i = dim + 1; i < s.size(); ++i) inner *= s[i];
  }
  int64_t start(int64_t line) const { return (line / inner) * len * inner + line % inner; }
  int64_t count() const { return outer * inner; }
};

}  // namespace

Tensor softmax_forward(const Tensor& x_in, int dim) {
  const Tensor x = x_in.plain();
  const Lines l(x.shape(), dim);
  Tensor y = Tensor::empty(x.shape());
  const float* px = x.data();
  float* py = y.data();
#pragma omp parallel for schedule(static)
  for (int64_t line = 0; line < l.count(); ++line) {
    const float* xl = px + l.start(line);
    float* yl = py + l.start(line);
    float mx = xl[0];
    for (int64_t k = 1; k < l.len; ++k) mx = std::max(mx, xl[k * l.inner]);
    double sum = 0;
    for (int64_t k = 0; k < l.len; ++k) {
      yl[k * l.inner] = std::exp(xl[k * l.inner] - mx);
      sum += yl[k * l.inner];
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (int64_t k = 0; k < l.len; ++k) yl[k * l.inner] *= inv;
  }
  return y;
}

Tensor softmax_backward(const Tensor& y_in, const Tensor& dy_in, int dim) {
  const Tensor y = y_in.plain(), dy = dy_in.plain();
  const Lines l(y.shape(), dim);
  Tensor dx = Tensor::empty(y.shape());
  const float* py = y.data();
  const float* pdy = dy.data();
  float* pdx = dx.data();
#pragma omp parallel for schedule(static)
  for (int64_t line = 0; line < l.count(); ++line) {
    const int64_t s = l.start(line);
    double dot = 0;
    for (int64_t k = 0; k < l.len; ++k) dot += double(pdy[s + k * l.inner]) * py[s + k * l.inner];
    const float d = static_cast<float>(dot);
    for (int64_t k = 0; k < l.len; ++k) {
      const int64_t i = s + k * l.inner;
      pdx[i] = py[i] * (pdy[i] - d);
    }
  }
  return dx;
}

}  // namespace eng::ref
