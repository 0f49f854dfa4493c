// The GPT model: building blocks, the whole model, the model cut into work
// units, the monolithic reference trainer and greedy generation.
//
// Read top to bottom. Dimension legend (compute/model_config.h):
//   B batch rows, T context, C width, NH heads, HS = C/NH head size,
//   H MLP hidden units, L blocks, V = 256 byte vocabulary.
// A shard or a head group works on n of the NH heads (n·HS channels) or n of
// the H hidden units; its tensors carry n in their shapes.
//
// Everything is binary32. Anything a block commits to goes through
// EncodedTensor (compute/tensor.h); torch tensors never leave this file.

#include "compute/torch/model.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <tuple>
#include <type_traits>
#include <utility>

namespace cc::compute {

// ---------------------------------------------------------------------------
// Process-wide libtorch settings.

void SetTorchThreads(int n) { at::set_num_threads(n); }
void SetThreadTorchThreads(int n) {
  // libtorch initialises a thread's count on its first use, from the last
  // count set anywhere: do that first, so it does not undo this setting.
  (void)at::get_num_threads();
  at::set_num_threads(n);
}
int TorchThreads() { return at::get_num_threads(); }
std::string TorchBuildConfig() { return torch::show_config(); }
bool CudaAvailable() { return torch::cuda::is_available(); }
int CudaDeviceCount() { return static_cast<int>(torch::cuda::device_count()); }

namespace {

constexpr double kLayerNormEps = 1e-5;

// ---------------------------------------------------------------------------
// Building blocks. Each is a pure function of its tensors.

// Layer norm without gain or bias (compute/params.h says why).
at::Tensor LayerNorm(const at::Tensor& x) {  // (B, T, C) -> (B, T, C)
  return at::layer_norm(x, {x.size(-1)}, /*weight=*/{}, /*bias=*/{}, kLayerNormEps);
}

double AttentionScale(int64_t head_size) { return 1.0 / std::sqrt(static_cast<double>(head_size)); }

// (B, T, n·HS) -> (B, n, T, HS): channels are head-major.
at::Tensor SplitHeads(const at::Tensor& x, int64_t head_size) {
  return x.view({x.size(0), x.size(1), x.size(2) / head_size, head_size}).transpose(1, 2);
}
// (B, n, T, HS) -> (B, T, n·HS)
at::Tensor MergeHeads(const at::Tensor& x) {
  return x.transpose(1, 2).reshape({x.size(0), x.size(2), x.size(1) * x.size(3)});
}

// Causal self-attention, the whole score matrix at once. The queries are
// the last Tq of the Tk positions: Tq = Tk in a monolithic step; Tq < Tk
// when a session's cached keys precede the new positions, and in an
// ATTENTION unit, whose query segment sees the keys up to its last row.
// q: (B, n, Tq, HS); k, v: (B, n, Tk, HS) -> (B, n, Tq, HS)
at::Tensor CausalAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  const int64_t tq = q.size(2), tk = k.size(2);
  at::Tensor scores =
      at::matmul(q, k.transpose(-2, -1)) * AttentionScale(q.size(3));  // (B, n, Tq, Tk)
  const at::Tensor future =
      at::ones({tq, tk}, q.options().dtype(at::kBool)).triu(/*diagonal=*/1 + tk - tq);
  scores = scores.masked_fill(future, -std::numeric_limits<float>::infinity());
  return at::matmul(at::softmax(scores, /*dim=*/-1), v);
}

// The bias of q | k | v from that of q | v: keys have none (compute/params.h).
// b_qv: (2n) -> (3n)
at::Tensor QkvBias(const at::Tensor& b_qv) {
  const int64_t n = b_qv.size(0) / 2;
  return at::cat({b_qv.narrow(0, 0, n), at::zeros({n}, b_qv.options()), b_qv.narrow(0, n, n)});
}

// MLP of a pre-norm block (or of n of its hidden units), without the residual.
// x: (B, T, C); w_fc: (n, C); b_fc: (n); w_proj: (C, n); b_proj: (C) or undefined
at::Tensor MlpDelta(const at::Tensor& x, const at::Tensor& w_fc, const at::Tensor& b_fc,
                    const at::Tensor& w_proj, const at::Tensor& b_proj) {
  const at::Tensor hidden = at::gelu(at::linear(LayerNorm(x), w_fc, b_fc));  // (B, T, n)
  return at::linear(hidden, w_proj, b_proj);                                 // (B, T, C)
}

// Per-row cross-entropy of the targets: logits (…, V), targets (…) int64 -> (…)
at::Tensor TokenLoss(const at::Tensor& logits, const at::Tensor& targets) {
  return -at::log_softmax(logits, /*dim=*/-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1);
}

// A lane's loss: the mean token loss over the positions its mask selects
// (0 when it selects none). logits (B, T, V); targets (B, T) int64; mask (B, T) float
at::Tensor MaskedLoss(const at::Tensor& logits, const at::Tensor& targets, const at::Tensor& mask) {
  return (TokenLoss(logits, targets) * mask).sum() / mask.sum().clamp_min(1.0);
}

// ---------------------------------------------------------------------------
// The whole model, from full parameter tensors (compute/params.h's table).

struct Gpt {
  at::Tensor wte;  // (V, C)
  at::Tensor wpe;  // (T, C)
  struct Block {
    at::Tensor w_qkv;        // (3C, C)
    at::Tensor b_qv;         // (2C)
    at::Tensor w_attn_proj;  // (C, C)
    at::Tensor b_attn_proj;  // (C)
    at::Tensor w_fc;         // (H, C)
    at::Tensor b_fc;         // (H)
    at::Tensor w_mlp_proj;   // (C, H)
    at::Tensor b_mlp_proj;   // (C)
  };
  std::vector<Block> blocks;  // L
  at::Tensor head_w;          // (V, C)
  at::Tensor head_b;          // (V)
};

// params[i] shaped as ModelParams(config)[i].
Gpt GptFromParams(const ModelConfig& config, const std::vector<at::Tensor>& params) {
  Gpt gpt;
  gpt.wte = params[kParamWte];
  gpt.wpe = params[kParamWpe];
  for (uint32_t l = 0; l < config.n_layer; ++l) {
    auto p = [&](BlockParam which) { return params[BlockParamIndex(l, which)]; };
    gpt.blocks.push_back({p(BlockParam::kAttnWQkv), p(BlockParam::kAttnBQv),
                          p(BlockParam::kAttnWProj), p(BlockParam::kAttnBProj),
                          p(BlockParam::kMlpWFc), p(BlockParam::kMlpBFc), p(BlockParam::kMlpWProj),
                          p(BlockParam::kMlpBProj)});
  }
  gpt.head_w = params[HeadWeightIndex(config)];
  gpt.head_b = params[HeadBiasIndex(config)];
  return gpt;
}

// The atoms of the whole model (compute/partition.h), each a function of the
// stream; GptForward chains them all, a SectionServer those of its hop.

// EMB: tokens at positions [p0, p0 + t). tokens: (B, t) int64 -> (B, t, C)
at::Tensor Embed(const Gpt& gpt, const at::Tensor& tokens, int64_t p0) {
  const int64_t b = tokens.size(0), t = tokens.size(1);
  return gpt.wte.index_select(0, tokens.reshape(-1)).view({b, t, gpt.wte.size(1)}) +
         gpt.wpe.narrow(0, p0, t);
}

// Keys and values of one layer's earlier positions in a session.
struct KvCache {
  at::Tensor k;  // (B, NH, n, HS), or undefined when n = 0
  at::Tensor v;  // (B, NH, n, HS)
};

// ATT: a block's attention output, without the residual. With a cache, x
// holds the positions after the cached ones, and their keys and values are
// appended to it. x: (B, t, C) -> (B, t, C)
at::Tensor AttentionDelta(const Gpt::Block& block, const at::Tensor& x, int64_t head_size,
                          KvCache* cache) {
  const int64_t c = x.size(-1);
  const at::Tensor qkv = at::linear(LayerNorm(x), block.w_qkv, QkvBias(block.b_qv));  // (B, t, 3C)
  const std::vector<at::Tensor> parts = qkv.split(c, /*dim=*/-1);  // 3 × (B, t, C)
  at::Tensor k = SplitHeads(parts[1], head_size), v = SplitHeads(parts[2], head_size);
  if (cache != nullptr) {
    if (cache->k.defined()) {
      k = at::cat({cache->k, k}, /*dim=*/2);  // (B, NH, n + t, HS)
      v = at::cat({cache->v, v}, /*dim=*/2);
    }
    cache->k = k;
    cache->v = v;
  }
  const at::Tensor y = CausalAttention(SplitHeads(parts[0], head_size), k, v);  // (B, NH, t, HS)
  return at::linear(MergeHeads(y), block.w_attn_proj, block.b_attn_proj);
}

// MLP: a block's MLP output, without the residual. x: (B, t, C) -> (B, t, C)
at::Tensor BlockMlpDelta(const Gpt::Block& block, const at::Tensor& x) {
  return MlpDelta(x, block.w_fc, block.b_fc, block.w_mlp_proj, block.b_mlp_proj);
}

// HEAD: x (…, C) -> logits (…, V)
at::Tensor Logits(const Gpt& gpt, const at::Tensor& x) {
  return at::linear(LayerNorm(x), gpt.head_w, gpt.head_b);
}

// tokens: (B, t) int64 with t ≤ T -> logits (B, t, V)
at::Tensor GptForward(const ModelConfig& config, const Gpt& gpt, const at::Tensor& tokens) {
  at::Tensor x = Embed(gpt, tokens, /*p0=*/0);  // (B, t, C)
  for (const Gpt::Block& block : gpt.blocks) {
    x = x + AttentionDelta(block, x, config.head_size(), /*cache=*/nullptr);
    x = x + BlockMlpDelta(block, x);
  }
  return Logits(gpt, x);  // (B, t, V)
}

// ---------------------------------------------------------------------------
// Moving tensors in and out.

std::vector<int64_t> Sizes(const std::vector<uint64_t>& shape) {
  return {shape.begin(), shape.end()};
}

// A committed fp32 tensor on `device`. On the CPU this is a view of the
// caller's bytes, valid only while they live: a tensor that must outlive the
// call (a saved forward graph) is cloned where it is made.
at::Tensor FloatTensor(const EncodedTensor& t, const at::Device& device) {
  void* data = const_cast<uint8_t*>(t.payload.data());
  return at::from_blob(data, Sizes(t.shape), at::kFloat).to(device);
}

// A committed u8 tensor (token ids or a mask) as int64 on `device`.
at::Tensor ByteTensor(const EncodedTensor& t, const at::Device& device) {
  void* data = const_cast<uint8_t*>(t.payload.data());
  return at::from_blob(data, Sizes(t.shape), at::kByte).to(device, at::kLong);
}

// Encodes float tensors, concatenated flat in order, for commitment as one
// tensor of `shape`: each value is written once, straight from libtorch's
// memory (or the device's) into the payload, which is never zero-filled
// first. Fails on non-finite values, which EncodedTensor cannot hold and no
// block should commit.
// REQUIRES: the parts' element counts sum to product(shape).
Status EncodeParts(std::span<const at::Tensor> parts, const std::vector<uint64_t>& shape,
                   EncodedTensor* out) {
  int64_t numel = 0;
  for (const at::Tensor& part : parts) numel += part.numel();
  EncodedTensor t;
  t.codec = Codec::kFloat32;
  t.shape = shape;
  t.payload.reserve(4 * static_cast<size_t>(numel));  // no reallocation below
  for (const at::Tensor& part : parts) {
    const size_t bytes = 4 * static_cast<size_t>(part.numel());
    if (part.device().is_cpu() && part.scalar_type() == at::kFloat && part.is_contiguous()) {
      // The common case, without a libtorch op: each costs a dispatch.
      const auto* begin = reinterpret_cast<const uint8_t*>(part.data_ptr<float>());
      t.payload.insert(t.payload.end(), begin, begin + bytes);
    } else {
      const size_t at = t.payload.size();
      t.payload.resize(at + bytes);
      at::from_blob(t.payload.data() + at, part.sizes(), at::kFloat).copy_(part.detach());
    }
  }
  if (!CheckEncoding(t).ok()) return Status::InvalidArgument("non-finite output");
  *out = std::move(t);
  return Status::OK();
}

Status Encode(const at::Tensor& t, const std::vector<uint64_t>& shape, EncodedTensor* out) {
  return EncodeParts(std::span<const at::Tensor>(&t, 1), shape, out);
}

// The parameters as tensors on `device` (copies); with `wanted`, only those
// it marks, the others left undefined.
std::vector<at::Tensor> ParamTensors(const ModelConfig& config, const ParamValues& values,
                                     const at::Device& device,
                                     const std::vector<bool>* wanted = nullptr) {
  const std::vector<ParamSpec> specs = ModelParams(config);
  std::vector<at::Tensor> tensors;
  for (size_t i = 0; i < specs.size(); ++i) {
    if (wanted != nullptr && !(*wanted)[i]) {
      tensors.emplace_back();
      continue;
    }
    void* data = const_cast<float*>(values[i].data());
    tensors.push_back(
        at::from_blob(data, Sizes(specs[i].shape), at::kFloat).to(device, false, true));
  }
  return tensors;
}

ParamValues ParamValuesOf(const std::vector<at::Tensor>& tensors) {
  ParamValues values;
  for (const at::Tensor& t : tensors) {
    const at::Tensor cpu = t.detach().to(at::kCPU).contiguous();
    values.emplace_back(cpu.data_ptr<float>(), cpu.data_ptr<float>() + cpu.numel());
  }
  return values;
}

// ---------------------------------------------------------------------------
// The model cut into units (compute/plan.h). A stage runs its section's ops
// of one region on the stream; its parameters are views into its slice of
// the section's flat weight vector.

// What one run of a stage produced, kept with its autograd graph when a
// BACKWARD of the same stage is expected.
struct StageRun {
  at::Tensor weights;              // (P_stage): the stage's slice of W_s
  std::vector<at::Tensor> params;  // leaves: one view of `weights` per parameter slice, in order
  at::Tensor stream_in;            // (B, T, C) leaf: the sum of the stream parts; or undefined
  at::Tensor y_in;  // (B, T, n·HS) leaf: attention output of the first op's heads; or undefined
  at::Tensor stream_out;  // (B, T, C) or undefined
  at::Tensor qkv;         // (B, T, 3·n·HS) or undefined
  at::Tensor loss;        // () or undefined
};

}  // namespace

struct UnitRunner::Impl {
  ModelConfig config;
  Partition partition;
  std::vector<ParamSpec> specs;
  std::vector<std::vector<Op>> section_ops;  // SectionOps of each section
  at::Device device{at::kCPU};
  bool keep_forward_state = false;
  // Saved FORWARD runs: (step, lane, section, region) -> (input digest, run).
  // Units run on several threads at once (UnitRunner::Run): `saved` is the
  // only state they share.
  mutable std::mutex saved_mu;
  std::map<std::tuple<uint64_t, uint32_t, uint32_t, uint32_t>, std::pair<Uint256, StageRun>>
      saved;  // GUARDED_BY(saved_mu)

  std::vector<Op> StageOps(uint32_t section, uint32_t region) const {
    std::vector<Op> ops;
    for (const Op& op : section_ops[section]) {
      if (op.region == region) ops.push_back(op);
    }
    return ops;
  }

  // The parameters of `op`: views of the stage's weights (which start at
  // flat offset `stage_begin` of W_s), shaped as PieceSlices says. Each is a
  // leaf of its own: gradients of views of one flat leaf would each be
  // materialised at the flat leaf's full size.
  std::vector<at::Tensor> OpParams(const Piece& piece, const Op& op, uint64_t stage_begin,
                                   bool grad, StageRun* run) const {
    const std::vector<ParamSlice> slices = PieceSlices(config, piece);
    std::vector<at::Tensor> views;
    int64_t at = static_cast<int64_t>(op.param_offset - stage_begin);
    for (uint32_t i = op.first_slice; i < op.first_slice + op.num_slices; ++i) {
      const std::vector<uint64_t> shape = slices[i].Shape(specs);
      const auto n = static_cast<int64_t>(slices[i].NumElements(specs));
      views.push_back(
          run->weights.narrow(0, at, n).view(Sizes(shape)).detach().requires_grad_(grad));
      run->params.push_back(views.back());
      at += n;
    }
    return views;
  }

  // q, k and v of heads [h0, h1) from qkv tensors that each hold a run of
  // heads (their slots say which). Returns three (B, n, T, HS) tensors.
  std::array<at::Tensor, 3> GatherQkv(const PlannedUnit& unit,
                                      const std::vector<at::Tensor>& qkv_inputs, uint32_t h0,
                                      uint32_t h1) const {
    const int64_t hs = config.head_size();
    std::array<std::vector<at::Tensor>, 3> parts;
    for (size_t i = 0; i < qkv_inputs.size(); ++i) {
      const TensorSlot& slot = unit.inputs[i].slot;
      const int64_t width = (slot.head_end - slot.head_begin) * hs;
      const uint32_t o0 = std::max(h0, slot.head_begin), o1 = std::min(h1, slot.head_end);
      for (int64_t which = 0; which < 3; ++which) {
        parts[which].push_back(
            qkv_inputs[i].narrow(-1, which * width + (o0 - slot.head_begin) * hs, (o1 - o0) * hs));
      }
    }
    return {SplitHeads(at::cat(parts[0], -1), hs), SplitHeads(at::cat(parts[1], -1), hs),
            SplitHeads(at::cat(parts[2], -1), hs)};
  }

  // The attention output of heads [h0, h1), all rows, from ATTENTION slices
  // (head group × query segment, groups outer, segments in order).
  at::Tensor GatherAttention(const std::vector<const TensorSlot*>& slots,
                             const std::vector<at::Tensor>& slices, uint32_t h0,
                             uint32_t h1) const {
    const int64_t hs = config.head_size();
    std::vector<at::Tensor> groups;
    for (size_t i = 0; i < slots.size();) {
      const TensorSlot& slot = *slots[i];
      std::vector<at::Tensor> rows;
      size_t j = i;
      for (; j < slots.size() && slots[j]->head_begin == slot.head_begin; ++j)
        rows.push_back(slices[j]);
      const uint32_t o0 = std::max(h0, slot.head_begin), o1 = std::min(h1, slot.head_end);
      groups.push_back(
          at::cat(rows, /*dim=*/1).narrow(-1, (o0 - slot.head_begin) * hs, (o1 - o0) * hs));
      i = j;
    }
    return at::cat(groups, -1);  // (B, T, n·HS)
  }

  // Runs a stage forward: FORWARD's work, and the first half of BACKWARD's.
  // The stage's tensors view the caller's payloads in place unless `keep`:
  // a run kept for a later BACKWARD owns copies of what its graph reads.
  StageRun Forward(const PlannedUnit& unit, std::span<const EncodedTensor* const> encoded, bool grad,
                   bool keep) const {
    const uint32_t section = unit.id.section;
    const std::vector<Op> ops = StageOps(section, unit.id.layer);
    const std::vector<Piece>& pieces = partition.sections[section].pieces;
    const uint64_t begin = ops.front().param_offset;
    const uint64_t end = ops.back().param_offset + ops.back().param_count;

    StageRun run;
    at::Tensor tokens, targets, mask;
    std::vector<at::Tensor> stream_parts, attention;
    std::vector<const TensorSlot*> attention_slots;
    for (size_t i = 0; i < encoded.size() && i < unit.inputs.size(); ++i) {
      switch (unit.inputs[i].slot.role) {
        case TensorRole::kWeights:
          // Only the stage's slice of W_s goes to a GPU (on the CPU, a view).
          run.weights = FloatTensor(*encoded[i], at::kCPU).narrow(0, begin, end - begin).to(device);
          if (keep) run.weights = run.weights.clone();
          break;
        case TensorRole::kTokens:
          tokens = ByteTensor(*encoded[i], device);
          break;
        case TensorRole::kTargets:
          targets = ByteTensor(*encoded[i], device);
          break;
        case TensorRole::kLossMask:
          mask = ByteTensor(*encoded[i], device).to(at::kFloat);
          break;
        case TensorRole::kStream:
          stream_parts.push_back(FloatTensor(*encoded[i], device));
          break;
        case TensorRole::kAttention:
          attention_slots.push_back(&unit.inputs[i].slot);
          attention.push_back(FloatTensor(*encoded[i], device));
          break;
        default:
          break;  // upstream gradients: BACKWARD's business
      }
    }

    at::Tensor h;  // (B, T, C): the stream as the ops go
    if (!stream_parts.empty()) {
      // One part is the caller's payload: a leaf of its own for autograd, and
      // a copy if the run is kept.
      h = stream_parts.size() == 1 ? (keep ? stream_parts[0].clone() : stream_parts[0].detach())
                                   : stream_parts[0] + stream_parts[1];
      for (size_t i = 2; i < stream_parts.size(); ++i) h = h + stream_parts[i];
      if (grad) h.requires_grad_(true);
      run.stream_in = h;
    }
    for (const Op& op : ops) {
      const Piece& piece = pieces[op.piece];
      const std::vector<at::Tensor> w = OpParams(piece, op, begin, grad, &run);
      switch (op.kind) {
        case OpKind::kEmbed: {
          // wte rows [v0, v1) (+ wpe for shard 0); other tokens embed to 0 here
          // and get their rows from the shard that holds them.
          const int64_t v0 = static_cast<int64_t>(piece.begin),
                        v1 = static_cast<int64_t>(piece.end);
          const at::Tensor mine = (tokens >= v0) & (tokens < v1);       // (B, T)
          const at::Tensor rows = (tokens - v0).clamp(0, v1 - v0 - 1);  // (B, T)
          const at::Tensor e =
              w[0].index_select(0, rows.reshape(-1)).view({tokens.size(0), tokens.size(1), -1});
          h = at::where(mine.unsqueeze(-1), e, at::zeros({}, e.options()));  // (B, T, C)
          if (piece.begin == 0) h = h + w[1];
          break;
        }
        case OpKind::kAttnIn:
          // q | k | v of the piece's heads: (B, T, 3·n·HS)
          run.qkv =
              at::linear(LayerNorm(h), at::cat({w[0], w[1], w[2]}), QkvBias(at::cat({w[3], w[4]})));
          break;
        case OpKind::kAttnOut: {
          run.y_in = GatherAttention(attention_slots, attention, static_cast<uint32_t>(piece.begin),
                                     static_cast<uint32_t>(piece.end));  // (B, T, n·HS)
          if (grad) run.y_in.requires_grad_(true);
          const at::Tensor delta =
              at::linear(run.y_in, w[0], piece.begin == 0 ? w[1] : at::Tensor());
          h = piece.begin == 0 ? h + delta : delta;  // shards past 0 commit their part alone
          break;
        }
        case OpKind::kMlp: {
          const at::Tensor delta =
              MlpDelta(h, w[0], w[1], w[2], piece.begin == 0 ? w[3] : at::Tensor());
          h = piece.begin == 0 ? h + delta : delta;
          break;
        }
        case OpKind::kHead:
          run.loss = MaskedLoss(at::linear(LayerNorm(h), w[0], w[1]), targets, mask);
          break;
      }
    }
    run.stream_out = h;
    return run;
  }

  Status ForwardUnit(const PlannedUnit& unit, std::span<const EncodedTensor* const> inputs,
                     const Uint256* digest, UnitResult* out) {
    const bool keep = keep_forward_state && digest != nullptr;
    std::optional<at::NoGradGuard> no_grad;
    if (!keep) no_grad.emplace();
    StageRun run = Forward(unit, inputs, /*grad=*/keep, keep);
    out->outputs.resize(unit.outputs.size());
    for (size_t i = 0; i < unit.outputs.size(); ++i) {
      const TensorSlot& slot = unit.outputs[i];
      const at::Tensor& t = slot.role == TensorRole::kQkv ? run.qkv : run.stream_out;
      Status s = Encode(t, slot.shape, &out->outputs[i]);
      if (!s.ok()) return s;
    }
    if (unit.has_loss) {
      out->loss = run.loss.item<float>();
      if (!std::isfinite(out->loss)) return Status::InvalidArgument("non-finite loss");
    }
    if (keep) {
      std::lock_guard<std::mutex> lock(saved_mu);
      // A step starts only once every BACKWARD of the one before is accepted,
      // so a state of an earlier step left here belongs to a BACKWARD that
      // another worker computed: it would never be used, and on a network
      // (where the schedule rotates units between workers) such states are
      // most of them — kept, they grew a devnet worker by ~15 MB a step.
      saved.erase(saved.begin(), saved.lower_bound(std::make_tuple(unit.id.step, 0u, 0u, 0u)));
      saved[{unit.id.step, unit.id.lane, unit.id.section, unit.id.layer}] = {*digest,
                                                                             std::move(run)};
    }
    return Status::OK();
  }

  Status BackwardUnit(const PlannedUnit& unit, std::span<const EncodedTensor* const> inputs,
                      const Uint256* digest, UnitResult* out) {
    StageRun run;
    bool reused = false;
    if (digest != nullptr) {
      std::lock_guard<std::mutex> lock(saved_mu);
      auto it =
          saved.find(std::make_tuple(unit.id.step, unit.id.lane, unit.id.section, unit.id.layer));
      if (it != saved.end() && it->second.first == *digest) {
        run = std::move(it->second.second);
        saved.erase(it);
        reused = true;
      }
    }
    if (!reused) {
      // eq. 5: recompute from the committed inputs, which outlive this call
      run = Forward(unit, inputs, /*grad=*/true, /*keep=*/false);
    }

    // Roots of the backward pass and the gradients arriving at them.
    std::vector<at::Tensor> roots, grads;
    at::Tensor stream_grad, attention_grad;
    for (size_t i = 0; i < unit.inputs.size(); ++i) {
      const TensorRole role = unit.inputs[i].slot.role;
      if (role == TensorRole::kStreamGrad) {
        const at::Tensor g = FloatTensor(*inputs[i], device);
        stream_grad = stream_grad.defined() ? stream_grad + g : g;  // Σ over the stream's readers
      } else if (role == TensorRole::kAttentionGrad) {
        attention_grad = FloatTensor(*inputs[i], device);
      }
    }
    if (stream_grad.defined()) {
      roots.push_back(run.stream_out);
      grads.push_back(stream_grad);
    }
    if (attention_grad.defined()) {
      // The stage ends at attention: recompute its heads' attention on its
      // own q, k, v, so the gradient reaches them.
      const int64_t hs = config.head_size(), width = run.qkv.size(-1) / 3;
      const std::vector<at::Tensor> parts = run.qkv.split(width, /*dim=*/-1);
      roots.push_back(MergeHeads(CausalAttention(SplitHeads(parts[0], hs), SplitHeads(parts[1], hs),
                                                 SplitHeads(parts[2], hs))));  // (B, T, n·HS)
      grads.push_back(attention_grad);
    }
    if (run.loss.defined()) {
      roots.push_back(run.loss);
      grads.push_back(at::ones_like(run.loss));
    }
    torch::autograd::backward(roots, grads);

    auto grad_or_zeros = [](const at::Tensor& leaf) {
      return leaf.grad().defined() ? leaf.grad() : at::zeros_like(leaf);
    };
    out->outputs.resize(unit.outputs.size());
    for (size_t i = 0; i < unit.outputs.size(); ++i) {
      const TensorSlot& slot = unit.outputs[i];
      at::Tensor grad;
      if (slot.role == TensorRole::kStreamGrad) {
        grad = grad_or_zeros(run.stream_in);
      } else if (slot.role == TensorRole::kAttentionGrad) {
        grad = grad_or_zeros(run.y_in);
      } else {  // ∂L/∂W over the stage's range, slice by slice, straight into the payload
        std::vector<at::Tensor> parts;
        for (const at::Tensor& p : run.params) parts.push_back(grad_or_zeros(p));
        Status s = EncodeParts(parts, slot.shape, &out->outputs[i]);
        if (!s.ok()) return s;
        continue;
      }
      Status s = Encode(grad, slot.shape, &out->outputs[i]);
      if (!s.ok()) return s;
    }
    return Status::OK();
  }

  Status AttentionUnit(const PlannedUnit& unit, std::span<const EncodedTensor* const> inputs,
                       UnitResult* out) const {
    at::NoGradGuard no_grad;
    const TensorSlot& y = unit.outputs[0];
    std::vector<at::Tensor> qkv;
    for (const EncodedTensor* t : inputs) qkv.push_back(FloatTensor(*t, device));
    const auto [q, k, v] = GatherQkv(unit, qkv, y.head_begin, y.head_end);  // (B, n, T, HS) each
    // One softmax over every visible key, as the monolithic step and the
    // reference backend take it. The blockwise online softmax over key
    // segments (DESIGN §2) is the same function up to rounding, and cost
    // ~20 small ops per segment: 5 ms of a devnet step's 32 units.
    const at::Tensor rows = CausalAttention(q.narrow(2, y.row_begin, y.row_end - y.row_begin),
                                            k.narrow(2, 0, y.row_end),
                                            v.narrow(2, 0, y.row_end));  // (B, n, Tq, HS)
    out->outputs.resize(1);
    return Encode(MergeHeads(rows), y.shape, &out->outputs[0]);
  }
};

UnitRunner::UnitRunner(const ModelConfig& config, const Partition& partition, std::string device,
                       bool keep_forward_state)
    : impl_(std::make_unique<Impl>()) {
  impl_->config = config;
  impl_->partition = partition;
  impl_->specs = ModelParams(config);
  for (const Section& section : partition.sections)
    impl_->section_ops.push_back(SectionOps(config, section));
  impl_->device = at::Device(device);
  impl_->keep_forward_state = keep_forward_state;
}

UnitRunner::~UnitRunner() = default;

Status UnitRunner::Run(const PlannedUnit& unit, std::span<const EncodedTensor* const> inputs,
                       const Uint256* forward_digest, UnitResult* out) {
  *out = UnitResult{};
  try {
    switch (unit.id.kind) {
      case UnitKind::kForward:
        return impl_->ForwardUnit(unit, inputs, forward_digest, out);
      case UnitKind::kBackward:
        return impl_->BackwardUnit(unit, inputs, forward_digest, out);
      case UnitKind::kAttention:
        return impl_->AttentionUnit(unit, inputs, out);
      case UnitKind::kUpdate:
        break;
    }
  } catch (const c10::Error& e) {
    // A libtorch failure (e.g. out of device memory) is ours, not the inputs'.
    return Status::IOError(std::string("libtorch: ") + e.what_without_backtrace());
  }
  return Status::NotSupported("UPDATE units are not run by libtorch");
}

size_t UnitRunner::SavedStates() const {
  std::lock_guard<std::mutex> lock(impl_->saved_mu);
  return impl_->saved.size();
}

// ---------------------------------------------------------------------------
// Monolithic reference training.

struct ReferenceTrainer::Impl {
  ModelConfig config;
  at::Device device{at::kCPU};
  std::vector<at::Tensor> params;  // leaves, ModelParams order
  std::unique_ptr<torch::optim::Optimizer> optimizer;
};

ReferenceTrainer::ReferenceTrainer(const ModelConfig& config, const ParamValues& params,
                                   std::string device)
    : impl_(std::make_unique<Impl>()) {
  impl_->config = config;
  impl_->device = at::Device(device);
  impl_->params = ParamTensors(config, params, impl_->device);
  for (at::Tensor& p : impl_->params) p.requires_grad_(true);
  if (config.optimizer == Optimizer::kSgd) {
    impl_->optimizer =
        std::make_unique<torch::optim::SGD>(impl_->params, torch::optim::SGDOptions(config.lr));
  } else {
    impl_->optimizer = std::make_unique<torch::optim::AdamW>(
        impl_->params, torch::optim::AdamWOptions(config.lr)
                           .betas({config.beta1, config.beta2})
                           .eps(config.adam_eps)
                           .weight_decay(config.weight_decay));
  }
}

ReferenceTrainer::~ReferenceTrainer() = default;

namespace {

// The key of a parameter's optimizer state: its TensorImpl's address, which
// libtorch 1.x writes as a string (as an ostream prints a pointer) and 2.x
// keeps as the pointer.
template <typename Key>
Key OptimizerStateKey(void* impl) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream out;
    out << impl;
    return out.str();
  } else {
    return impl;
  }
}

}  // namespace

Status ReferenceTrainer::Step(uint64_t step, std::span<const EncodedTensor> tokens,
                              std::span<const EncodedTensor> targets,
                              std::span<const EncodedTensor> masks, float* loss) {
  const ModelConfig& c = impl_->config;
  const std::vector<uint64_t> shape = {c.batch, c.context};
  if (tokens.size() != c.lanes || targets.size() != c.lanes || masks.size() != c.lanes) {
    return Status::InvalidArgument("one batch per lane expected");
  }
  std::vector<at::Tensor> x, y, m;
  for (uint32_t j = 0; j < c.lanes; ++j) {
    for (const EncodedTensor* t : {&tokens[j], &targets[j], &masks[j]}) {
      if (t->codec != Codec::kUInt8 || t->shape != shape || !CheckEncoding(*t).ok()) {
        return Status::InvalidArgument("batch tensor is not (B, T) u8");
      }
    }
    x.push_back(ByteTensor(tokens[j], impl_->device));
    y.push_back(ByteTensor(targets[j], impl_->device));
    m.push_back(ByteTensor(masks[j], impl_->device).to(at::kFloat));
  }
  const int64_t lanes = c.lanes;
  const at::Tensor logits =
      GptForward(c, GptFromParams(c, impl_->params), at::cat(x));  // (lanes·B, T, V)
  const at::Tensor token_loss = TokenLoss(logits, at::cat(y)).view({lanes, -1});  // (lanes, B·T)
  const at::Tensor mask = at::cat(m).view({lanes, -1});                           // (lanes, B·T)
  const at::Tensor lane_loss = (token_loss * mask).sum(1) / mask.sum(1).clamp_min(1.0);  // (lanes)
  const at::Tensor mean_loss = lane_loss.mean();
  *loss = mean_loss.item<float>();
  if (!std::isfinite(*loss)) return Status::InvalidArgument("non-finite loss");

  impl_->optimizer->zero_grad();
  mean_loss.backward();
  const double lr = c.LearningRate(step);
  for (torch::optim::OptimizerParamGroup& group : impl_->optimizer->param_groups()) {
    if (c.optimizer == Optimizer::kSgd) {
      static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
    } else {
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
    }
  }
  impl_->optimizer->step();
  return Status::OK();
}

ParamValues ReferenceTrainer::Params() const { return ParamValuesOf(impl_->params); }

ParamValues ReferenceTrainer::Grads() const {
  std::vector<at::Tensor> grads;
  for (const at::Tensor& p : impl_->params)
    grads.push_back(p.grad().defined() ? p.grad() : at::zeros_like(p));
  return ParamValuesOf(grads);
}

void ReferenceTrainer::OptimizerState(ParamValues* m, ParamValues* v) const {
  m->assign(impl_->params.size(), {});
  v->assign(impl_->params.size(), {});
  if (impl_->config.optimizer != Optimizer::kAdamW) return;
  const auto& state = impl_->optimizer->state();
  using Key = std::decay_t<decltype(state)>::key_type;
  for (size_t i = 0; i < impl_->params.size(); ++i) {
    auto it = state.find(OptimizerStateKey<Key>(impl_->params[i].unsafeGetTensorImpl()));
    if (it == state.end()) continue;
    const auto& adam = static_cast<const torch::optim::AdamWParamState&>(*it->second);
    (*m)[i] = ParamValuesOf({adam.exp_avg()})[0];
    (*v)[i] = ParamValuesOf({adam.exp_avg_sq()})[0];
  }
}

// ---------------------------------------------------------------------------
// Greedy generation.

Status GenerateGreedy(const ModelConfig& config, const ParamValues& params,
                      const std::string& device, std::span<const std::string> prompts,
                      uint32_t max_tokens, std::vector<std::string>* out) {
  for (const std::string& prompt : prompts) {
    if (prompt.empty()) return Status::InvalidArgument("empty prompt");
  }
  at::NoGradGuard no_grad;
  const at::Device dev(device);
  const Gpt gpt = GptFromParams(config, ParamTensors(config, params, dev));
  out->assign(prompts.size(), "");
  // Prompts of one length form one batch.
  std::map<size_t, std::vector<size_t>> by_length;
  for (size_t i = 0; i < prompts.size(); ++i) by_length[prompts[i].size()].push_back(i);
  for (const auto& [length, members] : by_length) {
    std::vector<uint8_t> bytes;
    for (size_t i : members) bytes.insert(bytes.end(), prompts[i].begin(), prompts[i].end());
    at::Tensor tokens =
        at::from_blob(bytes.data(),
                      {static_cast<int64_t>(members.size()), static_cast<int64_t>(length)},
                      at::kByte)
            .to(dev, at::kLong);  // (N, t)
    std::vector<bool> done(members.size(), false);
    for (uint32_t step = 0; step < max_tokens; ++step) {
      const int64_t t = std::min<int64_t>(tokens.size(1), config.context);
      const at::Tensor logits =
          GptForward(config, gpt, tokens.narrow(1, tokens.size(1) - t, t));  // (N, t, V)
      const at::Tensor next = logits.select(1, t - 1).argmax(-1);            // (N)
      tokens = at::cat({tokens, next.unsqueeze(1)}, 1);
      const at::Tensor next_cpu = next.to(at::kCPU);
      bool all_done = true;
      for (size_t r = 0; r < members.size(); ++r) {
        if (done[r]) continue;
        const char byte = static_cast<char>(next_cpu[static_cast<int64_t>(r)].item<int64_t>());
        (*out)[members[r]].push_back(byte);
        done[r] = byte == '\n';
        all_done = all_done && done[r];
      }
      if (all_done) break;
    }
  }
  return Status::OK();
}

// ---------------------------------------------------------------------------
// Serving a hop of sections to inference sessions (compute/serve.h): the
// atoms above, applied to B = 1 row with each session's key/value cache.

namespace {

class TorchSectionServer final : public SectionServer {
 public:
  TorchSectionServer(const ModelConfig& config, const Partition& partition,
                     const ParamValues& params, const std::string& device, uint32_t begin,
                     uint32_t end, const ServeLimits& limits)
      : config_(config),
        begin_(begin),
        end_(end),
        limits_(limits),
        device_(device),
        embeds_(begin == 0) {
    // The hop's atoms in model order; the shards of an atom are all here
    // (CheckServeRange), so each atom is run whole.
    std::vector<bool> wanted(ModelParams(config).size(), false);
    for (uint32_t s = begin; s < end; ++s) {
      for (const Piece& piece : partition.sections[s].pieces) {
        if (piece.shard != 0) continue;
        atoms_.push_back({piece.kind, piece.layer});
        switch (piece.kind) {
          case AtomKind::kEmbedding:
            wanted[kParamWte] = wanted[kParamWpe] = true;
            break;
          case AtomKind::kAttention:
            for (BlockParam p : {BlockParam::kAttnWQkv, BlockParam::kAttnBQv,
                                 BlockParam::kAttnWProj, BlockParam::kAttnBProj})
              wanted[BlockParamIndex(piece.layer, p)] = true;
            attention_layers_.push_back(piece.layer);
            break;
          case AtomKind::kMlp:
            for (BlockParam p : {BlockParam::kMlpWFc, BlockParam::kMlpBFc, BlockParam::kMlpWProj,
                                 BlockParam::kMlpBProj})
              wanted[BlockParamIndex(piece.layer, p)] = true;
            break;
          case AtomKind::kHead:
            wanted[HeadWeightIndex(config)] = wanted[HeadBiasIndex(config)] = true;
            break;
        }
      }
    }
    at::NoGradGuard no_grad;
    gpt_ = GptFromParams(config, ParamTensors(config, params, device_, &wanted));
  }

  uint32_t begin() const override { return begin_; }
  uint32_t end() const override { return end_; }

  Status Step(const Uint256& session, uint32_t position, const EncodedTensor& input,
              EncodedTensor* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    DropExpired();
    // Shape of the input (compute/serve.h), checked before anything changes.
    const bool shape_ok = embeds_ ? input.codec == Codec::kUInt8 && input.shape.size() == 1
                                  : input.codec == Codec::kFloat32 && input.shape.size() == 2 &&
                                        input.shape[1] == config_.d_model;
    if (!shape_ok || !CheckEncoding(input).ok()) {
      return Status::InvalidArgument(embeds_ ? "bad-serve-input: expected (t) u8 token ids"
                                             : "bad-serve-input: expected a (t, C) fp32 stream");
    }
    const uint64_t t = input.shape[0];
    if (t == 0 || position + t > config_.context) {
      return Status::InvalidArgument("bad-serve-input: positions [" + std::to_string(position) +
                                     ", " + std::to_string(position + t) +
                                     ") are not within the context of " +
                                     std::to_string(config_.context));
    }
    auto it = sessions_.find(session);
    if (position > 0) {
      if (it == sessions_.end()) return Status::NotFound("unknown-session");
      if (it->second.length != position) {
        return Status::InvalidArgument("bad-serve-position: the session holds " +
                                       std::to_string(it->second.length) + " positions, not " +
                                       std::to_string(position));
      }
      lru_.splice(lru_.end(), lru_, it->second.lru);
    } else {
      if (it == sessions_.end()) {
        if (sessions_.size() >= limits_.max_sessions) Evict(lru_.front());
        it = sessions_.emplace(session, Session{}).first;
        it->second.lru = lru_.insert(lru_.end(), session);
      } else {
        lru_.splice(lru_.end(), lru_, it->second.lru);
      }
      it->second.caches.assign(attention_layers_.size(), KvCache{});
      it->second.length = 0;
      ++stats_.sessions_started;
    }
    Session& state = it->second;
    state.last_used = std::chrono::steady_clock::now();
    try {
      at::NoGradGuard no_grad;
      Status s = Run(state, position, input, out);
      if (!s.ok()) return s;
    } catch (const c10::Error& e) {
      Evict(session);
      return Status::IOError(std::string("libtorch: ") + e.what_without_backtrace());
    }
    state.length = position + static_cast<uint32_t>(t);
    stats_.positions += t;
    return Status::OK();
  }

  bool EndSession(const Uint256& session) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sessions_.find(session);
    if (it == sessions_.end()) return false;
    lru_.erase(it->second.lru);
    sessions_.erase(it);
    return true;
  }

  ServeStats Stats() const override {
    std::lock_guard<std::mutex> lock(mu_);
    ServeStats stats = stats_;
    stats.sessions = sessions_.size();
    return stats;
  }

 private:
  struct Session {
    std::vector<KvCache> caches;  // one per served attention layer, in attention_layers_ order
    uint32_t length = 0;          // positions cached
    std::chrono::steady_clock::time_point last_used;
    std::list<Uint256>::iterator lru;
  };

  // REQUIRES: mu_ held; input checked by Step.
  Status Run(Session& state, uint32_t position, const EncodedTensor& input, EncodedTensor* out) {
    const auto t = static_cast<int64_t>(input.shape[0]);
    at::Tensor x;  // (1, t, C)
    if (embeds_) {
      x = ByteTensor(input, device_).view({1, t});  // token ids until EMB runs
    } else {
      x = FloatTensor(input, device_).view({1, t, config_.d_model});
    }
    size_t attention = 0;
    for (const auto& [kind, layer] : atoms_) {
      switch (kind) {
        case AtomKind::kEmbedding:
          x = Embed(gpt_, x, position);
          break;
        case AtomKind::kAttention:
          x = x + AttentionDelta(gpt_.blocks[layer], x, config_.head_size(),
                                 &state.caches[attention++]);
          break;
        case AtomKind::kMlp:
          x = x + BlockMlpDelta(gpt_.blocks[layer], x);
          break;
        case AtomKind::kHead:
          return Encode(Logits(gpt_, x.select(1, t - 1)).reshape({-1}).contiguous(), {kVocab}, out);
      }
    }
    return Encode(x.reshape({t, config_.d_model}).contiguous(),
                  {static_cast<uint64_t>(t), config_.d_model}, out);
  }

  // REQUIRES: mu_ held.
  void Evict(const Uint256& session) {
    auto it = sessions_.find(session);
    if (it == sessions_.end()) return;
    lru_.erase(it->second.lru);
    sessions_.erase(it);
    ++stats_.sessions_evicted;
  }

  // REQUIRES: mu_ held. The least recently used come first in lru_.
  void DropExpired() {
    const auto now = std::chrono::steady_clock::now();
    while (!lru_.empty()) {
      const Session& oldest = sessions_.at(lru_.front());
      if (now - oldest.last_used < limits_.session_timeout) break;
      Evict(lru_.front());
    }
  }

  const ModelConfig config_;
  const uint32_t begin_, end_;
  const ServeLimits limits_;
  const at::Device device_;
  const bool embeds_;
  std::vector<std::pair<AtomKind, uint32_t>> atoms_;  // (kind, layer), model order
  std::vector<uint32_t> attention_layers_;            // layers whose ATT the hop runs
  Gpt gpt_;                                           // the hop's parameters only

  mutable std::mutex mu_;
  std::map<Uint256, Session> sessions_;  // GUARDED_BY(mu_)
  std::list<Uint256> lru_;               // GUARDED_BY(mu_): least recently used first
  ServeStats stats_;                     // GUARDED_BY(mu_)
};

}  // namespace

std::unique_ptr<SectionServer> MakeTorchSectionServer(const ModelConfig& config,
                                                      const Partition& partition,
                                                      const ParamValues& params,
                                                      const std::string& device, uint32_t begin,
                                                      uint32_t end, const ServeLimits& limits) {
  return std::make_unique<TorchSectionServer>(config, partition, params, device, begin, end,
                                              limits);
}

}  // namespace cc::compute
