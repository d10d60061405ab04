// dataset.cpp — validation, access and concatenation of in-memory datasets.
#include "data/dataset.hpp"

#include "engine/error.hpp"

namespace eng::data {

Dataset::Dataset(std::string name, int64_t n, int c, int h, int w, std::vector<uint8_t> pixels,
                 std::vector<int> labels)
    : name_(std::move(name)),
      n_(n),
      c_(c),
      h_(h),
      w_(w),
      pixels_(std::move(pixels)),
      labels_(std::move(labels)) {
  const std::string op = "dataset '" + name_ + "'";
  ENG_CHECK(n >= 0 && c > 0 && h > 0 && w > 0, op, "bad dimensions N=", n, " C=", c, " H=", h,
            " W=", w);
  ENG_CHECK(int64_t(pixels_.size()) == n * image_bytes(), op, "pixel buffer holds ", pixels_.size(),
            " bytes, expected N*C*H*W = ", n, "*", c, "*", h, "*", w, " = ", n * image_bytes());
  if (labels_.empty()) labels_.assign(n, -1);
  ENG_CHECK(int64_t(labels_.size()) == n, op, "has ", labels_.size(), " labels for ", n, " images");
  for (int64_t i = 0; i < n; ++i)
    ENG_CHECK(labels_[i] >= -1, op, "label of image ", i, " is ", labels_[i],
              " (labels are >= 0, or -1 for none)");
}

const uint8_t* Dataset::image(int64_t i) const {
  ENG_CHECK(i >= 0 && i < n_, "dataset '" + name_ + "'", "image index ", i, " out of range [0, ",
            n_, ")");
  return pixels_.data() + i * image_bytes();
}

int Dataset::label(int64_t i) const {
  ENG_CHECK(i >= 0 && i < n_, "dataset '" + name_ + "'", "label index ", i, " out of range [0, ",
            n_, ")");
  return labels_[i];
}

bool Dataset::has_labels() const {
  for (int l : labels_)
    if (l < 0) return false;
  return true;
}

Dataset concat(const std::vector<const Dataset*>& parts, std::string name) {
  ENG_CHECK(!parts.empty(), "concat '" + name + "'", "no datasets given");
  const Dataset& first = *parts.front();
  int64_t n = 0;
  for (const Dataset* p : parts) {
    ENG_CHECK(p->channels() == first.channels() && p->height() == first.height() &&
                  p->width() == first.width(),
              "concat '" + name + "'", "'", p->name(), "' has images ", p->channels(), "x",
              p->height(), "x", p->width(), " but '", first.name(), "' has ", first.channels(), "x",
              first.height(), "x", first.width());
    n += p->size();
  }
  std::vector<uint8_t> pixels;
  std::vector<int> labels;
  pixels.reserve(n * first.image_bytes());
  labels.reserve(n);
  for (const Dataset* p : parts) {
    pixels.insert(pixels.end(), p->pixels().begin(), p->pixels().end());
    labels.insert(labels.end(), p->labels().begin(), p->labels().end());
  }
  return Dataset(std::move(name), n, first.channels(), first.height(), first.width(),
                 std::move(pixels), std::move(labels));
}

}  // namespace eng::data
