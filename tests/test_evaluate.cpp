// test_evaluate.cpp — iic/evaluate: contingency tables and one-to-one accuracy against the
// golden cases (/work/shared/golden/hungarian.json), hand-worked rectangular (k > C, k < C) and
// many-to-one examples (ties, empty clusters, fit on one split and score on another), the
// selection rule, the sub-head summary (population and sample std), a head's Evaluation from its
// sub-heads' scores and losses, and input errors.
#define BOOST_TEST_MODULE evaluate
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <string>

#include "engine/json.hpp"
#include "engine/rng.hpp"
#include "iic/evaluate.hpp"
#include "tests/testing.hpp"

using testing::expect_error;

namespace {

std::vector<int> ints(const eng::Json& a) {
  std::vector<int> v;
  for (const eng::Json& x : a.as_array()) v.push_back(static_cast<int>(x.as_int()));
  return v;
}

}  // namespace

BOOST_AUTO_TEST_CASE(golden_contingency_and_one_to_one_accuracy) {
  eng::Json g = testing::load_golden("hungarian.json");
  for (const eng::Json& c : g["cases"].as_array()) {
    const std::string name = c["name"].as_string();
    const int k = static_cast<int>(c["k"].as_int());
    std::vector<int> preds = ints(c["preds"]), targets = ints(c["targets"]);
    iic::Contingency t = iic::contingency(preds, targets, k, k);
    BOOST_TEST(t.total == c["n"].as_int(), name);
    for (int i = 0; i < k; ++i)
      for (int j = 0; j < k; ++j)
        BOOST_TEST(t.at(i, j) == c["num_correct_matrix_pred_by_gt"][i][j].as_int(),
                   name << " count (" << i << ", " << j << ")");
    BOOST_TEST(iic::one_to_one_accuracy(preds, targets, k, k) == c["acc"].as_number(), name);
    std::vector<int> map = iic::one_to_one_mapping(t);
    BOOST_TEST(iic::matched_count(t, map) ==
                   static_cast<int64_t>(std::llround(c["acc"].as_number() * t.total)),
               name);
    // Applying the mapping sample by sample gives the same accuracy.
    BOOST_TEST(iic::mapped_accuracy(preds, targets, map, k) == c["acc"].as_number(), name);
  }
}

BOOST_AUTO_TEST_CASE(one_to_one_with_more_clusters_than_classes) {
  // Table (cluster: class0, class1): c0 2 1, c1 1 1, c2 1 3, c3 1 0. Best: c0->0, c2->1 = 5.
  std::vector<int> preds = {0, 0, 0, 1, 1, 2, 2, 2, 2, 3};
  std::vector<int> labels = {0, 0, 1, 0, 1, 1, 1, 1, 0, 0};
  iic::Contingency t = iic::contingency(preds, labels, 4, 2);
  BOOST_TEST(iic::one_to_one_mapping(t) == std::vector<int>({0, -1, 1, -1}));
  BOOST_TEST(iic::one_to_one_accuracy(preds, labels, 4, 2) == 0.5);
  // Many-to-one on the same data: c1's tie goes to class 0; 2 + 1 + 3 + 1 = 7.
  BOOST_TEST(iic::many_to_one_mapping(t) == std::vector<int>({0, 0, 1, 0}));
  BOOST_TEST(iic::many_to_one_accuracy(preds, labels, preds, labels, 4, 2) == 0.7);
}

BOOST_AUTO_TEST_CASE(class_confusion_counts_where_each_class_went) {
  // The table above with c0->0, c2->1 and c1, c3 unmapped (column 2 = "no class"):
  // class 0 (5 samples): 2 in c0 -> 0, 1 in c2 -> 1, 2 in c1/c3 -> none;
  // class 1 (5 samples): 1 in c0 -> 0, 3 in c2 -> 1, 1 in c1 -> none.
  std::vector<int> preds = {0, 0, 0, 1, 1, 2, 2, 2, 2, 3};
  std::vector<int> labels = {0, 0, 1, 0, 1, 1, 1, 1, 0, 0};
  iic::Contingency t = iic::contingency(preds, labels, 4, 2);
  const std::vector<int64_t> conf = iic::class_confusion(t, iic::one_to_one_mapping(t));
  BOOST_TEST(conf == std::vector<int64_t>({2, 1, 2, 1, 3, 1}), boost::test_tools::per_element());
  BOOST_TEST(conf[0] + conf[4] == iic::matched_count(t, iic::one_to_one_mapping(t)));
  BOOST_CHECK_THROW(iic::class_confusion(t, {0, 2, 1, -1}), eng::Error);  // class 2 of 2
  BOOST_TEST(iic::confusion_columns(conf) == 3u);
  BOOST_CHECK_THROW(iic::confusion_columns({1, 2, 3, 4, 5}), eng::Error);
}

BOOST_AUTO_TEST_CASE(one_to_one_with_fewer_clusters_than_classes) {
  // c0: 1 2 0, c1: 1 0 2 -> c0->1, c1->2: 4 of 6.
  std::vector<int> preds = {0, 0, 0, 1, 1, 1}, labels = {0, 1, 1, 2, 2, 0};
  iic::Contingency t = iic::contingency(preds, labels, 2, 3);
  BOOST_TEST(iic::one_to_one_mapping(t) == std::vector<int>({1, 2}));
  BOOST_TEST(iic::one_to_one_accuracy(preds, labels, 2, 3) == 4.0 / 6.0);
}

BOOST_AUTO_TEST_CASE(many_to_one_fitted_on_one_split_scored_on_another) {
  // Fit (4 clusters, 2 classes): c0 0 2 -> 1; c1 1 1 -> 0 (tie); c2 1 0 -> 0; c3 empty -> 0.
  std::vector<int> fit_preds = {0, 0, 1, 1, 2}, fit_labels = {1, 1, 0, 1, 0};
  iic::Contingency fit = iic::contingency(fit_preds, fit_labels, 4, 2);
  BOOST_TEST(iic::many_to_one_mapping(fit) == std::vector<int>({1, 0, 0, 0}));
  // Test split: right, wrong, right, right, wrong, wrong.
  std::vector<int> test_preds = {0, 1, 2, 3, 3, 0}, test_labels = {1, 1, 0, 0, 1, 0};
  BOOST_TEST(iic::many_to_one_accuracy(fit_preds, fit_labels, test_preds, test_labels, 4, 2) ==
             0.5);
  // A cluster mapped to no class (-1) counts as wrong.
  BOOST_TEST(iic::mapped_accuracy(test_preds, test_labels, {1, 0, -1, -1}, 2) == 1.0 / 6.0);
}

BOOST_AUTO_TEST_CASE(many_to_one_is_never_below_one_to_one_on_the_same_split) {
  eng::Rng rng(8);
  for (int trial = 0; trial < 20; ++trial) {
    const int k = 2 + static_cast<int>(rng.randint(12)), c = 2 + static_cast<int>(rng.randint(6));
    std::vector<int> preds(200), labels(200);
    for (size_t i = 0; i < preds.size(); ++i) {
      labels[i] = static_cast<int>(rng.randint(c));
      preds[i] = rng.bernoulli(0.6f) ? labels[i] % k : static_cast<int>(rng.randint(k));
    }
    double o2o = iic::one_to_one_accuracy(preds, labels, k, c);
    double m2o = iic::many_to_one_accuracy(preds, labels, preds, labels, k, c);
    BOOST_TEST(m2o >= o2o, "k " << k << " C " << c);
    BOOST_TEST(o2o > 0.0);
    BOOST_TEST(m2o <= 1.0);
  }
}

BOOST_AUTO_TEST_CASE(subhead_summary) {
  const double nan = std::nan("");
  std::vector<double> acc = {0.9, 0.8, 0.85, 0.7, 0.95};
  iic::SubheadSummary s = iic::summarize_subheads(acc, {-2.0, -2.3, -2.1, nan, -2.3});
  BOOST_TEST(s.selected == 1);  // lowest loss; the tie with sub-head 4 goes to the lower index
  BOOST_TEST(s.selected_acc == 0.8);
  BOOST_TEST(s.mean == 0.84, boost::test_tools::tolerance(1e-14));
  // Python's statistics.pstdev / stdev of the same numbers (numpy std with ddof 0 / 1).
  BOOST_TEST(s.std_population == 0.08602325267042626, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(s.std_sample == 0.09617692030835673, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(s.best == 0.95);
  BOOST_TEST(s.worst == 0.7);
  // A NaN loss is never selected, even first.
  BOOST_TEST(iic::summarize_subheads({0.1, 0.2}, {nan, 5.0}).selected == 1);
  iic::SubheadSummary one = iic::summarize_subheads({0.5}, {1.0});
  BOOST_TEST(one.std_population == 0.0);
  BOOST_TEST(std::isnan(one.std_sample));
}

BOOST_AUTO_TEST_CASE(lowest_loss_selection_rule) {
  const double nan = std::nan("");
  BOOST_TEST(iic::lowest_loss_subhead({-2.0, -2.3, -2.1, -2.3}) == 1);  // ties: the lower index
  BOOST_TEST(iic::lowest_loss_subhead({nan, 5.0, nan}) == 1);           // NaN never preferred
  BOOST_TEST(iic::lowest_loss_subhead({nan, nan}) == 0);
  BOOST_TEST(iic::lowest_loss_subhead({3.0}) == 0);
  expect_error([] { iic::lowest_loss_subhead({}); }, {"lowest_loss_subhead: no sub-heads"});
}

BOOST_AUTO_TEST_CASE(a_heads_evaluation_from_scores_and_losses) {
  // Sub-head 0 is perfect (5 of 5), sub-head 1 puts everything in cluster 0 (3 of 5).
  const std::vector<int> labels = {0, 0, 1, 1, 0};
  const iic::SubheadScores scores =
      iic::score_subheads({{1, 1, 0, 0, 1}, {0, 0, 0, 0, 0}}, labels, 2, 2);
  BOOST_TEST(scores.accuracy == std::vector<double>({1.0, 0.6}), boost::test_tools::per_element());
  BOOST_REQUIRE(scores.confusion.size() == 2u);
  BOOST_TEST(scores.confusion[0] == std::vector<int64_t>({3, 0, 0, 0, 2, 0}),
             boost::test_tools::per_element());
  BOOST_TEST(scores.confusion[1] == std::vector<int64_t>({3, 0, 0, 2, 0, 0}),
             boost::test_tools::per_element());
  const iic::Evaluation e = iic::make_evaluation(scores, {-1.0, -2.0});
  BOOST_TEST(e.selected == 1);
  BOOST_TEST(e.selected_acc == 0.6);
  BOOST_TEST(e.mean_acc == 0.8);
  BOOST_TEST(e.std_acc == 0.2, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(e.best_acc == 1.0);
  BOOST_TEST(e.confusion == scores.confusion[1], boost::test_tools::per_element());
  BOOST_TEST(e.subhead_loss == std::vector<double>({-1.0, -2.0}), boost::test_tools::per_element());
  // Without labels: the losses and the selection only.
  const iic::Evaluation losses_only = iic::make_evaluation({}, {0.5, 0.25, 0.25});
  BOOST_TEST(losses_only.selected == 1);
  BOOST_TEST(losses_only.subhead_acc.empty());
  BOOST_TEST(losses_only.confusion.empty());
  BOOST_TEST(losses_only.selected_acc == 0.0);
  expect_error([&] { iic::make_evaluation(scores, {1.0}); }, {"2 accuracies but 1 losses"});
}

BOOST_AUTO_TEST_CASE(bad_inputs_are_reported) {
  expect_error(
      [] {
        iic::contingency({0, 1}, {0}, 2, 2);
      },
      {"contingency: size mismatch: 2 predictions but 1 labels"});
  expect_error([] { iic::contingency({}, {}, 2, 2); }, {"no samples"});
  expect_error(
      [] {
        iic::contingency({0, 1}, {0, -1}, 2, 2);
      },
      {"label -1 at position 1 is out of range [0, 2)"});
  expect_error([] { iic::contingency({0, 1}, {0, 2}, 2, 2); }, {"label 2 at position 1"});
  expect_error(
      [] {
        iic::one_to_one_accuracy({3, 0}, {0, 0}, 3, 2);
      },
      {"prediction 3 at position 0 is out of range [0, 3)"});
  expect_error([] { iic::contingency({0}, {0}, 0, 2); }, {"at least one cluster"});
  expect_error([] { iic::mapped_accuracy({0}, {0}, {0, 5}, 2); }, {"cluster 1 maps to class 5"});
  iic::Contingency t = iic::contingency({0, 1}, {0, 1}, 2, 2);
  expect_error([&] { iic::matched_count(t, {0}); }, {"mapping has 1 entries for 2 clusters"});
  expect_error(
      [] {
        iic::many_to_one_accuracy({0}, {0}, {0, 1}, {0}, 2, 2);
      },
      {"size mismatch: 2 predictions but 1 labels"});
  expect_error([] { iic::summarize_subheads({}, {}); }, {"no sub-heads"});
  expect_error([] { iic::summarize_subheads({0.5, 0.6}, {1.0}); }, {"2 accuracies but 1 losses"});
}
