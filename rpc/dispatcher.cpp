#include "rpc/dispatcher.h"

#include <optional>
#include <utility>

#include "rpc/json_format.h"

namespace cc::rpc {
namespace {

unsigned LegacyHttpStatus(int code) {
  switch (code) {
    case kRpcInvalidRequest:
      return 400;
    case kRpcMethodNotFound:
      return 404;
    default:
      return 500;
  }
}

std::string Dump(const json& value) {
  // Amounts with 8 decimals; invalid UTF-8 replaced rather than thrown (a
  // method may echo user bytes): rpc/json_format.h.
  return DumpJson(value) + "\n";
}

struct OneReply {
  std::optional<json> reply;  //!< absent for a notification
  bool failed = false;
  int code = 0;
  bool v2 = false;
};

OneReply RunOne(const RpcTable& table, const json& value, const std::string& user,
                const std::string& uri, const std::function<bool(const json&)>& progress = {}) {
  OneReply out;
  JsonRpcRequest request;
  try {
    ParseRequest(value, &request);
    out.v2 = request.version == JsonRpcVersion::kV2;
    json result = table.Execute(request.method, request.params, user, uri, progress);
    if (!request.IsNotification()) out.reply = SuccessReply(request, std::move(result));
  } catch (const RpcError& e) {
    out.v2 = request.version == JsonRpcVersion::kV2;
    out.failed = true;
    out.code = e.code();
    if (!request.IsNotification()) out.reply = ErrorReply(request, ErrorObject(e.code(), e.what()));
  }
  return out;
}

// The reply, in `request`'s version, of a call whose reply did not fit.
// Never runs anything; a notification still gets no reply.
OneReply TooLarge(const json& value, const std::string& message) {
  OneReply out;
  JsonRpcRequest request;
  try {
    ParseRequest(value, &request);
  } catch (const RpcError& e) {
    // Not a valid request: that error is as short, and more useful.
    out.failed = true;
    out.code = e.code();
    out.v2 = request.version == JsonRpcVersion::kV2;
    if (!request.IsNotification()) out.reply = ErrorReply(request, ErrorObject(e.code(), e.what()));
    return out;
  }
  out.failed = true;
  out.code = kRpcOutOfMemory;
  out.v2 = request.version == JsonRpcVersion::kV2;
  if (!request.IsNotification()) out.reply = ErrorReply(request, ErrorObject(out.code, message));
  return out;
}

std::string ReplyTooLargeMessage(const DispatchLimits& limits) {
  return "Reply exceeds the limit of " + std::to_string(limits.max_reply_bytes) + " bytes";
}

std::string NotRunMessage(const DispatchLimits& limits) {
  return "Not run: the batch's reply exceeds the limit of " +
         std::to_string(limits.max_reply_bytes) + " bytes";
}

}  // namespace

HttpReply DispatchJsonRpc(const RpcTable& table, std::string_view body, const std::string& user,
                          const DispatchLimits& limits, const std::string& uri,
                          const std::function<bool(const json&)>& progress) {
  json value;
  if (Status s = ParseJsonBody(body, &value); !s.ok()) {
    return {500, Dump(ErrorReply(JsonRpcRequest{}, ErrorObject(kRpcParseError, s.message())))};
  }

  if (value.is_object()) {
    OneReply one = RunOne(table, value, user, uri, progress);
    if (!one.reply) return {204, ""};
    std::string text = Dump(*one.reply);
    if (text.size() > limits.max_reply_bytes) {
      one = TooLarge(value, ReplyTooLargeMessage(limits));
      text = Dump(*one.reply);
    }
    const unsigned status = (one.failed && !one.v2) ? LegacyHttpStatus(one.code) : 200;
    return {status, std::move(text)};
  }

  if (value.is_array()) {
    if (value.empty()) {
      return {400, Dump(ErrorReply(JsonRpcRequest{}, ErrorObject(kRpcInvalidRequest,
                                                                 "Invalid Request: empty batch")))};
    }
    if (value.size() > limits.max_batch_size) {
      return {400, Dump(ErrorReply(
                       JsonRpcRequest{},
                       ErrorObject(kRpcInvalidRequest,
                                   "Invalid Request: batch of " + std::to_string(value.size()) +
                                       " requests exceeds the limit of " +
                                       std::to_string(limits.max_batch_size))))};
    }
    // Replies are dumped one by one and joined, so what is held is the text
    // that fits in the limit, never a larger document.
    std::string replies;
    size_t count = 0;
    bool full = false;  // once set, the remaining elements are not run
    for (const json& element : value) {
      OneReply one = full ? TooLarge(element, NotRunMessage(limits)) : RunOne(table, element, user, uri);
      if (!one.reply) continue;
      std::string text = Dump(*one.reply);
      text.pop_back();  // the newline
      // Bytes this reply adds: a '[' or ',' before it, and the final "]\n".
      if (!full && replies.size() + 1 + text.size() + 2 > limits.max_reply_bytes) {
        full = true;
        text = Dump(*TooLarge(element, ReplyTooLargeMessage(limits)).reply);
        text.pop_back();
      }
      replies += (count++ == 0 ? '[' : ',');
      replies += text;
    }
    if (count == 0) return {204, ""};
    replies += "]\n";
    return {200, std::move(replies)};
  }

  return {500, Dump(ErrorReply(JsonRpcRequest{},
                               ErrorObject(kRpcParseError, "Top-level object parse error")))};
}

}  // namespace cc::rpc
