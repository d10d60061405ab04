// allocator.cpp — per-size caching allocators for CPU and CUDA memory (see allocator.hpp).
#include "engine/allocator.hpp"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#ifdef ENG_HAVE_CUDA
#include "engine/cuda_runtime.hpp"
#endif

namespace eng {
namespace {

constexpr size_t kAlign = 64;

void* system_alloc(size_t bytes, Device device) {
  if (device == Device::CPU) {
    size_t rounded = (bytes + kAlign - 1) / kAlign * kAlign;
    void* p = std::aligned_alloc(kAlign, rounded == 0 ? kAlign : rounded);
    if (!p) throw Error(str("allocator: out of host memory allocating ", bytes, " bytes"));
    return p;
  }
#ifdef ENG_HAVE_CUDA
  return cuda::raw_malloc(bytes);
#else
  throw Error("allocator: this build has no CUDA support (configure with ENG_CUDA=ON)");
#endif
}

void system_free(void* p, Device device) {
  if (device == Device::CPU) {
    std::free(p);
    return;
  }
#ifdef ENG_HAVE_CUDA
  cuda::raw_free(p);
#endif
}

struct Cache {
  Device device;
  std::mutex mu;
  std::unordered_map<size_t, std::vector<void*>> free_lists;
  AllocatorStats stats;
  // Cached CPU blocks go back to the system at exit (leak checkers stay quiet); CUDA blocks
  // are left to the driver, which may already be shut down when statics are destroyed.
  ~Cache() {
    if (device == Device::CPU)
      for (auto& [bytes, list] : free_lists)
        for (void* p : list) std::free(p);
  }
};

Cache& cache_for(Device d) {
  static Cache caches[2] = {{Device::CPU, {}, {}, {}}, {Device::CUDA, {}, {}, {}}};
  return caches[static_cast<int>(d)];
}

}  // namespace

void* device_alloc(size_t bytes, Device device) {
  Cache& c = cache_for(device);
  {
    std::lock_guard<std::mutex> lock(c.mu);
    c.stats.live_bytes += bytes;
    if (c.stats.live_bytes > c.stats.peak_bytes) c.stats.peak_bytes = c.stats.live_bytes;
    auto it = c.free_lists.find(bytes);
    if (it != c.free_lists.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.stats.cached_bytes -= bytes;
      return p;
    }
  }
  return system_alloc(bytes, device);
}

void device_free(void* ptr, size_t bytes, Device device) {
  if (!ptr) return;
  Cache& c = cache_for(device);
  std::lock_guard<std::mutex> lock(c.mu);
  c.stats.live_bytes -= bytes;
  c.stats.cached_bytes += bytes;
  c.free_lists[bytes].push_back(ptr);
}

void device_memset0(void* ptr, size_t bytes, Device device) {
  if (device == Device::CPU) {
    std::memset(ptr, 0, bytes);
    return;
  }
#ifdef ENG_HAVE_CUDA
  cuda::memset0_async(ptr, bytes);
#else
  throw Error("allocator: this build has no CUDA support (configure with ENG_CUDA=ON)");
#endif
}

void device_copy(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes) {
  if (bytes == 0) return;
  if (dst_device == Device::CPU && src_device == Device::CPU) {
    std::memcpy(dst, src, bytes);
    return;
  }
#ifdef ENG_HAVE_CUDA
  int kind = src_device == Device::CPU ? 0 : (dst_device == Device::CPU ? 1 : 2);
  cuda::memcpy_sync(dst, src, bytes, kind);
#else
  throw Error("tensor copy: this build has no CUDA support (configure with ENG_CUDA=ON)");
#endif
}

AllocatorStats allocator_stats(Device device) {
  Cache& c = cache_for(device);
  std::lock_guard<std::mutex> lock(c.mu);
  return c.stats;
}

void allocator_reset_peak(Device device) {
  Cache& c = cache_for(device);
  std::lock_guard<std::mutex> lock(c.mu);
  c.stats.peak_bytes = c.stats.live_bytes;
}

void allocator_release_cache(Device device) {
  Cache& c = cache_for(device);
  std::lock_guard<std::mutex> lock(c.mu);
  for (auto& [bytes, list] : c.free_lists)
    for (void* p : list) system_free(p, device);
  c.free_lists.clear();
  c.stats.cached_bytes = 0;
}

}  // namespace eng
