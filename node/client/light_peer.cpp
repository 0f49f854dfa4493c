#include "node/client/light_peer.h"

#include <poll.h>
#include <sys/socket.h>

#include <boost/asio.hpp>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <optional>
#include <random>
#include <variant>

#include "net/transport.h"
#include "node/common/version.h"

namespace cc {

namespace asio = boost::asio;
using asio::ip::tcp;

class LightPeer::Impl {
 public:
  Impl(const ChainParams& params, std::chrono::milliseconds reply_timeout)
      : socket_(io_), transport_(Magic(params)), reply_timeout_(reply_timeout) {}

  static net::MessageStart Magic(const ChainParams& params) {
    net::MessageStart magic{};
    std::copy(params.magic.begin(), params.magic.end(), magic.begin());
    return magic;
  }

  Status Open(const ChainParams& params, const std::string& host_port) {
    std::string host = host_port, port = std::to_string(params.p2p_port);
    if (const size_t colon = host_port.rfind(':'); colon != std::string::npos) {
      host = host_port.substr(0, colon);
      port = host_port.substr(colon + 1);
    }
    boost::system::error_code ec;
    tcp::resolver resolver(io_);
    const auto endpoints = resolver.resolve(host, port, ec);
    if (!ec) asio::connect(socket_, endpoints, ec);
    if (ec) return Status::IOError("cannot connect to " + host_port + ": " + ec.message());
    net::VersionMsg version;
    version.services = net::kNodeLight;
    version.time = static_cast<int64_t>(std::time(nullptr));
    version.nonce = std::random_device{}() | (uint64_t{std::random_device{}()} << 32);
    version.user_agent = UserAgent();
    version.relay = false;
    Status s = Send(version);
    net::Message reply;
    bool got_version = false, got_verack = false;
    while (s.ok() && !(got_version && got_verack)) {
      s = Receive(&reply);
      if (!s.ok()) break;
      if (std::holds_alternative<net::VersionMsg>(reply)) {
        got_version = true;
        s = Send(net::VerackMsg{});
      } else if (std::holds_alternative<net::VerackMsg>(reply)) {
        got_verack = true;
      }
    }
    return s;
  }

  Status Send(const net::Message& msg) {
    std::vector<uint8_t> frame;
    Status s = transport_.MakeFrame(net::CommandOf(msg), net::EncodePayload(msg), &frame);
    if (!s.ok()) return s;
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(frame), ec);
    return ec ? Status::IOError("send: " + ec.message()) : Status::OK();
  }

  // Up to 64 KiB from the socket by `deadline`. A deadline of our own
  // (poll, then recv): Asio's blocking read polls again, without end, when a
  // socket receive timeout expires, so a silent peer hung the client.
  Status ReadSome(std::chrono::steady_clock::time_point deadline) {
    const int fd = socket_.native_handle();
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        return Status::IOError("the peer is silent (no reply within " +
                               std::to_string(reply_timeout_.count()) + " ms)");
      }
      pollfd ready{fd, POLLIN, 0};
      const int polled = ::poll(&ready, 1, static_cast<int>(left.count()));
      if (polled < 0 && errno == EINTR) continue;
      if (polled < 0) return Status::IOError(std::string("poll: ") + std::strerror(errno));
      if (polled == 0) continue;  // the deadline, checked above
      uint8_t buffer[64 * 1024];
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n < 0) return Status::IOError(std::string("receive: ") + std::strerror(errno));
      if (n == 0) return Status::IOError("receive: the peer closed the connection");
      pending_.assign(buffer, buffer + n);
      offset_ = 0;
      return Status::OK();
    }
  }

  // The next message other than a ping (answered here), within the reply
  // timeout: a peer that trickles bytes is as silent as one that sends none.
  Status Receive(net::Message* out) {
    const auto deadline = std::chrono::steady_clock::now() + reply_timeout_;
    while (true) {
      while (!transport_.HaveCompleteMessage()) {
        if (pending_.empty()) {
          Status s = ReadSome(deadline);
          if (!s.ok()) return s;
        }
        ByteSpan bytes(pending_.data() + offset_, pending_.size() - offset_);
        const size_t before = bytes.size();
        Status s = transport_.ReceivedBytes(&bytes);
        if (!s.ok()) return Status::Corruption("the peer broke the framing: " + s.message());
        offset_ += before - bytes.size();
        if (offset_ == pending_.size()) pending_.clear();
      }
      const net::ReceivedMessage msg = transport_.GetReceivedMessage();
      Status s = net::DecodeMessage(msg.command, msg.payload, out);
      if (s.IsNotSupported()) continue;
      if (!s.ok())
        return Status::Corruption("the peer sent a bad " + msg.command + ": " + s.message());
      if (const auto* ping = std::get_if<net::PingMsg>(out)) {
        s = Send(net::PongMsg{ping->nonce});
        if (!s.ok()) return s;
        continue;
      }
      return Status::OK();
    }
  }

  asio::io_context io_;
  tcp::socket socket_;
  net::Transport transport_;
  std::vector<uint8_t> pending_;
  size_t offset_ = 0;
  const std::chrono::milliseconds reply_timeout_;
};

LightPeer::LightPeer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LightPeer::~LightPeer() = default;

Status LightPeer::Connect(const ChainParams& params, const std::string& host_port,
                          std::unique_ptr<LightPeer>* out,
                          std::chrono::milliseconds reply_timeout) {
  auto impl = std::make_unique<Impl>(params, reply_timeout);
  Status s = impl->Open(params, host_port);
  if (!s.ok()) return s;
  out->reset(new LightPeer(std::move(impl)));
  return Status::OK();
}

Status LightPeer::GetHeaders(const std::vector<Uint256>& locator, std::vector<BlockHeader>* out) {
  net::GetHeadersMsg request;
  request.locator = locator;
  Status s = impl_->Send(request);
  net::Message reply;
  while (s.ok()) {
    s = impl_->Receive(&reply);
    if (!s.ok()) break;
    if (auto* headers = std::get_if<net::HeadersMsg>(&reply)) {
      *out = std::move(headers->headers);
      return Status::OK();
    }
  }
  return s;
}

Status LightPeer::GetProof(net::ProofKind kind, const Uint256& block_hash, const Uint256& id,
                           net::ProofMsg* out) {
  net::GetProofMsg request;
  request.kind = kind;
  request.block_hash = block_hash;
  request.id = id;
  Status s = impl_->Send(request);
  net::Message reply;
  while (s.ok()) {
    s = impl_->Receive(&reply);
    if (!s.ok()) break;
    if (auto* proof = std::get_if<net::ProofMsg>(&reply)) {
      if (proof->block_hash != block_hash || proof->kind != kind) continue;
      *out = std::move(*proof);
      return Status::OK();
    }
    if (auto* missing = std::get_if<net::NotFoundMsg>(&reply)) {
      for (const net::Inv& inv : missing->items)
        if (inv.hash == id) return Status::NotFound("the peer has no such proof");
    }
  }
  return s;
}

}  // namespace cc
