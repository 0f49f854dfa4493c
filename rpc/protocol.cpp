#include "rpc/protocol.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace cc::rpc {
namespace {

// Thrown by the parser callback to stop parsing at the first level too deep.
struct TooDeep {};
// Thrown by the parser callback at the first name an object repeats.
struct DuplicateKey {
  std::string name;
};

}  // namespace

Status ParseJsonBody(std::string_view text, json* out) {
  *out = nullptr;
  // `depth` counts the containers open around the event's value, so a
  // container that opens at depth d is level d + 1.
  // The names of each object open around the parser, innermost last.
  std::vector<std::set<std::string>> names;
  const json::parser_callback_t limit = [&names](int depth, json::parse_event_t event,
                                                 json& parsed) {
    if ((event == json::parse_event_t::array_start || event == json::parse_event_t::object_start) &&
        depth + 1 > kMaxJsonDepth) {
      throw TooDeep{};
    }
    if (event == json::parse_event_t::object_start) names.emplace_back();
    if (event == json::parse_event_t::object_end) names.pop_back();
    if (event == json::parse_event_t::key && !names.back().insert(parsed.get<std::string>()).second)
      throw DuplicateKey{parsed.get<std::string>()};
    return true;
  };
  json value;
  try {
    value = json::parse(text, limit, /*allow_exceptions=*/false);
  } catch (const TooDeep&) {
    return Status::InvalidArgument("Parse error: JSON nested deeper than " +
                                   std::to_string(kMaxJsonDepth) + " levels");
  } catch (const DuplicateKey& duplicate) {
    // nlohmann::json keeps the last value of a repeated name: sendmany
    // {"A": 1, "A": 2} paid 2 to A once, without a word.
    return Status::InvalidArgument("Parse error: duplicate key " + json(duplicate.name).dump());
  }
  // Bitcoin Core's text; only the depth limit says more.
  if (value.is_discarded()) return Status::InvalidArgument("Parse error");
  *out = std::move(value);
  return Status::OK();
}

json ErrorObject(int code, const std::string& message) {
  return json{{"code", code}, {"message", message}};
}

void ParseRequest(const json& value, JsonRpcRequest* out) {
  *out = JsonRpcRequest{};
  if (!value.is_object()) throw RpcError(kRpcInvalidRequest, "Invalid Request object");

  // The id first, so that every later error reply can echo it.
  if (auto it = value.find("id"); it != value.end()) {
    out->id = *it;
    out->has_id = true;
  }
  if (auto it = value.find("jsonrpc"); it != value.end() && !it->is_null()) {
    if (!it->is_string()) throw RpcError(kRpcInvalidRequest, "jsonrpc field must be a string");
    const std::string& version = it->get_ref<const std::string&>();
    if (version == "2.0") {
      out->version = JsonRpcVersion::kV2;
    } else if (version != "1.0") {
      throw RpcError(kRpcInvalidRequest, "JSON-RPC version not supported");
    }
  }

  auto method = value.find("method");
  if (method == value.end() || method->is_null())
    throw RpcError(kRpcInvalidRequest, "Missing method");
  if (!method->is_string()) throw RpcError(kRpcInvalidRequest, "Method must be a string");
  out->method = method->get<std::string>();

  auto params = value.find("params");
  if (params == value.end() || params->is_null()) {
    out->params = json::array();
  } else if (params->is_array() || params->is_object()) {
    out->params = *params;
  } else {
    throw RpcError(kRpcInvalidRequest, "Params must be an array or object");
  }
}

json SuccessReply(const JsonRpcRequest& request, json result) {
  if (request.version == JsonRpcVersion::kV2) {
    return json{{"jsonrpc", "2.0"}, {"result", std::move(result)}, {"id", request.id}};
  }
  return json{{"result", std::move(result)}, {"error", nullptr}, {"id", request.id}};
}

json ErrorReply(const JsonRpcRequest& request, const json& error) {
  if (request.version == JsonRpcVersion::kV2) {
    return json{{"jsonrpc", "2.0"}, {"error", error}, {"id", request.id}};
  }
  return json{{"result", nullptr}, {"error", error}, {"id", request.id}};
}

}  // namespace cc::rpc
