// test_iic_loss.cpp — iic/iic_loss against the float64 golden values of an independent PyTorch
// implementation (/work/shared/golden/iic_loss.json: 4 cases incl. clamped entries), for
// lambda 1.0 and 1.5: loss, loss_no_lamb, gradients w.r.t. both softmax outputs and w.r.t. the
// logits through the engine's softmax; on every CPU kernel family (and the GPU when present).
// Also: the batched sub-head form equals the per-sub-head form, finite differences, errors.
#define BOOST_TEST_MODULE iic_loss
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <string>

#include "engine/json.hpp"
#include "iic/iic_loss.hpp"
#include "ops/ops.hpp"
#include "tests/testing.hpp"

#ifdef ENG_HAVE_CUDA
#include "engine/cuda_runtime.hpp"
#endif

using eng::Json;
using eng::Tensor;
using testing::expect_error;
using testing::max_abs;
using testing::tensor_of;

namespace {

const Json& golden() {
  static const Json g = testing::load_golden("iic_loss.json");
  return g;
}

// Gradient tolerance. A gradient entry is a sum of float32 terms as large as the largest
// entries, so its rounding error is absolute, proportional to max|g| (PyTorch's own float32
// gradients in the golden file are within 9e-7 * max|g| of float64). We ask 1e-5 relative per
// entry and 1e-5 * max|g| absolute. Softmax backward, y * (g - <y, g>) with 0 <= y <= 1, passes
// the upstream absolute error on unchanged, so the logit gradients get the same atol measured
// on the softmax-output gradient (in the near-one-hot case the true logit gradients, ~1e-17,
// lie below float32's resolution of g - <y, g> and only that bound is meaningful).
constexpr double kRtol = 1e-5;
constexpr double kAtolFraction = 1e-5;

struct Run {
  Tensor loss, loss_no_lamb, grad_a, grad_b;
};

Run run_on_outputs(const Tensor& x, const Tensor& y, float lambda, eng::Device dev) {
  Tensor a = x.to(dev).clone().set_requires_grad(true);
  Tensor b = y.to(dev).clone().set_requires_grad(true);
  iic::IicLoss l = iic::iic_loss_terms(a, b, lambda);
  l.loss.backward();
  return {l.loss, l.loss_no_lamb, a.grad(), b.grad()};
}

Run run_on_logits(const Tensor& lx, const Tensor& ly, float lambda, eng::Device dev) {
  Tensor a = lx.to(dev).clone().set_requires_grad(true);
  Tensor b = ly.to(dev).clone().set_requires_grad(true);
  Tensor loss = iic::iic_loss(eng::softmax(a, 1), eng::softmax(b, 1), lambda);
  loss.backward();
  return {loss, Tensor(), a.grad(), b.grad()};
}

void check_golden_case(const Json& c, eng::Device dev, const std::string& where) {
  const std::string name = where + " " + c["name"].as_string();
  Tensor x = tensor_of(c["x_out"]), y = tensor_of(c["x_tf_out"]);
  Tensor lx = tensor_of(c["logits_x"]), ly = tensor_of(c["logits_x_tf"]);
  for (const char* key : {"lamb_1", "lamb_1.5"}) {
    const Json& ref = c["f64"][key];
    const float lambda = static_cast<float>(ref["lamb"].as_number());
    const std::string what = name + " " + key;
    Run r = run_on_outputs(x, y, lambda, dev);
    BOOST_TEST(r.loss.shape().empty(), what << ": loss must be a scalar");
    double loss = r.loss.item(), no_lamb = r.loss_no_lamb.item();
    BOOST_TEST(
        std::fabs(loss - ref["loss"].as_number()) <= kRtol * std::fabs(ref["loss"].as_number()),
        what << ": loss " << loss << " vs " << ref["loss"].as_number());
    BOOST_TEST(std::fabs(no_lamb - ref["loss_no_lamb"].as_number()) <=
                   kRtol * std::fabs(ref["loss_no_lamb"].as_number()),
               what << ": loss_no_lamb " << no_lamb << " vs " << ref["loss_no_lamb"].as_number());
    BOOST_TEST(!r.loss_no_lamb.requires_grad());

    Tensor gx = tensor_of(ref["grad_x_out"]), gy = tensor_of(ref["grad_x_tf_out"]);
    const double atol_x = kAtolFraction * max_abs(gx), atol_y = kAtolFraction * max_abs(gy);
    testing::check_close(r.grad_a, gx, kRtol, atol_x, what + " d/d x_out");
    testing::check_close(r.grad_b, gy, kRtol, atol_y, what + " d/d x_tf_out");

    Run rl = run_on_logits(lx, ly, lambda, dev);
    BOOST_TEST(std::fabs(rl.loss.item() - ref["loss"].as_number()) <=
                   kRtol * std::fabs(ref["loss"].as_number()),
               what << ": loss through softmax " << rl.loss.item());
    testing::check_close(rl.grad_a, tensor_of(ref["grad_logits_x"]), kRtol, atol_x,
                         what + " d/d logits_x");
    testing::check_close(rl.grad_b, tensor_of(ref["grad_logits_x_tf"]), kRtol, atol_y,
                         what + " d/d logits_x_tf");
  }
}

// Random softmax outputs [S, n, k]; sub-head 1 has a dead cluster (clamped entries).
Tensor random_probs(int64_t s, int64_t n, int64_t k, eng::Rng& rng) {
  Tensor logits = testing::randn({s, n, k}, rng, 2.0f);
  float* p = logits.data();
  if (s > 1)
    for (int64_t i = 0; i < n; ++i) p[(1 * n + i) * k + (k - 1)] = -90.0f;
  return eng::softmax(logits, 2);
}

}  // namespace

BOOST_AUTO_TEST_CASE(golden_values_on_every_cpu_backend) {
  BOOST_REQUIRE(golden()["cases"].size() == 4u);
  BOOST_TEST(golden()["conventions"]["EPS"].as_number() == double(iic::kIicEps));
  for (eng::CpuBackend b : testing::all_cpu_backends()) {
    eng::CpuBackendGuard guard(b);
    for (const Json& c : golden()["cases"].as_array())
      check_golden_case(c, eng::Device::CPU,
                        b == eng::CpuBackend::Reference ? "reference" : "onednn");
  }
}

BOOST_AUTO_TEST_CASE(batched_subheads_equal_per_subhead_losses) {
  eng::Rng rng(17);
  const int64_t S = 4, n = 13, k = 7;
  Tensor z = random_probs(S, n, k, rng), zt = random_probs(S, n, k, rng);
  for (float lambda : {1.0f, 1.5f}) {
    Tensor a = z.clone().set_requires_grad(true), b = zt.clone().set_requires_grad(true);
    Tensor losses = iic::iic_loss_subheads(a, b, lambda);
    BOOST_TEST((losses.shape() == eng::Shape{S}));
    eng::sum(losses).backward();
    std::vector<float> batched = losses.to_vector();
    iic::IicLoss terms = iic::iic_loss_terms(z, zt, lambda);
    for (int64_t s = 0; s < S; ++s) {
      Tensor as = eng::reshape(eng::slice(z, 0, s, 1), {n, k}).clone().set_requires_grad(true);
      Tensor bs = eng::reshape(eng::slice(zt, 0, s, 1), {n, k}).clone().set_requires_grad(true);
      iic::IicLoss single = iic::iic_loss_terms(as, bs, lambda);
      single.loss.backward();
      const std::string what =
          "sub-head " + std::to_string(s) + " lambda " + std::to_string(lambda);
      BOOST_TEST(batched[s] == single.loss.item(), boost::test_tools::tolerance(1e-6f));
      BOOST_TEST(terms.loss_no_lamb.to_vector()[s] == single.loss_no_lamb.item(),
                 boost::test_tools::tolerance(1e-6f));
      testing::check_close(eng::reshape(eng::slice(a.grad(), 0, s, 1), {n, k}), as.grad(), 1e-6,
                           1e-8, what + " d/dz");
      testing::check_close(eng::reshape(eng::slice(b.grad(), 0, s, 1), {n, k}), bs.grad(), 1e-6,
                           1e-8, what + " d/dz_tf");
    }
  }
  // loss_no_lamb is the lambda = 1 loss.
  BOOST_TEST(iic::iic_loss_terms(z, zt, 1.5f).loss_no_lamb.to_vector() ==
             iic::iic_loss_subheads(z, zt, 1.0f).to_vector());
}

BOOST_AUTO_TEST_CASE(finite_differences_through_softmax) {
  eng::Rng rng(23);
  for (float lambda : {1.0f, 1.5f}) {
    testing::gradcheck("iic_loss lambda " + std::to_string(lambda),
                       [lambda](const std::vector<Tensor>& in) {
                         return iic::iic_loss(eng::softmax(in[0], 1), eng::softmax(in[1], 1),
                                              lambda);
                       },
                       {testing::randn({6, 3}, rng), testing::randn({6, 3}, rng)});
    testing::gradcheck("iic_loss_subheads lambda " + std::to_string(lambda),
                       [lambda](const std::vector<Tensor>& in) {
                         return iic::iic_loss_subheads(eng::softmax(in[0], 2),
                                                       eng::softmax(in[1], 2), lambda);
                       },
                       {testing::randn({2, 5, 4}, rng), testing::randn({2, 5, 4}, rng)});
  }
}

BOOST_AUTO_TEST_CASE(bad_inputs_are_reported) {
  Tensor a = Tensor::full({4, 3}, 1.0f / 3), b = Tensor::full({4, 2}, 0.5f);
  expect_error([&] { iic::iic_loss(a, b); },
               {"iic_loss: z and z_tf must have the same shape, got [4, 3] and [4, 2]"});
  expect_error([&] { iic::iic_loss(Tensor::full({12}, 0.1f), Tensor::full({12}, 0.1f)); },
               {"iic_loss: z must be 2-D, got [12]"});
  expect_error([&] { iic::iic_loss(a, Tensor()); }, {"z_tf is undefined"});
  expect_error(
      [&] {
        iic::iic_loss(Tensor::zeros({0, 3}), Tensor::zeros({0, 3}));
      },
      {"empty input [0, 3]"});
  expect_error([&] { iic::iic_loss_subheads(a, a); },
               {"iic_loss_subheads: z must be 3-D, got [4, 3]"});
  expect_error(
      [&] {
        iic::iic_loss_terms(Tensor::zeros({1, 2, 3, 4}), Tensor::zeros({1, 2, 3, 4}));
      },
      {"z must be [n, k] or [S, n, k], got [1, 2, 3, 4]"});
}

#ifdef ENG_HAVE_CUDA
BOOST_AUTO_TEST_CASE(golden_values_on_the_gpu) {
  if (!eng::cuda::device_present()) return;
  const eng::cuda::Tf32 tf32 = eng::cuda::tf32();
  eng::cuda::set_tf32({false, false});  // float32 products, like the golden f32 and our CPU kernels
  for (const Json& c : golden()["cases"].as_array())
    check_golden_case(c, eng::Device::CUDA, "cuda");
  eng::cuda::set_tf32(tf32);
}
#endif
