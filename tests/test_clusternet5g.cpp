// test_clusternet5g.cpp — ClusterNet5g against its definition (protocol.md): the parameter
// count of a ResNet34 trunk computed by hand, parameter names and shapes, the average-pool
// kernel per input size, output shapes, the Sobel step inside features(), gradients (the
// integrated directional derivative through the whole network, every parameter reached),
// one IIC training step with the Sobel transforms, and the input errors.
#define BOOST_TEST_MODULE clusternet5g
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <string>

#include "data/augment_sobel.hpp"
#include "data/loader.hpp"
#include "iic/train.hpp"
#include "models/clusternet5g.hpp"
#include "ops/ops.hpp"
#include "temp_files.hpp"
#include "tests/testing.hpp"

using eng::Tensor;
using models::ClusterNet5g;
using models::ClusterNet5gConfig;

namespace {
int64_t count(const eng::NamedTensors& params, const std::string& prefix) {
  int64_t n = 0;
  for (const eng::NamedTensor& p : params)
    if (p.name.rfind(prefix, 0) == 0) n += p.tensor.numel();
  return n;
}

const eng::Shape& shape_of(const eng::NamedTensors& params, const std::string& name) {
  return eng::find_named(params, name).shape();
}

ClusterNet5gConfig small_heads(int input = 32) {
  ClusterNet5gConfig c;
  c.input_size = input;
  c.k_a = 7, c.k_b = 4, c.subheads = 2;
  return c;
}
}  // namespace

BOOST_AUTO_TEST_CASE(parameter_count_is_a_resnet34_trunk) {
  eng::Rng rng(0);
  ClusterNet5g net(ClusterNet5gConfig{}, rng);  // CIFAR-10: Sobel, k 70 / 10, 5 sub-heads
  const eng::NamedTensors p = net.parameters();
  // By hand: stem conv 64*2*9 = 1152 + BN 128. Stage 1: 3 blocks x (2 convs 64*64*9 + 2 BN of
  // 64) = 3 * 73984 = 221952. Stage 2: first block 128*64*9 + 128*128*9 + 2*256 + shortcut
  // 128*64 + 256 = 230144, then 3 x (2*147456 + 512) = 886272. Stage 3: 294912 + 589824 + 1024
  // + 32768 + 512 = 919040, then 5 x (2*589824 + 1024) = 5903360. Stage 4: 1179648 + 2359296 +
  // 2048 + 131072 + 1024 = 3673088, then 2 x (2*2359296 + 2048) = 9441280. Total 21,276,416 —
  // torchvision's resnet34 (21,797,672) minus its 3-channel 7x7 stem (9,408) and its fc layer
  // (513,000), plus our 2-channel 3x3 stem (1,152).
  BOOST_TEST(count(p, "trunk.") == 21276416);
  BOOST_TEST(count(p, "trunk.layer1.") == 221952);
  BOOST_TEST(count(p, "trunk.layer4.") == 3673088 + 9441280);
  BOOST_TEST(count(p, "head_a.") == 5 * (512 * 70 + 70));
  BOOST_TEST(count(p, "head_b.") == 5 * (512 * 10 + 10));
  BOOST_TEST(count(p, "") == 21276416 + 179550 + 25650);
  // 1 stem conv + 2 BN tensors; 16 blocks x 6 tensors; 3 shortcuts x 3; heads 2 x 5 x 2.
  BOOST_TEST(p.size() == 3u + 16u * 6u + 3u * 3u + 20u);
}

BOOST_AUTO_TEST_CASE(names_shapes_and_initialisation) {
  eng::Rng rng(1);
  ClusterNet5g net(ClusterNet5gConfig{}, rng);
  const eng::NamedTensors p = net.parameters();
  BOOST_TEST(shape_of(p, "trunk.conv1.weight") == (eng::Shape{64, 2, 3, 3}),
             boost::test_tools::per_element());
  BOOST_TEST(shape_of(p, "trunk.layer2.0.conv1.weight") == (eng::Shape{128, 64, 3, 3}),
             boost::test_tools::per_element());
  BOOST_TEST(shape_of(p, "trunk.layer2.0.downsample.0.weight") == (eng::Shape{128, 64, 1, 1}),
             boost::test_tools::per_element());
  BOOST_TEST(shape_of(p, "trunk.layer4.2.bn2.bias") == (eng::Shape{512}),
             boost::test_tools::per_element());
  BOOST_TEST(shape_of(p, "head_b.sub4.weight") == (eng::Shape{10, 512}),
             boost::test_tools::per_element());
  BOOST_CHECK_THROW(eng::find_named(p, "trunk.layer1.0.downsample.0.weight"), eng::Error);
  BOOST_CHECK_THROW(eng::find_named(p, "trunk.layer3.1.downsample.0.weight"), eng::Error);
  // Kaiming normal, fan_out, ReLU gain: std = sqrt(2 / (C_out * kh * kw)).
  for (const auto& [name, fan_out] : std::vector<std::pair<std::string, double>>{
           {"trunk.layer3.1.conv2.weight", 256 * 9}, {"trunk.layer4.0.downsample.0.weight", 512}}) {
    std::vector<float> w = eng::find_named(p, name).to_vector();
    double sq = 0;
    for (float v : w) sq += double(v) * v;
    const double std = std::sqrt(sq / w.size()), want = std::sqrt(2.0 / fan_out);
    BOOST_TEST(std::fabs(std - want) < 0.03 * want, name << ": std " << std << " vs " << want);
  }
  for (float v : eng::find_named(p, "trunk.layer2.1.bn1.weight").to_vector()) BOOST_TEST(v == 1.0f);
  for (float v : eng::find_named(p, "trunk.layer2.1.bn1.bias").to_vector()) BOOST_TEST(v == 0.0f);
}

BOOST_AUTO_TEST_CASE(average_pool_covers_the_final_map) {
  eng::Rng rng(2);
  for (auto [input, kernel] : {std::pair{32, 3}, {64, 5}, {96, 7}}) {
    ClusterNet5g net(small_heads(input), rng);
    BOOST_TEST(net.avg_pool_kernel() == kernel, "input " << input);
  }
}

BOOST_AUTO_TEST_CASE(output_shapes_and_probabilities) {
  eng::Rng rng(3);
  for (int input : {32, 64}) {
    ClusterNet5g net(small_heads(input), rng);
    Tensor x = testing::uniform({3, 1, input, input}, rng, 0, 1);
    Tensor f = net.features(x, eng::BatchNormMode::Train);
    BOOST_TEST(f.shape() == (eng::Shape{3, 512}), boost::test_tools::per_element());
    Tensor a = net.head("head_a", f), b = net.head("head_b", f);
    BOOST_TEST(a.shape() == (eng::Shape{2, 3, 7}), boost::test_tools::per_element());
    BOOST_TEST(b.shape() == (eng::Shape{2, 3, 4}), boost::test_tools::per_element());
    std::vector<float> pb = b.to_vector();
    for (int row = 0; row < 6; ++row) {
      double s = 0;
      for (int k = 0; k < 4; ++k) s += pb[row * 4 + k];
      BOOST_TEST(std::fabs(s - 1.0) < 1e-5);
    }
    for (float v : f.to_vector()) BOOST_REQUIRE(std::isfinite(v) && v >= 0.0f);  // after ReLU
  }
}

BOOST_AUTO_TEST_CASE(sobel_step_runs_inside_features) {
  // Same draws -> same weights: a Sobel network on greyscale equals a 2-channel network on the
  // Sobel gradients of that greyscale batch.
  eng::Rng r1(4), r2(4), data(5);
  ClusterNet5gConfig with = small_heads(), without = small_heads();
  without.sobel = false, without.in_channels = 2;
  ClusterNet5g a(with, r1), b(without, r2);
  Tensor grey = testing::uniform({2, 1, 32, 32}, data, 0, 1);
  Tensor fa = a.features(grey, eng::BatchNormMode::EvalBatchStats);
  Tensor fb = b.features(eng::sobel(grey), eng::BatchNormMode::EvalBatchStats);
  testing::check_close(fa, fb, 0, 0, "sobel inside vs outside");
  // And the Sobel step matters: without it the greyscale input is the wrong shape.
  ClusterNet5gConfig rgb = small_heads();
  rgb.sobel = false, rgb.in_channels = 3;
  eng::Rng r3(6);
  ClusterNet5g c(rgb, r3);
  BOOST_TEST(shape_of(c.parameters(), "trunk.conv1.weight") == (eng::Shape{64, 3, 3, 3}),
             boost::test_tools::per_element());
  BOOST_TEST(
      c.features(testing::uniform({2, 3, 32, 32}, data, 0, 1), eng::BatchNormMode::Train).shape() ==
          (eng::Shape{2, 512}),
      boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(gradients_reach_the_input_and_every_parameter,
                     *boost::unit_test::label("long")) {
  // A ResNet with batch statistics is far from smooth at the scale of a finite difference (its
  // directional derivative changes by tens of percent within a step of 1e-3), so instead of
  // comparing the gradient with one central difference, integrate it: the objective's change
  // along d over [0, T] must equal the sum of the analytic directional derivatives at the
  // midpoints of M sub-steps times T / M (exact for a piecewise-smooth function as M grows;
  // within ~1% at M = 16 here, where a wrong backward is off by far more).
  eng::Rng rng(7);
  ClusterNet5g net(small_heads(16), rng);
  Tensor x = testing::uniform({4, 1, 16, 16}, rng, 0, 1);
  Tensor R = testing::randn({4, 512}, rng), Rb = testing::randn({2, 4, 4}, rng);
  auto objective = [&](const Tensor& in) {  // <features(in), R> + <head_b(features), Rb>
    Tensor f = net.features(in, eng::BatchNormMode::Train);
    return eng::add(eng::sum(eng::mul(f, R)), eng::sum(eng::mul(net.head("head_b", f), Rb)));
  };
  const std::vector<float> x0 = x.to_vector(), d = testing::randn(x.shape(), rng).to_vector();
  auto along = [&](double t) {
    std::vector<float> v = x0;
    for (size_t i = 0; i < v.size(); ++i) v[i] += float(t * d[i]);
    return Tensor::from_vector(x.shape(), v);
  };
  const double T = 5e-4;
  const int M = 16;
  double integral = 0;
  for (int m = 0; m < M; ++m) {
    for (eng::NamedTensor& p : net.parameters()) p.tensor.zero_grad();
    Tensor xm = along(T * (m + 0.5) / M).set_requires_grad(true);
    objective(xm).backward();
    const std::vector<float> g = xm.grad().to_vector();
    for (size_t i = 0; i < g.size(); ++i) integral += double(g[i]) * d[i] * T / M;
  }
  double change;
  {
    eng::NoGradGuard no_grad;
    change = objective(along(T)).item() - objective(along(0)).item();
  }
  BOOST_TEST(std::fabs(change) > 0.05);
  BOOST_TEST(std::fabs(integral - change) <= 0.03 * std::fabs(change),
             "integrated gradient " << integral << " vs change " << change);
  for (const eng::NamedTensor& p : net.parameters()) {  // from the last backward
    if (p.name.rfind("head_a", 0) == 0) continue;       // not in the objective
    Tensor pg = p.tensor.grad();
    BOOST_REQUIRE_MESSAGE(pg.defined(), p.name << " received no gradient");
    double sq = 0;
    for (float v : pg.to_vector()) sq += double(v) * v;
    BOOST_TEST((std::isfinite(sq) && sq > 0), p.name << " gradient norm^2 " << sq);
  }
}

BOOST_AUTO_TEST_CASE(one_iic_step_with_the_sobel_transforms, *boost::unit_test::label("long")) {
  // 12 random colour images; batch 4, 2 tf2 copies; head B steps on one fixed batch lower the
  // IIC loss (the network learns something), with finite losses throughout.
  eng::Rng rng(8);
  std::vector<uint8_t> px(12 * 3 * 32 * 32);
  for (uint8_t& v : px) v = uint8_t(rng.randint(256));
  eng::data::Dataset data("toy", 12, 3, 32, 32, px);
  iic::Recipe recipe = iic::authors_recipe("cifar10");
  recipe.batch = 4, recipe.repeats = 2, recipe.k_a = 7, recipe.k_b = 4, recipe.subheads = 2;
  recipe.lr = 1e-3f;
  recipe.input_size = 16;  // the CIFAR pipeline scaled down (crop 12 -> 16) to keep this quick
  ClusterNet5g net(small_heads(16), rng);
  const eng::data::TransformSet tf = eng::data::sobel_transforms({12, 16});
  iic::TrainOptions opt;
  opt.progress = false;
  iic::Trainer trainer(net, recipe, data, data, tf, opt);
  eng::data::BatchLoader loader(data, tf, {4, 2, 1, 1, 0});
  loader.start_epoch(0, eng::data::sequential_order(12));
  std::optional<eng::data::Batch> batch = loader.next();
  BOOST_REQUIRE(batch.has_value());
  BOOST_TEST(batch->x.shape() == (eng::Shape{4, 1, 16, 16}), boost::test_tools::per_element());
  BOOST_TEST(batch->x_tf.shape() == (eng::Shape{8, 1, 16, 16}), boost::test_tools::per_element());
  std::vector<double> first, last;
  for (int s = 0; s < 6; ++s) {
    std::vector<double> l = trainer.step("head_b", batch->x, batch->x_tf);
    for (double v : l) BOOST_REQUIRE(std::isfinite(v));
    (s == 0 ? first : last) = l;
  }
  BOOST_TEST(last[0] + last[1] < first[0] + first[1] - 1e-3,
             "loss " << first[0] + first[1] << " -> " << last[0] + last[1]);
}

BOOST_AUTO_TEST_CASE(bad_inputs_are_named_errors) {
  eng::Rng rng(9);
  ClusterNet5g net(small_heads(), rng);
  std::string e = testing::error_of([&] {
    net.features(Tensor::zeros({2, 2, 32, 32}), eng::BatchNormMode::Train);
  });
  BOOST_TEST(testing::contains(e,
                               "ClusterNet5g: expects input [N, 1, 32, 32] (greyscale, before "
                               "the Sobel step), got [2, 2, 32, 32]"));
  e = testing::error_of([&] {
    net.features(Tensor::zeros({2, 1, 24, 24}), eng::BatchNormMode::Train);
  });
  BOOST_TEST(testing::contains(e, "got [2, 1, 24, 24]"));
  e = testing::error_of([&] { net.features(Tensor::zeros({32, 32}), eng::BatchNormMode::Train); });
  BOOST_TEST(testing::contains(e, "got [32, 32]"));
  ClusterNet5gConfig bad = small_heads();
  bad.in_channels = 3;
  e = testing::error_of([&] { ClusterNet5g n(bad, rng); });
  BOOST_TEST(testing::contains(e,
                               "the Sobel step takes a 1-channel greyscale input, got "
                               "in_channels = 3"));
  bad = small_heads();
  bad.input_size = 2;
  BOOST_TEST(testing::contains(testing::error_of([&] { ClusterNet5g n(bad, rng); }),
                               "input size must be >= 4, got 2"));
  bad = small_heads();
  bad.k_b = 0;
  BOOST_TEST(testing::contains(testing::error_of([&] { ClusterNet5g n(bad, rng); }),
                               "head head_b needs k >= 1"));
}
