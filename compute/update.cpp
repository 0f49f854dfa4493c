#include "compute/update.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace cc::compute {
namespace {

// fp32 payloads are read and written in place, element by element through
// memcpy (serialize.h asserts a little-endian host, so the payload is the
// floats' own bytes); the compiler turns these into plain vector loads and
// stores.
inline float Load(const uint8_t* payload, size_t i) {
  float x;
  std::memcpy(&x, payload + 4 * i, 4);
  return x;
}
inline void Store(uint8_t* payload, size_t i, float x) { std::memcpy(payload + 4 * i, &x, 4); }
// 1 if x is an infinity or a NaN, else 0; branch-free so loops stay vectorised.
inline uint32_t NonFinite(float x) {
  return (std::bit_cast<uint32_t>(x) & 0x7f800000u) == 0x7f800000u ? 1u : 0u;
}

// The per-step AdamW constants, each rounded to binary32 once.
struct AdamW {
  float beta1, beta2, one_minus_b1, one_minus_b2, eps;
  float bias_correction2_sqrt, step_size, decay;

  AdamW(const ModelConfig& config, uint64_t step, float lr) {
    const double t = static_cast<double>(step) + 1.0;
    const double b1 = config.beta1, b2 = config.beta2;
    const double bias_correction1 = 1.0 - std::pow(b1, t);
    beta1 = config.beta1;
    beta2 = config.beta2;
    eps = config.adam_eps;
    bias_correction2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(b2, t)));
    step_size = static_cast<float>(lr / bias_correction1);
    decay = static_cast<float>(1.0 - static_cast<double>(lr) * config.weight_decay);
    one_minus_b1 = static_cast<float>(1.0 - b1);
    one_minus_b2 = static_cast<float>(1.0 - b2);
  }

  // One element, g the lanes' mean gradient; every operation in binary32,
  // in this order (no fused multiply-add: compute/ builds with
  // -ffp-contract=off).
  void Step(float g, float* w, float* m, float* v) const {
    *m = *m * beta1 + g * one_minus_b1;
    *v = *v * beta2 + g * g * one_minus_b2;
    const float denom = std::sqrt(*v) / bias_correction2_sqrt + eps;
    *w = *w * decay - step_size * (*m / denom);
  }
};

// The lanes' gradient parts as ranges: part (j, i) is input 2 + j·stages + i
// and covers [begin_i, end_i) of W_s for every lane j.
struct Parts {
  size_t stages = 0;
  std::vector<uint64_t> begin, end;  // per stage

  // False unless every lane's parts cover the same ranges, in increasing
  // order without overlap, within [0, p) — what the plan builds. The fast
  // path relies on it; anything else takes the reference path.
  bool Regular(const PlannedUnit& unit, uint32_t lanes, uint64_t p) {
    stages = (unit.inputs.size() - 2) / lanes;
    uint64_t at = 0;
    for (size_t i = 0; i < stages; ++i) {
      const TensorSlot& slot = unit.inputs[2 + i].slot;
      if (slot.param_begin < at || slot.param_end < slot.param_begin || slot.param_end > p)
        return false;
      for (uint32_t j = 1; j < lanes; ++j) {
        const TensorSlot& other = unit.inputs[2 + j * stages + i].slot;
        if (other.param_begin != slot.param_begin || other.param_end != slot.param_end)
          return false;
      }
      begin.push_back(slot.param_begin);
      end.push_back(slot.param_end);
      at = slot.param_end;
    }
    return true;
  }
};

// The straightforward UPDATE: gradients summed lane by lane into a buffer,
// then the optimizer over it. The reference the fast path below must match
// bit for bit (update_test), and the path for irregular part layouts.
Status RunUpdateReference(const ModelConfig& config, const PlannedUnit& unit,
                          std::span<const EncodedTensor* const> inputs, UnitResult* out) {
  const size_t p = inputs[0]->payload.size() / 4;
  std::vector<float> w(p), state(inputs[1]->payload.size() / 4);
  for (size_t e = 0; e < p; ++e) w[e] = Load(inputs[0]->payload.data(), e);
  for (size_t e = 0; e < state.size(); ++e) state[e] = Load(inputs[1]->payload.data(), e);
  const uint32_t lanes = config.lanes;
  const float alpha = 1.0f / static_cast<float>(lanes);
  const float lr = config.LearningRate(unit.id.step);
  const size_t stages = (inputs.size() - 2) / lanes;
  auto for_each_part = [&](auto&& fn) {
    for (uint32_t j = 0; j < lanes; ++j) {
      for (size_t i = 0; i < stages; ++i) {
        const size_t input = 2 + j * stages + i;
        fn(unit.inputs[input].slot.param_begin, inputs[input]->payload.data(),
           inputs[input]->payload.size() / 4);
      }
    }
  };
  std::vector<float> next;
  if (config.optimizer == Optimizer::kSgd) {
    next.assign(p, 0.0f);
    for_each_part([&](uint64_t begin, const uint8_t* g, size_t n) {
      for (size_t e = 0; e < n; ++e) next[begin + e] += alpha * (w[begin + e] - lr * Load(g, e));
    });
  } else {
    std::vector<float> grad(p, 0.0f);
    for_each_part([&](uint64_t begin, const uint8_t* g, size_t n) {
      for (size_t e = 0; e < n; ++e) grad[begin + e] += alpha * Load(g, e);
    });
    const AdamW adam(config, unit.id.step, lr);
    for (size_t e = 0; e < p; ++e) adam.Step(grad[e], &w[e], &state[e], &state[p + e]);
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

// The fast path's kernels over elements [0, n) of one range of W_s, reading
// the lanes' gradient parts g[0..lanes) (none for a range no stage covers:
// a gradient of +0). kLanes is the lane count when known at compile time, so
// the lane loop unrolls and the element loop vectorises; 0 means `lanes`.
template <uint32_t kLanes>
void SgdRange(float alpha, float lr, uint32_t lanes, const uint8_t* __restrict w_in,
              const uint8_t* const* g, uint8_t* __restrict w_out, uint64_t n, uint32_t* bad) {
  const uint32_t count = kLanes != 0 ? kLanes : lanes;
  uint32_t nonfinite = 0;
  for (uint64_t x = 0; x < n; ++x) {
    const float wx = Load(w_in, x);
    float next = 0.0f;
    for (uint32_t j = 0; j < count; ++j) next += alpha * (wx - lr * Load(g[j], x));
    Store(w_out, x, next);
    nonfinite |= NonFinite(next);
  }
  *bad |= nonfinite;
}

template <uint32_t kLanes>
void AdamWRange(const AdamW& adam, float alpha, uint32_t lanes, const uint8_t* __restrict w_in,
                const uint8_t* const* g, uint8_t* __restrict w_out, uint8_t* __restrict m,
                uint8_t* __restrict v, uint64_t n, uint32_t* w_bad, uint32_t* state_bad) {
  const uint32_t count = kLanes != 0 ? kLanes : lanes;
  uint32_t w_nonfinite = 0, state_nonfinite = 0;
  for (uint64_t x = 0; x < n; ++x) {
    float grad = 0.0f;
    for (uint32_t j = 0; j < count; ++j) grad += alpha * Load(g[j], x);
    float wx = Load(w_in, x), mx = Load(m, x), vx = Load(v, x);
    adam.Step(grad, &wx, &mx, &vx);
    Store(w_out, x, wx);
    Store(m, x, mx);
    Store(v, x, vx);
    w_nonfinite |= NonFinite(wx);
    state_nonfinite |= NonFinite(mx) | NonFinite(vx);
  }
  *w_bad |= w_nonfinite;
  *state_bad |= state_nonfinite;
}

}  // namespace

// The fast path: one pass over W_s, reading the inputs' payloads in place and
// writing the outputs' payloads directly. For each element it performs the
// reference's operations in the reference's order — the lanes' terms added
// to +0 in lane order, then the optimizer — so the bits are the same; it
// only fuses the passes and keeps the loops free of branches and library
// calls so that the compiler vectorises them (compute/CMakeLists.txt builds
// this file with -O3 -fno-math-errno: sqrt is then the correctly rounded
// instruction, as the scalar call was, without the errno check that blocks
// vectorising).
Status RunUpdate(const ModelConfig& config, const PlannedUnit& unit,
                 std::span<const EncodedTensor* const> inputs, UnitResult* out) {
  const uint64_t p = inputs[0]->payload.size() / 4;
  const uint32_t lanes = config.lanes;
  Parts parts;
  if (lanes == 0 || !parts.Regular(unit, lanes, p)) {
    return RunUpdateReference(config, unit, inputs, out);
  }
  const float alpha = 1.0f / static_cast<float>(lanes);
  const float lr = config.LearningRate(unit.id.step);
  const uint8_t* w_in = inputs[0]->payload.data();

  out->outputs.resize(2);
  EncodedTensor& w_out = out->outputs[0];
  EncodedTensor& state_out = out->outputs[1];
  w_out.codec = state_out.codec = Codec::kFloat32;
  w_out.shape = unit.outputs[0].shape;
  state_out.shape = unit.outputs[1].shape;
  w_out.payload.resize(4 * p);
  state_out.payload = inputs[1]->payload;  // AdamW updates m | v in place; SGD's is empty
  uint8_t* w = w_out.payload.data();
  uint8_t* m = state_out.payload.data();
  uint8_t* v = m + 4 * p;
  uint32_t w_bad = 0, state_bad = 0;

  const bool sgd = config.optimizer == Optimizer::kSgd;
  const AdamW adam(config, unit.id.step, lr);
  std::vector<const uint8_t*> g(lanes);  // the lanes' parts of the current stage
  // Elements [b, e), with the lanes' parts in g or (has_parts false) none.
  auto run = [&](uint64_t b, uint64_t e, bool has_parts) {
    if (e <= b) return;
    const uint64_t n = e - b;
    std::vector<const uint8_t*> at(lanes);
    for (uint32_t j = 0; j < lanes; ++j) at[j] = has_parts ? g[j] : nullptr;
    const uint8_t* const* gp = at.data();
    const uint32_t k = has_parts ? lanes : 0;
    if (sgd) {
      switch (k) {
        case 0: SgdRange<0>(alpha, lr, 0, w_in + 4 * b, gp, w + 4 * b, n, &w_bad); break;
        case 1: SgdRange<1>(alpha, lr, 1, w_in + 4 * b, gp, w + 4 * b, n, &w_bad); break;
        case 2: SgdRange<2>(alpha, lr, 2, w_in + 4 * b, gp, w + 4 * b, n, &w_bad); break;
        case 4: SgdRange<4>(alpha, lr, 4, w_in + 4 * b, gp, w + 4 * b, n, &w_bad); break;
        default: SgdRange<0>(alpha, lr, k, w_in + 4 * b, gp, w + 4 * b, n, &w_bad); break;
      }
      return;
    }
    uint8_t* mb = m + 4 * b;
    uint8_t* vb = v + 4 * b;
    switch (k) {
      case 0:
        AdamWRange<0>(adam, alpha, 0, w_in + 4 * b, gp, w + 4 * b, mb, vb, n, &w_bad, &state_bad);
        break;
      case 1:
        AdamWRange<1>(adam, alpha, 1, w_in + 4 * b, gp, w + 4 * b, mb, vb, n, &w_bad, &state_bad);
        break;
      case 2:
        AdamWRange<2>(adam, alpha, 2, w_in + 4 * b, gp, w + 4 * b, mb, vb, n, &w_bad, &state_bad);
        break;
      case 4:
        AdamWRange<4>(adam, alpha, 4, w_in + 4 * b, gp, w + 4 * b, mb, vb, n, &w_bad, &state_bad);
        break;
      default:
        AdamWRange<0>(adam, alpha, k, w_in + 4 * b, gp, w + 4 * b, mb, vb, n, &w_bad, &state_bad);
        break;
    }
  };
  uint64_t at = 0;
  for (size_t i = 0; i < parts.stages; ++i) {
    run(at, parts.begin[i], /*has_parts=*/false);  // a gap no stage covers
    for (uint32_t j = 0; j < lanes; ++j) g[j] = inputs[2 + j * parts.stages + i]->payload.data();
    run(parts.begin[i], parts.end[i], /*has_parts=*/true);
    at = parts.end[i];
  }
  run(at, p, /*has_parts=*/false);

  if (w_bad != 0) return Status::InvalidArgument("non-finite weight after update");
  if (state_bad != 0) return Status::InvalidArgument("non-finite optimizer state after update");
  out->loss = 0.0f;
  return Status::OK();
}

Status RunUpdateNaive(const ModelConfig& config, const PlannedUnit& unit,
                      std::span<const EncodedTensor* const> inputs, UnitResult* out) {
  return RunUpdateReference(config, unit, inputs, out);
}

}  // namespace cc::compute
