// adam_cuda.cu — Adam's element update on the GPU (declared in adam.hpp; CUDA builds only).
// The same arithmetic as adam.cpp's CPU loop, one grid-stride loop on the engine stream.
#include <cuda_runtime.h>

#include <algorithm>

#include "engine/adam.hpp"
#include "engine/cuda_runtime.hpp"

namespace eng::cuda {
namespace {

__global__ void adam_kernel(float* p, const float* g, float* m, float* v, int64_t n, float lr_t,
                            float b1, float b2, float eps, float bias2_sqrt) {
  const float one_minus_b1 = 1.0f - b1, one_minus_b2 = 1.0f - b2;
  int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    float gi = g[i];
    float mi = m[i] * b1 + one_minus_b1 * gi;
    float vi = v[i] * b2 + one_minus_b2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    float denom = sqrtf(vi) / bias2_sqrt + eps;
    p[i] -= lr_t * (mi / denom);
  }
}

}  // namespace

void adam_update(float* p, const float* g, float* m, float* v, int64_t n, float lr_t, float b1,
                 float b2, float eps, float bias2_sqrt) {
  if (n <= 0) return;
  const int threads = 256;
  int64_t blocks = std::min<int64_t>((n + threads - 1) / threads, 4096);
  adam_kernel<<<static_cast<unsigned>(blocks), threads, 0, static_cast<cudaStream_t>(stream())>>>(
      p, g, m, v, n, lr_t, b1, b2, eps, bias2_sqrt);
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) throw_cuda_error("adam", "adam_kernel launch", e);
}

}  // namespace eng::cuda
