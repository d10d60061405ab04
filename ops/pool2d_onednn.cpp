// pool2d_onednn.cpp — max/avg pooling kernels on oneDNN (eng::onednn), v2 API.
//
//  - Max = pooling_max (padded cells ignored; its backward reads the forward's workspace of
//    argmax indices, asked for only when a workspace pointer is given, i.e. a backward will
//    run); Avg = pooling_avg_include_padding (divides by KH*KW).
//  - Layout: src is x's own memory format (plain or blocked, never reordered); dst is `any`,
//    which oneDNN pooling resolves to src's format, so y keeps x's layout. dx takes x's
//    format; dy is reordered to y's format only when it differs.
//  - Padding: oneDNN checks (H - KH + pad_l + pad_r) / stride + 1 == HO with the same floor as
//    pool2d.hpp, so the symmetric padding is passed on both sides; with padding <= KH/2 no
//    window lies wholly in the padding.
//  - Primitives are built once per (kind, propagation, src format, output shape, params).
#include "ops/onednn_common.hpp"
#include "ops/pool2d.hpp"

namespace eng::onednn {
namespace {

using dnnl::memory;

using Forward = CachedPrimitive<dnnl::pooling_forward>;
using Backward = CachedPrimitive<dnnl::pooling_backward>;

// One pooling problem as oneDNN sees it.
struct PoolSpec {
  dnnl::algorithm alg;
  memory::desc src;
  memory::dims dst, strides, kernel, pad;
  PoolSpec(PoolKind kind, const Tensor& x, const Pool2dParams& p)
      : alg(kind == PoolKind::Max ? dnnl::algorithm::pooling_max
                                  : dnnl::algorithm::pooling_avg_include_padding),
        src(desc_of(x)),
        dst(dims_of(pool2d_output_shape("pool2d", x, p))),
        strides({p.stride_h, p.stride_w}),
        kernel({p.kernel_h, p.kernel_w}),
        pad({p.pad_h, p.pad_w}) {}
  memory::desc any_dst() const {
    return memory::desc(dst, memory::data_type::f32, memory::format_tag::any);
  }
  std::string key(dnnl::prop_kind prop) const {
    return str(int(alg), ",", int(prop), ",", strides[0], ",", strides[1], ",", kernel[0], ",",
               kernel[1], ",", pad[0], ",", pad[1], ",", dst[2], ",", dst[3], ",") +
           desc_key(src);
  }
  dnnl::pooling_forward::primitive_desc forward_pd(dnnl::prop_kind prop) const {
    return {{prop, alg, src, any_dst(), strides, kernel, pad, pad}, cpu_engine()};
  }
};

Forward& forward_for(const PoolSpec& s, dnnl::prop_kind prop) {
  static PrimitiveCache<Forward> cache;
  return cache.get(s.key(prop), [&] { return Forward(s.forward_pd(prop)); });
}

}  // namespace

Tensor pool2d_forward(PoolKind kind, const Tensor& x, const Pool2dParams& p, Tensor* workspace) {
  const PoolSpec spec(kind, x, p);
  const bool training = workspace != nullptr;
  Forward& f = forward_for(
      spec, training ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference);
  Tensor y = tensor_for(Shape(spec.dst.begin(), spec.dst.end()), f.pd.dst_desc());
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory_of(x)}, {DNNL_ARG_DST, memory_of(y)}};
  const memory::desc ws_md = f.pd.workspace_desc();
  if (training && ws_md.get_size() > 0) {
    *workspace = storage_for(ws_md);
    args.emplace(DNNL_ARG_WORKSPACE, memory(ws_md, cpu_engine(), workspace->raw()));
  }
  run(f.prim, args);
  return y;
}

Tensor pool2d_backward(PoolKind kind, const Tensor& x, const Tensor&, const Tensor& dy,
                       const Tensor& workspace, const Pool2dParams& p) {
  static PrimitiveCache<Backward> cache;
  const PoolSpec spec(kind, x, p);
  Backward& b = cache.get(spec.key(dnnl::prop_kind::backward_data), [&] {
    return Backward(
        {{spec.alg, spec.src, spec.any_dst(), spec.strides, spec.kernel, spec.pad, spec.pad},
         cpu_engine(),
         forward_for(spec, dnnl::prop_kind::forward_training).pd});
  });
  Tensor g = to_desc(dy, b.pd.diff_dst_desc());
  Tensor dx = tensor_for(x.shape(), b.pd.diff_src_desc());
  std::unordered_map<int, memory> args{{DNNL_ARG_DIFF_DST, memory_of(g)},
                                       {DNNL_ARG_DIFF_SRC, memory_of(dx)}};
  const memory::desc ws_md = b.pd.workspace_desc();
  if (ws_md.get_size() > 0) {
    ENG_CHECK(workspace.defined() && workspace.storage_bytes() >= ws_md.get_size(), "max_pool2d",
              "the oneDNN backward needs the workspace of a oneDNN training forward, got ",
              workspace.describe(), " for input ", shape_str(x.shape()));
    args.emplace(DNNL_ARG_WORKSPACE, memory(ws_md, cpu_engine(), workspace.raw()));
  }
  run(b.prim, args);
  return dx;
}

}  // namespace eng::onednn
