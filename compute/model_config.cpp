#include "compute/model_config.h"

#include <cmath>
#include <numbers>
#include <string>

#include "chain/hash.h"

namespace cc::compute {

void Put(Writer& w, Optimizer o) { Put(w, static_cast<uint8_t>(o)); }

void Get(Reader& r, Optimizer& o) {
  uint8_t v = 0;
  Get(r, v);
  if (v > static_cast<uint8_t>(Optimizer::kAdamW)) throw DecodeError("bad-optimizer");
  o = static_cast<Optimizer>(v);
}

void Put(Writer& w, Codec c) { Put(w, static_cast<uint8_t>(c)); }

void Get(Reader& r, Codec& c) {
  uint8_t v = 0;
  Get(r, v);
  if (v >= static_cast<uint8_t>(Codec::kUInt8)) throw DecodeError("bad-stream-codec");
  c = static_cast<Codec>(v);
}

uint64_t ModelConfig::NumParams() const {
  const uint64_t c = d_model, h = d_mlp, t = context, v = kVocab;
  const uint64_t embedding = v * c + t * c;     // wte, wpe
  const uint64_t attention = 3 * c * c + 2 * c  // w_qkv, b_qv
                             + c * c + c;       // w_proj, b_proj
  const uint64_t mlp = h * c + h + c * h + c;   // w_fc, b_fc, w_proj, b_proj
  const uint64_t head = v * c + v;              // w, b
  return embedding + n_layer * (attention + mlp) + head;
}

Uint256 ModelConfig::Hash() const { return SerializeTaggedHash(tags::kModelConfig, *this); }

float ModelConfig::LearningRate(uint64_t step) const {
  const double peak = lr;
  if (warmup_steps > 0 && step < warmup_steps) {
    return static_cast<float>(peak * static_cast<double>(step + 1) / warmup_steps);
  }
  if (decay_steps == 0) return lr;
  if (step >= decay_steps) return lr_min;
  // Cosine from peak at the end of warm-up down to lr_min at decay_steps.
  const double progress =
      static_cast<double>(step - warmup_steps) / static_cast<double>(decay_steps - warmup_steps);
  const double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
  return static_cast<float>(lr_min + (peak - lr_min) * cosine);
}

namespace {

Status Invalid(std::string_view field, std::string_view why) {
  return Status::InvalidArgument("model config: " + std::string(field) + " " + std::string(why));
}

bool FinitePositive(float x) { return std::isfinite(x) && x > 0.0f; }

}  // namespace

Status ModelConfig::Validate() const {
  if (n_layer < 1 || n_layer > kMaxLayers) return Invalid("n_layer", "out of range");
  if (stream_codec != Codec::kFloat32 && stream_codec != Codec::kBFloat16 &&
      stream_codec != Codec::kInt8Rows)
    return Invalid("stream_codec", "must be fp32, bf16 or int8 rows");
  if (d_model < 1 || d_model > kMaxWidth) return Invalid("d_model", "out of range");
  if (n_head < 1 || d_model % n_head != 0) return Invalid("n_head", "must divide d_model");
  if (d_mlp < 1 || d_mlp > 4 * kMaxWidth) return Invalid("d_mlp", "out of range");
  if (context < 1 || context > kMaxContext) return Invalid("context", "out of range");
  if (batch < 1 || batch > kMaxBatch) return Invalid("batch", "out of range");
  if (lanes < 1 || lanes > kMaxLanes) return Invalid("lanes", "out of range");
  if (sections < 1 || sections > kMaxSections) return Invalid("sections", "out of range");
  if (head_groups < 1 || head_groups > n_head)
    return Invalid("head_groups", "must be in [1, n_head]");
  if (query_segments < 1 || query_segments > context) {
    return Invalid("query_segments", "must be in [1, context]");
  }
  if (!FinitePositive(lr)) return Invalid("lr", "must be finite and positive");
  if (!std::isfinite(lr_min) || lr_min < 0.0f || lr_min > lr)
    return Invalid("lr_min", "must be in [0, lr]");
  if (decay_steps != 0 && decay_steps <= warmup_steps) {
    return Invalid("decay_steps", "must be 0 or after warmup_steps");
  }
  if (!(beta1 >= 0.0f && beta1 < 1.0f)) return Invalid("beta1", "must be in [0, 1)");
  if (!(beta2 >= 0.0f && beta2 < 1.0f)) return Invalid("beta2", "must be in [0, 1)");
  if (!FinitePositive(adam_eps)) return Invalid("adam_eps", "must be finite and positive");
  if (!std::isfinite(weight_decay) || weight_decay < 0.0f)
    return Invalid("weight_decay", "must be ≥ 0");
  if (!FinitePositive(tolerance) || tolerance >= 1.0f)
    return Invalid("tolerance", "must be in (0, 1)");
  return Status::OK();
}

std::vector<std::string_view> PresetNames() { return {"tiny", "devnet", "gpt2-small"}; }

Status PresetConfig(std::string_view name, ModelConfig* out) {
  ModelConfig c;
  c.name = std::string(name);
  if (name == "tiny") {
    c.n_layer = 2;
    c.d_model = 32;
    c.n_head = 4;
    c.d_mlp = 128;
    c.context = 16;
    c.batch = 8;
    c.lanes = 2;
    c.sections = 3;
    c.head_groups = 2;
    c.query_segments = 2;
    c.optimizer = Optimizer::kSgd;
    // At 0.05 and above, tiny's SGD is chaotic after ~150 steps: two
    // monolithic runs differing only in thread count drift apart
    // exponentially. 0.02 stays within 2e-7 for 300 steps.
    c.lr = 0.02f;
    c.lr_min = 0.02f;
    c.seed = 1;
  } else if (name == "devnet") {
    // DESIGN §5: this shape at AdamW 1e-3 (constant) reaches ~90% exact
    // match on held-out 3-digit addition after ~3,500 steps. The same peak
    // after a short warm-up, decayed by cosine, got there in ~2,000 steps
    // here; a 3e-3 peak was far slower (17% at 2,750). doc/benchmarks.md.
    c.n_layer = 4;
    c.d_model = 128;
    c.n_head = 4;
    c.d_mlp = 512;
    c.context = 16;
    c.batch = 32;
    c.lanes = 2;  // 2 × 32 = 64 rows per step
    c.sections = 4;
    c.head_groups = 2;
    c.query_segments = 2;
    c.optimizer = Optimizer::kAdamW;
    c.lr = 1e-3f;
    c.lr_min = 5e-5f;
    c.warmup_steps = 100;
    c.decay_steps = 4500;
    c.seed = 20240601;
  } else if (name == "gpt2-small") {
    c.n_layer = 12;
    c.d_model = 768;
    c.n_head = 12;
    c.d_mlp = 3072;
    c.context = 1024;
    c.batch = 8;
    c.lanes = 4;
    c.sections = 12;  // one block per section: imbalance 0.12 (16 would give 0.56)
    c.head_groups = 4;
    c.query_segments = 4;
    c.optimizer = Optimizer::kAdamW;
    c.lr = 6e-4f;
    c.lr_min = 6e-5f;
    c.warmup_steps = 700;
    c.decay_steps = 20000;
    c.weight_decay = 0.1f;
    c.beta2 = 0.95f;
    c.seed = 124;
  } else {
    return Status::NotFound("no model preset named '" + std::string(name) + "'");
  }
  *out = std::move(c);
  return Status::OK();
}

}  // namespace cc::compute
