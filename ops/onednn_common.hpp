// onednn_common.hpp — what every oneDNN kernel shares (built with ENG_HAVE_ONEDNN only).
//
//  - one CPU engine and stream for the process;
//  - DnnlLayout: the eng::Layout through which a oneDNN-chosen memory format (nChw16c, ...)
//    stays inside a Tensor between consecutive oneDNN ops (reorder only at the plain edges);
//  - desc_of/memory_of: view any CPU tensor (plain or DnnlLayout) as oneDNN memory;
//  - tensor_for(md): a new tensor with that memory format (plain when md is the plain one);
//  - to_desc(t, md): t reordered to md (t itself when it already has that format);
//  - PrimitiveCache: primitives (with their primitive descriptors) created once per key.
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
dnnl::memory::desc desc_of(const Tensor& t);    // its actual format
dnnl::memory memory_of(const Tensor& t);        // wraps t's storage (no copy)
Tensor tensor_for(const Shape& logical, const dnnl::memory::desc& md);
Tensor to_desc(const Tensor& t, const dnnl::memory::desc& md);
// Reorder `t` into the existing memory `dst` (used for cached weight buffers).
void reorder_into(const Tensor& t, const dnnl::memory& dst);

// A string key from anything streamable plus memory descriptors (their full format).
std::string desc_key(const dnnl::memory::desc& md);

// Thread-safe map from key to a cached value (a primitive and its descriptor, a buffer...).
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
