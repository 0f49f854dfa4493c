// HttpRpcServer: the JSON-RPC endpoint, HTTP/1.1 on Boost.Beast.
//
// Per connection, a request goes through these gates, in order:
//   1. header read within the idle timeout (8 KiB header limit);
//   2. the peer's address is loopback or in allow_ip          else 403
//   3. the connection is within max_connections               else 503
//      (and past twice that, the connection is closed at once)
//   4. method POST                                            else 405
//   5. target "/" or "/wallet/<name>"                         else 404
//   6. Basic credentials accepted by the RpcAuthenticator     else 401,
//      sent after auth_failure_delay to slow password guessing;
//   7. body within max_body_bytes (Content-Length or chunks)  else 413;
//   8. a free slot in the work queue                          else 503;
// then DispatchJsonRpc runs on the handler pool and its reply is written.
// The body is read only after the header passed 2-6, so an unauthenticated
// client cannot make the server buffer a body. A refused request gets
// "Connection: close" and a lingering close (the rest of its input is read
// and dropped), so the client reads the refusal instead of a reset.
// Connections are kept alive between requests as HTTP/1.1 asks; an idle or
// slow connection is closed after idle_timeout.
//
// Threads: one I/O thread runs the sockets; `threads` handler threads run
// the methods (so a slow method never stalls other connections).
//
// Thread safety: Start() and Stop() from one controlling thread. The table
// and authenticator are read concurrently by the handler threads.

#ifndef COMPUTECOIN_RPC_HTTP_SERVER_H
#define COMPUTECOIN_RPC_HTTP_SERVER_H

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "chain/status.h"
#include "rpc/auth.h"
#include "rpc/table.h"

namespace cc::rpc {

struct HttpServerOptions {
  /// Addresses to listen on: "127.0.0.1", "::1", "0.0.0.0:9332", "[::1]:9332".
  /// An address without a port uses `port`.
  std::vector<std::string> bind = {"127.0.0.1"};
  /// 0 asks the kernel for a free port (tests); see HttpRpcServer::ports().
  uint16_t port = 0;
  /// Extra client addresses allowed, as IPs or CIDR subnets ("10.0.0.0/8",
  /// "fd00::/8"). Loopback clients are always allowed.
  std::vector<std::string> allow_ip;
  size_t max_body_bytes = 32u << 20;  //!< e.g. 32 MiB
  /// Requests in one batch, at most; a longer batch gets HTTP 400 and -32600.
  /// Each element may be a slow call, so this bounds the time and memory one
  /// body can take (Bitcoin Core sets no limit; 1000 covers every client we know).
  size_t max_batch_size = 1000;
  /// Bytes of reply body, at most; calls whose replies would go past it are
  /// answered with -7 instead (see DispatchJsonRpc), so a batch of large
  /// results cannot grow the node's memory without bound. e.g. 32 MiB.
  size_t max_reply_bytes = 32u << 20;
  size_t max_connections = 64;  //!< further connections get 503, or closed past 2x
  size_t threads = 4;           //!< handler threads
  size_t work_queue = 16;       //!< requests waiting for a handler thread, at most
  std::chrono::milliseconds idle_timeout{30'000};
  std::chrono::milliseconds auth_failure_delay{250};
  /// Where the server reports what it refuses or fails at (may be empty).
  std::function<void(const std::string&)> log;
  /// Each kind of refusal (work queue full, connection limit, wrong password,
  /// address not allowed) is logged at most once per log_interval; the next
  /// line says how many were left out (rate_limited_log.h). A client can
  /// cause them at will: one line each once wrote 6 MB of log in 20 s.
  std::chrono::milliseconds log_interval{10'000};
};

class HttpRpcServer {
 public:
  /// REQUIRES: table and auth outlive the server.
  HttpRpcServer(const RpcTable& table, const RpcAuthenticator& auth, HttpServerOptions options);
  ~HttpRpcServer();  // Stop()s
  HttpRpcServer(const HttpRpcServer&) = delete;
  HttpRpcServer& operator=(const HttpRpcServer&) = delete;

  /// Binds every address and starts serving. Returns InvalidArgument for a
  /// malformed bind or allow_ip entry, IOError if an address cannot be bound
  /// ("Unable to bind RPC on 127.0.0.1:9332: Address already in use");
  /// nothing is then left listening. REQUIRES: called once.
  Status Start();

  /// The ports actually bound, one per bind address (after a successful Start).
  std::vector<uint16_t> ports() const;

  /// Stops accepting, closes idle connections, lets requests already being
  /// handled finish and their replies be written (waiting up to a few
  /// seconds for slow clients), then stops the threads. Idempotent.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cc::rpc

#endif  // COMPUTECOIN_RPC_HTTP_SERVER_H
