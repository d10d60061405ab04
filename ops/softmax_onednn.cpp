// softmax_onednn.cpp — softmax on oneDNN softmax_forward/backward over one axis. The input
// keeps its own memory format (plain or a blocked DnnlLayout from a conv); y, and dx in the
// backward, come out in that same format. Primitives are created once per (format, axis).
#include "ops/onednn_common.hpp"
#include "ops/softmax.hpp"

namespace eng::onednn {
namespace {

using dnnl::memory;
using Forward = CachedPrimitive<dnnl::softmax_forward>;
using Backward = CachedPrimitive<dnnl::softmax_backward>;

dnnl::softmax_forward::primitive_desc forward_pd(const memory::desc& md, int dim) {
  return dnnl::softmax_forward::primitive_desc(
      dnnl::softmax_forward::desc(dnnl::prop_kind::forward_training, md, dim), cpu_engine());
}

std::string key(const memory::desc& md, int dim) { return desc_key(md) + str("@", dim); }

}  // namespace

Tensor softmax_forward(const Tensor& x, int dim) {
  static PrimitiveCache<Forward> cache;
  const memory::desc md = desc_of(x);
  auto& c = cache.get(key(md, dim), [&] { return Forward(forward_pd(md, dim)); });
  Tensor y = tensor_for(x.shape(), c.pd.dst_desc());
  run(c.prim, {{DNNL_ARG_SRC, memory_of(x)}, {DNNL_ARG_DST, memory_of(y)}});
  return y;
}

Tensor softmax_backward(const Tensor& y, const Tensor& dy, int dim) {
  static PrimitiveCache<Backward> cache;
  const memory::desc md = desc_of(y);
  auto& c = cache.get(key(md, dim), [&] {
    dnnl::softmax_backward::desc desc(md, md, dim);
    return Backward(
        dnnl::softmax_backward::primitive_desc(desc, cpu_engine(), forward_pd(md, dim)));
  });
  const Tensor dys = to_desc(dy, c.pd.diff_dst_desc());
  Tensor dx = tensor_for(y.shape(), c.pd.diff_src_desc());
  run(c.prim, {{DNNL_ARG_DST, memory_of(y)},
               {DNNL_ARG_DIFF_DST, memory_of(dys)},
               {DNNL_ARG_DIFF_SRC, memory_of(dx)}});
  return dx;
}

}  // namespace eng::onednn
