// Fuzz target: the JSON-RPC request parser and dispatcher (rpc/dispatcher.h,
// rpc/protocol.h, rpc/table.h, rpc/method.h, rpc/util.h). The input is an
// HTTP POST body, run by DispatchJsonRpc against a table of test methods that
// between them take every argument type, throw each kind of error and can
// return a reply larger than the limit. Beyond "no crash, no exception":
//   - the HTTP status is one dispatcher.h lists, and 204 comes with no body;
//   - every other body is one JSON value ending in "\n";
//   - a body that is not JSON, or nests deeper than kMaxJsonDepth, gets the
//     -32700 reply (status 500), and no method runs;
//   - a batch over the size limit runs nothing; a batch within it gets an
//     array of at most one reply per element, and a method runs at most
//     once per element;
//   - the reply body stays within the byte limit, give or take one short
//     error per element (the dispatcher's documented slack).

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "rpc/dispatcher.h"
#include "rpc/method.h"
#include "rpc/protocol.h"
#include "rpc/table.h"
#include "rpc/util.h"
#include "tests/fuzz/fuzz.h"

namespace {

using cc::rpc::json;
using cc::rpc::RpcArg;
using cc::rpc::RpcMethod;
using cc::rpc::RpcRequest;
using cc::rpc::RpcType;

constexpr cc::rpc::DispatchLimits kLimits{/*max_batch_size=*/8, /*max_reply_bytes=*/4096};

size_t g_calls = 0;  // method runs during the current input

RpcMethod Method(std::string name, std::vector<RpcArg> args, RpcMethod::Handler handler) {
  return RpcMethod{std::move(name),
                   "A test method.",
                   std::move(args),
                   {{RpcType::kAny, "", "anything"}},
                   "",
                   [handler = std::move(handler)](const RpcMethod& self, const RpcRequest& r) {
                     ++g_calls;
                     return handler(self, r);
                   }};
}

const cc::rpc::RpcTable& Table() {
  static cc::rpc::RpcTable* table = [] {
    auto* t = new cc::rpc::RpcTable();
    const auto add = [t](RpcMethod m) { CC_FUZZ_CHECK(t->Add("test", std::move(m)).ok()); };
    add(Method("echo", {{"value", RpcType::kAny, RpcArg::kOptional, "", "anything"}},
               [](const RpcMethod&, const RpcRequest& r) -> json { return r.Arg(0); }));
    // Every argument type, parsed with rpc/util.h's helpers.
    add(Method("typed",
               {{"hash", RpcType::kHex, RpcArg::kRequired, "", "a hash"},
                {"n", RpcType::kNumber, RpcArg::kOptional, "0", "an integer"},
                {"flag", RpcType::kBool, RpcArg::kOptional, "false", "a flag"},
                {"text", RpcType::kString, RpcArg::kOptional, "", "a string"},
                {"obj", RpcType::kObject, RpcArg::kOptional, "", "an object"},
                {"arr", RpcType::kArray, RpcArg::kOptional, "", "an array"}},
               [](const RpcMethod&, const RpcRequest& r) -> json {
                 const cc::Uint256 hash = cc::rpc::ParseHashArg(r.Arg(0), "hash");
                 int64_t n = 0;
                 if (!r.Arg(1).is_null()) {
                   n = cc::rpc::ParseIntArg(r.Arg(1), "n", -1000, 1000, "n out of range");
                 }
                 return json{{"hash", hash.ToHex()}, {"n", n}, {"rest", r.params}};
               }));
    add(Method("rpcerror", {}, [](const RpcMethod&, const RpcRequest&) -> json {
      throw cc::rpc::RpcError(cc::rpc::kRpcInvalidAddressOrKey, "no such thing");
    }));
    add(Method("throws", {}, [](const RpcMethod&, const RpcRequest&) -> json {
      throw std::runtime_error("unexpected");
    }));
    // A reply of n bytes: reaches the reply limit alone or in a batch.
    add(Method("big", {{"n", RpcType::kNumber, RpcArg::kRequired, "", "bytes"}},
               [](const RpcMethod&, const RpcRequest& r) -> json {
                 const int64_t n = cc::rpc::ParseIntArg(r.Arg(0), "n", 0, 1 << 16, "n");
                 return std::string(static_cast<size_t>(n), 'x');
               }));
    t->SetWarmupFinished();
    return t;
  }();
  return *table;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  g_calls = 0;
  const cc::rpc::HttpReply reply = cc::rpc::DispatchJsonRpc(Table(), body, "user", kLimits);

  const unsigned s = reply.status;
  CC_FUZZ_CHECK(s == 200 || s == 204 || s == 400 || s == 404 || s == 500);
  CC_FUZZ_CHECK((s == 204) == reply.body.empty());
  json request;
  const bool parsed = cc::rpc::ParseJsonBody(body, &request).ok();
  if (!parsed) CC_FUZZ_CHECK(s == 500 && g_calls == 0);
  if (s == 204) return 0;

  CC_FUZZ_CHECK(reply.body.back() == '\n');
  const json out = json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  CC_FUZZ_CHECK(!out.is_discarded());
  if (!parsed) {
    CC_FUZZ_CHECK(out.is_object() && out["error"]["code"] == cc::rpc::kRpcParseError);
    return 0;
  }

  size_t elements = 1;
  if (request.is_array()) {
    elements = request.size();
    if (elements == 0 || elements > kLimits.max_batch_size) {
      CC_FUZZ_CHECK(s == 400 && g_calls == 0 && out.is_object());
      return 0;
    }
    CC_FUZZ_CHECK(s == 200 && out.is_array() && out.size() <= elements);
  }
  CC_FUZZ_CHECK(g_calls <= elements);
  // Error replies echo the request's id, so each may be as long as the input.
  CC_FUZZ_CHECK(reply.body.size() <= kLimits.max_reply_bytes + elements * (size + 256));
  return 0;
}
