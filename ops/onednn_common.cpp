// onednn_common.cpp — engine, stream, layouts, reorders and execution for the oneDNN kernels.
#include "ops/onednn_common.hpp"

#include <cstring>

namespace eng::onednn {

dnnl::engine& cpu_engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::stream& cpu_stream() {
  static dnnl::stream s(cpu_engine());
  return s;
}

std::string desc_key(const dnnl::memory::desc& md) {
  // dnnl_memory_desc_t is a plain C struct in the v2 API: its bytes identify the format.
  return std::string(reinterpret_cast<const char*>(&md.data), sizeof(md.data));
}

std::string DnnlLayout::name() const {
  const auto& d = md.data;
  std::string s =
      md.data_type() == dnnl::memory::data_type::bf16 ? "onednn:bf16:blocked(" : "onednn:blocked(";
  for (int i = 0; i < d.format_desc.blocking.inner_nblks; ++i)
    s += str(i ? "," : "", "dim", d.format_desc.blocking.inner_idxs[i], "x",
             d.format_desc.blocking.inner_blks[i]);
  return s + ")";
}

bool DnnlLayout::same_as(const Layout& other) const {
  auto* o = dynamic_cast<const DnnlLayout*>(&other);
  return o && o->md == md;
}

void DnnlLayout::to_plain(const Tensor& src, Tensor& dst) const {
  reorder(dnnl::memory(md, cpu_engine(), src.raw()),
          dnnl::memory(plain_desc(dst.shape()), cpu_engine(), dst.raw()));
}

void run(const dnnl::primitive& prim, const std::unordered_map<int, dnnl::memory>& args) {
  prim.execute(cpu_stream(), args);
  cpu_stream().wait();
}

void reorder(const dnnl::memory& src, const dnnl::memory& dst) {
  run(dnnl::reorder(src, dst), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}});
}

dnnl::memory::dims dims_of(const Shape& s) { return dnnl::memory::dims(s.begin(), s.end()); }

dnnl::memory::desc plain_desc(const Shape& s) {
  dnnl::memory::dims strides(s.size());
  int64_t stride = 1;
  for (int i = static_cast<int>(s.size()) - 1; i >= 0; --i) {
    strides[i] = stride;
    stride *= s[i];
  }
  return dnnl::memory::desc(dims_of(s), dnnl::memory::data_type::f32, strides);
}

dnnl::memory::desc tagged_desc(const Shape& s, dnnl::memory::format_tag tag) {
  return dnnl::memory::desc(dims_of(s), dnnl::memory::data_type::f32, tag);
}

dnnl::memory::desc desc_of(const Tensor& t) {
  ENG_CHECK(t.device() == Device::CPU, "onednn", "needs a CPU tensor, got ", t.describe());
  if (!t.layout()) return plain_desc(t.shape());
  auto* l = dynamic_cast<const DnnlLayout*>(t.layout());
  ENG_CHECK(l, "onednn", "cannot read a tensor with foreign layout ", t.describe());
  return l->md;
}

dnnl::memory memory_of(const Tensor& t) { return dnnl::memory(desc_of(t), cpu_engine(), t.raw()); }

Tensor tensor_for(const Shape& logical, const dnnl::memory::desc& md) {
  if (md == plain_desc(logical)) return Tensor::empty(logical);
  return Tensor::empty_with_layout(logical, std::make_shared<DnnlLayout>(md), Device::CPU);
}

Tensor storage_for(const dnnl::memory::desc& md) {
  return Tensor::empty({int64_t((md.get_size() + sizeof(float) - 1) / sizeof(float))});
}

Tensor to_desc(const Tensor& t, const dnnl::memory::desc& md) {
  if (desc_of(t) == md) return t;
  Tensor out = tensor_for(t.shape(), md);
  reorder_into(t, memory_of(out));
  return out;
}

void reorder_into(const Tensor& t, const dnnl::memory& dst) { reorder(memory_of(t), dst); }

}  // namespace eng::onednn
