// iic_cluster — the entry point for users' own data: train IIC (Ji et al. 2019) on an image
// folder or a supported dataset, then export every image's cluster, the trained checkpoint and,
// when the images have labels, the clustering accuracy.
//
// Writes into --out (default runs/cluster): checkpoint.safetensors (the trained network),
// assignments.csv (index, path, label, class, cluster, confidence, overcluster per image) and
// summary.json (settings, per-sub-head losses and accuracies, cluster sizes). Images of a folder
// are trained and evaluated in one seeded random order (see mix_order); the CSV lists them in
// folder order.
// Training follows the authors' protocol (iic::Trainer: two heads, batch x repeats, head passes
// per epoch, Adam); the cluster of an image is the argmax of the head-B sub-head with the lowest
// mean training loss over the last epoch, computed on tf3 (centre crop) views with batch-norm
// batch statistics, as in the authors' evaluation.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <numeric>
#include <optional>
#include <sstream>

#include "data/augment_sobel.hpp"
#include "data/cifar.hpp"
#include "data/image_folder.hpp"
#include "data/mnist.hpp"
#include "data/stl10.hpp"
#include "engine/autograd.hpp"
#include "engine/backend.hpp"
#include "engine/checkpoint.hpp"
#include "engine/json.hpp"
#include "iic/cli.hpp"
#include "iic/evaluate.hpp"
#include "iic/progress.hpp"
#include "iic/protocol.hpp"
#include "iic/train.hpp"
#ifdef ENG_HAVE_CUDA
#include "engine/cuda_runtime.hpp"
#endif

namespace {

const char* kUsage = R"(usage: tools/iic_cluster (--images DIRS | --dataset NAME) [options]
Train IIC on images and export each image's cluster (assignments.csv), the trained network
(checkpoint.safetensors) and, when labels exist, the clustering accuracy (summary.json).

data (exactly one of):
  --images DIRS        image folder(s), comma-separated, read in order: DIR/<class>/*.png|jpg|
                       jpeg|bmp (labelled: classes = sub-folders, sorted) or DIR/*.png|... (a flat
                       unlabelled folder)
  --dataset NAME       mnist | cifar10 | cifar100-20 | stl10 (train+test) under the data root
  --data DIR           data root for --dataset (else $IIC_DATA, else ./data)
  --resize N|HxW       resize every image to this size (default: all images must share one size)
  --no-download        never download a missing --dataset
pipeline and network:
  --pipeline P         sobel: crop, resize, flip, colour jitter, greyscale, then the fixed Sobel
                       filter in the network (the authors' CIFAR/STL pipeline; default)
                       grey: the same transforms, greyscale into the network (no Sobel)
                       mnist: the authors' MNIST transforms (20x20 crop -> 24, rotation; default
                       for --dataset mnist; greyscale images of at least 24x24)
  --net N              5g: ResNet34 trunk (ClusterNet5g; default) | 6c: VGG-like (ClusterNet6c,
                       input a multiple of 8; default for the mnist pipeline)
  --crop N             crop side (default: CIFAR 20, STL 64; folders: 5/8 of the side up to 32 px,
                       else 2/3 of it)
  --input N            network input side (default: CIFAR 32, STL 64; folders: the image side up
                       to 32 px, else the crop side)
  --k K                clusters of the main head B (default: the number of classes, else 10)
  --k-over K           clusters of the overclustering head A (default 7 x k; MNIST 50)
  --subheads S         sub-heads per head (default 5)
  --batch B            images per step (default 220, or the dataset's Table 1 value)
  --repeats R          transformed copies per image (default 3, or the Table 1 value)
  --schedule LIST      head passes per epoch, e.g. a,b,b (default a,b,b, or the Table 1 value)
  --lr X               Adam learning rate (default 1e-4)
run:
  --epochs N           epochs (default 10)
  --time-budget T      stop after T of training (e.g. 30m); the checkpoint is kept
  --out DIR            output folder (default runs/cluster)
  --seed S             random seed (default 0)
  --no-shuffle         the data's own order in every pass (default: shuffled by the seed)
  --resume             continue from <out>/checkpoint.safetensors (labelled data only)
  --steps-per-pass N   at most N steps per head pass (quick runs; 0 = full passes)
  --threads N          CPU threads (default: all cores)
  --loader-threads N   augmentation worker threads (default 1)
  --device D           cpu | cuda (default: cuda when a GPU is present)
  --precision P        fp32 | bf16 (CPU convolutions in bf16; fp32 with a message where the
                       CPU lacks AVX-512 BF16; default fp32)
  --quiet              no progress bar
  --help               this text
)";

const char* kTool = "iic_cluster";
const char* kOptions = "options";  // the op named by option errors

struct Data {
  eng::data::Dataset set;
  std::vector<std::string> paths;    // per image; empty for binary datasets
  std::vector<std::string> classes;  // class names when known
  std::string dataset;               // "folder" or the --dataset name
  std::string caveat;                // provenance remarks to report
  std::vector<int64_t> source;       // folders: each image's index in the sorted listing
};

// Folders list their images class by class, and batch-norm statistics of one-class batches
// would mislead evaluation (and training without shuffling): the images go in one seeded random
// order. The CSV is written back in listing order.
void mix_order(Data& d, uint64_t seed) {
  d.source = eng::data::shuffled_order(d.set.size(), seed, -1);
  const int64_t bytes = d.set.image_bytes();
  std::vector<uint8_t> px(d.set.pixels().size());
  std::vector<int> labels;
  std::vector<std::string> paths;
  for (size_t i = 0; i < d.source.size(); ++i) {
    const int64_t from = d.source[i];
    std::copy_n(d.set.image(from), bytes, px.data() + i * bytes);
    labels.push_back(d.set.label(from));
    paths.push_back(d.paths[from]);
  }
  d.set = eng::data::Dataset(d.set.name(), d.set.size(), d.set.channels(), d.set.height(),
                             d.set.width(), std::move(px), std::move(labels));
  d.paths = std::move(paths);
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream ss(text);
  for (std::string p; std::getline(ss, p, ',');)
    if (!p.empty()) parts.push_back(p);
  return parts;
}

// "32" -> 32x32, "24x32" -> 24x32 (H x W).
std::pair<int, int> parse_size(const std::string& text) {
  int h = 0, w = 0;
  char x = 0, extra = 0;
  const int got = std::sscanf(text.c_str(), "%d%c%d%c", &h, &x, &w, &extra);
  if (got == 1) w = h;
  ENG_CHECK((got == 1 || (got == 3 && x == 'x')) && h > 0 && w > 0, kOptions,
            "--resize: expected N or HxW with positive sizes, got '", text, "'");
  return {h, w};
}

Data load_data(const iic::Cli& cli, int channels, uint64_t seed) {
  ENG_CHECK(cli.has("images") != cli.has("dataset"), kOptions,
            "give exactly one of --images DIRS or --dataset NAME (see --help)");
  Data d;
  if (cli.has("images")) {
    eng::data::ImageFolderOptions o;
    o.channels = channels;
    if (cli.has("resize")) std::tie(o.resize_h, o.resize_w) = parse_size(cli.get("resize", ""));
    eng::data::ImageFolder f = eng::data::read_image_folders(split_list(cli.get("images", "")), o);
    d.set = std::move(f.data), d.paths = std::move(f.paths), d.classes = std::move(f.classes);
    d.dataset = "folder";
    mix_order(d, seed);
    return d;
  }
  ENG_CHECK(!cli.has("resize"), kOptions, "--resize applies to --images only");
  const eng::data::DataRoot root = eng::data::resolve_data_root(cli.get("data", ""));
  const eng::data::Download dl =
      cli.flag("no-download") ? eng::data::Download::Never : eng::data::Download::Allowed;
  d.dataset = cli.get("dataset", "");
  std::fprintf(stderr, "%s: data root %s (from %s)\n", d.dataset.c_str(), root.path.c_str(),
               root.source.c_str());
  if (d.dataset == "mnist") {
    d.set = eng::data::load_mnist_train_test(root, dl);
    for (int i = 0; i < 10; ++i) d.classes.push_back(std::to_string(i));
  } else if (d.dataset == "cifar10") {
    d.set = eng::data::load_cifar10(root, eng::data::CifarSplit::TrainTest, dl);
    d.classes = eng::data::cifar10_class_names();
    d.caveat = eng::data::cifar10_provenance(
        eng::data::ensure_archive(root, eng::data::cifar10_archive(), eng::data::Download::Never));
  } else if (d.dataset == "cifar100-20") {
    d.set = eng::data::load_cifar100(root, eng::data::CifarSplit::TrainTest,
                                     eng::data::Cifar100Labels::Coarse, dl);
    d.classes = eng::data::cifar100_coarse_class_names();
  } else if (d.dataset == "stl10") {
    d.set = eng::data::load_stl10(root, eng::data::stl10_head_b_splits(), dl);
    d.classes = eng::data::stl10_class_names();
    d.caveat =
        "trained on train+test (13k) for both heads; the authors' head A also saw the "
        "100k unlabelled images (tools/run_table1 follows that protocol)";
  } else {
    throw eng::Error(eng::str(kOptions, ": unknown --dataset '", d.dataset,
                              "' (known: mnist, cifar10, cifar100-20, stl10)"));
  }
  return d;
}

int classes_of(const Data& d) {
  int top = -1;
  for (int l : d.set.labels()) top = std::max(top, l);
  return std::max<int>(top + 1, int(d.classes.size()));
}

struct Plan {
  iic::Recipe recipe;
  std::string pipeline, net;
  int crop = 0, input = 0;
};

// Settings: the dataset's Table 1 recipe (or generic ones for folders), then the options.
Plan make_plan(const iic::Cli& cli, const std::string& pipeline, const Data& data) {
  const std::string& dataset = data.dataset;
  Plan p;
  p.pipeline = pipeline;
  const bool table1 = dataset != "folder";
  if (table1) {
    p.recipe = iic::authors_recipe(dataset);
  } else {
    p.recipe.dataset = "folder";
    p.recipe.table_name = "own data";
    p.recipe.batch = 220, p.recipe.repeats = 3;
    p.recipe.schedule = {"head_a", "head_b", "head_b"};
    p.recipe.k_b = data.set.has_labels() ? classes_of(data) : 10;
    p.recipe.k_a = 7 * p.recipe.k_b;
  }
  p.net = cli.get("net", pipeline == "mnist" ? "6c" : "5g");
  ENG_CHECK(p.net == "5g" || p.net == "6c", kOptions, "--net must be 5g or 6c, got '", p.net, "'");
  ENG_CHECK(!(pipeline == "sobel" && p.net == "6c"), kOptions,
            "--pipeline sobel needs --net 5g (ClusterNet6c has no Sobel step); use --pipeline "
            "grey with --net 6c");
  if (pipeline == "mnist") {
    ENG_CHECK(!cli.has("crop") && !cli.has("input"), kOptions,
              "the mnist pipeline has fixed sizes (crop 20, input 24)");
    p.crop = 20, p.input = 24;
  } else if (dataset == "cifar10" || dataset == "cifar100-20" || dataset == "stl10") {
    const eng::data::SobelPipeline s =
        dataset == "stl10" ? eng::data::stl10_sobel_pipeline() : eng::data::cifar_sobel_pipeline();
    p.crop = s.crop, p.input = s.input;
  } else {
    const int side = std::min(data.set.height(), data.set.width());
    p.crop = side <= 32 ? (side * 5 + 4) / 8 : (side * 2 + 1) / 3;
    p.input = side <= 32 ? side : p.crop;
  }
  p.crop = static_cast<int>(cli.get_int("crop", p.crop));
  p.input = static_cast<int>(cli.get_int("input", p.input));
  iic::Recipe& r = p.recipe;
  r.network = p.net == "5g" ? "ClusterNet5g" : "ClusterNet6c";
  r.input_channels = pipeline == "sobel" ? 2 : 1;
  r.input_size = p.input;
  r.k_b = static_cast<int>(cli.get_int("k", r.k_b));
  r.k_a = static_cast<int>(
      cli.get_int("k-over", cli.has("k") && !cli.has("k-over") ? 7 * r.k_b : r.k_a));
  r.subheads = static_cast<int>(cli.get_int("subheads", r.subheads));
  r.batch = static_cast<int>(cli.get_int("batch", r.batch));
  r.repeats = static_cast<int>(cli.get_int("repeats", r.repeats));
  const std::string lr = cli.get("lr", "1e-4");
  size_t used = 0;
  try {
    r.lr = std::stof(lr, &used);
  } catch (const std::exception&) {
  }
  ENG_CHECK(used == lr.size() && r.lr > 0, kOptions, "--lr: expected a positive number, got '", lr,
            "'");
  if (cli.has("schedule")) {
    r.schedule.clear();
    for (const std::string& h : split_list(cli.get("schedule", ""))) {
      ENG_CHECK(h == "a" || h == "b" || h == "head_a" || h == "head_b", kOptions,
                "--schedule lists heads a or b, got '", h, "'");
      r.schedule.push_back(h.size() == 1 ? "head_" + h : h);
    }
  }
  ENG_CHECK(r.repeats >= 1 && r.batch >= 2, kOptions, "need --batch >= 2 and --repeats >= 1");
  if (r.batch > data.set.size()) {
    std::fprintf(stderr, "%s: batch %d is more than the %lld images; using %lld\n", kTool, r.batch,
                 (long long)data.set.size(), (long long)data.set.size());
    r.batch = static_cast<int>(data.set.size());
  }
  return p;
}

eng::data::TransformSet make_transforms(const Plan& p) {
  if (p.pipeline == "mnist") return eng::data::mnist_transforms();
  eng::data::SobelPipeline s;
  s.crop = p.crop, s.input = p.input;
  return eng::data::sobel_transforms(s);
}

struct Assignments {
  std::vector<std::vector<int>> b, a;      // [sub-head][image] argmax of heads B and A
  std::vector<std::vector<float>> b_conf;  // [sub-head][image] head B's top probability
};

// tf3 views of every image through the network (batch-norm batch statistics), in batches of
// at most max_batch and of near-equal sizes (no tiny last batch with degenerate statistics).
Assignments assign(const models::ClusterNet& net, const eng::data::Dataset& data,
                   const eng::data::TransformSet& tf, int64_t max_batch, int threads) {
  const int64_t batches = (data.size() + max_batch - 1) / max_batch;
  const int64_t batch = (data.size() + batches - 1) / batches;
  eng::NoGradGuard no_grad;
  const models::ClusterHeads &hb = net.heads("head_b"), &ha = net.heads("head_a");
  Assignments out;
  out.b.resize(hb.subheads), out.a.resize(ha.subheads), out.b_conf.resize(hb.subheads);
  for (int64_t begin = 0; begin < data.size(); begin += batch) {
    const int64_t end = std::min(data.size(), begin + batch), n = end - begin;
    eng::Tensor f =
        net.features(eng::data::transform_range(data, tf, begin, end, threads).to(net.device()),
                     eng::BatchNormMode::EvalBatchStats);
    for (const models::ClusterHeads* h : {&hb, &ha}) {
      const std::vector<float> p = net.head(h->name, f).to_vector();  // [S, n, k]
      for (int s = 0; s < h->subheads; ++s)
        for (int64_t i = 0; i < n; ++i) {
          const float* row = p.data() + (s * n + i) * h->k;
          const int64_t top = std::max_element(row, row + h->k) - row;
          (h == &hb ? out.b : out.a)[s].push_back(static_cast<int>(top));
          if (h == &hb) out.b_conf[s].push_back(row[top]);
        }
    }
  }
  return out;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

void write_csv(const std::string& path, const Data& d, const Assignments& a, int sel) {
  std::ofstream out(path);
  ENG_CHECK(out.good(), path, "cannot write");
  out << "index,path,label,class,cluster,confidence,overcluster\n";
  std::vector<int64_t> row(d.set.size());  // listing position -> row of the dataset
  for (int64_t i = 0; i < d.set.size(); ++i) row[d.source.empty() ? i : d.source[i]] = i;
  for (int64_t index = 0; index < d.set.size(); ++index) {
    const int64_t i = row[index];
    const int l = d.set.label(i);
    out << index << "," << csv_field(d.paths.empty() ? "" : d.paths[i]) << ","
        << (l >= 0 ? std::to_string(l) : "") << ","
        << csv_field(l >= 0 && l < int(d.classes.size()) ? d.classes[l] : "") << "," << a.b[sel][i]
        << "," << a.b_conf[sel][i] << "," << a.a[sel][i] << "\n";
  }
}

eng::Json numbers(const std::vector<double>& v) {
  eng::Json j = eng::Json::array();
  for (double x : v) j.push_back(x);
  return j;
}

int run(int argc, char** argv) {
  iic::Cli cli(argc, argv, {"images",   "dataset",        "data",    "resize",   "pipeline",
                            "net",      "crop",           "input",   "k",        "k-over",
                            "subheads", "batch",          "repeats", "schedule", "lr",
                            "epochs",   "time-budget",    "out",     "seed",     "steps-per-pass",
                            "threads",  "loader-threads", "device",  "precision"},
               {"no-download", "no-shuffle", "resume", "quiet", "help"});
  if (cli.flag("help") || argc == 1) {
    std::cout << kUsage;
    return 0;
  }
  eng::set_num_threads(static_cast<int>(cli.get_int("threads", 0)));
  const std::string pipeline =
      cli.get("pipeline", cli.get("dataset", "") == "mnist" ? "mnist" : "sobel");
  ENG_CHECK(pipeline == "sobel" || pipeline == "grey" || pipeline == "mnist", kOptions,
            "--pipeline must be sobel, grey or mnist, got '", pipeline, "'");
  const uint64_t seed = static_cast<uint64_t>(cli.get_int("seed", 0));
  const Data data = load_data(cli, pipeline == "mnist" ? 1 : 3, seed);
  ENG_CHECK(pipeline != "mnist" || data.set.channels() == 1, kOptions,
            "the mnist pipeline takes greyscale images");
  const Plan plan = make_plan(cli, pipeline, data);
  const iic::Recipe& r = plan.recipe;
  const eng::Device dev = iic::choose_device(cli.get("device", ""), kOptions);
  const eng::Precision precision = iic::choose_precision(cli.get("precision", ""), dev, kTool);
  eng::Rng init_rng(seed, 1);
  std::unique_ptr<models::ClusterNet> net =
      iic::make_network(plan.recipe, init_rng, plan.pipeline == "sobel");
  net->to(dev);
  const eng::data::TransformSet tf = make_transforms(plan);

  iic::TrainOptions opt;
  opt.epochs = static_cast<int>(cli.get_int("epochs", 10));
  opt.time_budget_s = cli.get_seconds("time-budget", 0);
  opt.seed = seed;
  opt.shuffle = !cli.flag("no-shuffle");
  opt.loader_workers = static_cast<int>(cli.get_int("loader-threads", 1));
  opt.max_steps_per_pass = cli.get_int("steps-per-pass", 0);
  opt.out_dir = cli.get("out", "runs/cluster");
  opt.resume = cli.flag("resume");
  opt.progress = !cli.flag("quiet");
  std::filesystem::create_directories(opt.out_dir);

  std::fprintf(stderr,
               "%s: %lld images %dx%dx%d (%s), %s, %s pipeline (crop %d -> %d), k %d (head B) / "
               "%d (head A) x %d sub-heads, batch %d x %d, schedule",
               kTool, (long long)data.set.size(), data.set.channels(), data.set.height(),
               data.set.width(), data.set.has_labels() ? "labelled" : "unlabelled",
               r.network.c_str(), pipeline.c_str(), plan.crop, plan.input, r.k_b, r.k_a, r.subheads,
               r.batch, r.repeats);
  for (const std::string& h : r.schedule) std::fprintf(stderr, " %s", h.c_str());
  std::fprintf(stderr, ", %d epochs on %s (%s)\n", opt.epochs, eng::device_name(dev),
               eng::precision_name(precision));
  if (!data.caveat.empty()) std::fprintf(stderr, "note: %s\n", data.caveat.c_str());

  const int classes = classes_of(data);
  iic::Trainer trainer(*net, r, data.set, data.set, tf, opt);
  trainer.on_epoch = [](const iic::EpochRecord& e) {
    const std::vector<double>& l = e.eval.subhead_loss;
    std::fprintf(stderr, "epoch %.2f: head B loss %.4f (mean of sub-heads)", e.epochs_done,
                 std::accumulate(l.begin(), l.end(), 0.0) / l.size());
    if (!e.eval.subhead_acc.empty())
      std::fprintf(stderr, ", lowest-loss sub-head %d %.2f%%, mean %.2f%% ± %.2f", e.eval.selected,
                   100 * e.eval.selected_acc, 100 * e.eval.mean_acc, 100 * e.eval.std_acc);
    std::fprintf(stderr, ", %s training\n", iic::format_duration(e.train_seconds).c_str());
  };
  iic::TrainResult res = trainer.run();
  ENG_CHECK(!res.history.empty(), "train", "no epoch was trained (time budget too small?)");
  const std::vector<double> losses = res.history.back().eval.subhead_loss;
  const int sel = static_cast<int>(std::min_element(losses.begin(), losses.end()) - losses.begin());

  const Assignments a = assign(*net, data.set, tf, 700, opt.loader_workers);
  write_csv(opt.out_dir + "/assignments.csv", data, a, sel);
  eng::Json summary = eng::Json::object();
  summary.set("images", data.set.size());
  summary.set("source", data.set.name());
  summary.set("network", r.network);
  summary.set("pipeline", pipeline);
  summary.set("crop", plan.crop);
  summary.set("input", plan.input);
  summary.set("k", r.k_b);
  summary.set("k_over", r.k_a);
  summary.set("subheads", r.subheads);
  summary.set("selected_subhead", sel);
  summary.set("subhead_loss", numbers(losses));
  std::vector<double> sizes(r.k_b, 0);
  for (int c : a.b[sel]) sizes[c] += 1;
  summary.set("cluster_sizes", numbers(sizes));
  if (!data.caveat.empty()) summary.set("note", data.caveat);
  std::printf("clustered %lld images into %d clusters (head B sub-head %d, lowest loss)\n",
              (long long)data.set.size(), r.k_b, sel);
  if (data.set.has_labels()) {
    std::vector<double> acc;
    for (const std::vector<int>& p : a.b)
      acc.push_back(iic::one_to_one_accuracy(p, data.set.labels(), r.k_b, classes));
    const iic::SubheadSummary s = iic::summarize_subheads(acc, losses);
    const double over = iic::many_to_one_accuracy(a.a[sel], data.set.labels(), a.a[sel],
                                                  data.set.labels(), r.k_a, classes);
    summary.set("subhead_acc", numbers(acc));
    summary.set("accuracy", s.selected_acc);
    summary.set("accuracy_mean", s.mean);
    summary.set("accuracy_std", s.std_population);
    summary.set("overclustering_accuracy_many_to_one", over);
    std::printf(
        "accuracy against the %d labelled classes (one-to-one, Hungarian): %.2f%% "
        "(lowest-loss sub-head), mean %.2f%% ± %.2f over sub-heads; head A (%d clusters, "
        "many-to-one, fitted and scored on the same images): %.2f%%\n",
        classes, 100 * s.selected_acc, 100 * s.mean, 100 * s.std_population, r.k_a, 100 * over);
  }
  std::ofstream(opt.out_dir + "/summary.json") << summary.dump(2) << "\n";
  std::printf("wrote %s/assignments.csv, %s/checkpoint.safetensors, %s/summary.json\n",
              opt.out_dir.c_str(), opt.out_dir.c_str(), opt.out_dir.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return iic::run_tool("iic_cluster", [&] { return run(argc, argv); });
}
