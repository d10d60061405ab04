// backend.cpp — kernel-family selection and thread count (see backend.hpp).
#include "engine/backend.hpp"

#include <atomic>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace eng {
namespace {
#ifdef ENG_HAVE_ONEDNN
std::atomic<CpuBackend> g_cpu{CpuBackend::OneDNN};
#else
std::atomic<CpuBackend> g_cpu{CpuBackend::Reference};
#endif
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
