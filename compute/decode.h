// Decoding: turning a model that gives next-token logits into a completion,
// one token at a time — greedy or sampled, with max tokens and stop strings.
//
// The model is reached through a LogitsSource, which runs a session: it is
// handed token ids at positions [position, position + t) and returns the
// logits of the last. A SectionServer chain on this node, or a route of
// holders over the network (node/inference.h), are both sources.
//
// Windows. The position embedding has T rows (the context), so a sequence of
// n tokens is predicted from its last min(n, T): while n ≤ T, each step feeds
// only the new token at the next position (the source keeps the cache of the
// earlier ones); once n > T the window slides, every position moves, and each
// step feeds the whole window again at position 0. This is exactly what
// GenerateGreedy (compute/torch/model.h) computes without a cache.
//
// Sampling (DecodeOptions::temperature > 0): p = softmax(logits / temperature)
// in double; with top_p < 1 only the most likely tokens whose probabilities
// reach top_p together are kept (nucleus sampling; ties keep the lower id
// first); one u ∈ [0, 1) is drawn per token as (x >> 11)·2⁻⁵³ from
// std::mt19937_64 seeded with `seed` (the standard fixes that engine's
// output, so a seed gives the same text on every machine with the same
// logits). temperature == 0 is greedy: the lowest id of the largest logit.
//
// Thread safety: free functions; a LogitsSource is used by one thread.

#ifndef COMPUTECOIN_COMPUTE_DECODE_H
#define COMPUTECOIN_COMPUTE_DECODE_H

#include <cstdint>
#include <functional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chain/status.h"

namespace cc::compute {

/// Most stop strings one request may give, and the longest each may be.
inline constexpr size_t kMaxStopStrings = 4;
inline constexpr size_t kMaxStopLength = 64;

struct DecodeOptions {
  uint32_t max_tokens = 16;       //!< most tokens (bytes) to generate, ≥ 1
  double temperature = 0.0;       //!< 0: greedy; else sampling temperature, e.g. 0.8
  double top_p = 1.0;             //!< nucleus mass in (0, 1]
  uint64_t seed = 0;              //!< sampling seed
  std::vector<std::string> stop;  //!< generation ends when the text ends with one
};

/// Returns OK, or InvalidArgument naming the bad field (max_tokens 0,
/// temperature negative or not finite, top_p outside (0, 1], an empty stop
/// string, more than kMaxStopStrings or one longer than kMaxStopLength).
Status CheckDecodeOptions(const DecodeOptions& options);

/// A model run as a session (file comment).
class LogitsSource {
 public:
  virtual ~LogitsSource() = default;
  /// Runs `tokens` at positions [position, position + tokens.size()) and
  /// writes the next-token logits (V) of the last to *logits. position is 0
  /// or the number of positions fed since the last 0. Returns the source's
  /// error; Decode stops on it.
  virtual Status Logits(uint32_t position, std::span<const uint8_t> tokens,
                        std::vector<float>* logits) = 0;
};

struct DecodeResult {
  std::string text;             //!< the completion, without a stop string that ended it
  std::vector<uint8_t> tokens;  //!< every token generated (a stop string's included)
  bool stopped = false;         //!< a stop string ended it (not max_tokens)
  bool cancelled = false;       //!< on_token asked to stop (its reader left)
};

/// The token chosen from `logits` (file comment: greedy or sampled with *rng).
/// REQUIRES: logits non-empty and finite; options checked.
uint32_t PickToken(std::span<const float> logits, const DecodeOptions& options,
                   std::mt19937_64* rng);

/// Completes `prompt` with tokens from `source`, whose context is `context`
/// positions. on_token (may be empty) is called with each token as it is
/// chosen; when it returns false no further token is computed and Decode
/// returns OK with out->cancelled set. Returns InvalidArgument for an empty
/// prompt or bad options, or the source's error, with *out holding what was
/// generated before it.
Status Decode(uint32_t context, std::string_view prompt, const DecodeOptions& options,
              LogitsSource* source, const std::function<bool(uint8_t)>& on_token,
              DecodeResult* out);

}  // namespace cc::compute

#endif  // COMPUTECOIN_COMPUTE_DECODE_H
