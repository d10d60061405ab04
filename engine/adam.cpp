// adam.cpp — Adam step, zero_grad and state export/import (see adam.hpp).
#include "engine/adam.hpp"

#include <cmath>
#include <unordered_set>

namespace eng {
namespace {

constexpr double kMaxExactStep = 16777216.0;  // 2^24: largest count a float32 holds exactly

// The scalars of one step, rounded to float the way PyTorch's kernels receive them.
struct StepScalars {
  float b1, one_minus_b1, b2, one_minus_b2, eps, lr_t, bias2_sqrt, weight_decay;
};

void update_cpu(float* p, const float* g, float* m, float* v, int64_t n, const StepScalars& s) {
#pragma omp parallel for schedule(static) if (n > 32768)
  for (int64_t i = 0; i < n; ++i) {
    float gi = s.weight_decay != 0.0f ? g[i] + s.weight_decay * p[i] : g[i];
    float mi = m[i] * s.b1 + s.one_minus_b1 * gi;
    float vi = v[i] * s.b2 + s.one_minus_b2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    float denom = std::sqrt(vi) / s.bias2_sqrt + s.eps;
    p[i] -= s.lr_t * (mi / denom);
  }
}

// A copy of t on `device` that shares no storage with t.
Tensor copy_to(const Tensor& t, Device device) {
  return t.device() == device ? t.clone() : t.to(device);
}

}  // namespace

Adam::Adam(NamedTensors params, AdamOptions options)
    : params_(std::move(params)), options_(options) {
  ENG_CHECK(options_.lr >= 0, "adam", "learning rate must be >= 0, got ", options_.lr);
  ENG_CHECK(options_.beta1 >= 0 && options_.beta1 < 1 && options_.beta2 >= 0 && options_.beta2 < 1,
            "adam", "betas must be in [0, 1), got (", options_.beta1, ", ", options_.beta2, ")");
  ENG_CHECK(options_.eps >= 0, "adam", "eps must be >= 0, got ", options_.eps);
  ENG_CHECK(options_.weight_decay >= 0, "adam", "weight_decay must be >= 0, got ",
            options_.weight_decay);
  std::unordered_set<std::string> names;
  for (const NamedTensor& nt : params_) {
    ENG_CHECK(!nt.name.empty(), "adam", "a parameter has an empty name");
    ENG_CHECK(names.insert(nt.name).second, "adam", "parameter name '", nt.name, "' appears twice");
    ENG_CHECK(nt.tensor.defined(), "adam", "parameter '", nt.name, "' is undefined");
    ENG_CHECK(nt.tensor.requires_grad() && !nt.tensor.grad_fn(), "adam", "parameter '", nt.name,
              "' must be a leaf that requires grad, got ", nt.tensor.describe());
    ENG_CHECK(nt.tensor.dtype() == DType::F32 && nt.tensor.is_plain(), "adam", "parameter '",
              nt.name, "' must be a plain float32 tensor, got ", nt.tensor.describe());
    ENG_CHECK(options_.weight_decay == 0.0 || nt.tensor.device() == Device::CPU, "adam",
              "weight_decay is not supported for CUDA parameters ('", nt.name, "')");
  }
}

void Adam::set_lr(double lr) {
  ENG_CHECK(lr >= 0, "adam", "learning rate must be >= 0, got ", lr);
  options_.lr = lr;
}

void Adam::step() {
  for (NamedTensor& nt : params_) {
    Tensor& p = nt.tensor;
    Tensor g = p.grad();
    if (!g.defined()) continue;  // never reached by a loss: no state, no step (like PyTorch)
    ENG_CHECK(g.shape() == p.shape() && g.device() == p.device() && g.dtype() == DType::F32, "adam",
              "gradient of '", nt.name, "' is ", g.describe(), " but the parameter is ",
              p.describe());
    g = g.plain();
    State& st = state_[nt.name];
    if (!st.m.defined()) {
      st.m = Tensor::zeros(p.shape(), p.device());
      st.v = Tensor::zeros(p.shape(), p.device());
    }
    ++st.step;
    double t = static_cast<double>(st.step);
    double bias1 = 1.0 - std::pow(options_.beta1, t);
    double bias2 = 1.0 - std::pow(options_.beta2, t);
    StepScalars s{static_cast<float>(options_.beta1),   static_cast<float>(1.0 - options_.beta1),
                  static_cast<float>(options_.beta2),   static_cast<float>(1.0 - options_.beta2),
                  static_cast<float>(options_.eps),     static_cast<float>(options_.lr / bias1),
                  static_cast<float>(std::sqrt(bias2)), static_cast<float>(options_.weight_decay)};
    auto* pp = static_cast<float*>(p.raw());
    auto* gp = static_cast<const float*>(g.raw());
    auto* mp = static_cast<float*>(st.m.raw());
    auto* vp = static_cast<float*>(st.v.raw());
    if (p.device() == Device::CUDA) {
#ifdef ENG_HAVE_CUDA
      cuda::adam_update(pp, gp, mp, vp, p.numel(), s.lr_t, s.b1, s.b2, s.eps, s.bias2_sqrt);
#else
      throw Error("adam: CUDA parameter '" + nt.name + "' in a build without CUDA");
#endif
    } else {
      update_cpu(pp, gp, mp, vp, p.numel(), s);
    }
  }
}

void Adam::zero_grad(bool set_to_none) {
  for (NamedTensor& nt : params_) {
    if (set_to_none)
      nt.tensor.zero_grad();
    else if (nt.tensor.grad().defined())
      nt.tensor.set_grad(Tensor::zeros(nt.tensor.shape(), nt.tensor.device()));
  }
}

int64_t Adam::step_count(const std::string& name) const {
  find_named(params_, name);  // throws for an unknown name
  auto it = state_.find(name);
  return it == state_.end() ? 0 : it->second.step;
}

NamedTensors Adam::export_state() const {
  NamedTensors out;
  for (const NamedTensor& nt : params_) {
    auto it = state_.find(nt.name);
    if (it == state_.end()) continue;
    const State& st = it->second;
    ENG_CHECK(static_cast<double>(st.step) <= kMaxExactStep, "adam", "step count ", st.step,
              " of '", nt.name, "' exceeds 2^24 and cannot be stored exactly as float32");
    out.push_back({"adam.m." + nt.name, copy_to(st.m, Device::CPU)});
    out.push_back({"adam.v." + nt.name, copy_to(st.v, Device::CPU)});
    out.push_back(
        {"adam.step." + nt.name, Tensor::from_vector({1}, {static_cast<float>(st.step)})});
  }
  return out;
}

void Adam::import_state(const NamedTensors& state) {
  std::unordered_map<std::string, const Tensor*> given;
  for (const NamedTensor& nt : state)
    if (nt.name.rfind("adam.", 0) == 0)
      ENG_CHECK(given.emplace(nt.name, &nt.tensor).second, "adam", "state tensor '", nt.name,
                "' appears twice");

  std::unordered_map<std::string, State> fresh;
  size_t used = 0;
  for (const NamedTensor& nt : params_) {
    const std::string keys[3] = {"adam.m." + nt.name, "adam.v." + nt.name, "adam.step." + nt.name};
    const Tensor* found[3];
    int present = 0;
    for (int i = 0; i < 3; ++i) {
      auto it = given.find(keys[i]);
      found[i] = it == given.end() ? nullptr : it->second;
      present += found[i] != nullptr;
    }
    if (present == 0) continue;  // this parameter has not been stepped yet
    for (int i = 0; i < 3; ++i)
      ENG_CHECK(found[i], "adam", "state of '", nt.name, "' is incomplete: '", keys[i],
                "' is missing");
    used += 3;
    for (int i = 0; i < 2; ++i)
      ENG_CHECK(found[i]->shape() == nt.tensor.shape() && found[i]->dtype() == DType::F32, "adam",
                "state tensor '", keys[i], "' is ", found[i]->describe(), " but the parameter is ",
                nt.tensor.describe());
    ENG_CHECK(found[2]->numel() == 1 && found[2]->dtype() == DType::F32, "adam", "'", keys[2],
              "' must hold one float32 value, got ", found[2]->describe());
    double step = found[2]->item();
    ENG_CHECK(step >= 1 && step <= kMaxExactStep && std::floor(step) == step, "adam", "'", keys[2],
              "' must be a whole number of steps >= 1, got ", step);
    State& st = fresh[nt.name];
    st.m = copy_to(*found[0], nt.tensor.device());
    st.v = copy_to(*found[1], nt.tensor.device());
    st.step = static_cast<int64_t>(step);
  }
  if (used != given.size()) {
    for (const auto& [key, t] : given) {
      bool known = false;
      for (const NamedTensor& nt : params_)
        for (const char* prefix : {"adam.m.", "adam.v.", "adam.step."})
          known = known || key == prefix + nt.name;
      ENG_CHECK(known, "adam", "state tensor '", key, "' matches no parameter");
    }
  }
  state_ = std::move(fresh);
}

}  // namespace eng
