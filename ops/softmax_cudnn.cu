// softmax_cudnn.cu — eng::cuda softmax kernels on cuDNN (see softmax.hpp).
//
// Softmax over dimension d of any shape: the tensor is viewed as [outer, size(d), inner, 1]
// (outer = product of the sizes before d, inner = after) and cuDNN's CHANNEL mode normalises
// over the second dimension; ACCURATE subtracts the maximum first (no overflow).
#include "ops/cuda_common.hpp"
#include "ops/softmax.hpp"

namespace eng::cuda {
namespace {

constexpr const char* kOp = "softmax";

Shape channel_view(const Shape& s, int dim) {
  const int n = static_cast<int>(s.size());
  const int d = dim < 0 ? dim + n : dim;
  ENG_CHECK(d >= 0 && d < n, kOp, "dim ", dim, " out of range for shape ", shape_str(s));
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < d; ++i) outer *= s[i];
  for (int i = d + 1; i < n; ++i) inner *= s[i];
  return {outer, s[d], inner, 1};
}

}  // namespace

Tensor softmax_forward(const Tensor& x, int dim) {
  const float* xp = device_in(x, kOp, "input");
  TensorDesc d(kOp, channel_view(x.shape(), dim));
  Tensor y = Tensor::empty(x.shape(), Device::CUDA);
  ENG_CUDNN_CHECK(
      kOp, cudnnSoftmaxForward(cudnn(), CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_CHANNEL, &kOne,
                               d, xp, &kZero, d, y.raw()));
  return y;
}

Tensor softmax_backward(const Tensor& y, const Tensor& dy, int dim) {
  const float* yp = device_in(y, kOp, "output");
  const float* dyp = device_in(dy, kOp, "output gradient");
  check_same_shape(kOp, y, dy);
  TensorDesc d(kOp, channel_view(y.shape(), dim));
  Tensor dx = Tensor::empty(y.shape(), Device::CUDA);
  ENG_CUDNN_CHECK(
      kOp, cudnnSoftmaxBackward(cudnn(), CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_CHANNEL, &kOne,
                                d, yp, d, dyp, &kZero, d, dx.raw()));
  return dx;
}

}  // namespace eng::cuda
