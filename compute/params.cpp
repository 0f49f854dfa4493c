#include "compute/params.h"

#include <array>
#include <cmath>
#include <cstring>
#include <span>

#include "chain/hash.h"
#include "chain/serialize.h"
#include "compute/exact_math.h"

namespace cc::compute {

uint64_t ParamSpec::NumElements() const {
  uint64_t n = 1;
  for (uint64_t d : shape) n *= d;
  return n;
}

std::vector<ParamSpec> ModelParams(const ModelConfig& config) {
  const uint64_t c = config.d_model, h = config.d_mlp, t = config.context, v = kVocab;
  const float matrix_std = 0.02f;
  // GPT-2: residual projections are scaled by 1/√(2L) so the residual stream's
  // variance does not grow with depth.
  const float proj_std = static_cast<float>(0.02 / std::sqrt(2.0 * config.n_layer));
  std::vector<ParamSpec> specs;
  specs.push_back({"wte", {v, c}, matrix_std});
  specs.push_back({"wpe", {t, c}, matrix_std});
  for (uint32_t l = 0; l < config.n_layer; ++l) {
    const std::string p = "h." + std::to_string(l) + ".";
    specs.push_back({p + "attn.w_qkv", {3 * c, c}, matrix_std});
    specs.push_back({p + "attn.b_qv", {2 * c}, 0.0f});
    specs.push_back({p + "attn.w_proj", {c, c}, proj_std});
    specs.push_back({p + "attn.b_proj", {c}, 0.0f});
    specs.push_back({p + "mlp.w_fc", {h, c}, matrix_std});
    specs.push_back({p + "mlp.b_fc", {h}, 0.0f});
    specs.push_back({p + "mlp.w_proj", {c, h}, proj_std});
    specs.push_back({p + "mlp.b_proj", {c}, 0.0f});
  }
  specs.push_back({"head.w", {v, c}, matrix_std});
  specs.push_back({"head.b", {v}, 0.0f});
  return specs;
}

// ---------------------------------------------------------------------------
// cos, sin in plain IEEE double arithmetic (ln: compute/exact_math.h). +, −,
// ×, ÷ and √ are correctly rounded, so a fixed sequence of them gives the same bits on every
// IEEE-754 machine (the build uses ISO C++, where GCC does not contract a*b+c
// into a fused multiply-add). Accuracy ~1e-16, far below binary32's 6e-8.
namespace {

constexpr double kHalfPi = 1.57079632679489661923132169164;

// 1/n! for n = 0..18, computed once by repeated division (constexpr
// evaluation rounds like the hardware does).
constexpr std::array<double, 19> kInvFactorial = [] {
  std::array<double, 19> t{};
  t[0] = 1.0;
  for (int n = 1; n < 19; ++n) t[n] = t[n - 1] / n;
  return t;
}();

// sin φ and cos φ for φ in [0, π/4], by Taylor series to degree 17 and 18
// (the first omitted term is below 2e-17).
void SinCosSmall(double phi, double* sin_out, double* cos_out) {
  const double p2 = phi * phi;
  double sin_series = 0.0;  // Σ (−1)^k φ^(2k) / (2k+1)!
  double cos_series = 0.0;  // Σ (−1)^k φ^(2k) / (2k)!
  for (int k = 8; k >= 0; --k) {
    const double sign = (k % 2 == 0) ? 1.0 : -1.0;
    sin_series = sin_series * p2 + sign * kInvFactorial[2 * k + 1];
    cos_series = cos_series * p2 + sign * kInvFactorial[2 * k];
  }
  *sin_out = phi * sin_series;
  *cos_out = cos_series;
}

// (cos 2πu, sin 2πu) for u = b·2⁻³². The quadrant and the fraction within it
// come from b's bits exactly; the fraction is folded to [0, π/4].
void UnitCircle(uint32_t b, double* cos_out, double* sin_out) {
  const uint32_t quadrant = b >> 30;
  const uint32_t rest = b & ((1u << 30) - 1);
  const bool fold = rest > (1u << 29);
  const double frac = std::ldexp(static_cast<double>(fold ? (1u << 30) - rest : rest), -30);
  double s = 0.0, c = 0.0;
  SinCosSmall(frac * kHalfPi, &s, &c);
  if (fold) std::swap(s, c);  // sin(π/2 − φ) = cos φ
  switch (quadrant) {
    case 0:
      *cos_out = c;
      *sin_out = s;
      break;
    case 1:
      *cos_out = -s;
      *sin_out = c;
      break;
    case 2:
      *cos_out = -c;
      *sin_out = -s;
      break;
    default:
      *cos_out = s;
      *sin_out = -c;
      break;
  }
}

uint32_t LoadLe32(const uint8_t* p) {
  uint32_t v = 0;
  std::memcpy(&v, p, 4);
  return v;  // serialize.h asserts a little-endian host
}

}  // namespace

void NormalStream(uint64_t seed, const std::string& name, uint64_t first, double scale,
                  std::span<float> out) {
  uint8_t seed_le[8];
  std::memcpy(seed_le, &seed, 8);
  const Uint256 key =
      Sha256::Tagged(tags::kWeightInit).Write(seed_le).Write(Serialize(name)).Finalize();

  uint8_t block_input[Uint256::kSize + 8];
  std::memcpy(block_input, key.data(), Uint256::kSize);
  uint64_t block = UINT64_MAX;
  double z[8] = {};
  for (uint64_t i = first; i < first + out.size(); ++i) {
    if (i / 8 != block) {
      block = i / 8;
      std::memcpy(block_input + Uint256::kSize, &block, 8);
      const Uint256 bits = Sha256Hash(block_input);
      for (int p = 0; p < 4; ++p) {
        const uint32_t a = LoadLe32(bits.data() + 8 * p);
        const uint32_t b = LoadLe32(bits.data() + 8 * p + 4);
        const double u1 = std::ldexp(static_cast<double>(a) + 1.0, -32);
        const double r = std::sqrt(-2.0 * ExactLog(u1));
        double c = 0.0, s = 0.0;
        UnitCircle(b, &c, &s);
        z[2 * p] = r * c;
        z[2 * p + 1] = r * s;
      }
    }
    out[i - first] = static_cast<float>(scale * z[i % 8]);
  }
}

ParamValues InitialParams(const ModelConfig& config) {
  const std::vector<ParamSpec> specs = ModelParams(config);
  ParamValues values(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    values[i].assign(specs[i].NumElements(), 0.0f);
    if (specs[i].init_std == 0.0f) continue;
    NormalStream(config.seed, specs[i].name, 0, specs[i].init_std, values[i]);
  }
  return values;
}

}  // namespace cc::compute
