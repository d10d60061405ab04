// run_state.cpp — the run state's JSON, its version and migration, the checkpoint file (see
// run_state.hpp).
#include "iic/run_state.hpp"

#include <algorithm>
#include <filesystem>

#include "engine/checkpoint.hpp"
#include "engine/error.hpp"

namespace iic {
namespace {

// Each layout lists its fields once, for writing and for reading: f(key, field) in file order.
template <class E, class F>
void evaluation_fields(E& e, F& f) {  // then "confusion", as rows
  f("subhead_acc", e.subhead_acc);
  f("subhead_loss", e.subhead_loss);
  f("selected", e.selected);
  f("selected_acc", e.selected_acc);
  f("mean_acc", e.mean_acc);
  f("std_acc", e.std_acc);
  f("best_acc", e.best_acc);
}

template <class R, class F>
void record_fields(R& r, F& f) {
  f("epoch", r.epoch);
  f("epochs_done", r.epochs_done);
  f("partial", r.partial);
  f("steps", r.steps);
  f("train_seconds", r.train_seconds);
  f("eval_seconds", r.eval_seconds);
  f("eval", r.eval);
}

template <class S, class F>
void state_fields(S& s, F& f) {  // after "state_version"
  f("dataset", s.identity.dataset);
  f("network", s.identity.network);
  f("seed", s.identity.seed);
  f("shuffle", s.identity.shuffle);
  f("train_set_sizes", s.identity.train_set_sizes);
  f("epoch", s.position.epoch);
  f("pass", s.position.pass);
  f("step", s.position.step);
  f("total_steps", s.position.total_steps);
  f("train_seconds", s.position.train_seconds);
  f("eval_seconds", s.position.eval_seconds);
  f("loss_count", s.position.loss_count);
  f("loss_sum", s.position.loss_sum);
  f("history", s.history);
}

// One field's JSON, each way (numbers are doubles: integers exact up to 2^53).
eng::Json value_json(bool v) { return v; }
eng::Json value_json(const std::string& v) { return v; }
eng::Json value_json(double v) { return v; }
eng::Json value_json(int v) { return v; }
eng::Json value_json(int64_t v) { return v; }
eng::Json value_json(uint64_t v) { return static_cast<double>(v); }
eng::Json value_json(const Evaluation& e) { return to_json(e); }
eng::Json value_json(const EpochRecord& r) { return to_json(r); }
eng::Json value_json(const std::map<std::string, int64_t>& m) {
  eng::Json j = eng::Json::object();
  for (const auto& [key, v] : m) j.set(key, v);
  return j;
}
template <class T>
eng::Json value_json(const std::vector<T>& v) {
  eng::Json a = eng::Json::array();
  for (const T& x : v) a.push_back(value_json(x));
  return a;
}

Evaluation evaluation_from_json(const eng::Json& j);
EpochRecord record_from_json(const eng::Json& j);
void read(const eng::Json& j, bool& v) { v = j.as_bool(); }
void read(const eng::Json& j, std::string& v) { v = j.as_string(); }
void read(const eng::Json& j, double& v) { v = j.as_number(); }
void read(const eng::Json& j, int& v) { v = static_cast<int>(j.as_int()); }
void read(const eng::Json& j, int64_t& v) { v = j.as_int(); }
void read(const eng::Json& j, uint64_t& v) { v = static_cast<uint64_t>(j.as_number()); }
void read(const eng::Json& j, Evaluation& e) { e = evaluation_from_json(j); }
void read(const eng::Json& j, EpochRecord& r) { r = record_from_json(j); }
void read(const eng::Json& j, std::map<std::string, int64_t>& m) {
  m.clear();
  for (const auto& [key, v] : j.as_object()) m[key] = v.as_int();
}
template <class T>
void read(const eng::Json& j, std::vector<T>& v) {
  v.clear();
  for (const eng::Json& x : j.as_array()) read(x, v.emplace_back());
}

struct Writer {
  eng::Json j = eng::Json::object();
  template <class T>
  void operator()(const char* key, const T& v) {
    j.set(key, value_json(v));
  }
};
struct Reader {
  const eng::Json& j;
  template <class T>
  void operator()(const char* key, T& v) const {
    read(j[key], v);
  }
};

Evaluation evaluation_from_json(const eng::Json& j) {
  Evaluation e;
  Reader r{j};
  evaluation_fields(e, r);
  for (const eng::Json& row : j["confusion"].as_array())
    for (const eng::Json& v : row.as_array()) e.confusion.push_back(v.as_int());
  return e;
}

EpochRecord record_from_json(const eng::Json& j) {
  EpochRecord rec;
  Reader r{j};
  record_fields(rec, r);
  return rec;
}

RunState state_from_json(const eng::Json& j) {  // the current version's
  RunState s;
  Reader r{j};
  state_fields(s, r);
  return s;
}

void check_identity(const RunIdentity& saved, const RunIdentity& running, const std::string& path) {
  ENG_CHECK(saved.dataset == running.dataset && saved.network == running.network, "train", path,
            " is a ", saved.network, " run on ", saved.dataset, ", not ", running.network, " on ",
            running.dataset);
  ENG_CHECK(saved.seed == running.seed && saved.shuffle == running.shuffle, "train", path,
            " was made with seed ", saved.seed, saved.shuffle ? " (shuffled)" : " (fixed order)",
            "; resume with the same --seed and shuffle setting");
  ENG_CHECK(saved.train_set_sizes == running.train_set_sizes, "train", path,
            " was made with training sets of ", value_json(saved.train_set_sizes).dump(),
            " images per head; this run has ", value_json(running.train_set_sizes).dump());
}

}  // namespace

eng::Json to_json(const Evaluation& e) {
  Writer w;
  evaluation_fields(e, w);
  eng::Json rows = eng::Json::array();  // rows: true classes
  if (!e.confusion.empty()) {
    const size_t cols = confusion_columns(e.confusion);
    for (size_t r = 0; r < e.confusion.size(); r += cols)
      rows.push_back(value_json(
          std::vector<int64_t>(e.confusion.begin() + r, e.confusion.begin() + r + cols)));
  }
  w.j.set("confusion", rows);
  return w.j;
}

eng::Json to_json(const EpochRecord& r) {
  Writer w;
  record_fields(r, w);
  return w.j;
}

eng::Json to_json(const RunState& s) {
  Writer w;
  w("state_version", kRunStateVersion);
  state_fields(s, w);
  return w.j;
}

eng::Json migrate_unversioned_state(eng::Json state) {
  eng::Json history = eng::Json::array();
  for (const eng::Json& old : state["history"].as_array()) {
    eng::Json r = old;
    eng::Json e = r["eval"];
    std::vector<double> acc;
    read(e["subhead_acc"], acc);
    e.set("best_acc", acc.empty() ? 0.0 : *std::max_element(acc.begin(), acc.end()));
    if (!e.contains("confusion")) e.set("confusion", eng::Json::array());
    r.set("eval", e);
    history.push_back(r);
  }
  state.set("history", history);
  state.set("state_version", kRunStateVersion);
  return state;
}

RunState run_state_from_json(const eng::Json& state, const std::string& source) {
  const char* fresh = "start a fresh run (another output folder, or remove the checkpoint)";
  const eng::Json* version = state.find("state_version");
  ENG_CHECK(!version || (version->is_number() && version->as_number() == kRunStateVersion), source,
            "run state version ", version ? version->dump() : "", "; this build reads version ",
            kRunStateVersion, " and the unversioned layout before it: ", fresh);
  const std::string layout =
      version ? eng::str("run state version ", kRunStateVersion) : "unversioned run state";
  try {
    return state_from_json(version ? state : migrate_unversioned_state(state));
  } catch (const eng::Error& e) {
    throw eng::Error(eng::str(source, ": ", layout, " unreadable (", e.what(), "); ", fresh));
  }
}

void save_run_checkpoint(const std::string& path, const RunState& state,
                         const models::ClusterNet& net, const eng::Adam& adam) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  eng::NamedTensors tensors;
  for (const eng::NamedTensor& p : net.parameters())
    tensors.push_back({p.name, p.tensor.to(eng::Device::CPU)});
  for (const eng::NamedTensor& s : adam.export_state())
    tensors.push_back({s.name, s.tensor.to(eng::Device::CPU)});
  eng::save_checkpoint(path, tensors, {{"iic_state", to_json(state).dump()}});
}

RunState load_run_checkpoint(const std::string& path, const RunIdentity& running,
                             models::ClusterNet& net, eng::Adam& adam) {
  const eng::Checkpoint ck = eng::load_checkpoint(path);
  const auto meta = ck.metadata.find("iic_state");
  ENG_CHECK(meta != ck.metadata.end(), path,
            "no iic_state metadata: not a checkpoint of a training run");
  RunState state = run_state_from_json(eng::Json::parse(meta->second, path), path);
  check_identity(state.identity, running, path);
  eng::NamedTensors params = net.parameters();
  eng::assign_named(params, ck.tensors, path);
  eng::NamedTensors adam_state;
  for (const eng::NamedTensor& t : ck.tensors)
    if (t.name.rfind("adam.", 0) == 0) adam_state.push_back(t);
  adam.import_state(adam_state);
  // Adam.zero_grad() keeps zero-filled gradients (PyTorch 1.x semantics, the authors' code), so
  // a parameter that has ever had a gradient keeps being updated from its momentum. Gradients
  // are not checkpointed: restore them as the zeros they were at the end of the saved step.
  for (eng::NamedTensor& p : params)
    if (adam.step_count(p.name) > 0)
      p.tensor.set_grad(eng::Tensor::zeros(p.tensor.shape(), p.tensor.device()));
  return state;
}

}  // namespace iic
