// backend.cpp — kernel-family selection, compute precision and thread count (see backend.hpp).
#include "engine/backend.hpp"

#include <atomic>
#ifdef _OPENMP
#include <omp.h>
#endif
#ifdef ENG_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.h>  // the CPU ISA query only
#endif
#ifdef ENG_HAVE_CUDA
#include "engine/cuda_runtime.hpp"
#endif

namespace eng {
namespace {
#ifdef ENG_HAVE_ONEDNN
std::atomic<CpuBackend> g_cpu{CpuBackend::OneDNN};
#else
std::atomic<CpuBackend> g_cpu{CpuBackend::Reference};
#endif
std::atomic<Precision> g_precision{Precision::FP32};
}  // namespace

bool built_with_onednn() {
#ifdef ENG_HAVE_ONEDNN
  return true;
#else
  return false;
#endif
}

bool built_with_cuda() {
#ifdef ENG_HAVE_CUDA
  return true;
#else
  return false;
#endif
}

#ifdef ENG_HAVE_CUDA
bool cuda_device_present() { return cuda::device_present(); }
std::string cuda_device_name() { return cuda::device_name(); }
void synchronize(Device device) {
  if (device == Device::CUDA) cuda::synchronize();
}
void set_cuda_tf32(bool on) { cuda::set_tf32(on ? cuda::Tf32{} : cuda::Tf32{false, false}); }
bool cuda_tf32_convolutions() { return cuda::tf32().conv; }
#else
bool cuda_device_present() { return false; }
std::string cuda_device_name() { return ""; }
void synchronize(Device) {}
void set_cuda_tf32(bool) {}
bool cuda_tf32_convolutions() { return false; }
#endif

CpuBackend cpu_backend() { return g_cpu.load(); }

void set_cpu_backend(CpuBackend b) {
  ENG_CHECK(b != CpuBackend::OneDNN || built_with_onednn(), "backend",
            "oneDNN was requested but this build has none (configure with ENG_ONEDNN=ON and "
            "libdnnl-dev installed)");
  g_cpu.store(b);
}

const char* kernel_name(Kernel k) {
  switch (k) {
    case Kernel::Reference:
      return "reference";
    case Kernel::OneDNN:
      return "onednn";
    case Kernel::CUDA:
      return "cuda";
  }
  return "?";
}

Kernel pick_kernel(const Tensor& x) {
  if (x.device() == Device::CUDA) return Kernel::CUDA;
  return cpu_backend() == CpuBackend::OneDNN ? Kernel::OneDNN : Kernel::Reference;
}

bool cpu_supports_bf16() {
#ifdef ENG_HAVE_ONEDNN
  // ISA values are bit sets: AMX and later include every avx512_core_bf16 bit.
  const unsigned bf16 = dnnl_cpu_isa_avx512_core_bf16;
  return (static_cast<unsigned>(dnnl_get_effective_cpu_isa()) & bf16) == bf16;
#else
  return false;
#endif
}

Precision compute_precision() { return g_precision.load(); }

void set_compute_precision(Precision p) {
  ENG_CHECK(p == Precision::FP32 || cpu_supports_bf16(), "compute precision",
            built_with_onednn()
                ? "bf16 needs a CPU with AVX-512 BF16 (cpuinfo flag avx512_bf16) or AMX, and this "
                  "CPU lacks it as oneDNN sees it (or ONEDNN_MAX_CPU_ISA caps it below "
                  "AVX512_CORE_BF16); use fp32"
                : "bf16 runs on oneDNN's bf16 kernels and this build has no oneDNN (configure "
                  "with ENG_ONEDNN=ON and libdnnl-dev installed); use fp32");
  g_precision.store(p);
}

const char* precision_name(Precision p) { return p == Precision::BF16 ? "bf16" : "fp32"; }

Precision parse_precision(const std::string& name) {
  for (Precision p : {Precision::FP32, Precision::BF16})
    if (name == precision_name(p)) return p;
  throw Error(str("compute precision: unknown precision '", name, "' (expected fp32 or bf16)"));
}

void set_num_threads(int n) {
#ifdef _OPENMP
  omp_set_num_threads(n > 0 ? n : omp_get_num_procs());
#else
  (void)n;
#endif
}

int num_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

}  // namespace eng
