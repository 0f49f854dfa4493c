// LightPeer against peers that do not answer: a silent or trickling peer is
// an error within the reply timeout, never a hang.

#include "node/client/light_peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "consensus/chainparams.h"

namespace cc {
namespace {

using namespace std::chrono_literals;

// A loopback listener that accepts nothing itself (the kernel completes the
// TCP handshake into its backlog).
class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 4), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~Listener() { ::close(fd_); }
  int fd() const { return fd_; }
  std::string Address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// Before, Asio's blocking read polled again when the socket's receive
// timeout expired: computecoin-light waited on a silent peer forever.
TEST(LightPeerTest, ASilentPeerIsAnErrorNotAHang) {
  Listener silent;
  std::unique_ptr<LightPeer> peer;
  const Status s = LightPeer::Connect(RegtestParams(), silent.Address(), &peer, 300ms);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.message().find("silent"), std::string::npos) << s.message();
  EXPECT_EQ(peer, nullptr);
}

// A peer that sends a byte now and then never completes a reply: the
// deadline is per reply, not per byte.
TEST(LightPeerTest, APeerThatTricklesBytesIsSilentToo) {
  Listener trickle;
  std::atomic<bool> stop{false};
  std::thread server([&] {
    const int conn = ::accept(trickle.fd(), nullptr, nullptr);
    if (conn < 0) return;
    const ChainParams& params = RegtestParams();
    for (size_t i = 0; !stop && i < params.magic.size(); ++i) {  // a frame that never ends
      (void)::send(conn, &params.magic[i], 1, MSG_NOSIGNAL);
      std::this_thread::sleep_for(100ms);
    }
    while (!stop) std::this_thread::sleep_for(10ms);
    ::close(conn);
  });
  std::unique_ptr<LightPeer> peer;
  const Status s = LightPeer::Connect(RegtestParams(), trickle.Address(), &peer, 250ms);
  stop = true;
  server.join();
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.message().find("silent"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace cc
