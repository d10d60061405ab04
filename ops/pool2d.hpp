// pool2d.hpp — 2-D max and average pooling, forward + backward.
//
//   x: [N, C, H, W] -> y: [N, C, HO, WO], HO = (H + 2ph - KH) / sh + 1 (floor), likewise WO.
//   Padding must be <= half the kernel (as in PyTorch). Max pooling ignores padded cells; the
//   gradient goes to the first maximum of each window (row-major). Average pooling divides by
//   KH*KW including padded cells (PyTorch's default count_include_pad=True).
#pragma once
#include "engine/tensor.hpp"
#include "ops/dispatch.hpp"

namespace eng {

struct Pool2dParams {
  int kernel_h = 2, kernel_w = 2;
  int stride_h = 2, stride_w = 2;
  int pad_h = 0, pad_w = 0;
  static Pool2dParams square(int kernel, int stride, int pad = 0) {
    return {kernel, kernel, stride, stride, pad, pad};
  }
};

enum class PoolKind { Max, Avg };

Shape pool2d_output_shape(const char* op, const Tensor& x, const Pool2dParams& p);
Tensor max_pool2d(const Tensor& x, const Pool2dParams& p);
Tensor avg_pool2d(const Tensor& x, const Pool2dParams& p);

// workspace: what a backend needs for the backward pass (argmax indices...); may stay undefined.
#define ENG_POOL2D_KERNELS                                                                         \
  Tensor pool2d_forward(PoolKind kind, const Tensor& x, const Pool2dParams& p, Tensor* workspace); \
  Tensor pool2d_backward(PoolKind kind, const Tensor& x, const Tensor& y, const Tensor& dy,        \
                         const Tensor& workspace, const Pool2dParams& p);
ENG_DECLARE_KERNELS(ENG_POOL2D_KERNELS)

}  // namespace eng
