// plot.hpp — a small line chart written as PNG (stb_image_write): accuracy against epochs.
//
// Axes with grid lines every 10% (y) and at round epoch counts (x), numeric tick labels in a
// built-in 3x5 digit font, one coloured polyline per series. Text legends do not fit a digit
// font: callers describe the colours next to the image (table1.md does).
#pragma once
#include <array>
#include <string>
#include <vector>

namespace iic {

struct Series {
  std::vector<double> x, y;          // y in [0, 1]
  std::array<unsigned char, 3> rgb;  // line colour
};

// Throws naming the path when the file cannot be written.
void plot_png(const std::string& path, const std::vector<Series>& series, double x_max,
              int width = 640, int height = 400);

}  // namespace iic
