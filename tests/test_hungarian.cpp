// test_hungarian.cpp — iic/hungarian against the golden matches (/work/shared/golden/
// hungarian.json) and against brute force over all assignments for random square and
// rectangular matrices up to 7 x 7 (integer entries with many ties, real entries, negatives),
// minimising and maximising; plus empty matrices and input errors.
#define BOOST_TEST_MODULE hungarian
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <limits>
#include <string>

#include "engine/json.hpp"
#include "engine/rng.hpp"
#include "iic/hungarian.hpp"
#include "tests/testing.hpp"

using iic::Assignment;
using testing::error_of;

namespace {

// Best total over all ways to pair min(rows, cols) rows and columns one to one.
double brute_force(const std::vector<double>& a, int64_t rows, int64_t cols, bool maximise) {
  const bool wide = rows <= cols;
  const int64_t n = wide ? rows : cols, m = wide ? cols : rows;  // pick n of m
  auto at = [&](int64_t i, int64_t j) { return wide ? a[i * cols + j] : a[j * cols + i]; };
  std::vector<char> taken(m, 0);
  double best =
      maximise ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  std::function<void(int64_t, double)> go = [&](int64_t i, double sum) {
    if (i == n) {
      best = maximise ? std::max(best, sum) : std::min(best, sum);
      return;
    }
    for (int64_t j = 0; j < m; ++j) {
      if (taken[j]) continue;
      taken[j] = 1;
      go(i + 1, sum + at(i, j));
      taken[j] = 0;
    }
  };
  go(0, 0.0);
  return best;
}

// How many assignments reach `target` (to decide whether the optimum is unique).
int64_t count_optimal(const std::vector<double>& a, int64_t k, double target) {
  std::vector<char> taken(k, 0);
  int64_t count = 0;
  std::function<void(int64_t, double)> go = [&](int64_t i, double sum) {
    if (i == k) {
      count += sum == target;
      return;
    }
    for (int64_t j = 0; j < k; ++j) {
      if (taken[j]) continue;
      taken[j] = 1;
      go(i + 1, sum + a[i * k + j]);
      taken[j] = 0;
    }
  };
  go(0, 0.0);
  return count;
}

// A valid assignment: min(rows, cols) rows matched to distinct columns; total = their sum.
void check_valid(const Assignment& s, const std::vector<double>& a, int64_t rows, int64_t cols,
                 const std::string& what) {
  BOOST_REQUIRE_MESSAGE(static_cast<int64_t>(s.row_to_col.size()) == rows, what);
  std::vector<char> used(cols, 0);
  int64_t matched = 0;
  double total = 0;
  for (int64_t i = 0; i < rows; ++i) {
    int64_t j = s.row_to_col[i];
    if (j < 0) continue;
    BOOST_REQUIRE_MESSAGE(j < cols && !used[j], what << ": column " << j << " reused or invalid");
    used[j] = 1;
    ++matched;
    total += a[i * cols + j];
  }
  BOOST_TEST(matched == std::min(rows, cols), what);
  BOOST_TEST(total == s.total, what);
}

}  // namespace

BOOST_AUTO_TEST_CASE(golden_matches) {
  eng::Json g = testing::load_golden("hungarian.json");
  BOOST_REQUIRE(g["cases"].size() == 4u);
  for (const eng::Json& c : g["cases"].as_array()) {
    const std::string name = c["name"].as_string();
    const int64_t k = c["k"].as_int(), n = c["n"].as_int();
    std::vector<double> counts;
    for (const eng::Json& row : c["num_correct_matrix_pred_by_gt"].as_array())
      for (const eng::Json& x : row.as_array()) counts.push_back(x.as_number());
    BOOST_REQUIRE(static_cast<int64_t>(counts.size()) == k * k);
    Assignment s = iic::max_weight_assignment(counts, k, k);
    check_valid(s, counts, k, k, name);
    BOOST_TEST(s.total / n == c["acc"].as_number(), name);
    // The golden match has the same total; where the optimum is unique it is the same match.
    std::vector<int64_t> golden_match(k, -1);
    double golden_total = 0;
    for (const eng::Json& pair : c["match_pred_to_gt"].as_array()) {
      golden_match[pair[0].as_int()] = pair[1].as_int();
      golden_total += counts[pair[0].as_int() * k + pair[1].as_int()];
    }
    BOOST_TEST(s.total == golden_total, name);
    if (count_optimal(counts, k, s.total) == 1) {
      BOOST_TEST(s.row_to_col == golden_match, name);
    } else {
      BOOST_TEST_MESSAGE(name << ": optimum not unique, totals compared only");
    }
  }
}

BOOST_AUTO_TEST_CASE(random_matrices_against_brute_force) {
  eng::Rng rng(2024);
  int cases = 0;
  for (int64_t rows = 1; rows <= 7; ++rows) {
    for (int64_t cols = 1; cols <= 7; ++cols) {
      for (int trial = 0; trial < 6; ++trial) {
        std::vector<double> a(rows * cols);
        const bool integer = trial % 2 == 0;
        for (double& x : a)
          x = integer ? static_cast<double>(rng.randint(5)) - (trial == 2 ? 2.0 : 0.0)
                      : 10.0 * rng.normal();
        for (bool maximise : {false, true}) {
          const std::string what = std::to_string(rows) + "x" + std::to_string(cols) +
                                   (integer ? " int" : " real") + (maximise ? " max" : " min") +
                                   " trial " + std::to_string(trial);
          Assignment s = maximise ? iic::max_weight_assignment(a, rows, cols)
                                  : iic::min_cost_assignment(a, rows, cols);
          check_valid(s, a, rows, cols, what);
          double best = brute_force(a, rows, cols, maximise);
          if (integer)
            BOOST_TEST(s.total == best, what);
          else
            BOOST_TEST(std::fabs(s.total - best) <= 1e-9 * (1 + std::fabs(best)), what);
          // Deterministic: solving again gives the same assignment.
          Assignment again = maximise ? iic::max_weight_assignment(a, rows, cols)
                                      : iic::min_cost_assignment(a, rows, cols);
          BOOST_TEST(again.row_to_col == s.row_to_col, what);
          ++cases;
        }
      }
    }
  }
  BOOST_TEST(cases == 7 * 7 * 6 * 2);
}

BOOST_AUTO_TEST_CASE(large_overclustering_table_is_fast_and_valid) {
  // 140 x 140 (CIFAR100-20's head A size): valid, and at least as good as the identity and as
  // a greedy assignment.
  eng::Rng rng(5);
  const int64_t k = 140;
  std::vector<double> a(k * k);
  for (double& x : a) x = static_cast<double>(rng.randint(1000));
  Assignment s = iic::max_weight_assignment(a, k, k);
  check_valid(s, a, k, k, "140x140");
  double identity = 0;
  for (int64_t i = 0; i < k; ++i) identity += a[i * k + i];
  std::vector<char> used(k, 0);
  double greedy = 0;
  for (int64_t i = 0; i < k; ++i) {
    int64_t best = -1;
    for (int64_t j = 0; j < k; ++j)
      if (!used[j] && (best < 0 || a[i * k + j] > a[i * k + best])) best = j;
    used[best] = 1;
    greedy += a[i * k + best];
  }
  BOOST_TEST(s.total >= identity);
  BOOST_TEST(s.total >= greedy);
}

BOOST_AUTO_TEST_CASE(empty_and_bad_inputs) {
  Assignment e = iic::min_cost_assignment({}, 0, 4);
  BOOST_TEST(e.row_to_col.empty());
  BOOST_TEST(e.total == 0.0);
  Assignment rows_only = iic::min_cost_assignment({}, 3, 0);
  BOOST_TEST(rows_only.row_to_col == std::vector<int64_t>(3, -1));
  BOOST_TEST(error_of([] {
               iic::min_cost_assignment({1, 2, 3}, 2, 2);
             }).find("a 2 x 2 matrix needs 4 entries, got 3") != std::string::npos);
  BOOST_TEST(error_of([] {
               iic::min_cost_assignment({1, std::nan(""), 3, 4}, 2, 2);
             }).find("entry (0, 1) is nan") != std::string::npos);
  BOOST_TEST(error_of([] { iic::max_weight_assignment({}, -1, 2); }).find("negative matrix size") !=
             std::string::npos);
}
