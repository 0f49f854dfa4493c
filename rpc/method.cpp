#include "rpc/method.h"

#include <algorithm>
#include <utility>

namespace cc::rpc {
namespace {

// Examples show main's RPC port, as Bitcoin Core's help shows 8332.
constexpr std::string_view kExampleUrl = "http://127.0.0.1:9332/";

bool Matches(RpcType type, const json& value) {
  switch (type) {
    case RpcType::kString:
    case RpcType::kHex:
      return value.is_string();
    case RpcType::kNumber:
      return value.is_number();
    case RpcType::kBool:
      return value.is_boolean();
    case RpcType::kObject:
      return value.is_object();
    case RpcType::kArray:
      return value.is_array();
    case RpcType::kAny:
      return true;
    case RpcType::kNone:
      return value.is_null();
  }
  return false;
}

std::string_view JsonTypeName(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::string:
      return "string";
    case json::value_t::object:
      return "object";
    case json::value_t::array:
      return "array";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "number";
    default:
      return "unknown";
  }
}

// What a value of the type looks like in a result description.
std::string_view Placeholder(RpcType type) {
  switch (type) {
    case RpcType::kString:
      return "\"str\"";
    case RpcType::kHex:
      return "\"hex\"";
    case RpcType::kNumber:
      return "n";
    case RpcType::kBool:
      return "true|false";
    case RpcType::kObject:
      return "{";
    case RpcType::kArray:
      return "[";
    case RpcType::kAny:
      return "...";
    case RpcType::kNone:
      return "null";
  }
  return "";
}

// One help line: the JSON skeleton on the left, "(type) description" on the
// right, aligned in a column.
struct HelpLine {
  std::string left;
  std::string right;
};

void FormatResult(const RpcResult& result, int indent, bool last_in_parent, bool in_object,
                  std::vector<HelpLine>* lines) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  const std::string prefix = in_object ? pad + "\"" + result.key + "\" : " : pad;
  const std::string comma = (indent > 0 && !last_in_parent) ? "," : "";
  std::string right = "(" + std::string(RpcTypeName(result.type)) + ")";
  if (!result.description.empty()) right += " " + result.description;

  switch (result.type) {
    case RpcType::kObject: {
      lines->push_back({prefix + "{", right});
      for (size_t i = 0; i < result.inner.size(); ++i) {
        FormatResult(result.inner[i], indent + 2, i + 1 == result.inner.size(), true, lines);
      }
      lines->push_back({pad + "}" + comma, ""});
      break;
    }
    case RpcType::kArray: {
      lines->push_back({prefix + "[", right});
      for (const RpcResult& element : result.inner) {
        FormatResult(element, indent + 2, false, false, lines);
      }
      lines->push_back({pad + "  ...", ""});
      lines->push_back({pad + "]" + comma, ""});
      break;
    }
    default:
      lines->push_back({prefix + std::string(Placeholder(result.type)) + comma, right});
  }
}

std::string RenderLines(const std::vector<HelpLine>& lines) {
  size_t width = 0;
  for (const HelpLine& line : lines) {
    if (!line.right.empty()) width = std::max(width, line.left.size());
  }
  std::string out;
  for (const HelpLine& line : lines) {
    out += line.left;
    if (!line.right.empty()) {
      out += std::string(width - line.left.size() + 4, ' ');
      out += line.right;
    }
    out += "\n";
  }
  return out;
}

}  // namespace

std::string_view RpcTypeName(RpcType type) {
  switch (type) {
    case RpcType::kString:
      return "string";
    case RpcType::kHex:
      return "string, hex";
    case RpcType::kNumber:
      return "numeric";
    case RpcType::kBool:
      return "boolean";
    case RpcType::kObject:
      return "json object";
    case RpcType::kArray:
      return "json array";
    case RpcType::kAny:
      return "any";
    case RpcType::kNone:
      return "json null";
  }
  return "";
}

bool IsJsonType(RpcType type) { return type != RpcType::kString && type != RpcType::kHex; }

const json& RpcRequest::Arg(size_t i) const {
  static const json kNull;
  return i < params.size() ? params[i] : kNull;
}

RpcMethod::RpcMethod(std::string name, std::string description, std::vector<RpcArg> args,
                     std::vector<RpcResult> results, std::string examples, Handler handler)
    : name_(std::move(name)),
      description_(std::move(description)),
      args_(std::move(args)),
      results_(std::move(results)),
      examples_(std::move(examples)),
      handler_(std::move(handler)) {}

std::string RpcMethod::Signature() const {
  std::string out = name_;
  bool in_optional = false;
  for (const RpcArg& arg : args_) {
    if (arg.optionality == RpcArg::kOptional && !in_optional) {
      out += " (";
      in_optional = true;
    }
    out += " ";
    out += IsJsonType(arg.type) ? arg.name : "\"" + arg.name + "\"";
  }
  if (in_optional) out += " )";
  return out;
}

std::string RpcMethod::Help() const {
  std::string out = Signature() + "\n\n" + description_ + "\n";
  if (!args_.empty()) {
    out += "\nArguments:\n";
    std::vector<HelpLine> lines;
    for (size_t i = 0; i < args_.size(); ++i) {
      const RpcArg& arg = args_[i];
      std::string right = "(" + std::string(RpcTypeName(arg.type)) + ", ";
      if (arg.optionality == RpcArg::kRequired) {
        right += "required";
      } else {
        right += arg.default_hint.empty() ? "optional" : "optional, default=" + arg.default_hint;
      }
      right += ") " + arg.description;
      lines.push_back({std::to_string(i + 1) + ". " + arg.name, right});
    }
    out += RenderLines(lines);
  }
  for (const RpcResult& result : results_) {
    out += result.condition.empty() ? "\nResult:\n" : "\nResult (" + result.condition + "):\n";
    std::vector<HelpLine> lines;
    FormatResult(result, 0, true, false, &lines);
    out += RenderLines(lines);
  }
  if (!examples_.empty()) out += "\nExamples:\n" + examples_;
  return out;
}

json RpcMethod::Call(const RpcRequest& request) const {
  const json& params = request.params;
  size_t required = 0;
  for (const RpcArg& arg : args_) required += arg.optionality == RpcArg::kRequired ? 1 : 0;
  if (params.size() > args_.size() || params.size() < required) {
    throw RpcError(kRpcMiscError, Help());
  }
  for (size_t i = 0; i < params.size(); ++i) {
    const RpcArg& arg = args_[i];
    const json& value = params[i];
    if (value.is_null() && arg.optionality == RpcArg::kOptional) continue;
    if (!Matches(arg.type, value)) {
      throw RpcError(kRpcTypeError, "JSON value of type " + std::string(JsonTypeName(value)) +
                                        " for argument " + arg.name + " is not of expected type " +
                                        std::string(RpcTypeName(arg.type)));
    }
  }
  return handler_(*this, request);
}

std::string ExampleCli(std::string_view method, std::string_view args) {
  std::string out = "> computecoin-cli " + std::string(method);
  if (!args.empty()) out += " " + std::string(args);
  return out + "\n";
}

std::string ExampleRpc(std::string_view method, std::string_view args) {
  return "> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", "
         "\"method\": \"" +
         std::string(method) + "\", \"params\": [" + std::string(args) +
         "]}' -H 'content-type: application/json' " + std::string(kExampleUrl) + "\n";
}

}  // namespace cc::rpc
