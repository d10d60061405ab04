// testing.hpp — helpers shared by the Boost.Test suites: random tensors, closeness checks,
// the finite-difference gradient check, backend loops (ggml-style: every backend against the
// reference kernels) and the bit-for-bit rerun check, error-message checks, and the golden
// files of /work/shared/golden.
//
// Gradient check: for an op f and a fixed random cotangent R of f's output shape, the scalar
// L(x) = <f(x), R> has dL/dx = backward of f with seed R. Each input element is perturbed by
// +-h and the central difference (L(x+h) - L(x-h)) / 2h, accumulated in double, is compared
// with the analytic value. Kernels run in float32, so with h = 1e-2 and O(1) inputs the
// difference carries ~1e-7 / 1e-2 = 1e-5 rounding plus O(h^2) truncation: the default tolerance
// (abs 2e-3 + rel 2e-2) is far above both and far below any real gradient bug (O(1) errors).
// Kinks (relu at 0, max-pool ties, clamp boundary) are skipped by comparing the one-sided
// differences: where they disagree by more than the tolerance the function is not smooth at x
// (at most a quarter of the elements; none where opt.smooth says the op has no kinks: there the
// central difference, exact up to O(h^2) third-derivative terms, is compared everywhere).
#pragma once
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "engine/autograd.hpp"
#include "engine/backend.hpp"
#include "engine/error.hpp"
#include "engine/json.hpp"
#include "engine/rng.hpp"
#include "engine/tensor.hpp"

namespace testing {

using eng::Shape;
using eng::Tensor;

inline Tensor randn(const Shape& shape, eng::Rng& rng, float scale = 1.0f) {
  std::vector<float> v(eng::numel_of(shape));
  for (float& x : v) x = scale * rng.normal();
  return Tensor::from_vector(shape, v);
}

inline Tensor uniform(const Shape& shape, eng::Rng& rng, float lo, float hi) {
  std::vector<float> v(eng::numel_of(shape));
  for (float& x : v) x = rng.uniform(lo, hi);
  return Tensor::from_vector(shape, v);
}

// Max |a-b| <= atol + rtol*|b| elementwise; reports the worst element.
inline void check_close(const Tensor& a, const Tensor& b, double rtol, double atol,
                        const std::string& what) {
  BOOST_REQUIRE_MESSAGE(a.shape() == b.shape(), what << ": shape " << eng::shape_str(a.shape())
                                                     << " vs " << eng::shape_str(b.shape()));
  std::vector<float> va = a.to_vector(), vb = b.to_vector();
  double worst = 0;
  size_t at = 0;
  for (size_t i = 0; i < va.size(); ++i) {
    double excess = std::fabs(double(va[i]) - vb[i]) - (atol + rtol * std::fabs(double(vb[i])));
    if (!(excess <= worst)) worst = excess, at = i;  // NaN counts as a failure
  }
  BOOST_CHECK_MESSAGE(worst <= 0, what << ": element " << at << " is " << va[at] << ", expected "
                                       << vb[at] << " (rtol " << rtol << ", atol " << atol << ")");
}

// The largest |element| of t (0 for an empty tensor).
inline double max_abs(const Tensor& t) {
  double m = 0;
  for (float v : t.to_vector()) m = std::max(m, double(std::fabs(v)));
  return m;
}

// A fast backend's result against the reference's, for float32 sums whose terms each backend
// adds in its own order: the rounding difference is a few ulps times sqrt(terms) of the largest
// values, not of each element. So: check_close with rtol and an absolute tolerance of
// scaled_atol * max|ref| (+1e-7). Both must be defined, or both undefined (a gradient that was
// not asked for); a wrong index, tap or channel gives errors of the order of the values.
inline void check_matches(const Tensor& got, const Tensor& ref, const std::string& what,
                          double rtol = 1e-4, double scaled_atol = 1e-4) {
  BOOST_REQUIRE_MESSAGE(got.defined() == ref.defined(), what << ": defined mismatch");
  if (!ref.defined()) return;
  check_close(got, ref, rtol, scaled_atol * max_abs(ref) + 1e-7, what);
}

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

struct GradCheckOptions {
  double h = 1e-2;
  double atol = 2e-3;
  double rtol = 2e-2;
  std::vector<bool> check;  // per input: require grad and compare its gradient (default: all)
  bool smooth = false;      // a smooth op: every element is compared, none skipped as a kink
};

inline void gradcheck(const std::string& what, const Fn& f, std::vector<Tensor> inputs,
                      GradCheckOptions opt = {}) {
  eng::Rng rng(1234, 99);
  auto checked_input = [&](size_t k) {
    return inputs[k].defined() && (opt.check.empty() || opt.check[k]);
  };
  for (size_t k = 0; k < inputs.size(); ++k)
    if (inputs[k].defined()) inputs[k] = inputs[k].clone().set_requires_grad(checked_input(k));
  Tensor out = f(inputs);
  Tensor R = randn(out.shape(), rng);
  eng::run_backward(out, R);
  std::vector<float> r = R.to_vector();

  auto loss = [&](const std::vector<Tensor>& in) {
    eng::NoGradGuard ng;
    std::vector<float> y = f(in).to_vector();
    double s = 0;
    for (size_t i = 0; i < y.size(); ++i) s += double(y[i]) * r[i];
    return s;
  };
  for (size_t k = 0; k < inputs.size(); ++k) {
    if (!checked_input(k)) continue;
    Tensor g = inputs[k].grad();
    BOOST_REQUIRE_MESSAGE(g.defined(), what << ": input " << k << " received no gradient");
    std::vector<float> analytic = g.to_vector();
    std::vector<float> x0 = inputs[k].to_vector();
    int checked = 0, skipped = 0;
    for (size_t i = 0; i < x0.size(); ++i) {
      std::vector<Tensor> in = inputs;
      auto at = [&](double delta) {
        std::vector<float> x = x0;
        x[i] = float(x0[i] + delta);
        in[k] = Tensor::from_vector(inputs[k].shape(), x, inputs[k].device());
        return loss(in);
      };
      double lp = at(opt.h), l0 = at(0), lm = at(-opt.h);
      double fwd = (lp - l0) / opt.h, bwd = (l0 - lm) / opt.h, central = (lp - lm) / (2 * opt.h);
      double tol = opt.atol + opt.rtol * std::fabs(central);
      if (!opt.smooth && std::fabs(fwd - bwd) > 4 * tol) {  // not smooth here (kink): skip
        ++skipped;
        continue;
      }
      ++checked;
      BOOST_CHECK_MESSAGE(std::fabs(analytic[i] - central) <= tol,
                          what << ": d/d input" << k << "[" << i << "] analytic " << analytic[i]
                               << " vs numeric " << central);
    }
    BOOST_CHECK_MESSAGE(checked > 0 && skipped * 4 <= checked + skipped,
                        what << ": input " << k << " had " << skipped << " kinks out of "
                             << checked + skipped << " elements (test inputs too degenerate)");
  }
}

// Kernel families to compare against the reference on the CPU.
inline std::vector<eng::CpuBackend> fast_cpu_backends() {
  if (eng::built_with_onednn()) return {eng::CpuBackend::OneDNN};
  return {};
}

// Every CPU kernel family: the reference first, then the fast ones.
inline std::vector<eng::CpuBackend> all_cpu_backends() {
  std::vector<eng::CpuBackend> backends{eng::CpuBackend::Reference};
  for (eng::CpuBackend be : fast_cpu_backends()) backends.push_back(be);
  return backends;
}

// Every value of `tensors`, one tensor after the other (for bit-for-bit comparisons).
inline std::vector<float> values_of(const std::vector<Tensor>& tensors) {
  std::vector<float> all;
  for (const Tensor& t : tensors) {
    std::vector<float> v = t.to_vector();
    all.insert(all.end(), v.begin(), v.end());
  }
  return all;
}

// Same inputs, same bits. bits(backend) runs a whole computation (forward and backward) on one
// CPU backend and returns every value it produced (values_of). Every backend must repeat
// itself exactly, and the reference kernels, which own whole output elements per thread, must
// give the same bits with 1 and with 3 threads.
inline void check_reproducible(const std::function<std::vector<float>(eng::CpuBackend)>& bits) {
  for (eng::CpuBackend be : all_cpu_backends())
    BOOST_TEST((bits(be) == bits(be)), "same run, same bits");
  const int threads = eng::num_threads();
  eng::set_num_threads(1);
  const std::vector<float> one = bits(eng::CpuBackend::Reference);
  eng::set_num_threads(3);
  const std::vector<float> three = bits(eng::CpuBackend::Reference);
  eng::set_num_threads(threads);
  BOOST_TEST((one == three), "reference bits independent of the thread count");
}

// ---- error messages ----------------------------------------------------------------------

// The message of the eng::Error that f throws ("" when it throws none).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const eng::Error& e) {
    return e.what();
  }
  return "";
}

inline bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// f must throw an eng::Error whose message contains every one of `parts` (the op, the
// offending shapes or values, what is wrong).
inline void expect_error(const std::function<void()>& f, const std::vector<std::string>& parts) {
  const std::string msg = error_of(f);
  if (msg.empty()) {
    std::string wanted;
    for (const std::string& part : parts) wanted += (wanted.empty() ? "'" : ", '") + part + "'";
    BOOST_ERROR("expected an eng::Error mentioning " << wanted);
    return;
  }
  for (const std::string& part : parts)
    BOOST_CHECK_MESSAGE(contains(msg, part), "message '" << msg << "' lacks '" << part << "'");
}

// ---- golden files ------------------------------------------------------------------------

// A file of /work/shared/golden (see the README there), parsed. Keep the result in a variable
// while reading into it: `for (x : load_golden(f)["cases"].as_array())` would dangle.
inline eng::Json load_golden(const std::string& file) {
  return eng::Json::parse_file(std::string(IIC_SHARED_DIR) + "/golden/" + file);
}

namespace detail {
inline void flatten_json(const eng::Json& j, const Shape& shape, size_t depth,
                         std::vector<float>& out) {
  if (depth == shape.size()) {
    BOOST_REQUIRE_MESSAGE(j.is_number(), "nested JSON array: ragged at depth " << depth);
    out.push_back(static_cast<float>(j.as_number()));
    return;
  }
  BOOST_REQUIRE_MESSAGE(j.is_array() && int64_t(j.size()) == shape[depth],
                        "nested JSON array: ragged at depth " << depth);
  for (const eng::Json& e : j.as_array()) flatten_json(e, shape, depth + 1, out);
}
}  // namespace detail

// A rectangular nested JSON array of numbers as a float32 tensor whose shape is the nesting
// (a number alone gives a scalar); a ragged array fails the test.
inline Tensor tensor_of(const eng::Json& nested) {
  Shape shape;
  for (const eng::Json* j = &nested; j->is_array(); j = &(*j)[0]) {
    shape.push_back(int64_t(j->size()));
    if (j->size() == 0) break;
  }
  std::vector<float> values;
  detail::flatten_json(nested, shape, 0, values);
  return Tensor::from_vector(shape, values);
}

}  // namespace testing
