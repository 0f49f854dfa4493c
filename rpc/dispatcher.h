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
// Limits (DispatchLimits):
//   - the body is parsed with ParseJsonBody (nesting at most kMaxJsonDepth);
//   - a batch of more than max_batch_size requests is refused whole, unrun:
//     400, -32600 "Invalid Request: batch of N requests exceeds the limit of M";
//   - a reply body larger than max_reply_bytes is never built. A single call
//     whose reply is too large gets -7 "Reply exceeds the limit of M bytes"
//     (it ran). A batch's replies are added while they fit; the call that does
//     not fit gets the same error (it ran) and every later call gets -7 "Not
//     run: the batch's reply exceeds the limit of M bytes" without running, so
//     the body may exceed the limit by one short error per element.
//
// Thread safety: as safe as RpcTable::Execute (may run concurrently).

#ifndef COMPUTECOIN_RPC_DISPATCHER_H
#define COMPUTECOIN_RPC_DISPATCHER_H

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "rpc/table.h"

namespace cc::rpc {

/// Bounds on what one HTTP request may make the dispatcher do. The server
/// fills them from HttpServerOptions, which holds their defaults.
struct DispatchLimits {
  size_t max_batch_size;   //!< requests in one batch, at most
  size_t max_reply_bytes;  //!< bytes of reply body, at most (see DispatchJsonRpc)
};

struct HttpReply {
  unsigned status = 200;
  std::string body;  //!< empty for 204
};

/// Runs the JSON-RPC request or batch in `body` for `user` (already
/// authenticated), which came on HTTP target `uri` ("/" or "/wallet/<name>",
/// passed to each method). Never throws: every failure becomes a reply.
/// `progress` reaches a single request's method (RpcRequest::progress), never
/// a batch's.
HttpReply DispatchJsonRpc(const RpcTable& table, std::string_view body, const std::string& user,
                          const DispatchLimits& limits, const std::string& uri = "/",
                          const std::function<bool(const json&)>& progress = {});

}  // namespace cc::rpc

#endif  // COMPUTECOIN_RPC_DISPATCHER_H
