// conv2d_dense_onednn.hpp — conv2d as one dense matrix product on oneDNN's matmul, for the
// convolutions where that does no more multiply-adds than the direct algorithm: input maps no
// larger than the kernel (H*W <= KH*KW), like ClusterNet6c's last layer (3x3 maps, 5x5 kernel,
// padding 2: 9 of the 25 taps of every output touch the image).
//
//   X  [N, C*H*W]       the input, plain (x rows)
//   W' [C*H*W, O*HO*WO] W'[(c,y,x), (o,i,j)] = w[o, c, u, v] where (y,x) is tap (u,v) of output
//                       (i,j) (y = i*sh - ph + u*dh, x likewise), 0 where no tap connects them
//   y = X . W' (+ b[o] on every (o,i,j))   dx = dy . W'^T   dW' = X^T . dy
//   dw[o,c,u,v] = sum of dW'[(c,y,x), (o,i,j)] over the pairs joined by tap (u,v)
// conv2d_onednn.cpp sends a convolution here when conv2d_dense_applies(); results are plain.
// In bf16 compute precision X, W' and dy are read as bf16 (rounded to nearest even, as the
// direct kernels do) and the sums are float32. Deterministic: every sum has a fixed order.
#pragma once
#include "ops/conv2d.hpp"

namespace eng::onednn {

// H*W <= KH*KW and W' (float32) fits in 256 MiB.
bool conv2d_dense_applies(const Tensor& x, const Tensor& w, const Conv2dParams& p);

Tensor conv2d_dense_forward(const Tensor& x, const Tensor& w, const Tensor& b,
                            const Conv2dParams& p);
Conv2dGrads conv2d_dense_backward(const Tensor& x, const Tensor& w, const Tensor& dy,
                                  const Conv2dParams& p, bool need_dx, bool need_dw);

}  // namespace eng::onednn
