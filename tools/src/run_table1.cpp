// run_table1 — reproduce the rows of the paper's Table 1 (unsupervised clustering accuracy) with
// the authors' protocol, and report them beside the paper and the authors' logged curves.
//
// Writes into --out (default runs/table1, runs/table1-fast for --recipe fast):
// <dataset>/checkpoint.safetensors (atomic, resumable), results.json (every row, every
// evaluation), table1.md and accuracy_<dataset>.png (ours vs the authors' curve: best sub-head
// with best sub-head, mean with mean, as their logs record the best). Rows whose data
// is not available are listed as such. --recipe fast (MNIST) trades the authors' protocol for
// "99% as soon as possible" and reports the time to 95/98/99%.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>

#include "data/cifar.hpp"
#include "data/mnist.hpp"
#include "data/stl10.hpp"
#include "engine/backend.hpp"
#include "engine/json.hpp"
#include "iic/cli.hpp"
#include "iic/evaluate.hpp"
#include "iic/plot.hpp"
#include "iic/progress.hpp"
#include "iic/protocol.hpp"
#include "iic/reference.hpp"
#include "iic/train.hpp"
#ifdef ENG_HAVE_CUDA
#include "engine/cuda_runtime.hpp"
#endif

namespace {

const char* kUsage = R"(usage: tools/run_table1 [options]
  --dataset D          mnist | cifar10 | cifar100-20 | stl10 | all   (default mnist)
  --recipe R           authors (the paper's protocol, default) | authors-code (MNIST: what
                       the authors' released script ran: three head-B passes per epoch, head A
                       untrained, nearest-neighbour rotation, fixed order) | fast (MNIST: 99%
                       as soon as possible on CPUs: authors-code with tf2 crops of 20 or 24 px
                       only, bf16, evaluation every pass, stops at 99%); see docs/results.md.
                       Other recipes' runs go to runs/table1-<recipe> by default
  --epochs N           epochs to train (an epoch is the recipe's schedule; default 10)
  --time-budget T      stop training after T (e.g. 30m, 2h); a checkpoint is kept
  --data DIR           data root (else $IIC_DATA, else ./data) holding mnist/ (IDX files),
                       cifar-10-batches-bin/, cifar-100-binary/, stl10_binary/
  --out DIR            output folder (default runs/table1; runs/table1-<recipe> for others)
  --seed S             random seed (default 0)
  --resume             continue from <out>/<dataset>/checkpoint.safetensors
  --threads N          CPU threads (default: all cores)
  --loader-threads N   augmentation worker threads (default 1)
  --device D           cpu | cuda (default: cuda when a GPU is present)
  --precision P        fp32 | bf16 (bf16: the CPU convolutions in bf16, fp32 master weights,
                       BN, loss and Adam; needs AVX-512 BF16, else fp32 with a message;
                       default: the recipe's, fp32 for the authors')
  --no-tf32            CUDA: float32 convolutions without TF32 tensor cores (the authors' PyTorch
                       0.4.1 numerics; slower); default TF32 convolutions, PyTorch's default
  --eval-every N       also evaluate after every N head passes (default: the recipe's; the
                       authors' recipe evaluates after every epoch only)
  --stop-at PCT        stop at the first evaluation whose lowest-loss sub-head reaches PCT %
                       (reads the labels: a benchmark criterion; default: the recipe's, none for
                       the authors')
  --no-shuffle         the datasets' own order, as the authors (default: the recipe's;
                       shuffled by the seed, except authors-code)
  --checkpoint-every T also checkpoint every T of training (default 10m)
  --steps-per-pass N   at most N steps per head pass (quick runs; 0 = full passes)
  --eval-limit N       evaluate on the first N images only (quick runs; 0 = all)
  --identical-work     run the originals r times like PyTorch does (default: once, same result)
  --quiet              no progress bar
)";

struct Row {
  iic::Recipe recipe;
  std::string status;  // "done", or why there is no result
  iic::TrainResult result;
  std::string machine;
  eng::Precision precision = eng::Precision::FP32;  // in effect for this row
};

std::string pct(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", 100 * v);
  return b;
}

std::string row_label(const iic::Recipe& r) {
  return r.name == "authors" ? r.table_name : r.table_name + " (" + r.name + " recipe)";
}

// The most accurate sub-head: what the authors' logs record at every epoch (their code selects
// by accuracy unless --select_sub_head_on_loss), so ours is compared with theirs on this figure.
double best_acc(const iic::Evaluation& e) {
  return *std::max_element(e.subhead_acc.begin(), e.subhead_acc.end());
}

std::string row_line(const Row& r, const iic::ReferenceData& ref) {
  const iic::PaperRow* paper = ref.paper_row(r.recipe.table_name);
  std::string paper_cols =
      paper ? pct(paper->lowest_loss) + " | " + pct(paper->mean) + " ± " + pct(paper->std)
            : "- | -";
  if (r.status != "done" || r.result.history.empty())
    return "| " + row_label(r.recipe) + " | " + paper_cols + " | " + r.status + " | | | | | | |";
  const iic::EpochRecord& last = r.result.history.back();
  const iic::Evaluation& e = last.eval;
  auto authors = ref.at_epoch(r.recipe.table_name, static_cast<int>(last.epochs_done + 1e-9));
  std::string authors_cols = authors ? pct(authors->best) + " / " + pct(authors->avg) + " (epoch " +
                                           std::to_string(authors->epochs_done) + ")"
                                     : "-";
  char epochs[32];
  std::snprintf(epochs, sizeof epochs, "%.2f", last.epochs_done);
  return "| " + row_label(r.recipe) + " | " + paper_cols + " | " + pct(e.selected_acc) + " | " +
         pct(best_acc(e)) + " | " + pct(e.mean_acc) + " ± " + pct(e.std_acc) + " | " + epochs +
         " | " + authors_cols + " | " + iic::format_duration(last.train_seconds) + " | " +
         r.machine + " |";
}

// The first evaluation whose lowest-loss sub-head reached each of 95, 98, 99%: when, in steps,
// training time and wall time (training + evaluations).
struct TimeTo {
  int percent;
  const iic::EpochRecord* first;  // null: not reached
};
std::vector<TimeTo> time_to(const Row& r) {
  std::vector<TimeTo> out;
  for (int percent : {95, 98, 99}) {
    TimeTo tt{percent, nullptr};
    for (const iic::EpochRecord& e : r.result.history)
      if (e.eval.selected_acc >= percent / 100.0) {
        tt.first = &e;
        break;
      }
    out.push_back(tt);
  }
  return out;
}

std::string time_to_lines(const std::vector<Row>& rows) {
  std::string s;
  for (const Row& r : rows) {
    if (r.status != "done" || r.result.history.empty()) continue;
    s += row_label(r.recipe) + " — time to accuracy (lowest-loss sub-head):";
    for (const TimeTo& t : time_to(r)) {
      s += "  " + std::to_string(t.percent) + "%: ";
      if (!t.first) {
        s += "not reached;";
        continue;
      }
      char b[160];
      std::snprintf(b, sizeof b, "%s (%lld steps, %s training + %s evaluation);",
                    iic::format_duration(t.first->train_seconds + t.first->eval_seconds).c_str(),
                    (long long)t.first->steps, iic::format_duration(t.first->train_seconds).c_str(),
                    iic::format_duration(t.first->eval_seconds).c_str());
      s += b;
    }
    s.back() = '\n';
  }
  return s;
}

// The three largest kinds of error of the last evaluation's lowest-loss sub-head, from its
// class confusion: which classes went to which class's cluster (e.g. MNIST's crossed sevens).
std::string error_lines(const std::vector<Row>& rows) {
  std::string s;
  for (const Row& r : rows) {
    if (r.status != "done" || r.result.history.empty()) continue;
    const std::vector<int64_t>& conf = r.result.history.back().eval.confusion;
    if (conf.empty()) continue;
    const size_t cols = iic::confusion_columns(conf);
    int64_t total = 0;
    std::vector<std::pair<int64_t, size_t>> errors;  // (count, index)
    for (size_t i = 0; i < conf.size(); ++i) {
      total += conf[i];
      if (i / cols != i % cols && conf[i] > 0) errors.push_back({conf[i], i});
    }
    std::sort(errors.begin(), errors.end(), std::greater<>());
    s += row_label(r.recipe) +
         " — largest errors of the lowest-loss sub-head (class -> the class "
         "its cluster maps to):";
    for (size_t e = 0; e < std::min<size_t>(3, errors.size()); ++e) {
      const size_t cls = errors[e].second / cols, to = errors[e].second % cols;
      char b[120];
      std::snprintf(b, sizeof b, "  %zu -> %s: %lld (%.2f%% of all);", cls,
                    to + 1 == cols ? "none" : std::to_string(to).c_str(),
                    (long long)errors[e].first, 100.0 * double(errors[e].first) / double(total));
      s += b;
    }
    if (errors.empty()) s += "  none;";
    s.back() = '\n';
  }
  return s;
}

std::string table(const std::vector<Row>& rows, const iic::ReferenceData& ref) {
  std::string t =
      "| dataset | paper: lowest-loss sub-head | paper: mean ± std | ours: lowest-loss "
      "sub-head | ours: best sub-head | ours: mean ± std | epochs | authors' log at that epoch: "
      "best sub-head / mean | train time | machine |\n|---|---|---|---|---|---|---|---|---|---|\n";
  for (const Row& r : rows) t += row_line(r, ref) + "\n";
  return t;
}

void plot_row(const Row& r, const iic::ReferenceData& ref, const std::string& path) {
  iic::Series ours_best{{}, {}, {31, 119, 180}}, ours_mean{{}, {}, {158, 202, 225}};
  iic::Series auth_best{{}, {}, {255, 127, 14}}, auth_mean{{}, {}, {253, 208, 162}};
  double x_max = 1;
  for (const iic::EpochRecord& e : r.result.history) {
    ours_best.x.push_back(e.epochs_done), ours_best.y.push_back(best_acc(e.eval));
    ours_mean.x.push_back(e.epochs_done), ours_mean.y.push_back(e.eval.mean_acc);
    x_max = std::max(x_max, e.epochs_done);
  }
  x_max = std::max(x_max * 1.25, 3.0);
  for (const iic::CurvePoint& p : ref.curve(r.recipe.table_name)) {
    if (p.epochs_done > x_max) break;
    auth_best.x.push_back(p.epochs_done), auth_best.y.push_back(p.best);
    auth_mean.x.push_back(p.epochs_done), auth_mean.y.push_back(p.avg);
  }
  iic::plot_png(path, {auth_mean, auth_best, ours_mean, ours_best}, x_max);
}

// How the CUDA convolutions round: TF32 (PyTorch's default) unless --no-tf32.
std::string tf32_note(eng::Device dev) {
#ifdef ENG_HAVE_CUDA
  if (dev == eng::Device::CUDA)
    return eng::cuda::tf32().conv ? " (TF32 convolutions)" : " (float32 convolutions, no TF32)";
#endif
  (void)dev;
  return "";
}

std::string describe_machine(eng::Device dev, int threads) {
#ifdef ENG_HAVE_CUDA
  if (dev == eng::Device::CUDA) return eng::cuda::device_name() + " (CUDA)" + tf32_note(dev);
#endif
  (void)dev;
  const bool bf16 = eng::compute_precision() == eng::Precision::BF16;
  return iic::describe_cpu(threads) + (bf16 ? ", bf16 convolutions" : "");
}

// The data, transforms and network of a Table 1 row (protocol.md).
struct RowSetup {
  eng::data::Dataset data;    // trained on and evaluated on: train+test
  eng::data::Dataset head_a;  // STL-10: head A's own training set (train+unlabelled+test)
  eng::data::TransformSet transforms;
  std::unique_ptr<models::ClusterNet> net;
  std::string caveat;  // e.g. the lossy CIFAR-10 reconstruction
};

RowSetup setup_row(const iic::Recipe& r, const eng::data::DataRoot& root, eng::Rng& init_rng) {
  using namespace eng::data;
  RowSetup s;
  if (r.dataset == "mnist") {
    s.data = load_mnist_train_test(root);
  } else if (r.dataset == "cifar10") {
    s.data = load_cifar10(root, CifarSplit::TrainTest);
    s.caveat = cifar10_provenance(ensure_archive(root, cifar10_archive(), Download::Never));
  } else if (r.dataset == "cifar100-20") {
    s.data = load_cifar100(root, CifarSplit::TrainTest, Cifar100Labels::Coarse);
  } else {
    s.data = load_stl10(root, stl10_head_b_splits());
    s.head_a = load_stl10(root, stl10_head_a_splits());
  }
  s.transforms = iic::make_transforms(r);
  s.net = iic::make_network(r, init_rng);  // greyscale in; ClusterNet5g applies Sobel itself
  return s;
}

Row run_dataset(const iic::Recipe& recipe, const iic::Cli& cli, const std::string& out_root,
                eng::Device dev, int threads) {
  const std::string& name = recipe.dataset;
  const eng::Precision precision =
      iic::choose_precision(cli.get("precision", recipe.precision), dev, "run_table1");
  Row row{recipe, "", {}, describe_machine(dev, threads), precision};
  eng::data::DataRoot root = eng::data::resolve_data_root(cli.get("data", ""));
  std::fprintf(stderr, "%s: data root %s (from %s)\n", row.recipe.table_name.c_str(),
               root.path.c_str(), root.source.c_str());
  eng::Rng init_rng(static_cast<uint64_t>(cli.get_int("seed", 0)), 1);
  RowSetup s;
  try {
    s = setup_row(row.recipe, root, init_rng);
  } catch (const eng::Error& e) {  // missing data: report this row, go on with the others
    const std::string msg = e.what();
    std::fprintf(stderr, "%s: %s\n", row.recipe.table_name.c_str(), msg.c_str());
    row.status = "missing data: " + msg.substr(0, msg.find('\n')) + " (see the log)";
    return row;
  }
  if (!s.caveat.empty())
    std::fprintf(stderr, "%s: note: %s\n", row.recipe.table_name.c_str(), s.caveat.c_str());
  if (!recipe.notes.empty())
    std::fprintf(stderr, "%s: %s recipe: %s\n", row.recipe.table_name.c_str(), recipe.name.c_str(),
                 recipe.notes.c_str());
  std::fprintf(stderr, "%s: precision %s on %s%s\n", row.recipe.table_name.c_str(),
               eng::precision_name(precision), eng::device_name(dev), tf32_note(dev).c_str());
  s.net->to(dev);

  iic::TrainOptions opt;
  opt.epochs = static_cast<int>(cli.get_int("epochs", 10));
  opt.time_budget_s = cli.get_seconds("time-budget", 0);
  opt.seed = static_cast<uint64_t>(cli.get_int("seed", 0));
  opt.shuffle = recipe.shuffle && !cli.flag("no-shuffle");
  opt.loader_workers = static_cast<int>(cli.get_int("loader-threads", 1));
  opt.identical_work = cli.flag("identical-work");
  opt.max_steps_per_pass = cli.get_int("steps-per-pass", 0);
  opt.eval_limit = cli.get_int("eval-limit", 0);
  opt.eval_every_passes = static_cast<int>(cli.get_int("eval-every", recipe.eval_every_passes));
  opt.stop_at_accuracy = cli.get_number("stop-at", 100 * recipe.stop_at_accuracy) / 100;
  opt.out_dir = out_root + "/" + name;
  opt.checkpoint_every_s = cli.get_seconds("checkpoint-every", 600);
  opt.resume = cli.flag("resume");
  opt.progress = !cli.flag("quiet");
  iic::Trainer trainer(*s.net, row.recipe, s.data, s.data, s.transforms, opt);
  if (s.head_a.size() > 0) trainer.set_head_train_set("head_a", s.head_a);
  trainer.on_epoch = [&](const iic::EpochRecord& r) {
    std::fprintf(stderr,
                 "%s epoch %.2f: lowest-loss sub-head %d %.2f%%, best %.2f%%, mean %.2f%% ± "
                 "%.2f, %lld steps, %s training + %s evaluation\n",
                 row_label(row.recipe).c_str(), r.epochs_done, r.eval.selected,
                 100 * r.eval.selected_acc, 100 * best_acc(r.eval), 100 * r.eval.mean_acc,
                 100 * r.eval.std_acc, (long long)r.steps,
                 iic::format_duration(r.train_seconds).c_str(),
                 iic::format_duration(r.eval_seconds).c_str());
  };
  row.result = trainer.run();
  row.status = "done";
  if (row.result.target_reached)
    std::fprintf(stderr, "%s: reached %.1f%%, stopping (--stop-at)\n",
                 row_label(row.recipe).c_str(), 100 * opt.stop_at_accuracy);
  return row;
}

eng::Json row_json(const Row& r) {
  eng::Json j = eng::Json::object();
  j.set("dataset", r.recipe.table_name);
  j.set("recipe", r.recipe.name);
  if (!r.recipe.notes.empty()) j.set("recipe_notes", r.recipe.notes);
  j.set("status", r.status);
  j.set("machine", r.machine);
  j.set("precision", eng::precision_name(r.precision));
  j.set("budget_reached", r.result.budget_reached);
  j.set("steps", r.result.steps);
  j.set("train_seconds", r.result.train_seconds);
  j.set("target_reached", r.result.target_reached);
  eng::Json reached = eng::Json::object();
  for (const TimeTo& t : time_to(r))
    if (t.first) {
      eng::Json at = eng::Json::object();
      at.set("steps", t.first->steps);
      at.set("train_seconds", t.first->train_seconds);
      at.set("wall_seconds", t.first->train_seconds + t.first->eval_seconds);
      reached.set(std::to_string(t.percent), at);
    }
  j.set("time_to_accuracy", reached);
  eng::Json hist = eng::Json::array();
  for (const iic::EpochRecord& e : r.result.history) hist.push_back(iic::to_json(e));
  j.set("history", hist);
  return j;
}

int run(int argc, char** argv) {
  iic::Cli cli(argc, argv,
               {"dataset", "recipe", "epochs", "time-budget", "data", "out", "seed", "threads",
                "loader-threads", "device", "precision", "checkpoint-every", "steps-per-pass",
                "eval-limit", "eval-every", "stop-at", "repo"},
               {"resume", "no-shuffle", "identical-work", "quiet", "no-tf32", "help"});
  if (cli.flag("help")) {
    std::cout << kUsage;
    return 0;
  }
  const int threads = static_cast<int>(cli.get_int("threads", 0));
  eng::set_num_threads(threads);
  const std::string repo = cli.get("repo", IIC_SOURCE_DIR);
  iic::ReferenceData ref = iic::load_reference(repo + "/iic/reference");
  const std::string recipe = cli.get("recipe", "authors");
  const std::string out =
      cli.get("out", recipe == "authors" ? "runs/table1" : "runs/table1-" + recipe);
  eng::Device dev = iic::choose_device(cli.get("device", ""), "run_table1");
#ifdef ENG_HAVE_CUDA
  if (cli.flag("no-tf32")) eng::cuda::set_tf32({false, false});
#endif

  std::string which = cli.get("dataset", "mnist");
  std::vector<std::string> names =
      which == "all" ? iic::table1_datasets() : std::vector<std::string>{which};
  std::vector<iic::Recipe> recipes;  // all checked before anything runs
  for (const std::string& name : names) recipes.push_back(iic::make_recipe(recipe, name));
  std::filesystem::create_directories(out);
  std::vector<Row> rows;
  for (const iic::Recipe& r : recipes) {
    const std::string& name = r.dataset;
    rows.push_back(run_dataset(r, cli, out, dev, eng::num_threads()));
    if (rows.back().status == "done")
      plot_row(rows.back(), ref, out + "/accuracy_" + name + ".png");
  }

  eng::Json results = eng::Json::object(), arr = eng::Json::array();
  for (const Row& r : rows) arr.push_back(row_json(r));
  results.set("rows", arr);
  std::ofstream(out + "/results.json") << results.dump(2) << "\n";
  std::string t = table(rows, ref), reached = time_to_lines(rows) + error_lines(rows);
  std::ofstream(out + "/table1.md")
      << "# Table 1 (unsupervised clustering accuracy, %)\n\n"
      << t << "\n"
      << reached
      << "\nThe authors' logs record their most accurate sub-head (their code's default "
         "selection), so compare it with our best sub-head, and mean with mean; the paper's "
         "column is the lowest-loss sub-head.\nPlots accuracy_<dataset>.png: dark blue = ours "
         "(best sub-head), light blue = ours (mean of sub-heads), orange = authors' log (best "
         "sub-head), light orange = authors' log (mean); x = epochs, y = accuracy.\n";
  std::cout << "\nTable 1 — unsupervised image clustering accuracy (%)\n\n"
            << t << "\n"
            << reached << "\n"
            << "written: " << out << "/results.json, " << out << "/table1.md, " << out
            << "/accuracy_<dataset>.png\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return iic::run_tool("run_table1", [&] { return run(argc, argv); });
}
