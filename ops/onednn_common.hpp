// onednn_common.hpp — what every oneDNN kernel shares (built with ENG_HAVE_ONEDNN only).
//
//  - one CPU engine and stream for the process;
//  - DnnlLayout: the eng::Layout through which a oneDNN-chosen memory format (nChw16c, ...)
//    stays inside a Tensor between consecutive oneDNN ops (reorder only at the plain edges).
//    Its memory may be bf16 (the bf16 copy of an input made for a bf16 kernel): the tensor's
//    dtype stays float32, the type plain() converts it back to;
//  - desc_of/memory_of: view any CPU tensor (plain or DnnlLayout) as oneDNN memory;
//  - tensor_for(md): a new tensor with that memory format (plain when md is the plain one);
//    storage_for(md): flat scratch storage for memory of md (a workspace);
//  - to_desc(t, md): t reordered to md (t itself when it already has that format);
//  - run(prim, args): execute on the process stream and wait (every kernel returns ready data);
//  - PrimitiveCache + CachedPrimitive: primitives with their descriptors, created once per key.
#pragma once
#include <dnnl.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "engine/tensor.hpp"

namespace eng::onednn {

dnnl::engine& cpu_engine();
dnnl::stream& cpu_stream();

struct DnnlLayout : Layout {
  explicit DnnlLayout(const dnnl::memory::desc& d) : md(d) {}
  std::string name() const override;
  size_t bytes() const override { return md.get_size(); }
  bool same_as(const Layout& other) const override;
  void to_plain(const Tensor& src, Tensor& dst) const override;
  dnnl::memory::desc md;
};

dnnl::memory::dims dims_of(const Shape& s);
dnnl::memory::desc plain_desc(const Shape& s);  // row-major f32 (abcd...)
// f32 of shape s in the format `tag` (format_tag::any: the primitive chooses).
dnnl::memory::desc tagged_desc(const Shape& s, dnnl::memory::format_tag tag);
dnnl::memory::desc desc_of(const Tensor& t);  // its actual format
dnnl::memory memory_of(const Tensor& t);      // wraps t's storage (no copy)
Tensor tensor_for(const Shape& logical, const dnnl::memory::desc& md);
// A flat float tensor of at least md.get_size() bytes, for memory of md (a workspace).
Tensor storage_for(const dnnl::memory::desc& md);
Tensor to_desc(const Tensor& t, const dnnl::memory::desc& md);
// Copy src into dst (same logical data, any two formats).
void reorder(const dnnl::memory& src, const dnnl::memory& dst);
// Reorder `t` into the existing memory `dst` (used for cached weight buffers).
void reorder_into(const Tensor& t, const dnnl::memory& dst);

// Execute prim with args on cpu_stream() and wait for it.
void run(const dnnl::primitive& prim, const std::unordered_map<int, dnnl::memory>& args);

// A string key from anything streamable plus memory descriptors (their full format).
std::string desc_key(const dnnl::memory::desc& md);

// A primitive and the primitive descriptor it was made from (which tells the formats it wants:
// pd.src_desc(), pd.workspace_desc(), ...). Prim is e.g. dnnl::convolution_forward.
template <class Prim>
struct CachedPrimitive {
  typename Prim::primitive_desc pd;
  Prim prim;
  explicit CachedPrimitive(const typename Prim::primitive_desc& d) : pd(d), prim(d) {}
};

// Thread-safe map from key to a cached value (a CachedPrimitive, a buffer...).
template <class V>
class PrimitiveCache {
 public:
  template <class Make>
  V& get(const std::string& key, Make make) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) it = map_.emplace(key, std::make_unique<V>(make())).first;
    return *it->second;
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<V>> map_;
};

}  // namespace eng::onednn
