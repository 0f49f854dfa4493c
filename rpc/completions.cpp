#include "rpc/completions.h"

#include <array>
#include <ctime>

#include <cryptopp/osrng.h>

#include "chain/hex.h"
#include "chain/logging.h"
#include "rpc/json_format.h"
#include "rpc/protocol.h"

namespace cc::rpc {
namespace {

constexpr unsigned kOk = 200, kBadRequest = 400, kUnauthorized = 401, kNotFound = 404,
                   kMethodNotAllowed = 405, kTooManyRequests = 429, kUnavailable = 503;
constexpr size_t kMaxStops = 4, kMaxStopBytes = 32;

std::string ErrorBody(const std::string& message, const char* type, const char* code = nullptr,
                      const char* param = nullptr) {
  return DumpJson(json{{"error",
                        {{"message", message},
                         {"type", type},
                         {"param", param ? json(param) : json()},
                         {"code", code ? json(code) : json()}}}}) +
         "\n";
}

std::string CompletionId() {
  std::array<uint8_t, 12> bytes{};
  CryptoPP::OS_GenerateRandomBlock(/*blocking=*/false, bytes.data(), bytes.size());
  return "cmpl-" + HexStr(bytes);
}

// Coins as a JSON number with 8 decimals (rpc/json_format.h writes it so).
json Coins(Amount amount) { return static_cast<double>(amount) / static_cast<double>(kCoin); }

Status Invalid(const std::string& message) { return Status::InvalidArgument(message); }

}  // namespace

Status ParseCompletionRequest(std::string_view body, CompletionRequest* out, bool* stream) {
  json doc;
  if (!ParseJsonBody(body, &doc).ok() || !doc.is_object())
    return Invalid("the body must be a JSON object");
  CompletionRequest request;
  const json prompt = doc.value("prompt", json());
  if (prompt.is_string()) {
    request.prompt = prompt.get<std::string>();
  } else if (prompt.is_array() && prompt.size() == 1 && prompt[0].is_string()) {
    request.prompt = prompt[0].get<std::string>();
  } else {
    return Invalid("prompt must be a string (or an array of one string)");
  }
  if (request.prompt.empty() || request.prompt.size() > kMaxPromptBytes)
    return Invalid("prompt must be 1 to " + std::to_string(kMaxPromptBytes) + " bytes");
  const json max_tokens = doc.value("max_tokens", json());
  if (!max_tokens.is_null()) {
    if (!max_tokens.is_number_integer() || max_tokens.get<int64_t>() < 1 ||
        max_tokens.get<int64_t>() > kMaxCompletionTokens)
      return Invalid("max_tokens must be an integer in [1, " +
                     std::to_string(kMaxCompletionTokens) + "]");
    request.max_tokens = max_tokens.get<uint32_t>();
  }
  const json temperature = doc.value("temperature", json());
  if (!temperature.is_null()) {
    if (!temperature.is_number() || !(temperature.get<double>() >= 0.0) ||
        temperature.get<double>() > 2.0)
      return Invalid("temperature must be a number in [0, 2]");
    request.temperature = temperature.get<double>();
  }
  const json top_p = doc.value("top_p", json());
  if (!top_p.is_null()) {
    if (!top_p.is_number() || !(top_p.get<double>() > 0.0) || top_p.get<double>() > 1.0)
      return Invalid("top_p must be a number in (0, 1]");
    request.top_p = top_p.get<double>();
  }
  const json seed = doc.value("seed", json());
  if (!seed.is_null()) {
    if (!seed.is_number_unsigned()) return Invalid("seed must be a non-negative integer");
    request.seed = seed.get<uint64_t>();
  }
  const json stop = doc.value("stop", json());
  const json stops = stop.is_string() ? json::array({stop}) : stop;
  if (!stops.is_null()) {
    if (!stops.is_array() || stops.size() > kMaxStops)
      return Invalid("stop must be a string or an array of at most 4 strings");
    for (const json& s : stops) {
      if (!s.is_string() || s.get<std::string>().empty() ||
          s.get<std::string>().size() > kMaxStopBytes)
        return Invalid("each stop string must be 1 to 32 bytes");
      request.stop.push_back(s.get<std::string>());
    }
  }
  const json n = doc.value("n", json());
  if (!n.is_null() && (!n.is_number_integer() || n.get<int64_t>() != 1))
    return Invalid("n must be 1");
  const json streamed = doc.value("stream", json());
  if (!streamed.is_null() && !streamed.is_boolean()) return Invalid("stream must be a boolean");
  *stream = streamed.is_boolean() && streamed.get<bool>();
  *out = std::move(request);
  return Status::OK();
}

unsigned CompletionsService::Admit(const HttpRequestHead& head, std::string* principal,
                                   std::string* refusal) const {
  const std::string_view target = std::string_view(head.target).substr(
      0, std::min(head.target.size(), head.target.find('?')));
  const char* method = target == "/v1/completions" ? "POST"
                       : target == "/v1/models"    ? "GET"
                                                   : nullptr;
  if (method == nullptr) {
    *refusal = ErrorBody("no such endpoint: " + std::string(target), "invalid_request_error",
                         "unknown_url");
    return kNotFound;
  }
  if (head.method != method) {
    *refusal = ErrorBody(std::string(target) + " takes " + method, "invalid_request_error",
                         "method_not_allowed");
    return kMethodNotAllowed;
  }
  if (!keys_.Authenticate(head.authorization, principal)) {
    *refusal = ErrorBody("a valid API key is required as \"Authorization: Bearer <key>\"",
                         "invalid_request_error", "invalid_api_key");
    return kUnauthorized;
  }
  return 0;
}

void CompletionsService::Handle(const HttpRequestHead& head, const std::string& principal,
                                std::string body, HttpResponder& responder) const {
  const std::string model = backend_.ModelName();
  if (head.method == "GET") {
    responder.Reply(
        kOk,
        DumpJson(json{{"object", "list"},
                      {"data", {{{"id", model}, {"object", "model"}, {"owned_by", "computecoin"}}}}}) +
            "\n",
        "application/json");
    return;
  }
  CompletionRequest request;
  bool stream = false;
  Status s = ParseCompletionRequest(body, &request, &stream);
  if (!s.ok()) {
    return responder.Reply(kBadRequest, ErrorBody(s.message(), "invalid_request_error"),
                           "application/json");
  }
  Amount quote = 0;
  s = backend_.Quote(request, &quote);
  if (!s.ok()) return responder.Reply(kUnavailable, ErrorBody(s.message(), "api_error"),
                                      "application/json");
  s = keys_.Reserve(principal, quote);
  if (!s.ok()) {
    return responder.Reply(kTooManyRequests,
                           ErrorBody(s.message(), "insufficient_quota", "insufficient_quota"),
                           "application/json");
  }

  const std::string id = CompletionId();
  const int64_t created = std::time(nullptr);
  const auto choice_event = [&](const std::string& text, const json& finish_reason) {
    return "data: " +
           DumpJson(json{{"id", id},
                         {"object", "text_completion"},
                         {"created", created},
                         {"model", model},
                         {"choices",
                          {{{"text", text},
                            {"index", 0},
                            {"logprobs", nullptr},
                            {"finish_reason", finish_reason}}}}}) +
           "\n\n";
  };
  bool client_here = !stream || responder.StartStream(kOk, "text/event-stream");
  CompletionResult result;
  s = backend_.Complete(
      request,
      [&](std::string_view piece) {
        if (stream && client_here)
          client_here = responder.Send(choice_event(std::string(piece), nullptr));
        return client_here;
      },
      &result);
  // Charged what was served, also when the client left or the backend failed
  // midway. A failed write keeps the charge in memory, and the next write
  // (the file is rewritten whole) carries it.
  if (Status saved = keys_.Settle(principal, quote, result.cost); !saved.ok()) {
    LogPrintf("completions: the API key file was not written (" + saved.message() +
              "); the charge to key '" + principal + "' is kept in memory");
  }
  const char* finish = result.stopped ? "stop" : "length";
  if (stream) {
    if (!client_here) return responder.Finish();
    if (!s.ok()) {
      responder.Send("data: " + ErrorBody(s.message(), "api_error") + "\n");
    } else {
      responder.Send(choice_event("", finish));
    }
    responder.Send("data: [DONE]\n\n");
    return responder.Finish();
  }
  if (!s.ok()) {
    return responder.Reply(kUnavailable, ErrorBody(s.message(), "api_error"), "application/json");
  }
  const uint32_t total = result.prompt_tokens + result.completion_tokens;
  responder.Reply(kOk,
                  DumpJson(json{{"id", id},
                                {"object", "text_completion"},
                                {"created", created},
                                {"model", model},
                                {"choices",
                                 {{{"text", result.text},
                                   {"index", 0},
                                   {"logprobs", nullptr},
                                   {"finish_reason", finish}}}},
                                {"usage",
                                 {{"prompt_tokens", result.prompt_tokens},
                                  {"completion_tokens", result.completion_tokens},
                                  {"total_tokens", total}}},
                                {"cost", Coins(result.cost)}}) +
                      "\n",
                  "application/json");
}

}  // namespace cc::rpc
