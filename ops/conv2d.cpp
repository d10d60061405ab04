// conv2d.cpp — the public conv2d op: validates shapes and parameters, dispatches the forward
// kernel (ref / oneDNN / CUDA, see conv2d.hpp) and records the backward closure, which asks the
// same kernel family only for the gradients whose inputs require grad.
#include "ops/conv2d.hpp"

#include "engine/autograd.hpp"

namespace eng {
namespace {

const char* kOp = "conv2d";

std::string params_str(const Conv2dParams& p) {
  return str("stride (", p.stride_h, ", ", p.stride_w, "), padding (", p.pad_h, ", ", p.pad_w,
             "), dilation (", p.dil_h, ", ", p.dil_w, ")");
}

// Output length along one spatial dimension (may be < 1 for too-small inputs; checked by caller).
int64_t out_len(int64_t in, int64_t k, int stride, int pad, int dil) {
  int64_t span = in + 2 * int64_t(pad) - int64_t(dil) * (k - 1) - 1;
  return span < 0 ? 0 : span / stride + 1;
}

Tensor forward_kernel(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p) {
  ENG_DISPATCH3(x, conv2d_forward(x, w, b, p));
}

Conv2dGrads backward_kernel(const Tensor& x, const Tensor& w, const Tensor& dy,
                            const Conv2dParams& p, bool need_dx, bool need_dw, bool need_db) {
  ENG_DISPATCH3(x, conv2d_backward(x, w, dy, p, need_dx, need_dw, need_db));
}

}  // namespace

Shape conv2d_output_shape(const Tensor& x, const Tensor& w, const Tensor& b,
                          const Conv2dParams& p) {
  ENG_CHECK(x.defined(), kOp, "input is undefined");
  ENG_CHECK(w.defined(), kOp, "weight is undefined");
  ENG_CHECK(x.ndim() == 4, kOp, "input must be 4-D (N,C,H,W), got ", shape_str(x.shape()));
  ENG_CHECK(w.ndim() == 4, kOp, "weight must be 4-D (O,C,KH,KW), got ", shape_str(w.shape()));
  ENG_CHECK(x.dtype() == DType::F32 && w.dtype() == DType::F32, kOp,
            "needs float32 tensors, got input ", x.describe(), " and weight ", w.describe());
  ENG_CHECK(x.numel() > 0, kOp, "empty input ", shape_str(x.shape()));
  ENG_CHECK(w.numel() > 0, kOp, "empty weight ", shape_str(w.shape()));
  ENG_CHECK(x.size(1) == w.size(1), kOp, "input ", shape_str(x.shape()), " has ", x.size(1),
            " channels but weight ", shape_str(w.shape()), " expects ", w.size(1));
  check_same_device(kOp, x, w);
  if (b.defined()) {
    ENG_CHECK(b.ndim() == 1 && b.size(0) == w.size(0), kOp, "bias must be [", w.size(0),
              "] for weight ", shape_str(w.shape()), ", got ", shape_str(b.shape()));
    ENG_CHECK(b.dtype() == DType::F32, kOp, "needs a float32 bias, got ", b.describe());
    check_same_device(kOp, x, b);
  }
  ENG_CHECK(p.stride_h > 0 && p.stride_w > 0 && p.dil_h > 0 && p.dil_w > 0 && p.pad_h >= 0 &&
                p.pad_w >= 0,
            kOp, "stride and dilation must be positive and padding non-negative, got ",
            params_str(p), " for input ", shape_str(x.shape()), " and weight ",
            shape_str(w.shape()));
  int64_t ho = out_len(x.size(2), w.size(2), p.stride_h, p.pad_h, p.dil_h);
  int64_t wo = out_len(x.size(3), w.size(3), p.stride_w, p.pad_w, p.dil_w);
  ENG_CHECK(ho >= 1 && wo >= 1, kOp, "output size ", ho, "x", wo, " < 1 for input ",
            shape_str(x.shape()), ", weight ", shape_str(w.shape()), ", ", params_str(p));
  return {x.size(0), w.size(0), ho, wo};
}

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p) {
  conv2d_output_shape(x, w, b, p);
  Tensor y = forward_kernel(x, w, b, p);
  bool need_dx = x.requires_grad(), need_dw = w.requires_grad();
  bool need_db = b.defined() && b.requires_grad();
  record(y, kOp, {x, w, b},
         [x = x.detach(), w = w.detach(), p, need_dx, need_dw, need_db](const Tensor& dy) {
           Conv2dGrads g = backward_kernel(x, w, dy, p, need_dx, need_dw, need_db);
           return std::vector<Tensor>{g.dx, g.dw, g.db};
         });
  return y;
}

}  // namespace eng
