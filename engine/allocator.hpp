// allocator.hpp — caching allocators behind Storage.
//
// Training repeats the same shapes every step, so freed blocks are kept in per-size free lists
// and handed out again: no malloc/mmap (CPU) or cudaMalloc (CUDA) in the steady-state step.
// CPU blocks are 64-byte aligned (AVX-512 loads). Thread-safe.
#pragma once
#include <cstddef>

#include "engine/tensor.hpp"

namespace eng {

void* device_alloc(size_t bytes, Device device);
void device_free(void* ptr, size_t bytes, Device device);
void device_memset0(void* ptr, size_t bytes, Device device);
// Copy between any two devices (host<->device, device<->device, host<->host).
void device_copy(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes);

struct AllocatorStats {
  size_t live_bytes = 0;    // handed out and not yet freed
  size_t peak_bytes = 0;    // maximum of live_bytes since start or reset
  size_t cached_bytes = 0;  // held in free lists
};
AllocatorStats allocator_stats(Device device);
void allocator_reset_peak(Device device);
void allocator_release_cache(Device device);  // give cached blocks back to the system

}  // namespace eng
