// cuda_parity.hpp — what the CUDA test programs (test_cuda_ops, test_cuda_pipeline) share on top
// of tests/op_harness.hpp: a function on the CPU (reference kernels) and on CUDA from the same
// inputs and cotangent, outputs and gradients compared; seeded inputs by stream; and main().
// The per-op CUDA parity cases are in the op table (tests/op_cases.hpp), run by test_ops.
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
#include "tests/op_harness.hpp"

namespace cuda_parity {

using eng::Device;
using eng::Shape;
using eng::Tensor;
using optest::kExact;
using optest::kGemm;
using optest::kNorm;
using optest::Tf32Guard;
using testing::Fn;

inline constexpr double kTf32 = 1e-2;

// |gpu - cpu| <= tol * (|cpu| + max|cpu|) elementwise (see the file comment).
inline void check_scaled(const Tensor& gpu, const Tensor& cpu, double tol,
                         const std::string& what) {
  BOOST_CHECK_MESSAGE(gpu.device() == Device::CUDA, what << ": result is on " << gpu.describe());
  optest::check_bound(gpu, cpu, optest::scaled(tol), what);
}

inline void check_bitwise(const Tensor& a, const Tensor& b, const std::string& what) {
  BOOST_CHECK_MESSAGE(a.to_vector() == b.to_vector(), what << ": repeated CUDA run differs");
}

// Each input's role: a gradient where wants_grad says so (default: every defined input).
inline std::vector<optest::Role> roles_of(const std::vector<Tensor>& inputs,
                                          std::vector<bool> wants_grad) {
  if (wants_grad.empty()) wants_grad.assign(inputs.size(), true);
  std::vector<optest::Role> roles;
  for (size_t k = 0; k < inputs.size(); ++k)
    roles.push_back(!inputs[k].defined() ? optest::Role::Absent
                    : wants_grad[k]      ? optest::Role::Grad
                                         : optest::Role::Const);
  return roles;
}

// f on the CPU (reference kernels) and on CUDA from the same inputs and cotangent: the output
// within `tol`, every gradient within `grad_tol`. wants_grad: per input (default: all defined).
inline void check_parity(const std::string& what, const Fn& f, const std::vector<Tensor>& inputs,
                         double tol, double grad_tol, std::vector<bool> wants_grad = {}) {
  const std::vector<optest::Role> roles = roles_of(inputs, wants_grad);
  optest::Run cpu = optest::run(eng::Kernel::Reference, f, inputs, roles, Tensor(), what);
  optest::Run gpu = optest::run(eng::Kernel::CUDA, f, inputs, roles, cpu.seed, what);
  optest::check_against(gpu, cpu, eng::Kernel::CUDA, roles,
                        {optest::scaled(tol), optest::scaled(grad_tol), {}}, what);
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
