#include "net/connman.h"

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "chain/hash.h"
#include "net/addrman.h"
#include "net/banman.h"

namespace cc::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

/** Bytes read from a socket per read call. */
constexpr size_t kReadChunkSize = 64 * 1024;

uint64_t RandomU64() {
  static thread_local std::random_device rd;
  return (uint64_t{rd()} << 32) ^ uint64_t { rd() };
}

Service FromEndpoint(const tcp::endpoint& ep) {
  Service s;
  const asio::ip::address a = ep.address();
  if (a.is_v4()) {
    const auto b = a.to_v4().to_bytes();
    s = Service::FromIPv4(b[0], b[1], b[2], b[3], ep.port());
  } else {
    const auto b = a.to_v6().to_bytes();
    std::memcpy(s.ip.data(), b.data(), 16);
    s.port = ep.port();
  }
  return s;
}

tcp::endpoint ToEndpoint(const Service& s) {
  if (s.IsIPv4()) {
    return {asio::ip::address_v4(
                asio::ip::address_v4::bytes_type{s.ip[12], s.ip[13], s.ip[14], s.ip[15]}),
            s.port};
  }
  asio::ip::address_v6::bytes_type b;
  std::memcpy(b.data(), s.ip.data(), 16);
  return {asio::ip::address_v6(b), s.port};
}

/** Splits "host:port" / "[v6]:port" / "host" into parts. Returns false if malformed. */
bool SplitHostPort(const std::string& in, uint16_t default_port, std::string* host,
                   uint16_t* port) {
  *port = default_port;
  std::string_view s = in;
  if (!s.empty() && s.front() == '[') {
    const size_t close = s.find(']');
    if (close == std::string_view::npos) return false;
    *host = std::string(s.substr(1, close - 1));
    s = s.substr(close + 1);
    if (s.empty()) return true;
    if (s.front() != ':') return false;
    s = s.substr(1);
  } else {
    const size_t colon = s.rfind(':');
    if (colon == std::string_view::npos || s.find(':') != colon) {
      *host = std::string(s);
      return !host->empty();
    }
    *host = std::string(s.substr(0, colon));
    s = s.substr(colon + 1);
  }
  if (s.empty() || s.size() > 5) return false;
  uint32_t p = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    p = p * 10 + static_cast<uint32_t>(c - '0');
  }
  if (p > 65535) return false;
  *port = static_cast<uint16_t>(p);
  return !host->empty();
}

}  // namespace

class Connection;

// ---------------------------------------------------------------------------
// ConnManImpl: the state behind ConnMan.

class ConnManImpl {
 public:
  ConnManImpl(ConnManOptions options, NetEventsInterface* events);

  Status Start();
  void Stop();

  Status ConnectTo(const std::string& target, bool manual);
  Status AddNode(const std::string& target);
  /** Whether `target` parses as host, host:port or [v6]:port. */
  bool IsTarget(const std::string& target) const;
  bool RemoveAddedNode(const std::string& target);
  std::vector<std::string> GetAddedNodes() const;
  bool PushRaw(PeerId id, std::string_view command, ByteSpan payload);
  bool DisconnectPeer(PeerId id, std::string_view reason);
  bool DisconnectPeer(const Service& addr);
  std::vector<PeerRef> Snapshot() const;
  PeerRef FindPeer(PeerId id) const;
  size_t GetPeerCount(bool inbound, bool outbound) const;
  bool IsOwnNonce(uint64_t nonce) const;

  // Called by connections.
  void Wake();
  void OnFatalFrame(const PeerRef& peer, const std::string& reason);
  void Log(const std::string& line) const {
    if (opt_.log) opt_.log(line);
  }

  const ConnManOptions opt_;
  NetEventsInterface* const events_;
  std::atomic<uint64_t> total_sent_{0};

  // The -maxuploadtarget window. A send while none is open (or after it
  // ended) opens one.
  void RecordUpload(uint64_t n) {
    std::lock_guard<std::mutex> lock(upload_mu_);
    const SteadyClock::time_point now = SteadyClock::now();
    if (!cycle_open_ || now >= cycle_start_ + kMaxUploadTimeframe) {
      cycle_open_ = true;
      cycle_start_ = now;
      cycle_sent_ = 0;
    }
    cycle_sent_ += n;
  }
  UploadTargetStats UploadTarget() const {
    std::lock_guard<std::mutex> lock(upload_mu_);
    UploadTargetStats s;
    s.target = opt_.max_upload_target;
    if (s.target == 0) return s;
    const SteadyClock::time_point now = SteadyClock::now();
    const bool current = cycle_open_ && now < cycle_start_ + kMaxUploadTimeframe;
    const uint64_t sent = current ? cycle_sent_ : 0;
    s.time_left_in_cycle = current ? std::chrono::duration_cast<std::chrono::seconds>(
                                         cycle_start_ + kMaxUploadTimeframe - now)
                                   : kMaxUploadTimeframe;
    s.bytes_left_in_cycle = sent < s.target ? s.target - sent : 0;
    s.target_reached = sent >= s.target;
    // The reserve shrinks with the window's time left, as new blocks to come do.
    const uint64_t reserve = static_cast<uint64_t>(
        static_cast<double>(opt_.upload_new_block_reserve) *
        (static_cast<double>(s.time_left_in_cycle.count()) /
         static_cast<double>(kMaxUploadTimeframe.count())));
    s.serve_historical_blocks = !s.target_reached && s.bytes_left_in_cycle > reserve;
    return s;
  }
  std::atomic<uint64_t> total_recv_{0};
  std::atomic<uint16_t> listen_port_{0};

 private:
  struct Entry {
    PeerRef peer;
    std::shared_ptr<Connection> conn;
    std::string target;  //!< the -connect/-addnode string, for manual outbound peers
  };

  void DoAccept();
  void HandleInbound(tcp::socket socket);
  bool EvictInbound();
  void Register(tcp::socket socket, const Service& addr, bool inbound, bool manual,
                const std::string& target);
  void OpenConnectionsTick();
  void ScheduleOpenConnections();
  void StartConnect(const std::string& target, bool manual);
  /** Tries each endpoint in turn (a name may resolve to ::1 and 127.0.0.1). */
  void ConnectEndpoints(const std::string& target, bool manual,
                        std::vector<tcp::endpoint> endpoints);
  bool IsConnectedOrPending(const std::string& target) const;
  uint64_t NetGroupKeyed(const Service& addr) const;
  void MessageThread();
  template <typename Fn>
  void CallEvents(const char* what, const PeerRef& peer, Fn fn);

  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  tcp::acceptor acceptor_{io_};         // io threads only (and Stop after they ended)
  asio::steady_timer open_timer_{io_};  // io threads only
  std::vector<std::thread> io_threads_;
  std::thread msg_thread_;
  std::atomic<bool> interrupt_{false};
  bool started_ = false;  // caller's thread (Start/Stop)
  bool stopped_ = false;
  Transport framer_;  // MakeFrame only (const, reads the magic): safe from any thread
  const uint64_t netgroup_key_ = RandomU64();

  mutable std::mutex mu_;
  std::map<PeerId, Entry> peers_;                            // GUARDED_BY(mu_)
  std::vector<std::string> added_nodes_;                     // GUARDED_BY(mu_)
  std::set<std::string> pending_;                            // GUARDED_BY(mu_)
  std::map<std::string, SteadyClock::time_point> last_try_;  // GUARDED_BY(mu_)
  PeerId next_id_ = 0;                                       // GUARDED_BY(mu_)

  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  bool wake_ = false;  // GUARDED_BY(wake_mu_)

  mutable std::mutex upload_mu_;
  bool cycle_open_ = false;                // GUARDED_BY(upload_mu_)
  SteadyClock::time_point cycle_start_;  // GUARDED_BY(upload_mu_)
  uint64_t cycle_sent_ = 0;              // GUARDED_BY(upload_mu_)

  std::set<PeerId> initialized_;    // message thread only (then Stop, after it ended)
  std::set<PeerId> reported_good_;  // message thread only
};

// ---------------------------------------------------------------------------
// Connection: one socket, driven on its own strand (chat_server's session shape).

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(ConnManImpl* cm, tcp::socket socket, PeerRef peer)
      : cm_(cm),
        socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        transport_(cm->opt_.magic),
        peer_(std::move(peer)) {}

  const PeerRef& peer() const { return peer_; }
  bool closed() const { return closed_; }

  /** Starts reading and the deadline timer. */
  void Start() {
    asio::post(socket_.get_executor(), [this, self = shared_from_this()] {
      const auto now = SteadyClock::now();
      connected_at_ = last_recv_ = last_send_progress_ = now;
      boost::system::error_code ec;
      socket_.set_option(tcp::no_delay(true), ec);
      ArmTimer();
      DoRead();
    });
  }

  /** Queues a frame (any thread). Returns false if closed or over the hard bound. */
  bool Send(std::vector<uint8_t> frame) {
    if (peer_->disconnecting_) return false;
    const size_t size = frame.size();
    const size_t queued = (peer_->send_queue_bytes_ += size);
    if (queued > cm_->opt_.send_buffer_size * ConnMan::kMaxSendQueueFactor) {
      Close("send-queue-overflow");
      return false;
    }
    if (queued > cm_->opt_.send_buffer_size) peer_->send_paused_ = true;
    asio::post(socket_.get_executor(),
               [this, self = shared_from_this(), f = std::move(frame)]() mutable {
                 if (closed_) return;
                 send_queue_.push_back(std::move(f));
                 if (!writing_) DoWrite();
               });
    return true;
  }

  /** Requests the close (any thread). */
  void Close(std::string reason) {
    peer_->disconnecting_ = true;
    asio::post(socket_.get_executor(),
               [this, self = shared_from_this(), r = std::move(reason)] { CloseNow(r); });
  }

  /** Closes at once. REQUIRES: on the strand, or no io thread running. */
  void CloseNow(const std::string& reason) {
    if (closed_) return;
    {
      std::lock_guard lock(peer_->mu_);
      if (peer_->disconnect_reason_.empty()) peer_->disconnect_reason_ = reason;
    }
    peer_->disconnecting_ = true;
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    timer_.cancel();
    send_queue_.clear();
    peer_->send_queue_bytes_ = 0;
    closed_ = true;
    cm_->Log("disconnect peer=" + std::to_string(peer_->id()) + " " + peer_->addr().ToString() +
             ": " + reason);
    cm_->Wake();
  }

  /** The next received message (message thread). Resumes reading if it was paused. */
  std::optional<ReceivedMessage> PopMessage(bool* more) {
    std::optional<ReceivedMessage> msg;
    {
      std::lock_guard lock(recv_mu_);
      if (recv_queue_.empty()) {
        *more = false;
        return msg;
      }
      msg = std::move(recv_queue_.front());
      recv_queue_.pop_front();
      recv_queue_bytes_ -= msg->wire_size;
      *more = !recv_queue_.empty();
    }
    ResumeReadIfPaused();
    return msg;
  }

  void ResumeReadIfPaused() {
    if (!read_paused_) return;
    asio::post(socket_.get_executor(), [this, self = shared_from_this()] {
      if (!reading_ && !closed_) DoRead();
    });
  }

 private:
  bool ShouldPauseRead() {
    if (peer_->send_queue_bytes_ > cm_->opt_.send_buffer_size) return true;
    std::lock_guard lock(recv_mu_);
    return recv_queue_bytes_ > cm_->opt_.receive_flood_size;
  }

  void DoRead() {
    if (reading_ || closed_) return;
    if (ShouldPauseRead()) {
      read_paused_ = true;
      return;
    }
    read_paused_ = false;
    reading_ = true;
    socket_.async_read_some(asio::buffer(read_buf_),
                            [this, self = shared_from_this()](boost::system::error_code ec,
                                                              size_t n) { OnRead(ec, n); });
  }

  void OnRead(boost::system::error_code ec, size_t n) {
    reading_ = false;
    if (closed_) return;
    if (ec) {
      CloseNow(ec == asio::error::eof ? "peer-closed" : "read-error: " + ec.message());
      return;
    }
    last_recv_ = SteadyClock::now();
    peer_->last_recv_ = UnixTimeSeconds();
    peer_->bytes_recv_ += n;
    cm_->total_recv_ += n;
    ByteSpan span(read_buf_.data(), n);
    bool delivered = false;
    while (true) {
      Status s = transport_.ReceivedBytes(&span);
      if (!s.ok()) {
        cm_->OnFatalFrame(peer_, s.message());
        CloseNow(s.message());
        return;
      }
      if (transport_.HaveCompleteMessage()) {
        ReceivedMessage msg = transport_.GetReceivedMessage();
        ++peer_->msgs_recv_;
        std::lock_guard lock(recv_mu_);
        recv_queue_bytes_ += msg.wire_size;
        recv_queue_.push_back(std::move(msg));
        delivered = true;
      }
      if (span.empty()) break;
    }
    if (delivered) cm_->Wake();
    DoRead();
  }

  void DoWrite() {
    writing_ = true;
    asio::async_write(socket_, asio::buffer(send_queue_.front()),
                      [this, self = shared_from_this()](boost::system::error_code ec, size_t n) {
                        OnWrite(ec, n);
                      });
  }

  void OnWrite(boost::system::error_code ec, size_t n) {
    writing_ = false;
    if (closed_) return;
    if (ec) {
      CloseNow("write-error: " + ec.message());
      return;
    }
    const size_t size = send_queue_.front().size();
    send_queue_.pop_front();
    last_send_progress_ = SteadyClock::now();
    peer_->last_send_ = UnixTimeSeconds();
    peer_->bytes_sent_ += n;
    ++peer_->msgs_sent_;
    cm_->total_sent_ += n;
    cm_->RecordUpload(n);
    const size_t queued = (peer_->send_queue_bytes_ -= size);
    peer_->send_paused_ = queued > cm_->opt_.send_buffer_size;
    if (!send_queue_.empty()) DoWrite();
    if (!reading_) DoRead();  // resumes if the send queue was what paused reading
  }

  void ArmTimer() {
    const auto shortest = std::min(cm_->opt_.handshake_timeout, cm_->opt_.inactivity_timeout);
    const auto tick = std::clamp<std::chrono::milliseconds>(shortest / 4, 10ms, 1000ms);
    timer_.expires_after(tick);
    timer_.async_wait([this, self = shared_from_this()](boost::system::error_code) {
      if (closed_) return;
      const auto now = SteadyClock::now();
      if (!peer_->handshake_complete() && now - connected_at_ > cm_->opt_.handshake_timeout) {
        CloseNow("handshake-timeout");
      } else if (now - last_recv_ > cm_->opt_.inactivity_timeout) {
        CloseNow("inactivity-timeout");
      } else if (writing_ && now - last_send_progress_ > cm_->opt_.inactivity_timeout) {
        CloseNow("send-timeout");
      } else {
        ArmTimer();
      }
    });
  }

  ConnManImpl* const cm_;  // outlives every connection (Stop drains them)
  tcp::socket socket_;     // its executor is this connection's strand
  asio::steady_timer timer_;
  Transport transport_;  // strand only
  const PeerRef peer_;
  std::array<uint8_t, kReadChunkSize> read_buf_;  // strand only
  std::deque<std::vector<uint8_t>> send_queue_;   // strand only
  bool writing_ = false;                          // strand only: one write in flight
  bool reading_ = false;                          // strand only
  SteadyClock::time_point connected_at_, last_recv_, last_send_progress_;  // strand only
  std::atomic<bool> read_paused_{false};
  std::atomic<bool> closed_{false};

  std::mutex recv_mu_;
  std::deque<ReceivedMessage> recv_queue_;  // GUARDED_BY(recv_mu_)
  size_t recv_queue_bytes_ = 0;             // GUARDED_BY(recv_mu_)
};

// ---------------------------------------------------------------------------

ConnManImpl::ConnManImpl(ConnManOptions options, NetEventsInterface* events)
    : opt_(std::move(options)), events_(events), framer_(opt_.magic) {
  added_nodes_ = opt_.addnode;
}

Status ConnManImpl::Start() {
  // A target that cannot parse would be retried, and logged, on every tick.
  for (const auto& [option, targets] :
       {std::pair{"-connect", &opt_.connect}, std::pair{"-addnode", &opt_.addnode}}) {
    for (const std::string& target : *targets) {
      if (!IsTarget(target))
        return Status::InvalidArgument(std::string("Invalid ") + option + "=" + target +
                                       ": expected host, host:port or [v6]:port");
    }
  }
  if (opt_.listen) {
    auto bind = Service::ParseIp(opt_.bind_address, opt_.port);
    if (!bind) return Status::InvalidArgument("bad bind address: " + opt_.bind_address);
    boost::system::error_code ec;
    const tcp::endpoint ep = ToEndpoint(*bind);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      acceptor_.close();
      return Status::IOError("cannot listen on " + bind->ToString() + ": " + ec.message());
    }
    listen_port_ = acceptor_.local_endpoint(ec).port();
    Log("listening on " + bind->IpString() + ":" + std::to_string(listen_port_.load()));
    DoAccept();
  }
  started_ = true;
  work_.emplace(io_.get_executor());
  asio::post(io_, [this] { OpenConnectionsTick(); });
  for (size_t i = 0; i < std::max<size_t>(1, opt_.io_threads); ++i) {
    io_threads_.emplace_back([this] {
      while (true) {
        try {
          io_.run();
          return;
        } catch (const std::exception& e) {
          Log(std::string("exception in I/O handler: ") + e.what());
        } catch (...) {
          Log("unknown exception in I/O handler");
        }
      }
    });
  }
  msg_thread_ = std::thread([this] { MessageThread(); });
  return Status::OK();
}

void ConnManImpl::Stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  interrupt_ = true;
  Wake();
  msg_thread_.join();
  work_.reset();
  io_.stop();
  for (auto& t : io_threads_) t.join();
  // No thread runs the io_context now: close everything from here.
  boost::system::error_code ec;
  acceptor_.close(ec);
  open_timer_.cancel();
  std::map<PeerId, Entry> peers;
  {
    std::lock_guard lock(mu_);
    peers.swap(peers_);
  }
  for (auto& [id, e] : peers) e.conn->CloseNow("shutdown");
  io_.restart();
  io_.poll();  // run the cancelled handlers so they release their connections
  for (auto& [id, e] : peers) {
    // Named: clang before 16 cannot capture a structured binding in a lambda.
    const auto& peer = e.peer;
    if (initialized_.contains(id))
      CallEvents("FinalizePeer", peer, [&] { events_->FinalizePeer(peer); });
  }
  initialized_.clear();
}

void ConnManImpl::Wake() {
  {
    std::lock_guard lock(wake_mu_);
    wake_ = true;
  }
  wake_cv_.notify_one();
}

template <typename Fn>
void ConnManImpl::CallEvents(const char* what, const PeerRef& peer, Fn fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    Log(std::string(what) + " peer=" + std::to_string(peer->id()) + " threw: " + e.what());
  } catch (...) {
    Log(std::string(what) + " peer=" + std::to_string(peer->id()) + " threw");
  }
}

void ConnManImpl::MessageThread() {
  while (!interrupt_) {
    std::vector<Entry> snapshot;
    {
      std::lock_guard lock(mu_);
      snapshot.reserve(peers_.size());
      for (const auto& [id, e] : peers_) snapshot.push_back(e);
    }
    bool more_work = false;
    for (const Entry& e : snapshot) {
      if (interrupt_) break;
      const PeerRef& peer = e.peer;
      const PeerId id = peer->id();
      if (!initialized_.contains(id)) {
        initialized_.insert(id);
        CallEvents("InitializePeer", peer, [&] { events_->InitializePeer(peer); });
      }
      if (e.conn->closed()) {
        CallEvents("FinalizePeer", peer, [&] { events_->FinalizePeer(peer); });
        initialized_.erase(id);
        reported_good_.erase(id);
        std::lock_guard lock(mu_);
        peers_.erase(id);
        continue;
      }
      if (!peer->send_paused()) {
        bool more = false;
        std::optional<ReceivedMessage> msg = e.conn->PopMessage(&more);
        if (msg) CallEvents("ProcessMessage", peer, [&] { events_->ProcessMessage(peer, *msg); });
        more_work |= more;
      }
      CallEvents("SendMessages", peer, [&] { events_->SendMessages(peer); });
      if (opt_.addrman && !peer->inbound() && !peer->manual() && peer->handshake_complete() &&
          reported_good_.insert(id).second) {
        opt_.addrman->Good(peer->addr(), UnixTimeSeconds());
      }
    }
    if (!more_work) {
      std::unique_lock lock(wake_mu_);
      wake_cv_.wait_for(lock, ConnMan::kMessageLoopInterval,
                        [this] { return wake_ || interrupt_.load(); });
      wake_ = false;
    }
  }
}

void ConnManImpl::DoAccept() {
  acceptor_.async_accept(asio::make_strand(io_),
                         [this](boost::system::error_code ec, tcp::socket socket) {
                           if (interrupt_ || !acceptor_.is_open()) return;
                           if (!ec) {
                             HandleInbound(std::move(socket));
                           } else {
                             Log("accept failed: " + ec.message());
                           }
                           DoAccept();
                         });
}

void ConnManImpl::HandleInbound(tcp::socket socket) {
  boost::system::error_code ec;
  const tcp::endpoint ep = socket.remote_endpoint(ec);
  if (ec) return;
  const Service addr = FromEndpoint(ep);
  if (opt_.banman && (opt_.banman->IsBanned(addr) || opt_.banman->IsDiscouraged(addr))) {
    Log("refused banned or discouraged inbound " + addr.ToString());
    return;  // the socket closes as it goes out of scope
  }
  if (GetPeerCount(/*inbound=*/true, /*outbound=*/false) >= opt_.max_inbound && !EvictInbound()) {
    Log("refused inbound " + addr.ToString() + ": inbound slots full, no peer to evict");
    return;
  }
  Register(std::move(socket), addr, /*inbound=*/true, /*manual=*/false, "");
}

uint64_t ConnManImpl::NetGroupKeyed(const Service& addr) const {
  std::vector<uint8_t> data(8);
  std::memcpy(data.data(), &netgroup_key_, 8);
  const std::vector<uint8_t> group = addr.Group();
  data.insert(data.end(), group.begin(), group.end());
  const Uint256 h = Sha256Hash(data);
  uint64_t out;
  std::memcpy(&out, h.data(), 8);
  return out;
}

bool ConnManImpl::EvictInbound() {
  std::vector<EvictionCandidate> candidates;
  for (const PeerRef& p : Snapshot()) {
    if (!p->inbound() || p->disconnecting()) continue;
    candidates.push_back({.id = p->id(),
                          .connected_time = p->connected_time(),
                          .min_ping_us = p->min_ping_us_,
                          .last_block_time = p->last_block_time_,
                          .last_tx_time = p->last_tx_time_,
                          .netgroup = NetGroupKeyed(p->addr()),
                          .is_protected = p->is_protected()});
  }
  const std::optional<PeerId> victim = SelectPeerToEvict(std::move(candidates), opt_.eviction);
  if (!victim) return false;
  return DisconnectPeer(*victim, "evicted");
}

void ConnManImpl::Register(tcp::socket socket, const Service& addr, bool inbound, bool manual,
                           const std::string& target) {
  std::shared_ptr<Connection> conn;
  {
    std::lock_guard lock(mu_);
    const PeerId id = next_id_++;
    auto peer = std::make_shared<Peer>(id, addr, inbound, manual, RandomU64());
    conn = std::make_shared<Connection>(this, std::move(socket), peer);
    peers_[id] = Entry{peer, conn, target};
  }
  Log(std::string(inbound ? "inbound" : "outbound") +
      " peer=" + std::to_string(conn->peer()->id()) + " " + addr.ToString());
  conn->Start();
  Wake();
}

void ConnManImpl::ScheduleOpenConnections() {
  open_timer_.expires_after(ConnMan::kOpenConnectionsInterval);
  open_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || interrupt_) return;
    OpenConnectionsTick();
  });
}

void ConnManImpl::OpenConnectionsTick() {
  if (interrupt_) return;
  try {
    std::vector<std::string> manual;
    {
      std::lock_guard lock(mu_);
      manual = opt_.connect.empty() ? added_nodes_ : opt_.connect;
    }
    const auto now = SteadyClock::now();
    for (const std::string& target : manual) {
      bool due;
      {
        std::lock_guard lock(mu_);
        auto it = last_try_.find(target);
        due = it == last_try_.end() || now - it->second >= opt_.manual_retry_interval;
      }
      if (due && !IsConnectedOrPending(target)) StartConnect(target, /*manual=*/true);
    }
    if (opt_.connect.empty() && opt_.addrman && opt_.target_outbound > 0) {
      std::set<uint64_t> groups;
      std::set<Service> connected;
      size_t automatic = 0;
      for (const PeerRef& p : Snapshot()) {
        connected.insert(p->addr());
        if (!p->inbound()) groups.insert(NetGroupKeyed(p->addr()));
        if (!p->inbound() && !p->manual() && !p->disconnecting()) ++automatic;
      }
      {
        std::lock_guard lock(mu_);
        automatic += pending_.size();  // counts manual attempts too: errs towards fewer
      }
      for (int tries = 0; automatic < opt_.target_outbound && tries < 100; ++tries) {
        const std::optional<AddrEntry> pick = opt_.addrman->Select();
        if (!pick) break;
        const Service& addr = pick->addr;
        if (connected.contains(addr) || groups.contains(NetGroupKeyed(addr))) continue;
        if (opt_.banman && (opt_.banman->IsBanned(addr) || opt_.banman->IsDiscouraged(addr))) {
          continue;
        }
        const std::string target = addr.ToString();
        if (IsConnectedOrPending(target)) continue;
        opt_.addrman->Attempt(addr, UnixTimeSeconds());
        groups.insert(NetGroupKeyed(addr));
        StartConnect(target, /*manual=*/false);
        ++automatic;
      }
    }
  } catch (const std::exception& e) {
    Log(std::string("open connections: ") + e.what());
  }
  ScheduleOpenConnections();
}

bool ConnManImpl::IsConnectedOrPending(const std::string& target) const {
  std::lock_guard lock(mu_);
  if (pending_.contains(target)) return true;
  const auto parsed = Service::Parse(target, opt_.default_port);
  for (const auto& [id, e] : peers_) {
    if (e.peer->disconnecting()) continue;
    if (e.target == target) return true;
    if (parsed && !e.peer->inbound() && e.peer->addr() == *parsed) return true;
  }
  return false;
}

void ConnManImpl::StartConnect(const std::string& target, bool manual) {
  std::string host;
  uint16_t port = 0;
  if (!SplitHostPort(target, opt_.default_port, &host, &port)) {
    Log("cannot parse connect target " + target);
    return;
  }
  {
    std::lock_guard lock(mu_);
    if (!pending_.insert(target).second) return;
    last_try_[target] = SteadyClock::now();
  }
  if (auto numeric = Service::ParseIp(host, port)) {
    ConnectEndpoints(target, manual, {ToEndpoint(*numeric)});
    return;
  }
  auto resolver = std::make_shared<tcp::resolver>(io_);
  resolver->async_resolve(host, std::to_string(port),
                          [this, resolver, target, manual](boost::system::error_code ec,
                                                           tcp::resolver::results_type results) {
                            if (interrupt_) return;
                            if (ec || results.empty()) {
                              Log("cannot resolve " + target + ": " + ec.message());
                              std::lock_guard lock(mu_);
                              pending_.erase(target);
                              return;
                            }
                            ConnectEndpoints(
                                target, manual,
                                std::vector<tcp::endpoint>(results.begin(), results.end()));
                          });
}

void ConnManImpl::ConnectEndpoints(const std::string& target, bool manual,
                                   std::vector<tcp::endpoint> endpoints) {
  struct Attempt {
    explicit Attempt(asio::io_context& io)
        : socket(asio::make_strand(io)), timer(socket.get_executor()) {}
    tcp::socket socket;        // its executor is a strand: both handlers below run on it
    asio::steady_timer timer;  // bounds the whole attempt, every endpoint included
  };
  auto attempt = std::make_shared<Attempt>(io_);
  attempt->timer.expires_after(opt_.connect_timeout);
  attempt->timer.async_wait([attempt](boost::system::error_code ec) {
    if (!ec) {
      boost::system::error_code ignored;
      attempt->socket.close(ignored);  // the connect handler sees operation_aborted
    }
  });
  asio::async_connect(
      attempt->socket, endpoints,
      [this, attempt, target, manual](boost::system::error_code ec, const tcp::endpoint& ep) {
        attempt->timer.cancel();
        {
          std::lock_guard lock(mu_);
          pending_.erase(target);
        }
        if (interrupt_) return;
        if (ec) {
          Log("connect to " + target + " failed: " + ec.message());
          return;
        }
        Register(std::move(attempt->socket), FromEndpoint(ep), /*inbound=*/false, manual,
                 manual ? target : "");
      });
}

void ConnManImpl::OnFatalFrame(const PeerRef& peer, const std::string& reason) {
  Log("peer=" + std::to_string(peer->id()) + " " + peer->addr().ToString() +
      " sent an unusable frame: " + reason);
  if (opt_.banman && !peer->is_protected()) {
    opt_.banman->Discourage(peer->addr());
  }
}

bool ConnManImpl::IsTarget(const std::string& target) const {
  std::string host;
  uint16_t port;
  return SplitHostPort(target, opt_.default_port, &host, &port);
}

Status ConnManImpl::ConnectTo(const std::string& target, bool manual) {
  if (!IsTarget(target)) return Status::InvalidArgument("cannot parse " + target);
  asio::post(io_, [this, target, manual] {
    if (!interrupt_) StartConnect(target, manual);
  });
  return Status::OK();
}

Status ConnManImpl::AddNode(const std::string& target) {
  if (!IsTarget(target)) return Status::InvalidArgument("cannot parse " + target);
  std::lock_guard lock(mu_);
  if (std::find(added_nodes_.begin(), added_nodes_.end(), target) != added_nodes_.end()) {
    return Status::NotSupported("already added");
  }
  added_nodes_.push_back(target);
  return Status::OK();
}

bool ConnManImpl::RemoveAddedNode(const std::string& target) {
  std::lock_guard lock(mu_);
  auto it = std::find(added_nodes_.begin(), added_nodes_.end(), target);
  if (it == added_nodes_.end()) return false;
  added_nodes_.erase(it);
  return true;
}

std::vector<std::string> ConnManImpl::GetAddedNodes() const {
  std::lock_guard lock(mu_);
  return added_nodes_;
}

bool ConnManImpl::PushRaw(PeerId id, std::string_view command, ByteSpan payload) {
  std::shared_ptr<Connection> conn;
  {
    std::lock_guard lock(mu_);
    auto it = peers_.find(id);
    if (it == peers_.end()) return false;
    conn = it->second.conn;
  }
  std::vector<uint8_t> frame;
  if (!framer_.MakeFrame(command, payload, &frame).ok()) return false;
  return conn->Send(std::move(frame));
}

bool ConnManImpl::DisconnectPeer(PeerId id, std::string_view reason) {
  std::shared_ptr<Connection> conn;
  {
    std::lock_guard lock(mu_);
    auto it = peers_.find(id);
    if (it == peers_.end()) return false;
    conn = it->second.conn;
  }
  conn->Close(std::string(reason));
  return true;
}

bool ConnManImpl::DisconnectPeer(const Service& addr) {
  bool any = false;
  for (const PeerRef& p : Snapshot()) {
    if (p->addr() == addr) any |= DisconnectPeer(p->id(), "disconnect-requested");
  }
  return any;
}

std::vector<PeerRef> ConnManImpl::Snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<PeerRef> out;
  out.reserve(peers_.size());
  for (const auto& [id, e] : peers_) out.push_back(e.peer);
  return out;
}

PeerRef ConnManImpl::FindPeer(PeerId id) const {
  std::lock_guard lock(mu_);
  auto it = peers_.find(id);
  return it == peers_.end() ? nullptr : it->second.peer;
}

size_t ConnManImpl::GetPeerCount(bool inbound, bool outbound) const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [id, e] : peers_) {
    if (e.peer->disconnecting()) continue;
    if (e.peer->inbound() ? inbound : outbound) ++n;
  }
  return n;
}

bool ConnManImpl::IsOwnNonce(uint64_t nonce) const {
  std::lock_guard lock(mu_);
  for (const auto& [id, e] : peers_) {
    if (!e.peer->inbound() && e.peer->local_nonce() == nonce) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// ConnMan: forwards to the Impl.

ConnMan::ConnMan(ConnManOptions options, NetEventsInterface* events)
    : impl_(std::make_unique<ConnManImpl>(std::move(options), events)) {}
ConnMan::~ConnMan() { Stop(); }
Status ConnMan::Start() { return impl_->Start(); }
void ConnMan::Stop() { impl_->Stop(); }
uint16_t ConnMan::GetListenPort() const { return impl_->listen_port_; }
Status ConnMan::ConnectTo(const std::string& host_port, bool manual) {
  return impl_->ConnectTo(host_port, manual);
}
Status ConnMan::AddNode(const std::string& host_port) { return impl_->AddNode(host_port); }
bool ConnMan::RemoveAddedNode(const std::string& host_port) {
  return impl_->RemoveAddedNode(host_port);
}
std::vector<std::string> ConnMan::GetAddedNodes() const { return impl_->GetAddedNodes(); }
bool ConnMan::PushMessage(PeerId id, const Message& msg) {
  const std::vector<uint8_t> payload = EncodePayload(msg);
  return impl_->PushRaw(id, CommandOf(msg), payload);
}
bool ConnMan::PushRaw(PeerId id, std::string_view command, ByteSpan payload) {
  return impl_->PushRaw(id, command, payload);
}
void ConnMan::WakeMessageHandler() { impl_->Wake(); }
bool ConnMan::DisconnectPeer(PeerId id, std::string_view reason) {
  return impl_->DisconnectPeer(id, reason);
}
bool ConnMan::DisconnectPeer(const Service& addr) { return impl_->DisconnectPeer(addr); }
void ConnMan::ForEachPeer(const std::function<void(const PeerRef&)>& fn) const {
  for (const PeerRef& p : impl_->Snapshot()) {
    if (!p->disconnecting()) fn(p);
  }
}
PeerRef ConnMan::FindPeer(PeerId id) const { return impl_->FindPeer(id); }
std::vector<PeerStats> ConnMan::GetPeerStats() const {
  std::vector<PeerStats> out;
  for (const PeerRef& p : impl_->Snapshot()) out.push_back(p->GetStats());
  return out;
}
size_t ConnMan::GetPeerCount(bool inbound, bool outbound) const {
  return impl_->GetPeerCount(inbound, outbound);
}
bool ConnMan::IsOwnNonce(uint64_t nonce) const { return impl_->IsOwnNonce(nonce); }
uint64_t ConnMan::total_bytes_sent() const { return impl_->total_sent_; }

bool ConnMan::OutboundTargetReached(bool historical_block_serving_limit) const {
  const UploadTargetStats s = impl_->UploadTarget();
  if (s.target == 0) return false;
  return historical_block_serving_limit ? !s.serve_historical_blocks : s.target_reached;
}

UploadTargetStats ConnMan::GetUploadTarget() const { return impl_->UploadTarget(); }
uint64_t ConnMan::total_bytes_recv() const { return impl_->total_recv_; }

}  // namespace cc::net
