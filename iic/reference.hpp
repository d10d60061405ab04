// reference.hpp — the paper's Table 1 values and the authors' logged learning curves, read from
// the data files shipped in iic/reference/ (see the README there for their source).
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace iic {

struct PaperRow {
  std::string dataset;                        // "MNIST", "CIFAR10", "CIFAR100-20", "STL10"
  double lowest_loss = 0, mean = 0, std = 0;  // fractions in [0, 1]
};

struct CurvePoint {
  std::string dataset;
  int epochs_done = 0;
  double avg = 0, best = 0;  // best: also what their code selected (README)
  std::vector<double> subheads;
};

struct ReferenceData {
  std::vector<PaperRow> paper;
  std::vector<CurvePoint> curves;
  const PaperRow* paper_row(const std::string& dataset) const;  // null when absent
  std::vector<CurvePoint> curve(const std::string& dataset) const;
  // The authors' point at `epochs` (the last one at or before it); empty when none.
  std::optional<CurvePoint> at_epoch(const std::string& dataset, int epochs) const;
};

// Reads <dir>/paper_table1.csv and <dir>/authors_curves.csv; errors name the file and line.
ReferenceData load_reference(const std::string& dir);

}  // namespace iic
