// The model's parameters: their names, shapes and deterministic initial values.
//
// The model (compute/model.cpp) is a GPT decoder whose every parameter is a
// matrix or a bias vector:
//
//   index            name                shape      init
//   0                wte                 (V, C)     N(0, 0.02²)
//   1                wpe                 (T, C)     N(0, 0.02²)
//   2 + 8l + 0       h.<l>.attn.w_qkv    (3C, C)    N(0, 0.02²)   rows: q | k | v, head-major
//   2 + 8l + 1       h.<l>.attn.b_qv     (2C)       0             q | v (no key bias)
//   2 + 8l + 2       h.<l>.attn.w_proj   (C, C)     N(0, (0.02/√(2L))²)
//   2 + 8l + 3       h.<l>.attn.b_proj   (C)        0
//   2 + 8l + 4       h.<l>.mlp.w_fc      (H, C)     N(0, 0.02²)
//   2 + 8l + 5       h.<l>.mlp.b_fc      (H)        0
//   2 + 8l + 6       h.<l>.mlp.w_proj    (C, H)     N(0, (0.02/√(2L))²)
//   2 + 8l + 7       h.<l>.mlp.b_proj    (C)        0
//   2 + 8L           head.w              (V, C)     N(0, 0.02²)
//   3 + 8L           head.b              (V)        0
//
// The LayerNorms have no gain or bias of their own (as in OLMo): a gain and
// bias in front of a linear layer are exactly absorbed by it
// (W·(γ⊙x̂ + β) + b = (W·diag γ)·x̂ + (W·β + b)), and leaving them out means
// that when a layer is split into parallel shards no parameter is shared
// between shards. The output head is not tied to the embedding for the same
// reason: a tied matrix would belong to the first and the last section at once.
// Attention has no key bias: q·(k + b) adds q·b to every score of a query,
// which the softmax ignores, so its gradient is identically zero — and AdamW
// would turn the rounding noise in that zero into updates.
//
// Initial values are a pure function of (seed, parameter name, element index),
// drawn from our own counter-based generator so that they are bit-identical on
// every machine, thread count and libtorch version:
//   key      = TaggedHash(tags::kWeightInit, seed:u64le || name:string)
//   block_c  = SHA256(key || c:u64le)                 (32 bytes = 8 × u32le)
//   pair p of block c: a = word 2p, b = word 2p+1
//   u1 = (a + 1)·2⁻³², u2 = b·2⁻³²                    u1 ∈ (0, 1], u2 ∈ [0, 1)
//   z  = √(−2 ln u1) · (cos 2πu2, sin 2πu2)          (Box–Muller)
//   element i = std · z[i mod 8] of block i / 8, rounded to binary32.
// ln, cos and sin are evaluated by our own series in IEEE double arithmetic
// (compute/params.cpp), not by libm, whose last bit varies between versions.
//
// Thread safety: free functions without shared state.

#ifndef COMPUTECOIN_COMPUTE_PARAMS_H
#define COMPUTECOIN_COMPUTE_PARAMS_H

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "chain/uint256.h"
#include "compute/model_config.h"

namespace cc::compute {

/// The eight parameters of one transformer block, in index order.
enum class BlockParam : uint32_t {
  kAttnWQkv = 0,
  kAttnBQv = 1,
  kAttnWProj = 2,
  kAttnBProj = 3,
  kMlpWFc = 4,
  kMlpBFc = 5,
  kMlpWProj = 6,
  kMlpBProj = 7,
};
inline constexpr uint32_t kParamsPerBlock = 8;

inline constexpr uint32_t kParamWte = 0;
inline constexpr uint32_t kParamWpe = 1;
inline uint32_t BlockParamIndex(uint32_t layer, BlockParam p) {
  return 2 + kParamsPerBlock * layer + static_cast<uint32_t>(p);
}
inline uint32_t HeadWeightIndex(const ModelConfig& c) { return 2 + kParamsPerBlock * c.n_layer; }
inline uint32_t HeadBiasIndex(const ModelConfig& c) { return 3 + kParamsPerBlock * c.n_layer; }

struct ParamSpec {
  std::string name;             //!< e.g. "h.0.attn.w_qkv"
  std::vector<uint64_t> shape;  //!< e.g. (3C, C) = (384, 128); rank 1 or 2
  float init_std = 0.0f;        //!< 0: initialised to zeros

  uint64_t NumElements() const;
  uint64_t rows() const { return shape[0]; }
  uint64_t cols() const { return shape.size() == 2 ? shape[1] : 1; }
};

/// The parameters of the model `config` describes, in index order (table above).
/// REQUIRES: config.Validate().ok().
std::vector<ParamSpec> ModelParams(const ModelConfig& config);

/// All parameters' values, in index order; values[i] is row-major for specs[i].
using ParamValues = std::vector<std::vector<float>>;

/// The initial values of every parameter (file comment).
/// REQUIRES: config.Validate().ok().
ParamValues InitialParams(const ModelConfig& config);

/// Fills out[0 .. n) with binary32(scale · z_i) for elements i in
/// [first, first + n) of the standard normal stream (seed, name).
void NormalStream(uint64_t seed, const std::string& name, uint64_t first, double scale,
                  std::span<float> out);

}  // namespace cc::compute

#endif  // COMPUTECOIN_COMPUTE_PARAMS_H
