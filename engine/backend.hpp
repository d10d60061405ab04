// backend.hpp — which kernels run an op.
//
// An op's inputs decide the device; on the CPU the process-wide choice below decides between
// the reference kernels (plain C++/OpenMP, always built: the oracle) and oneDNN (when built).
// Tests flip it with CpuBackendGuard to compare the two on the same inputs.
#pragma once
#include "engine/tensor.hpp"

namespace eng {

enum class CpuBackend { Reference, OneDNN };
enum class Kernel { Reference, OneDNN, CUDA };

bool built_with_onednn();
bool built_with_cuda();
CpuBackend cpu_backend();
void set_cpu_backend(CpuBackend b);  // throws if OneDNN is asked for and not built
const char* kernel_name(Kernel k);

// The kernel family for an op whose (first) input is `x`.
Kernel pick_kernel(const Tensor& x);

class CpuBackendGuard {
 public:
  explicit CpuBackendGuard(CpuBackend b) : previous_(cpu_backend()) { set_cpu_backend(b); }
  ~CpuBackendGuard() { set_cpu_backend(previous_); }
  CpuBackendGuard(const CpuBackendGuard&) = delete;
  CpuBackendGuard& operator=(const CpuBackendGuard&) = delete;

 private:
  CpuBackend previous_;
};

// Threads for OpenMP loops and oneDNN (which shares OpenMP's pool). 0 = all cores.
void set_num_threads(int n);
int num_threads();

}  // namespace eng
