// gemm_ref.hpp — the one reference matrix product, shared by linear_ref.cpp and matmul_ref.cpp.
//
//   C[M, N] = op(A) op(B), row-major, C overwritten;
//   op(A) = A ([M, K]) or, with ta, A^T where A is stored [K, M];
//   op(B) = B ([K, N]) or, with tb, B^T where B is stored [N, K].
// Plain C++ + OpenMP, cache-blocked. Each output element is owned by one thread and
// accumulated in float over k = 0, 1, ..., K-1 in that order, so the result does not depend on
// the number of threads. K = 0 gives zeros.
#pragma once
#include <cstdint>

namespace eng::ref {

void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float* A, const float* B,
          float* C);

}  // namespace eng::ref
