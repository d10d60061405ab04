// run_state.hpp — a training run's state: what the run is, where it stands and what it has
// recorded; to and from JSON with a state version, and in the checkpoint file.
//
// Contract:
//  - RunState = identity (dataset, network, seed, shuffle, each head's training-set size: only a
//    run with the same identity may resume it), position (enough to restart at the exact step)
//    and history (the EpochRecords so far, partial ones included).
//  - JSON: one flat object, "state_version": kRunStateVersion first, then the identity, the
//    position and "history" (to_json of each record). run_state_from_json reads exactly this
//    version and requires every field: no per-field defaults; a missing or mistyped field is an
//    eng::Error naming the source and the field.
//  - Versions: 2 is the current one. The previous layout had no state_version (call it 1): the
//    same fields, less the records' best_acc, with a record's confusion left out when empty. It is
//    accepted through one explicit migration, migrate_unversioned_state (adds state_version,
//    best_acc = the highest sub-head accuracy, an empty confusion where absent); a layout older
//    still (one lacking eval_seconds or train_set_sizes) fails the strict read with a message to
//    start a fresh run. Any other state_version is an eng::Error naming the source, the version
//    found and the versions this build reads. A layout change bumps kRunStateVersion and, where
//    old checkpoints deserve it, adds one migration from the previous version.
//  - The checkpoint file (engine/checkpoint.hpp: safetensors, written atomically): the network's
//    parameters, the Adam state (its "adam." tensors) and metadata "iic_state" = the state's
//    JSON. load_run_checkpoint checks the identity against the running one before it touches the
//    network (a mismatch is an eng::Error saying what differs), then restores the parameters, the
//    Adam state and the zero gradients the saved step ended with.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/adam.hpp"
#include "engine/json.hpp"
#include "iic/evaluate.hpp"
#include "models/cluster_net.hpp"

namespace iic {

inline constexpr int kRunStateVersion = 2;

struct RunIdentity {
  std::string dataset;  // the recipe's
  std::string network;  // ClusterNet::name()
  uint64_t seed = 0;
  bool shuffle = true;
  std::map<std::string, int64_t> train_set_sizes;  // head -> images of its training set
};

struct RunPosition {
  int epoch = 0;     // epochs completed
  int pass = 0;      // head passes completed within the epoch
  int64_t step = 0;  // steps completed within the pass
  int64_t total_steps = 0;
  double train_seconds = 0;
  double eval_seconds = 0;
  std::vector<double> loss_sum;  // head-B sub-head losses summed since the last evaluation
  int64_t loss_count = 0;        // head-B steps in loss_sum
};

// One evaluation: after an epoch, after a pass (eval_every_passes), or where a budget stopped.
struct EpochRecord {
  int epoch = 0;             // epochs completed
  double epochs_done = 0;    // training steps / steps of a full epoch (its passes uncut)
  bool partial = false;      // the time budget ended the run here, inside an epoch
  int64_t steps = 0;         // training steps completed
  double train_seconds = 0;  // wall time spent training (evaluation excluded)
  double eval_seconds = 0;   // wall time spent evaluating, this record's evaluation included
  Evaluation eval;           // head B's
};

struct RunState {
  RunIdentity identity;
  RunPosition position;
  std::vector<EpochRecord> history;
};

eng::Json to_json(const Evaluation& e);
eng::Json to_json(const EpochRecord& r);
eng::Json to_json(const RunState& s);
// `source` (a file name) prefixes the errors.
RunState run_state_from_json(const eng::Json& state, const std::string& source);
// The unversioned layout (version 1) as version 2.
eng::Json migrate_unversioned_state(eng::Json state);

void save_run_checkpoint(const std::string& path, const RunState& state,
                         const models::ClusterNet& net, const eng::Adam& adam);
// The state of the checkpoint at `path`, with `net` and `adam` restored from it; `running` is
// the identity of the run that resumes.
RunState load_run_checkpoint(const std::string& path, const RunIdentity& running,
                             models::ClusterNet& net, eng::Adam& adam);

}  // namespace iic
