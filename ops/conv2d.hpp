// conv2d.hpp — 2-D convolution (cross-correlation, like PyTorch's Conv2d), forward + backward.
//
//   y[n,o,i,j] = b[o] + sum_{c,u,v} x[n,c, i*sh - ph + u*dh, j*sw - pw + v*dw] * w[o,c,u,v]
//   x: [N, C, H, W]   w: [O, C, KH, KW]   b: [O] or undefined   y: [N, O, HO, WO]
//   HO = (H + 2ph - dh*(KH-1) - 1) / sh + 1 (floor), likewise WO; both must be >= 1.
// Kernels: ref (conv2d_ref.cpp), onednn (conv2d_onednn.cpp), cuda (conv2d_cudnn.cu).
// Weight and bias gradients are returned plain; dx may carry the backend's layout.
// In bf16 compute precision (backend.hpp) the CPU kernels read x, w and dy rounded to bfloat16
// and sum in float32; every tensor in and out stays float32. CUDA ignores the setting.
#pragma once
#include "engine/tensor.hpp"
#include "ops/dispatch.hpp"

namespace eng {

struct Conv2dParams {
  int stride_h = 1, stride_w = 1;
  int pad_h = 0, pad_w = 0;
  int dil_h = 1, dil_w = 1;
  static Conv2dParams square(int stride, int pad, int dil = 1) {
    return {stride, stride, pad, pad, dil, dil};
  }
};

// Validates shapes (names the op and the shapes on error) and returns y's shape.
Shape conv2d_output_shape(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p);

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p);

struct Conv2dGrads {
  Tensor dx, dw, db;
};

#define ENG_CONV2D_KERNELS                                                                         \
  Tensor conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p); \
  Conv2dGrads conv2d_backward(const Tensor& x, const Tensor& w, const Tensor& dy,                  \
                              const Conv2dParams& p, bool need_dx, bool need_dw, bool need_db);
ENG_DECLARE_KERNELS(ENG_CONV2D_KERNELS)

}  // namespace eng
