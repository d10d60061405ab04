// evaluate.hpp — clustering accuracy: contingency tables, the one-to-one (Hungarian) and
// many-to-one cluster -> class mappings, the summary over a head's sub-heads, the sub-head
// selection rule and a head's Evaluation (what the trainer records and iic_cluster reports).
//
// Contract:
//  - Predictions are cluster indices in [0, clusters), labels class indices in [0, classes)
//    (a label of -1, "none", is out of range here); equal, non-zero lengths. Violations are an
//    eng::Error naming the function, the position and the value.
//  - A mapping gives each cluster a class, or -1 for "no class": its samples count as wrong.
//  - One-to-one: the Hungarian method picks the mapping with the most matched samples, each
//    class used by at most one cluster (the paper's evaluation; k == C in Table 1). When
//    clusters > classes only `classes` clusters get a class (the best-matching ones) and the
//    samples of the others count as wrong; when clusters < classes some classes stay unused.
//  - Many-to-one (overclustering, the semi-supervised setting): each cluster maps to the class
//    it overlaps most on a fitting split (ties to the lower class; a cluster empty on that split
//    maps to class 0, as in the authors' code), then is scored on another split.
//  - Accuracies are matched samples / samples, in [0, 1].
//  - The one selection rule, everywhere a sub-head is chosen (the trainer's records, Table 1's
//    "lowest loss" column, iic_cluster's assignments): lowest_loss_subhead, the sub-head with the
//    lowest loss, ties to the lower index, NaN never preferred (all NaN: sub-head 0).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace iic {

// counts[cluster * classes + class]: samples predicted `cluster` whose label is `class`.
struct Contingency {
  int clusters = 0;
  int classes = 0;
  std::vector<int64_t> counts;
  int64_t total = 0;
  int64_t at(int cluster, int cls) const { return counts[int64_t(cluster) * classes + cls]; }
};

Contingency contingency(const std::vector<int>& preds, const std::vector<int>& labels, int clusters,
                        int classes);

std::vector<int> one_to_one_mapping(const Contingency& table);
std::vector<int> many_to_one_mapping(const Contingency& table);

// Where a mapping puts each class: counts[cls * (classes + 1) + mapped], mapped = the class its
// cluster maps to, or `classes` for a cluster mapped to no class. Row sums are the class sizes,
// the diagonal is matched_count's; off the diagonal, the errors by kind (e.g. "7 -> 2").
std::vector<int64_t> class_confusion(const Contingency& table,
                                     const std::vector<int>& cluster_to_class);
// C + 1, the columns of a class_confusion of C x (C + 1) counts; other sizes are an Error.
size_t confusion_columns(const std::vector<int64_t>& confusion);

// Samples of the table that a mapping gets right.
int64_t matched_count(const Contingency& table, const std::vector<int>& cluster_to_class);
// Accuracy of a mapping (fitted elsewhere) on predictions and labels.
double mapped_accuracy(const std::vector<int>& preds, const std::vector<int>& labels,
                       const std::vector<int>& cluster_to_class, int classes);

double one_to_one_accuracy(const std::vector<int>& preds, const std::vector<int>& labels,
                           int clusters, int classes);
// Mapping fitted on (fit_preds, fit_labels), scored on (test_preds, test_labels).
double many_to_one_accuracy(const std::vector<int>& fit_preds, const std::vector<int>& fit_labels,
                            const std::vector<int>& test_preds, const std::vector<int>& test_labels,
                            int clusters, int classes);

// The selection rule (see the contract); an empty list is an Error.
int lowest_loss_subhead(const std::vector<double>& losses);

// Table 1's numbers for one head: (a) the accuracy of the sub-head lowest_loss_subhead selects and
// (b) mean and standard deviation of the sub-head accuracies. std_population divides by S
// (numpy's default, what the authors report); std_sample by S - 1 (NaN for a single sub-head).
struct SubheadSummary {
  int selected = 0;
  double selected_acc = 0;
  double mean = 0;
  double std_population = 0;
  double std_sample = 0;
  double best = 0;
  double worst = 0;
};
SubheadSummary summarize_subheads(const std::vector<double>& accuracies,
                                  const std::vector<double>& losses);

// Each sub-head's predictions ([sub-head][image], clusters in [0, clusters)) against the labels:
// one-to-one accuracy and the class_confusion of its one-to-one mapping.
struct SubheadScores {
  std::vector<double> accuracy;
  std::vector<std::vector<int64_t>> confusion;
};
SubheadScores score_subheads(const std::vector<std::vector<int>>& preds,
                             const std::vector<int>& labels, int clusters, int classes);

// A head's evaluation: its sub-heads' accuracies and losses, the selected one and the summary.
struct Evaluation {
  std::vector<double> subhead_acc;   // one-to-one accuracy per sub-head; empty without labels
  std::vector<double> subhead_loss;  // the trainer: mean training loss since the last evaluation
  int selected = 0;                  // lowest_loss_subhead(subhead_loss)
  double selected_acc = 0, mean_acc = 0, std_acc = 0;  // std: population (numpy default)
  double best_acc = 0;  // the most accurate sub-head's (what the authors' logs record)
  // The selected sub-head's class_confusion: C x (C + 1), row = true class, column = the class
  // its cluster maps to (C: none). Empty without labels.
  std::vector<int64_t> confusion;
};
// `scores` empty (no labels): losses and selection only. Else one score per loss.
Evaluation make_evaluation(const SubheadScores& scores, const std::vector<double>& losses);

}  // namespace iic
