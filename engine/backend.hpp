// backend.hpp — which kernels run an op, and in which precision the CPU convolutions compute.
//
// An op's inputs decide the device; on the CPU the process-wide choice below decides between
// the reference kernels (plain C++/OpenMP, always built: the oracle) and oneDNN (when built).
// Tests flip it with CpuBackendGuard to compare the two on the same inputs.
//
// Compute precision (process-wide, default FP32; read when a kernel runs, so change it between
// steps, not between a forward pass and its backward):
//  - FP32: everything in float32.
//  - BF16: mixed precision for the CPU convolutions only. Their inputs (x, w and dy) are rounded
//    to bfloat16 (round to nearest even), the products are summed in float32 and every result
//    (y, dx, dw, db) is float32. Parameters (the fp32 master weights), optimizer state, batch
//    norm, linear/matmul, the loss and every other op stay float32. oneDNN runs its native bf16
//    kernels (AVX-512 BF16); the reference conv emulates the same rounding, so it stays the
//    oracle of the oneDNN bf16 kernels. CUDA kernels ignore the setting (float32, or TF32).
//    Only accepted where cpu_supports_bf16(): elsewhere set_compute_precision throws an
//    eng::Error saying why (callers print it and stay on fp32).
#pragma once
#include <string>

#include "engine/tensor.hpp"

namespace eng {

enum class CpuBackend { Reference, OneDNN };
enum class Kernel { Reference, OneDNN, CUDA };
enum class Precision { FP32, BF16 };

bool built_with_onednn();
bool built_with_cuda();
CpuBackend cpu_backend();
void set_cpu_backend(CpuBackend b);  // throws if OneDNN is asked for and not built
const char* kernel_name(Kernel k);

// The kernel family for an op whose (first) input is `x`.
Kernel pick_kernel(const Tensor& x);

// True when oneDNN (in this build) may use AVX-512 BF16 or AMX instructions on this CPU: its
// effective ISA, which also honours a cap set with ONEDNN_MAX_CPU_ISA. False without oneDNN.
bool cpu_supports_bf16();
Precision compute_precision();
void set_compute_precision(Precision p);  // BF16 without cpu_supports_bf16(): throws, says why
const char* precision_name(Precision p);  // "fp32" / "bf16"
Precision parse_precision(const std::string& name);  // "fp32" / "bf16"; throws otherwise

// Sets a process-wide setting for the guard's lifetime, then restores the previous value.
template <class T, T (*Get)(), void (*Set)(T)>
class SettingGuard {
 public:
  explicit SettingGuard(T value) : previous_(Get()) { Set(value); }
  ~SettingGuard() { Set(previous_); }
  SettingGuard(const SettingGuard&) = delete;
  SettingGuard& operator=(const SettingGuard&) = delete;

 private:
  T previous_;
};
using CpuBackendGuard = SettingGuard<CpuBackend, cpu_backend, set_cpu_backend>;
using PrecisionGuard = SettingGuard<Precision, compute_precision, set_compute_precision>;

// The CUDA seam for code that must not include CUDA headers (tools, iic/): each is a no-op or
// false/"" in a build without CUDA.
bool cuda_device_present();       // a usable GPU is visible (never throws)
std::string cuda_device_name();   // e.g. "NVIDIA H100 80GB HBM3"
void synchronize(Device device);  // waits for the device's queued work; nothing on the CPU
// on: PyTorch's defaults (TF32 convolutions, float32 matmuls); off: plain float32 for both.
void set_cuda_tf32(bool on);
bool cuda_tf32_convolutions();

// Threads for OpenMP loops and oneDNN (which shares OpenMP's pool). 0 = all cores.
void set_num_threads(int n);
int num_threads();

}  // namespace eng
