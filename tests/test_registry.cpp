// test_registry — adding a dataset or a network is one row: a fake dataset and a fake network
// registered through the registries alone are found by name, built into a recipe, loaded and
// trained for a few steps by the same calls the tools make; the built-in rows are complete; bad
// registrations and unknown names are errors that list what is known.
#define BOOST_TEST_MODULE registry
#include <boost/test/unit_test.hpp>
#include <cmath>

#include "iic/datasets.hpp"
#include "iic/protocol.hpp"
#include "iic/train.hpp"
#include "models/registry.hpp"
#include "ops/ops.hpp"
#include "tests/noise_dataset.hpp"
#include "tests/testing.hpp"

namespace {

// The smallest network a row can hold: the flattened image as features, the two heads on it.
class FlatNet : public models::ClusterNet {
 public:
  FlatNet(const models::NetworkSpec& s, eng::Rng& rng) : side_(s.input_size) {
    const int64_t f = int64_t(s.in_channels) * s.input_size * s.input_size;
    add_heads("head_a", f, s.k_a, s.subheads, rng);
    add_heads("head_b", f, s.k_b, s.subheads, rng);
  }
  eng::Tensor features(const eng::Tensor& x, eng::BatchNormMode) const override {
    ENG_CHECK(x.ndim() == 4 && x.size(2) == side_, "FlatNet", "bad input");
    return eng::flatten(x, 1);
  }
  std::string name() const override { return "FlatNet"; }

 private:
  int side_;
};

// Registered once for the whole test program (the registries are process-wide).
struct Rows {
  Rows() {
    models::register_network({"FlatNet", "flat", "test: flattened pixels into the heads", false,
                              [](const models::NetworkSpec& s, eng::Rng& rng) {
                                return std::unique_ptr<models::ClusterNet>(new FlatNet(s, rng));
                              }});
    iic::DatasetEntry e;
    e.name = "noise-test";
    e.title = "Noise";
    e.summary = "test: 1x28x28 noise, 10 labels";
    e.images = iic::ImageShape{1, 28, 28};
    e.recipes = {{"tiny", [] {
                    iic::Recipe r;
                    r.network = "FlatNet";
                    r.input_size = 24, r.k_a = 6, r.k_b = 3, r.subheads = 2;
                    r.batch = 8, r.repeats = 2;
                    r.schedule = {"head_b", "head_a"};
                    return r;
                  }}};
    e.load = [](const iic::DataRequest&) {
      iic::LoadedData d;
      d.train = testing::noise_dataset(40);
      return d;
    };
    iic::register_dataset(e);
  }
};
const Rows rows;

}  // namespace

BOOST_AUTO_TEST_CASE(a_registered_dataset_and_network_train_through_the_tools_calls) {
  const iic::Recipe r = iic::make_recipe("", "noise-test");  // its default: the first recipe
  BOOST_TEST(r.name == "tiny");
  BOOST_TEST(r.dataset == "noise-test");
  BOOST_TEST(r.table_name == "Noise");
  BOOST_TEST(iic::make_recipe("tiny", "noise-test").batch == 8);
  const iic::LoadedData data = iic::find_dataset("noise-test").load(iic::DataRequest{});
  eng::Rng rng(0, 1);
  std::unique_ptr<models::ClusterNet> net = iic::make_network(r, rng);
  BOOST_TEST(net->name() == "FlatNet");
  BOOST_TEST(net->heads("head_b").k == 3);
  iic::TrainOptions o;
  o.epochs = 1, o.progress = false;
  iic::Trainer trainer(*net, r, data.train, data.train, iic::make_transforms(r), o);
  const iic::TrainResult res = trainer.run();
  BOOST_TEST(res.steps == 10);  // 40 images / 8: 5 steps, two passes
  BOOST_REQUIRE(res.history.size() == 1u);
  const iic::Evaluation& e = res.history.back().eval;
  BOOST_TEST(e.subhead_acc.size() == 2u);
  for (double l : e.subhead_loss) BOOST_TEST(std::isfinite(l));
  for (double a : e.subhead_acc) BOOST_TEST((a > 0 && a <= 1));
  // The tools' lists include the new rows; only rows with paper figures are Table 1 rows.
  BOOST_TEST(iic::dataset_names().find("noise-test") != std::string::npos);
  BOOST_TEST(models::network_names().find("FlatNet (flat)") != std::string::npos);
  BOOST_TEST(models::find_network("flat").name == "FlatNet");
  const std::vector<std::string> t1 = iic::table1_datasets();
  BOOST_TEST(t1 == (std::vector<std::string>{"mnist", "cifar10", "cifar100-20", "stl10"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(builtin_rows_are_complete) {
  for (const iic::DatasetEntry& e : iic::dataset_registry()) {
    if (e.name == "noise-test") continue;  // this test's own row
    BOOST_TEST_CONTEXT(e.name) {
      BOOST_TEST(!e.title.empty());
      BOOST_TEST(!e.summary.empty());
      BOOST_TEST(!e.recipes.empty());
      BOOST_TEST(static_cast<bool>(e.load));
      // A row either names its files (the user's) or knows where its data comes from.
      BOOST_TEST((e.takes_files || (e.fetch && !e.fetch->downloads.empty())) == true);
      for (const auto& [name, make] : e.recipes) {
        const iic::Recipe r = iic::make_recipe(name, e.name);
        BOOST_TEST(r.name == name);
        BOOST_TEST(!r.schedule.empty());
        models::find_network(r.network);  // every recipe names a registered network
        BOOST_TEST(iic::make_transforms(r).out_h == r.input_size);
      }
    }
  }
  BOOST_TEST(iic::find_dataset("mnist").paper->lowest_loss == 0.992);
  BOOST_TEST(!iic::find_dataset("fashion-mnist").paper.has_value());
  BOOST_TEST(iic::describe_source(iic::find_dataset("kmnist")).find("kmnist/") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_names_and_bad_rows_are_errors) {
  testing::expect_error([] { iic::find_dataset("imagenet"); },
                        {"unknown dataset 'imagenet'", "mnist", "fashion-mnist", "noise-test"});
  testing::expect_error([] { models::find_network("resnet"); },
                        {"unknown network 'resnet'", "ClusterNet6c (6c)", "ClusterNet5g (5g)"});
  testing::expect_error([] { iic::make_recipe("fast", "noise-test"); },
                        {"no fast recipe for 'noise-test'", "--recipe tiny"});
  testing::expect_error([] { iic::register_dataset(iic::find_dataset("mnist")); },
                        {"a dataset named 'mnist' is already registered"});
  testing::expect_error([] { models::register_network(models::find_network("6c")); },
                        {"a network named 'ClusterNet6c' is already registered"});
  testing::expect_error(
      [] {
        iic::DatasetEntry e;
        e.name = "empty";
        iic::register_dataset(e);
      },
      {"'empty' needs a loader and at least one recipe"});
  // A Sobel recipe on a network without the step.
  testing::expect_error(
      [] {
        iic::Recipe r = iic::make_recipe("authors", "cifar10");
        r.network = "ClusterNet6c";
        eng::Rng rng(0);
        iic::make_network(r, rng);
      },
      {"ClusterNet6c has no Sobel step"});
}
