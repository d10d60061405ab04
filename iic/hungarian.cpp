// hungarian.cpp — shortest augmenting paths with row/column potentials (see hungarian.hpp).
#include "iic/hungarian.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/error.hpp"

namespace iic {
namespace {

void check_matrix(const char* op, const std::vector<double>& a, int64_t rows, int64_t cols) {
  ENG_CHECK(rows >= 0 && cols >= 0, op, "negative matrix size ", rows, " x ", cols);
  ENG_CHECK(static_cast<int64_t>(a.size()) == rows * cols, op, "a ", rows, " x ", cols,
            " matrix needs ", rows * cols, " entries, got ", a.size());
  for (size_t i = 0; i < a.size(); ++i)
    ENG_CHECK(std::isfinite(a[i]), op, "entry (", static_cast<int64_t>(i) / cols, ", ",
              static_cast<int64_t>(i) % cols, ") is ", a[i], "; entries must be finite");
}

// Rows n <= columns m. Returns for each row its column. Potentials u (rows) and v (columns)
// keep every reduced cost a[i][j] - u[i] - v[j] >= 0 and zero on the matching; each row is
// added by a Dijkstra-like search for the cheapest augmenting path (1-based, column 0 is the
// virtual start of the path).
std::vector<int64_t> solve_wide(const std::vector<double>& a, int64_t n, int64_t m) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> u(n + 1, 0.0), v(m + 1, 0.0), min_slack(m + 1);
  std::vector<int64_t> row_of(m + 1, 0), way(m + 1, 0);  // row_of[j]: row matched to column j
  std::vector<char> used(m + 1);
  for (int64_t i = 1; i <= n; ++i) {
    row_of[0] = i;
    int64_t j0 = 0;
    std::fill(min_slack.begin(), min_slack.end(), inf);
    std::fill(used.begin(), used.end(), 0);
    do {
      used[j0] = 1;
      const int64_t i0 = row_of[j0];
      double delta = inf;
      int64_t j1 = 0;
      for (int64_t j = 1; j <= m; ++j) {
        if (used[j]) continue;
        double reduced = a[(i0 - 1) * m + (j - 1)] - u[i0] - v[j];
        if (reduced < min_slack[j]) min_slack[j] = reduced, way[j] = j0;
        if (min_slack[j] < delta) delta = min_slack[j], j1 = j;
      }
      for (int64_t j = 0; j <= m; ++j) {
        if (used[j]) {
          u[row_of[j]] += delta;
          v[j] -= delta;
        } else {
          min_slack[j] -= delta;
        }
      }
      j0 = j1;
    } while (row_of[j0] != 0);
    do {  // flip the augmenting path
      const int64_t j1 = way[j0];
      row_of[j0] = row_of[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<int64_t> row_to_col(n, -1);
  for (int64_t j = 1; j <= m; ++j)
    if (row_of[j] != 0) row_to_col[row_of[j] - 1] = j - 1;
  return row_to_col;
}

}  // namespace

Assignment min_cost_assignment(const std::vector<double>& cost, int64_t rows, int64_t cols) {
  check_matrix("linear_assignment", cost, rows, cols);
  Assignment out;
  out.row_to_col.assign(rows, -1);
  if (rows == 0 || cols == 0) return out;
  if (rows <= cols) {
    out.row_to_col = solve_wide(cost, rows, cols);
  } else {  // more rows than columns: solve the transpose, columns pick their rows
    std::vector<double> t(cost.size());
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) t[j * rows + i] = cost[i * cols + j];
    std::vector<int64_t> col_to_row = solve_wide(t, cols, rows);
    for (int64_t j = 0; j < cols; ++j) out.row_to_col[col_to_row[j]] = j;
  }
  for (int64_t i = 0; i < rows; ++i)
    if (out.row_to_col[i] >= 0) out.total += cost[i * cols + out.row_to_col[i]];
  return out;
}

Assignment max_weight_assignment(const std::vector<double>& weight, int64_t rows, int64_t cols) {
  std::vector<double> cost(weight.size());
  for (size_t i = 0; i < weight.size(); ++i) cost[i] = -weight[i];
  Assignment out = min_cost_assignment(cost, rows, cols);
  out.total = -out.total;
  return out;
}

}  // namespace iic
