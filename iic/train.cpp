// train.cpp — the IIC training loop (see train.hpp); evaluation is predict.hpp's, checkpoints
// run_state.hpp's.
#include "iic/train.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <numeric>

#include "engine/autograd.hpp"
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

using Loaders = std::map<const eng::data::Dataset*, std::unique_ptr<eng::data::BatchLoader>>;

eng::data::LoaderOptions loader_options(const Recipe& recipe, const TrainOptions& opt,
                                        eng::Device device) {
  eng::data::LoaderOptions lo;
  lo.batch_size = recipe.batch, lo.repeats = recipe.repeats, lo.drop_last = recipe.drop_last;
  lo.workers = opt.loader_workers, lo.seed = opt.seed;
  lo.device = device;  // CUDA: batches are copied on the copy stream during the previous step
  return lo;
}

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

PredictOptions evaluation_options(const Recipe& recipe, const TrainOptions& options) {
  PredictOptions p;
  p.batch = options.eval_batch > 0 ? options.eval_batch : int64_t(recipe.batch) * recipe.repeats;
  p.limit = options.eval_limit;
  p.threads = options.loader_workers;
  return p;
}

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
  const HeadPredictions p =
      predict(net_, eval_, tf_, {"head_b"}, evaluation_options(recipe_, opt_)).at("head_b");
  const std::vector<int> labels(eval_.labels().begin(), eval_.labels().begin() + p.images());
  const int classes = *std::max_element(labels.begin(), labels.end()) + 1;
  SubheadScores scores = score_subheads(p.cluster, labels, p.k, classes);
  confusions = std::move(scores.confusion);
  Evaluation e;
  e.subhead_acc = std::move(scores.accuracy);
  return e;
}

std::string Trainer::checkpoint_path() const { return opt_.out_dir + "/checkpoint.safetensors"; }

std::vector<int64_t> Trainer::pass_order(const eng::data::Dataset& set, int64_t pass_id) const {
  return opt_.shuffle ? eng::data::shuffled_order(set.size(), opt_.seed, pass_id)
                      : eng::data::sequential_order(set.size());
}

RunIdentity Trainer::identity() const {
  RunIdentity id{recipe_.dataset, net_.name(), opt_.seed, opt_.shuffle, {}};
  for (const std::string& head : recipe_.schedule)
    id.train_set_sizes[head] = train_set(head).size();
  return id;
}

void Trainer::save(const RunState& state) const {
  if (!opt_.out_dir.empty()) save_run_checkpoint(checkpoint_path(), state, net_, adam_);
}

bool Trainer::resume(RunState& state) {
  if (opt_.out_dir.empty() || !std::filesystem::exists(checkpoint_path())) return false;
  state = load_run_checkpoint(checkpoint_path(), identity(), net_, adam_);
  std::vector<EpochRecord>& h = state.history;  // a budget stop inside an epoch is superseded
  h.erase(std::remove_if(h.begin(), h.end(), [](const EpochRecord& r) { return r.partial; }),
          h.end());
  return true;
}

const EpochRecord& Trainer::record(RunState& state, bool partial) {
  RunPosition& pos = state.position;
  const std::vector<EpochRecord>& history = state.history;
  const int subheads_b = net_.heads("head_b").subheads;
  const auto t0 = Clock::now();
  SubheadScores scores;  // none without labels: the record holds losses only
  if (eval_.has_labels()) scores.accuracy = evaluate(scores.confusion).subhead_acc;
  std::vector<double> loss;
  if (pos.loss_count == 0 && !history.empty())  // no head-B step since the last evaluation
    loss = history.back().eval.subhead_loss;
  else
    for (int s = 0; s < subheads_b; ++s)
      loss.push_back(pos.loss_count ? pos.loss_sum[s] / pos.loss_count : 0.0);
  EpochRecord rec;
  rec.eval = make_evaluation(scores, loss);
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
  state.history.push_back(rec);
  save(state);
  if (on_epoch) on_epoch(rec);
  return state.history.back();
}

TrainResult Trainer::run() {
  RunState state;
  state.identity = identity();
  RunPosition& pos = state.position;
  const int subheads_b = net_.heads("head_b").subheads;
  pos.loss_sum.assign(subheads_b, 0.0);
  if (opt_.resume && resume(state) && opt_.progress)
    std::fprintf(stderr, "resumed from %s: epoch %d, pass %d, step %lld\n",
                 checkpoint_path().c_str(), pos.epoch, pos.pass, (long long)pos.step);
  Loaders loaders;  // one per distinct training set (STL-10: head A's and head B's)
  for (const std::string& head : recipe_.schedule)
    if (!loaders[&train_set(head)])
      loaders[&train_set(head)] = std::make_unique<eng::data::BatchLoader>(
          train_set(head), tf_, loader_options(recipe_, opt_, net_.device()));
  const std::vector<int64_t> steps_per_pass = pass_steps();
  const int passes = static_cast<int>(recipe_.schedule.size());
  const int64_t pairs_per_step = int64_t(recipe_.batch) * recipe_.repeats;
  Progress bar(opt_.progress, opt_.epochs * std::accumulate(steps_per_pass.begin(),
                                                            steps_per_pass.end(), int64_t(0)));
  TrainResult result;
  auto last_checkpoint = Clock::now();
  while (!result.budget_reached && !result.target_reached && pos.epoch < opt_.epochs) {
    const std::string& head = recipe_.schedule[pos.pass];
    const int64_t pass_id = int64_t(pos.epoch) * passes + pos.pass;
    eng::data::BatchLoader& loader = *loaders.at(&train_set(head));
    loader.start_epoch(pass_id, pass_order(train_set(head), pass_id), pos.step);
    while (pos.step < steps_per_pass[pos.pass]) {
      result.budget_reached = opt_.time_budget_s > 0 && pos.train_seconds >= opt_.time_budget_s;
      if (result.budget_reached) break;
      const auto t0 = Clock::now();
      std::optional<eng::data::Batch> batch = loader.next();
      ENG_CHECK(batch.has_value(), "train", "loader ended the pass early at step ", pos.step);
      const std::vector<double> losses = step(head, batch->x, batch->x_tf);
      ++pos.step, ++pos.total_steps;
      pos.train_seconds += seconds_since(t0);
      if (head == "head_b") {
        for (int s = 0; s < subheads_b; ++s) pos.loss_sum[s] += losses[s];
        ++pos.loss_count;
      }
      double mean_loss = 0;
      for (double l : losses) mean_loss += l / losses.size();
      bar.update(pos.total_steps, pos.epoch + 1, opt_.epochs, head, mean_loss,
                 pairs_per_step / seconds_since(t0));
      if (opt_.checkpoint_every_s > 0 &&
          seconds_since(last_checkpoint) >= opt_.checkpoint_every_s) {
        save(state);
        last_checkpoint = Clock::now();
      }
    }
    if (result.budget_reached) break;
    // A pass is complete: evaluate at the end of an epoch, and every eval_every_passes passes.
    pos.step = 0;
    if (++pos.pass == passes) ++pos.epoch, pos.pass = 0;
    if (pos.pass == 0 ||
        (opt_.eval_every_passes > 0 && (pass_id + 1) % opt_.eval_every_passes == 0)) {
      bar.finish_line();
      const EpochRecord& rec = record(state, false);
      last_checkpoint = Clock::now();
      result.target_reached =
          opt_.stop_at_accuracy > 0 && rec.eval.selected_acc >= opt_.stop_at_accuracy;
    }
  }
  // A budget stop between evaluations: evaluate where it stopped.
  if (result.budget_reached &&
      (state.history.empty() || state.history.back().steps != pos.total_steps)) {
    bar.finish_line();
    record(state, true);
  }
  result.history = state.history;
  result.steps = pos.total_steps;
  result.train_seconds = pos.train_seconds;
  return result;
}

}  // namespace iic
