// predict.cpp — batched tf3 predictions of a network's heads and their evaluation (see
// predict.hpp).
#include "iic/predict.hpp"

#include <algorithm>

#include "data/loader.hpp"
#include "engine/autograd.hpp"
#include "engine/error.hpp"

namespace iic {

std::map<std::string, HeadPredictions> predict(const models::ClusterNet& net,
                                               const eng::data::Dataset& data,
                                               const eng::data::TransformSet& tf,
                                               const std::vector<std::string>& heads,
                                               const PredictOptions& options) {
  ENG_CHECK(options.batch > 0, "predict", "batch must be at least 1, got ", options.batch);
  const int64_t n = options.limit > 0 ? std::min(options.limit, data.size()) : data.size();
  ENG_CHECK(n > 0, "predict", "no images in ", data.name());
  std::map<std::string, HeadPredictions> out;
  for (const std::string& name : heads) {
    const models::ClusterHeads& h = net.heads(name);
    HeadPredictions& p = out[name];
    p.k = h.k;
    p.cluster.resize(h.subheads), p.confidence.resize(h.subheads);
  }
  eng::NoGradGuard no_grad;
  for (int64_t begin = 0; begin < n; begin += options.batch) {
    const int64_t end = std::min(n, begin + options.batch), rows = end - begin;
    const eng::Tensor x = eng::data::transform_range(data, tf, begin, end, options.threads);
    const eng::Tensor f = net.features(x.to(net.device()), eng::BatchNormMode::EvalBatchStats);
    for (auto& [name, p] : out) {
      const std::vector<float> probs = net.head(name, f).to_vector();  // [S, rows, k]
      for (size_t s = 0; s < p.cluster.size(); ++s)
        for (int64_t i = 0; i < rows; ++i) {
          const float* row = probs.data() + (int64_t(s) * rows + i) * p.k;
          const int64_t top = std::max_element(row, row + p.k) - row;
          p.cluster[s].push_back(static_cast<int>(top));
          p.confidence[s].push_back(row[top]);
        }
    }
  }
  return out;
}

Evaluation evaluate_head(const HeadPredictions& predictions, const std::vector<int>& labels,
                         int classes, const std::vector<double>& losses) {
  ENG_CHECK(int64_t(labels.size()) == predictions.images(), "evaluate_head",
            "size mismatch: ", predictions.images(), " predicted images but ", labels.size(),
            " labels");
  return make_evaluation(score_subheads(predictions.cluster, labels, predictions.k, classes),
                         losses);
}

}  // namespace iic
