// compute/decode.h's token choice: greedy ties, the nucleus, seeded draws,
// and the option checks. (Decoding through servers: tests/compute/torch/serve_test.cpp.)

#include "compute/decode.h"
#include "compute/model_config.h"
#include "compute/streamed_text.h"

#include <gtest/gtest.h>

#include <map>

namespace cc::compute {
namespace {

TEST(DecodeTest, GreedyTakesTheFirstLargest) {
  const std::vector<float> logits = {0.5f, 2.0f, -1.0f, 2.0f};
  std::mt19937_64 rng(1);
  EXPECT_EQ(PickToken(logits, DecodeOptions{}, &rng), 1u);
}

TEST(DecodeTest, NucleusKeepsOnlyTheLikeliest) {
  // p ≈ (0.64, 0.24, 0.09, 0.03): top_p = 0.5 keeps token 0 alone.
  const std::vector<float> logits = {3.0f, 2.0f, 1.0f, 0.0f};
  DecodeOptions options;
  options.temperature = 1.0;
  options.top_p = 0.5;
  std::mt19937_64 rng(5);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(PickToken(logits, options, &rng), 0u);
  // top_p = 0.8 keeps tokens 0 and 1, in proportion 0.64 : 0.24.
  options.top_p = 0.8;
  std::map<uint32_t, int> counts;
  for (int i = 0; i < 4000; ++i) ++counts[PickToken(logits, options, &rng)];
  EXPECT_EQ(counts.size(), 2u);
  EXPECT_NEAR(counts[0] / 4000.0, 0.6652 / (0.6652 + 0.2447), 0.03);
}

TEST(DecodeTest, SameSeedSameDraws) {
  const std::vector<float> logits = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f};
  DecodeOptions options;
  options.temperature = 2.0;
  std::mt19937_64 a(42), b(42);
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(PickToken(logits, options, &a), PickToken(logits, options, &b));
}

// A source whose next token is always byte 'a', counting its calls.
class CountingSource final : public LogitsSource {
 public:
  Status Logits(uint32_t, std::span<const uint8_t>, std::vector<float>* logits) override {
    ++calls;
    logits->assign(kVocab, 0.0f);
    (*logits)['a'] = 1.0f;
    return Status::OK();
  }
  int calls = 0;
};

// A reader that leaves (on_token false) stops the source at once: no token
// is computed for nobody. Before, Decode ran on to max_tokens.
TEST(DecodeTest, ReaderThatLeavesStopsTheSource) {
  CountingSource source;
  DecodeOptions options;
  options.max_tokens = 100;
  DecodeResult result;
  int seen = 0;
  ASSERT_TRUE(Decode(16, "x", options, &source, [&](uint8_t) { return ++seen < 3; }, &result).ok());
  EXPECT_EQ(source.calls, 3);
  EXPECT_EQ(result.text, "aaa");
  EXPECT_TRUE(result.cancelled);
  EXPECT_FALSE(result.stopped);

  CountingSource to_the_end;
  ASSERT_TRUE(Decode(16, "x", options, &to_the_end, [](uint8_t) { return true; }, &result).ok());
  EXPECT_EQ(to_the_end.calls, 100);
  EXPECT_FALSE(result.cancelled);
}

TEST(DecodeTest, ChecksOptions) {
  DecodeOptions options;
  EXPECT_TRUE(CheckDecodeOptions(options).ok());
  options.max_tokens = 0;
  EXPECT_EQ(CheckDecodeOptions(options).message(), "max_tokens must be at least 1");
  options = {};
  options.temperature = -1;
  EXPECT_TRUE(CheckDecodeOptions(options).IsInvalidArgument());
  options = {};
  options.top_p = 0;
  EXPECT_EQ(CheckDecodeOptions(options).message(), "top_p must be in (0, 1]");
  options = {};
  options.stop = {""};
  EXPECT_TRUE(CheckDecodeOptions(options).IsInvalidArgument());
  options.stop = {"a", "b", "c", "d", "e"};
  EXPECT_EQ(CheckDecodeOptions(options).message(), "at most 4 stop strings");
}

// What a stream shows, token by token, then the rest once decoding ended.
std::vector<std::string> Shown(const std::vector<std::string>& stop, std::string_view tokens,
                               std::string_view completion) {
  StreamedText streamed(stop);
  std::vector<std::string> pieces;
  for (char c : tokens) pieces.push_back(streamed.Push(static_cast<uint8_t>(c)));
  pieces.push_back(streamed.Rest(completion));
  return pieces;
}

TEST(DecodeTest, StreamedTextHoldsBackWhatMayStartAStopString) {
  // The start of "END" is held until it is not the stop string after all.
  EXPECT_EQ(Shown({"END"}, "xENd", "xENd"),
            (std::vector<std::string>{"x", "", "", "ENd", ""}));
  // A stop string that ends the completion is never shown, nor its start.
  EXPECT_EQ(Shown({"END"}, "yEND", "y"), (std::vector<std::string>{"y", "", "", "", ""}));
  // Decoding ended at max_tokens inside a possible start: Rest gives it.
  EXPECT_EQ(Shown({"END"}, "zE", "zE"), (std::vector<std::string>{"z", "", "E"}));
  // The longest possible start over several stop strings is held.
  EXPECT_EQ(Shown({"ab", "bcd"}, "xbc", "xbc"), (std::vector<std::string>{"x", "", "", "bc"}));
  // Without stop strings every token shows at once.
  EXPECT_EQ(Shown({}, "hi", "hi"), (std::vector<std::string>{"h", "i", ""}));
}

}  // namespace
}  // namespace cc::compute
