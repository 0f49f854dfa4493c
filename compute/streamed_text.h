// StreamedText: a completion shown while it is generated (compute/decode.h's
// tokens as they come), for the streamed replies of infer (doc/rpc.md,
// Streamed calls) and of the HTTP API (doc/inference.md §7).
//
// The text of the tokens so far is shown less the tail that could still be
// the start of a stop string, so nothing shown is later cut off by the stop
// string that ends the completion: the pieces Push and Rest return, joined,
// are the DecodeResult::text.
//
// Thread safety: a value; one thread at a time.

#ifndef COMPUTECOIN_COMPUTE_STREAMED_TEXT_H
#define COMPUTECOIN_COMPUTE_STREAMED_TEXT_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cc::compute {

class StreamedText {
 public:
  /// `stop`: the request's stop strings (DecodeOptions::stop).
  explicit StreamedText(std::vector<std::string> stop) : stop_(std::move(stop)) {}
  /// Appends a generated token. Returns the text that can be shown now (may be empty).
  std::string Push(uint8_t token);
  /// After decoding: the part of `completion` (its DecodeResult::text) not shown yet.
  std::string Rest(std::string_view completion) const;

 private:
  std::vector<std::string> stop_;
  std::string text_;
  size_t shown_ = 0;
};

}  // namespace cc::compute

#endif  // COMPUTECOIN_COMPUTE_STREAMED_TEXT_H
