// gemm_ref.cpp — the reference matrix product (see gemm_ref.hpp).
//
// Transposed operands are first packed into row-major scratch so the kernel only ever sees
// C[M,N] = A[M,K] B[K,N] with unit-stride rows. C is cut into tiles of kRowBlock x kColBlock,
// one OpenMP task each (static schedule); inside a tile, k runs in blocks of kDepthBlock (so the
// B block stays in cache) and rows are updated kRows at a time (each B element loaded once
// for kRows rows). Every element sees its k terms in increasing order, whatever the tiling.
#include "ops/gemm_ref.hpp"

#include <algorithm>

#include "engine/tensor.hpp"

namespace eng::ref {
namespace {

constexpr int64_t kRows = 4;
constexpr int64_t kRowBlock = 32;  // a multiple of kRows: row groups do not depend on tiling
constexpr int64_t kColBlock = 256;
constexpr int64_t kDepthBlock = 128;
constexpr int64_t kTransposeBlock = 32;

// dst[c, r] = src[r, c] for a row-major src of rows x cols.
void transpose(const float* src, int64_t rows, int64_t cols, float* dst) {
  const int64_t row_blocks = (rows + kTransposeBlock - 1) / kTransposeBlock;
#pragma omp parallel for schedule(static)
  for (int64_t rb = 0; rb < row_blocks; ++rb) {
    const int64_t r0 = rb * kTransposeBlock, r1 = std::min(rows, r0 + kTransposeBlock);
    for (int64_t c0 = 0; c0 < cols; c0 += kTransposeBlock) {
      const int64_t c1 = std::min(cols, c0 + kTransposeBlock);
      for (int64_t r = r0; r < r1; ++r)
        for (int64_t c = c0; c < c1; ++c) dst[c * rows + r] = src[r * cols + c];
    }
  }
}

// C[i, j0:j0+n] += sum_{k in [k0,k1)} A[i, k] B[k, j0:j0+n] for kRows rows i, i+1, ...
void update_rows4(const float* A, const float* B, float* C, int64_t i, int64_t j0, int64_t n,
                  int64_t k0, int64_t k1, int64_t N, int64_t K) {
  float* __restrict c0 = C + i * N + j0;
  float* __restrict c1 = c0 + N;
  float* __restrict c2 = c1 + N;
  float* __restrict c3 = c2 + N;
  const float* a = A + i * K;
  for (int64_t k = k0; k < k1; ++k) {
    const float* __restrict b = B + k * N + j0;
    const float a0 = a[k], a1 = a[K + k], a2 = a[2 * K + k], a3 = a[3 * K + k];
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) {
      const float bj = b[j];
      c0[j] += a0 * bj;
      c1[j] += a1 * bj;
      c2[j] += a2 * bj;
      c3[j] += a3 * bj;
    }
  }
}

// The same for one row (the M % kRows rows at the end).
void update_row(const float* A, const float* B, float* C, int64_t i, int64_t j0, int64_t n,
                int64_t k0, int64_t k1, int64_t N, int64_t K) {
  float* __restrict c = C + i * N + j0;
  for (int64_t k = k0; k < k1; ++k) {
    const float* __restrict b = B + k * N + j0;
    const float a = A[i * K + k];
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) c[j] += a * b[j];
  }
}

// C = A B, all row-major and unit stride.
void gemm_nn(int64_t M, int64_t N, int64_t K, const float* A, const float* B, float* C) {
  const int64_t row_blocks = (M + kRowBlock - 1) / kRowBlock;
  const int64_t col_blocks = (N + kColBlock - 1) / kColBlock;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t rb = 0; rb < row_blocks; ++rb) {
    for (int64_t cb = 0; cb < col_blocks; ++cb) {
      const int64_t i0 = rb * kRowBlock, i1 = std::min(M, i0 + kRowBlock);
      const int64_t j0 = cb * kColBlock, n = std::min(N, j0 + kColBlock) - j0;
      for (int64_t i = i0; i < i1; ++i) std::fill(C + i * N + j0, C + i * N + j0 + n, 0.0f);
      for (int64_t k0 = 0; k0 < K; k0 += kDepthBlock) {
        const int64_t k1 = std::min(K, k0 + kDepthBlock);
        int64_t i = i0;
        for (; i + kRows <= i1; i += kRows) update_rows4(A, B, C, i, j0, n, k0, k1, N, K);
        for (; i < i1; ++i) update_row(A, B, C, i, j0, n, k0, k1, N, K);
      }
    }
  }
}

}  // namespace

void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, const float* B,
          float* C) {
  Tensor a_packed, b_packed;
  if (ta) {  // A is stored [K, M]
    a_packed = Tensor::empty({M, K});
    transpose(A, K, M, a_packed.data());
    A = a_packed.data();
  }
  if (tb) {  // B is stored [N, K]
    b_packed = Tensor::empty({K, N});
    transpose(B, N, K, b_packed.data());
    B = b_packed.data();
  }
  gemm_nn(M, N, K, A, B, C);
}

}  // namespace eng::ref
