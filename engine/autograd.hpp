// autograd.hpp — reverse-mode automatic differentiation.
//
// Contract:
//  - Ops call record() after computing their output. When grad mode is on and an input
//    requires grad, the output gets a Node holding the backward closure (which captures what
//    the op saved) and one edge per input: to the input's own Node, or to the input itself when
//    it is a leaf that requires grad.
//  - backward() from a one-element tensor visits the graph in reverse topological order; a
//    tensor used twice receives the sum of its gradients; leaves accumulate into .grad().
//  - After backward every visited Node drops its closure (the saved tensors are freed); a second
//    backward through it throws an Error naming the op.
//  - NoGradGuard turns recording off in a scope (evaluation); it is per thread.
#pragma once
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "engine/tensor.hpp"

namespace eng {

struct Node {
  // Receives dL/d(output); returns one gradient per input, in input order, undefined where the
  // input needs none. A returned gradient has the input's shape; it may be plain or carry the
  // input's layout.
  using Backward = std::function<std::vector<Tensor>(const Tensor& grad_out)>;
  struct Edge {
    std::shared_ptr<Node> fn;          // the input was produced by this node, or
    std::shared_ptr<TensorImpl> leaf;  // the input is a leaf that requires grad, or neither
    Shape shape;                       // the input's shape, to check returned gradients
  };
  std::string op;
  std::vector<Edge> next;
  Backward backward;
  bool released = false;
};

bool grad_enabled();

class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// True when grad mode is on and one of the inputs requires grad: the op must record.
bool needs_grad(std::initializer_list<Tensor> inputs);
bool needs_grad(const std::vector<Tensor>& inputs);

// Attach a Node to `output` (no-op when needs_grad(inputs) is false). Undefined inputs (an
// absent bias) are allowed and get an empty edge.
void record(Tensor& output, const char* op, const std::vector<Tensor>& inputs,
            Node::Backward backward);

// Run backward from `root` with the given seed gradient (same shape as root).
void run_backward(const Tensor& root, const Tensor& seed);

// a + b for gradients (same shape; any device; layouts reconciled). Out of place.
Tensor add_gradients(const Tensor& a, const Tensor& b);

}  // namespace eng
