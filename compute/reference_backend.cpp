// The reference execution, read top to bottom (llm.c style): building blocks
// with their backward passes, then a stage forward and backward, then the
// units. Dimension legend as in compute/model_config.h; R = B·T rows of the
// stream, n the heads (or hidden units) of a piece, HS the head size.
// Tensors are row-major binary32 vectors; every sum is a binary64
// accumulator in index order (reference_backend.h says why).

#include "compute/reference_backend.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "compute/exact_math.h"
#include "compute/update.h"

namespace cc::compute {

namespace {

using Floats = std::vector<float>;
using Doubles = std::vector<double>;

constexpr double kLayerNormEps = 1e-5;  // as compute/torch/model.cpp
constexpr double kInvSqrt2 = 0.707106781186547524400844362105;
constexpr double kInvSqrt2Pi = 0.398942280401432677939946059934;

// The fp32 payload of a (layout-checked) tensor.
Floats Load(const EncodedTensor& t) {
  Floats v(t.payload.size() / 4);
  std::memcpy(v.data(), t.payload.data(), t.payload.size());
  return v;
}

// a += b, element by element in binary32 (as libtorch adds two tensors).
void AddInto(Floats* a, const Floats& b) {
  for (size_t i = 0; i < a->size(); ++i) (*a)[i] += b[i];
}

// ---------------------------------------------------------------------------
// Building blocks.

// y (R, O) = x (R, I) · wᵀ + b, w (O, I) row-major, b (O) or null.
// Each y[r][o] = Σ_i x[r][i]·w[o][i], i = 0, 1, … in order, then + b[o].
// The loops run over wᵀ so that the innermost one goes across outputs,
// each with its own accumulator: it vectorises without reordering any sum.
void Linear(const float* x, const float* w, const float* b, size_t rows, size_t in, size_t out,
            float* y) {
  Floats wt(in * out);  // (I, O)
  for (size_t o = 0; o < out; ++o) {
    for (size_t i = 0; i < in; ++i) wt[i * out + o] = w[o * in + i];
  }
  Doubles acc(out);
  for (size_t r = 0; r < rows; ++r) {
    std::fill(acc.begin(), acc.end(), 0.0);
    for (size_t i = 0; i < in; ++i) {
      const double xi = x[r * in + i];
      const float* wi = &wt[i * out];
      for (size_t o = 0; o < out; ++o) acc[o] += xi * wi[o];
    }
    for (size_t o = 0; o < out; ++o) {
      const double sum = b != nullptr ? acc[o] + b[o] : acc[o];
      y[r * out + o] = static_cast<float>(sum);
    }
  }
}

// The backward pass of Linear for dy (R, O):
//   dx (R, I) = dy · w            (if dx)
//   dw (O, I) = dyᵀ · x           (sum over rows r in order)
//   db (O)    = Σ_r dy[r]         (if db)
void LinearBackward(const float* x, const float* w, const float* dy, size_t rows, size_t in,
                    size_t out, float* dx, float* dw, float* db) {
  Doubles acc(in);
  if (dx != nullptr) {
    for (size_t r = 0; r < rows; ++r) {
      std::fill(acc.begin(), acc.end(), 0.0);
      for (size_t o = 0; o < out; ++o) {
        const double g = dy[r * out + o];
        const float* wo = w + o * in;
        for (size_t i = 0; i < in; ++i) acc[i] += g * wo[i];
      }
      for (size_t i = 0; i < in; ++i) dx[r * in + i] = static_cast<float>(acc[i]);
    }
  }
  for (size_t o = 0; o < out; ++o) {
    std::fill(acc.begin(), acc.end(), 0.0);
    double bias = 0;
    for (size_t r = 0; r < rows; ++r) {
      const double g = dy[r * out + o];
      const float* xr = x + r * in;
      for (size_t i = 0; i < in; ++i) acc[i] += g * xr[i];
      bias += g;
    }
    for (size_t i = 0; i < in; ++i) dw[o * in + i] = static_cast<float>(acc[i]);
    if (db != nullptr) db[o] = static_cast<float>(bias);
  }
}

// Layer norm without gain or bias (compute/params.h), per row of C:
//   x̂ = (x − μ) / √(σ² + 1e-5),  σ² the biased variance.
struct Norm {
  Floats xhat;   // (R, C)
  Doubles rstd;  // (R): 1/√(σ² + eps)
};

Norm LayerNorm(const Floats& x, size_t rows, size_t c) {
  Norm n;
  n.xhat.resize(rows * c);
  n.rstd.resize(rows);
  for (size_t r = 0; r < rows; ++r) {
    const float* xr = x.data() + r * c;
    double mean = 0;
    for (size_t i = 0; i < c; ++i) mean += xr[i];
    mean /= static_cast<double>(c);
    double var = 0;
    for (size_t i = 0; i < c; ++i) var += (xr[i] - mean) * (xr[i] - mean);
    var /= static_cast<double>(c);
    const double rstd = 1.0 / std::sqrt(var + kLayerNormEps);
    n.rstd[r] = rstd;
    for (size_t i = 0; i < c; ++i) n.xhat[r * c + i] = static_cast<float>((xr[i] - mean) * rstd);
  }
  return n;
}

// dx += rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ ⊙ x̂)), row by row.
void LayerNormBackward(const Norm& n, const Floats& dxhat, size_t rows, size_t c, Floats* dx) {
  for (size_t r = 0; r < rows; ++r) {
    const float* g = dxhat.data() + r * c;
    const float* xh = n.xhat.data() + r * c;
    double mean_g = 0, mean_gx = 0;
    for (size_t i = 0; i < c; ++i) {
      mean_g += g[i];
      mean_gx += static_cast<double>(g[i]) * xh[i];
    }
    mean_g /= static_cast<double>(c);
    mean_gx /= static_cast<double>(c);
    for (size_t i = 0; i < c; ++i) {
      const double d = n.rstd[r] * (g[i] - mean_g - xh[i] * mean_gx);
      (*dx)[r * c + i] += static_cast<float>(d);
    }
  }
}

// GELU, exact (libtorch's default): x·Φ(x), Φ(x) = ½(1 + erf(x/√2));
// its derivative Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π).
float Gelu(float x) { return static_cast<float>(x * 0.5 * (1.0 + ExactErf(x * kInvSqrt2))); }
double GeluGrad(float x) {
  const double cdf = 0.5 * (1.0 + ExactErf(x * kInvSqrt2));
  const double pdf = ExactExp(-0.5 * static_cast<double>(x) * x) * kInvSqrt2Pi;
  return cdf + x * pdf;
}

// One head of causal attention at query row t: the softmax weights
// p[0..t] of q_t·k_j/√HS over the keys j ≤ t. q points at row t's query,
// k at row 0's key; rows are `stride` floats apart.
void AttentionWeights(const float* q, const float* k, size_t stride, size_t hs, size_t t,
                      double scale, double* p) {
  double max = -HUGE_VAL;
  for (size_t j = 0; j <= t; ++j) {
    double dot = 0;
    for (size_t d = 0; d < hs; ++d) dot += static_cast<double>(q[d]) * k[j * stride + d];
    p[j] = dot * scale;
    max = std::max(max, p[j]);
  }
  double sum = 0;
  for (size_t j = 0; j <= t; ++j) {
    p[j] = ExactExp(p[j] - max);
    sum += p[j];
  }
  for (size_t j = 0; j <= t; ++j) p[j] /= sum;
}

// Where one head's q, k and v sit in a qkv tensor (B, T, 3·n·HS) that holds
// heads [begin, end), head-major within each of q | k | v.
struct HeadColumns {
  const float* base = nullptr;  // the tensor
  size_t stride = 0;            // 3·n·HS floats per row
  size_t q = 0, k = 0, v = 0;   // column offsets of the head
};

HeadColumns Columns(const float* qkv, uint32_t begin, uint32_t end, uint32_t head, size_t hs) {
  const size_t width = (end - begin) * hs;
  const size_t at = (head - begin) * hs;
  return {qkv, 3 * width, at, width + at, 2 * width + at};
}

}  // namespace

double RelativeL2(const EncodedTensor& a, const EncodedTensor& b) {
  if (a.codec != Codec::kFloat32 || b.codec != Codec::kFloat32) {
    std::vector<float> x, y;
    if (!DecodeFloats(a, &x).ok() || !DecodeFloats(b, &y).ok() || x.size() != y.size())
      return std::numeric_limits<double>::quiet_NaN();
    return RelativeL2(EncodeFloats(x, a.shape, Codec::kFloat32),
                      EncodeFloats(y, b.shape, Codec::kFloat32));
  }
  double diff = 0, na = 0, nb = 0;
  for (size_t i = 0; i + 4 <= a.payload.size(); i += 4) {
    float x = 0, y = 0;
    std::memcpy(&x, &a.payload[i], 4);
    std::memcpy(&y, &b.payload[i], 4);
    const double d = static_cast<double>(x) - y;
    diff += d * d;
    na += static_cast<double>(x) * x;
    nb += static_cast<double>(y) * y;
  }
  const double norm = std::sqrt(std::max(na, nb));
  return norm == 0 ? 0 : std::sqrt(diff) / norm;
}

double RelativeLossDistance(double a, double b) {
  return std::abs(a - b) / std::max({std::abs(a), std::abs(b), 1e-30});
}

// ---------------------------------------------------------------------------
// One stage: its section's ops in one region (compute/plan.h).

namespace {

// What a stage's forward pass keeps for its backward pass, per op.
struct OpTrace {
  Norm norm;      // kAttnIn, kMlp, kHead: LN of the stream entering
  Floats pre;     // kMlp: pre-activation (R, n)
  Floats hidden;  // kMlp: GELU(pre) (R, n)
  Floats probs;   // kHead: softmax of the logits (R, V)
};

class Stage {
 public:
  Stage(const ModelConfig& config, const std::vector<ParamSpec>& specs, const Section& section,
        const std::vector<Op>& section_ops, const PlannedUnit& unit,
        std::span<const EncodedTensor* const> inputs)
      : config_(config), specs_(specs), section_(section) {
    for (const Op& op : section_ops) {
      if (op.region == unit.id.layer) ops_.push_back(op);
    }
    begin_ = ops_.front().param_offset;
    end_ = ops_.back().param_offset + ops_.back().param_count;
    rows_ = uint64_t{config.batch} * config.context;
    c_ = config.d_model;
    hs_ = config.head_size();
    for (size_t i = 0; i < unit.inputs.size(); ++i) {
      const EncodedTensor& t = *inputs[i];
      switch (unit.inputs[i].slot.role) {
        case TensorRole::kWeights:
          weights_ = Load(t);
          break;
        case TensorRole::kTokens:
          tokens_ = t.payload;
          break;
        case TensorRole::kTargets:
          targets_ = t.payload;
          break;
        case TensorRole::kLossMask:
          mask_ = t.payload;
          break;
        case TensorRole::kStream:
          stream_parts_.push_back(Load(t));
          break;
        case TensorRole::kAttention:
          attention_.push_back(&t);
          attention_slots_.push_back(&unit.inputs[i].slot);
          break;
        case TensorRole::kStreamGrad:
          stream_grads_.push_back(Load(t));
          break;
        case TensorRole::kAttentionGrad:
          attention_grad_ = Load(t);
          break;
        default:
          break;
      }
    }
  }

  // The forward pass. h (R, C) is the stream as the ops go.
  void Forward() {
    if (!stream_parts_.empty()) {
      // The stream is the sum of its parts, in order.
      h_ = stream_parts_[0];
      for (size_t i = 1; i < stream_parts_.size(); ++i) AddInto(&h_, stream_parts_[i]);
    }
    traces_.resize(ops_.size());
    for (size_t o = 0; o < ops_.size(); ++o) {
      const Op& op = ops_[o];
      const Piece& piece = section_.pieces[op.piece];
      const std::vector<const float*> w = Params(op, weights_.data() + op.param_offset);
      OpTrace& trace = traces_[o];
      const size_t n = static_cast<size_t>(piece.end - piece.begin);
      switch (op.kind) {
        case OpKind::kEmbed: {
          // wte rows [v0, v1) (+ wpe for shard 0); other tokens embed to 0 here.
          h_.assign(rows_ * c_, 0.0f);
          for (size_t r = 0; r < rows_; ++r) {
            const uint8_t token = tokens_[r];
            if (token >= piece.begin && token < piece.end) {
              std::memcpy(&h_[r * c_], w[0] + (token - piece.begin) * c_, 4 * c_);
            }
            if (piece.begin == 0) {
              const float* pos = w[1] + (r % config_.context) * c_;
              for (size_t i = 0; i < c_; ++i) h_[r * c_ + i] += pos[i];
            }
          }
          break;
        }
        case OpKind::kAttnIn: {
          // q | k | v (R, 3·n·HS) = LN(h) · [w_q; w_k; w_v]ᵀ + [b_q, 0, b_v]
          // (the three weight slices lie one after another: one matrix)
          const size_t width = n * hs_;
          trace.norm = LayerNorm(h_, rows_, c_);
          Floats bias(3 * width, 0.0f);
          std::copy(w[3], w[3] + width, bias.begin());
          std::copy(w[4], w[4] + width, bias.begin() + 2 * width);
          qkv_.resize(rows_ * 3 * width);
          Linear(trace.norm.xhat.data(), w[0], bias.data(), rows_, c_, 3 * width, qkv_.data());
          break;
        }
        case OpKind::kAttnOut: {
          // h (R, C) = [h +] y · w_projᵀ [+ b_proj]; y (R, n·HS) the heads' attention
          y_in_ = GatherAttention(piece);
          Floats delta(rows_ * c_);
          Linear(y_in_.data(), w[0], piece.begin == 0 ? w[1] : nullptr, rows_, n * hs_, c_,
                 delta.data());
          if (piece.begin == 0) {
            AddInto(&h_, delta);
          } else {
            h_ = std::move(delta);  // shards past 0 commit their part alone
          }
          break;
        }
        case OpKind::kMlp: {
          // h = [h +] GELU(LN(h) · w_fcᵀ + b_fc) · w_projᵀ [+ b_proj]
          trace.norm = LayerNorm(h_, rows_, c_);
          trace.pre.resize(rows_ * n);
          Linear(trace.norm.xhat.data(), w[0], w[1], rows_, c_, n, trace.pre.data());
          trace.hidden.resize(rows_ * n);
          for (size_t i = 0; i < trace.pre.size(); ++i) trace.hidden[i] = Gelu(trace.pre[i]);
          Floats delta(rows_ * c_);
          Linear(trace.hidden.data(), w[2], piece.begin == 0 ? w[3] : nullptr, rows_, n, c_,
                 delta.data());
          if (piece.begin == 0) {
            AddInto(&h_, delta);
          } else {
            h_ = std::move(delta);
          }
          break;
        }
        case OpKind::kHead: {
          // loss = Σ_r mask_r · (lse_r − logit_r[target_r]) / max(Σ mask, 1),
          // logits (R, V) = LN(h) · w_headᵀ + b_head, lse_r = ln Σ_v e^logit_rv
          trace.norm = LayerNorm(h_, rows_, c_);
          Floats logits(rows_ * kVocab);
          Linear(trace.norm.xhat.data(), w[0], w[1], rows_, c_, kVocab, logits.data());
          trace.probs.resize(rows_ * kVocab);
          double total = 0, count = 0;
          for (size_t r = 0; r < rows_; ++r) {
            const float* l = &logits[r * kVocab];
            double max = -HUGE_VAL;
            for (size_t v = 0; v < kVocab; ++v) max = std::max<double>(max, l[v]);
            double e[kVocab], sum = 0;
            for (size_t v = 0; v < kVocab; ++v) {
              e[v] = ExactExp(l[v] - max);
              sum += e[v];
            }
            const double lse = max + ExactLog(sum);
            for (size_t v = 0; v < kVocab; ++v)
              trace.probs[r * kVocab + v] = static_cast<float>(e[v] / sum);
            total += mask_[r] * (lse - l[targets_[r]]);
            count += mask_[r];
          }
          loss_denominator_ = std::max(count, 1.0);
          loss_ = total / loss_denominator_;
          break;
        }
      }
    }
  }

  // The backward pass (after Forward): the gradient of the roots — the loss,
  // the stream output (∂L/∂stream, summed over its readers) and the
  // attention output of a stage ending at attention (∂L/∂y) — pulled back
  // through the ops in reverse into ∂L/∂W (the stage's slice of W_s, in its
  // order), ∂L/∂(stream in) and ∂L/∂(attention in).
  void Backward() {
    dweights_.assign(end_ - begin_, 0.0f);
    Floats dh(rows_ * c_, 0.0f);  // ∂L/∂h at the current point
    if (!stream_grads_.empty()) {
      dh = stream_grads_[0];
      for (size_t i = 1; i < stream_grads_.size(); ++i) AddInto(&dh, stream_grads_[i]);
    }
    for (size_t o = ops_.size(); o-- > 0;) {
      const Op& op = ops_[o];
      const Piece& piece = section_.pieces[op.piece];
      const std::vector<const float*> w = Params(op, weights_.data() + op.param_offset);
      std::vector<float*> dw;
      for (const float* p : Params(op, weights_.data() + op.param_offset))
        dw.push_back(dweights_.data() + (p - weights_.data()) - begin_);
      const OpTrace& trace = traces_[o];
      const size_t n = static_cast<size_t>(piece.end - piece.begin);
      switch (op.kind) {
        case OpKind::kHead: {
          // ∂loss/∂logit_rv = mask_r (p_rv − [v = target_r]) / max(Σ mask, 1)
          Floats dlogits(rows_ * kVocab);
          for (size_t r = 0; r < rows_; ++r) {
            const double scale = mask_[r] / loss_denominator_;
            for (size_t v = 0; v < kVocab; ++v) {
              const double p = trace.probs[r * kVocab + v];
              dlogits[r * kVocab + v] =
                  static_cast<float>(scale * (v == targets_[r] ? p - 1.0 : p));
            }
          }
          Floats dxhat(rows_ * c_);
          LinearBackward(trace.norm.xhat.data(), w[0], dlogits.data(), rows_, c_, kVocab,
                         dxhat.data(), dw[0], dw[1]);
          LayerNormBackward(trace.norm, dxhat, rows_, c_, &dh);
          break;
        }
        case OpKind::kMlp: {
          Floats dhidden(rows_ * n);
          LinearBackward(trace.hidden.data(), w[2], dh.data(), rows_, n, c_, dhidden.data(), dw[2],
                         piece.begin == 0 ? dw[3] : nullptr);
          Floats dpre(rows_ * n);
          for (size_t i = 0; i < dpre.size(); ++i)
            dpre[i] = static_cast<float>(dhidden[i] * GeluGrad(trace.pre[i]));
          Floats dxhat(rows_ * c_);
          LinearBackward(trace.norm.xhat.data(), w[0], dpre.data(), rows_, c_, n, dxhat.data(),
                         dw[0], dw[1]);
          if (piece.begin != 0) dh.assign(rows_ * c_, 0.0f);  // its delta was all of h
          LayerNormBackward(trace.norm, dxhat, rows_, c_, &dh);
          break;
        }
        case OpKind::kAttnOut: {
          dy_in_.resize(rows_ * n * hs_);
          LinearBackward(y_in_.data(), w[0], dh.data(), rows_, n * hs_, c_, dy_in_.data(), dw[0],
                         piece.begin == 0 ? dw[1] : nullptr);
          if (piece.begin != 0) dh.assign(rows_ * c_, 0.0f);  // no stream in
          break;
        }
        case OpKind::kAttnIn: {
          const size_t width = n * hs_;
          const Floats dqkv = AttentionBackward(piece);
          Floats dxhat(rows_ * c_);
          LinearBackward(trace.norm.xhat.data(), w[0], dqkv.data(), rows_, c_, 3 * width,
                         dxhat.data(), dw[0], nullptr);
          // the biases of q and v (keys have none)
          for (size_t j = 0; j < width; ++j) {
            double bq = 0, bv = 0;
            for (size_t r = 0; r < rows_; ++r) {
              bq += dqkv[r * 3 * width + j];
              bv += dqkv[r * 3 * width + 2 * width + j];
            }
            dw[3][j] = static_cast<float>(bq);
            dw[4][j] = static_cast<float>(bv);
          }
          LayerNormBackward(trace.norm, dxhat, rows_, c_, &dh);
          break;
        }
        case OpKind::kEmbed: {
          // wte row of each token in [v0, v1) and wpe row of each position
          // collect the gradient of every place they were added to.
          Doubles dwte((piece.end - piece.begin) * c_, 0.0), dwpe(config_.context * c_, 0.0);
          for (size_t r = 0; r < rows_; ++r) {
            const uint8_t token = tokens_[r];
            const size_t t = r % config_.context;
            for (size_t i = 0; i < c_; ++i) {
              if (token >= piece.begin && token < piece.end)
                dwte[(token - piece.begin) * c_ + i] += dh[r * c_ + i];
              if (piece.begin == 0) dwpe[t * c_ + i] += dh[r * c_ + i];
            }
          }
          for (size_t i = 0; i < dwte.size(); ++i) dw[0][i] = static_cast<float>(dwte[i]);
          if (piece.begin == 0) {
            for (size_t i = 0; i < dwpe.size(); ++i) dw[1][i] = static_cast<float>(dwpe[i]);
          }
          break;
        }
      }
    }
    dstream_in_ = std::move(dh);
  }

  const Floats& stream_out() const { return h_; }
  const Floats& qkv() const { return qkv_; }
  double loss() const { return loss_; }
  const Floats& dweights() const { return dweights_; }
  const Floats& dstream_in() const { return dstream_in_; }
  const Floats& dy_in() const { return dy_in_; }

 private:
  // Pointers to the parameter slices of `op` in `base` (its first slice),
  // in PieceSlices order.
  std::vector<const float*> Params(const Op& op, const float* base) const {
    const std::vector<ParamSlice> slices = PieceSlices(config_, section_.pieces[op.piece]);
    std::vector<const float*> out;
    for (uint32_t i = op.first_slice; i < op.first_slice + op.num_slices; ++i) {
      out.push_back(base);
      base += slices[i].NumElements(specs_);
    }
    return out;
  }

  // y (R, n·HS): the attention output of the piece's heads, from ATTENTION
  // slices each holding a head group's query rows [row_begin, row_end).
  Floats GatherAttention(const Piece& piece) const {
    const size_t n = static_cast<size_t>(piece.end - piece.begin);
    Floats y(rows_ * n * hs_, 0.0f);
    for (size_t i = 0; i < attention_.size(); ++i) {
      const TensorSlot& slot = *attention_slots_[i];
      const Floats slice = Load(*attention_[i]);  // (B, rows, group heads · HS)
      const size_t slice_rows = slot.row_end - slot.row_begin;
      const size_t slice_width = (slot.head_end - slot.head_begin) * hs_;
      const uint32_t h0 = std::max<uint32_t>(slot.head_begin, static_cast<uint32_t>(piece.begin));
      const uint32_t h1 = std::min<uint32_t>(slot.head_end, static_cast<uint32_t>(piece.end));
      for (size_t b = 0; b < config_.batch; ++b) {
        for (size_t t = slot.row_begin; t < slot.row_end; ++t) {
          for (uint32_t head = h0; head < h1; ++head) {
            const float* from = &slice[(b * slice_rows + (t - slot.row_begin)) * slice_width +
                                       (head - slot.head_begin) * hs_];
            float* to = &y[(b * config_.context + t) * n * hs_ + (head - piece.begin) * hs_];
            std::memcpy(to, from, 4 * hs_);
          }
        }
      }
    }
    return y;
  }

  // ∂L/∂(q | k | v) (R, 3·n·HS) of a stage ending at attention: the heads'
  // causal attention y = softmax(q kᵀ/√HS) v recomputed on the stage's own
  // q, k, v, and ∂L/∂y (the committed input) pulled back through it:
  //   dP_tj = dy_t · v_j            dv_j += P_tj dy_t
  //   dS_tj = P_tj (dP_tj − Σ_j' P_tj' dP_tj')
  //   dq_t  = Σ_j dS_tj k_j / √HS   dk_j += dS_tj q_t / √HS
  Floats AttentionBackward(const Piece& piece) const {
    const size_t n = static_cast<size_t>(piece.end - piece.begin), width = n * hs_;
    const size_t T = config_.context;
    const double scale = 1.0 / std::sqrt(static_cast<double>(hs_));
    Floats dqkv(rows_ * 3 * width, 0.0f);
    if (attention_grad_.empty()) return dqkv;
    Doubles p(T), dp(T), dq(hs_), dk(T * hs_), dv(T * hs_);
    for (size_t b = 0; b < config_.batch; ++b) {
      for (uint32_t head = static_cast<uint32_t>(piece.begin); head < piece.end; ++head) {
        const HeadColumns at =
            Columns(qkv_.data() + b * T * 3 * width, static_cast<uint32_t>(piece.begin),
                    static_cast<uint32_t>(piece.end), head, hs_);
        std::fill(dk.begin(), dk.end(), 0.0);
        std::fill(dv.begin(), dv.end(), 0.0);
        for (size_t t = 0; t < T; ++t) {
          AttentionWeights(at.base + t * at.stride + at.q, at.base + at.k, at.stride, hs_, t, scale,
                           p.data());
          const float* dy = &attention_grad_[(b * T + t) * width + (head - piece.begin) * hs_];
          double weighted = 0;  // Σ_j P_tj dP_tj
          for (size_t j = 0; j <= t; ++j) {
            const float* v = at.base + j * at.stride + at.v;
            double dot = 0;
            for (size_t d = 0; d < hs_; ++d) dot += static_cast<double>(dy[d]) * v[d];
            dp[j] = dot;
            weighted += p[j] * dot;
            for (size_t d = 0; d < hs_; ++d) dv[j * hs_ + d] += p[j] * dy[d];
          }
          std::fill(dq.begin(), dq.end(), 0.0);
          const float* q = at.base + t * at.stride + at.q;
          for (size_t j = 0; j <= t; ++j) {
            const double ds = p[j] * (dp[j] - weighted) * scale;
            const float* k = at.base + j * at.stride + at.k;
            for (size_t d = 0; d < hs_; ++d) {
              dq[d] += ds * k[d];
              dk[j * hs_ + d] += ds * q[d];
            }
          }
          float* out = &dqkv[(b * T + t) * 3 * width];
          for (size_t d = 0; d < hs_; ++d) out[at.q + d] = static_cast<float>(dq[d]);
        }
        for (size_t j = 0; j < T; ++j) {
          float* out = &dqkv[(b * T + j) * 3 * width];
          for (size_t d = 0; d < hs_; ++d) {
            out[at.k + d] = static_cast<float>(dk[j * hs_ + d]);
            out[at.v + d] = static_cast<float>(dv[j * hs_ + d]);
          }
        }
      }
    }
    return dqkv;
  }

  const ModelConfig& config_;
  const std::vector<ParamSpec>& specs_;
  const Section& section_;
  std::vector<Op> ops_;
  uint64_t begin_ = 0, end_ = 0;  // the stage's range of W_s
  size_t rows_ = 0, c_ = 0, hs_ = 0;

  // Inputs.
  Floats weights_;  // W_s, all of it
  std::vector<uint8_t> tokens_, targets_, mask_;
  std::vector<Floats> stream_parts_;
  std::vector<const EncodedTensor*> attention_;
  std::vector<const TensorSlot*> attention_slots_;
  std::vector<Floats> stream_grads_;
  Floats attention_grad_;

  // Forward.
  std::vector<OpTrace> traces_;
  Floats h_, qkv_, y_in_;
  double loss_ = 0, loss_denominator_ = 1;

  // Backward.
  Floats dweights_, dstream_in_, dy_in_;
};

// Encodes `values` for `slot`; InvalidArgument if one is not finite.
Status EncodeOutput(const Floats& values, const TensorSlot& slot, EncodedTensor* out) {
  *out = EncodeFloats(values, slot.shape, Codec::kFloat32);
  if (!CheckEncoding(*out).ok()) return Status::InvalidArgument("non-finite output");
  return Status::OK();
}

}  // namespace

// ---------------------------------------------------------------------------
// The units.

ReferenceBackend::ReferenceBackend(const ModelConfig& config, const Partition& partition)
    : config_(config), partition_(partition), specs_(ModelParams(config)) {
  for (const Section& section : partition_.sections)
    section_ops_.push_back(SectionOps(config_, section));
}

Status ReferenceBackend::Run(const PlannedUnit& unit, std::span<const EncodedTensor* const> inputs,
                             UnitResult* out) const {
  *out = UnitResult{};
  switch (unit.id.kind) {
    case UnitKind::kUpdate:
      return RunUpdate(config_, unit, inputs, out);
    case UnitKind::kAttention: {
      // y (B, Tq, n·HS) for heads [h0, h1) and query rows [t0, t1), from the
      // q | k | v tensors of the stages holding those heads.
      const TensorSlot& y = unit.outputs[0];
      const size_t hs = config_.head_size(), T = config_.context;
      const size_t width = (y.head_end - y.head_begin) * hs, tq = y.row_end - y.row_begin;
      const double scale = 1.0 / std::sqrt(static_cast<double>(hs));
      std::vector<Floats> qkv;
      for (const EncodedTensor* t : inputs) qkv.push_back(Load(*t));
      Floats result(config_.batch * tq * width);
      Doubles p(T), acc(hs);
      for (uint32_t head = y.head_begin; head < y.head_end; ++head) {
        size_t i = 0;  // the input holding this head
        while (!(unit.inputs[i].slot.head_begin <= head && head < unit.inputs[i].slot.head_end))
          ++i;
        const TensorSlot& slot = unit.inputs[i].slot;
        for (size_t b = 0; b < config_.batch; ++b) {
          const size_t stride = 3 * (slot.head_end - slot.head_begin) * hs;
          const HeadColumns at =
              Columns(qkv[i].data() + b * T * stride, slot.head_begin, slot.head_end, head, hs);
          for (size_t t = y.row_begin; t < y.row_end; ++t) {
            AttentionWeights(at.base + t * at.stride + at.q, at.base + at.k, at.stride, hs, t,
                             scale, p.data());
            std::fill(acc.begin(), acc.end(), 0.0);
            for (size_t j = 0; j <= t; ++j) {
              const float* v = at.base + j * at.stride + at.v;
              for (size_t d = 0; d < hs; ++d) acc[d] += p[j] * v[d];
            }
            float* to = &result[(b * tq + (t - y.row_begin)) * width + (head - y.head_begin) * hs];
            for (size_t d = 0; d < hs; ++d) to[d] = static_cast<float>(acc[d]);
          }
        }
      }
      out->outputs.resize(1);
      return EncodeOutput(result, y, &out->outputs[0]);
    }
    case UnitKind::kForward:
    case UnitKind::kBackward:
      break;
  }
  const uint32_t s = unit.id.section;
  Stage stage(config_, specs_, partition_.sections[s], section_ops_[s], unit, inputs);
  stage.Forward();
  out->outputs.resize(unit.outputs.size());
  if (unit.id.kind == UnitKind::kForward) {
    for (size_t i = 0; i < unit.outputs.size(); ++i) {
      const TensorSlot& slot = unit.outputs[i];
      Status st = EncodeOutput(slot.role == TensorRole::kQkv ? stage.qkv() : stage.stream_out(),
                               slot, &out->outputs[i]);
      if (!st.ok()) return st;
    }
    if (unit.has_loss) {
      out->loss = static_cast<float>(stage.loss());
      if (!std::isfinite(out->loss)) return Status::InvalidArgument("non-finite loss");
    }
    return Status::OK();
  }
  stage.Backward();
  for (size_t i = 0; i < unit.outputs.size(); ++i) {
    const TensorSlot& slot = unit.outputs[i];
    const Floats& values = slot.role == TensorRole::kStreamGrad      ? stage.dstream_in()
                           : slot.role == TensorRole::kAttentionGrad ? stage.dy_in()
                                                                     : stage.dweights();
    Status st = EncodeOutput(values, slot, &out->outputs[i]);
    if (!st.ok()) return st;
  }
  return Status::OK();
}

// ---------------------------------------------------------------------------
// A hop of inference: the atoms of sections [begin, end), each run whole as
// compute/torch/model.cpp's section server runs them, on the P positions of
// one sequence. h (P, C) is the stream as the atoms go.

Status ReferenceBackend::Serve(const ParamValues& params, uint32_t begin, uint32_t end,
                               const EncodedTensor& input, uint32_t rows,
                               EncodedTensor* out) const {
  const size_t P = input.shape[0], c = config_.d_model, hs = config_.head_size();
  const size_t heads = config_.n_head;
  const double scale = 1.0 / std::sqrt(static_cast<double>(hs));
  Floats h;
  if (begin != 0) h = Load(input);
  for (uint32_t s = begin; s < end; ++s) {
    for (const Piece& piece : partition_.sections[s].pieces) {
      if (piece.shard != 0) continue;  // a hop holds every shard of its atoms
      const uint32_t l = piece.layer;
      switch (piece.kind) {
        case AtomKind::kEmbedding: {
          // h[p] = wte[token_p] + wpe[p]
          const Floats& wte = params[kParamWte];
          const Floats& wpe = params[kParamWpe];
          h.resize(P * c);
          for (size_t p = 0; p < P; ++p) {
            const float* te = &wte[input.payload[p] * c];
            for (size_t i = 0; i < c; ++i) h[p * c + i] = te[i] + wpe[p * c + i];
          }
          break;
        }
        case AtomKind::kAttention: {
          // q | k | v (P, 3C) = LN(h) · w_qkvᵀ + [b_q, 0, b_v]; per head,
          // y_t = Σ_{j ≤ t} softmax_j(q_t·k_j/√HS) v_j; h += y · w_projᵀ + b_proj
          const Floats& b_qv = params[BlockParamIndex(l, BlockParam::kAttnBQv)];
          Floats bias(3 * c, 0.0f);
          std::copy(b_qv.begin(), b_qv.begin() + c, bias.begin());
          std::copy(b_qv.begin() + c, b_qv.end(), bias.begin() + 2 * c);
          const Norm norm = LayerNorm(h, P, c);
          Floats qkv(P * 3 * c);
          Linear(norm.xhat.data(), params[BlockParamIndex(l, BlockParam::kAttnWQkv)].data(),
                 bias.data(), P, c, 3 * c, qkv.data());
          Floats y(P * c);
          Doubles p(P), acc(hs);
          for (uint32_t head = 0; head < heads; ++head) {
            const HeadColumns at = Columns(qkv.data(), 0, static_cast<uint32_t>(heads), head, hs);
            for (size_t t = 0; t < P; ++t) {
              AttentionWeights(at.base + t * at.stride + at.q, at.base + at.k, at.stride, hs, t,
                               scale, p.data());
              std::fill(acc.begin(), acc.end(), 0.0);
              for (size_t j = 0; j <= t; ++j) {
                const float* v = at.base + j * at.stride + at.v;
                for (size_t d = 0; d < hs; ++d) acc[d] += p[j] * v[d];
              }
              for (size_t d = 0; d < hs; ++d)
                y[t * c + head * hs + d] = static_cast<float>(acc[d]);
            }
          }
          Floats delta(P * c);
          Linear(y.data(), params[BlockParamIndex(l, BlockParam::kAttnWProj)].data(),
                 params[BlockParamIndex(l, BlockParam::kAttnBProj)].data(), P, c, c,
                 delta.data());
          AddInto(&h, delta);
          break;
        }
        case AtomKind::kMlp: {
          // h += GELU(LN(h) · w_fcᵀ + b_fc) · w_projᵀ + b_proj
          const size_t hidden = specs_[BlockParamIndex(l, BlockParam::kMlpWFc)].rows();
          const Norm norm = LayerNorm(h, P, c);
          Floats pre(P * hidden);
          Linear(norm.xhat.data(), params[BlockParamIndex(l, BlockParam::kMlpWFc)].data(),
                 params[BlockParamIndex(l, BlockParam::kMlpBFc)].data(), P, c, hidden,
                 pre.data());
          for (float& x : pre) x = Gelu(x);
          Floats delta(P * c);
          Linear(pre.data(), params[BlockParamIndex(l, BlockParam::kMlpWProj)].data(),
                 params[BlockParamIndex(l, BlockParam::kMlpBProj)].data(), P, hidden, c,
                 delta.data());
          AddInto(&h, delta);
          break;
        }
        case AtomKind::kHead: {
          // logits (V) = LN(h[P − 1]) · w_headᵀ + b_head
          const Norm norm = LayerNorm(Floats(h.end() - static_cast<ptrdiff_t>(c), h.end()), 1, c);
          Floats logits(kVocab);
          Linear(norm.xhat.data(), params[HeadWeightIndex(config_)].data(),
                 params[HeadBiasIndex(config_)].data(), 1, c, kVocab, logits.data());
          *out = EncodeFloats(logits, std::vector<uint64_t>{kVocab}, Codec::kFloat32);
          return CheckEncoding(*out).ok() ? Status::OK()
                                          : Status::InvalidArgument("non-finite output");
        }
      }
    }
  }
  const Floats tail(h.end() - static_cast<ptrdiff_t>(rows * c), h.end());
  *out = EncodeFloats(tail, std::vector<uint64_t>{rows, c}, Codec::kFloat32);
  return CheckEncoding(*out).ok() ? Status::OK() : Status::InvalidArgument("non-finite output");
}

}  // namespace cc::compute
