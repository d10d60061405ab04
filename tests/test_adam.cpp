// test_adam.cpp — engine/adam against a float64 evaluation of torch.optim.Adam's rule over
// several steps (awkward sizes, one above the OpenMP threshold, weight decay), PyTorch's
// semantics for missing and zeroed gradients, state export/import, thread-count independence,
// misuse errors, and (when a GPU is present) the CUDA update against the CPU one.
#define BOOST_TEST_MODULE adam
#include <boost/test/unit_test.hpp>
#include <cmath>

#include "engine/adam.hpp"
#include "tests/testing.hpp"

#ifdef ENG_HAVE_CUDA
#include "engine/cuda_runtime.hpp"
#endif

using eng::Adam;
using eng::AdamOptions;
using eng::NamedTensors;
using eng::Tensor;
using testing::error_of;

namespace {

// torch.optim.Adam's update for one parameter, in double.
struct Oracle {
  std::vector<double> p, m, v;
  int t = 0;
  explicit Oracle(const std::vector<float>& p0)
      : p(p0.begin(), p0.end()), m(p0.size(), 0.0), v(p0.size(), 0.0) {}
  void step(const std::vector<float>& grad, const AdamOptions& o) {
    ++t;
    double step_size = o.lr / (1 - std::pow(o.beta1, t));
    double bias2_sqrt = std::sqrt(1 - std::pow(o.beta2, t));
    for (size_t i = 0; i < p.size(); ++i) {
      double g = grad[i] + o.weight_decay * p[i];
      m[i] = o.beta1 * m[i] + (1 - o.beta1) * g;
      v[i] = o.beta2 * v[i] + (1 - o.beta2) * g * g;
      p[i] -= step_size * m[i] / (std::sqrt(v[i]) / bias2_sqrt + o.eps);
    }
  }
};

Tensor as_tensor(const std::vector<double>& v, const eng::Shape& shape) {
  return Tensor::from_vector(shape, std::vector<float>(v.begin(), v.end()));
}

Tensor param_like(const eng::Shape& shape, eng::Rng& rng, float scale) {
  return testing::randn(shape, rng, scale).set_requires_grad(true);
}

const Tensor& state_of(const NamedTensors& s, const std::string& name) {
  return eng::find_named(s, name);
}

// Run `steps` steps with fresh random gradients on parameters of the given shapes and compare
// parameters and moments with the oracle.
void compare_with_oracle(const AdamOptions& o, int steps) {
  eng::Rng rng(7, 1);
  const std::vector<eng::Shape> shapes = {{1}, {7}, {3, 5}, {200, 201}};  // last: 40200 > OMP cut
  NamedTensors params;
  std::vector<Oracle> oracles;
  for (size_t i = 0; i < shapes.size(); ++i) {
    params.push_back({"p" + std::to_string(i), param_like(shapes[i], rng, 1e-2f)});
    oracles.emplace_back(params.back().tensor.to_vector());
  }
  Adam adam(params, o);
  for (int s = 0; s < steps; ++s) {
    for (size_t i = 0; i < shapes.size(); ++i) {
      // Gradients of mixed scales, including ones far below and near eps.
      Tensor g = testing::randn(shapes[i], rng, s % 2 ? 1.0f : 1e-3f);
      if (s == 1) g.data()[0] = 1e-9f;
      params[i].tensor.set_grad(g);
      oracles[i].step(g.to_vector(), o);
    }
    adam.step();
  }
  NamedTensors state = adam.export_state();
  for (size_t i = 0; i < shapes.size(); ++i) {
    const std::string name = "p" + std::to_string(i);
    BOOST_TEST(adam.step_count(name) == steps);
    // Float32 against float64: a few float operations per step. Parameters (size ~1e-2, moved
    // by ~1e-3 per step) agree to ~1e-7 absolute. m sums terms (1 - b1) g of either sign and up
    // to ~1 in size, each rounded to ~6e-8 of itself, so where they cancel its error is
    // absolute: atol 1e-6. v sums positive terms: relative error only.
    testing::check_close(params[i].tensor, as_tensor(oracles[i].p, shapes[i]), 1e-5, 1e-7,
                         name + " parameter");
    testing::check_close(state_of(state, "adam.m." + name), as_tensor(oracles[i].m, shapes[i]),
                         1e-5, 1e-6, name + " first moment");
    testing::check_close(state_of(state, "adam.v." + name), as_tensor(oracles[i].v, shapes[i]),
                         1e-5, 1e-14, name + " second moment");
    BOOST_TEST(state_of(state, "adam.step." + name).item() == float(steps));
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(matches_torch_rule_in_float64) {
  AdamOptions o;
  o.lr = 1e-3;
  compare_with_oracle(o, 6);
}

BOOST_AUTO_TEST_CASE(matches_torch_rule_with_other_hyperparameters) {
  AdamOptions o;
  o.lr = 0.05;
  o.beta1 = 0.5;
  o.beta2 = 0.9;
  o.eps = 1e-4;
  o.weight_decay = 0.1;
  compare_with_oracle(o, 4);
}

BOOST_AUTO_TEST_CASE(first_step_moves_each_weight_by_lr) {
  // m_hat = g and v_hat = g^2 after one step, so p moves by lr * g / (|g| + eps).
  Tensor p = Tensor::from_vector({4}, {1.0f, -2.0f, 0.5f, 0.0f}).set_requires_grad(true);
  Adam adam({{"w", p}}, AdamOptions{0.1});
  p.set_grad(Tensor::from_vector({4}, {0.5f, -3.0f, 1e-3f, 0.0f}));
  adam.step();
  std::vector<float> got = p.to_vector();
  BOOST_TEST(got[0] == 0.9f, boost::test_tools::tolerance(1e-6f));
  BOOST_TEST(got[1] == -1.9f, boost::test_tools::tolerance(1e-6f));
  BOOST_TEST(got[2] == 0.4f, boost::test_tools::tolerance(1e-5f));
  BOOST_TEST(got[3] == 0.0f);  // zero gradient: m = 0, no movement
}

BOOST_AUTO_TEST_CASE(undefined_grad_is_skipped_and_zeroed_grad_still_moves) {
  eng::Rng rng(3);
  Tensor a = param_like({5}, rng, 1.0f), b = param_like({3}, rng, 1.0f);
  std::vector<float> b0 = b.to_vector();
  Adam adam({{"a", a}, {"b", b}}, AdamOptions{1e-2});
  a.set_grad(testing::randn({5}, rng));
  adam.step();  // b has no grad: untouched, no state
  BOOST_TEST(b.to_vector() == b0);
  BOOST_TEST(adam.step_count("a") == 1);
  BOOST_TEST(adam.step_count("b") == 0);
  BOOST_TEST(adam.export_state().size() == 3u);
  BOOST_TEST(!adam.params()[1].tensor.grad().defined());

  // zero_grad() keeps existing grads as zeros (PyTorch 1.x): momentum still moves a.
  adam.zero_grad();
  BOOST_TEST(a.grad().defined());
  BOOST_TEST(a.grad().to_vector() == std::vector<float>(5, 0.0f));
  BOOST_TEST(!b.grad().defined());
  std::vector<float> a1 = a.to_vector();
  adam.step();
  BOOST_TEST(adam.step_count("a") == 2);
  std::vector<float> a2 = a.to_vector();
  for (size_t i = 0; i < a1.size(); ++i) BOOST_TEST(a2[i] != a1[i]);

  // zero_grad(true) drops them: nothing moves, no step counted.
  adam.zero_grad(true);
  BOOST_TEST(!a.grad().defined());
  adam.step();
  BOOST_TEST(a.to_vector() == a2);
  BOOST_TEST(adam.step_count("a") == 2);
  BOOST_TEST(error_of([&] { adam.step_count("nope"); }).find("'nope'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(state_export_import_resumes_bit_for_bit) {
  eng::Rng rng(11);
  auto make = [&](eng::Rng& r) {
    return NamedTensors{{"w", param_like({6, 5}, r, 0.1f)}, {"bias", param_like({5}, r, 0.1f)}};
  };
  eng::Rng r1(5), r2(5);
  NamedTensors pa = make(r1), pb = make(r2);
  Adam a(pa, AdamOptions{3e-3}), b(pb, AdamOptions{3e-3});
  std::vector<std::vector<Tensor>> grads;
  for (int s = 0; s < 5; ++s)
    grads.push_back({testing::randn({6, 5}, rng), testing::randn({5}, rng)});
  auto run = [&](Adam& opt, NamedTensors& ps, int from, int to) {
    for (int s = from; s < to; ++s) {
      for (size_t i = 0; i < ps.size(); ++i) ps[i].tensor.set_grad(grads[s][i].clone());
      opt.step();
    }
  };
  run(a, pa, 0, 3);
  run(b, pb, 0, 3);
  // A third optimizer on copies of b's parameters resumes from b's exported state.
  NamedTensors pc;
  for (const auto& nt : pb) pc.push_back({nt.name, nt.tensor.clone().set_requires_grad(true)});
  Adam c(pc, AdamOptions{3e-3});
  NamedTensors exported = b.export_state();
  exported.push_back({"w", pb[0].tensor});  // non-"adam." entries (model weights) are ignored
  c.import_state(exported);
  BOOST_TEST(c.step_count("w") == 3);
  run(a, pa, 3, 5);
  run(c, pc, 3, 5);
  for (size_t i = 0; i < pa.size(); ++i)
    BOOST_TEST(pa[i].tensor.to_vector() == pc[i].tensor.to_vector());
  // The export is a snapshot: stepping does not change it.
  Tensor m_before = state_of(exported, "adam.m.w").clone();
  run(b, pb, 3, 4);
  BOOST_TEST(state_of(exported, "adam.m.w").to_vector() == m_before.to_vector());
}

BOOST_AUTO_TEST_CASE(result_does_not_depend_on_thread_count) {
  std::vector<std::vector<float>> results;
  for (int threads : {1, 2}) {
    eng::set_num_threads(threads);
    eng::Rng rng(9);
    Tensor p = param_like({300, 300}, rng, 0.1f);
    Adam adam({{"p", p}}, AdamOptions{1e-3});
    for (int s = 0; s < 3; ++s) {
      p.set_grad(testing::randn({300, 300}, rng));
      adam.step();
    }
    results.push_back(p.to_vector());
  }
  eng::set_num_threads(0);
  BOOST_TEST((results[0] == results[1]));
}

BOOST_AUTO_TEST_CASE(misuse_is_reported) {
  eng::Rng rng(1);
  Tensor p = param_like({2, 3}, rng, 1.0f);
  Tensor frozen = testing::randn({2}, rng);
  BOOST_TEST(error_of([&] {
               Adam({{"p", p}, {"p", p}}, {});
             }).find("'p' appears twice") != std::string::npos);
  BOOST_TEST(error_of([&] {
               Adam({{"f", frozen}}, {});
             }).find("must be a leaf that requires grad") != std::string::npos);
  BOOST_TEST(error_of([&] { Adam({{"", p}}, {}); }).find("empty name") != std::string::npos);
  BOOST_TEST(error_of([&] {
               Adam({{"p", p}}, AdamOptions{1e-3, 1.0});
             }).find("betas") != std::string::npos);

  Adam adam({{"p", p}}, AdamOptions{1e-3});
  p.set_grad(testing::randn({3, 2}, rng));
  std::string e = error_of([&] { adam.step(); });
  BOOST_TEST(e.find("gradient of 'p' is float32 cpu [3, 2]") != std::string::npos, e);

  p.set_grad(testing::randn({2, 3}, rng));
  adam.step();
  NamedTensors st = adam.export_state();
  NamedTensors incomplete = {st[0], st[2]};
  BOOST_TEST(error_of([&] { adam.import_state(incomplete); }).find("'adam.v.p' is missing") !=
             std::string::npos);
  NamedTensors wrong_shape = st;
  wrong_shape[1].tensor = Tensor::zeros({6});
  BOOST_TEST(error_of([&] {
               adam.import_state(wrong_shape);
             }).find("'adam.v.p' is float32 cpu [6]") != std::string::npos);
  NamedTensors bad_step = st;
  bad_step[2].tensor = Tensor::from_vector({1}, {2.5f});
  BOOST_TEST(error_of([&] { adam.import_state(bad_step); }).find("whole number of steps") !=
             std::string::npos);
  NamedTensors stray = st;
  stray.push_back({"adam.m.q", Tensor::zeros({1})});
  BOOST_TEST(error_of([&] { adam.import_state(stray); }).find("'adam.m.q' matches no parameter") !=
             std::string::npos);
  BOOST_TEST(adam.step_count("p") == 1);  // failed imports left the state alone
}

#ifdef ENG_HAVE_CUDA
BOOST_AUTO_TEST_CASE(cuda_update_matches_cpu) {
  if (!eng::cuda::device_present()) return;
  eng::Rng rng(21);
  Tensor cpu = param_like({1001}, rng, 0.1f);
  Tensor gpu = cpu.detach().to(eng::Device::CUDA).set_requires_grad(true);
  Adam a({{"p", cpu}}, AdamOptions{1e-3}), b({{"p", gpu}}, AdamOptions{1e-3});
  for (int s = 0; s < 4; ++s) {
    Tensor g = testing::randn({1001}, rng);
    cpu.set_grad(g);
    gpu.set_grad(g.to(eng::Device::CUDA));
    a.step();
    b.step();
  }
  // Same float arithmetic up to FMA contraction and the 1-ulp (1 - beta) constants.
  testing::check_close(gpu.to(eng::Device::CPU), cpu, 1e-5, 1e-7, "cuda vs cpu parameters");
  testing::check_close(eng::find_named(b.export_state(), "adam.v.p"),
                       eng::find_named(a.export_state(), "adam.v.p"), 1e-5, 1e-12,
                       "cuda vs cpu second moment");
}
#endif
