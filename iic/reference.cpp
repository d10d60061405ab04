// reference.cpp — CSV readers for the shipped reference figures (see reference.hpp).
#include "iic/reference.hpp"

#include <fstream>
#include <sstream>

#include "engine/error.hpp"

namespace iic {
namespace {

std::vector<std::vector<std::string>> read_csv(const std::string& path, size_t columns) {
  std::ifstream in(path);
  ENG_CHECK(in, "reference", "cannot open ", path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (lineno == 1 || line.empty()) continue;  // header
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    ENG_CHECK(cells.size() == columns, "reference", path, " line ", lineno, ": expected ", columns,
              " columns, got ", cells.size());
    rows.push_back(cells);
  }
  return rows;
}

double number(const std::string& s, const std::string& path) {
  try {
    size_t used = 0;
    double v = std::stod(s, &used);
    if (used == s.size()) return v;
  } catch (const std::exception&) {
  }
  throw eng::Error(eng::str("reference: ", path, ": not a number: '", s, "'"));
}

}  // namespace

std::vector<CurvePoint> ReferenceData::curve(const std::string& dataset) const {
  std::vector<CurvePoint> out;
  for (const CurvePoint& p : curves)
    if (p.dataset == dataset) out.push_back(p);
  return out;
}

std::optional<CurvePoint> ReferenceData::at_epoch(const std::string& dataset, int epochs) const {
  std::optional<CurvePoint> best;
  for (const CurvePoint& p : curves)
    if (p.dataset == dataset && p.epochs_done <= epochs &&
        (!best || p.epochs_done > best->epochs_done))
      best = p;
  return best;
}

ReferenceData load_reference(const std::string& dir) {
  ReferenceData ref;
  std::string curve_path = dir + "/authors_curves.csv";
  for (const auto& c : read_csv(curve_path, 6)) {
    CurvePoint p{c[0],
                 static_cast<int>(number(c[1], curve_path)),
                 number(c[2], curve_path),
                 number(c[3], curve_path),
                 {}};  // c[4], the selected sub-head, is the best one (README)
    std::stringstream ss(c[5]);
    std::string v;
    while (ss >> v) p.subheads.push_back(number(v, curve_path));
    ref.curves.push_back(p);
  }
  return ref;
}

}  // namespace iic
