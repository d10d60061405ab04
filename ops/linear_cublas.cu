// linear_cublas.cu — eng::cuda linear kernels on cuBLAS (see linear.hpp), all row-major:
//   forward  y  = x w^T (+ b: y is first filled with b's rows, then the GEMM adds with beta 1)
//   backward dx = dy w,  dw = dy^T x,  db = column sums of dy (one thread per column summing
//            the rows in order, in double: deterministic).
// GEMMs through gemm_rowmajor (cuda_common.hpp); TF32 follows eng::cuda::tf32().matmul.
#include "ops/cuda_common.hpp"
#include "ops/linear.hpp"

namespace eng::cuda {
namespace {

constexpr const char* kOp = "linear";

__global__ void fill_rows_kernel(const float* row, int64_t rows, int64_t cols, float* out) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < rows * cols;
       i += int64_t(blockDim.x) * gridDim.x)
    out[i] = row[i % cols];
}

__global__ void column_sums_kernel(const float* m, int64_t rows, int64_t cols, float* out) {
  for (int64_t j = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; j < cols;
       j += int64_t(blockDim.x) * gridDim.x) {
    double s = 0;
    for (int64_t i = 0; i < rows; ++i) s += m[i * cols + j];
    out[j] = float(s);
  }
}

// Checks x [N, IN] and w [OUT, IN]; returns {N, IN, OUT}.
struct Sizes {
  int64_t n, in, out;
};
Sizes check_sizes(const Tensor& x, const Tensor& w) {
  check_ndim(kOp, "input", x, 2);
  check_ndim(kOp, "weight", w, 2);
  ENG_CHECK(x.size(1) == w.size(1), kOp, "input ", shape_str(x.shape()), " and weight ",
            shape_str(w.shape()), " differ in the input size");
  return {x.size(0), x.size(1), w.size(0)};
}

}  // namespace

Tensor linear_forward(const Tensor& x, const Tensor& w, const Tensor& b) {
  const float* xp = device_in(x, kOp, "input");
  const float* wp = device_in(w, kOp, "weight");
  const Sizes s = check_sizes(x, w);
  Tensor y = Tensor::empty({s.n, s.out}, Device::CUDA);
  float* yp = static_cast<float*>(y.raw());
  float beta = 0.0f;
  if (b.defined()) {
    const float* bp = device_in(b, kOp, "bias");
    ENG_CHECK(b.shape() == Shape{s.out}, kOp, "bias must be [", s.out, "], got ",
              shape_str(b.shape()));
    fill_rows_kernel<<<grid_blocks(s.n * s.out), kThreads, 0, stream_of()>>>(bp, s.n, s.out, yp);
    ENG_CUDA_LAUNCH_CHECK(kOp);
    beta = 1.0f;
  }
  gemm_rowmajor(kOp, false, true, s.n, s.out, s.in, xp, wp, beta, yp);
  return y;
}

LinearGrads linear_backward(const Tensor& x, const Tensor& w, const Tensor& dy, bool need_dx,
                            bool need_dw, bool need_db) {
  const float* xp = device_in(x, kOp, "input");
  const float* wp = device_in(w, kOp, "weight");
  const float* dyp = device_in(dy, kOp, "output gradient");
  const Sizes s = check_sizes(x, w);
  ENG_CHECK((dy.shape() == Shape{s.n, s.out}), kOp, "output gradient must be [", s.n, ", ", s.out,
            "], got ", shape_str(dy.shape()));
  LinearGrads g;
  if (need_dx) {
    g.dx = Tensor::empty(x.shape(), Device::CUDA);
    gemm_rowmajor(kOp, false, false, s.n, s.in, s.out, dyp, wp, 0.0f,
                  static_cast<float*>(g.dx.raw()));
  }
  if (need_dw) {
    g.dw = Tensor::empty(w.shape(), Device::CUDA);
    gemm_rowmajor(kOp, true, false, s.out, s.in, s.n, dyp, xp, 0.0f,
                  static_cast<float*>(g.dw.raw()));
  }
  if (need_db) {
    g.db = Tensor::empty({s.out}, Device::CUDA);
    column_sums_kernel<<<grid_blocks(s.out), kThreads, 0, stream_of()>>>(
        dyp, s.n, s.out, static_cast<float*>(g.db.raw()));
    ENG_CUDA_LAUNCH_CHECK(kOp);
  }
  return g;
}

}  // namespace eng::cuda
