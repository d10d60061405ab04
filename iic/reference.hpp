// reference.hpp — the authors' logged learning curves, read from the data file shipped in
// iic/reference/ (see the README there for its source). The paper's own Table 1 figures are in
// the dataset registry's rows (iic/datasets.hpp).
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace iic {

struct CurvePoint {
  std::string dataset;
  int epochs_done = 0;
  double avg = 0, best = 0;  // best: also what their code selected (README)
  std::vector<double> subheads;
};

struct ReferenceData {
  std::vector<CurvePoint> curves;
  std::vector<CurvePoint> curve(const std::string& dataset) const;
  // The authors' point at `epochs` (the last one at or before it); empty when none.
  std::optional<CurvePoint> at_epoch(const std::string& dataset, int epochs) const;
};

// Reads <dir>/authors_curves.csv; errors name the file and line.
ReferenceData load_reference(const std::string& dir);

}  // namespace iic
