// op_harness.hpp — running one op on one kernel family and comparing it with the reference, in
// the manner of ggml's test-backend-ops; the machinery behind the case table (op_cases.hpp) and
// test_ops, also used by the op-specific tests (blocked layouts, reruns, CUDA programs).
//
// A kernel family is an eng::Kernel: Reference (the oracle, always built), OneDNN (CPU, when
// built) and CUDA (when built and a device is present at run time; the CPU parts of a CUDA run
// use the reference kernels and TF32 is off). run() runs a function on copies of the inputs on
// one family, seeds the backward pass with a given cotangent and returns the output, the
// gradient of every input that wants one and the inputs after the run (for state an op updates
// in place, such as batch norm's running statistics). Every run checks what autograd must do
// whatever the kernels: an output records a graph exactly when some input wants a gradient, each
// such input receives one, no other input does, and a parameter's gradient is plain.
//
// A case (OpCase) is an op, a unique name, its inputs (shape, initialisation, role), a tolerance
// class, whether the op is kinked, and the function. Inputs are drawn from a stream keyed by the
// case's name, so adding a case changes no other. Finite differences (testing::gradcheck) run
// where some input wants a gradient and those inputs hold at most kFdElements values (each costs
// three forward passes) unless the case turns them off; in a kinked op (relu, max, clamp) up to a
// quarter of the elements may be skipped where the one-sided differences disagree, in a smooth op
// every element is compared.
//
// Tolerances. A fast family sums in another order than the reference (and cuDNN picks its own
// algorithms), so results differ by float32 rounding relative to the tensor's own scale: each
// comparison is |got - ref| <= rel * |ref| + scaled * max|ref| + abs, where "kT" below means
// rel = scaled = T (cuda_parity.hpp's reasoning): kExact 1e-5 for a few ulps, kGemm 1e-4 for sums
// of up to ~5000 products, kNorm 1e-3 for batch norm's gradients (cancellation in
// dx = g*inv_std*(dy - mean(dy) - xhat*mean(dy*xhat))). Per class and family:
//   class    for                                  oneDNN                       CUDA
//   Bitwise  relu (selects, never adds)           0                            kExact
//   Exact    element-wise, shape ops, reductions, kExact                       kExact
//            softmax, max pooling with ties
//   Window   pooling                              rel 1e-6 + abs 1e-6          kGemm
//   Gemm     conv2d, sobel, linear, matmul        kGemm                        kGemm
//   Norm     batch norm: output                   rel 1e-5 + abs 1e-5          kGemm
//                        gradients                rel 1e-4 + abs 1e-4          kNorm
//                        running statistics       rel 1e-6 + abs 1e-6          kGemm
// (the oneDNN pooling and batch-norm bounds are those of their former per-op tests). A wrong
// kernel (index, tap, channel) errs by the order of the values themselves, far above all these.
#pragma once
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/testing.hpp"
#ifdef ENG_HAVE_CUDA
#include "engine/cuda_runtime.hpp"
#endif

namespace optest {

using eng::Device;
using eng::Kernel;
using eng::Shape;
using eng::Tensor;
using testing::Fn;

inline constexpr double kExact = 1e-5, kGemm = 1e-4, kNorm = 1e-3;

// ---- kernel families ---------------------------------------------------------------------

// The families a fast kernel may come from, in the order they are tested.
inline std::vector<Kernel> fast_families() { return {Kernel::OneDNN, Kernel::CUDA}; }

// Why `family` cannot run here ("" when it can).
inline std::string unavailable(Kernel family) {
  if (family == Kernel::OneDNN && !eng::built_with_onednn())
    return "built without oneDNN (configure with ENG_ONEDNN=ON)";
  if (family == Kernel::CUDA) {
#ifdef ENG_HAVE_CUDA
    if (!eng::cuda::device_present()) return "no CUDA device";
#else
    return "built without CUDA (configure with ENG_CUDA=ON)";
#endif
  }
  return "";
}

inline Kernel family_of(eng::CpuBackend b) {
  return b == eng::CpuBackend::OneDNN ? Kernel::OneDNN : Kernel::Reference;
}

inline Device device_of(Kernel family) {
  return family == Kernel::CUDA ? Device::CUDA : Device::CPU;
}

#ifdef ENG_HAVE_CUDA
// TF32 set for a scope.
struct Tf32Guard {
  explicit Tf32Guard(bool on) : previous(eng::cuda::tf32()) { eng::cuda::set_tf32({on, on}); }
  ~Tf32Guard() { eng::cuda::set_tf32(previous); }
  Tf32Guard(const Tf32Guard&) = delete;
  Tf32Guard& operator=(const Tf32Guard&) = delete;
  eng::cuda::Tf32 previous;
};
#endif

// What a run on `family` needs for its lifetime: the CPU backend (the reference for CUDA runs)
// and, on CUDA, plain float32 (TF32 off).
class FamilyScope {
 public:
  explicit FamilyScope(Kernel family)
      : cpu_(family == Kernel::OneDNN ? eng::CpuBackend::OneDNN : eng::CpuBackend::Reference) {
#ifdef ENG_HAVE_CUDA
    if (family == Kernel::CUDA) tf32_.emplace(false);
#endif
  }

 private:
  eng::CpuBackendGuard cpu_;
#ifdef ENG_HAVE_CUDA
  std::optional<Tf32Guard> tf32_;
#endif
};

// ---- one run -----------------------------------------------------------------------------

// What an op does with each input.
enum class Role {
  Grad,   // its gradient is computed, compared and finite-difference checked
  Param,  // the same, and the gradient must be plain (weights, biases, batch norm's affine)
  Const,  // no gradient asked for
  State,  // no gradient; the op updates it in place (compared after the run)
  Absent  // an undefined input (no bias)
};
inline bool wants_grad(Role r) { return r == Role::Grad || r == Role::Param; }

struct Run {
  Tensor out;
  std::vector<Tensor> grads;  // per input, undefined where none was asked for
  std::vector<Tensor> after;  // the inputs as the op left them
  Tensor seed;                // the cotangent of the backward pass (undefined without one)
};

// The inputs of a run on `family`: copies on its device (on the same device: the same storage
// and layout, but state is cloned, for the op writes into it), requiring grad where wanted.
inline std::vector<Tensor> leaves(Kernel family, const std::vector<Tensor>& inputs,
                                  const std::vector<Role>& roles) {
  const Device device = device_of(family);
  std::vector<Tensor> in;
  for (size_t k = 0; k < inputs.size(); ++k) {
    Tensor t;  // an undefined input stays undefined
    if (inputs[k].defined())
      t = inputs[k].device() != device ? inputs[k].to(device)
          : roles[k] == Role::State    ? inputs[k].clone()
                                       : inputs[k].detach();
    if (t.defined() && wants_grad(roles[k])) t.set_requires_grad(true);
    in.push_back(t);
  }
  return in;
}

// f on `family` (leaves of `inputs`), then backward with the cotangent `seed` when some input
// wants a gradient; an undefined seed is drawn from N(0, 1) in the output's shape (fixed stream:
// pass the one a reference run returned to run another family from the same cotangent).
inline Run run(Kernel family, const Fn& f, const std::vector<Tensor>& inputs,
               const std::vector<Role>& roles, Tensor seed = Tensor(),
               const std::string& what = "") {
  BOOST_REQUIRE_EQUAL(inputs.size(), roles.size());
  FamilyScope scope(family);
  std::vector<Tensor> in = leaves(family, inputs, roles);
  bool any_grad = false;
  for (const Tensor& t : in) any_grad = any_grad || (t.defined() && t.requires_grad());
  Run r;
  r.out = f(in);
  BOOST_CHECK_MESSAGE(r.out.requires_grad() == any_grad,
                      what << ": the output " << (any_grad ? "records no" : "records a")
                           << " graph, with" << (any_grad ? "" : "out") << " inputs wanting one");
  if (r.out.requires_grad()) {
    if (!seed.defined()) {
      eng::Rng rng(77, 3);
      seed = testing::randn(r.out.shape(), rng);
    }
    eng::run_backward(r.out, seed.to(device_of(family)));
    r.seed = seed;
  }
  for (size_t k = 0; k < in.size(); ++k) {
    const bool asked = in[k].defined() && wants_grad(roles[k]);
    r.grads.push_back(asked ? in[k].grad() : Tensor());
    if (!in[k].defined()) continue;
    if (asked) {
      BOOST_REQUIRE_MESSAGE(r.grads[k].defined(), what << ": input " << k << " got no gradient");
      if (roles[k] == Role::Param)
        BOOST_CHECK_MESSAGE(r.grads[k].is_plain(), what << ": the gradient of parameter " << k
                                                        << " is " << r.grads[k].describe());
    } else {
      BOOST_CHECK_MESSAGE(!in[k].grad().defined(),
                          what << ": input " << k << " got a gradient it did not ask for");
    }
  }
  r.after = in;
  return r;
}

// The output, the gradients and the inputs after the run, one tensor after the other (for
// bit-for-bit comparisons).
inline std::vector<float> values_of(const Run& r) {
  std::vector<Tensor> all{r.out};
  all.insert(all.end(), r.grads.begin(), r.grads.end());
  all.insert(all.end(), r.after.begin(), r.after.end());
  std::vector<Tensor> defined;
  for (const Tensor& t : all)
    if (t.defined()) defined.push_back(t);
  return testing::values_of(defined);
}

// ---- comparisons -------------------------------------------------------------------------

// |got - ref| <= rel * |ref| + scaled * max|ref| + abs, elementwise.
struct Bound {
  double rel = 0, scaled = 0, abs = 0;
};
inline Bound scaled(double t) { return {t, t, 1e-30}; }
inline Bound plain(double rel, double abs) { return {rel, 0, abs}; }

inline void check_bound(const Tensor& got, const Tensor& ref, const Bound& b,
                        const std::string& what) {
  BOOST_REQUIRE_MESSAGE(got.defined() && ref.defined(), what << ": undefined result");
  testing::check_close(got, ref, b.rel, b.scaled * testing::max_abs(ref) + b.abs, what);
}

enum class Tol { Bitwise, Exact, Window, Gemm, Norm };
struct Tolerance {
  Bound out, grad, state;
};

// The table of the file comment.
inline Tolerance tolerance(Tol t, Kernel family) {
  const bool cuda = family == Kernel::CUDA;
  switch (t) {
    case Tol::Bitwise:
      return cuda ? Tolerance{scaled(kExact), scaled(kExact), scaled(kExact)} : Tolerance{};
    case Tol::Exact:
      return {scaled(kExact), scaled(kExact), scaled(kExact)};
    case Tol::Window:
      if (cuda) return {scaled(kGemm), scaled(kGemm), scaled(kGemm)};
      return {plain(1e-6, 1e-6), plain(1e-6, 1e-6), plain(1e-6, 1e-6)};
    case Tol::Gemm:
      return {scaled(kGemm), scaled(kGemm), scaled(kGemm)};
    case Tol::Norm:
      if (cuda) return {scaled(kGemm), scaled(kNorm), scaled(kGemm)};
      return {plain(1e-5, 1e-5), plain(1e-4, 1e-4), plain(1e-6, 1e-6)};
  }
  return {};
}

// A run on `family` against the reference run: the output, every asked-for gradient and every
// piece of state within `tol`; a CUDA run's results must be on the device.
inline void check_against(const Run& got, const Run& ref, Kernel family,
                          const std::vector<Role>& roles, const Tolerance& tol,
                          const std::string& what) {
  if (family == Kernel::CUDA)
    BOOST_CHECK_MESSAGE(got.out.device() == Device::CUDA,
                        what << ": the output is on " << got.out.describe());
  check_bound(got.out, ref.out, tol.out, what + " forward");
  for (size_t k = 0; k < roles.size(); ++k) {
    const std::string input = " input " + std::to_string(k);
    if (wants_grad(roles[k]) && ref.grads[k].defined())
      check_bound(got.grads[k], ref.grads[k], tol.grad, what + " d/d" + input);
    if (roles[k] == Role::State) check_bound(got.after[k], ref.after[k], tol.state, what + input);
  }
}

// ---- cases (the table: op_cases.hpp) ---------------------------------------------------

inline constexpr int64_t kFdElements = 600;

struct Init {
  enum Kind { Normal, Uniform, AwayFromZero, Ties, Constant, Distinct } kind = Normal;
  float a = 1, b = 0;
};
inline Init normal(float scale = 1) { return {Init::Normal, scale, 0}; }
inline Init uniform(float lo, float hi) { return {Init::Uniform, lo, hi}; }
inline Init positive() { return uniform(0.5f, 2.0f); }
// |x| uniform in [lo, hi], the sign alternating with the flat index.
inline Init away_from_zero(float lo, float hi) { return {Init::AwayFromZero, lo, hi}; }
// Whole numbers 0, 1, 2: most pooling windows hold several equal maxima.
inline Init ties() { return {Init::Ties, 3, 0}; }
inline Init constant(float v) { return {Init::Constant, v, 0}; }
// Evenly spaced values `step` apart around 0, in random order: no two are closer than `step`
// (2.5 finite-difference steps by default: no perturbation swaps the order of two values).
inline Init distinct(float step = 0.025f) { return {Init::Distinct, step, 0}; }

struct Input {
  Shape shape;
  Init init;
  Role role = Role::Grad;
};
inline Input grad(Shape s, Init i = normal()) { return {std::move(s), i, Role::Grad}; }
inline Input param(Shape s, Init i = normal()) { return {std::move(s), i, Role::Param}; }
inline Input fixed(Shape s, Init i = normal()) { return {std::move(s), i, Role::Const}; }
inline Input state(Shape s, Init i) { return {std::move(s), i, Role::State}; }
inline Input absent() { return {{}, {}, Role::Absent}; }

inline uint64_t name_key(const std::string& s) {  // FNV-1a
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

inline Tensor make_tensor(const Input& in, eng::Rng& rng) {
  const Init& i = in.init;
  if (i.kind == Init::Normal) return testing::randn(in.shape, rng, i.a);
  if (i.kind == Init::Constant) return Tensor::full(in.shape, i.a);
  if (i.kind == Init::Distinct) {
    std::vector<float> v(eng::numel_of(in.shape));
    for (size_t k = 0; k < v.size(); ++k) v[k] = (float(k) - 0.5f * float(v.size() - 1)) * i.a;
    for (size_t k = v.size(); k > 1; --k) std::swap(v[k - 1], v[size_t(rng.randint(int64_t(k)))]);
    return Tensor::from_vector(in.shape, v);
  }
  std::vector<float> v = testing::uniform(in.shape, rng, i.kind == Init::Ties ? 0.0f : i.a,
                                          i.kind == Init::Ties ? i.a : i.b)
                             .to_vector();
  for (size_t k = 0; k < v.size(); ++k) {
    if (i.kind == Init::AwayFromZero && k % 2 == 0) v[k] = -v[k];
    if (i.kind == Init::Ties) v[k] = std::floor(v[k]);
  }
  return Tensor::from_vector(in.shape, v);
}

struct OpCase {
  std::string op;    // the op (a test unit of test_ops per op): "conv2d", "batch_norm", ...
  std::string name;  // unique in the table
  std::vector<Input> inputs;
  Tol tol = Tol::Exact;
  Fn fn;
  bool kinked = false;
  bool fd = true;             // false: no finite differences even when small
  bool plain_output = false;  // plain inputs must give a plain output on every family

  std::vector<Role> roles() const {
    std::vector<Role> r;
    for (const Input& i : inputs) r.push_back(i.role);
    return r;
  }
  std::vector<Tensor> make_inputs() const {
    std::vector<Tensor> t;
    for (size_t k = 0; k < inputs.size(); ++k) {
      eng::Rng rng(name_key(name), k);
      t.push_back(inputs[k].role == Role::Absent ? Tensor() : make_tensor(inputs[k], rng));
    }
    return t;
  }
  bool fd_checked() const {
    int64_t n = 0;
    bool any = false;
    for (const Input& i : inputs)
      if (wants_grad(i.role)) n += eng::numel_of(i.shape), any = true;
    return fd && any && n <= kFdElements;
  }
};

inline OpCase make_case(std::string op, std::string name, std::vector<Input> inputs, Tol tol, Fn fn,
                        bool kinked = false) {
  OpCase c;
  c.op = op;
  c.name = op + " " + name;
  c.inputs = std::move(inputs);
  c.tol = tol;
  c.fn = std::move(fn);
  c.kinked = kinked;
  return c;
}

}  // namespace optest
