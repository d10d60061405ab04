// cuda_runtime.cu — the engine stream, device and page-locked memory, copies (the copy stream and
// its events), the cuDNN/cuBLAS handles, the cached cuDNN workspace, the TF32 switch and the error
// messages (see cuda_runtime.hpp).
//
// The streams, handles and workspace are created on first use and deliberately never destroyed:
// destroying them from static destructors would race with the CUDA runtime's own teardown.
#include "engine/cuda_runtime.hpp"

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <atomic>
#include <mutex>

#include "engine/allocator.hpp"
#include "engine/error.hpp"
#include "engine/tensor.hpp"

namespace eng::cuda {

void throw_cuda_error(const char* op, const char* call, int code) {
  auto e = static_cast<cudaError_t>(code);
  cudaGetLastError();  // clear a non-sticky error so later calls start clean
  throw Error(
      str(op, ": ", call, " failed: ", cudaGetErrorName(e), " (", cudaGetErrorString(e), ")"));
}

void throw_cudnn_error(const char* op, const char* call, int code) {
  char detail[512] = {0};
  cudnnGetLastErrorString(detail, sizeof(detail));
  throw Error(str(op, ": ", call,
                  " failed: ", cudnnGetErrorString(static_cast<cudnnStatus_t>(code)),
                  detail[0] ? str(" (", detail, ")") : std::string()));
}

void throw_cublas_error(const char* op, const char* call, int code) {
  throw Error(
      str(op, ": ", call, " failed: ", cublasGetStatusString(static_cast<cublasStatus_t>(code))));
}

namespace {

void check(cudaError_t e, const char* call) {
  if (e != cudaSuccess) throw_cuda_error("cuda", call, e);
}

cudaStream_t create_stream(unsigned flags) {
  cudaStream_t created = nullptr;
  check(cudaStreamCreateWithFlags(&created, flags), "cudaStreamCreate");
  return created;
}

cudaStream_t engine_stream() {
  // A blocking stream: it stays ordered with anything a library issues on the legacy stream.
  static cudaStream_t s = create_stream(cudaStreamDefault);
  return s;
}

cudaStream_t copy_stream() {
  // Non-blocking: copies never wait for work that something issues on the legacy stream.
  static cudaStream_t s = create_stream(cudaStreamNonBlocking);
  return s;
}

cudaEvent_t event_of(const Event& e) { return static_cast<cudaEvent_t>(e.get()); }

// An event recorded on `stream` now.
Event record(cudaStream_t stream) {
  cudaEvent_t created = nullptr;
  check(cudaEventCreateWithFlags(&created, cudaEventDisableTiming), "cudaEventCreate");
  Event e(created, [](void* p) { cudaEventDestroy(static_cast<cudaEvent_t>(p)); });
  check(cudaEventRecord(created, stream), "cudaEventRecord");
  return e;
}

std::atomic<bool> g_tf32_conv{true}, g_tf32_matmul{false};

__global__ void add_f32_kernel(const float* a, const float* b, float* out, size_t n) {
  size_t stride = size_t(blockDim.x) * gridDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    out[i] = a[i] + b[i];
}

}  // namespace

bool device_present() {
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return n > 0;
}

std::string device_name() {
  int device = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
  return prop.name;
}

void* raw_malloc(size_t bytes) {
  void* p = nullptr;
  cudaError_t e = cudaMalloc(&p, bytes);
  if (e == cudaErrorMemoryAllocation) {
    // The caching allocator may hold blocks of other sizes: give them back and try once more.
    cudaGetLastError();
    allocator_release_cache(Device::CUDA);
    e = cudaMalloc(&p, bytes);
  }
  if (e != cudaSuccess) {
    cudaGetLastError();
    AllocatorStats s = allocator_stats(Device::CUDA);
    throw Error(str("cuda: cudaMalloc of ", bytes, " bytes failed: ", cudaGetErrorString(e),
                    " (engine tensors hold ", s.live_bytes, " bytes, peak ", s.peak_bytes, ")"));
  }
  return p;
}

void raw_free(void* ptr) {
  cudaError_t e = cudaFree(ptr);
  if (e == cudaErrorCudartUnloading) return;  // process exit: the driver frees everything
  check(e, "cudaFree");
}

void memset0_async(void* ptr, size_t bytes) {
  check(cudaMemsetAsync(ptr, 0, bytes, engine_stream()), "cudaMemsetAsync");
}

void memcpy_sync(void* dst, const void* src, size_t bytes, int kind) {
  ENG_CHECK(kind >= 0 && kind <= 2, "cuda", "memcpy kind must be 0, 1 or 2, got ", kind);
  const cudaMemcpyKind kinds[] = {cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost,
                                  cudaMemcpyDeviceToDevice};
  cudaStream_t s = engine_stream();
  check(cudaMemcpyAsync(dst, src, bytes, kinds[kind], s), "cudaMemcpyAsync");
  if (kind != 2) check(cudaStreamSynchronize(s), "cudaStreamSynchronize after a copy");
}

void synchronize() { check(cudaStreamSynchronize(engine_stream()), "cudaStreamSynchronize"); }

void* stream() { return engine_stream(); }

void* raw_host_alloc(size_t bytes) {
  void* p = nullptr;
  cudaError_t e = cudaHostAlloc(&p, bytes, cudaHostAllocDefault);
  if (e != cudaSuccess) {
    cudaGetLastError();
    throw Error(str("cuda: cudaHostAlloc of ", bytes, " bytes failed: ", cudaGetErrorString(e)));
  }
  return p;
}

Event copy_to_device_async(const std::vector<HostToDevice>& copies) {
  cudaStream_t copy = copy_stream();
  try {
    check(cudaStreamWaitEvent(copy, event_of(record(engine_stream())), 0), "cudaStreamWaitEvent");
    for (const HostToDevice& c : copies)
      check(cudaMemcpyAsync(c.dst, c.src, c.bytes, cudaMemcpyHostToDevice, copy),
            "cudaMemcpyAsync (copy stream)");
    return record(copy);
  } catch (...) {
    // The caller drops the destinations and the source: let the copies already enqueued finish.
    cudaStreamSynchronize(copy);
    throw;
  }
}

void engine_wait(const Event& event) {
  check(cudaStreamWaitEvent(engine_stream(), event_of(event), 0), "cudaStreamWaitEvent");
}

bool event_done(const Event& event) {
  cudaError_t e = cudaEventQuery(event_of(event));
  if (e == cudaErrorNotReady) {
    cudaGetLastError();  // not an error: keep it out of later checks
    return false;
  }
  check(e, "cudaEventQuery");
  return true;
}

void add_f32(const float* a, const float* b, float* out, size_t n) {
  if (n == 0) return;
  const int threads = 256;
  size_t blocks = (n + threads - 1) / threads;
  if (blocks > 65536) blocks = 65536;  // grid-stride loop covers the rest
  add_f32_kernel<<<unsigned(blocks), threads, 0, engine_stream()>>>(a, b, out, n);
  check(cudaGetLastError(), "add_f32 kernel launch");
}

void set_tf32(Tf32 modes) {
  g_tf32_conv.store(modes.conv);
  g_tf32_matmul.store(modes.matmul);
}
Tf32 tf32() { return {g_tf32_conv.load(), g_tf32_matmul.load()}; }

void* cudnn_handle() {
  static cudnnHandle_t h = [] {
    cudnnHandle_t created = nullptr;
    cudnnStatus_t s = cudnnCreate(&created);
    if (s != CUDNN_STATUS_SUCCESS) throw_cudnn_error("cuda", "cudnnCreate", s);
    s = cudnnSetStream(created, engine_stream());
    if (s != CUDNN_STATUS_SUCCESS) throw_cudnn_error("cuda", "cudnnSetStream", s);
    return created;
  }();
  return h;
}

void* cublas_handle() {
  static cublasHandle_t h = [] {
    cublasHandle_t created = nullptr;
    cublasStatus_t s = cublasCreate(&created);
    if (s != CUBLAS_STATUS_SUCCESS) throw_cublas_error("cuda", "cublasCreate", s);
    s = cublasSetStream(created, engine_stream());
    if (s != CUBLAS_STATUS_SUCCESS) throw_cublas_error("cuda", "cublasSetStream", s);
    return created;
  }();
  return h;
}

void* workspace(size_t bytes) {
  static std::mutex mu;
  static Tensor* buffer = new Tensor();  // never destroyed (see the file comment)
  std::lock_guard<std::mutex> lock(mu);
  if (bytes == 0) return buffer->defined() ? buffer->raw() : nullptr;
  if (!buffer->defined() || buffer->storage_bytes() < bytes) {
    size_t size = size_t(1) << 20;  // powers of two from 1 MiB: few distinct sizes ever cached
    while (size < bytes) size *= 2;
    *buffer = Tensor();  // the old block goes back to the cache, reused in stream order
    *buffer = Tensor::empty({int64_t(size / sizeof(float))}, Device::CUDA);
  }
  return buffer->raw();
}

}  // namespace eng::cuda
