// plot.cpp — rasterise axes, grid, digits and polylines into an RGB buffer; save as PNG.
#include "iic/plot.hpp"

#include <stb_image_write.h>
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "engine/error.hpp"

namespace iic {
namespace {

// 3x5 glyphs for "0123456789.%", one row per entry, bit 2 = left column.
const unsigned char kGlyphs[12][5] = {{7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7},
                                      {7, 1, 7, 1, 7}, {5, 5, 7, 1, 1}, {7, 4, 7, 1, 7},
                                      {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1}, {7, 5, 7, 5, 7},
                                      {7, 5, 7, 1, 7}, {0, 0, 0, 0, 2}, {5, 1, 2, 4, 5}};

struct Canvas {
  int w, h;
  std::vector<unsigned char> px;
  Canvas(int w_, int h_) : w(w_), h(h_), px(size_t(w_) * h_ * 3, 255) {}
  void set(int x, int y, std::array<unsigned char, 3> c) {
    if (x < 0 || y < 0 || x >= w || y >= h) return;
    std::copy(c.begin(), c.end(), px.begin() + (size_t(y) * w + x) * 3);
  }
  void line(double x0, double y0, double x1, double y1, std::array<unsigned char, 3> c, int thick) {
    int steps = static_cast<int>(std::max(std::fabs(x1 - x0), std::fabs(y1 - y0))) + 1;
    for (int i = 0; i <= steps; ++i) {
      double t = double(i) / steps;
      int x = static_cast<int>(std::lround(x0 + t * (x1 - x0)));
      int y = static_cast<int>(std::lround(y0 + t * (y1 - y0)));
      for (int dy = 0; dy < thick; ++dy)
        for (int dx = 0; dx < thick; ++dx) set(x + dx - thick / 2, y + dy - thick / 2, c);
    }
  }
  // Text of digits, '.' and '%' at (x, y) top-left, scale 2.
  void text(int x, int y, const std::string& s) {
    for (char ch : s) {
      int g = ch == '.' ? 10 : ch == '%' ? 11 : (ch >= '0' && ch <= '9') ? ch - '0' : -1;
      if (g >= 0)
        for (int r = 0; r < 5; ++r)
          for (int c = 0; c < 3; ++c)
            if (kGlyphs[g][r] & (4 >> c))
              for (int k = 0; k < 4; ++k) set(x + 2 * c + k % 2, y + 2 * r + k / 2, {0, 0, 0});
      x += 8;
    }
  }
};

double nice_step(double range) {
  double raw = range / 8, mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

}  // namespace

void plot_png(const std::string& path, const std::vector<Series>& series, double x_max, int width,
              int height) {
  ENG_CHECK(x_max > 0, "plot", "x range must be positive, got ", x_max);
  Canvas cv(width, height);
  const int left = 50, right = 15, top = 15, bottom = 30;
  auto X = [&](double x) { return left + x / x_max * (width - left - right); };
  auto Y = [&](double y) { return height - bottom - y * (height - top - bottom); };
  const std::array<unsigned char, 3> grid{220, 220, 220}, axis{0, 0, 0};
  for (int p = 0; p <= 100; p += 10) {
    cv.line(X(0), Y(p / 100.0), X(x_max), Y(p / 100.0), grid, 1);
    cv.text(4, static_cast<int>(Y(p / 100.0)) - 5, std::to_string(p) + "%");
  }
  double step = nice_step(x_max);
  for (double e = 0; e <= x_max + 1e-9; e += step) {
    cv.line(X(e), Y(0), X(e), Y(1), grid, 1);
    char buf[32];
    std::snprintf(buf, sizeof buf, step < 1 ? "%.1f" : "%.0f", e);
    cv.text(static_cast<int>(X(e)) - 4 * static_cast<int>(std::string(buf).size()),
            height - bottom + 8, buf);
  }
  cv.line(X(0), Y(0), X(x_max), Y(0), axis, 1);
  cv.line(X(0), Y(0), X(0), Y(1), axis, 1);
  for (const Series& s : series)
    for (size_t i = 1; i < s.x.size() && i < s.y.size(); ++i)
      if (s.x[i] <= x_max) cv.line(X(s.x[i - 1]), Y(s.y[i - 1]), X(s.x[i]), Y(s.y[i]), s.rgb, 2);
  ENG_CHECK(stbi_write_png(path.c_str(), width, height, 3, cv.px.data(), width * 3), "plot",
            "cannot write ", path);
}

}  // namespace iic
