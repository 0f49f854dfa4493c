#include "rpc/http_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <list>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "rpc/dispatcher.h"
#include "rpc/json_format.h"
#include "rpc/rate_limited_log.h"

namespace cc::rpc {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr size_t kMaxHeaderBytes = 8 << 10;
// The first read of a request: whatever has arrived, up to this much (the
// header parser takes it from the buffer).
constexpr size_t kFirstReadBytes = 4096;
// How long a refused client may keep sending before we close on it.
constexpr std::chrono::seconds kLingerTimeout{2};
// How long Stop() waits for replies in flight to be written.
constexpr std::chrono::seconds kStopGrace{10};
constexpr const char* kServerName = "computecoin-json-rpc";

// An allowed client subnet.
struct Subnet {
  std::optional<net::ip::network_v4> v4;
  std::optional<net::ip::network_v6> v6;

  bool Contains(const net::ip::address& addr) const {
    if (addr.is_v4() && v4) {
      return net::ip::make_network_v4(addr.to_v4(), v4->prefix_length()).canonical() ==
             v4->canonical();
    }
    if (addr.is_v6() && v6) {
      return net::ip::make_network_v6(addr.to_v6(), v6->prefix_length()).canonical() ==
             v6->canonical();
    }
    return false;
  }
};

Status ParseSubnet(const std::string& text, Subnet* out) {
  boost::system::error_code ec;
  const bool has_prefix = text.find('/') != std::string::npos;
  const std::string with_prefix = text.substr(0, text.find('/'));
  const net::ip::address addr = net::ip::make_address(with_prefix, ec);
  if (ec) return Status::InvalidArgument("Invalid -rpcallowip subnet specification: " + text);
  if (addr.is_v4()) {
    out->v4 = has_prefix ? net::ip::make_network_v4(text, ec)
                         : net::ip::make_network_v4(addr.to_v4(), 32);
  } else {
    out->v6 = has_prefix ? net::ip::make_network_v6(text, ec)
                         : net::ip::make_network_v6(addr.to_v6(), 128);
  }
  if (ec) return Status::InvalidArgument("Invalid -rpcallowip subnet specification: " + text);
  return Status::OK();
}

// "host", "host:port", "[v6]:port" or a bare IPv6 address.
Status ParseBind(const std::string& text, uint16_t default_port, tcp::endpoint* out) {
  std::string host = text;
  std::string port_text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string::npos)
      return Status::InvalidArgument("Invalid -rpcbind address: " + text);
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':')
        return Status::InvalidArgument("Invalid -rpcbind address: " + text);
      port_text = text.substr(close + 2);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    host = text.substr(0, text.find(':'));
    port_text = text.substr(text.find(':') + 1);
  }
  boost::system::error_code ec;
  const net::ip::address addr = net::ip::make_address(host, ec);
  if (ec) return Status::InvalidArgument("Invalid -rpcbind address: " + text);
  uint16_t port = default_port;
  if (!port_text.empty()) {
    unsigned long value = 0;
    size_t used = 0;
    try {
      value = std::stoul(port_text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != port_text.size() || value > 65535) {
      return Status::InvalidArgument("Invalid port in -rpcbind address: " + text);
    }
    port = static_cast<uint16_t>(value);
  }
  *out = tcp::endpoint(addr, port);
  return Status::OK();
}

std::string EndpointText(const tcp::endpoint& endpoint) {
  const std::string host = endpoint.address().to_string();
  return (endpoint.address().is_v6() ? "[" + host + "]" : host) + ":" +
         std::to_string(endpoint.port());
}

}  // namespace

// ---------------------------------------------------------------------------
// Server state shared by all sessions.

class HttpServer::Impl {
 public:
  class Session;

  Impl(const HttpService& service, HttpServerOptions options)
      : service_(service),
        options_(std::move(options)),
        pool_(std::max<size_t>(1, options_.threads)) {}

  Status Start();
  void Stop();

  bool IsAllowed(const net::ip::address& addr) const {
    net::ip::address a = addr;
    if (a.is_v6() && a.to_v6().is_v4_mapped()) {
      a = net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6());
    }
    if (a.is_loopback()) return true;
    for (const Subnet& subnet : allowed_) {
      if (subnet.Contains(a)) return true;
    }
    return false;
  }

  // Logs `message` under `condition`, rate-limited (rate_limited_log.h):
  // every condition here can be repeated by a client at will.
  void Log(std::string_view condition, const std::string& message) { log_.Log(condition, message); }

  // Which slots a session holds (guarded by sessions_mutex_). Every session
  // starts unauthenticated, in the shared pool; it leaves the pool either by
  // authenticating (Admit) or by being the oldest when the pool overflows.
  enum class Slot { kUnauthenticated, kAuthenticated, kEvicted };
  // What Admit() decided for a session whose request just authenticated.
  enum class Admission { kAdmitted, kFull, kEvicted };

  // Registers a new, unauthenticated session at the young end of the pool.
  // Returns the oldest unauthenticated session when the pool is now over its
  // size (it no longer counts; the caller closes it), null otherwise or when
  // that session is already being destroyed.
  std::shared_ptr<Session> Register(Session* session, std::weak_ptr<Session> weak);
  // Moves `session` to an authenticated slot if it is not in one yet.
  // Returns kFull (it stays unauthenticated) when all max_connections are
  // taken, kEvicted if it was closed as the oldest meanwhile.
  Admission Admit(Session* session);
  void Unregister(Session* session);

  void Accept(tcp::acceptor& acceptor);

  const HttpService& service_;
  const HttpServerOptions options_;
  RateLimitedLog log_{options_.log, options_.log_interval};
  std::vector<Subnet> allowed_;

  // Declared before the I/O context and the pool: destroying those destroys
  // the sessions their queued handlers hold, and ~Session unregisters here.
  std::mutex sessions_mutex_;
  std::condition_variable sessions_cv_;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;  // guarded by sessions_mutex_
  std::list<Session*> unauthenticated_;  // oldest first; guarded by sessions_mutex_
  size_t authenticated_ = 0;             // guarded by sessions_mutex_

  net::io_context ioc_;
  // Keeps ioc_.run() going while no socket operation is pending, e.g. while
  // the only live request is being handled on the pool: its reply is posted
  // back to ioc_ and must find a thread there. Reset by Stop().
  net::executor_work_guard<net::io_context::executor_type> work_ = net::make_work_guard(ioc_);
  net::thread_pool pool_;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors_;
  std::vector<uint16_t> ports_;
  std::thread io_thread_;
  std::atomic<size_t> queued_{0};  // requests posted to pool_ that no thread has taken yet
  std::atomic<bool> stopping_{false};
  bool started_ = false;
  bool stopped_ = false;
};

// ---------------------------------------------------------------------------
// One connection. Every member function runs on the session's strand.

class HttpServer::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Impl& server, tcp::socket socket)
      : server_(server), stream_(std::move(socket)), timer_(stream_.get_executor()) {}

  ~Session() { server_.Unregister(this); }

  void Start() {
    boost::system::error_code ec;
    const tcp::endpoint remote = stream_.socket().remote_endpoint(ec);
    allowed_ = !ec && server_.IsAllowed(remote.address());
    if (!allowed_)
      server_.Log("forbidden", server_.options_.name + ": refusing connection from " +
                                   (ec ? "unknown" : EndpointText(remote)));
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->ReadHeader(); });
  }

  auto executor() { return stream_.get_executor(); }

  // Posted by Stop(): close idle connections now, busy ones after their reply.
  void OnServerStop() {
    stopping_ = true;
    switch (state_) {
      case State::kIdle:
      case State::kReadingHeader:
      case State::kReadingBody:
      case State::kLingering:
        stream_.cancel();
        break;
      case State::kDelaying:
        timer_.cancel();
        break;
      case State::kProcessing:
      case State::kWriting:
      case State::kClosed:
        break;
    }
  }

 private:
  friend class Impl;  // for the slot fields

  enum class State {
    kIdle,  // waiting for a request's first byte
    kReadingHeader,
    kReadingBody,
    kDelaying,
    kProcessing,
    kWriting,
    kLingering,
    kClosed
  };

  // True once Stop() began. The server flag covers a session accepted while
  // Stop() was taking its snapshot of the sessions to notify.
  bool Stopping() const { return stopping_ || server_.stopping_.load(); }

  // Posted when the unauthenticated pool overflowed and this session was the
  // oldest in it.
  void OnEvicted() {
    timer_.cancel();
    Close();
  }

  // Waits up to idle_timeout for the next request's first byte (a new
  // connection's first request too); the request's deadlines count from it.
  void ReadHeader() {
    if (Stopping()) return Close();
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(server_.options_.max_body_bytes);
    if (buffer_.size() > 0) return StartRequest();  // pipelined: it has begun
    state_ = State::kIdle;
    stream_.expires_after(server_.options_.idle_timeout);
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->Close();
                              self->buffer_.commit(n);
                              self->StartRequest();
                            });
  }

  // Reads the rest of the header by a deadline fixed now: bytes trickling in
  // do not extend it.
  void StartRequest() {
    if (Stopping()) return Close();
    state_ = State::kReadingHeader;
    request_start_ = std::chrono::steady_clock::now();
    stream_.expires_at(request_start_ + server_.options_.header_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec == http::error::body_limit)
      return Refuse(http::status::payload_too_large, "Request body too large\n");
    if (ec == http::error::header_limit)
      return Refuse(http::status::bad_request, "Request header too large\n");
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == net::error::eof) {
      return Close();
    }
    if (ec) return Refuse(http::status::bad_request, "Malformed HTTP request\n");

    const auto& request = parser_->get();
    if (!allowed_) return Refuse(http::status::forbidden, "");
    head_.method = std::string(request.method_string());
    head_.target = std::string(request.target());
    const auto authorization = request.find(http::field::authorization);
    head_.authorization =
        authorization == request.end() ? std::string() : std::string(authorization->value());
    const auto accept = request.find(http::field::accept);
    head_.accept = accept == request.end() ? std::string() : std::string(accept->value());
    std::string refusal;
    const unsigned refused = server_.service_.Admit(head_, &user_, &refusal);
    if (refused == static_cast<unsigned>(http::status::unauthorized)) {
      boost::system::error_code remote_ec;
      const tcp::endpoint remote = stream_.socket().remote_endpoint(remote_ec);
      server_.Log("auth", server_.options_.name + ": incorrect password attempt from " +
                              (remote_ec ? "unknown" : EndpointText(remote)));
      // Delay the refusal to slow down password guessing.
      state_ = State::kDelaying;
      timer_.expires_after(server_.options_.auth_failure_delay);
      timer_.async_wait([self = shared_from_this(), refusal](beast::error_code) {
        self->Write(http::status::unauthorized, refusal, "text/plain", /*keep_alive=*/false);
      });
      return;
    }
    if (refused != 0) {
      return Write(static_cast<http::status>(refused), refusal, "text/plain",
                   /*keep_alive=*/false);
    }

    switch (server_.Admit(this)) {
      case Impl::Admission::kAdmitted:
        break;
      case Impl::Admission::kEvicted:
        return Close();
      case Impl::Admission::kFull:
        server_.Log("connections", server_.options_.name + ": connection limit reached");
        return Refuse(http::status::service_unavailable, "Too many connections\n");
    }
    // Only chunked is understood (RFC 9112 §6.1): a body in any other coding
    // would be read as empty or as raw bytes and then fail as a parse error.
    const auto coding = request.find(http::field::transfer_encoding);
    if (coding != request.end() && !beast::iequals(coding->value(), "chunked")) {
      // Without chunked last, where the body ends is unknown: 400, and close.
      return Refuse(request.chunked() ? http::status::not_implemented : http::status::bad_request,
                    "Unsupported Transfer-Encoding: only chunked is understood\n");
    }
    // From here the whole request must be in by body_timeout after it began.
    stream_.expires_at(request_start_ + server_.options_.body_timeout);

    if (beast::iequals(request[http::field::expect], "100-continue")) {
      // curl asks before sending bodies over 1 KiB; answer, then read on.
      auto interim =
          std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      state_ = State::kWriting;
      http::async_write(stream_, *interim,
                        [self = shared_from_this(), interim](beast::error_code write_ec, size_t) {
                          if (write_ec) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    if (Stopping()) return Close();
    state_ = State::kReadingBody;
    stream_.expires_at(request_start_ + server_.options_.body_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); });
  }

  void OnBody(beast::error_code ec) {
    if (ec == http::error::body_limit)
      return Refuse(http::status::payload_too_large, "Request body too large\n");
    if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
        ec == beast::error::timeout || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset || ec == net::error::eof) {
      return Close();
    }
    // The client is still there, but its body broke the framing (a chunk
    // size that is not hex, say): tell it so rather than hang up.
    if (ec) return Refuse(http::status::bad_request, "Malformed HTTP request body\n");

    keep_alive_ = parser_->get().keep_alive();
    if (server_.queued_.fetch_add(1) >= server_.options_.work_queue) {
      server_.queued_.fetch_sub(1);
      server_.Log("workqueue", server_.options_.name + ": work queue depth exceeded");
      return Write(http::status::service_unavailable, "Work queue depth exceeded\n", "text/plain",
                   keep_alive_);
    }
    state_ = State::kProcessing;
    net::post(server_.pool_, [self = shared_from_this(), body = std::move(parser_->get().body())] {
      // Taken by a thread: no longer waiting (Bitcoin Core's queue depth, too,
      // counts only requests no thread has taken).
      self->server_.queued_.fetch_sub(1);
      Responder responder(self);
      self->server_.service_.Handle(self->head_, self->user_, std::move(body), responder);
    });
  }

  // The HttpResponder a handler answers through, on a handler thread; each
  // call posts its write to the session's strand. Blocking calls wait for it.
  class Responder final : public HttpResponder {
   public:
    explicit Responder(std::shared_ptr<Session> session) : session_(std::move(session)) {}
    ~Responder() override {
      if (!answered_) Reply(500, "Internal error\n", "text/plain");
      if (streaming_ && !finished_) Finish();
    }

    void Reply(unsigned status, std::string body, const std::string& content_type) override {
      answered_ = true;
      net::post(session_->executor(),
                [self = session_, status, body = std::move(body), content_type]() mutable {
                  self->Write(static_cast<http::status>(status), std::move(body),
                              content_type.c_str(), self->keep_alive_);
                });
    }

    bool StartStream(unsigned status, const std::string& content_type) override {
      answered_ = streaming_ = true;
      return Wait([status, content_type](Session& self, std::function<void(bool)> done) {
        self.WriteStreamHead(static_cast<http::status>(status), content_type, std::move(done));
      });
    }

    bool Send(std::string data) override {
      if (!ok_ || data.empty()) return ok_;
      auto chunk = std::make_shared<const std::string>(std::move(data));
      return Wait([chunk](Session& self, std::function<void(bool)> done) {
        self.WriteChunk(chunk, std::move(done));
      });
    }

    void Finish() override {
      finished_ = true;
      net::post(session_->executor(), [self = session_, ok = ok_] { self->FinishStream(ok); });
    }

   private:
    // Runs `write` on the strand and waits for it to report; false from then
    // on once a write failed (the client is gone) or the server is stopping.
    template <typename WriteFn>
    bool Wait(WriteFn write) {
      if (!ok_) return false;
      auto result = std::make_shared<std::promise<bool>>();
      std::future<bool> written = result->get_future();
      net::post(session_->executor(), [self = session_, write, result] {
        write(*self, [result](bool ok) { result->set_value(ok); });
      });
      ok_ = written.get();
      return ok_;
    }

    std::shared_ptr<Session> session_;
    bool answered_ = false, streaming_ = false, finished_ = false, ok_ = true;
  };

  // A streamed reply's header: chunked, and the connection closes after it.
  void WriteStreamHead(http::status status, const std::string& content_type,
                       std::function<void(bool)> done) {
    if (Stopping()) return done(false);
    auto response = std::make_shared<http::response<http::empty_body>>(status, 11);
    response->set(http::field::server, kServerName);
    response->set(http::field::content_type, content_type);
    response->set(http::field::cache_control, "no-cache");
    response->chunked(true);
    response->keep_alive(false);
    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*response);
    state_ = State::kWriting;
    stream_.expires_after(server_.options_.idle_timeout);
    http::async_write_header(
        stream_, *serializer,
        [self = shared_from_this(), response, serializer, done](beast::error_code ec, size_t) {
          if (ec) self->Close();
          done(!ec);
        });
  }

  void WriteChunk(std::shared_ptr<const std::string> data, std::function<void(bool)> done) {
    if (Stopping() || state_ == State::kClosed) return done(false);
    stream_.expires_after(server_.options_.idle_timeout);
    net::async_write(stream_, http::make_chunk(net::buffer(*data)),
                     [self = shared_from_this(), data, done](beast::error_code ec, size_t) {
                       if (ec) self->Close();
                       done(!ec);
                     });
  }

  // The last chunk, then a lingering close; only the close when the stream
  // already failed.
  void FinishStream(bool ok) {
    if (!ok || state_ == State::kClosed) return Close();
    stream_.expires_after(server_.options_.idle_timeout);
    net::async_write(stream_, http::make_chunk_last(),
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->Close();
                       self->Linger();
                     });
  }

  void Write(http::status status, std::string body, const char* content_type, bool keep_alive) {
    auto response = std::make_shared<http::response<http::string_body>>(status, 11);
    response->set(http::field::server, kServerName);
    if (status == http::status::unauthorized) {
      response->set(http::field::www_authenticate, server_.service_.AuthChallenge());
    }
    if (!body.empty()) response->set(http::field::content_type, content_type);
    response->keep_alive(keep_alive && !Stopping());
    response->body() = std::move(body);
    response->prepare_payload();

    state_ = State::kWriting;
    stream_.expires_after(server_.options_.idle_timeout);
    http::async_write(stream_, *response,
                      [self = shared_from_this(), response](beast::error_code ec, size_t) {
                        if (ec) return self->Close();
                        if (!response->keep_alive()) return self->Linger();
                        self->ReadHeader();
                      });
  }

  // Answers with `status` and closes the connection without reading its body.
  void Refuse(http::status status, const char* text) {
    Write(status, text, "text/plain", /*keep_alive=*/false);
  }

  // Half-closes, then reads and drops what the client still sends until it
  // closes or kLingerTimeout passes: closing a socket with unread input would
  // send a reset, and the client could lose our reply.
  void Linger() {
    state_ = State::kLingering;
    boost::system::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return Close();
    stream_.expires_after(kLingerTimeout);
    Drain();
  }

  void Drain() {
    if (Stopping()) return Close();
    stream_.async_read_some(net::buffer(drain_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->Close();
                              self->Drain();
                            });
  }

  void Close() {
    state_ = State::kClosed;
    boost::system::error_code ec;
    stream_.socket().close(ec);
  }

  Impl& server_;
  beast::tcp_stream stream_;
  net::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::array<char, 4096> drain_{};
  HttpRequestHead head_;  // of the request being read or handled
  std::string user_;
  State state_ = State::kIdle;
  std::chrono::steady_clock::time_point request_start_;  // the current request's first byte
  // Guarded by server_.sessions_mutex_ (see Impl::Register).
  Impl::Slot slot_ = Impl::Slot::kUnauthenticated;
  std::list<Session*>::iterator pool_position_;  // in unauthenticated_ while kUnauthenticated
  bool allowed_ = false;
  bool keep_alive_ = false;
  bool stopping_ = false;
};

// ---------------------------------------------------------------------------

Status HttpServer::Impl::Start() {
  for (const std::string& entry : options_.allow_ip) {
    Subnet subnet;
    Status s = ParseSubnet(entry, &subnet);
    if (!s.ok()) return s;
    allowed_.push_back(subnet);
  }
  std::vector<tcp::endpoint> endpoints;
  for (const std::string& entry : options_.bind) {
    tcp::endpoint endpoint;
    Status s = ParseBind(entry, options_.port, &endpoint);
    if (!s.ok()) return s;
    endpoints.push_back(endpoint);
  }
  for (const tcp::endpoint& endpoint : endpoints) {
    auto acceptor = std::make_unique<tcp::acceptor>(ioc_);
    boost::system::error_code ec;
    acceptor->open(endpoint.protocol(), ec);
    if (!ec) acceptor->set_option(net::socket_base::reuse_address(true), ec);
    if (!ec && endpoint.address().is_v6()) acceptor->set_option(net::ip::v6_only(true), ec);
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      acceptors_.clear();
      return Status::IOError("Unable to bind " + options_.name + " on " +
                             EndpointText(endpoint) + ": " + ec.message());
    }
    ports_.push_back(acceptor->local_endpoint().port());
    acceptors_.push_back(std::move(acceptor));
  }
  for (auto& acceptor : acceptors_) Accept(*acceptor);
  io_thread_ = std::thread([this] { ioc_.run(); });
  started_ = true;
  return Status::OK();
}

std::shared_ptr<HttpServer::Impl::Session> HttpServer::Impl::Register(
    Session* session, std::weak_ptr<Session> weak) {
  std::lock_guard<std::mutex> lock(sessions_mutex_);
  sessions_.emplace(session, std::move(weak));
  session->pool_position_ = unauthenticated_.insert(unauthenticated_.end(), session);
  // At least one slot, or a new connection would evict itself.
  if (unauthenticated_.size() <= std::max<size_t>(1, options_.max_unauthenticated_connections)) {
    return nullptr;
  }
  Session* oldest = unauthenticated_.front();
  unauthenticated_.pop_front();
  oldest->slot_ = Slot::kEvicted;
  // Released by the caller outside the lock (~Session takes it).
  return sessions_.at(oldest).lock();
}

HttpServer::Impl::Admission HttpServer::Impl::Admit(Session* session) {
  std::lock_guard<std::mutex> lock(sessions_mutex_);
  switch (session->slot_) {
    case Slot::kAuthenticated:
      return Admission::kAdmitted;
    case Slot::kEvicted:
      return Admission::kEvicted;
    case Slot::kUnauthenticated:
      break;
  }
  if (authenticated_ >= options_.max_connections) return Admission::kFull;
  unauthenticated_.erase(session->pool_position_);
  session->slot_ = Slot::kAuthenticated;
  ++authenticated_;
  return Admission::kAdmitted;
}

void HttpServer::Impl::Unregister(Session* session) {
  std::lock_guard<std::mutex> lock(sessions_mutex_);
  sessions_.erase(session);
  switch (session->slot_) {
    case Slot::kUnauthenticated:
      unauthenticated_.erase(session->pool_position_);
      break;
    case Slot::kAuthenticated:
      --authenticated_;
      break;
    case Slot::kEvicted:
      break;
  }
  sessions_cv_.notify_all();
}

void HttpServer::Impl::Accept(tcp::acceptor& acceptor) {
  acceptor.async_accept(
      net::make_strand(ioc_), [this, &acceptor](beast::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted || stopping_) return;
        if (!ec) {
          auto session = std::make_shared<Session>(*this, std::move(socket));
          if (std::shared_ptr<Session> oldest = Register(session.get(), session)) {
            Log("evict",
                options_.name + ": too many unauthenticated connections; closing the oldest");
            net::post(oldest->executor(), [oldest] { oldest->OnEvicted(); });
          }
          session->Start();
        }
        Accept(acceptor);
      });
}

void HttpServer::Impl::Stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  stopping_ = true;
  net::post(ioc_, [this] {
    for (auto& acceptor : acceptors_) {
      boost::system::error_code ignored;
      acceptor->close(ignored);
    }
  });
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard<std::mutex> lock(sessions_mutex_);
    for (auto& [raw, weak] : sessions_) {
      if (std::shared_ptr<Session> session = weak.lock()) live.push_back(std::move(session));
    }
  }
  for (std::shared_ptr<Session>& session : live) {
    net::post(session->executor(), [session] { session->OnServerStop(); });
  }
  live.clear();  // outside the lock: the last reference may run ~Session, which takes it
  {
    std::unique_lock<std::mutex> lock(sessions_mutex_);
    sessions_cv_.wait_for(lock, kStopGrace, [this] { return sessions_.empty(); });
  }
  pool_.join();
  work_.reset();
  ioc_.stop();
  if (io_thread_.joinable()) io_thread_.join();
  log_.Flush();
}

// ---------------------------------------------------------------------------

HttpServer::HttpServer(const HttpService& service, HttpServerOptions options)
    : impl_(std::make_unique<Impl>(service, std::move(options))) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() { return impl_->Start(); }

std::vector<uint16_t> HttpServer::ports() const { return impl_->ports_; }

void HttpServer::Stop() { impl_->Stop(); }

// ---------------------------------------------------------------------------
// The JSON-RPC endpoint.

class HttpRpcServer::Service final : public HttpService {
 public:
  Service(const RpcTable& table, const RpcAuthenticator& auth, DispatchLimits limits)
      : table_(table), auth_(auth), limits_(limits) {}

  unsigned Admit(const HttpRequestHead& head, std::string* principal,
                 std::string* refusal) const override {
    if (head.method != "POST") {
      *refusal = "JSONRPC server handles only POST requests\n";
      return static_cast<unsigned>(http::status::method_not_allowed);
    }
    if (head.target != "/" && !head.target.starts_with("/wallet/")) {
      refusal->clear();
      return static_cast<unsigned>(http::status::not_found);
    }
    if (!auth_.Check(head.authorization, principal)) {
      refusal->clear();
      return static_cast<unsigned>(http::status::unauthorized);
    }
    return 0;
  }

  std::string AuthChallenge() const override { return "Basic realm=\"jsonrpc\""; }

  void Handle(const HttpRequestHead& head, const std::string& principal, std::string body,
              HttpResponder& responder) const override {
    if (head.accept.find("text/event-stream") == std::string::npos) {
      HttpReply reply = DispatchJsonRpc(table_, body, principal, limits_, head.target);
      responder.Reply(reply.status, std::move(reply.body), "application/json");
      return;
    }
    // The stream starts with the first piece of progress, so that a call
    // refused before any gets the usual reply and status.
    bool streaming = false, open = true;
    auto progress = [&](const json& event) {
      if (!streaming) open = responder.StartStream(200, "text/event-stream");
      streaming = true;
      open = open && responder.Send("data: " + DumpJson(event) + "\n\n");
      return open;
    };
    HttpReply reply = DispatchJsonRpc(table_, body, principal, limits_, head.target, progress);
    if (!streaming) {
      responder.Reply(reply.status, std::move(reply.body), "application/json");
      return;
    }
    if (!reply.body.empty() && reply.body.back() == '\n') reply.body.pop_back();  // one line
    if (open) responder.Send("event: result\ndata: " + reply.body + "\n\n");
    responder.Finish();
  }

 private:
  const RpcTable& table_;
  const RpcAuthenticator& auth_;
  const DispatchLimits limits_;
};

HttpRpcServer::HttpRpcServer(const RpcTable& table, const RpcAuthenticator& auth,
                             HttpServerOptions options)
    : service_(std::make_unique<Service>(
          table, auth, DispatchLimits{options.max_batch_size, options.max_reply_bytes})),
      server_(std::make_unique<HttpServer>(*service_, std::move(options))) {}

HttpRpcServer::~HttpRpcServer() { Stop(); }

Status HttpRpcServer::Start() { return server_->Start(); }

std::vector<uint16_t> HttpRpcServer::ports() const { return server_->ports(); }

void HttpRpcServer::Stop() { server_->Stop(); }

}  // namespace cc::rpc
