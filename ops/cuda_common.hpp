// cuda_common.hpp — what every CUDA kernel file of ops/ shares (built with ENG_HAVE_CUDA only).
//
//  - ENG_CUDA_CHECK / ENG_CUDNN_CHECK / ENG_CUBLAS_CHECK(op, call): throw eng::Error naming the
//    op, the failed call and the library's message; ENG_CUDA_LAUNCH_CHECK(op) after a launch;
//  - stream_of(), cudnn(), cublas(): the engine stream and the handles bound to it, typed;
//  - device_in/device_out: a plain float32 CUDA tensor's pointer, or an Error naming the op;
//  - as_int: a size checked to fit the int that cuDNN/cuBLAS take;
//  - grid_blocks: a launch size for grid-stride loops;
//  - TensorDesc, FilterDesc: RAII cuDNN descriptors of packed NCHW float32 tensors;
//  - gemm_rowmajor: row-major (batched) float32 GEMM on cuBLAS, TF32 when tf32().matmul is on.
// Kernels run asynchronously on the engine stream; copies to the host synchronise.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <climits>
#include <cstdint>

#include "engine/cuda_runtime.hpp"
#include "engine/tensor.hpp"

#define ENG_CUDA_CHECK(op, call)                                                 \
  do {                                                                           \
    cudaError_t eng_e_ = (call);                                                 \
    if (eng_e_ != cudaSuccess) ::eng::cuda::throw_cuda_error(op, #call, eng_e_); \
  } while (0)

#define ENG_CUDNN_CHECK(op, call)                                                          \
  do {                                                                                     \
    cudnnStatus_t eng_s_ = (call);                                                         \
    if (eng_s_ != CUDNN_STATUS_SUCCESS) ::eng::cuda::throw_cudnn_error(op, #call, eng_s_); \
  } while (0)

#define ENG_CUBLAS_CHECK(op, call)                                                           \
  do {                                                                                       \
    cublasStatus_t eng_s_ = (call);                                                          \
    if (eng_s_ != CUBLAS_STATUS_SUCCESS) ::eng::cuda::throw_cublas_error(op, #call, eng_s_); \
  } while (0)

#define ENG_CUDA_LAUNCH_CHECK(op) ENG_CUDA_CHECK(op, cudaGetLastError())

namespace eng::cuda {

inline cudaStream_t stream_of() { return static_cast<cudaStream_t>(stream()); }
inline cudnnHandle_t cudnn() { return static_cast<cudnnHandle_t>(cudnn_handle()); }
inline cublasHandle_t cublas() { return static_cast<cublasHandle_t>(cublas_handle()); }

// alpha/beta arguments of cuDNN calls on float tensors.
inline const float kOne = 1.0f;
inline const float kZero = 0.0f;

inline void check_device_tensor(const Tensor& t, const char* op, const char* what) {
  ENG_CHECK(t.defined(), op, what, " is undefined");
  ENG_CHECK(t.device() == Device::CUDA, op, what, " must be on cuda, got ", t.describe());
  ENG_CHECK(t.dtype() == DType::F32, op, what, " must be float32, got ", t.describe());
  ENG_CHECK(t.is_plain(), op, what, " must be plain, got ", t.describe());
}
inline const float* device_in(const Tensor& t, const char* op, const char* what) {
  check_device_tensor(t, op, what);
  return static_cast<const float*>(t.raw());
}
inline float* device_out(const Tensor& t, const char* op, const char* what) {
  check_device_tensor(t, op, what);
  return static_cast<float*>(t.raw());
}

inline int as_int(int64_t v, const char* op, const char* what) {
  ENG_CHECK(v >= 0 && v <= INT_MAX, op, what, " = ", v,
            " does not fit the int that cuDNN/cuBLAS take");
  return static_cast<int>(v);
}

constexpr int kThreads = 256;
// Blocks for a grid-stride loop over n elements (capped: the loop covers the rest).
inline unsigned grid_blocks(int64_t n) {
  int64_t b = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(b < 1 ? 1 : (b > 65536 ? 65536 : b));
}

// s[i] of a shape that must be 4-D.
inline int64_t at4(const char* op, const Shape& s, int i) {
  ENG_CHECK(s.size() == 4, op, "cuDNN descriptor needs a 4-D shape, got ", shape_str(s));
  return s[i];
}

// A packed NCHW float32 cuDNN tensor descriptor. Every size must be >= 1 and the tensor must
// have fewer than 2^31 elements (cuDNN's limit), else an Error naming the op.
class TensorDesc {
 public:
  TensorDesc(const char* op, int64_t n, int64_t c, int64_t h, int64_t w) {
    ENG_CHECK(n >= 1 && c >= 1 && h >= 1 && w >= 1, op, "empty tensor [", n, ", ", c, ", ", h, ", ",
              w, "] is not supported on cuda");
    as_int(n * c * h * w, op, "element count");
    ENG_CUDNN_CHECK(op, cudnnCreateTensorDescriptor(&d_));
    cudnnStatus_t s = cudnnSetTensor4dDescriptor(d_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, int(n),
                                                 int(c), int(h), int(w));
    if (s != CUDNN_STATUS_SUCCESS) {
      cudnnDestroyTensorDescriptor(d_);
      throw_cudnn_error(op, "cudnnSetTensor4dDescriptor", s);
    }
  }
  // A 4-D shape.
  TensorDesc(const char* op, const Shape& s) : TensorDesc(op, at4(op, s, 0), s[1], s[2], s[3]) {}
  ~TensorDesc() { cudnnDestroyTensorDescriptor(d_); }
  TensorDesc(const TensorDesc&) = delete;
  TensorDesc& operator=(const TensorDesc&) = delete;
  operator cudnnTensorDescriptor_t() const { return d_; }

 private:
  cudnnTensorDescriptor_t d_ = nullptr;
};

// A float32 [O, C, KH, KW] cuDNN filter descriptor (every size >= 1, as conv2d checks).
class FilterDesc {
 public:
  FilterDesc(const char* op, const Shape& w) {
    as_int(at4(op, w, 0) * w[1] * w[2] * w[3], op, "weight element count");
    ENG_CUDNN_CHECK(op, cudnnCreateFilterDescriptor(&d_));
    cudnnStatus_t s = cudnnSetFilter4dDescriptor(d_, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, int(w[0]),
                                                 int(w[1]), int(w[2]), int(w[3]));
    if (s != CUDNN_STATUS_SUCCESS) {
      cudnnDestroyFilterDescriptor(d_);
      throw_cudnn_error(op, "cudnnSetFilter4dDescriptor", s);
    }
  }
  ~FilterDesc() { cudnnDestroyFilterDescriptor(d_); }
  FilterDesc(const FilterDesc&) = delete;
  FilterDesc& operator=(const FilterDesc&) = delete;
  operator cudnnFilterDescriptor_t() const { return d_; }

 private:
  cudnnFilterDescriptor_t d_ = nullptr;
};

// C[i] = op(A[i]) op(B[i]) + beta * C[i] for i < batch, all row-major and packed: op(A) is
// [m, k] (A stored [m, k], or [k, m] when ta), op(B) is [k, n] (B stored [k, n], or [n, k] when
// tb), C is [m, n]; batch i of each starts at i * its matrix size. cuBLAS is column-major, and a
// row-major matrix is its transpose in column-major, so this computes C^T = op(B)^T op(A)^T.
// Compute type CUBLAS_COMPUTE_32F_FAST_TF32 when tf32().matmul is on, else CUBLAS_COMPUTE_32F (full
// float32, the handle's math mode being the default).
inline void gemm_rowmajor(const char* op, bool ta, bool tb, int64_t m, int64_t n, int64_t k,
                          const float* a, const float* b, float beta, float* c, int64_t batch = 1) {
  ENG_CHECK(m >= 1 && n >= 1 && k >= 1 && batch >= 1, op, "empty matrix product (m ", m, ", n ", n,
            ", k ", k, ", batch ", batch, ") is not supported on cuda");
  const int M = as_int(m, op, "rows"), N = as_int(n, op, "columns"),
            K = as_int(k, op, "inner size");
  as_int(batch, op, "batch");
  const float alpha = 1.0f;
  const cublasComputeType_t compute =
      tf32().matmul ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  ENG_CUBLAS_CHECK(op, cublasGemmStridedBatchedEx(
                           cublas(), tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N,
                           N, M, K, &alpha, b, CUDA_R_32F, tb ? K : N, (long long)k * n, a,
                           CUDA_R_32F, ta ? M : K, (long long)m * k, &beta, c, CUDA_R_32F, N,
                           (long long)m * n, int(batch), compute, CUBLAS_GEMM_DEFAULT));
}

}  // namespace eng::cuda
