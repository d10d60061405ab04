// evaluate.cpp — contingency tables, cluster -> class mappings, accuracies (see evaluate.hpp).
#include "iic/evaluate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/error.hpp"
#include "iic/hungarian.hpp"

namespace iic {
namespace {

void check_labelled(const char* op, const std::vector<int>& preds, const std::vector<int>& labels,
                    int clusters, int classes) {
  ENG_CHECK(clusters > 0 && classes > 0, op, "need at least one cluster and one class, got ",
            clusters, " clusters and ", classes, " classes");
  ENG_CHECK(preds.size() == labels.size(), op, "size mismatch: ", preds.size(), " predictions but ",
            labels.size(), " labels");
  ENG_CHECK(!preds.empty(), op, "no samples (empty predictions and labels)");
  for (size_t i = 0; i < preds.size(); ++i) {
    ENG_CHECK(preds[i] >= 0 && preds[i] < clusters, op, "prediction ", preds[i], " at position ", i,
              " is out of range [0, ", clusters, ")");
    ENG_CHECK(labels[i] >= 0 && labels[i] < classes, op, "label ", labels[i], " at position ", i,
              " is out of range [0, ", classes, ")");
  }
}

void check_mapping(const char* op, const std::vector<int>& cluster_to_class, int clusters,
                   int classes) {
  ENG_CHECK(static_cast<int64_t>(cluster_to_class.size()) == clusters, op, "mapping has ",
            cluster_to_class.size(), " entries for ", clusters, " clusters");
  for (size_t c = 0; c < cluster_to_class.size(); ++c)
    ENG_CHECK(cluster_to_class[c] >= -1 && cluster_to_class[c] < classes, op, "cluster ", c,
              " maps to class ", cluster_to_class[c], ", outside [-1, ", classes, ")");
}

}  // namespace

Contingency contingency(const std::vector<int>& preds, const std::vector<int>& labels, int clusters,
                        int classes) {
  check_labelled("contingency", preds, labels, clusters, classes);
  Contingency t;
  t.clusters = clusters;
  t.classes = classes;
  t.counts.assign(int64_t(clusters) * classes, 0);
  for (size_t i = 0; i < preds.size(); ++i) ++t.counts[int64_t(preds[i]) * classes + labels[i]];
  t.total = static_cast<int64_t>(preds.size());
  return t;
}

std::vector<int> one_to_one_mapping(const Contingency& table) {
  std::vector<double> weight(table.counts.begin(), table.counts.end());
  Assignment a = max_weight_assignment(weight, table.clusters, table.classes);
  return std::vector<int>(a.row_to_col.begin(), a.row_to_col.end());
}

std::vector<int> many_to_one_mapping(const Contingency& table) {
  std::vector<int> map(table.clusters, 0);
  for (int c = 0; c < table.clusters; ++c)
    for (int y = 1; y < table.classes; ++y)
      if (table.at(c, y) > table.at(c, map[c])) map[c] = y;
  return map;
}

int64_t matched_count(const Contingency& table, const std::vector<int>& cluster_to_class) {
  check_mapping("matched_count", cluster_to_class, table.clusters, table.classes);
  int64_t matched = 0;
  for (int c = 0; c < table.clusters; ++c)
    if (cluster_to_class[c] >= 0) matched += table.at(c, cluster_to_class[c]);
  return matched;
}

std::vector<int64_t> class_confusion(const Contingency& table,
                                     const std::vector<int>& cluster_to_class) {
  check_mapping("class_confusion", cluster_to_class, table.clusters, table.classes);
  const int cols = table.classes + 1;
  std::vector<int64_t> counts(size_t(table.classes) * cols, 0);
  for (int c = 0; c < table.clusters; ++c) {
    const int mapped = cluster_to_class[c] >= 0 ? cluster_to_class[c] : table.classes;
    for (int cls = 0; cls < table.classes; ++cls) counts[cls * cols + mapped] += table.at(c, cls);
  }
  return counts;
}

size_t confusion_columns(const std::vector<int64_t>& confusion) {
  size_t classes = 0;
  while (classes * (classes + 1) < confusion.size()) ++classes;
  ENG_CHECK(classes * (classes + 1) == confusion.size(), "confusion_columns", "a confusion of ",
            confusion.size(), " counts is not C x (C + 1)");
  return classes + 1;
}

double mapped_accuracy(const std::vector<int>& preds, const std::vector<int>& labels,
                       const std::vector<int>& cluster_to_class, int classes) {
  const int clusters = static_cast<int>(cluster_to_class.size());
  check_labelled("mapped_accuracy", preds, labels, clusters, classes);
  check_mapping("mapped_accuracy", cluster_to_class, clusters, classes);
  int64_t correct = 0;
  for (size_t i = 0; i < preds.size(); ++i) correct += cluster_to_class[preds[i]] == labels[i];
  return static_cast<double>(correct) / static_cast<double>(preds.size());
}

double one_to_one_accuracy(const std::vector<int>& preds, const std::vector<int>& labels,
                           int clusters, int classes) {
  Contingency t = contingency(preds, labels, clusters, classes);
  return static_cast<double>(matched_count(t, one_to_one_mapping(t))) /
         static_cast<double>(t.total);
}

double many_to_one_accuracy(const std::vector<int>& fit_preds, const std::vector<int>& fit_labels,
                            const std::vector<int>& test_preds, const std::vector<int>& test_labels,
                            int clusters, int classes) {
  Contingency fit = contingency(fit_preds, fit_labels, clusters, classes);
  return mapped_accuracy(test_preds, test_labels, many_to_one_mapping(fit), classes);
}

int lowest_loss_subhead(const std::vector<double>& losses) {
  ENG_CHECK(!losses.empty(), "lowest_loss_subhead", "no sub-heads (empty losses)");
  int best = 0;
  for (size_t i = 1; i < losses.size(); ++i)
    if (!std::isnan(losses[i]) && (std::isnan(losses[best]) || losses[i] < losses[best]))
      best = static_cast<int>(i);
  return best;
}

SubheadSummary summarize_subheads(const std::vector<double>& accuracies,
                                  const std::vector<double>& losses) {
  const size_t s = accuracies.size();
  ENG_CHECK(s > 0, "summarize_subheads", "no sub-heads (empty accuracies)");
  ENG_CHECK(losses.size() == s, "summarize_subheads", "size mismatch: ", s, " accuracies but ",
            losses.size(), " losses");
  SubheadSummary out;
  out.selected = lowest_loss_subhead(losses);
  out.selected_acc = accuracies[out.selected];
  double sum = 0;
  out.best = out.worst = accuracies[0];
  for (double a : accuracies) {
    sum += a;
    out.best = std::max(out.best, a);
    out.worst = std::min(out.worst, a);
  }
  out.mean = sum / static_cast<double>(s);
  double squares = 0;
  for (double a : accuracies) squares += (a - out.mean) * (a - out.mean);
  out.std_population = std::sqrt(squares / static_cast<double>(s));
  out.std_sample = s > 1 ? std::sqrt(squares / static_cast<double>(s - 1))
                         : std::numeric_limits<double>::quiet_NaN();
  return out;
}

SubheadScores score_subheads(const std::vector<std::vector<int>>& preds,
                             const std::vector<int>& labels, int clusters, int classes) {
  SubheadScores out;
  for (const std::vector<int>& p : preds) {
    const Contingency table = contingency(p, labels, clusters, classes);
    const std::vector<int> mapping = one_to_one_mapping(table);
    out.accuracy.push_back(double(matched_count(table, mapping)) / double(table.total));
    out.confusion.push_back(class_confusion(table, mapping));
  }
  return out;
}

Evaluation make_evaluation(const SubheadScores& scores, const std::vector<double>& losses) {
  Evaluation e;
  e.subhead_loss = losses;
  e.selected = lowest_loss_subhead(losses);
  if (scores.accuracy.empty()) return e;
  ENG_CHECK(scores.confusion.size() == scores.accuracy.size(), "make_evaluation",
            "size mismatch: ", scores.accuracy.size(), " accuracies but ", scores.confusion.size(),
            " confusions");
  const SubheadSummary sum = summarize_subheads(scores.accuracy, losses);
  e.subhead_acc = scores.accuracy;
  e.selected_acc = sum.selected_acc;
  e.mean_acc = sum.mean;
  e.std_acc = sum.std_population;
  e.best_acc = sum.best;
  e.confusion = scores.confusion[e.selected];
  return e;
}

}  // namespace iic
