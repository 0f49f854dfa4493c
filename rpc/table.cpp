#include "rpc/table.h"

#include <algorithm>
#include <cctype>
#include <exception>
#include <set>
#include <utility>

namespace cc::rpc {
namespace {

RpcMethod HelpMethod(const RpcTable& table) {
  return RpcMethod{"help",
                   "List all commands, or get help for a specified command.",
                   {{"command", RpcType::kString, RpcArg::kOptional, "all commands",
                     "The command to get help on"}},
                   {{RpcType::kString, "", "The help text"}},
                   ExampleCli("help", "") + ExampleCli("help", "getblockhash"),
                   [&table](const RpcMethod&, const RpcRequest& request) -> json {
                     const json& command = request.Arg(0);
                     if (command.is_null()) return table.HelpOverview();
                     const std::string name = command.get<std::string>();
                     const RpcMethod* method = table.Find(name);
                     if (method == nullptr) return "help: unknown command: " + name;
                     return method->Help();
                   }};
}

}  // namespace

RpcTable::RpcTable() { methods_.emplace("help", Entry{"control", HelpMethod(*this)}); }

Status RpcTable::Add(std::string category, RpcMethod method) {
  if (methods_.count(method.name()) != 0) {
    return Status::InvalidArgument("RPC method registered twice: " + method.name());
  }
  std::set<std::string> arg_names;
  bool seen_optional = false;
  for (const RpcArg& arg : method.args()) {
    if (!arg_names.insert(arg.name).second) {
      return Status::InvalidArgument(method.name() + ": duplicate argument " + arg.name);
    }
    if (arg.optionality == RpcArg::kRequired && seen_optional) {
      return Status::InvalidArgument(method.name() + ": required argument " + arg.name +
                                     " follows an optional one");
    }
    seen_optional = seen_optional || arg.optionality == RpcArg::kOptional;
  }
  std::string name = method.name();
  methods_.emplace(std::move(name), Entry{std::move(category), std::move(method)});
  return Status::OK();
}

const RpcMethod* RpcTable::Find(const std::string& name) const {
  auto it = methods_.find(name);
  return it == methods_.end() ? nullptr : &it->second.method;
}

std::vector<std::string> RpcTable::MethodNames() const {
  std::vector<std::string> names;
  for (const auto& [name, entry] : methods_) names.push_back(name);
  return names;
}

std::string RpcTable::CategoryOf(const std::string& name) const {
  auto it = methods_.find(name);
  return it == methods_.end() ? std::string() : it->second.category;
}

json RpcTable::NamedToPositional(const RpcMethod& method, const json& named) {
  json positional = json::array();
  size_t matched = 0;
  const std::vector<RpcArg>& args = method.args();
  for (size_t i = 0; i < args.size(); ++i) {
    auto it = named.find(args[i].name);
    if (it == named.end()) continue;
    while (positional.size() < i) positional.push_back(nullptr);
    positional.push_back(*it);
    ++matched;
  }
  if (matched != named.size()) {
    for (const auto& item : named.items()) {
      // Not a structured binding: clang before 16 cannot capture one in a lambda.
      const std::string& key = item.key();
      const bool known = std::any_of(args.begin(), args.end(),
                                     [&key](const RpcArg& arg) { return arg.name == key; });
      if (!known) throw RpcError(kRpcInvalidParameter, "Unknown named parameter " + key);
    }
  }
  return positional;
}

json RpcTable::Execute(const std::string& method, const json& params, const std::string& user,
                       const std::string& uri,
                       const std::function<bool(const json&)>& progress) const {
  {
    std::lock_guard<std::mutex> lock(warmup_mutex_);
    if (in_warmup_) throw RpcError(kRpcInWarmup, warmup_status_);
  }
  const RpcMethod* found = Find(method);
  if (found == nullptr) throw RpcError(kRpcMethodNotFound, "Method not found");

  RpcRequest request;
  request.user = user;
  request.uri = uri;
  request.progress = progress;
  if (params.is_object()) {
    request.params = NamedToPositional(*found, params);
  } else if (params.is_array()) {
    request.params = params;
  }
  try {
    return found->Call(request);
  } catch (const RpcError&) {
    throw;
  } catch (const std::exception& e) {
    throw RpcError(kRpcMiscError, e.what());
  }
}

std::string RpcTable::HelpOverview() const {
  std::vector<std::pair<std::string, std::string>> rows;  // (category, name)
  for (const auto& [name, entry] : methods_) rows.emplace_back(entry.category, name);
  std::sort(rows.begin(), rows.end());

  std::string out;
  std::string current;
  for (const auto& [category, name] : rows) {
    if (category != current) {
      if (!out.empty()) out += "\n";
      std::string title = category;
      if (!title.empty())
        title[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(title[0])));
      out += "== " + title + " ==\n";
      current = category;
    }
    out += methods_.at(name).method.Signature() + "\n";
  }
  if (!out.empty()) out.pop_back();  // help text ends without a newline, as Bitcoin Core's
  return out;
}

void RpcTable::SetWarmupStatus(const std::string& status) {
  std::lock_guard<std::mutex> lock(warmup_mutex_);
  in_warmup_ = true;
  warmup_status_ = status;
}

void RpcTable::SetWarmupFinished() {
  std::lock_guard<std::mutex> lock(warmup_mutex_);
  in_warmup_ = false;
}

bool RpcTable::InWarmup(std::string* status) const {
  std::lock_guard<std::mutex> lock(warmup_mutex_);
  if (in_warmup_ && status != nullptr) *status = warmup_status_;
  return in_warmup_;
}

}  // namespace cc::rpc
