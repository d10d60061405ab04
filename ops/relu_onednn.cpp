// relu_onednn.cpp — relu kernels on oneDNN (eng::onednn): eltwise relu (alpha 0) forward and
// backward, the backward reading the output y (eltwise_relu_use_dst_for_bwd, so x need not be
// kept). Layout-preserving: y and dx take x's (y's) own memory format, plain or blocked; dy is
// reordered to it only when it differs. Primitives are cached per memory format.
#include "ops/onednn_common.hpp"
#include "ops/relu.hpp"

namespace eng::onednn {
namespace {

using dnnl::memory;
const dnnl::algorithm kRelu = dnnl::algorithm::eltwise_relu_use_dst_for_bwd;

// oneDNN has no 0-D memory: a scalar is viewed as [1].
memory::desc md_of(const Tensor& t) { return t.ndim() == 0 ? plain_desc({1}) : desc_of(t); }

// A new tensor with t's shape and format.
Tensor like(const Tensor& t, const memory::desc& md) {
  return t.is_plain() ? Tensor::empty(t.shape()) : tensor_for(t.shape(), md);
}

using Forward = CachedPrimitive<dnnl::eltwise_forward>;
using Backward = CachedPrimitive<dnnl::eltwise_backward>;

dnnl::eltwise_forward::primitive_desc forward_pd(const memory::desc& md) {
  return {{dnnl::prop_kind::forward_training, kRelu, md, 0.0f, 0.0f}, cpu_engine()};
}

}  // namespace

Tensor relu_forward(const Tensor& x) {
  static PrimitiveCache<Forward> cache;
  const memory::desc md = md_of(x);
  Forward& f = cache.get(desc_key(md), [&] { return Forward(forward_pd(md)); });
  Tensor y = like(x, md);
  run(f.prim, {{DNNL_ARG_SRC, memory(md, cpu_engine(), x.raw())},
               {DNNL_ARG_DST, memory(md, cpu_engine(), y.raw())}});
  return y;
}

Tensor relu_backward(const Tensor& y, const Tensor& dy) {
  static PrimitiveCache<Backward> cache;
  const memory::desc md = md_of(y);
  Backward& b = cache.get(desc_key(md), [&] {
    return Backward({{kRelu, md, md, 0.0f, 0.0f}, cpu_engine(), forward_pd(md)});
  });
  Tensor g = md_of(dy) == md ? dy : to_desc(dy, md);
  Tensor dx = like(y, md);
  run(b.prim, {{DNNL_ARG_DST, memory(md, cpu_engine(), y.raw())},
               {DNNL_ARG_DIFF_DST, memory(md, cpu_engine(), g.raw())},
               {DNNL_ARG_DIFF_SRC, memory(md, cpu_engine(), dx.raw())}});
  return dx;
}

}  // namespace eng::onednn
