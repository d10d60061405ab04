// test_predict.cpp — iic/predict: the same network gives the same figures through the trainer's
// evaluation and through predict + evaluate_head (what iic_cluster calls); the batching policy
// (fixed batches, the last one holding the rest, batch norm per batch); argmax and confidence
// against the network's own output; several heads from one trunk pass; input errors.
#define BOOST_TEST_MODULE predict
#include <algorithm>
#include <boost/test/unit_test.hpp>

#include "data/loader.hpp"
#include "engine/autograd.hpp"
#include "iic/predict.hpp"
#include "iic/train.hpp"
#include "models/clusternet6c.hpp"
#include "tests/noise_dataset.hpp"
#include "tests/testing.hpp"

namespace {

models::ClusterNet6cConfig small_config() {
  models::ClusterNet6cConfig c;
  c.k_a = 7, c.k_b = 4, c.subheads = 3;
  return c;
}

// Head A then head B, batch 16 x 2 copies: evaluation batches of 32.
iic::Recipe tiny_recipe() {
  iic::Recipe r;
  r.dataset = "noise";
  r.schedule = {"head_a", "head_b"};
  r.batch = 16, r.repeats = 2;
  return r;
}

// The first n images of `data` from image `from` on.
eng::data::Dataset slice(const eng::data::Dataset& data, int64_t from, int64_t n) {
  const int64_t bytes = data.image_bytes();
  std::vector<uint8_t> px(data.image(from), data.image(from) + n * bytes);
  std::vector<int> labels(data.labels().begin() + from, data.labels().begin() + from + n);
  return eng::data::Dataset("slice", n, data.channels(), data.height(), data.width(), px, labels);
}

iic::HeadPredictions predict_b(const models::ClusterNet& net, const eng::data::Dataset& data,
                               int64_t batch, int64_t limit = 0) {
  return iic::predict(net, data, eng::data::mnist_transforms(), {"head_b"}, {batch, limit, 1})
      .at("head_b");
}

}  // namespace

BOOST_AUTO_TEST_CASE(trainer_and_predict_give_the_same_figures) {
  // 70 images: evaluation batches of 32, 32 and 6.
  const eng::data::Dataset data = testing::noise_dataset(70);
  const iic::Recipe recipe = tiny_recipe();
  iic::TrainOptions o;
  o.epochs = 1, o.seed = 4, o.progress = false, o.checkpoint_every_s = 0;
  o.max_steps_per_pass = 2;
  eng::Rng init(3);
  models::ClusterNet6c net(small_config(), init);
  const eng::data::TransformSet tf = eng::data::mnist_transforms();
  iic::Trainer trainer(net, recipe, data, data, tf, o);
  const iic::TrainResult res = trainer.run();
  BOOST_REQUIRE(res.history.size() == 1u);
  const iic::Evaluation& trained = res.history[0].eval;

  // What iic_cluster does with the trained network: both heads, the trainer's batches.
  const std::map<std::string, iic::HeadPredictions> p =
      iic::predict(net, data, tf, {"head_b", "head_a"}, iic::evaluation_options(recipe, o));
  BOOST_TEST(p.at("head_a").k == 7);
  BOOST_TEST(p.at("head_b").images() == 70);
  const iic::Evaluation e =
      iic::evaluate_head(p.at("head_b"), data.labels(), 10, trained.subhead_loss);
  BOOST_TEST(e.subhead_acc == trained.subhead_acc, boost::test_tools::per_element());
  BOOST_TEST(e.selected == trained.selected);
  BOOST_TEST(e.selected_acc == trained.selected_acc);
  BOOST_TEST(e.mean_acc == trained.mean_acc);
  BOOST_TEST(e.std_acc == trained.std_acc);
  BOOST_TEST(e.best_acc == trained.best_acc);
  BOOST_TEST(e.confusion == trained.confusion, boost::test_tools::per_element());
  std::vector<std::vector<int64_t>> confusions;
  BOOST_TEST(trainer.evaluate(confusions).subhead_acc == trained.subhead_acc,
             boost::test_tools::per_element());
  BOOST_TEST(confusions[e.selected] == e.confusion, boost::test_tools::per_element());

  // Why one policy: other batches (iic_cluster's former near-equal 35 + 35) give other batch
  // statistics, so other probabilities.
  BOOST_TEST((predict_b(net, data, 35).confidence != p.at("head_b").confidence));
}

BOOST_AUTO_TEST_CASE(the_last_batch_holds_the_rest) {
  const eng::data::Dataset data = testing::noise_dataset(70);
  eng::Rng init(3);
  models::ClusterNet6c net(small_config(), init);
  const iic::HeadPredictions all = predict_b(net, data, 32);
  // Images 64..69 make the last batch: alone, in one batch of 6, they get the same predictions.
  const iic::HeadPredictions last = predict_b(net, slice(data, 64, 6), 6);
  for (int s = 0; s < 3; ++s) {
    BOOST_TEST(std::vector<float>(all.confidence[s].begin() + 64, all.confidence[s].end()) ==
                   last.confidence[s],
               boost::test_tools::per_element());
    BOOST_TEST(
        std::vector<int>(all.cluster[s].begin() + 64, all.cluster[s].end()) == last.cluster[s],
        boost::test_tools::per_element());
  }
  // A limit of 40 keeps the first batch (0..31) and makes 32..39 a batch of their own.
  const iic::HeadPredictions first = predict_b(net, data, 32, 40);
  BOOST_TEST(first.images() == 40);
  BOOST_TEST(std::vector<float>(all.confidence[1].begin(), all.confidence[1].begin() + 32) ==
                 std::vector<float>(first.confidence[1].begin(), first.confidence[1].begin() + 32),
             boost::test_tools::per_element());
  BOOST_TEST(std::vector<float>(first.confidence[1].begin() + 32, first.confidence[1].end()) ==
                 predict_b(net, slice(data, 32, 8), 8).confidence[1],
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(argmax_and_confidence_are_the_networks_outputs) {
  const eng::data::Dataset data = testing::noise_dataset(20);
  eng::Rng init(8);
  models::ClusterNet6c net(small_config(), init);
  const eng::data::TransformSet tf = eng::data::mnist_transforms();
  const std::map<std::string, iic::HeadPredictions> p =
      iic::predict(net, data, tf, {"head_a", "head_b"}, {20, 0, 2});
  eng::NoGradGuard no_grad;
  const eng::Tensor f = net.features(eng::data::transform_range(data, tf, 0, 20, 1),
                                     eng::BatchNormMode::EvalBatchStats);
  for (const auto& [name, pred] : p) {
    const std::vector<float> probs = net.head(name, f).to_vector();  // [3, 20, k]
    const int k = net.heads(name).k;
    BOOST_TEST(pred.k == k);
    BOOST_REQUIRE(pred.cluster.size() == 3u);
    for (int s = 0; s < 3; ++s)
      for (int i = 0; i < 20; ++i) {
        const float* row = probs.data() + (s * 20 + i) * k;
        const float top = *std::max_element(row, row + k);
        BOOST_TEST(row[pred.cluster[s][i]] == top);
        BOOST_TEST(pred.confidence[s][i] == top);
        BOOST_TEST(std::find(row, row + k, top) - row == pred.cluster[s][i]);  // ties: lowest
      }
  }
}

BOOST_AUTO_TEST_CASE(bad_inputs_are_reported) {
  const eng::data::Dataset data = testing::noise_dataset(4);
  eng::Rng init(1);
  models::ClusterNet6c net(small_config(), init);
  testing::expect_error([&] { predict_b(net, data, 0); }, {"predict: batch must be at least 1"});
  testing::expect_error(
      [&] {
        iic::predict(net, data, eng::data::mnist_transforms(), {"head_c"}, {4, 0, 1});
      },
      {"head_c"});
  const iic::HeadPredictions p = predict_b(net, data, 4);
  testing::expect_error(
      [&] {
        iic::evaluate_head(p, {0, 1, 2}, 3, {0.0, 0.0, 0.0});
      },
      {"evaluate_head: size mismatch: 4 predicted images but 3 labels"});
}
