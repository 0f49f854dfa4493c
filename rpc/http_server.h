// HttpServer: HTTP/1.1 on Boost.Beast for the node's two endpoints, the
// JSON-RPC server (HttpRpcServer, below) and the inference API
// (rpc/completions.h). What a request may ask for and who may ask it is an
// HttpService's to decide; everything that keeps a hostile client from
// starving others is the server's, the same for both.
//
// Connection slots. Every local client is 127.0.0.1, so nothing can be
// decided per address; instead a new connection joins a pool of
// max_unauthenticated_connections shared by connections that have not yet
// sent a request with good credentials. When the pool overflows, its oldest
// member is closed (never a newcomer refused), so idle or trickling
// connections, however many, only ever push each other out. A connection
// whose request authenticates moves to one of max_connections authenticated
// slots and keeps it until it closes; if they are all taken it gets 503.
//
// Per connection, a request goes through these gates, in order:
//   1. its first byte within idle_timeout (of the connection opening or of
//      the previous reply); its deadlines count from that byte;
//   2. the header within header_timeout (8 KiB limit)         else closed
//   3. the peer's address is loopback or in allow_ip          else 403
//   4. HttpService::Admit: method, target and credentials, in the service's
//      order; a refusal for bad credentials (401) is sent after
//      auth_failure_delay to slow password guessing;
//   5. an authenticated slot (held from now on)               else 503
//   6. body within max_body_bytes (Content-Length or chunks)  else 413,
//      and the whole request in within body_timeout           else closed;
//   7. a free place in the work queue                         else 503;
// then HttpService::Handle runs on the handler pool and its reply is written
// (whole, or streamed in chunks). Bytes trickling in never extend a deadline.
// The body is read only after the header passed 3-5, so an unauthenticated
// client cannot make the server buffer a body. A refused request gets
// "Connection: close" and a lingering close (the rest of its input is read
// and dropped), so the client reads the refusal instead of a reset.
// Connections are kept alive between requests as HTTP/1.1 asks, except after
// a streamed reply.
//
// Threads: one I/O thread runs the sockets; `threads` handler threads run
// the handlers (so a slow one never stalls other connections).
//
// Thread safety: Start() and Stop() from one controlling thread. The service
// is called concurrently by the handler threads.

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
  /// Connections not yet authenticated (no request has passed the
  /// credentials check) share this many slots; when one more arrives the
  /// oldest of them is closed, so idle or trickling connections can never
  /// keep an authenticated client out.
  size_t max_unauthenticated_connections = 32;
  /// Longest a request's header may take, from its first byte (a trickle does
  /// not extend it).
  std::chrono::milliseconds header_timeout{10'000};
  /// Longest a whole request (header and body) may take, from its first byte.
  std::chrono::milliseconds body_timeout{60'000};
  /// Authenticated connections, at most; a request that authenticates when
  /// all are taken gets 503 "Too many connections".
  size_t max_connections = 64;
  /// Handler threads. Bitcoin Core's default since v29; they sleep when idle,
  /// and a call that waits on a lock holds only its own thread.
  size_t threads = 16;
  /// Requests waiting for a handler thread (not counting those running), at
  /// most; beyond it 503 "Work queue depth exceeded". Bitcoin Core's default
  /// since v29. Each authenticated connection has at most one request in
  /// flight, so with threads + work_queue >= max_connections (16 + 64 >= 64)
  /// no client is ever refused for the queue: 50 keep-alive clients got 8.7%
  /// 503s with the old 4 threads and 16 in flight.
  size_t work_queue = 64;
  /// Longest wait for a request's first byte: on a new connection, and on a
  /// kept-alive one after its last reply. Also bounds writing a reply.
  std::chrono::milliseconds idle_timeout{30'000};
  std::chrono::milliseconds auth_failure_delay{250};
  /// Where the server reports what it refuses or fails at (may be empty).
  std::function<void(const std::string&)> log;
  /// Each kind of refusal (work queue full, connection limit, wrong password,
  /// address not allowed) is logged at most once per log_interval; the next
  /// line says how many were left out (rate_limited_log.h). A client can
  /// cause them at will: one line each once wrote 6 MB of log in 20 s.
  std::chrono::milliseconds log_interval{10'000};
  /// Names the endpoint in log lines and bind errors ("RPC", "API").
  std::string name = "RPC";
};

/// A request as a service sees it.
struct HttpRequestHead {
  std::string method;         //!< e.g. "POST"
  std::string target;         //!< e.g. "/", "/v1/completions"
  std::string authorization;  //!< the Authorization header's value, or empty
  std::string accept;         //!< the Accept header's value, or empty
};

/// How a handler answers: one Reply, or StartStream, any number of Send and
/// one Finish. Calls block until the bytes are handed to the socket (so a
/// streaming handler runs no faster than its client reads); they may be made
/// from the handler's thread only. A responder left without an answer
/// replies 500.
class HttpResponder {
 public:
  virtual ~HttpResponder() = default;
  /// A whole reply; the connection is kept alive if the client asked.
  virtual void Reply(unsigned status, std::string body, const std::string& content_type) = 0;
  /// Starts a chunked reply (e.g. "text/event-stream"); the connection closes after it.
  /// Returns false when the client is gone or the server is stopping (stop producing).
  virtual bool StartStream(unsigned status, const std::string& content_type) = 0;
  /// One chunk of a started stream. Returns false as StartStream does.
  virtual bool Send(std::string data) = 0;
  /// Ends a started stream.
  virtual void Finish() = 0;
};

/// What an endpoint serves. Both calls may run on several threads at once.
class HttpService {
 public:
  virtual ~HttpService() = default;
  /// Gate 4: whether `head` may be served, and for whom. Returns 0 and sets
  /// *principal to admit it, else the HTTP status to refuse it with and
  /// *refusal the body (401 for credentials that are missing or wrong).
  virtual unsigned Admit(const HttpRequestHead& head, std::string* principal,
                         std::string* refusal) const = 0;
  /// The WWW-Authenticate value sent with a 401 (e.g. "Basic realm=\"jsonrpc\"").
  virtual std::string AuthChallenge() const = 0;
  /// Answers one admitted request through `responder`.
  virtual void Handle(const HttpRequestHead& head, const std::string& principal,
                      std::string body, HttpResponder& responder) const = 0;
};

class HttpServer {
 public:
  /// REQUIRES: service outlives the server.
  HttpServer(const HttpService& service, HttpServerOptions options);
  ~HttpServer();  // Stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds every address and starts serving. Returns InvalidArgument for a
  /// malformed bind or allow_ip entry, IOError if an address cannot be bound
  /// ("Unable to bind RPC on 127.0.0.1:9332: Address already in use");
  /// nothing is then left listening. REQUIRES: called once.
  Status Start();

  /// The ports actually bound, one per bind address (after a successful Start).
  std::vector<uint16_t> ports() const;

  /// Stops accepting, closes idle connections, lets requests already being
  /// handled finish and their replies be written (waiting up to a few
  /// seconds for slow clients; a stream's next Send returns false), then
  /// stops the threads. Idempotent.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

/// The JSON-RPC endpoint: POST to "/" or "/wallet/<name>" with Basic
/// credentials that `auth` accepts, answered by DispatchJsonRpc
/// (rpc/dispatcher.h) over `table`.
///
/// Streamed calls. A single request sent with "Accept: text/event-stream"
/// gets its method's progress (RpcRequest::progress, e.g. infer's text) as
/// server-sent events, `data: <json>` each, as it is produced, and then the
/// usual JSON-RPC reply as a last event, `event: result` + `data: <reply>`.
/// A call that produces no progress (any other method, or one that fails
/// first) gets the usual reply, not a stream, with its usual status.
class HttpRpcServer {
 public:
  /// REQUIRES: table and auth outlive the server.
  HttpRpcServer(const RpcTable& table, const RpcAuthenticator& auth, HttpServerOptions options);
  ~HttpRpcServer();  // Stop()s
  HttpRpcServer(const HttpRpcServer&) = delete;
  HttpRpcServer& operator=(const HttpRpcServer&) = delete;

  /// As HttpServer's.
  Status Start();
  std::vector<uint16_t> ports() const;
  void Stop();

 private:
  class Service;
  std::unique_ptr<Service> service_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace cc::rpc

#endif  // COMPUTECOIN_RPC_HTTP_SERVER_H
