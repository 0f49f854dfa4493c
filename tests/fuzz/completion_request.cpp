// Fuzz target: the body of POST /v1/completions (rpc/completions.h), what any
// holder of an API key controls. The input is the body, parsed by
// ParseCompletionRequest. Beyond "no crash":
//   - an accepted request is within the documented bounds (prompt 1 to
//     kMaxPromptBytes bytes, max_tokens 1 to kMaxCompletionTokens, temperature
//     in [0, 2], top_p in (0, 1], at most 4 stop strings of 1 to 32 bytes);
//   - written back as a body, an accepted request parses to the same request
//     and the same stream flag (the parser drops nothing it accepted);
//   - a refusal says what is wrong (a message a client can act on).

#include <cstdint>
#include <string>
#include <string_view>

#include "rpc/completions.h"
#include "rpc/json_format.h"
#include "rpc/protocol.h"
#include "tests/fuzz/fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using cc::rpc::json;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  cc::rpc::CompletionRequest request;
  bool stream = false;
  const cc::Status s = cc::rpc::ParseCompletionRequest(body, &request, &stream);
  if (!s.ok()) {
    CC_FUZZ_CHECK(s.IsInvalidArgument() && !s.message().empty());
    return 0;
  }
  CC_FUZZ_CHECK(!request.prompt.empty() && request.prompt.size() <= cc::rpc::kMaxPromptBytes);
  CC_FUZZ_CHECK(request.max_tokens >= 1 && request.max_tokens <= cc::rpc::kMaxCompletionTokens);
  CC_FUZZ_CHECK(request.temperature >= 0.0 && request.temperature <= 2.0);
  CC_FUZZ_CHECK(request.top_p > 0.0 && request.top_p <= 1.0);
  CC_FUZZ_CHECK(request.stop.size() <= 4);
  for (const std::string& stop : request.stop) CC_FUZZ_CHECK(!stop.empty() && stop.size() <= 32);

  json again = {{"prompt", request.prompt},       {"max_tokens", request.max_tokens},
                {"temperature", request.temperature}, {"top_p", request.top_p},
                {"stop", request.stop},           {"stream", stream}};
  if (request.seed) again["seed"] = *request.seed;
  cc::rpc::CompletionRequest reparsed;
  bool restream = !stream;
  CC_FUZZ_CHECK(
      cc::rpc::ParseCompletionRequest(cc::rpc::DumpJson(again), &reparsed, &restream).ok());
  CC_FUZZ_CHECK(reparsed.prompt == request.prompt && reparsed.max_tokens == request.max_tokens);
  CC_FUZZ_CHECK(reparsed.temperature == request.temperature && reparsed.top_p == request.top_p);
  CC_FUZZ_CHECK(reparsed.seed == request.seed && reparsed.stop == request.stop);
  CC_FUZZ_CHECK(restream == stream);
  return 0;
}
