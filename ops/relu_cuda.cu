// relu_cuda.cu — CUDA kernels of ops/relu.hpp (namespace eng::cuda), as relu_ref.cpp:
// y = x < 0 ? 0 : x (NaN propagates) and dx = y > 0 ? dy : 0 (0 at the kink); contiguous
// element-wise maps (float4 when aligned).
#include "ops/cuda_kernel_utils.cuh"
#include "ops/relu.hpp"

namespace eng::cuda {
namespace {

struct ReluF {
  __device__ float operator()(float x) const { return x < 0.0f ? 0.0f : x; }
};
struct ReluBackF {
  __device__ float operator()(float y, float dy) const { return y > 0.0f ? dy : 0.0f; }
};

}  // namespace

Tensor relu_forward(const Tensor& x) {
  check_device_tensor(x, "relu", "x");
  Tensor y = Tensor::empty(x.shape(), Device::CUDA);
  kernels::launch_map1("relu", static_cast<const float*>(x.raw()), static_cast<float*>(y.raw()),
                       x.numel(), ReluF{});
  return y;
}

Tensor relu_backward(const Tensor& y, const Tensor& dy) {
  check_device_tensor(y, "relu backward", "y");
  check_device_tensor(dy, "relu backward", "dy");
  check_same_shape("relu backward", y, dy);
  Tensor dx = Tensor::empty(y.shape(), Device::CUDA);
  kernels::launch_map2("relu backward", static_cast<const float*>(y.raw()),
                       static_cast<const float*>(dy.raw()), static_cast<float*>(dx.raw()),
                       y.numel(), ReluBackF{});
  return dx;
}

}  // namespace eng::cuda
