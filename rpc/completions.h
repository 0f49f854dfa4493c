// The inference API: text completions over HTTP in the shape of the widely
// used completions API, so that existing client libraries work by changing
// their base URL (doc/inference.md, "HTTP API").
//
//   GET  /v1/models        {"object": "list", "data": [{"id", "object": "model", "owned_by"}]}
//   POST /v1/completions   body {"model", "prompt", "max_tokens", "temperature", "top_p",
//                          "seed", "stop", "stream", "n", "user"}; other fields are ignored
//
// Every request carries "Authorization: Bearer <key>" for a key of ApiKeys
// (rpc/api_keys.h): anything else is refused with 401 before the body is
// read. This listener serves nothing but these two paths: it never reaches
// the wallet or the node's RPC methods, whatever the request.
//
// A completion reserves price × max_tokens of the key's cap first (the most
// it can cost, from CompletionBackend::Quote); over the cap it is refused
// with 429 "insufficient_quota" before anything is computed or spent. The
// key is then charged what the completion cost.
//
// Replies. Non-streaming: {"id": "cmpl-…", "object": "text_completion",
// "created", "model", "choices": [{"text", "index": 0, "logprobs": null,
// "finish_reason": "stop" | "length"}], "usage": {"prompt_tokens",
// "completion_tokens", "total_tokens"}, "cost": coins}. Streaming ("stream":
// true): server-sent events, one `data: {…}` per token with the same fields
// (finish_reason null until the last), then `data: [DONE]`. Errors:
// {"error": {"message", "type", "param", "code"}} with 400 (malformed
// request, "invalid_request_error"), 401, 404, 405, 429 and 500/503
// (the backend failed: "api_error").
//
// Thread safety: as HttpService asks (Handle runs on several threads).

#ifndef COMPUTECOIN_RPC_COMPLETIONS_H
#define COMPUTECOIN_RPC_COMPLETIONS_H

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chain/amount.h"
#include "chain/status.h"
#include "rpc/api_keys.h"
#include "rpc/http_server.h"

namespace cc::rpc {

/// What a client asked for, checked: a prompt of 1 to kMaxPromptBytes bytes,
/// 1 to kMaxCompletionTokens tokens, temperature in [0, 2], top_p in (0, 1],
/// at most 4 stop strings of 1 to 32 bytes.
struct CompletionRequest {
  std::string prompt;
  uint32_t max_tokens = 16;
  double temperature = 1.0;  //!< 0: greedy
  double top_p = 1.0;
  std::optional<uint64_t> seed;
  std::vector<std::string> stop;
};
inline constexpr size_t kMaxPromptBytes = 4096;
inline constexpr uint32_t kMaxCompletionTokens = 1024;

struct CompletionResult {
  std::string text;             //!< without a stop string that ended it
  uint32_t prompt_tokens = 0;   //!< bytes: the vocabulary is bytes
  uint32_t completion_tokens = 0;
  bool stopped = false;  //!< ended by a stop string or end of text, not by max_tokens
  Amount cost = 0;       //!< what it was charged, ≤ the quote
};

/// Where completions come from (the node's inference router).
class CompletionBackend {
 public:
  virtual ~CompletionBackend() = default;
  /// The model's name for "model" fields, e.g. "computecoin-devnet".
  virtual std::string ModelName() const = 0;
  /// The most `request` may cost, before anything is done. Returns an error
  /// if it cannot be served at all (e.g. no route), which the client sees.
  virtual Status Quote(const CompletionRequest& request, Amount* max_cost) = 0;
  /// Completes `request`, calling on_text with each piece of text as it is
  /// made; on_text returns false to stop early (the client left).
  virtual Status Complete(const CompletionRequest& request,
                          const std::function<bool(std::string_view)>& on_text,
                          CompletionResult* out) = 0;
};

class CompletionsService final : public HttpService {
 public:
  /// REQUIRES: keys and backend outlive the service.
  CompletionsService(ApiKeys& keys, CompletionBackend& backend) : keys_(keys), backend_(backend) {}

  unsigned Admit(const HttpRequestHead& head, std::string* principal,
                 std::string* refusal) const override;
  std::string AuthChallenge() const override { return "Bearer"; }
  void Handle(const HttpRequestHead& head, const std::string& principal, std::string body,
              HttpResponder& responder) const override;

 private:
  ApiKeys& keys_;
  CompletionBackend& backend_;
};

/// Parses and checks a /v1/completions body. Returns InvalidArgument with
/// the message a client sees ("max_tokens must be an integer in [1, 1024]").
Status ParseCompletionRequest(std::string_view body, CompletionRequest* out, bool* stream);

}  // namespace cc::rpc

#endif  // COMPUTECOIN_RPC_COMPLETIONS_H
