// cuda_parity.hpp — what the CUDA test programs (test_cuda_ops, test_cuda_pipeline) share:
// running a function on the CPU (reference kernels) and on CUDA from the same inputs and
// cotangent and comparing outputs and gradients, the tolerances, TF32 for a scope, and main().
//
// Parity runs with TF32 off (plain float32 on both sides). The CPU reference sums in double or in
// another order than cuDNN/cuBLAS, so results differ by float32 rounding: every comparison is
// |gpu - cpu| <= tol * (|cpu| + max|cpu|), i.e. relative to the tensor's own scale, with
//   kExact 1e-5  element-wise, shape, reduction and softmax ops (a few ulps);
//   kGemm  1e-4  conv/linear/matmul/pool (sums of up to ~5000 products);
//   kNorm  1e-3  batch norm gradients and the whole network (cancellation in
//                dx = g*inv_std*(dy - mean(dy) - xhat*mean(dy*xhat)), compounded through layers).
// A wrong kernel gives errors of the order of the values themselves, far above these. TF32 on
// (10-bit mantissa) is checked with 1e-2.
#pragma once
#ifdef ENG_HAVE_CUDA
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "engine/cuda_runtime.hpp"
#include "ops/ops.hpp"
#include "tests/testing.hpp"

namespace cuda_parity {

using eng::Device;
using eng::Shape;
using eng::Tensor;
using testing::Fn;

inline constexpr double kExact = 1e-5, kGemm = 1e-4, kNorm = 1e-3, kTf32 = 1e-2;

// TF32 set for a scope.
struct Tf32Guard {
  explicit Tf32Guard(bool on) : previous(eng::cuda::tf32()) { eng::cuda::set_tf32({on, on}); }
  ~Tf32Guard() { eng::cuda::set_tf32(previous); }
  eng::cuda::Tf32 previous;
};

// |gpu - cpu| <= tol * (|cpu| + max|cpu|) elementwise (see the file comment).
inline void check_scaled(const Tensor& gpu, const Tensor& cpu, double tol,
                         const std::string& what) {
  BOOST_REQUIRE_MESSAGE(gpu.defined() && cpu.defined(), what << ": undefined result");
  BOOST_CHECK_MESSAGE(gpu.device() == Device::CUDA, what << ": result is on " << gpu.describe());
  testing::check_close(gpu, cpu, tol, tol * testing::max_abs(cpu) + 1e-30, what);
}

inline void check_bitwise(const Tensor& a, const Tensor& b, const std::string& what) {
  BOOST_CHECK_MESSAGE(a.to_vector() == b.to_vector(), what << ": repeated CUDA run differs");
}

struct Run {
  Tensor out;
  std::vector<Tensor> grads;  // per input, undefined where not asked
};

// f on copies of `inputs` on `device` (those with wants_grad[k] require grad), then backward
// with the cotangent `seed` (created from the CPU output's shape when undefined).
inline Run run_on(Device device, const Fn& f, const std::vector<Tensor>& inputs,
                  const std::vector<bool>& wants_grad, Tensor& seed) {
  eng::CpuBackendGuard ref(eng::CpuBackend::Reference);
  std::vector<Tensor> in;
  for (size_t k = 0; k < inputs.size(); ++k) {
    Tensor t;  // an undefined input (an absent bias) stays undefined
    if (inputs[k].defined()) t = device == Device::CPU ? inputs[k].clone() : inputs[k].to(device);
    if (t.defined() && wants_grad[k]) t.set_requires_grad(true);
    in.push_back(t);
  }
  Run r;
  r.out = f(in);
  if (!seed.defined()) {
    eng::Rng rng(77, 3);
    seed = testing::randn(r.out.shape(), rng);
  }
  if (r.out.requires_grad()) eng::run_backward(r.out, seed.to(device));
  for (size_t k = 0; k < in.size(); ++k)
    r.grads.push_back(in[k].defined() && wants_grad[k] ? in[k].grad() : Tensor());
  return r;
}

// f on the CPU (reference kernels) and on CUDA from the same inputs and cotangent: the output
// within `tol`, every gradient within `grad_tol`. wants_grad: per input (default: all defined).
inline void check_parity(const std::string& what, const Fn& f, const std::vector<Tensor>& inputs,
                         double tol, double grad_tol, std::vector<bool> wants_grad = {}) {
  Tf32Guard fp32(false);
  if (wants_grad.empty()) wants_grad.assign(inputs.size(), true);
  Tensor seed;
  Run cpu = run_on(Device::CPU, f, inputs, wants_grad, seed);
  Run gpu = run_on(Device::CUDA, f, inputs, wants_grad, seed);
  check_scaled(gpu.out, cpu.out, tol, what + " forward");
  for (size_t k = 0; k < inputs.size(); ++k) {
    if (!wants_grad[k] || !inputs[k].defined()) continue;
    BOOST_REQUIRE_MESSAGE(cpu.grads[k].defined() && gpu.grads[k].defined(),
                          what << ": input " << k << " received no gradient");
    check_scaled(gpu.grads[k], cpu.grads[k], grad_tol, what + " d/d input" + std::to_string(k));
  }
}

inline Tensor randn(const Shape& s, uint64_t stream, float scale = 1.0f) {
  eng::Rng rng(2024, stream);
  return testing::randn(s, rng, scale);
}
inline Tensor uniform(const Shape& s, uint64_t stream, float lo, float hi) {
  eng::Rng rng(2024, stream);
  return testing::uniform(s, rng, lo, hi);
}

// main() of a CUDA test program: without a device, "SKIPPED" and exit code 77 (ctest: skipped).
// The including file defines BOOST_TEST_MODULE and BOOST_TEST_NO_MAIN before Boost.Test's header
// (that is what declares init_unit_test).
inline int main_or_skip(int argc, char* argv[]) {
  if (!eng::cuda::device_present()) {
    std::printf("SKIPPED: no CUDA device\n");
    return 77;
  }
  return boost::unit_test::unit_test_main(&init_unit_test, argc, argv);
}

}  // namespace cuda_parity

#else  // a build without CUDA: every CUDA test program is skipped
#include <cstdio>

namespace cuda_parity {
inline int main_or_skip(int, char*[]) {
  std::printf("SKIPPED: built without CUDA (configure with ENG_CUDA=ON)\n");
  return 77;
}
}  // namespace cuda_parity

#endif
