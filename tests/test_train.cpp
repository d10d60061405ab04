// test_train.cpp — the training loop end to end: the repeated-originals shortcut equals the
// authors' full pass, a killed run resumes exactly, and a short MNIST run learns (accuracy far
// above what a broken gradient or an untrained network reaches).
#define BOOST_TEST_MODULE train
#include <sys/wait.h>
#include <unistd.h>
#include <boost/test/unit_test.hpp>
#include <csignal>
#include <filesystem>

#include "data/mnist.hpp"
#include "iic/train.hpp"
#include "models/clusternet6c.hpp"
#include "ops/reduce.hpp"
#include "tests/testing.hpp"

namespace fs = std::filesystem;
using eng::Tensor;

namespace {

models::ClusterNet6cConfig small_config() {
  models::ClusterNet6cConfig c;
  c.k_a = 7, c.k_b = 4, c.subheads = 3;
  return c;
}

// The first n MNIST training images (the real data, shipped beside the project).
eng::data::Dataset mnist_subset(int64_t n) {
  eng::data::DataRoot root{IIC_SHARED_DIR "/data", "test"};
  eng::data::Dataset train =
      eng::data::load_mnist(root, eng::data::MnistSplit::Train, eng::data::Download::Never);
  std::vector<uint8_t> px(train.pixels().begin(), train.pixels().begin() + n * 28 * 28);
  std::vector<int> labels(train.labels().begin(), train.labels().begin() + n);
  return eng::data::Dataset("mnist-subset", n, 1, 28, 28, px, labels);
}

iic::Recipe tiny_recipe() {
  iic::Recipe r = iic::authors_recipe("mnist");
  r.batch = 16, r.repeats = 2, r.subheads = 3, r.k_a = 7, r.k_b = 4;
  return r;
}

std::vector<std::vector<float>> parameter_values(const models::ClusterNet& net) {
  std::vector<std::vector<float>> v;
  for (const eng::NamedTensor& p : net.parameters()) v.push_back(p.tensor.to_vector());
  return v;
}

}  // namespace

BOOST_AUTO_TEST_CASE(repeated_originals_equal_the_full_pass) {
  eng::Rng rng(5);
  Tensor x = testing::uniform({6, 1, 24, 24}, rng, 0, 1);
  Tensor x_tf = testing::uniform({18, 1, 24, 24}, rng, 0, 1);
  std::vector<Tensor> losses;
  std::vector<std::vector<std::vector<float>>> grads;
  for (bool identical : {false, true}) {
    eng::Rng init(11);
    models::ClusterNet6c net(small_config(), init);
    // Confident heads (logits of a few units): at the authors' N(0, 0.01) init the outputs are
    // near uniform and the gradients are float32 cancellation noise, not a useful comparison.
    for (eng::NamedTensor& p : net.parameters())
      if (p.name.rfind("head_b", 0) == 0 && p.name.find("weight") != std::string::npos)
        eng::init_normal(p.tensor, 0.0f, 0.05f, init);
    Tensor l = iic::subhead_losses(net, "head_b", x, x_tf, 3, 1.0f, identical);
    eng::mean(l).backward();
    losses.push_back(l);
    grads.emplace_back();
    for (const eng::NamedTensor& p : net.parameters())
      if (p.name.rfind("head_a", 0) != 0) grads.back().push_back(p.tensor.grad().to_vector());
  }
  // Same maths, different summation order (batch statistics over 6 vs 18 rows): float32
  // rounding differences only, ~1e-6 relative.
  testing::check_close(losses[0], losses[1], 1e-4, 1e-6, "losses");
  BOOST_REQUIRE(grads[0].size() == grads[1].size());
  for (size_t i = 0; i < grads[0].size(); ++i) {
    std::vector<float>& a = grads[0][i];
    Tensor ta = Tensor::from_vector({int64_t(a.size())}, a);
    Tensor tb = Tensor::from_vector({int64_t(a.size())}, grads[1][i]);
    float scale = 0;
    for (float v : grads[1][i]) scale = std::max(scale, std::fabs(v));
    testing::check_close(ta, tb, 1e-3, 1e-4 * scale + 1e-9, "gradient " + std::to_string(i));
  }
}

static iic::TrainOptions resume_options(const std::string& dir) {
  iic::TrainOptions o;
  o.epochs = 2, o.seed = 3, o.out_dir = dir, o.progress = false, o.eval_limit = 64;
  o.checkpoint_every_s = 1e-9;  // a checkpoint after every step
  return o;
}

// Not a test on its own: the body of the child process that killed_run_resumes_exactly starts
// (by re-executing this program) and kills. Does nothing unless IIC_RESUME_CHILD_DIR is set.
BOOST_AUTO_TEST_CASE(resume_child_process) {
  const char* dir = std::getenv("IIC_RESUME_CHILD_DIR");
  if (!dir) return;
  eng::data::Dataset data = mnist_subset(96);
  eng::Rng init(1);
  models::ClusterNet6c net(small_config(), init);
  iic::Trainer(net, tiny_recipe(), data, data, eng::data::mnist_transforms(), resume_options(dir))
      .run();
}

BOOST_AUTO_TEST_CASE(killed_run_resumes_exactly, *boost::unit_test::label("long")) {
  eng::data::Dataset data = mnist_subset(96);  // 6 steps per pass at B = 16
  iic::Recipe recipe = tiny_recipe();
  // Reference: an uninterrupted run.
  std::string ref_dir = (fs::temp_directory_path() / "iic_resume_ref").string();
  fs::remove_all(ref_dir);
  eng::Rng init_ref(1);
  models::ClusterNet6c ref_net(small_config(), init_ref);
  iic::Trainer(ref_net, recipe, data, data, eng::data::mnist_transforms(), resume_options(ref_dir))
      .run();

  // The same run in a fresh process (fork + exec of this test program), killed with SIGKILL
  // as soon as its first checkpoint appears, in the middle of the first pass.
  std::string dir = (fs::temp_directory_path() / "iic_resume_killed").string();
  fs::remove_all(dir);
  pid_t child = fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    setenv("IIC_RESUME_CHILD_DIR", dir.c_str(), 1);
    execl("/proc/self/exe", "test_train", "--run_test=resume_child_process", (char*)nullptr);
    _exit(127);
  }
  const std::string ck = dir + "/checkpoint.safetensors";
  for (int i = 0; i < 120000 && !fs::exists(ck); ++i) usleep(1000);
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  BOOST_REQUIRE_MESSAGE(fs::exists(ck), "the child wrote no checkpoint before it was killed");
  BOOST_REQUIRE_MESSAGE(WIFSIGNALED(status), "the child finished before it could be killed");

  eng::Rng init2(99);  // another init: everything must come from the checkpoint
  models::ClusterNet6c net(small_config(), init2);
  iic::TrainOptions o = resume_options(dir);
  o.resume = true;
  iic::TrainResult res =
      iic::Trainer(net, recipe, data, data, eng::data::mnist_transforms(), o).run();
  BOOST_TEST(res.steps == 2 * 3 * 6);
  auto a = parameter_values(net), b = parameter_values(ref_net);
  BOOST_REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i)
    BOOST_CHECK_MESSAGE(a[i] == b[i], "parameter " << i << " differs after resume");
}

BOOST_AUTO_TEST_CASE(short_mnist_run_learns, *boost::unit_test::label("long")) {
  // 4,200 MNIST images, the authors' pipeline and loss, batch 60 x 4 repeats, 2 epochs of the
  // MNIST schedule (head B twice, head A once): 420 steps, ~3 min on 2 cores. An untrained
  // network scores ~20% (the authors' epoch-0 log: 20-22%; ours 19-22%) and a wrong gradient
  // cannot climb far above that. Measured on 2026-11-22 (2-core AMD EPYC, 2 threads): 44.5%
  // for the lowest-loss sub-head, 46.0% mean; the bar leaves room for other CPUs' kernels.
  eng::data::Dataset data = mnist_subset(4200);
  iic::Recipe recipe = iic::authors_recipe("mnist");
  recipe.batch = 60, recipe.repeats = 4;
  iic::TrainOptions o;
  o.epochs = 2, o.seed = 7, o.progress = false, o.checkpoint_every_s = 0;
  eng::Rng init(7);
  models::ClusterNet6cConfig cfg;
  models::ClusterNet6c net(cfg, init);
  iic::TrainResult res =
      iic::Trainer(net, recipe, data, data, eng::data::mnist_transforms(), o).run();
  BOOST_REQUIRE(!res.history.empty());
  const iic::Evaluation& e = res.history.back().eval;
  BOOST_TEST_MESSAGE("accuracy after " << res.steps << " steps: lowest-loss sub-head "
                                       << e.selected_acc << ", mean " << e.mean_acc);
  BOOST_TEST(e.selected_acc > 0.35);
  BOOST_TEST(e.mean_acc > 0.35);
}
