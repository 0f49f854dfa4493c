#include "rpc/dispatcher.h"

#include <optional>
#include <utility>

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
  // Replace invalid UTF-8 rather than throw: a method may echo user bytes.
  return value.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

struct OneReply {
  std::optional<json> reply;  //!< absent for a notification
  bool failed = false;
  int code = 0;
  bool v2 = false;
};

OneReply RunOne(const RpcTable& table, const json& value, const std::string& user,
                const std::string& uri) {
  OneReply out;
  JsonRpcRequest request;
  try {
    ParseRequest(value, &request);
    out.v2 = request.version == JsonRpcVersion::kV2;
    json result = table.Execute(request.method, request.params, user, uri);
    if (!request.IsNotification()) out.reply = SuccessReply(request, std::move(result));
  } catch (const RpcError& e) {
    out.v2 = request.version == JsonRpcVersion::kV2;
    out.failed = true;
    out.code = e.code();
    if (!request.IsNotification()) out.reply = ErrorReply(request, ErrorObject(e.code(), e.what()));
  }
  return out;
}

}  // namespace

HttpReply DispatchJsonRpc(const RpcTable& table, std::string_view body, const std::string& user,
                          const std::string& uri) {
  json value = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    return {500, Dump(ErrorReply(JsonRpcRequest{}, ErrorObject(kRpcParseError, "Parse error")))};
  }

  if (value.is_object()) {
    OneReply one = RunOne(table, value, user, uri);
    if (!one.reply) return {204, ""};
    const unsigned status = (one.failed && !one.v2) ? LegacyHttpStatus(one.code) : 200;
    return {status, Dump(*one.reply)};
  }

  if (value.is_array()) {
    if (value.empty()) {
      return {400, Dump(ErrorReply(JsonRpcRequest{}, ErrorObject(kRpcInvalidRequest,
                                                                 "Invalid Request: empty batch")))};
    }
    json replies = json::array();
    for (const json& element : value) {
      OneReply one = RunOne(table, element, user, uri);
      if (one.reply) replies.push_back(std::move(*one.reply));
    }
    if (replies.empty()) return {204, ""};
    return {200, Dump(replies)};
  }

  return {500, Dump(ErrorReply(JsonRpcRequest{},
                               ErrorObject(kRpcParseError, "Top-level object parse error")))};
}

}  // namespace cc::rpc
