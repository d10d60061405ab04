// cluster_net.cpp — parameter registry, heads and device moves shared by the IIC networks.
#include "models/cluster_net.hpp"

#include "ops/ops.hpp"

namespace models {

int ClusterNet::add_parameter(const std::string& name, const eng::Shape& shape) {
  params_.push_back({name, eng::make_parameter(shape)});
  return static_cast<int>(params_.size()) - 1;
}

void ClusterNet::add_heads(const std::string& head_name, int64_t in_features, int k, int subheads,
                           eng::Rng& rng) {
  ENG_CHECK(k >= 1 && subheads >= 1, "model", "head ", head_name,
            " needs k >= 1 and >= 1 "
            "sub-heads, got k = ",
            k, ", sub-heads = ", subheads);
  ClusterHeads h{head_name, in_features, k, subheads, static_cast<int>(params_.size())};
  for (int j = 0; j < subheads; ++j) {
    std::string prefix = head_name + ".sub" + std::to_string(j);
    int w = add_parameter(prefix + ".weight", {k, in_features});
    add_parameter(prefix + ".bias", {k});
    eng::init_normal(params_[w].tensor, 0.0f, 0.01f, rng);
  }
  heads_.push_back(h);
}

const ClusterHeads& ClusterNet::heads(const std::string& head_name) const {
  for (const ClusterHeads& h : heads_)
    if (h.name == head_name) return h;
  throw eng::Error(eng::str("model: ", name(), " has no head '", head_name, "'"));
}

std::vector<std::string> ClusterNet::head_names() const {
  std::vector<std::string> names;
  for (const ClusterHeads& h : heads_) names.push_back(h.name);
  return names;
}

eng::Tensor ClusterNet::head(const std::string& head_name, const eng::Tensor& features) const {
  return heads(head_name).forward(params_, features);
}

eng::NamedTensors ClusterNet::parameters() const { return params_; }

void ClusterNet::to(eng::Device device) {
  for (eng::NamedTensor& p : params_) {
    if (p.tensor.device() == device) continue;
    p.tensor = p.tensor.to(device);
    p.tensor.set_requires_grad(true);
  }
}

eng::Device ClusterNet::device() const { return params_.front().tensor.device(); }

eng::Tensor ClusterHeads::forward(const eng::NamedTensors& params,
                                  const eng::Tensor& features) const {
  ENG_CHECK(features.ndim() == 2 && features.size(1) == in_features, "head " + name,
            "expects features [N, ", in_features, "], got ", eng::shape_str(features.shape()));
  // One linear layer over all sub-heads: weights [S*k, F], biases [S*k].
  std::vector<eng::Tensor> ws, bs;
  for (int j = 0; j < subheads; ++j) {
    ws.push_back(params[first_param + 2 * j].tensor);
    bs.push_back(params[first_param + 2 * j + 1].tensor);
  }
  eng::Tensor w = subheads == 1 ? ws[0] : eng::concat(ws, 0);
  eng::Tensor b = subheads == 1 ? bs[0] : eng::concat(bs, 0);
  eng::Tensor logits = eng::linear(features, w, b);                              // [N, S*k]
  eng::Tensor per_head = eng::reshape(logits, {features.size(0), subheads, k});  // [N, S, k]
  return eng::softmax(eng::permute(per_head, {1, 0, 2}), 2);                     // [S, N, k]
}

}  // namespace models
