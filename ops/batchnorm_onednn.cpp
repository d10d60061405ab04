// batchnorm_onednn.cpp — batch-norm kernels on oneDNN (eng::onednn), v2 API.
//
//  - batch_normalization_forward (forward_training, so the batch mean/variance come out) and
//    batch_normalization_backward (prop backward: dx, dgamma, dbeta) with use_scale + use_shift
//    (gamma and beta as separate [C] memories); EvalRunning adds use_global_stats (mean and
//    variance are inputs: the running statistics; backward is then the affine map); p.relu
//    adds fuse_norm_relu, whose forward workspace (the ReLU mask) the backward reads.
//  - Layout: a oneDNN-layout x (e.g. a conv's nChw16c output) is used in its own format for
//    src, dst, diff_src and diff_dst: no reorder of x, y and dx keep it; dy is reordered to it
//    only when it differs. A plain x is different: oneDNN 2.6 has only generic kernels for
//    plain data (ncsp / bnorm_ref, measured 5-25x slower than our reference kernel), so a
//    plain x runs as [N, C, S, 1] in the jit kernels' blocked format (nChw16c with AVX-512,
//    else nChw8c), reordered on the way in and out: y and dx come back plain.
//  - mean, inv_std, dgamma, dbeta are plain [C].
//  - Running statistics (Train): oneDNN's biased variance, unbiased by n/(n-1) in the shared
//    update (batchnorm.cpp). The backward's variance is recovered from the saved inv_std as
//    1/inv_std^2 - eps (a few float ulps of var + eps).
//  - Primitives are built once per (memory format, flags, eps).
#include <cmath>
#include <cstring>

#include "ops/batchnorm.hpp"
#include "ops/onednn_common.hpp"

namespace eng::onednn {
namespace {

using dnnl::memory;
using flags = dnnl::normalization_flags;

using Forward = CachedPrimitive<dnnl::batch_normalization_forward>;
using Backward = CachedPrimitive<dnnl::batch_normalization_backward>;

// The shape and memory format the primitives run on for input x (see the file comment).
struct Staging {
  Shape shape;
  memory::desc md;
  bool staged;  // x is plain: data are reordered into md and back
  explicit Staging(const Tensor& x) : shape(x.shape()), staged(x.is_plain()) {
    if (!staged) {
      md = desc_of(x);
      return;
    }
    shape = {x.size(0), x.size(1), x.numel() / (x.size(0) * x.size(1)), 1};
    const unsigned isa = unsigned(dnnl::get_effective_cpu_isa());
    const unsigned avx512 = unsigned(dnnl::cpu_isa::avx512_core);
    md = tagged_desc(
        shape, (isa & avx512) == avx512 ? memory::format_tag::nChw16c : memory::format_tag::nChw8c);
  }
  // t (x's shape, any layout) in the primitives' format.
  Tensor in(const Tensor& t) const {
    if (!staged) return to_desc(t, md);
    Tensor plain = t.plain(), out = tensor_for(shape, md);
    reorder(memory(plain_desc(shape), cpu_engine(), plain.raw()), memory_of(out));
    return out;
  }
  // t (the primitives' format) as the kernel's result for an input of shape `logical`.
  Tensor out(const Tensor& t, const Shape& logical) const {
    if (!staged) return t;
    Tensor plain = Tensor::empty(logical);
    reorder(memory_of(t), memory(plain_desc(shape), cpu_engine(), plain.raw()));
    return plain;
  }
};

// One batch-norm problem as oneDNN sees it.
struct BnSpec {
  memory::desc data;
  flags f;
  float eps;
  BnSpec(const memory::desc& md, const BatchNormParams& p)
      : data(md), f(flags::use_scale | flags::use_shift), eps(p.eps) {
    if (p.relu) f |= flags::fuse_norm_relu;
    if (p.mode == BatchNormMode::EvalRunning) f |= flags::use_global_stats;
  }
  std::string key() const {
    uint32_t eps_bits;
    std::memcpy(&eps_bits, &eps, sizeof eps_bits);
    return str(unsigned(f), ",", eps_bits, ",") + desc_key(data);
  }
};

Forward& forward_for(const BnSpec& s) {
  static PrimitiveCache<Forward> cache;
  return cache.get(s.key(), [&] {
    return Forward({{dnnl::prop_kind::forward_training, s.data, s.eps, s.f}, cpu_engine()});
  });
}

Backward& backward_for(const BnSpec& s) {
  static PrimitiveCache<Backward> cache;
  return cache.get(s.key(), [&] {
    return Backward(
        {{dnnl::prop_kind::backward, s.data, s.data, s.eps, s.f}, cpu_engine(), forward_for(s).pd});
  });
}

}  // namespace

Tensor batch_norm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                          const BatchNormParams& p, BatchNormSaved* saved) {
  const Staging st(x);
  const BnSpec spec(st.md, p);
  Forward& f = forward_for(spec);
  const int64_t channels = x.size(1);
  const bool global = p.mode == BatchNormMode::EvalRunning;
  Tensor src = st.in(x), dst = tensor_for(st.shape, st.md);
  // Global statistics are copied: later Train steps update the running tensors in place.
  Tensor mean = global ? p.running_mean.clone() : Tensor::empty({channels});
  Tensor var = global ? p.running_var.clone() : Tensor::empty({channels});
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, memory_of(src)},     {DNNL_ARG_DST, memory_of(dst)},
      {DNNL_ARG_SCALE, memory_of(gamma)}, {DNNL_ARG_SHIFT, memory_of(beta)},
      {DNNL_ARG_MEAN, memory_of(mean)},   {DNNL_ARG_VARIANCE, memory_of(var)}};
  const memory::desc ws_md = f.pd.workspace_desc();
  Tensor workspace;
  if (ws_md.get_size() > 0) {
    workspace = storage_for(ws_md);
    args.emplace(DNNL_ARG_WORKSPACE, memory(ws_md, cpu_engine(), workspace.raw()));
  }
  run(f.prim, args);
  Tensor y = st.out(dst, x.shape());

  if (p.mode == BatchNormMode::Train && p.running_mean.defined())
    batch_norm_update_running(p, mean.data(), var.data(), x.numel() / channels);
  if (saved) {
    Tensor inv_std = Tensor::empty({channels});
    const float* v = var.data();
    float* is = inv_std.data();
    for (int64_t c = 0; c < channels; ++c) is[c] = 1.0f / std::sqrt(v[c] + p.eps);
    *saved = {mean, inv_std, y, workspace};
  }
  return y;
}

BatchNormGrads batch_norm_backward(const Tensor& x, const Tensor& gamma, const Tensor& dy,
                                   const BatchNormParams& p, const BatchNormSaved& saved) {
  const Staging st(x);
  const BnSpec spec(st.md, p);
  Backward& b = backward_for(spec);
  const memory::desc ws_md = b.pd.workspace_desc();
  ENG_CHECK(ws_md.get_size() == 0 ||
                (saved.workspace.defined() && saved.workspace.storage_bytes() >= ws_md.get_size()),
            "batch_norm",
            "the oneDNN backward with fused relu needs the workspace of a oneDNN forward, got ",
            saved.workspace.describe(), " for input ", shape_str(x.shape()));
  const int64_t channels = x.size(1);
  Tensor var = Tensor::empty({channels});
  const float* is = saved.inv_std.data();
  float* v = var.data();
  for (int64_t c = 0; c < channels; ++c) v[c] = 1.0f / (is[c] * is[c]) - p.eps;
  // oneDNN 2.6 refuses to run a use_shift backward without a SHIFT argument, yet never reads
  // it (checked: a NaN shift leaves dx, dgamma, dbeta unchanged on the ncsp, nspc and blocked
  // kernels; the fused ReLU's mask comes from the workspace). beta is not a backward input
  // here, so a zero buffer stands in.
  Tensor unread_shift = Tensor::zeros({channels});

  Tensor src = st.in(x), diff_dst = st.in(dy), diff_src = tensor_for(st.shape, st.md);
  BatchNormGrads grads{Tensor(), Tensor::empty({channels}), Tensor::empty({channels})};
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, memory_of(src)},
                                       {DNNL_ARG_DIFF_DST, memory_of(diff_dst)},
                                       {DNNL_ARG_MEAN, memory_of(saved.mean)},
                                       {DNNL_ARG_VARIANCE, memory_of(var)},
                                       {DNNL_ARG_SCALE, memory_of(gamma)},
                                       {DNNL_ARG_SHIFT, memory_of(unread_shift)},
                                       {DNNL_ARG_DIFF_SRC, memory_of(diff_src)},
                                       {DNNL_ARG_DIFF_SCALE, memory_of(grads.dgamma)},
                                       {DNNL_ARG_DIFF_SHIFT, memory_of(grads.dbeta)}};
  if (ws_md.get_size() > 0)
    args.emplace(DNNL_ARG_WORKSPACE, memory(ws_md, cpu_engine(), saved.workspace.raw()));
  run(b.prim, args);
  grads.dx = st.out(diff_src, x.shape());
  return grads;
}

}  // namespace eng::onednn
