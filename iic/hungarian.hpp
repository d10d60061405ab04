// hungarian.hpp — linear assignment (the Hungarian method, Kuhn-Munkres with potentials in the
// shortest-augmenting-path form of Jonker-Volgenant), O(r^2 c) for r = min and c = max of the
// matrix sides.
//
// Contract:
//  - A rows x cols matrix given row-major; square or rectangular. Exactly min(rows, cols)
//    (row, column) pairs are chosen, each row and each column at most once, minimising the
//    total cost (or maximising the total weight). Rows left out (rows > cols) map to -1.
//  - Deterministic: the same matrix gives the same assignment (ties go to the lower column
//    index met first in the search). Exact for integer-valued entries below 2^53 (counts).
//  - Entries must be finite; a size mismatch or a NaN/infinite entry is an eng::Error.
//    A matrix with zero rows or columns gives an empty assignment.
#pragma once
#include <cstdint>
#include <vector>

namespace iic {

struct Assignment {
  std::vector<int64_t> row_to_col;  // one entry per row: its column, or -1
  double total = 0;                 // sum of the chosen entries
};

Assignment min_cost_assignment(const std::vector<double>& cost, int64_t rows, int64_t cols);
Assignment max_weight_assignment(const std::vector<double>& weight, int64_t rows, int64_t cols);

}  // namespace iic
