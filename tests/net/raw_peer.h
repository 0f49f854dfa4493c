// Loopback helpers of the net/ tests (ConnMan's and PeerManager's): a
// bounded wait, and a hand-driven TCP peer that sends whatever bytes a test
// wants and parses the frames it receives. Header-only: its users link cc_net.

#ifndef COMPUTECOIN_TESTS_NET_RAW_PEER_H
#define COMPUTECOIN_TESTS_NET_RAW_PEER_H

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string_view>
#include <thread>
#include <vector>

#include "net/messages.h"
#include "net/transport.h"

namespace cc::test {

/** Every wait in these tests gives up after this long. */
inline constexpr auto kWait = std::chrono::seconds(10);

/** Polls `pred` until true or kWait passes. */
inline bool WaitFor(const std::function<bool()>& pred) {
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

/** A hand-driven TCP client: sends whatever bytes a test wants. */
class RawPeer {
 public:
  /** Connects to 127.0.0.1:port from `source_ip` (host order, e.g. 127.0.0.2), framing
   *  with `magic`. */
  RawPeer(const net::MessageStart& magic, uint16_t port, int rcvbuf = 0,
          uint32_t source_ip = INADDR_LOOPBACK)
      : framer_(magic), receiver_(magic) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    sockaddr_in src{};
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl(source_ip);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&src), sizeof(src));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }
  ~RawPeer() { ::close(fd_); }
  bool connected() const { return connected_; }

  /** Sends without blocking; returns the bytes the kernel took. */
  size_t SendSome(const std::vector<uint8_t>& bytes) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    return n > 0 ? static_cast<size_t>(n) : 0;
  }
  void Send(const std::vector<uint8_t>& bytes) {
    (void)!::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }
  void SendMessage(const net::Message& msg) {
    std::vector<uint8_t> frame;
    ASSERT_TRUE(framer_.MakeFrame(net::CommandOf(msg), net::EncodePayload(msg), &frame).ok());
    Send(frame);
  }
  /** Reads until the other side closes (true) or kWait passes (false); parses frames. */
  bool WaitClosed() {
    return ReadUntil([] { return false; });
  }
  /** Reads until `count` messages with `command` have arrived in all. */
  bool WaitMessage(std::string_view command, size_t count = 1) {
    return ReadUntil([&] { return CountMessages(command) >= count; }) == false &&
           CountMessages(command) >= count;
  }
  bool HasMessage(std::string_view command) const { return CountMessages(command) > 0; }
  /** The payloads of the `command` messages received so far, in order. */
  std::vector<std::vector<uint8_t>> Payloads(std::string_view command) const {
    std::vector<std::vector<uint8_t>> out;
    for (const auto& m : received_)
      if (m.command == command) out.push_back(m.payload);
    return out;
  }
  size_t CountMessages(std::string_view command) const {
    size_t n = 0;
    for (const auto& m : received_) n += m.command == command ? 1 : 0;
    return n;
  }

 private:
  /** Returns true on close, false when `done` or timed out. */
  bool ReadUntil(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    uint8_t buf[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) return true;
      ByteSpan span(buf, static_cast<size_t>(n));
      while (!span.empty()) {
        if (!receiver_.ReceivedBytes(&span).ok()) return true;
        if (receiver_.HaveCompleteMessage()) received_.push_back(receiver_.GetReceivedMessage());
      }
    }
    return false;
  }

  int fd_ = -1;
  bool connected_ = false;
  net::Transport framer_;
  net::Transport receiver_;
  std::vector<net::ReceivedMessage> received_;
};

}  // namespace cc::test

#endif  // COMPUTECOIN_TESTS_NET_RAW_PEER_H
