// dataset.hpp — an in-memory image dataset: N uint8 images [N, C, H, W] stored contiguously,
// one int label per image (-1 = no label), and a name for messages.
//
// Contract: the constructor validates that the pixel buffer holds exactly N*C*H*W bytes and
// that labels are either empty (all -1) or N values >= -1; violations are eng::Error naming the
// dataset and the sizes. concat() joins datasets of the same image shape in the given order
// (the authors train on train+test: concat({train, test})).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace eng::data {

class Dataset {
 public:
  Dataset() = default;
  Dataset(std::string name, int64_t n, int c, int h, int w, std::vector<uint8_t> pixels,
          std::vector<int> labels = {});

  const std::string& name() const { return name_; }
  int64_t size() const { return n_; }
  int channels() const { return c_; }
  int height() const { return h_; }
  int width() const { return w_; }
  int64_t image_bytes() const { return int64_t(c_) * h_ * w_; }
  const uint8_t* image(int64_t i) const;  // C*H*W bytes, CHW order; index checked
  int label(int64_t i) const;             // -1 when the dataset has no label for i
  bool has_labels() const;                // every label >= 0
  const std::vector<uint8_t>& pixels() const { return pixels_; }
  const std::vector<int>& labels() const { return labels_; }

 private:
  std::string name_;
  int64_t n_ = 0;
  int c_ = 0, h_ = 0, w_ = 0;
  std::vector<uint8_t> pixels_;
  std::vector<int> labels_;
};

// Images of all parts, in order; parts must share C, H, W. The name is given by the caller.
Dataset concat(const std::vector<const Dataset*>& parts, std::string name);

}  // namespace eng::data
