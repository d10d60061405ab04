// allocator.cpp — per-size caching allocators for CPU, CUDA and page-locked host memory (see
// allocator.hpp).
#include "engine/allocator.hpp"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#ifdef ENG_HAVE_CUDA
#include "engine/cuda_runtime.hpp"
#endif

namespace eng {
namespace {

constexpr size_t kAlign = 64;

enum class Pool { CPU, CUDA, Pinned };
Pool pool_of(Device d) { return d == Device::CPU ? Pool::CPU : Pool::CUDA; }

void* system_alloc(size_t bytes, Pool pool) {
  if (pool == Pool::CPU) {
    size_t rounded = (bytes + kAlign - 1) / kAlign * kAlign;
    void* p = std::aligned_alloc(kAlign, rounded == 0 ? kAlign : rounded);
    if (!p) throw Error(str("allocator: out of host memory allocating ", bytes, " bytes"));
    return p;
  }
#ifdef ENG_HAVE_CUDA
  return pool == Pool::CUDA ? cuda::raw_malloc(bytes) : cuda::raw_host_alloc(bytes);
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

struct Block {
  void* ptr;
  std::shared_ptr<void> in_use_until;  // a cuda::Event (page-locked blocks only), or null
};

// Nothing reads the block any more: its event, if any, fired.
bool reusable(const Block& b) {
#ifdef ENG_HAVE_CUDA
  return !b.in_use_until || cuda::event_done(b.in_use_until);
#else
  return !b.in_use_until;
#endif
}

struct Cache {
  std::mutex mu;
  std::unordered_map<size_t, std::vector<Block>> free_lists;
  AllocatorStats stats;
  // Only the CPU cache is ever destroyed (see cache_for).
  ~Cache() {
    for (auto& [bytes, list] : free_lists)
      for (Block& b : list) std::free(b.ptr);
  }
};

// Cached CPU blocks go back to the system at exit (leak checkers stay quiet). The CUDA and
// page-locked caches are never destroyed: their blocks, and the events guarding them, are left
// to the driver, which may already be shut down when statics are destroyed.
Cache& cache_for(Pool pool) {
  static Cache cpu;
  static Cache& cuda = *new Cache;
  static Cache& pinned = *new Cache;
  return pool == Pool::CPU ? cpu : pool == Pool::CUDA ? cuda : pinned;
}

// Counts `bytes` as handed out (c.mu held).
void count_live(Cache& c, size_t bytes) {
  c.stats.live_bytes += bytes;
  if (c.stats.live_bytes > c.stats.peak_bytes) c.stats.peak_bytes = c.stats.live_bytes;
}

void* cached_alloc(size_t bytes, Pool pool) {
  Cache& c = cache_for(pool);
  {
    std::lock_guard<std::mutex> lock(c.mu);
    auto it = c.free_lists.find(bytes);
    if (it != c.free_lists.end()) {
      std::vector<Block>& list = it->second;
      for (size_t i = list.size(); i-- > 0;) {  // the most recently freed first
        if (!reusable(list[i])) continue;
        void* p = list[i].ptr;
        list.erase(list.begin() + i);
        c.stats.cached_bytes -= bytes;
        count_live(c, bytes);
        return p;
      }
    }
  }
  void* p = system_alloc(bytes, pool);  // throws when out of memory: the stats stay as they were
  std::lock_guard<std::mutex> lock(c.mu);
  count_live(c, bytes);
  return p;
}

void cached_free(void* ptr, size_t bytes, Pool pool, std::shared_ptr<void> in_use_until) {
  if (!ptr) return;
  Cache& c = cache_for(pool);
  std::lock_guard<std::mutex> lock(c.mu);
  c.stats.live_bytes -= bytes;
  c.stats.cached_bytes += bytes;
  c.free_lists[bytes].push_back({ptr, std::move(in_use_until)});
}

AllocatorStats stats_of(Pool pool) {
  Cache& c = cache_for(pool);
  std::lock_guard<std::mutex> lock(c.mu);
  return c.stats;
}

}  // namespace

void* device_alloc(size_t bytes, Device device) { return cached_alloc(bytes, pool_of(device)); }

void device_free(void* ptr, size_t bytes, Device device) {
  cached_free(ptr, bytes, pool_of(device), nullptr);
}

void* pinned_alloc(size_t bytes) { return cached_alloc(bytes, Pool::Pinned); }

void pinned_free(void* ptr, size_t bytes, std::shared_ptr<void> in_use_until) {
  cached_free(ptr, bytes, Pool::Pinned, std::move(in_use_until));
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

AllocatorStats allocator_stats(Device device) { return stats_of(pool_of(device)); }

AllocatorStats pinned_stats() { return stats_of(Pool::Pinned); }

void allocator_reset_peak(Device device) {
  Cache& c = cache_for(pool_of(device));
  std::lock_guard<std::mutex> lock(c.mu);
  c.stats.peak_bytes = c.stats.live_bytes;
}

void allocator_release_cache(Device device) {
  Cache& c = cache_for(pool_of(device));
  std::lock_guard<std::mutex> lock(c.mu);
  for (auto& [bytes, list] : c.free_lists)
    for (const Block& b : list) system_free(b.ptr, device);
  c.free_lists.clear();
  c.stats.cached_bytes = 0;
}

}  // namespace eng
