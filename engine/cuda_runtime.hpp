// cuda_runtime.hpp — the engine's only contact with the CUDA runtime (built when ENG_HAVE_CUDA).
//
// Contract: every device allocation, copy and memset of the engine goes through here, on one
// engine stream (stream()); the one exception is the copy stream, which carries host->device
// copies of batches so that they overlap the engine stream's kernels (copy_to_device_async).
// Functions throw eng::Error with CUDA's message on failure. In a build without CUDA none of this
// exists and the engine reports "built without CUDA" instead.
// The device is the process's current one (device 0 unless CUDA_VISIBLE_DEVICES says otherwise),
// initialised on first use. The cuDNN and cuBLAS handles are bound to the engine stream; like
// the stream they are meant for one thread at a time (the training loop's).
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace eng::cuda {

bool device_present();           // a usable GPU is visible (never throws)
std::string device_name();       // the current GPU's name, e.g. "NVIDIA H100 80GB HBM3"
void* raw_malloc(size_t bytes);  // cudaMalloc (the caching layer is in allocator.cpp)
void raw_free(void* ptr);        // cudaFree
void memset0_async(void* ptr, size_t bytes);
// kind: 0 host->device, 1 device->host, 2 device->device. Host memory may be pageable. A copy
// that touches the host returns when it is complete (the engine stream is drained first); a
// device->device copy is ordered on the engine stream like every kernel.
void memcpy_sync(void* dst, const void* src, size_t bytes, int kind);
void synchronize();  // wait for the engine stream
void* stream();      // the engine's cudaStream_t, as void*
// out[i] = a[i] + b[i] on the engine stream (gradient accumulation in autograd.cpp).
void add_f32(const float* a, const float* b, float* out, size_t n);

// cudaHostAlloc: page-locked host memory (the caching layer, which keeps it, is in allocator.cpp).
void* raw_host_alloc(size_t bytes);

// The copy stream. An Event is a recorded cudaEvent_t, shared by whoever waits for it and
// destroyed with the last handle.
using Event = std::shared_ptr<void>;
struct HostToDevice {
  void* dst;        // device memory
  const void* src;  // host memory, page-locked for a truly asynchronous copy (raw_host_alloc)
  size_t bytes;
};
// Enqueues the copies on the copy stream and returns at once, with the event that fires when
// they are done. They run after all the work enqueued on the engine stream before the call, so a
// destination may be a block that the caching allocator got back from engine-stream work (it
// must have been allocated before the call). The source must stay untouched until the event
// fired; the engine stream must wait for it (engine_wait) before it touches a destination, even
// to drop it unread. Any thread may call this.
Event copy_to_device_async(const std::vector<HostToDevice>& copies);
void engine_wait(const Event& event);  // the engine stream waits for event (the host does not)
bool event_done(const Event& event);   // the event fired (never blocks)

// TF32 tensor-core math (~1e-3 relative error) with PyTorch's defaults: ON for convolutions
// (cudnn.allow_tf32), OFF for matrix products (matmul.allow_tf32 = False since 1.12; the IIC
// joint matrix wants float32). Tests turn both off for parity with the CPU.
struct Tf32 {
  bool conv = true;
  bool matmul = false;
};
void set_tf32(Tf32 modes);
Tf32 tf32();

void* cudnn_handle();   // cudnnHandle_t bound to stream(), as void*
void* cublas_handle();  // cublasHandle_t bound to stream(), as void*

// A device scratch buffer of at least `bytes` for cuDNN algorithms: one cached buffer that only
// grows (through the caching allocator, so the old one is reused in stream order). The pointer
// stays valid until the next call of workspace(); use it for one library call at a time.
void* workspace(size_t bytes);

// Throw eng::Error("<op>: <call> failed: <library's message>") for a failed status code of the
// CUDA runtime (cudaError_t), cuDNN (cudnnStatus_t) or cuBLAS (cublasStatus_t). Used through
// the ENG_*_CHECK macros of ops/cuda_common.hpp.
[[noreturn]] void throw_cuda_error(const char* op, const char* call, int code);
[[noreturn]] void throw_cudnn_error(const char* op, const char* call, int code);
[[noreturn]] void throw_cublas_error(const char* op, const char* call, int code);

}  // namespace eng::cuda
