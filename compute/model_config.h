// ModelConfig: everything that fixes the model being trained and how one
// training step is cut into work units. Genesis commits to its Hash(), so two
// nodes with the same hash train the same model on the same plan.
//
// Dimension legend used across compute/ (llm.c style):
//   B  batch rows per lane per step       e.g. 64
//   T  context length (tokens per row)    e.g. 16
//   C  model width (d_model)              e.g. 128
//   NH attention heads; HS = C / NH       e.g. 4, 32
//   H  MLP hidden units (d_mlp)           e.g. 512 = 4C
//   L  transformer blocks (n_layer)       e.g. 4
//   V  vocabulary = 256 (bytes)
//
// Wire format (serialize.h), fields in the order CC_SERIALIZE_METHODS lists:
//   name:string n_layer:u32 d_model:u32 n_head:u32 d_mlp:u32 context:u32
//   batch:u32 lanes:u32 sections:u32 head_groups:u32 query_segments:u32
//   optimizer:u8 lr:f32 lr_min:f32 warmup_steps:u32 decay_steps:u32
//   beta1:f32 beta2:f32 adam_eps:f32 weight_decay:f32 tolerance:f32 seed:u64
//   stream_codec:u8
// Hash() = TaggedHash(tags::kModelConfig, encoding). Decoding checks only the
// optimizer byte; call Validate() before using a decoded config.
//
// Where it runs (cpu/cuda, threads) is a node's local choice and is not part
// of the committed configuration: see EngineOptions in compute/engine.h.
//
// Thread safety: a value type.

#ifndef COMPUTECOIN_COMPUTE_MODEL_CONFIG_H
#define COMPUTECOIN_COMPUTE_MODEL_CONFIG_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chain/serialize.h"
#include "chain/status.h"
#include "chain/uint256.h"
#include "compute/tensor.h"

namespace cc::compute {

/// Byte-level vocabulary: every token is one byte.
inline constexpr uint32_t kVocab = 256;

enum class Optimizer : uint8_t {
  kSgd = 0,    //!< w' = Σ_j α_j (w − η g_j), whitepaper eq. 8; no optimizer state
  kAdamW = 1,  //!< torch's AdamW (decoupled weight decay); state m, v per weight
};
void Put(Writer& w, Optimizer o);
void Get(Reader& r, Optimizer& o);
/// ModelConfig::stream_codec: one byte; decoding rejects kUInt8 and unknown
/// codecs ("bad-stream-codec").
void Put(Writer& w, Codec c);
void Get(Reader& r, Codec& c);

struct ModelConfig {
  std::string name;             //!< preset name, e.g. "devnet"
  uint32_t n_layer = 0;         //!< L, e.g. 4
  uint32_t d_model = 0;         //!< C, e.g. 128
  uint32_t n_head = 0;          //!< NH, e.g. 4; must divide C
  uint32_t d_mlp = 0;           //!< H, e.g. 512
  uint32_t context = 0;         //!< T, e.g. 16
  uint32_t batch = 0;           //!< B rows per lane, e.g. 64
  uint32_t lanes = 1;           //!< data-parallel lanes per step, e.g. 2
  uint32_t sections = 1;        //!< k parameter sections (whitepaper eq. 3–4)
  uint32_t head_groups = 1;     //!< ATTENTION units per layer along heads, ≤ NH
  uint32_t query_segments = 1;  //!< ATTENTION units per layer along T, ≤ T
  Optimizer optimizer = Optimizer::kSgd;
  float lr = 0.0f;            //!< peak learning rate η, e.g. 1e-3
  float lr_min = 0.0f;        //!< rate reached at decay_steps, e.g. 1e-4
  uint32_t warmup_steps = 0;  //!< linear warm-up from lr/warmup_steps to lr
  uint32_t decay_steps = 0;   //!< cosine decay lr → lr_min ends here; 0 = constant lr
  float beta1 = 0.9f;         //!< AdamW only
  float beta2 = 0.999f;       //!< AdamW only
  float adam_eps = 1e-8f;     //!< AdamW only
  float weight_decay = 0.0f;  //!< AdamW only (decoupled)
  float tolerance = 1e-4f;    //!< ε: relative L2 distance a verifier accepts
  uint64_t seed = 0;          //!< initial weights are a pure function of this
  /// The codec activations and their gradients are committed in — and so
  /// stored and sent (compute/plan.h: the stream, q|k|v, attention outputs
  /// and their gradients; weights, optimizer state and parameter gradients
  /// stay fp32, so UPDATE stays bit-exact): kFloat32, kBFloat16 or kInt8Rows
  /// (whitepaper §4.1, compressing activations). Units compute in fp32 and
  /// round their outputs to it; a verifier rounds its re-execution alike.
  Codec stream_codec = Codec::kFloat32;

  CC_SERIALIZE_METHODS(ModelConfig, obj) {
    ar(obj.name, obj.n_layer, obj.d_model, obj.n_head, obj.d_mlp, obj.context, obj.batch, obj.lanes,
       obj.sections, obj.head_groups, obj.query_segments, obj.optimizer, obj.lr, obj.lr_min,
       obj.warmup_steps, obj.decay_steps, obj.beta1, obj.beta2, obj.adam_eps, obj.weight_decay,
       obj.tolerance, obj.seed, obj.stream_codec);
  }
  bool operator==(const ModelConfig&) const = default;

  uint32_t head_size() const { return n_head == 0 ? 0 : d_model / n_head; }
  /// P_total: every trainable parameter of the model.
  uint64_t NumParams() const;
  /// TaggedHash(tags::kModelConfig, Serialize(*this)).
  Uint256 Hash() const;
  /// The learning rate of `step` (0-based): warm-up, then cosine decay to
  /// lr_min at decay_steps, then lr_min; constant lr when decay_steps is 0.
  /// A pure function of the config and the step, computed in double.
  float LearningRate(uint64_t step) const;

  /// OK if every field is in range and consistent (n_head divides d_model,
  /// head_groups ≤ n_head, query_segments ≤ context, finite positive rates,
  /// sizes under the limits below); InvalidArgument naming the field otherwise.
  Status Validate() const;
};

/// Upper bounds Validate() enforces, so a hostile genesis cannot make a node
/// allocate without bound.
inline constexpr uint32_t kMaxLayers = 256;
inline constexpr uint32_t kMaxWidth = 16384;
inline constexpr uint32_t kMaxContext = 8192;
inline constexpr uint32_t kMaxBatch = 4096;
inline constexpr uint32_t kMaxLanes = 1024;
inline constexpr uint32_t kMaxSections = 4096;

/// Names accepted by PresetConfig, smallest first.
std::vector<std::string_view> PresetNames();

/// Fills *out with the named preset:
///   "tiny"       L=2 C=32 NH=4 T=16 B=8, SGD: tests; trains in seconds.
///   "devnet"     L=4 C=128 NH=4 T=16 B=64, AdamW with warm-up and cosine
///                decay: learns 3-digit addition on a laptop CPU.
///   "gpt2-small" L=12 C=768 NH=12 T=1024 B=8, AdamW: GPT-2-small's shape with
///                the byte vocabulary, for real accelerators.
/// Returns NotFound for any other name.
Status PresetConfig(std::string_view name, ModelConfig* out);

}  // namespace cc::compute

#endif  // COMPUTECOIN_COMPUTE_MODEL_CONFIG_H
