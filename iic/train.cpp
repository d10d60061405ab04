// train.cpp — the IIC training loop, evaluation and checkpoints (see train.hpp).
#include "iic/train.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>

#include "engine/allocator.hpp"
#include "engine/autograd.hpp"
#include "engine/checkpoint.hpp"
#include "iic/evaluate.hpp"
#include "iic/iic_loss.hpp"
#include "iic/progress.hpp"
#include "ops/ops.hpp"

namespace iic {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::vector<eng::Tensor> repeat(const eng::Tensor& t, int r) { return {size_t(r), t}; }

void check_one_batch(const eng::data::Dataset& set, int64_t batch) {
  ENG_CHECK(set.size() >= batch, "train", "training set ", set.name(), " has ", set.size(),
            " images, fewer than one batch of ", batch);
}

}  // namespace

eng::Tensor subhead_losses(const models::ClusterNet& net, const std::string& head,
                           const eng::Tensor& x, const eng::Tensor& x_tf, int repeats, float lambda,
                           bool identical_work) {
  ENG_CHECK(x_tf.size(0) == x.size(0) * repeats, "train", "x_tf must hold ", repeats,
            " copies of the ", x.size(0), " originals, got ", eng::shape_str(x_tf.shape()));
  eng::Tensor z;  // [S, r*B, k]: row d*B + i pairs with copy d of image i
  if (identical_work) {
    z = net.head(head, net.features(eng::concat(repeat(x, repeats), 0), eng::BatchNormMode::Train));
  } else {
    eng::Tensor zx = net.head(head, net.features(x, eng::BatchNormMode::Train));
    z = eng::concat(repeat(zx, repeats), 1);
  }
  eng::Tensor z_tf = net.head(head, net.features(x_tf, eng::BatchNormMode::Train));
  return iic_loss_subheads(z, z_tf, lambda);
}

eng::Json to_json(const Evaluation& e) {
  eng::Json j = eng::Json::object();
  eng::Json acc = eng::Json::array(), loss = eng::Json::array();
  for (double a : e.subhead_acc) acc.push_back(a);
  for (double l : e.subhead_loss) loss.push_back(l);
  j.set("subhead_acc", acc);
  j.set("subhead_loss", loss);
  j.set("selected", e.selected);
  j.set("selected_acc", e.selected_acc);
  j.set("mean_acc", e.mean_acc);
  j.set("std_acc", e.std_acc);
  if (!e.confusion.empty()) {  // rows: true classes
    const size_t cols = confusion_columns(e.confusion);
    eng::Json rows = eng::Json::array();
    for (size_t r = 0; r < e.confusion.size() / cols; ++r) {
      eng::Json row = eng::Json::array();
      for (size_t c = 0; c < cols; ++c)
        row.push_back(static_cast<double>(e.confusion[r * cols + c]));
      rows.push_back(row);
    }
    j.set("confusion", rows);
  }
  return j;
}

eng::Json to_json(const EpochRecord& r) {
  eng::Json j = eng::Json::object();
  j.set("epoch", r.epoch);
  j.set("epochs_done", r.epochs_done);
  j.set("partial", r.partial);
  j.set("steps", r.steps);
  j.set("train_seconds", r.train_seconds);
  j.set("eval_seconds", r.eval_seconds);
  j.set("eval", to_json(r.eval));
  return j;
}

namespace {
Evaluation evaluation_from_json(const eng::Json& j) {
  Evaluation e;
  for (const eng::Json& a : j["subhead_acc"].as_array()) e.subhead_acc.push_back(a.as_number());
  for (const eng::Json& l : j["subhead_loss"].as_array()) e.subhead_loss.push_back(l.as_number());
  e.selected = static_cast<int>(j["selected"].as_int());
  e.selected_acc = j["selected_acc"].as_number();
  e.mean_acc = j["mean_acc"].as_number();
  e.std_acc = j["std_acc"].as_number();
  if (j.contains("confusion"))
    for (const eng::Json& row : j["confusion"].as_array())
      for (const eng::Json& v : row.as_array()) e.confusion.push_back(v.as_int());
  return e;
}
}  // namespace

Trainer::Trainer(models::ClusterNet& net, const Recipe& recipe, const eng::data::Dataset& train_set,
                 const eng::data::Dataset& eval_set, eng::data::TransformSet transforms,
                 TrainOptions options)
    : net_(net),
      recipe_(recipe),
      train_(train_set),
      eval_(eval_set),
      tf_(std::move(transforms)),
      opt_(std::move(options)),
      adam_(net.parameters(), eng::AdamOptions{recipe.lr}) {
  ENG_CHECK(!recipe_.schedule.empty(), "train", "recipe for ", recipe_.dataset,
            " has an empty head schedule");
  check_one_batch(train_, recipe_.batch);
}

void Trainer::set_head_train_set(const std::string& head, const eng::data::Dataset& set) {
  const std::vector<std::string>& sched = recipe_.schedule;
  ENG_CHECK(std::find(sched.begin(), sched.end(), head) != sched.end(), "train", "head '", head,
            "' is not in the schedule of ", recipe_.dataset);
  ENG_CHECK(set.channels() == train_.channels() && set.height() == train_.height() &&
                set.width() == train_.width(),
            "train", "training set ", set.name(), " of ", head, " has ", set.channels(), "x",
            set.height(), "x", set.width(), " images, the training set ", train_.name(), " ",
            train_.channels(), "x", train_.height(), "x", train_.width());
  check_one_batch(set, recipe_.batch);
  head_train_[head] = &set;
}

const eng::data::Dataset& Trainer::train_set(const std::string& head) const {
  auto it = head_train_.find(head);
  return it == head_train_.end() ? train_ : *it->second;
}

int64_t Trainer::full_pass_steps(const std::string& head) const {
  return eng::data::pass_step_count(train_set(head).size(), recipe_.batch, recipe_.drop_last);
}

int64_t Trainer::full_epoch_steps() const {
  int64_t n = 0;
  for (const std::string& head : recipe_.schedule) n += full_pass_steps(head);
  return n;
}

std::vector<int64_t> Trainer::pass_steps() const {
  std::vector<int64_t> steps;
  for (const std::string& head : recipe_.schedule) {
    const int64_t full = full_pass_steps(head);
    steps.push_back(opt_.max_steps_per_pass > 0 ? std::min(full, opt_.max_steps_per_pass) : full);
  }
  return steps;
}

eng::Json Trainer::train_set_sizes_json() const {
  eng::Json sets = eng::Json::object();
  for (const std::string& head : recipe_.schedule) sets.set(head, train_set(head).size());
  return sets;
}

std::vector<double> Trainer::step(const std::string& head, const eng::Tensor& x,
                                  const eng::Tensor& x_tf) {
  const eng::Device dev = net_.device();
  eng::Tensor losses = subhead_losses(net_, head, x.to(dev), x_tf.to(dev), recipe_.repeats,
                                      recipe_.lambda, opt_.identical_work);
  eng::Tensor loss = eng::mean(losses);
  std::vector<double> per_subhead;
  for (float v : losses.to_vector()) per_subhead.push_back(v);
  for (double v : per_subhead)
    ENG_CHECK(std::isfinite(v), "train", "the IIC loss of ", head, " became ", v,
              "; stopping (the last checkpoint is kept)");
  loss.backward();
  adam_.step();
  adam_.zero_grad();
  return per_subhead;
}

Evaluation Trainer::evaluate(std::vector<std::vector<int64_t>>& confusions) {
  ENG_CHECK(eval_.has_labels(), "train", "evaluation set ", eval_.name(), " has no labels");
  eng::NoGradGuard no_grad;
  const models::ClusterHeads& hb = net_.heads("head_b");
  const int64_t n = opt_.eval_limit > 0 ? std::min(opt_.eval_limit, eval_.size()) : eval_.size();
  std::vector<std::vector<int>> preds(hb.subheads);
  const int64_t batch =
      opt_.eval_batch > 0 ? opt_.eval_batch : int64_t(recipe_.batch) * recipe_.repeats;
  for (int64_t begin = 0; begin < n; begin += batch) {
    int64_t end = std::min(n, begin + batch);
    eng::Tensor x = eng::data::transform_range(eval_, tf_, begin, end, opt_.loader_workers);
    eng::Tensor z =
        net_.head("head_b", net_.features(x.to(net_.device()), eng::BatchNormMode::EvalBatchStats));
    std::vector<float> p = z.to_vector();  // [S, n, k]
    const int64_t rows = end - begin;
    for (int s = 0; s < hb.subheads; ++s)
      for (int64_t i = 0; i < rows; ++i) {
        const float* row = p.data() + (s * rows + i) * hb.k;
        preds[s].push_back(static_cast<int>(std::max_element(row, row + hb.k) - row));
      }
  }
  std::vector<int> labels(eval_.labels().begin(), eval_.labels().begin() + n);
  const int classes = labels.empty() ? 0 : *std::max_element(labels.begin(), labels.end()) + 1;
  Evaluation e;
  confusions.clear();
  for (int s = 0; s < hb.subheads; ++s) {
    const Contingency table = contingency(preds[s], labels, hb.k, classes);
    const std::vector<int> mapping = one_to_one_mapping(table);
    e.subhead_acc.push_back(double(matched_count(table, mapping)) / double(table.total));
    confusions.push_back(class_confusion(table, mapping));
  }
  return e;
}

std::string Trainer::checkpoint_path() const { return opt_.out_dir + "/checkpoint.safetensors"; }

std::vector<int64_t> Trainer::pass_order(const eng::data::Dataset& set, int64_t pass_id) const {
  return opt_.shuffle ? eng::data::shuffled_order(set.size(), opt_.seed, pass_id)
                      : eng::data::sequential_order(set.size());
}

void Trainer::save_checkpoint(const Position& pos, const std::vector<EpochRecord>& history) {
  if (opt_.out_dir.empty()) return;
  std::filesystem::create_directories(opt_.out_dir);
  eng::NamedTensors tensors;
  for (const eng::NamedTensor& p : net_.parameters())
    tensors.push_back({p.name, p.tensor.to(eng::Device::CPU)});
  for (const eng::NamedTensor& s : adam_.export_state())
    tensors.push_back({s.name, s.tensor.to(eng::Device::CPU)});
  eng::Json state = eng::Json::object();
  state.set("dataset", recipe_.dataset);
  state.set("network", net_.name());
  state.set("seed", static_cast<double>(opt_.seed));
  state.set("shuffle", opt_.shuffle);
  state.set("train_set_sizes", train_set_sizes_json());
  state.set("epoch", pos.epoch);
  state.set("pass", pos.pass);
  state.set("step", pos.step);
  state.set("total_steps", pos.total_steps);
  state.set("train_seconds", pos.train_seconds);
  state.set("eval_seconds", pos.eval_seconds);
  state.set("loss_count", pos.loss_count);
  eng::Json loss_sum = eng::Json::array(), hist = eng::Json::array();
  for (double v : pos.loss_sum) loss_sum.push_back(v);
  for (const EpochRecord& r : history) hist.push_back(to_json(r));
  state.set("loss_sum", loss_sum);
  state.set("history", hist);
  eng::save_checkpoint(checkpoint_path(), tensors, {{"iic_state", state.dump()}});
}

bool Trainer::load_checkpoint(Position& pos, std::vector<EpochRecord>& history) {
  if (opt_.out_dir.empty() || !std::filesystem::exists(checkpoint_path())) return false;
  eng::Checkpoint ck = eng::load_checkpoint(checkpoint_path());
  eng::Json state = eng::Json::parse(ck.metadata.at("iic_state"), checkpoint_path());
  ENG_CHECK(state["dataset"].as_string() == recipe_.dataset &&
                state["network"].as_string() == net_.name(),
            "train", checkpoint_path(), " is a ", state["network"].as_string(), " run on ",
            state["dataset"].as_string(), ", not ", net_.name(), " on ", recipe_.dataset);
  ENG_CHECK(static_cast<uint64_t>(state["seed"].as_number()) == opt_.seed &&
                state["shuffle"].as_bool() == opt_.shuffle,
            "train", checkpoint_path(), " was made with seed ", state["seed"].as_number(),
            state["shuffle"].as_bool() ? " (shuffled)" : " (fixed order)",
            "; resume with the same --seed and shuffle setting");
  // Checkpoints written before per-head training sets existed hold no sizes (every head trained
  // on the one training set).
  const eng::Json* sizes = state.find("train_set_sizes");
  ENG_CHECK(!sizes || *sizes == train_set_sizes_json(), "train", checkpoint_path(),
            " was made with training sets of ", sizes ? sizes->dump() : "",
            " images per head; this run has ", train_set_sizes_json().dump());
  eng::NamedTensors params = net_.parameters();
  eng::assign_named(params, ck.tensors, checkpoint_path());
  eng::NamedTensors adam_state;
  for (const eng::NamedTensor& t : ck.tensors)
    if (t.name.rfind("adam.", 0) == 0) adam_state.push_back(t);
  adam_.import_state(adam_state);
  // Adam.zero_grad() keeps zero-filled gradients (PyTorch 1.x semantics, the authors' code), so
  // a parameter that has ever had a gradient keeps being updated from its momentum. Gradients
  // are not checkpointed: restore them as the zeros they were at the end of the saved step.
  for (eng::NamedTensor& p : params)
    if (adam_.step_count(p.name) > 0)
      p.tensor.set_grad(eng::Tensor::zeros(p.tensor.shape(), p.tensor.device()));
  pos.epoch = static_cast<int>(state["epoch"].as_int());
  pos.pass = static_cast<int>(state["pass"].as_int());
  pos.step = state["step"].as_int();
  pos.total_steps = state["total_steps"].as_int();
  pos.train_seconds = state["train_seconds"].as_number();
  const eng::Json* eval_s = state.find("eval_seconds");  // absent in older checkpoints
  pos.eval_seconds = eval_s ? eval_s->as_number() : 0.0;
  pos.loss_count = state["loss_count"].as_int();
  pos.loss_sum.clear();
  for (const eng::Json& v : state["loss_sum"].as_array()) pos.loss_sum.push_back(v.as_number());
  history.clear();
  for (const eng::Json& r : state["history"].as_array()) {
    if (r["partial"].as_bool()) continue;  // a budget stop inside an epoch: superseded
    EpochRecord rec;
    rec.epoch = static_cast<int>(r["epoch"].as_int());
    rec.epochs_done = r["epochs_done"].as_number();
    rec.steps = r["steps"].as_int();
    rec.train_seconds = r["train_seconds"].as_number();
    const eng::Json* eval_s = r.find("eval_seconds");
    rec.eval_seconds = eval_s ? eval_s->as_number() : 0.0;
    rec.eval = evaluation_from_json(r["eval"]);
    history.push_back(rec);
  }
  return true;
}

const EpochRecord& Trainer::record(Position& pos, bool partial, std::vector<EpochRecord>& history) {
  const int subheads_b = net_.heads("head_b").subheads;
  auto t0 = Clock::now();
  EpochRecord rec;
  std::vector<std::vector<int64_t>> confusions;
  if (eval_.has_labels()) rec.eval = evaluate(confusions);  // unlabelled data: losses only
  if (pos.loss_count == 0 && !history.empty())  // no head-B step since the last evaluation
    rec.eval.subhead_loss = history.back().eval.subhead_loss;
  else
    for (int s = 0; s < subheads_b; ++s)
      rec.eval.subhead_loss.push_back(pos.loss_count ? pos.loss_sum[s] / pos.loss_count : 0.0);
  const std::vector<double>& loss = rec.eval.subhead_loss;
  rec.eval.selected = static_cast<int>(std::min_element(loss.begin(), loss.end()) - loss.begin());
  if (!rec.eval.subhead_acc.empty()) {
    SubheadSummary sum = summarize_subheads(rec.eval.subhead_acc, loss);
    rec.eval.selected = sum.selected;
    rec.eval.selected_acc = sum.selected_acc;
    rec.eval.mean_acc = sum.mean;
    rec.eval.std_acc = sum.std_population;
    rec.eval.confusion = confusions[sum.selected];
  }
  pos.eval_seconds += seconds_since(t0);
  // A partial record keeps the loss sums: a resumed run goes on accumulating them.
  if (!partial) pos.loss_sum.assign(subheads_b, 0.0), pos.loss_count = 0;
  rec.partial = partial;
  rec.epoch = pos.epoch;
  // In units of the full schedule (a shortened pass, --steps-per-pass, is a fraction of one).
  rec.epochs_done = double(pos.total_steps) / full_epoch_steps();
  rec.steps = pos.total_steps;
  rec.train_seconds = pos.train_seconds;
  rec.eval_seconds = pos.eval_seconds;
  history.push_back(rec);
  save_checkpoint(pos, history);
  if (on_epoch) on_epoch(rec);
  return history.back();
}

TrainResult Trainer::run() {
  TrainResult result;
  Position pos;
  const int subheads_b = net_.heads("head_b").subheads;
  pos.loss_sum.assign(subheads_b, 0.0);
  if (opt_.resume && load_checkpoint(pos, result.history) && opt_.progress)
    std::fprintf(stderr, "resumed from %s: epoch %d, pass %d, step %lld\n",
                 checkpoint_path().c_str(), pos.epoch, pos.pass, (long long)pos.step);

  eng::data::LoaderOptions lo;
  lo.batch_size = recipe_.batch;
  lo.repeats = recipe_.repeats;
  lo.drop_last = recipe_.drop_last;
  lo.workers = opt_.loader_workers;
  lo.seed = opt_.seed;
  lo.device =
      net_.device();  // CUDA: batches are copied on the copy stream during the previous step
  // One loader per distinct training set (STL-10: head A's and head B's).
  std::map<const eng::data::Dataset*, std::unique_ptr<eng::data::BatchLoader>> loaders;
  for (const std::string& head : recipe_.schedule) {
    std::unique_ptr<eng::data::BatchLoader>& l = loaders[&train_set(head)];
    if (!l) l = std::make_unique<eng::data::BatchLoader>(train_set(head), tf_, lo);
  }
  const std::vector<int64_t> steps_per_pass = pass_steps();
  const int passes = static_cast<int>(recipe_.schedule.size());
  int64_t steps_per_epoch = 0;
  for (int64_t n : steps_per_pass) steps_per_epoch += n;
  const int64_t pairs_per_step = int64_t(recipe_.batch) * recipe_.repeats;

  Progress bar(opt_.progress, int64_t(opt_.epochs) * steps_per_epoch);
  auto last_checkpoint = Clock::now();
  bool stop = false;
  while (!stop && pos.epoch < opt_.epochs) {
    const std::string& head = recipe_.schedule[pos.pass];
    const eng::data::Dataset& set = train_set(head);
    eng::data::BatchLoader& loader = *loaders.at(&set);
    const int64_t pass_id = int64_t(pos.epoch) * passes + pos.pass;
    loader.start_epoch(pass_id, pass_order(set, pass_id), pos.step);
    while (pos.step < steps_per_pass[pos.pass]) {
      if (opt_.time_budget_s > 0 && pos.train_seconds >= opt_.time_budget_s) {
        stop = result.budget_reached = true;
        break;
      }
      auto t0 = Clock::now();
      std::optional<eng::data::Batch> batch = loader.next();
      ENG_CHECK(batch.has_value(), "train", "loader ended the pass early at step ", pos.step);
      std::vector<double> losses = step(head, batch->x, batch->x_tf);
      ++pos.step, ++pos.total_steps;
      pos.train_seconds += seconds_since(t0);
      double mean_loss = 0;
      for (double l : losses) mean_loss += l / losses.size();
      if (head == "head_b") {
        for (int s = 0; s < subheads_b; ++s) pos.loss_sum[s] += losses[s];
        ++pos.loss_count;
      }
      bar.update(pos.total_steps, pos.epoch + 1, opt_.epochs, head, mean_loss,
                 pairs_per_step / seconds_since(t0));
      if (opt_.checkpoint_every_s > 0 &&
          seconds_since(last_checkpoint) >= opt_.checkpoint_every_s) {
        save_checkpoint(pos, result.history);
        last_checkpoint = Clock::now();
      }
    }
    if (stop) break;
    // A pass is complete: evaluate at the end of an epoch, and every eval_every_passes passes.
    pos.step = 0;
    const int64_t passes_done = pass_id + 1;
    if (++pos.pass == passes) ++pos.epoch, pos.pass = 0;
    if (pos.pass == 0 ||
        (opt_.eval_every_passes > 0 && passes_done % opt_.eval_every_passes == 0)) {
      bar.finish_line();
      const EpochRecord& rec = record(pos, false, result.history);
      last_checkpoint = Clock::now();
      if (opt_.stop_at_accuracy > 0 && rec.eval.selected_acc >= opt_.stop_at_accuracy)
        stop = result.target_reached = true;
    }
  }
  // A budget stop between evaluations: evaluate where it stopped.
  if (result.budget_reached &&
      (result.history.empty() || result.history.back().steps != pos.total_steps)) {
    bar.finish_line();
    record(pos, true, result.history);
  }
  result.steps = pos.total_steps;
  result.train_seconds = pos.train_seconds;
  return result;
}

}  // namespace iic
