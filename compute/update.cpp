#include "compute/update.h"

#include <cmath>
#include <vector>

namespace cc::compute {

Status RunUpdate(const ModelConfig& config, const PlannedUnit& unit,
                 std::span<const EncodedTensor> inputs, UnitResult* out) {
  std::vector<float> w, state;
  Status s = DecodeFloats(inputs[0], &w);
  if (s.ok()) s = DecodeFloats(inputs[1], &state);
  if (!s.ok()) return s;
  const size_t p = w.size();
  const uint32_t lanes = config.lanes;
  const float alpha = 1.0f / static_cast<float>(lanes);
  const float lr = config.LearningRate(unit.id.step);

  // g[j] = lane j's gradient of the whole section, assembled from its stages.
  std::vector<std::vector<float>> g(lanes, std::vector<float>(p, 0.0f));
  const size_t stages = (inputs.size() - 2) / lanes;
  for (uint32_t j = 0; j < lanes; ++j) {
    for (size_t i = 0; i < stages; ++i) {
      const size_t input = 2 + j * stages + i;
      std::vector<float> part;
      s = DecodeFloats(inputs[input], &part);
      if (!s.ok()) return s;
      const uint64_t begin = unit.inputs[input].slot.param_begin;
      for (size_t e = 0; e < part.size(); ++e) g[j][begin + e] = part[e];
    }
  }

  std::vector<float> next(p, 0.0f);
  if (config.optimizer == Optimizer::kSgd) {
    // Eq. 8 as written: each lane's step, weighted and summed. It equals
    // w − η·mean(g) up to rounding.
    for (uint32_t j = 0; j < lanes; ++j) {
      for (size_t e = 0; e < p; ++e) next[e] += alpha * (w[e] - lr * g[j][e]);
    }
  } else {
    float* m = state.data();
    float* v = state.data() + p;
    const double t = static_cast<double>(unit.id.step) + 1.0;
    const double b1 = config.beta1, b2 = config.beta2;
    const double bias_correction1 = 1.0 - std::pow(b1, t);
    const double bias_correction2_sqrt = std::sqrt(1.0 - std::pow(b2, t));
    const float step_size = static_cast<float>(lr / bias_correction1);
    const float decay = static_cast<float>(1.0 - static_cast<double>(lr) * config.weight_decay);
    const float one_minus_b1 = static_cast<float>(1.0 - b1),
                one_minus_b2 = static_cast<float>(1.0 - b2);
    for (size_t e = 0; e < p; ++e) {
      float grad = 0.0f;
      for (uint32_t j = 0; j < lanes; ++j) grad += alpha * g[j][e];
      m[e] = m[e] * config.beta1 + grad * one_minus_b1;
      v[e] = v[e] * config.beta2 + grad * grad * one_minus_b2;
      const float denom =
          std::sqrt(v[e]) / static_cast<float>(bias_correction2_sqrt) + config.adam_eps;
      next[e] = w[e] * decay - step_size * (m[e] / denom);
    }
  }
  for (float x : next) {
    if (!std::isfinite(x)) return Status::InvalidArgument("non-finite weight after update");
  }
  for (float x : state) {
    if (!std::isfinite(x))
      return Status::InvalidArgument("non-finite optimizer state after update");
  }
  out->outputs = {EncodeFloats(next, unit.outputs[0].shape, Codec::kFloat32),
                  EncodeFloats(state, unit.outputs[1].shape, Codec::kFloat32)};
  out->loss = 0.0f;
  return Status::OK();
}

}  // namespace cc::compute
