// conv2d_onednn.cpp — conv2d kernels on oneDNN (eng::onednn), v2 API.
//
//  - Activations: src/dst/diff formats are `any`, so oneDNN picks its blocked layout (nChw16c on
//    AVX-512). Outputs (y, dx) stay in that layout as a DnnlLayout tensor, so the next oneDNN op
//    reads them without a reorder; inputs of any layout are reordered only when the primitive
//    wants another format.
//  - Weights: the plain [O,C,KH,KW] parameter is reordered every call into a buffer cached with
//    the primitive (format chosen by oneDNN); dw and db are returned plain.
//  - bf16 compute precision (backend.hpp): the primitives read src, weights and diff_dst as
//    bf16 and write dst, diff_src, diff_weights and the bias gradient as f32 (bias f32). The
//    f32 inputs are reordered to the bf16 formats the primitive picks (blocked stays blocked);
//    the plain f32 weights go into the cached bf16 buffer. dy is converted once for both
//    gradients. x is converted again in the backward pass (the closure keeps the f32 input).
//  - Convolutions whose input maps are no larger than the kernel (ClusterNet6c's 3x3 maps under
//    a 5x5 kernel) run as one dense matrix product instead (conv2d_dense_onednn.hpp): the direct
//    kernels spend most of their time on the taps that fall into the padding there.
//  - Primitives and their descriptors are built once per (precision, shapes, params, input
//    formats) key.
//  - Every call waits on the stream before returning, so the tensors it returns are ready.
// Padding: oneDNN checks (H - ker_range + pad_l + pad_r) / stride + 1 == HO with the same floor
// as conv2d.hpp, so the symmetric padding of Conv2dParams is passed unchanged on both sides.
#include <memory>
#include <mutex>

#include "ops/conv2d.hpp"
#include "ops/conv2d_dense_onednn.hpp"
#include "ops/onednn_common.hpp"

namespace eng::onednn {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

// The oneDNN view of one convolution's sizes, parameters and input data type (bf16 in bf16
// compute precision, else f32; results are always f32). `in(d)` / `out(d)` describe an input
// (src, weights, diff_dst) / a result (dst, bias, diff_src, diff_weights, diff_bias) of sizes d
// in the format the primitive chooses.
struct ConvSpec {
  memory::dims src, wei, bias, dst, strides, dilates, pad;
  dt input_type;
  ConvSpec(const Tensor& x, const Tensor& w, const Conv2dParams& p)
      : src(dims_of(x.shape())),
        wei(dims_of(w.shape())),
        bias({w.size(0)}),
        dst(dims_of(conv2d_output_shape(x, w, Tensor(), p))),
        strides({p.stride_h, p.stride_w}),
        dilates({p.dil_h - 1, p.dil_w - 1}),  // oneDNN counts the gaps between taps
        pad({p.pad_h, p.pad_w}),
        input_type(compute_precision() == Precision::BF16 ? dt::bf16 : dt::f32) {}
  memory::desc in(const memory::dims& d) const { return memory::desc(d, input_type, tag::any); }
  static memory::desc out(const memory::dims& d) { return memory::desc(d, dt::f32, tag::any); }
  dnnl::convolution_forward::primitive_desc forward_pd(bool with_bias) const {
    auto d = with_bias ? dnnl::convolution_forward::desc(
                             dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
                             in(src), in(wei), out(bias), out(dst), strides, dilates, pad, pad)
                       : dnnl::convolution_forward::desc(
                             dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
                             in(src), in(wei), out(dst), strides, dilates, pad, pad);
    return {d, cpu_engine()};
  }
};

std::string key_of(const char* kind, const Tensor& x, const Tensor& w, const Conv2dParams& p,
                   bool flag) {
  return str(kind, precision_name(compute_precision()), shape_str(x.shape()), shape_str(w.shape()),
             p.stride_h, ",", p.stride_w, ",", p.pad_h, ",", p.pad_w, ",", p.dil_h, ",", p.dil_w,
             flag ? "+" : "-");
}

// A primitive with its descriptor, and for those that read weights the buffer the plain
// weights are reordered into (null otherwise); the mutex guards it from reorder to execution.
template <class Prim>
struct Cached : CachedPrimitive<Prim> {
  memory weights;
  std::unique_ptr<std::mutex> mu = std::make_unique<std::mutex>();
  explicit Cached(const typename Prim::primitive_desc& d,
                  const memory::desc& weights_md = memory::desc())
      : CachedPrimitive<Prim>(d),
        weights(weights_md ? memory(weights_md, cpu_engine()) : memory()) {}
};
using Forward = Cached<dnnl::convolution_forward>;
using BackwardData = Cached<dnnl::convolution_backward_data>;
using BackwardWeights = Cached<dnnl::convolution_backward_weights>;

// w as oneDNN memory in the cached buffer's format (w itself when it already has it).
memory weights_memory(const Tensor& w, const memory& cached) {
  if (desc_of(w) == cached.get_desc()) return memory_of(w);
  reorder_into(w, cached);
  return cached;
}

// The bias gradient alone: a sum over dy (the reference kernel's).
Tensor bias_gradient(const Tensor& x, const Tensor& w, const Tensor& dy, const Conv2dParams& p) {
  return ref::conv2d_backward(x, w, dy, p, false, false, true).db;
}

}  // namespace

Tensor conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p) {
  if (conv2d_dense_applies(x, w, p)) return conv2d_dense_forward(x, w, b, p);
  static PrimitiveCache<Forward> cache;
  ConvSpec spec(x, w, p);
  Forward& f = cache.get(key_of("fwd", x, w, p, b.defined()) + desc_key(desc_of(x)), [&] {
    auto pd = spec.forward_pd(b.defined());
    return Forward(pd, pd.weights_desc());
  });
  Tensor src = to_desc(x, f.pd.src_desc());
  Tensor y = tensor_for(conv2d_output_shape(x, w, b, p), f.pd.dst_desc());
  Tensor bias = b.defined() ? to_desc(b, f.pd.bias_desc()) : Tensor();
  std::lock_guard<std::mutex> lock(*f.mu);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory_of(src)},
                                       {DNNL_ARG_WEIGHTS, weights_memory(w, f.weights)},
                                       {DNNL_ARG_DST, memory_of(y)}};
  if (bias.defined()) args.emplace(DNNL_ARG_BIAS, memory_of(bias));
  run(f.prim, args);
  return y;
}

Conv2dGrads conv2d_backward(const Tensor& x, const Tensor& w, const Tensor& dy,
                            const Conv2dParams& p, bool need_dx, bool need_dw, bool need_db) {
  if (conv2d_dense_applies(x, w, p)) {
    Conv2dGrads grads = conv2d_dense_backward(x, w, dy, p, need_dx, need_dw);
    if (need_db) grads.db = bias_gradient(x, w, dy, p);
    return grads;
  }
  static PrimitiveCache<BackwardData> data_cache;
  static PrimitiveCache<BackwardWeights> weights_cache;
  ConvSpec spec(x, w, p);
  const std::string dy_key = desc_key(desc_of(dy));
  Conv2dGrads grads;
  Tensor diff_dst = dy;  // dy in the format (and type) the last primitive read it in

  if (need_dx) {
    BackwardData& bd = data_cache.get(key_of("bwd_data", x, w, p, false) + dy_key, [&] {
      dnnl::convolution_backward_data::desc d(
          dnnl::algorithm::convolution_direct, spec.out(spec.src), spec.in(spec.wei),
          spec.in(spec.dst), spec.strides, spec.dilates, spec.pad, spec.pad);
      dnnl::convolution_backward_data::primitive_desc pd(d, cpu_engine(), spec.forward_pd(false));
      return BackwardData(pd, pd.weights_desc());
    });
    diff_dst = to_desc(dy, bd.pd.diff_dst_desc());
    grads.dx = tensor_for(x.shape(), bd.pd.diff_src_desc());
    std::lock_guard<std::mutex> lock(*bd.mu);
    run(bd.prim, {{DNNL_ARG_DIFF_DST, memory_of(diff_dst)},
                  {DNNL_ARG_WEIGHTS, weights_memory(w, bd.weights)},
                  {DNNL_ARG_DIFF_SRC, memory_of(grads.dx)}});
  }

  if (need_dw) {
    const std::string key = key_of("bwd_weights", x, w, p, need_db) + desc_key(desc_of(x)) + dy_key;
    BackwardWeights& bw = weights_cache.get(key, [&] {
      auto d = need_db
                   ? dnnl::convolution_backward_weights::desc(
                         dnnl::algorithm::convolution_direct, spec.in(spec.src), spec.out(spec.wei),
                         spec.out(spec.bias), spec.in(spec.dst), spec.strides, spec.dilates,
                         spec.pad, spec.pad)
                   : dnnl::convolution_backward_weights::desc(
                         dnnl::algorithm::convolution_direct, spec.in(spec.src), spec.out(spec.wei),
                         spec.in(spec.dst), spec.strides, spec.dilates, spec.pad, spec.pad);
      dnnl::convolution_backward_weights::primitive_desc pd(d, cpu_engine(),
                                                            spec.forward_pd(need_db));
      return BackwardWeights(pd);
    });
    Tensor src = to_desc(x, bw.pd.src_desc());
    // Reuses the converted dy when bwd_data wanted the same format (bf16: one conversion).
    diff_dst = to_desc(diff_dst, bw.pd.diff_dst_desc());
    Tensor dw = tensor_for(w.shape(), bw.pd.diff_weights_desc());
    Tensor db = need_db ? tensor_for({w.size(0)}, bw.pd.diff_bias_desc()) : Tensor();
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory_of(src)},
                                         {DNNL_ARG_DIFF_DST, memory_of(diff_dst)},
                                         {DNNL_ARG_DIFF_WEIGHTS, memory_of(dw)}};
    if (need_db) args.emplace(DNNL_ARG_DIFF_BIAS, memory_of(db));
    run(bw.prim, args);
    grads.dw = dw.plain();  // the optimizer reads plain gradients
    if (need_db) grads.db = db.plain();
  } else if (need_db) {
    grads.db = bias_gradient(x, w, dy, p);  // no reason to run the weight-gradient primitive
  }
  return grads;
}

}  // namespace eng::onednn
