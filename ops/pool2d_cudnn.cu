// pool2d_cudnn.cu — eng::cuda max/avg pooling kernels on cuDNN (see pool2d.hpp), NCHW float32.
//
// Max: CUDNN_POOLING_MAX_DETERMINISTIC (padded cells never win; the backward pass is
// deterministic). Avg: CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING (divides by KH*KW, as
// PyTorch's count_include_pad=True). NaNs propagate, as in PyTorch. cuDNN's backward reads x, y
// and dy, so no workspace is kept. The output shape is pool2d_output_shape's, cross-checked
// against cuDNN's.
#include "ops/cuda_common.hpp"
#include "ops/pool2d.hpp"

namespace eng::cuda {
namespace {

class PoolDesc {
 public:
  PoolDesc(const char* op, PoolKind kind, const Pool2dParams& p) {
    ENG_CUDNN_CHECK(op, cudnnCreatePoolingDescriptor(&d_));
    cudnnStatus_t s = cudnnSetPooling2dDescriptor(
        d_,
        kind == PoolKind::Max ? CUDNN_POOLING_MAX_DETERMINISTIC
                              : CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING,
        CUDNN_PROPAGATE_NAN, p.kernel_h, p.kernel_w, p.pad_h, p.pad_w, p.stride_h, p.stride_w);
    if (s != CUDNN_STATUS_SUCCESS) {
      cudnnDestroyPoolingDescriptor(d_);
      throw_cudnn_error(op, "cudnnSetPooling2dDescriptor", s);
    }
  }
  ~PoolDesc() { cudnnDestroyPoolingDescriptor(d_); }
  PoolDesc(const PoolDesc&) = delete;
  PoolDesc& operator=(const PoolDesc&) = delete;
  operator cudnnPoolingDescriptor_t() const { return d_; }

 private:
  cudnnPoolingDescriptor_t d_ = nullptr;
};

const char* op_name(PoolKind kind) { return kind == PoolKind::Max ? "max_pool2d" : "avg_pool2d"; }

// Checks that cuDNN computes the same output shape for these descriptors.
void check_cudnn_agrees(const char* op, const Tensor& x, const Shape& expected, const PoolDesc& pd,
                        const TensorDesc& xd) {
  int n = 0, c = 0, h = 0, w = 0;
  ENG_CUDNN_CHECK(op, cudnnGetPooling2dForwardOutputDim(pd, xd, &n, &c, &h, &w));
  ENG_CHECK((Shape{n, c, h, w} == expected), op, "cuDNN output shape ",
            shape_str(Shape{n, c, h, w}), " differs from ", shape_str(expected), " for input ",
            shape_str(x.shape()));
}

}  // namespace

Tensor pool2d_forward(PoolKind kind, const Tensor& x, const Pool2dParams& p, Tensor* workspace) {
  const char* op = op_name(kind);
  const float* xp = device_in(x, op, "input");
  const Shape ys = pool2d_output_shape(op, x, p);  // validates x and p before cuDNN sees them
  PoolDesc pd(op, kind, p);
  TensorDesc xd(op, x.shape());
  check_cudnn_agrees(op, x, ys, pd, xd);
  Tensor y = Tensor::empty(ys, Device::CUDA);
  TensorDesc yd(op, ys);
  ENG_CUDNN_CHECK(op, cudnnPoolingForward(cudnn(), pd, &kOne, xd, xp, &kZero, yd, y.raw()));
  if (workspace) *workspace = Tensor();
  return y;
}

Tensor pool2d_backward(PoolKind kind, const Tensor& x, const Tensor& y, const Tensor& dy,
                       const Tensor&, const Pool2dParams& p) {
  const char* op = op_name(kind);
  const float* xp = device_in(x, op, "input");
  const float* yp = device_in(y, op, "output");
  const float* dyp = device_in(dy, op, "output gradient");
  const Shape ys = pool2d_output_shape(op, x, p);
  PoolDesc pd(op, kind, p);
  TensorDesc xd(op, x.shape());
  check_cudnn_agrees(op, x, ys, pd, xd);
  ENG_CHECK(y.shape() == ys && dy.shape() == ys, op, "output and its gradient must be ",
            shape_str(ys), ", got ", shape_str(y.shape()), " and ", shape_str(dy.shape()));
  TensorDesc yd(op, ys);
  Tensor dx = Tensor::empty(x.shape(), Device::CUDA);
  ENG_CUDNN_CHECK(
      op, cudnnPoolingBackward(cudnn(), pd, &kOne, yd, yp, yd, dyp, xd, xp, &kZero, xd, dx.raw()));
  return dx;
}

}  // namespace eng::cuda
