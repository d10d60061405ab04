// predict.hpp — every image's cluster and confidence under a trained network, and the accuracy of
// a head from them: the one prediction path of the trainer's evaluations and of iic_cluster's
// assignments, so the same network gives the same figures in both.
//
// Contract:
//  - predict: the tf3 view of each image (the first `limit` images, or all) goes through the
//    network with batch-norm batch statistics (BatchNormMode::EvalBatchStats, as the authors'
//    evaluation), no graph recorded. The trunk runs once per batch; every requested head reads
//    its features.
//  - The one batching policy: consecutive batches of `batch` images in dataset order, the last
//    batch holding the rest (however few), as the authors' evaluation DataLoader. Batch norm takes
//    each batch's statistics, so a prediction depends on the batch size and on the images that
//    share its batch: the trainer and iic_cluster both take train.hpp's evaluation_options (the
//    recipe's batch x repeats unless TrainOptions::eval_batch), so their predictions are equal.
//    (iic_cluster used to split into near-equal batches of at most 700; it adopts this policy.)
//  - For each head, sub-head s and image i: cluster[s][i] = the argmax of its k probabilities
//    (ties to the lower cluster), confidence[s][i] = that probability.
//  - evaluate_head scores one head's predictions against the labels of the same images
//    (Hungarian one-to-one per sub-head, evaluate.hpp's score_subheads) and makes the Evaluation
//    with `losses` (evaluate.hpp's make_evaluation: lowest_loss_subhead selects).
//  - Errors (an unknown head, batch < 1, an empty set, labels of another length) are eng::Error.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "data/augment.hpp"
#include "data/dataset.hpp"
#include "iic/evaluate.hpp"
#include "models/cluster_net.hpp"

namespace iic {

struct PredictOptions {
  int64_t batch = 0;  // images per forward pass (the batching policy above)
  int64_t limit = 0;  // 0: every image; else the first min(limit, size) images
  int threads = 1;    // tf3 threads (the results do not depend on them)
};

struct HeadPredictions {
  int k = 0;                                   // clusters of each sub-head
  std::vector<std::vector<int>> cluster;       // [sub-head][image]: argmax
  std::vector<std::vector<float>> confidence;  // [sub-head][image]: its probability
  int64_t images() const { return cluster.empty() ? 0 : int64_t(cluster[0].size()); }
};

// Head name -> its predictions, for each of `heads`.
std::map<std::string, HeadPredictions> predict(const models::ClusterNet& net,
                                               const eng::data::Dataset& data,
                                               const eng::data::TransformSet& tf,
                                               const std::vector<std::string>& heads,
                                               const PredictOptions& options);

// labels: one per predicted image (the first images() of the set), in [0, classes).
Evaluation evaluate_head(const HeadPredictions& predictions, const std::vector<int>& labels,
                         int classes, const std::vector<double>& losses);

}  // namespace iic
