// iic_loss.cpp — the IIC loss from the public ops (see iic_loss.hpp).
#include "iic/iic_loss.hpp"

#include "engine/autograd.hpp"
#include "ops/elementwise.hpp"
#include "ops/matmul.hpp"
#include "ops/reduce.hpp"
#include "ops/shape_ops.hpp"

namespace iic {
namespace {

void check_inputs(const char* op, const eng::Tensor& z, const eng::Tensor& z_tf, int rank) {
  eng::check_ndim(op, "z", z, rank);
  eng::check_ndim(op, "z_tf", z_tf, rank);
  ENG_CHECK(z.shape() == z_tf.shape(), op, "z and z_tf must have the same shape, got ",
            eng::shape_str(z.shape()), " and ", eng::shape_str(z_tf.shape()));
  ENG_CHECK(z.numel() > 0, op, "empty input ", eng::shape_str(z.shape()),
            " (need at least one sample and one cluster)");
  ENG_CHECK(z.dtype() == eng::DType::F32 && z_tf.dtype() == eng::DType::F32, op,
            "inputs must be float32, got ", z.describe(), " and ", z_tf.describe());
  eng::check_same_device(op, z, z_tf);
}

// -sum_ij P_ij (log P_ij - lambda (log P_i + log P_j)) over the last two dimensions.
eng::Tensor entropy_form(const eng::Tensor& p, const eng::Tensor& log_p,
                         const eng::Tensor& log_marginals, float lambda, int rank) {
  eng::Tensor inner = eng::sub(log_p, eng::mul_scalar(log_marginals, lambda));
  return eng::mul_scalar(eng::sum(eng::mul(p, inner), {rank - 2, rank - 1}), -1.0f);
}

}  // namespace

IicLoss iic_loss_terms(const eng::Tensor& z, const eng::Tensor& z_tf, float lambda) {
  ENG_CHECK(z.defined() && (z.ndim() == 2 || z.ndim() == 3), "iic_loss",
            "z must be [n, k] or [S, n, k], got ",
            z.defined() ? eng::shape_str(z.shape()) : std::string("undefined"));
  const int r = z.ndim();
  check_inputs("iic_loss", z, z_tf, r);

  // Joint distribution of the paired cluster assignments, symmetrised and normalised.
  eng::Tensor p = eng::matmul(eng::transpose(z, r - 2, r - 1), z_tf);  // [.., k, k]
  p = eng::mul_scalar(eng::add(p, eng::transpose(p, r - 2, r - 1)), 0.5f);
  p = eng::div(p, eng::sum(p, {r - 2, r - 1}, /*keepdim=*/true));
  eng::Tensor p_i = eng::sum(p, {r - 1}, true);  // [.., k, 1]
  eng::Tensor p_j = eng::sum(p, {r - 2}, true);  // [.., 1, k]

  eng::Tensor pc = eng::clamp_min(p, kIicEps);
  eng::Tensor log_p = eng::log(pc);
  eng::Tensor log_marginals =
      eng::add(eng::log(eng::clamp_min(p_i, kIicEps)), eng::log(eng::clamp_min(p_j, kIicEps)));

  IicLoss out;
  out.loss = entropy_form(pc, log_p, log_marginals, lambda, r);
  if (lambda == 1.0f) {
    out.loss_no_lamb = out.loss.detach();
  } else {
    eng::NoGradGuard no_grad;
    out.loss_no_lamb = entropy_form(pc.detach(), log_p.detach(), log_marginals.detach(), 1.0f, r);
  }
  return out;
}

eng::Tensor iic_loss(const eng::Tensor& z, const eng::Tensor& z_tf, float lambda) {
  check_inputs("iic_loss", z, z_tf, 2);
  return iic_loss_terms(z, z_tf, lambda).loss;
}

eng::Tensor iic_loss_subheads(const eng::Tensor& z, const eng::Tensor& z_tf, float lambda) {
  check_inputs("iic_loss_subheads", z, z_tf, 3);
  return iic_loss_terms(z, z_tf, lambda).loss;
}

}  // namespace iic
