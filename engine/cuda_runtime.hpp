// cuda_runtime.hpp — the engine's only contact with the CUDA runtime (built when ENG_HAVE_CUDA).
//
// Contract: every device allocation, copy and memset of the engine goes through here, on one
// engine stream (stream()). Functions throw eng::Error with CUDA's message on failure. In a build
// without CUDA none of this exists and the engine reports "built without CUDA" instead.
#pragma once
#include <cstddef>

namespace eng::cuda {

bool device_present();             // a usable GPU is visible
void* raw_malloc(size_t bytes);    // cudaMalloc (the caching layer is in allocator.cpp)
void raw_free(void* ptr);          // cudaFree
void memset0_async(void* ptr, size_t bytes);
// kind: 0 host->device, 1 device->host, 2 device->device. Host memory may be pageable.
void memcpy_sync(void* dst, const void* src, size_t bytes, int kind);
void synchronize();                // wait for the engine stream
void* stream();                    // the engine's cudaStream_t, as void*
// out[i] = a[i] + b[i] on the engine stream (gradient accumulation in autograd.cpp).
void add_f32(const float* a, const float* b, float* out, size_t n);

}  // namespace eng::cuda
