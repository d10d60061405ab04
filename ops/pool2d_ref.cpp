// pool2d_ref.cpp — reference max/avg pooling kernels (eng::ref): plain C++ + OpenMP over the
// N*C planes (each thread owns whole planes, so the backward's overlapping-window sums run in a
// fixed order: deterministic). Max pooling scans each window row-major and keeps the first
// maximum; the backward repeats that scan on x instead of keeping a workspace. Inputs of any
// layout are read through plain(); outputs are plain.
#include <algorithm>

#include "ops/pool2d.hpp"

namespace eng::ref {
namespace {

// One pooling problem on a plain [N, C, H, W] input.
struct Plan {
  int64_t planes, h, w, ho, wo;
  Pool2dParams p;
  Plan(const Tensor& x, const Pool2dParams& prm)
      : planes(x.size(0) * x.size(1)), h(x.size(2)), w(x.size(3)), p(prm) {
    Shape ys = pool2d_output_shape("pool2d", x, prm);
    ho = ys[2];
    wo = ys[3];
  }
  // The window of output (i, j) clipped to the input: rows [r0, r1), columns [c0, c1).
  // Non-empty because the padding is at most half the kernel.
  struct Window {
    int64_t r0, r1, c0, c1;
  };
  Window window(int64_t i, int64_t j) const {
    const int64_t r = i * p.stride_h - p.pad_h, c = j * p.stride_w - p.pad_w;
    return {std::max<int64_t>(r, 0), std::min<int64_t>(r + p.kernel_h, h), std::max<int64_t>(c, 0),
            std::min<int64_t>(c + p.kernel_w, w)};
  }
  float avg_divisor() const { return float(p.kernel_h * p.kernel_w); }  // padding included
};

// Offset in the plane of the first (row-major) maximum of the window; padded cells ignored.
int64_t argmax(const float* plane, int64_t w, const Plan::Window& win) {
  int64_t best = win.r0 * w + win.c0;
  for (int64_t r = win.r0; r < win.r1; ++r)
    for (int64_t c = win.c0; c < win.c1; ++c)
      if (plane[r * w + c] > plane[best]) best = r * w + c;
  return best;
}

float window_sum(const float* plane, int64_t w, const Plan::Window& win) {
  float s = 0.0f;
  for (int64_t r = win.r0; r < win.r1; ++r)
    for (int64_t c = win.c0; c < win.c1; ++c) s += plane[r * w + c];
  return s;
}

}  // namespace

Tensor pool2d_forward(PoolKind kind, const Tensor& x_in, const Pool2dParams& p, Tensor*) {
  Tensor x = x_in.plain();
  const Plan plan(x, p);
  Tensor y = Tensor::empty({x.size(0), x.size(1), plan.ho, plan.wo});
  const float* xs = x.data();
  float* ys = y.data();
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < plan.planes; ++n) {
    const float* plane = xs + n * plan.h * plan.w;
    float* out = ys + n * plan.ho * plan.wo;
    for (int64_t i = 0; i < plan.ho; ++i)
      for (int64_t j = 0; j < plan.wo; ++j) {
        const Plan::Window win = plan.window(i, j);
        out[i * plan.wo + j] = kind == PoolKind::Max
                                   ? plane[argmax(plane, plan.w, win)]
                                   : window_sum(plane, plan.w, win) / plan.avg_divisor();
      }
  }
  return y;
}

Tensor pool2d_backward(PoolKind kind, const Tensor& x_in, const Tensor&, const Tensor& dy_in,
                       const Tensor&, const Pool2dParams& p) {
  Tensor x = x_in.plain(), dy = dy_in.plain();
  const Plan plan(x, p);
  Tensor dx = Tensor::zeros(x.shape());
  const float* xs = x.data();
  const float* gs = dy.data();
  float* dxs = dx.data();
#pragma omp parallel for schedule(static)
  for (int64_t n = 0; n < plan.planes; ++n) {
    const float* plane = xs + n * plan.h * plan.w;
    const float* g = gs + n * plan.ho * plan.wo;
    float* d = dxs + n * plan.h * plan.w;
    for (int64_t i = 0; i < plan.ho; ++i)
      for (int64_t j = 0; j < plan.wo; ++j) {
        const Plan::Window win = plan.window(i, j);
        const float gij = g[i * plan.wo + j];
        if (kind == PoolKind::Max) {
          d[argmax(plane, plan.w, win)] += gij;
          continue;
        }
        const float share = gij / plan.avg_divisor();
        for (int64_t r = win.r0; r < win.r1; ++r)
          for (int64_t c = win.c0; c < win.c1; ++c) d[r * plan.w + c] += share;
      }
  }
  return dx;
}

}  // namespace eng::ref
