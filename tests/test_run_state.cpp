// test_run_state.cpp — iic/run_state: the state survives JSON and back unchanged, the current
// state_version is written and required (another or a non-numeric version is refused naming the
// file and the versions), the unversioned layout is migrated (and refused, naming the file and the
// field, when older still), and the checkpoint file restores a network and its Adam state, or
// refuses another run's identity before touching the network.
#define BOOST_TEST_MODULE run_state
#include <boost/test/unit_test.hpp>
#include <cmath>

#include "engine/checkpoint.hpp"
#include "iic/run_state.hpp"
#include "models/clusternet6c.hpp"
#include "tests/temp_files.hpp"
#include "tests/testing.hpp"

namespace {

// Every field set, none at its default; doubles that need all their digits.
iic::RunState sample_state() {
  iic::RunState s;
  s.identity = {"stl10", "ClusterNet5g", 1234567, false, {{"head_a", 113000}, {"head_b", 13000}}};
  s.position = {3, 1, 17, 4242, 1.0 / 3.0, 0.1, {-2.5, -2.25 + 1e-12, 1e-300}, 9};
  iic::EpochRecord r;
  r.epoch = 2, r.epochs_done = 2.0, r.steps = 4000, r.train_seconds = 7.25, r.eval_seconds = 0.5;
  r.eval.subhead_acc = {0.5, 0.75, 2.0 / 3.0};
  r.eval.subhead_loss = {-1.5, -1.75, -1.0 / 7.0};
  r.eval.selected = 1, r.eval.selected_acc = 0.75, r.eval.mean_acc = 0.6388888888888888;
  r.eval.std_acc = 0.10393492741038726, r.eval.best_acc = 0.75;
  r.eval.confusion = {3, 1, 0, 0, 4, 1};  // 2 classes x 3 columns
  s.history.push_back(r);
  r.partial = true, r.epochs_done = 2.5;
  r.eval = iic::make_evaluation({}, r.eval.subhead_loss);  // no labels: losses only
  s.history.push_back(r);
  return s;
}

// `j` less the members named in `drop`.
eng::Json without(const eng::Json& j, const std::vector<std::string>& drop) {
  eng::Json::Object kept;
  for (const eng::Json::Member& m : j.as_object())
    if (std::find(drop.begin(), drop.end(), m.first) == drop.end()) kept.push_back(m);
  return eng::Json::object(kept);
}

// The unversioned layout the trainer wrote before state_version: no version, no best_acc, no
// confusion when empty.
eng::Json unversioned(const iic::RunState& s) {
  eng::Json j = without(iic::to_json(s), {"state_version", "history"});
  eng::Json history = eng::Json::array();
  for (const iic::EpochRecord& r : s.history) {
    eng::Json rec = iic::to_json(r);
    const eng::Json& e = rec["eval"];
    rec.set("eval",
            without(e, e["confusion"].size() ? std::vector<std::string>{"best_acc"}
                                             : std::vector<std::string>{"best_acc", "confusion"}));
    history.push_back(rec);
  }
  j.set("history", history);
  return j;
}

models::ClusterNet6cConfig small_config() {
  models::ClusterNet6cConfig c;
  c.k_a = 7, c.k_b = 4, c.subheads = 3;
  return c;
}

std::vector<std::vector<float>> values(const eng::NamedTensors& ts) {
  std::vector<std::vector<float>> v;
  for (const eng::NamedTensor& t : ts) v.push_back(t.tensor.to_vector());
  return v;
}

}  // namespace

BOOST_AUTO_TEST_CASE(json_round_trip) {
  const iic::RunState s = sample_state();
  const eng::Json j = iic::to_json(s);
  BOOST_TEST(j.as_object().front().first == "state_version");
  BOOST_TEST(j["state_version"].as_int() == iic::kRunStateVersion);
  BOOST_TEST(j["train_set_sizes"].dump() == R"({"head_a":113000,"head_b":13000})");
  const iic::RunState back = iic::run_state_from_json(eng::Json::parse(j.dump()), "test");
  BOOST_TEST(iic::to_json(back) == j);
  BOOST_TEST(back.identity.seed == 1234567u);
  BOOST_TEST(!back.identity.shuffle);
  BOOST_TEST(back.position.train_seconds == 1.0 / 3.0);
  BOOST_TEST(back.position.loss_sum == s.position.loss_sum, boost::test_tools::per_element());
  BOOST_REQUIRE(back.history.size() == 2u);
  BOOST_TEST(back.history[0].eval.confusion == s.history[0].eval.confusion,
             boost::test_tools::per_element());
  BOOST_TEST(back.history[1].partial);
  BOOST_TEST(back.history[1].eval.confusion.empty());
  BOOST_TEST(back.history[1].eval.subhead_loss[2] == -1.0 / 7.0);
}

BOOST_AUTO_TEST_CASE(other_versions_are_refused) {
  eng::Json j = iic::to_json(sample_state());
  j.set("state_version", 3);
  testing::expect_error(
      [&] { iic::run_state_from_json(j, "runs/x/checkpoint.safetensors"); },
      {"runs/x/checkpoint.safetensors: run state version 3",
       "this build reads version 2 and the unversioned layout", "start a fresh run"});
  j.set("state_version", "2");
  testing::expect_error([&] { iic::run_state_from_json(j, "ck"); },
                        {"ck: run state version \"2\""});
  // Version 2 requires every field: no defaults.
  const eng::Json missing = without(iic::to_json(sample_state()), {"eval_seconds"});
  testing::expect_error([&] { iic::run_state_from_json(missing, "ck"); },
                        {"ck: run state version 2 unreadable", "no member 'eval_seconds'"});
}

BOOST_AUTO_TEST_CASE(the_unversioned_layout_is_migrated) {
  iic::RunState s = sample_state();
  s.history[0].eval.best_acc = 0;  // migration recomputes it: the highest sub-head accuracy
  const iic::RunState back = iic::run_state_from_json(unversioned(s), "old");
  BOOST_TEST(back.history[0].eval.best_acc == 0.75);
  BOOST_TEST(back.history[1].eval.best_acc == 0.0);  // no accuracies
  BOOST_TEST(iic::to_json(back) == iic::to_json(sample_state()));
  BOOST_TEST(iic::migrate_unversioned_state(unversioned(s))["state_version"].as_int() == 2);
  // Older still (before eval_seconds was saved): refused, naming the file and the field.
  const eng::Json older = without(unversioned(s), {"eval_seconds"});
  testing::expect_error([&] { iic::run_state_from_json(older, "runs/old/checkpoint.safetensors"); },
                        {"runs/old/checkpoint.safetensors: unversioned run state unreadable",
                         "'eval_seconds'", "start a fresh run"});
}

BOOST_AUTO_TEST_CASE(checkpoint_restores_the_network_and_adam) {
  testing::TempDir dir("run-state");
  const std::string path = dir.file("sub/checkpoint.safetensors");  // folders are created
  eng::Rng init(1);
  models::ClusterNet6c net(small_config(), init);
  eng::Adam adam(net.parameters(), eng::AdamOptions{1e-3});
  eng::NamedTensors params = net.parameters();
  for (size_t i = 0; i < params.size(); i += 2)  // half the parameters get a gradient
    params[i].tensor.set_grad(eng::Tensor::full(params[i].tensor.shape(), 0.5f));
  adam.step();
  adam.zero_grad();
  iic::RunState s = sample_state();
  s.identity.network = net.name();
  iic::save_run_checkpoint(path, s, net, adam);

  eng::Rng other(2);
  models::ClusterNet6c restored(small_config(), other);
  eng::Adam restored_adam(restored.parameters(), eng::AdamOptions{1e-3});
  const iic::RunState back = iic::load_run_checkpoint(path, s.identity, restored, restored_adam);
  BOOST_TEST(iic::to_json(back) == iic::to_json(s));
  BOOST_CHECK(values(restored.parameters()) == values(net.parameters()));
  BOOST_CHECK(values(restored_adam.export_state()) == values(adam.export_state()));
  const eng::NamedTensors rp = restored.parameters();
  for (size_t i = 0; i < rp.size(); ++i)  // the zero gradients the saved step ended with
    BOOST_TEST(rp[i].tensor.grad().defined() == (i % 2 == 0), rp[i].name);

  // Another run's identity is refused before the network is touched.
  iic::RunIdentity seed = s.identity;
  seed.seed = 8;
  eng::Rng third(3);
  models::ClusterNet6c untouched(small_config(), third);
  const std::vector<std::vector<float>> before = values(untouched.parameters());
  testing::expect_error(
      [&] { iic::load_run_checkpoint(path, seed, untouched, restored_adam); },
      {"train: " + path + " was made with seed 1234567 (fixed order)", "same --seed"});
  BOOST_CHECK(values(untouched.parameters()) == before);
  iic::RunIdentity data = s.identity;
  data.dataset = "cifar10";
  testing::expect_error([&] { iic::load_run_checkpoint(path, data, untouched, restored_adam); },
                        {"is a ClusterNet6c run on stl10, not ClusterNet6c on cifar10"});
}

BOOST_AUTO_TEST_CASE(checkpoints_of_another_version_are_refused) {
  testing::TempDir dir("run-state-version");
  const std::string path = dir.file("checkpoint.safetensors");
  eng::Rng init(1);
  models::ClusterNet6c net(small_config(), init);
  eng::Adam adam(net.parameters(), eng::AdamOptions{1e-3});
  eng::NamedTensors tensors = net.parameters();
  eng::Json state = iic::to_json(sample_state());
  state.set("state_version", 7);
  eng::save_checkpoint(path, tensors, {{"iic_state", state.dump()}});
  const iic::RunIdentity id = sample_state().identity;
  testing::expect_error([&] { iic::load_run_checkpoint(path, id, net, adam); },
                        {path + ": run state version 7", "reads version 2"});
  eng::save_checkpoint(path, tensors);
  testing::expect_error([&] { iic::load_run_checkpoint(path, id, net, adam); },
                        {path + ": no iic_state metadata"});
}
