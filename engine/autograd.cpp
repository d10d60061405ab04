// autograd.cpp — graph recording and the backward pass (see autograd.hpp).
#include "engine/autograd.hpp"

#include <unordered_map>

#ifdef ENG_HAVE_CUDA
#include "engine/cuda_runtime.hpp"
#endif

namespace eng {
namespace {
thread_local bool g_grad_enabled = true;
}  // namespace

bool grad_enabled() { return g_grad_enabled; }
NoGradGuard::NoGradGuard() : previous_(g_grad_enabled) { g_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { g_grad_enabled = previous_; }

bool needs_grad(const std::vector<Tensor>& inputs) {
  if (!g_grad_enabled) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

bool needs_grad(std::initializer_list<Tensor> inputs) {
  return needs_grad(std::vector<Tensor>(inputs));
}

void record(Tensor& output, const char* op, const std::vector<Tensor>& inputs,
            Node::Backward backward) {
  if (!needs_grad(inputs)) return;
  auto node = std::make_shared<Node>();
  node->op = op;
  node->backward = std::move(backward);
  for (const Tensor& t : inputs) {
    Node::Edge e;
    if (t.defined()) {
      e.shape = t.shape();
      if (t.grad_fn())
        e.fn = t.grad_fn();
      else if (t.requires_grad())
        e.leaf = t.impl_ptr();
    }
    node->next.push_back(std::move(e));
  }
  output.set_grad_fn(std::move(node));
}

Tensor add_gradients(const Tensor& a, const Tensor& b) {
  check_same_shape("autograd", a, b);
  check_same_device("autograd", a, b);
  bool same_layout = (!a.layout() && !b.layout()) ||
                     (a.layout() && b.layout() && a.layout()->same_as(*b.layout()));
  Tensor x = same_layout ? a : a.plain();
  Tensor y = same_layout ? b : b.plain();
  Tensor out = x.layout() ? Tensor::empty_with_layout(x.shape(), x.layout_ptr(), x.device())
                          : Tensor::empty(x.shape(), x.device());
  size_t n = x.storage_bytes() / sizeof(float);
  const float* pa = static_cast<const float*>(x.raw());
  const float* pb = static_cast<const float*>(y.raw());
  float* po = static_cast<float*>(out.raw());
  if (x.device() == Device::CUDA) {
#ifdef ENG_HAVE_CUDA
    cuda::add_f32(pa, pb, po, n);
#endif
    return out;
  }
#pragma omp parallel for simd schedule(static) if (n > 65536)
  for (size_t i = 0; i < n; ++i) po[i] = pa[i] + pb[i];
  return out;
}

namespace {

void accumulate(std::shared_ptr<TensorImpl>& slot, const Tensor& g) {
  slot = slot ? add_gradients(Tensor(slot), g).impl_ptr() : g.impl_ptr();
}

// Nodes reachable from root, each after every node that feeds it a gradient.
std::vector<Node*> topological_order(Node* root) {
  std::vector<Node*> post;
  std::unordered_map<Node*, bool> seen;
  std::vector<std::pair<Node*, size_t>> stack{{root, 0}};
  seen[root] = true;
  while (!stack.empty()) {
    auto& [node, i] = stack.back();
    if (i < node->next.size()) {
      Node* child = node->next[i++].fn.get();
      if (child && !seen[child]) {
        seen[child] = true;
        stack.push_back({child, 0});
      }
    } else {
      post.push_back(node);
      stack.pop_back();
    }
  }
  return {post.rbegin(), post.rend()};
}

}  // namespace

void run_backward(const Tensor& root, const Tensor& seed) {
  ENG_CHECK(root.requires_grad(), "backward",
            "the tensor does not require grad (no parameter or input marked requires_grad "
            "reached it, or it was computed under NoGradGuard)");
  check_same_shape("backward", root, seed);
  if (!root.grad_fn()) {  // a leaf: its gradient is the seed
    std::shared_ptr<TensorImpl> slot = root.impl()->grad;
    accumulate(slot, seed);
    root.impl()->grad = slot;
    return;
  }
  std::vector<Node*> order = topological_order(root.grad_fn().get());
  for (Node* n : order)
    ENG_CHECK(!n->released, "backward", "the graph through op '", n->op,
              "' was already freed by an earlier backward(); run the forward pass again "
              "before calling backward() a second time");

  NoGradGuard no_grad;  // backward closures may call public ops: record nothing
  std::unordered_map<Node*, std::shared_ptr<TensorImpl>> pending;
  pending[root.grad_fn().get()] = seed.impl_ptr();
  for (Node* node : order) {
    auto it = pending.find(node);
    Tensor grad_out = it == pending.end() ? Tensor() : Tensor(it->second);
    if (it != pending.end()) pending.erase(it);
    if (grad_out.defined()) {
      std::vector<Tensor> grads = node->backward(grad_out);
      ENG_CHECK(grads.size() == node->next.size(), "backward", "op '", node->op, "' returned ",
                grads.size(), " gradients for ", node->next.size(), " inputs");
      for (size_t i = 0; i < grads.size(); ++i) {
        const Node::Edge& e = node->next[i];
        const Tensor& g = grads[i];
        if (!g.defined() || (!e.fn && !e.leaf)) continue;
        ENG_CHECK(g.shape() == e.shape, "backward", "op '", node->op,
                  "' returned a gradient of shape ", shape_str(g.shape()), " for input ", i,
                  " of shape ", shape_str(e.shape));
        if (e.fn) {
          accumulate(pending[e.fn.get()], g);
        } else if (e.leaf->grad) {
          accumulate(e.leaf->grad, g);
        } else {
          // A leaf owns its gradient, stored plain: optimizers read and zero it in place, and
          // `g` may be shared (add's backward hands the same dy to both inputs).
          e.leaf->grad = g.clone().impl_ptr();
        }
      }
    }
    node->backward = nullptr;  // frees what the op saved
    node->released = true;
  }
}

}  // namespace eng
