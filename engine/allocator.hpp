// allocator.hpp — caching allocators behind Storage, and page-locked host memory.
//
// Training repeats the same shapes every step, so freed blocks are kept in per-size free lists
// and handed out again: no malloc/mmap (CPU), cudaMalloc (CUDA) or cudaHostAlloc (page-locked) in
// the steady-state step. CPU blocks are 64-byte aligned (AVX-512 loads). Thread-safe.
//
// Streams: CUDA blocks are used on the engine stream, whose order makes a block freed by one
// kernel safe to hand to the next. The one other writer, the copy stream, waits for the engine
// stream's work before it copies (cuda::copy_to_device_async), and the engine stream waits for a
// copy before it uses or drops the destination (cuda::engine_wait), so the cache needs no events.
// Page-locked blocks are read by copies the host does not wait for: such a block is freed with
// the copy's event and handed out again only once the event fired; until then a request of its
// size gets another block (so the pool grows to the number of copies in flight, and nobody
// waits).
#pragma once
#include <cstddef>
#include <memory>

#include "engine/tensor.hpp"

namespace eng {

void* device_alloc(size_t bytes, Device device);
void device_free(void* ptr, size_t bytes, Device device);
void device_memset0(void* ptr, size_t bytes, Device device);
// Copy between any two devices (host<->device, device<->device, host<->host).
void device_copy(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes);

// Page-locked host memory, the source of asynchronous host->device copies (a build without
// CUDA throws). `in_use_until`: a cuda::Event after which nothing reads the block (null: free
// now); the block is not handed out again before it fired. Page-locked blocks stay cached for
// the life of the process.
void* pinned_alloc(size_t bytes);
void pinned_free(void* ptr, size_t bytes, std::shared_ptr<void> in_use_until = nullptr);

struct AllocatorStats {
  size_t live_bytes = 0;    // handed out and not yet freed
  size_t peak_bytes = 0;    // maximum of live_bytes since start or reset
  size_t cached_bytes = 0;  // held in free lists
};
AllocatorStats allocator_stats(Device device);
AllocatorStats pinned_stats();
void allocator_reset_peak(Device device);
void allocator_release_cache(Device device);  // give cached blocks back to the system

}  // namespace eng
