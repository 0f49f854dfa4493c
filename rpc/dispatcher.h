// DispatchJsonRpc: turns the body of one HTTP POST into the HTTP reply, as
// Bitcoin Core's httprpc.cpp does: parse, run each request through the
// table, and build the replies and the HTTP status.
//
// HTTP status rules (scripts and clients rely on them):
//   200  a successful call; any JSON-RPC 2.0 call, even a failed one (the
//        error is in the body); any batch (errors are per element)
//   204  a 2.0 notification, or a batch of nothing but notifications (no body)
//   400  a legacy (1.0) request that is not a valid request (-32600),
//        and an empty batch
//   404  a legacy request for an unknown method (-32601)
//   500  any other legacy error, and a body that is not JSON (-32700)
// Non-empty bodies end with "\n".
//
// Thread safety: as safe as RpcTable::Execute (may run concurrently).

#ifndef COMPUTECOIN_RPC_DISPATCHER_H
#define COMPUTECOIN_RPC_DISPATCHER_H

#include <string>
#include <string_view>

#include "rpc/table.h"

namespace cc::rpc {

struct HttpReply {
  unsigned status = 200;
  std::string body;  //!< empty for 204
};

/// Runs the JSON-RPC request or batch in `body` for `user` (already
/// authenticated), which came on HTTP target `uri` ("/" or "/wallet/<name>",
/// passed to each method). Never throws: every failure becomes a reply.
HttpReply DispatchJsonRpc(const RpcTable& table, std::string_view body, const std::string& user,
                          const std::string& uri = "/");

}  // namespace cc::rpc

#endif  // COMPUTECOIN_RPC_DISPATCHER_H
