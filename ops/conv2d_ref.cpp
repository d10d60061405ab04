// conv2d_ref.cpp — reference conv2d kernels (eng::ref), the oracle for the fast backends:
// im2col + the shared reference GEMM (gemm_ref.hpp), one image at a time. Correct for any
// kernel size, stride, padding, dilation and bias.
//
// For image n, col_n[(c,u,v), (i,j)] = x[n, c, i*sh - ph + u*dh, j*sw - pw + v*dw] (0 outside):
//   forward  y_n = w[O, C*KH*KW] . col_n  (+ b[o] per row)
//   dx       dx_n = col2im(w^T . dy_n)     (each input plane owned by one thread, taps in order)
//   dw       dw = sum over n = 0, 1, ... of dy_n . col_n^T
//   db       db[o] = sum over n, i, j of dy[n,o,i,j]  (double)
// The GEMM sums each element in a fixed order and every other loop owns its outputs, so the
// results are bit-identical for any thread count. The tap loops only visit output positions
// whose input lies inside the image (tap_range): no branch on padding in the inner loops.
// In bf16 compute precision (backend.hpp) x, w and dy are first rounded to bfloat16 (nearest,
// ties to even) and the rest runs unchanged: products of bf16 values are exact in float32, so
// this is what oneDNN's bf16 kernels compute, up to the order of the float32 sums.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "ops/bf16.hpp"
#include "ops/conv2d.hpp"
#include "ops/gemm_ref.hpp"

namespace eng::ref {
namespace {

// t as the kernels read it: plain, and rounded to bfloat16 in bf16 compute precision.
Tensor compute_input(const Tensor& t) {
  Tensor in = t.plain();
  if (compute_precision() != Precision::BF16) return in;
  Tensor out = Tensor::empty(in.shape());
  const float* src = in.data();
  float* dst = out.data();
  const int64_t n = in.numel();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) dst[i] = round_to_bf16(src[i]);
  return out;
}

int64_t ceil_div(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

// Output indices i in [lo, hi) whose input index i*stride + offset lies in [0, in_len).
struct Range {
  int64_t lo, hi;
};
Range tap_range(int64_t out_len, int64_t in_len, int64_t stride, int64_t offset) {
  int64_t lo = std::max<int64_t>(0, ceil_div(-offset, stride));
  int64_t hi = std::min<int64_t>(out_len, ceil_div(in_len - offset, stride));
  return {lo, std::max(lo, hi)};
}

// The sizes of one convolution, read once from the shapes of x and w.
struct Geometry {
  int64_t N, C, H, W, O, KH, KW, HO, WO;
  Conv2dParams p;
  Geometry(const Shape& xs, const Shape& ws, const Conv2dParams& prm) : p(prm) {
    N = xs[0], C = xs[1], H = xs[2], W = xs[3];
    O = ws[0], KH = ws[2], KW = ws[3];
    HO = (H + 2 * p.pad_h - p.dil_h * (KH - 1) - 1) / p.stride_h + 1;
    WO = (W + 2 * p.pad_w - p.dil_w * (KW - 1) - 1) / p.stride_w + 1;
  }
  int64_t taps() const { return C * KH * KW; }   // rows of col
  int64_t out_plane() const { return HO * WO; }  // columns of col
  int64_t in_plane() const { return H * W; }
};

// Calls f(col_row, input_index, output_index) for every (c,u,v) tap of channel c and every
// output position that reads inside the image.
template <class F>
void for_each_tap(const Geometry& g, int64_t c, F f) {
  for (int64_t u = 0; u < g.KH; ++u)
    for (int64_t v = 0; v < g.KW; ++v) {
      const int64_t row = (c * g.KH + u) * g.KW + v;
      const int64_t oh = u * g.p.dil_h - g.p.pad_h, ow = v * g.p.dil_w - g.p.pad_w;
      Range ri = tap_range(g.HO, g.H, g.p.stride_h, oh);
      Range rj = tap_range(g.WO, g.W, g.p.stride_w, ow);
      for (int64_t i = ri.lo; i < ri.hi; ++i) {
        const int64_t in_row = (i * g.p.stride_h + oh) * g.W + ow;
        for (int64_t j = rj.lo; j < rj.hi; ++j) f(row, in_row + j * g.p.stride_w, i * g.WO + j);
      }
    }
}

// col[taps, HO*WO] of one image xn[C, H, W].
void im2col(const Geometry& g, const float* xn, float* col) {
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < g.C; ++c) {
    float* rows = col + c * g.KH * g.KW * g.out_plane();
    std::fill(rows, rows + g.KH * g.KW * g.out_plane(), 0.0f);
    const float* xc = xn + c * g.in_plane();
    for_each_tap(g, c, [&](int64_t row, int64_t in, int64_t out) {
      col[row * g.out_plane() + out] = xc[in];
    });
  }
}

// dxn[C, H, W] = the sum of col's entries over the taps that read each input (dxn overwritten).
void col2im(const Geometry& g, const float* col, float* dxn) {
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < g.C; ++c) {
    float* dxc = dxn + c * g.in_plane();
    std::fill(dxc, dxc + g.in_plane(), 0.0f);
    for_each_tap(g, c, [&](int64_t row, int64_t in, int64_t out) {
      dxc[in] += col[row * g.out_plane() + out];
    });
  }
}

}  // namespace

Tensor conv2d_forward(const Tensor& x_in, const Tensor& w_in, const Tensor& b_in,
                      const Conv2dParams& p) {
  Tensor x = compute_input(x_in), w = compute_input(w_in);
  Tensor b = b_in.defined() ? b_in.plain() : Tensor();
  Geometry g(x.shape(), w.shape(), p);
  Tensor y = Tensor::empty({g.N, g.O, g.HO, g.WO});
  std::vector<float> col(g.taps() * g.out_plane());
  for (int64_t n = 0; n < g.N; ++n) {
    float* yn = y.data() + n * g.O * g.out_plane();
    im2col(g, x.data() + n * g.C * g.in_plane(), col.data());
    gemm(false, false, g.O, g.out_plane(), g.taps(), w.data(), col.data(), yn);
    if (!b.defined()) continue;
    const float* bp = b.data();
#pragma omp parallel for schedule(static)
    for (int64_t o = 0; o < g.O; ++o)
      for (int64_t k = 0; k < g.out_plane(); ++k) yn[o * g.out_plane() + k] += bp[o];
  }
  return y;
}

Conv2dGrads conv2d_backward(const Tensor& x_in, const Tensor& w_in, const Tensor& dy_in,
                            const Conv2dParams& p, bool need_dx, bool need_dw, bool need_db) {
  // Only what the requested gradients read is converted.
  Tensor x = need_dw ? compute_input(x_in) : Tensor();
  Tensor w = need_dx ? compute_input(w_in) : Tensor();
  Tensor dy = compute_input(dy_in);
  Geometry g(x_in.shape(), w_in.shape(), p);
  const int64_t taps = g.taps(), P = g.out_plane();
  Conv2dGrads grads;
  if (need_dx) grads.dx = Tensor::empty(x_in.shape());
  if (need_dw) grads.dw = Tensor::zeros(w_in.shape());
  std::vector<float> col(need_dx || need_dw ? taps * P : 0), dw_n(need_dw ? g.O * taps : 0);

  for (int64_t n = 0; n < g.N; ++n) {
    const float* dyn = dy.data() + n * g.O * P;
    if (need_dx) {
      gemm(true, false, taps, P, g.O, w.data(), dyn, col.data());
      col2im(g, col.data(), grads.dx.data() + n * g.C * g.in_plane());
    }
    if (need_dw) {
      im2col(g, x.data() + n * g.C * g.in_plane(), col.data());
      gemm(false, true, g.O, taps, P, dyn, col.data(), dw_n.data());
      float* dw = grads.dw.data();
#pragma omp parallel for schedule(static)
      for (int64_t k = 0; k < g.O * taps; ++k) dw[k] += dw_n[k];
    }
  }

  if (need_db) {
    grads.db = Tensor::empty({g.O});
    const float* dyp = dy.data();
    float* dbp = grads.db.data();
#pragma omp parallel for schedule(static)
    for (int64_t o = 0; o < g.O; ++o) {
      double acc = 0;
      for (int64_t n = 0; n < g.N; ++n)
        for (int64_t k = 0; k < P; ++k) acc += dyp[(n * g.O + o) * P + k];
      dbp[o] = static_cast<float>(acc);
    }
  }
  return grads;
}

}  // namespace eng::ref
