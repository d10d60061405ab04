// testing.hpp — helpers shared by the Boost.Test suites: random tensors, closeness checks,
// the finite-difference gradient check, and backend loops (ggml-style: every backend against
// the reference kernels).
//
// Gradient check: for an op f and a fixed random cotangent R of f's output shape, the scalar
// L(x) = <f(x), R> has dL/dx = backward of f with seed R. Each input element is perturbed by
// +-h and the central difference (L(x+h) - L(x-h)) / 2h, accumulated in double, is compared
// with the analytic value. Kernels run in float32, so with h = 1e-2 and O(1) inputs the
// difference carries ~1e-7 / 1e-2 = 1e-5 rounding plus O(h^2) truncation: the default tolerance
// (abs 2e-3 + rel 2e-2) is far above both and far below any real gradient bug (O(1) errors).
// Kinks (relu at 0, max-pool ties, clamp boundary) are skipped by comparing the one-sided
// differences: where they disagree by more than the tolerance the function is not smooth at x.
#pragma once
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "engine/autograd.hpp"
#include "engine/backend.hpp"
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

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

struct GradCheckOptions {
  double h = 1e-2;
  double atol = 2e-3;
  double rtol = 2e-2;
  std::vector<bool> check;  // per input: compare its gradient (default: all)
};

inline void gradcheck(const std::string& what, const Fn& f, std::vector<Tensor> inputs,
                      GradCheckOptions opt = {}) {
  eng::Rng rng(1234, 99);
  for (Tensor& t : inputs)
    if (t.defined()) t = t.clone().set_requires_grad(true);
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
    if (!inputs[k].defined() || (!opt.check.empty() && !opt.check[k])) continue;
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
      if (std::fabs(fwd - bwd) > 4 * tol) {  // not smooth here (kink): skip
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

}  // namespace testing
