// linear_ref.cpp — reference linear kernels (the oracle): y = x w^T + b through the shared GEMM
// (gemm_ref.hpp); db sums each column of dy in double, rows in increasing order.
#include "ops/gemm_ref.hpp"
#include "ops/linear.hpp"

namespace eng::ref {

Tensor linear_forward(const Tensor& x_in, const Tensor& w_in, const Tensor& b) {
  const Tensor x = x_in.plain(), w = w_in.plain();
  const int64_t N = x.size(0), IN = x.size(1), OUT = w.size(0);
  Tensor y = Tensor::empty({N, OUT});
  gemm(false, true, N, OUT, IN, x.data(), w.data(), y.data());
  if (b.defined()) {
    const Tensor bp = b.plain();
    const float* pb = bp.data();
    float* py = y.data();
#pragma omp parallel for schedule(static)
    for (int64_t n = 0; n < N; ++n)
      for (int64_t o = 0; o < OUT; ++o) py[n * OUT + o] += pb[o];
  }
  return y;
}

LinearGrads linear_backward(const Tensor& x_in, const Tensor& w_in, const Tensor& dy_in,
                            bool need_dx, bool need_dw, bool need_db) {
  const Tensor dy = dy_in.plain();
  const int64_t N = dy.size(0), OUT = dy.size(1), IN = w_in.size(1);
  LinearGrads g;
  if (need_dx) {
    const Tensor w = w_in.plain();
    g.dx = Tensor::empty({N, IN});
    gemm(false, false, N, IN, OUT, dy.data(), w.data(), g.dx.data());
  }
  if (need_dw) {
    const Tensor x = x_in.plain();
    g.dw = Tensor::empty({OUT, IN});
    gemm(true, false, OUT, IN, N, dy.data(), x.data(), g.dw.data());
  }
  if (need_db) {
    g.db = Tensor::empty({OUT});
    const float* pdy = dy.data();
    float* pdb = g.db.data();
#pragma omp parallel for schedule(static)
    for (int64_t o = 0; o < OUT; ++o) {
      double s = 0;
      for (int64_t n = 0; n < N; ++n) s += pdy[n * OUT + o];
      pdb[o] = static_cast<float>(s);
    }
  }
  return g;
}

}  // namespace eng::ref
