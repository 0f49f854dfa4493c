#include "compute/decode.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace cc::compute {

Status CheckDecodeOptions(const DecodeOptions& options) {
  if (options.max_tokens == 0) return Status::InvalidArgument("max_tokens must be at least 1");
  if (!std::isfinite(options.temperature) || options.temperature < 0)
    return Status::InvalidArgument("temperature must be finite and not negative");
  if (!(options.top_p > 0 && options.top_p <= 1))
    return Status::InvalidArgument("top_p must be in (0, 1]");
  if (options.stop.size() > kMaxStopStrings)
    return Status::InvalidArgument("at most " + std::to_string(kMaxStopStrings) + " stop strings");
  for (const std::string& stop : options.stop) {
    if (stop.empty() || stop.size() > kMaxStopLength)
      return Status::InvalidArgument("a stop string must be 1 to " +
                                     std::to_string(kMaxStopLength) + " bytes");
  }
  return Status::OK();
}

uint32_t PickToken(std::span<const float> logits, const DecodeOptions& options,
                   std::mt19937_64* rng) {
  const auto argmax = static_cast<uint32_t>(std::max_element(logits.begin(), logits.end()) -
                                            logits.begin());  // the first of equal maxima
  if (options.temperature == 0) return argmax;
  // Probabilities in double, shifted by the largest logit so exp cannot
  // overflow.
  std::vector<double> p(logits.size());
  double sum = 0;
  for (size_t i = 0; i < logits.size(); ++i) {
    p[i] = std::exp((static_cast<double>(logits[i]) - logits[argmax]) / options.temperature);
    sum += p[i];
  }
  std::vector<uint32_t> order(logits.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return p[a] > p[b]; });
  // The nucleus: the shortest prefix of `order` holding top_p of the mass.
  size_t kept = 0;
  double mass = 0;
  while (kept < order.size() && (kept == 0 || mass < options.top_p * sum)) mass += p[order[kept++]];
  const double u = static_cast<double>((*rng)() >> 11) * 0x1.0p-53;
  double acc = 0;
  for (size_t i = 0; i < kept; ++i) {
    acc += p[order[i]];
    if (u * mass < acc) return order[i];
  }
  return order[kept - 1];  // u·mass rounded up to the total
}

Status Decode(uint32_t context, std::string_view prompt, const DecodeOptions& options,
              LogitsSource* source, const std::function<bool(uint8_t)>& on_token,
              DecodeResult* out) {
  *out = DecodeResult{};
  if (prompt.empty()) return Status::InvalidArgument("empty prompt");
  Status s = CheckDecodeOptions(options);
  if (!s.ok()) return s;
  std::vector<uint8_t> sequence(prompt.begin(), prompt.end());
  std::mt19937_64 rng(options.seed);
  size_t fed = 0;           // positions the source holds, from window_start
  size_t window_start = 0;  // index into `sequence` of the source's position 0
  std::vector<float> logits;
  for (uint32_t i = 0; i < options.max_tokens; ++i) {
    const size_t start = sequence.size() > context ? sequence.size() - context : 0;
    if (start != window_start) {  // the window slid: every position moved
      window_start = start;
      fed = 0;
    }
    const std::span<const uint8_t> all(sequence);
    s = source->Logits(static_cast<uint32_t>(fed), all.subspan(window_start + fed), &logits);
    if (!s.ok()) return s;
    fed = sequence.size() - window_start;
    const auto token = static_cast<uint8_t>(PickToken(logits, options, &rng));
    sequence.push_back(token);
    out->tokens.push_back(token);
    out->text.push_back(static_cast<char>(token));
    if (on_token && !on_token(token)) {
      out->cancelled = true;
      return Status::OK();
    }
    for (const std::string& stop : options.stop) {
      if (out->text.ends_with(stop)) {
        out->text.resize(out->text.size() - stop.size());
        out->stopped = true;
        return Status::OK();
      }
    }
  }
  return Status::OK();
}

}  // namespace cc::compute
