// linear_onednn.cpp — linear on oneDNN inner product (forward, backward data, backward weights).
//
// x, y, dx are plain [N, IN] / [N, OUT]; the weights use the format the primitive prefers
// (`any`): the plain parameter is reordered into it on each call (it changes every step) and dw
// comes back reordered to plain, like db. Primitives are created once per shape.
#include "ops/linear.hpp"
#include "ops/onednn_common.hpp"

namespace eng::onednn {
namespace {

using dnnl::memory;
using IpForward = dnnl::inner_product_forward;
using IpBackwardData = dnnl::inner_product_backward_data;
using IpBackwardWeights = dnnl::inner_product_backward_weights;

struct Dims {
  int64_t n, in, out;
  Shape x() const { return {n, in}; }
  Shape w() const { return {out, in}; }
  Shape y() const { return {n, out}; }
  std::string key(bool bias) const { return str(n, "x", in, "->", out, bias ? "+b" : ""); }
};

memory::desc any_desc(const Shape& s) { return tagged_desc(s, memory::format_tag::any); }

IpForward::primitive_desc forward_pd(const Dims& d, bool bias) {
  const auto kind = dnnl::prop_kind::forward_training;
  IpForward::desc desc =
      bias ? IpForward::desc(kind, plain_desc(d.x()), any_desc(d.w()), plain_desc({d.out}),
                             plain_desc(d.y()))
           : IpForward::desc(kind, plain_desc(d.x()), any_desc(d.w()), plain_desc(d.y()));
  return IpForward::primitive_desc(desc, cpu_engine());
}

}  // namespace

Tensor linear_forward(const Tensor& x, const Tensor& w, const Tensor& b) {
  static PrimitiveCache<CachedPrimitive<IpForward>> cache;
  const Dims d{x.size(0), x.size(1), w.size(0)};
  auto& f = cache.get(d.key(b.defined()),
                      [&] { return CachedPrimitive<IpForward>(forward_pd(d, b.defined())); });
  const Tensor xs = to_desc(x, f.pd.src_desc());
  const Tensor ws = to_desc(w, f.pd.weights_desc());
  const Tensor bs = b.defined() ? to_desc(b, f.pd.bias_desc()) : Tensor();
  Tensor y = tensor_for(d.y(), f.pd.dst_desc());
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory_of(xs)},
                                       {DNNL_ARG_WEIGHTS, memory_of(ws)},
                                       {DNNL_ARG_DST, memory_of(y)}};
  if (bs.defined()) args[DNNL_ARG_BIAS] = memory_of(bs);
  run(f.prim, args);
  return y;
}

LinearGrads linear_backward(const Tensor& x, const Tensor& w, const Tensor& dy, bool need_dx,
                            bool need_dw, bool need_db) {
  const Dims d{dy.size(0), w.size(1), dy.size(1)};
  LinearGrads g;
  if (need_dx) {
    static PrimitiveCache<CachedPrimitive<IpBackwardData>> cache;
    auto& p = cache.get(d.key(false), [&] {
      IpBackwardData::desc desc(plain_desc(d.x()), any_desc(d.w()), plain_desc(d.y()));
      return CachedPrimitive<IpBackwardData>(
          IpBackwardData::primitive_desc(desc, cpu_engine(), forward_pd(d, false)));
    });
    const Tensor dys = to_desc(dy, p.pd.diff_dst_desc());
    const Tensor ws = to_desc(w, p.pd.weights_desc());
    g.dx = tensor_for(d.x(), p.pd.diff_src_desc());
    run(p.prim, {{DNNL_ARG_DIFF_DST, memory_of(dys)},
                 {DNNL_ARG_WEIGHTS, memory_of(ws)},
                 {DNNL_ARG_DIFF_SRC, memory_of(g.dx)}});
  }
  if (need_dw || need_db) {  // one primitive computes both
    static PrimitiveCache<CachedPrimitive<IpBackwardWeights>> cache;
    auto& p = cache.get(d.key(need_db), [&] {
      IpBackwardWeights::desc desc =
          need_db ? IpBackwardWeights::desc(plain_desc(d.x()), any_desc(d.w()), plain_desc({d.out}),
                                            plain_desc(d.y()))
                  : IpBackwardWeights::desc(plain_desc(d.x()), any_desc(d.w()), plain_desc(d.y()));
      return CachedPrimitive<IpBackwardWeights>(
          IpBackwardWeights::primitive_desc(desc, cpu_engine(), forward_pd(d, need_db)));
    });
    const Tensor xs = to_desc(x, p.pd.src_desc());
    const Tensor dys = to_desc(dy, p.pd.diff_dst_desc());
    Tensor dw = tensor_for(d.w(), p.pd.diff_weights_desc());
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory_of(xs)},
                                         {DNNL_ARG_DIFF_DST, memory_of(dys)},
                                         {DNNL_ARG_DIFF_WEIGHTS, memory_of(dw)}};
    if (need_db) {
      g.db = Tensor::empty({d.out});
      args[DNNL_ARG_DIFF_BIAS] = memory_of(g.db);
    }
    run(p.prim, args);
    if (need_dw) g.dw = dw.plain();
  }
  return g;
}

}  // namespace eng::onednn
