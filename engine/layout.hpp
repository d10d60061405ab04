// layout.hpp — the seam through which a backend keeps its own memory layout in a Tensor.
//
// A plain tensor is dense row-major in its logical shape (NCHW for images). A fast backend
// (oneDNN) may instead leave its output in a blocked layout (e.g. nChw16c) so the next
// conv/bn/relu/pool reads it without a reorder. Such a tensor carries a Layout object; the
// engine knows nothing about it except how big the storage is and how to convert to plain.
// Every kernel that needs plain data calls Tensor::plain(), which reorders at that edge only.
#pragma once
#include <cstddef>
#include <string>

namespace eng {

class Tensor;

struct Layout {
  virtual ~Layout() = default;
  virtual std::string name() const = 0;  // for messages, e.g. "onednn:nChw16c"
  virtual size_t bytes() const = 0;      // storage size, padding included
  virtual bool same_as(const Layout& other) const = 0;
  virtual void to_plain(const Tensor& src, Tensor& dst) const = 0;  // dst: plain, same shape
};

}  // namespace eng
