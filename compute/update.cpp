#include "compute/update.h"

#include <cmath>
#include <cstring>
#include <vector>

namespace cc::compute {
namespace {

// The binary32 values of an fp32 tensor whose layout the caller has checked.
// serialize.h asserts a little-endian host, so the payload is the floats'
// own bytes.
void CopyFloats(const EncodedTensor& t, std::vector<float>* out) {
  out->resize(t.payload.size() / sizeof(float));
  if (!out->empty()) std::memcpy(out->data(), t.payload.data(), t.payload.size());
}

}  // namespace

Status RunUpdate(const ModelConfig& config, const PlannedUnit& unit,
                 std::span<const EncodedTensor> inputs, UnitResult* out) {
  std::vector<float> w, state;  // the weights (updated in place for AdamW), m | v
  CopyFloats(inputs[0], &w);
  CopyFloats(inputs[1], &state);
  const size_t p = w.size();
  const uint32_t lanes = config.lanes;
  const float alpha = 1.0f / static_cast<float>(lanes);
  const float lr = config.LearningRate(unit.id.step);

  // Lane j's gradient arrives as one part per stage of the section, each
  // covering [param_begin, param_end) of W_s; the parts of lane j are
  // inputs 2 + j·stages … 2 + (j+1)·stages − 1.
  const size_t stages = (inputs.size() - 2) / lanes;
  std::vector<float> part;
  auto for_each_part = [&](auto&& fn) {
    for (uint32_t j = 0; j < lanes; ++j) {
      for (size_t i = 0; i < stages; ++i) {
        const size_t input = 2 + j * stages + i;
        CopyFloats(inputs[input], &part);
        fn(unit.inputs[input].slot.param_begin);
      }
    }
  };

  std::vector<float> next;
  if (config.optimizer == Optimizer::kSgd) {
    // Eq. 8 as written: each lane's step, weighted and summed. It equals
    // w − η·mean(g) up to rounding.
    next.assign(p, 0.0f);
    for_each_part([&](uint64_t begin) {
      for (size_t e = 0; e < part.size(); ++e) {
        next[begin + e] += alpha * (w[begin + e] - lr * part[e]);
      }
    });
  } else {
    std::vector<float> grad(p, 0.0f);  // g = Σ_j α_j g_j, lanes in order
    for_each_part([&](uint64_t begin) {
      for (size_t e = 0; e < part.size(); ++e) grad[begin + e] += alpha * part[e];
    });
    float* m = state.data();
    float* v = state.data() + p;
    const double t = static_cast<double>(unit.id.step) + 1.0;
    const double b1 = config.beta1, b2 = config.beta2;
    const double bias_correction1 = 1.0 - std::pow(b1, t);
    const auto bias_correction2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(b2, t)));
    const auto step_size = static_cast<float>(lr / bias_correction1);
    const auto decay = static_cast<float>(1.0 - static_cast<double>(lr) * config.weight_decay);
    const auto one_minus_b1 = static_cast<float>(1.0 - b1);
    const auto one_minus_b2 = static_cast<float>(1.0 - b2);
    for (size_t e = 0; e < p; ++e) {
      m[e] = m[e] * config.beta1 + grad[e] * one_minus_b1;
      v[e] = v[e] * config.beta2 + grad[e] * grad[e] * one_minus_b2;
      const float denom = std::sqrt(v[e]) / bias_correction2_sqrt + config.adam_eps;
      w[e] = w[e] * decay - step_size * (m[e] / denom);
    }
    next = std::move(w);
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
