// matmul_cublas.cu — eng::cuda matmul kernel on cuBLAS (see matmul.hpp): 2-D, or 3-D batched
// with one strided-batched GEMM; the transposition flags map onto cuBLAS's (gemm_rowmajor in
// cuda_common.hpp). TF32 follows eng::cuda::tf32().matmul.
#include "ops/cuda_common.hpp"
#include "ops/matmul.hpp"

namespace eng::cuda {

Tensor matmul_forward(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  constexpr const char* kOp = "matmul";
  const float* ap = device_in(a, kOp, "a");
  const float* bp = device_in(b, kOp, "b");
  const int r = a.ndim();
  ENG_CHECK((r == 2 || r == 3) && b.ndim() == r, kOp, "operands must both be 2-D or both 3-D, got ",
            shape_str(a.shape()), " and ", shape_str(b.shape()));
  const int64_t batch = r == 3 ? a.size(0) : 1;
  ENG_CHECK(r == 2 || b.size(0) == batch, kOp, "batch sizes differ: ", shape_str(a.shape()),
            " and ", shape_str(b.shape()));
  const int64_t m = ta ? a.size(-1) : a.size(-2), k = ta ? a.size(-2) : a.size(-1);
  const int64_t kb = tb ? b.size(-1) : b.size(-2), n = tb ? b.size(-2) : b.size(-1);
  ENG_CHECK(k == kb, kOp, "inner sizes differ: ", shape_str(a.shape()), (ta ? "^T" : ""), " x ",
            shape_str(b.shape()), (tb ? "^T" : ""));
  Tensor c = Tensor::empty(r == 3 ? Shape{batch, m, n} : Shape{m, n}, Device::CUDA);
  gemm_rowmajor(kOp, ta, tb, m, n, k, ap, bp, 0.0f, static_cast<float*>(c.raw()), batch);
  return c;
}

}  // namespace eng::cuda
