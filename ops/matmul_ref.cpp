// matmul_ref.cpp — reference matmul kernel (the oracle): one call of the shared GEMM
// (gemm_ref.hpp) per batch entry, transpositions included.
#include "ops/gemm_ref.hpp"
#include "ops/matmul.hpp"

namespace eng::ref {

Tensor matmul_forward(const Tensor& a_in, const Tensor& b_in, bool ta, bool tb) {
  const Tensor a = a_in.plain(), b = b_in.plain();
  const bool batched = a.ndim() == 3;
  const int64_t batch = batched ? a.size(0) : 1;
  const int64_t M = a.size(ta ? -1 : -2), K = a.size(ta ? -2 : -1), N = b.size(tb ? -2 : -1);
  Tensor y = Tensor::empty(batched ? Shape{batch, M, N} : Shape{M, N});
  const float* pa = a.data();
  const float* pb = b.data();
  float* py = y.data();
  for (int64_t i = 0; i < batch; ++i)
    gemm(ta, tb, M, N, K, pa + i * M * K, pb + i * K * N, py + i * M * N);
  return y;
}

}  // namespace eng::ref
