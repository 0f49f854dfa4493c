#include "node/client/light_peer.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio.hpp>
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
  explicit Impl(const ChainParams& params) : socket_(io_), transport_(Magic(params)) {}

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
    // A receive deadline, so that a silent peer is an error, not a hang.
    timeval tv{};
    tv.tv_sec = kReplyTimeout.count();
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
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

  // The next message other than a ping (answered here).
  Status Receive(net::Message* out) {
    while (true) {
      while (!transport_.HaveCompleteMessage()) {
        if (pending_.empty()) {
          uint8_t buffer[64 * 1024];
          boost::system::error_code ec;
          const size_t n = socket_.read_some(asio::buffer(buffer), ec);
          if (ec == asio::error::would_block || ec == asio::error::try_again)
            return Status::IOError("the peer is silent (no reply within " +
                                   std::to_string(kReplyTimeout.count()) + " s)");
          if (ec) return Status::IOError("receive: " + ec.message());
          pending_.assign(buffer, buffer + n);
          offset_ = 0;
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
};

LightPeer::LightPeer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LightPeer::~LightPeer() = default;

Status LightPeer::Connect(const ChainParams& params, const std::string& host_port,
                          std::unique_ptr<LightPeer>* out) {
  auto impl = std::make_unique<Impl>(params);
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
