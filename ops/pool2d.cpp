// pool2d.cpp — the public max/avg pooling ops (see pool2d.hpp): shape and parameter validation,
// dispatch to the ref / oneDNN / CUDA kernels, and the recorded backward. The forward is asked
// for a workspace (argmax indices...) only when a backward will be recorded.
#include "ops/pool2d.hpp"

#include "engine/autograd.hpp"

namespace eng {
namespace {

std::string params_str(const Pool2dParams& p) {
  return str("kernel ", p.kernel_h, "x", p.kernel_w, ", stride (", p.stride_h, ", ", p.stride_w,
             "), padding (", p.pad_h, ", ", p.pad_w, ")");
}

Tensor forward_kernel(PoolKind kind, const Tensor& x, const Pool2dParams& p, Tensor* workspace) {
  ENG_DISPATCH3(x, pool2d_forward(kind, x, p, workspace));
}

Tensor backward_kernel(PoolKind kind, const Tensor& x, const Tensor& y, const Tensor& dy,
                       const Tensor& workspace, const Pool2dParams& p) {
  ENG_DISPATCH3(x, pool2d_backward(kind, x, y, dy, workspace, p));
}

Tensor pool2d(PoolKind kind, const char* op, const Tensor& x, const Pool2dParams& p) {
  pool2d_output_shape(op, x, p);
  Tensor workspace;
  Tensor y = forward_kernel(kind, x, p, needs_grad({x}) ? &workspace : nullptr);
  record(y, op, {x}, [kind, p, x = x.detach(), y_saved = y.detach(), workspace](const Tensor& dy) {
    return std::vector<Tensor>{backward_kernel(kind, x, y_saved, dy, workspace, p)};
  });
  return y;
}

}  // namespace

Shape pool2d_output_shape(const char* op, const Tensor& x, const Pool2dParams& p) {
  ENG_CHECK(x.defined(), op, "input is undefined");
  ENG_CHECK(x.ndim() == 4, op, "input must be 4-D (N,C,H,W), got ", shape_str(x.shape()));
  ENG_CHECK(x.dtype() == DType::F32, op, "needs a float32 input, got ", x.describe());
  ENG_CHECK(x.numel() > 0, op, "empty input ", shape_str(x.shape()));
  ENG_CHECK(p.kernel_h > 0 && p.kernel_w > 0 && p.stride_h > 0 && p.stride_w > 0 && p.pad_h >= 0 &&
                p.pad_w >= 0,
            op, "kernel and stride must be positive and padding non-negative, got ", params_str(p));
  ENG_CHECK(2 * p.pad_h <= p.kernel_h && 2 * p.pad_w <= p.kernel_w, op,
            "padding must be at most half the kernel, got ", params_str(p));
  const int64_t h = x.size(2) + 2 * int64_t(p.pad_h), w = x.size(3) + 2 * int64_t(p.pad_w);
  ENG_CHECK(h >= p.kernel_h && w >= p.kernel_w, op, "window ", p.kernel_h, "x", p.kernel_w,
            " is larger than the padded input ", h, "x", w, " (input ", shape_str(x.shape()), ", ",
            params_str(p), ")");
  return {x.size(0), x.size(1), (h - p.kernel_h) / p.stride_h + 1,
          (w - p.kernel_w) / p.stride_w + 1};
}

Tensor max_pool2d(const Tensor& x, const Pool2dParams& p) {
  return pool2d(PoolKind::Max, "max_pool2d", x, p);
}

Tensor avg_pool2d(const Tensor& x, const Pool2dParams& p) {
  return pool2d(PoolKind::Avg, "avg_pool2d", x, p);
}

}  // namespace eng
