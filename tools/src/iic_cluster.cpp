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
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <numeric>
#include <sstream>

#include "data/image_folder.hpp"
#include "data/loader.hpp"
#include "engine/autograd.hpp"
#include "engine/json.hpp"
#include "iic/cli.hpp"
#include "iic/datasets.hpp"
#include "iic/evaluate.hpp"
#include "iic/predict.hpp"
#include "iic/progress.hpp"
#include "iic/protocol.hpp"
#include "iic/run_options.hpp"
#include "iic/train.hpp"
#include "models/registry.hpp"

namespace {

const char* kTool = "iic_cluster";
const char* kOptions = "options";  // the op named by option errors

iic::CliSpec make_spec() {
  iic::CliSpec spec(kTool, "build/iic_cluster (--images DIRS | --dataset NAME) [options]",
                    "Train IIC on images and export each image's cluster (assignments.csv), the\n"
                    "trained network (checkpoint.safetensors) and, when labels exist, the\n"
                    "clustering accuracy (summary.json).");
  spec.section("data (--images or --dataset)")
      .option("images", "DIRS", "",
              "image folder(s), comma-separated, read in order: DIR/<class>/*.png|jpg|\n"
              "jpeg|bmp (labelled: classes = sub-folders, sorted) or DIR/*.png|... (a\n"
              "flat unlabelled folder)")
      .option("dataset", "NAME", "",
              "a registered dataset, train+test: " + iic::dataset_names() +
                  "\n(under the data root; idx: your own files, below)")
      .option("images-file", "FILE", "", "--dataset idx: the IDX images file (raw or .gz)")
      .option("labels-file", "FILE", "",
              "--dataset idx: the IDX labels file (optional; gives the accuracy)")
      .option("resize", "N|HxW", "",
              "--images: resize every image to this size (default: all images\n"
              "must share one size)");
  spec.section("pipeline and network (defaults: the dataset's recipe; for folders below)")
      .option("recipe", "R", "", "--dataset: one of its recipes (default: its first)")
      .option("pipeline", "P", "",
              "sobel: crop, resize, flip, colour jitter, greyscale, then the fixed\n"
              "Sobel filter in the network (the authors' CIFAR/STL pipeline; folders)\n"
              "grey: the same transforms, greyscale into the network (no Sobel)\n"
              "mnist: the authors' MNIST transforms (20x20 crop -> 24, rotation;\n"
              "greyscale images of at least 24x24)")
      .option("net", "N", "",
              "a network: " + models::network_names() +
                  "\n(default for folders: 6c with the mnist pipeline, else 5g)")
      .option("crop", "N", "", "crop side (folders: 5/8 of the side up to 32 px, else 2/3 of it)")
      .option("input", "N", "",
              "network input side (folders: the image side up to 32 px, else the crop)")
      .option("k", "K", "",
              "clusters of the main head B, at least 2 (default: the number of\n"
              "classes of labelled data, else the recipe's, else 10)")
      .option("k-over", "K", "",
              "clusters of the overclustering head A, at least 2 (default:\n"
              "the recipe's when k is, else 7 x k)")
      .option("subheads", "S", "", "sub-heads per head (default 5)")
      .option("batch", "B", "", "images per step (default: the recipe's, folders 220)")
      .option("repeats", "R", "", "transformed copies per image (default: the recipe's, folders 3)")
      .option("schedule", "LIST", "", "head passes per epoch, e.g. a,b,b (default: the recipe's)")
      .option("lr", "X", "", "Adam learning rate (default: the recipe's, 1e-4)");
  iic::add_run_options(spec, "runs/cluster");
  return spec;
}

struct Data {
  iic::LoadedData loaded;          // loaded.train: the images clustered
  std::vector<std::string> paths;  // per image; empty for binary datasets
  std::string dataset;             // "folder" or the --dataset name
  std::vector<int64_t> source;     // folders: each image's index in the sorted listing
};

// Folders list their images class by class, and batch-norm statistics of one-class batches
// would mislead evaluation (and training without shuffling): the images go in one seeded random
// order. The CSV is written back in listing order.
void mix_order(Data& d, uint64_t seed) {
  eng::data::Dataset& set = d.loaded.train;
  d.source = eng::data::shuffled_order(set.size(), seed, -1);
  const int64_t bytes = set.image_bytes();
  std::vector<uint8_t> px(set.pixels().size());
  std::vector<int> labels;
  std::vector<std::string> paths;
  for (size_t i = 0; i < d.source.size(); ++i) {
    const int64_t from = d.source[i];
    std::copy_n(set.image(from), bytes, px.data() + i * bytes);
    labels.push_back(set.label(from));
    paths.push_back(d.paths[from]);
  }
  set = eng::data::Dataset(set.name(), set.size(), set.channels(), set.height(), set.width(),
                           std::move(px), std::move(labels));
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

// The images: an image folder (--images) or a registered dataset (--dataset).
Data load_data(const iic::Cli& cli, int folder_channels, uint64_t seed) {
  ENG_CHECK(cli.given("images") != cli.given("dataset"), kOptions,
            "give exactly one of --images DIRS or --dataset NAME (see --help)");
  Data d;
  if (cli.given("images")) {
    ENG_CHECK(!cli.given("images-file") && !cli.given("labels-file") && !cli.given("recipe"),
              kOptions, "--images-file, --labels-file and --recipe go with --dataset");
    eng::data::ImageFolderOptions o;
    o.channels = folder_channels;
    if (cli.given("resize")) std::tie(o.resize_h, o.resize_w) = parse_size(cli.get("resize"));
    eng::data::ImageFolder f = eng::data::read_image_folders(split_list(cli.get("images")), o);
    d.loaded.train = std::move(f.data), d.paths = std::move(f.paths);
    d.loaded.classes = std::move(f.classes);
    d.dataset = "folder";
    mix_order(d, seed);
    return d;
  }
  ENG_CHECK(!cli.given("resize"), kOptions, "--resize applies to --images only");
  d.dataset = cli.get("dataset");
  const iic::DatasetEntry& row = iic::find_dataset(d.dataset);
  ENG_CHECK(row.takes_files || (!cli.given("images-file") && !cli.given("labels-file")), kOptions,
            "--images-file / --labels-file go with --dataset idx, not ", d.dataset);
  iic::DataRequest request = iic::data_request(cli);
  request.images_file = cli.get("images-file"), request.labels_file = cli.get("labels-file");
  if (!row.takes_files)
    std::fprintf(stderr, "%s: data root %s (from %s)\n", d.dataset.c_str(),
                 request.root.path.c_str(), request.root.source.c_str());
  d.loaded = row.load(request);
  return d;
}

int classes_of(const Data& d) {
  int top = -1;
  for (int l : d.loaded.train.labels()) top = std::max(top, l);
  return std::max<int>(top + 1, int(d.loaded.classes.size()));
}

// A cluster count option: at least 2 (one cluster carries no information).
int clusters(const iic::Cli& cli, const char* name, int fallback, const char* what) {
  if (!cli.given(name)) return fallback;
  const long long k = cli.get_int(name);
  ENG_CHECK(k >= 2 && k <= 100000, kOptions, "--", name, " (", what, ") must be at least 2, got ",
            k);
  return static_cast<int>(k);
}

// --pipeline's name for a recipe's pipeline: mnist, sobel (the Sobel step in the network) or
// grey (the Sobel pipeline's transforms, greyscale into the network).
std::string pipeline_name(const iic::Recipe& r) {
  return r.pipeline == iic::PipelineKind::Mnist ? "mnist" : r.sobel ? "sobel" : "grey";
}

// Settings: the dataset's recipe (or generic ones for folders), then the options.
iic::Recipe make_plan(const iic::Cli& cli, const Data& data) {
  const eng::data::Dataset& set = data.loaded.train;
  const bool folder = data.dataset == "folder";
  iic::Recipe r;
  if (folder) {
    r.name = "own data", r.dataset = "folder", r.table_name = "own data";
    r.batch = 220, r.repeats = 3;
    r.schedule = {"head_a", "head_b", "head_b"};
    r.k_b = 10, r.k_a = 70;
  } else {
    r = iic::make_recipe(cli.get("recipe"), data.dataset);
  }
  // The pipeline: the recipe's (folders: sobel), or --pipeline; the network: the recipe's while
  // its pipeline is kept, else ClusterNet6c for the mnist pipeline and ClusterNet5g for the
  // others, or --net.
  const bool recipe_sobel_sizes = !folder && r.pipeline == iic::PipelineKind::Sobel;
  const std::string recipe_pipeline = folder ? "" : pipeline_name(r);
  const std::string pipeline = cli.given("pipeline") ? cli.get("pipeline")
                               : folder              ? "sobel"
                                                     : recipe_pipeline;
  ENG_CHECK(pipeline == "sobel" || pipeline == "grey" || pipeline == "mnist", kOptions,
            "--pipeline must be sobel, grey or mnist, got '", pipeline, "'");
  if (pipeline != recipe_pipeline) {
    r.pipeline = pipeline == "mnist" ? iic::PipelineKind::Mnist : iic::PipelineKind::Sobel;
    r.sobel = pipeline == "sobel";
    r.network = iic::default_network(r.pipeline);
  }
  if (cli.given("net")) r.network = models::find_network(cli.get("net")).name;
  if (r.pipeline == iic::PipelineKind::Mnist) {
    ENG_CHECK(!cli.given("crop") && !cli.given("input"), kOptions,
              "the mnist pipeline has fixed sizes (crop 20, input 24)");
    r.input_size = 24;
  } else {
    if (!recipe_sobel_sizes) {  // sizes from the images' side
      const int side = std::min(set.height(), set.width());
      r.sobel_tf.crop = side <= 32 ? (side * 5 + 4) / 8 : (side * 2 + 1) / 3;
      r.sobel_tf.input = side <= 32 ? side : r.sobel_tf.crop;
    }
    if (cli.given("crop")) r.sobel_tf.crop = static_cast<int>(cli.get_int("crop", 1, 100000));
    if (cli.given("input")) r.sobel_tf.input = static_cast<int>(cli.get_int("input", 1, 100000));
    r.input_size = r.sobel_tf.input;
  }
  // Heads: k follows the labelled classes unless given; k_a follows k when k changed.
  const int classes = set.has_labels() ? classes_of(data) : 0;
  const int k_b = clusters(cli, "k", classes >= 2 ? classes : r.k_b, "clusters of head B");
  const int k_a_default = k_b == r.k_b ? r.k_a : 7 * k_b;
  r.k_a = clusters(cli, "k-over", k_a_default, "clusters of head A");
  r.k_b = k_b;
  if (cli.given("subheads")) r.subheads = static_cast<int>(cli.get_int("subheads", 1, 1000));
  if (cli.given("batch")) r.batch = static_cast<int>(cli.get_int("batch", 2));
  if (cli.given("repeats")) r.repeats = static_cast<int>(cli.get_int("repeats", 1, 1000));
  if (cli.given("lr")) r.lr = static_cast<float>(cli.get_number("lr", 1e-12, 1e3));
  if (cli.given("schedule")) {
    r.schedule.clear();
    for (const std::string& h : split_list(cli.get("schedule"))) {
      ENG_CHECK(h == "a" || h == "b" || h == "head_a" || h == "head_b", kOptions,
                "--schedule lists heads a or b, got '", h, "'");
      r.schedule.push_back(h.size() == 1 ? "head_" + h : h);
    }
    ENG_CHECK(!r.schedule.empty(), kOptions, "--schedule lists no head");
  }
  if (r.batch > set.size()) {
    std::fprintf(stderr, "%s: batch %d is more than the %lld images; using %lld\n", kTool, r.batch,
                 (long long)set.size(), (long long)set.size());
    r.batch = static_cast<int>(set.size());
  }
  return r;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

void write_csv(const std::string& path, const Data& d, const iic::HeadPredictions& b,
               const iic::HeadPredictions& a, int sel) {
  std::ofstream out(path);
  ENG_CHECK(out.good(), path, "cannot write");
  out << "index,path,label,class,cluster,confidence,overcluster\n";
  const eng::data::Dataset& set = d.loaded.train;
  const std::vector<std::string>& classes = d.loaded.classes;
  std::vector<int64_t> row(set.size());  // listing position -> row of the dataset
  for (int64_t i = 0; i < set.size(); ++i) row[d.source.empty() ? i : d.source[i]] = i;
  for (int64_t index = 0; index < set.size(); ++index) {
    const int64_t i = row[index];
    const int l = set.label(i);
    out << index << "," << csv_field(d.paths.empty() ? "" : d.paths[i]) << ","
        << (l >= 0 ? std::to_string(l) : "") << ","
        << csv_field(l >= 0 && l < int(classes.size()) ? classes[l] : "") << ","
        << b.cluster[sel][i] << "," << b.confidence[sel][i] << "," << a.cluster[sel][i] << "\n";
  }
}

eng::Json numbers(const std::vector<double>& v) {
  eng::Json j = eng::Json::array();
  for (double x : v) j.push_back(x);
  return j;
}

int run(const iic::Cli& cli) {
  const uint64_t seed = static_cast<uint64_t>(cli.get_int("seed", 0));
  // Folders are read in colour unless the mnist pipeline is asked for.
  const Data data = load_data(cli, cli.get("pipeline") == "mnist" ? 1 : 3, seed);
  const eng::data::Dataset& set = data.loaded.train;
  const iic::Recipe r = make_plan(cli, data);
  ENG_CHECK(r.pipeline != iic::PipelineKind::Mnist || set.channels() == 1, kOptions,
            "the mnist pipeline takes greyscale images");
  const std::string out = cli.get("out");
  const iic::TrainOptions opt = iic::train_options(cli, r, out);
  const iic::Machine machine = iic::setup_machine(cli, r);
  iic::Settings settings = cli.settings();
  settings.push_back(
      {"images", std::to_string(set.size()) + " of " + std::to_string(set.channels()) + "x" +
                     std::to_string(set.height()) + "x" + std::to_string(set.width()) +
                     (set.has_labels() ? ", labelled" : ", unlabelled")});
  for (const auto& row : iic::run_settings(r, machine)) settings.push_back(row);
  if (r.pipeline == iic::PipelineKind::Sobel)
    settings.push_back(
        {"crop", std::to_string(r.sobel_tf.crop) + " -> " + std::to_string(r.sobel_tf.input)});
  iic::print_settings(kTool, settings);
  if (!data.loaded.caveat.empty()) std::fprintf(stderr, "note: %s\n", data.loaded.caveat.c_str());

  eng::Rng init_rng(seed, 1);
  std::unique_ptr<models::ClusterNet> net = iic::make_network(r, init_rng);
  net->to(machine.device);
  const eng::data::TransformSet tf = iic::make_transforms(r);
  std::filesystem::create_directories(out);

  const int classes = classes_of(data);
  iic::Trainer trainer(*net, r, set, set, tf, opt);
  for (const auto& [head, head_set] : data.loaded.head_train)
    trainer.set_head_train_set(head, head_set);
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
  const int sel = iic::lowest_loss_subhead(losses);

  // Every image, in the trainer's evaluation batches (so the accuracy is the trainer's).
  iic::PredictOptions po = iic::evaluation_options(r, opt);
  po.limit = 0;
  const std::map<std::string, iic::HeadPredictions> preds =
      iic::predict(*net, set, tf, {"head_b", "head_a"}, po);
  const iic::HeadPredictions &b = preds.at("head_b"), &a = preds.at("head_a");
  write_csv(out + "/assignments.csv", data, b, a, sel);
  eng::Json summary = eng::Json::object();
  summary.set("images", set.size());
  summary.set("source", set.name());
  summary.set("recipe", r.name);
  summary.set("network", r.network);
  summary.set("pipeline", pipeline_name(r));
  summary.set("crop", r.pipeline == iic::PipelineKind::Mnist ? 20 : r.sobel_tf.crop);
  summary.set("input", r.input_size);
  summary.set("k", r.k_b);
  summary.set("k_over", r.k_a);
  summary.set("subheads", r.subheads);
  summary.set("selected_subhead", sel);
  summary.set("subhead_loss", numbers(losses));
  std::vector<double> sizes(r.k_b, 0);
  for (int c : b.cluster[sel]) sizes[c] += 1;
  summary.set("cluster_sizes", numbers(sizes));
  if (!data.loaded.caveat.empty()) summary.set("note", data.loaded.caveat);
  std::printf("clustered %lld images into %d clusters (head B sub-head %d, lowest loss)\n",
              (long long)set.size(), r.k_b, sel);
  if (set.has_labels()) {
    const iic::Evaluation e = iic::evaluate_head(b, set.labels(), classes, losses);
    const double over = iic::many_to_one_accuracy(a.cluster[sel], set.labels(), a.cluster[sel],
                                                  set.labels(), r.k_a, classes);
    summary.set("subhead_acc", numbers(e.subhead_acc));
    summary.set("accuracy", e.selected_acc);
    summary.set("accuracy_mean", e.mean_acc);
    summary.set("accuracy_std", e.std_acc);
    summary.set("overclustering_accuracy_many_to_one", over);
    std::printf(
        "accuracy against the %d labelled classes (one-to-one, Hungarian): %.2f%% "
        "(lowest-loss sub-head), mean %.2f%% ± %.2f over sub-heads; head A (%d clusters, "
        "many-to-one, fitted and scored on the same images): %.2f%%\n",
        classes, 100 * e.selected_acc, 100 * e.mean_acc, 100 * e.std_acc, r.k_a, 100 * over);
  }
  std::ofstream(out + "/summary.json") << summary.dump(2) << "\n";
  std::printf("wrote %s/assignments.csv, %s/checkpoint.safetensors, %s/summary.json\n", out.c_str(),
              out.c_str(), out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return iic::run_tool(make_spec(), argc, argv, run); }
