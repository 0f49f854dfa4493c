// ConnMan over real loopback sockets: handshake, ping/pong, misbehaving peers,
// inbound limit and eviction, send-queue bound, timeouts, bans.

#include "net/connman.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "net/addrman.h"
#include "net/banman.h"
#include "tests/net/raw_peer.h"

namespace cc::net {
namespace {

constexpr MessageStart kMagic = {0xfa, 0xce, 0xb0, 0x0c};
using cc::test::kWait;
using cc::test::RawPeer;
using cc::test::WaitFor;

/** A minimal message layer: version/verack handshake, ping/pong, nothing else. */
class TestNode : public NetEventsInterface {
 public:
  void InitializePeer(const PeerRef& peer) override {
    {
      std::lock_guard lock(mu_);
      initialized_.insert(peer->id());
    }
    if (!peer->inbound()) SendVersion(peer);
  }
  void FinalizePeer(const PeerRef& peer) override {
    std::lock_guard lock(mu_);
    finalized_.insert(peer->id());
    reasons_[peer->id()] = peer->disconnect_reason();
  }
  void ProcessMessage(const PeerRef& peer, const ReceivedMessage& raw) override {
    while (hold) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (raw.command == "boom") throw std::runtime_error("handler failure");
    Message msg;
    Status s = DecodeMessage(raw.command, raw.payload, &msg);
    if (s.IsNotSupported()) return;
    if (!s.ok()) {
      connman->DisconnectPeer(peer->id(), s.message());
      return;
    }
    if (auto* v = std::get_if<VersionMsg>(&msg)) {
      if (connman->IsOwnNonce(v->nonce)) {
        connman->DisconnectPeer(peer->id(), "self-connection");
        return;
      }
      peer->SetVersionInfo(v->version, v->services, v->user_agent, v->best_height);
      if (peer->inbound()) SendVersion(peer);
      connman->PushMessage(peer->id(), VerackMsg{});
    } else if (std::holds_alternative<VerackMsg>(msg)) {
      peer->SetHandshakeComplete();
      connman->PushMessage(peer->id(), PingMsg{.nonce = 1000 + static_cast<uint64_t>(peer->id())});
    } else if (auto* p = std::get_if<PingMsg>(&msg)) {
      connman->PushMessage(peer->id(), PongMsg{.nonce = p->nonce});
    } else if (std::holds_alternative<PongMsg>(msg)) {
      peer->AddPingSample(std::chrono::microseconds(1));
      std::lock_guard lock(mu_);
      ++pongs_[peer->id()];
    }
  }
  void SendMessages(const PeerRef&) override {}

  void SendVersion(const PeerRef& peer) {
    VersionMsg v;
    v.services = kNodeNetwork;
    v.nonce = peer->local_nonce();
    v.user_agent = "/test/";
    connman->PushMessage(peer->id(), v);
  }
  int Pongs(PeerId id) {
    std::lock_guard lock(mu_);
    return pongs_[id];
  }
  int TotalPongs() {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& [id, c] : pongs_) n += c;
    return n;
  }
  bool Finalized(PeerId id) {
    std::lock_guard lock(mu_);
    return finalized_.contains(id);
  }
  std::string Reason(PeerId id) {
    std::lock_guard lock(mu_);
    return reasons_[id];
  }

  ConnMan* connman = nullptr;
  std::atomic<bool> hold{false};  //!< while set, ProcessMessage stalls (a slow message layer)

 private:
  std::mutex mu_;
  std::set<PeerId> initialized_, finalized_;
  std::map<PeerId, int> pongs_;
  std::map<PeerId, std::string> reasons_;
};

/** A TestNode with its ConnMan, listening on an ephemeral loopback port. */
struct Node {
  explicit Node(ConnManOptions opt = {}) {
    opt.magic = kMagic;
    opt.bind_address = "127.0.0.1";
    opt.port = 0;
    if (opt.handshake_timeout == kDefaultHandshakeTimeout) opt.handshake_timeout = 10s;
    connman = std::make_unique<ConnMan>(std::move(opt), &events);
    events.connman = connman.get();
    Status s = connman->Start();
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  ~Node() { events.hold = false; }  // never leave the message thread stalled at Stop()
  std::string Address() const { return "127.0.0.1:" + std::to_string(connman->GetListenPort()); }
  PeerId OnlyPeerId() const {
    PeerId id = -1;
    connman->ForEachPeer([&](const PeerRef& p) { id = p->id(); });
    return id;
  }

  TestNode events;
  std::unique_ptr<ConnMan> connman;
};

ConnManOptions ConnectingTo(const std::string& target) {
  ConnManOptions opt;
  opt.connect = {target};
  return opt;
}

TEST(ConnManTest, ListensOnEphemeralPort) {
  Node a;
  EXPECT_NE(a.connman->GetListenPort(), 0);
  ConnManOptions taken;
  taken.magic = kMagic;
  taken.bind_address = "127.0.0.1";
  taken.port = a.connman->GetListenPort();
  TestNode events;
  ConnMan b(taken, &events);
  EXPECT_TRUE(b.Start().IsIOError());
}

TEST(ConnManTest, HandshakeAndPingPongOverLoopback) {
  Node a;
  Node b(ConnectingTo(a.Address()));
  ASSERT_TRUE(WaitFor([&] { return a.events.TotalPongs() >= 1 && b.events.TotalPongs() >= 1; }));
  EXPECT_EQ(a.connman->GetPeerCount(true, false), 1u);
  EXPECT_EQ(b.connman->GetPeerCount(false, true), 1u);
  const auto stats = b.connman->GetPeerStats();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_FALSE(stats[0].inbound);
  EXPECT_TRUE(stats[0].manual);
  EXPECT_TRUE(stats[0].handshake_complete);
  EXPECT_EQ(stats[0].user_agent, "/test/");
  EXPECT_GT(stats[0].bytes_sent, 0u);
  EXPECT_GT(stats[0].bytes_recv, 0u);
  EXPECT_GE(stats[0].msgs_recv, 3u);  // version, verack, ping/pong
  EXPECT_GT(b.connman->total_bytes_sent(), 0u);
  // A clean stop finalizes the peer on both sides.
  const PeerId id = b.OnlyPeerId();
  b.connman->Stop();
  EXPECT_TRUE(b.events.Finalized(id));
  ASSERT_TRUE(WaitFor([&] { return a.connman->GetPeerCount(true, true) == 0; }));
}

TEST(ConnManTest, ConnectsByHostName) {
  Node a;
  Node b(ConnectingTo("localhost:" + std::to_string(a.connman->GetListenPort())));
  EXPECT_TRUE(WaitFor([&] { return b.events.TotalPongs() >= 1; }));
}

TEST(ConnManTest, AddNodeAndUnreachableTargets) {
  ConnManOptions opt;
  opt.listen = false;
  opt.connect_timeout = 200ms;
  Node b(opt);
  EXPECT_TRUE(b.connman->ConnectTo("not a target:x").IsInvalidArgument());
  EXPECT_TRUE(b.connman->ConnectTo("127.0.0.1:1").ok());  // refused: logged, nothing registered
  // An unparsable target is refused, not retried (and logged) every tick.
  EXPECT_TRUE(b.connman->AddNode("1.2.3.4:99999").IsInvalidArgument());
  EXPECT_TRUE(b.connman->AddNode("[::1").IsInvalidArgument());
  EXPECT_TRUE(b.connman->GetAddedNodes().empty());
  Node a;
  EXPECT_TRUE(b.connman->AddNode(a.Address()).ok());
  EXPECT_TRUE(b.connman->AddNode(a.Address()).IsNotSupported());
  EXPECT_EQ(b.connman->GetAddedNodes().size(), 1u);
  EXPECT_TRUE(WaitFor([&] { return b.events.TotalPongs() >= 1; }));
  EXPECT_EQ(b.connman->GetPeerCount(false, true), 1u);
  EXPECT_TRUE(b.connman->RemoveAddedNode(a.Address()));
  EXPECT_TRUE(b.connman->DisconnectPeer(*Service::Parse(a.Address(), 0)));
  EXPECT_TRUE(WaitFor([&] { return b.connman->GetPeerCount(true, true) == 0; }));
}

// -connect and -addnode targets that cannot parse stop the start with the
// option named; before, the node started and logged each one twice a
// second, forever.
TEST(ConnManTest, UnparsableConfiguredTargetsAreRefusedAtStart) {
  for (bool connect : {true, false}) {
    ConnManOptions opt;
    opt.magic = kMagic;
    opt.listen = false;
    (connect ? opt.connect : opt.addnode).push_back("1.2.3.4:99999");
    TestNode events;
    ConnMan connman(std::move(opt), &events);
    const Status s = connman.Start();
    EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
    EXPECT_NE(s.message().find(connect ? "Invalid -connect=1.2.3.4:99999" : "Invalid -addnode="),
              std::string::npos)
        << s.message();
  }
}

TEST(ConnManTest, GarbageSenderIsDisconnectedOthersKeepWorking) {
  Node a;
  Node b(ConnectingTo(a.Address()));
  ASSERT_TRUE(WaitFor([&] { return b.events.TotalPongs() >= 1; }));
  RawPeer garbage(kMagic, a.connman->GetListenPort());
  ASSERT_TRUE(garbage.connected());
  garbage.Send(std::vector<uint8_t>(64, 0x42));  // wrong magic
  EXPECT_TRUE(garbage.WaitClosed());
  RawPeer oversize(kMagic, a.connman->GetListenPort());
  std::vector<uint8_t> header(kHeaderSize, 0);
  std::memcpy(header.data(), kMagic.data(), kMessageStartSize);
  std::memcpy(header.data() + kCommandOffset, "ping", 4);
  const uint32_t len = 1'000'000;
  std::memcpy(header.data() + kPayloadLengthOffset, &len, 4);
  oversize.Send(header);
  EXPECT_TRUE(oversize.WaitClosed());
  // The honest peer is still served.
  const PeerId bid = b.OnlyPeerId();
  const int before = b.events.Pongs(bid);
  ASSERT_TRUE(b.connman->PushMessage(bid, PingMsg{.nonce = 9}));
  EXPECT_TRUE(WaitFor([&] { return b.events.Pongs(bid) > before; }));
  EXPECT_EQ(a.connman->GetPeerCount(true, false), 1u);
}

TEST(ConnManTest, GarbageDiscouragesOnlyTheSendersAddress) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("cc_connman_disc_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    BanMan banman(dir);
    ConnManOptions opt;
    opt.banman = &banman;
    Node a(opt);
    RawPeer bad(kMagic, a.connman->GetListenPort(), 0, /*source_ip=*/0x7f000002);  // 127.0.0.2
    ASSERT_TRUE(bad.connected());
    bad.Send(std::vector<uint8_t>(kHeaderSize, 0x13));
    EXPECT_TRUE(bad.WaitClosed());
    EXPECT_TRUE(banman.IsDiscouraged(*Service::Parse("127.0.0.2", 0)));
    EXPECT_FALSE(banman.IsDiscouraged(*Service::Parse("127.0.0.1", 0)));
    RawPeer again(kMagic, a.connman->GetListenPort(), 0, 0x7f000002);
    EXPECT_TRUE(again.WaitClosed());  // refused at accept now
    RawPeer honest(kMagic, a.connman->GetListenPort());
    honest.SendMessage(PingMsg{.nonce = 8});
    EXPECT_TRUE(honest.WaitMessage("pong"));
  }
  std::filesystem::remove_all(dir);
}

TEST(ConnManTest, BadChecksumCostsOnlyThatMessage) {
  Node a;
  RawPeer raw(kMagic, a.connman->GetListenPort());
  std::vector<uint8_t> bad;
  Transport framer(kMagic);
  ASSERT_TRUE(framer.MakeFrame("ping", EncodePayload(PingMsg{.nonce = 1}), &bad).ok());
  bad[kChecksumOffset] ^= 1;
  raw.Send(bad);
  raw.SendMessage(PingMsg{.nonce = 2});
  EXPECT_TRUE(raw.WaitMessage("pong"));
  EXPECT_EQ(a.connman->GetPeerCount(true, false), 1u);
}

TEST(ConnManTest, HandlerExceptionDoesNotKillTheLoop) {
  Node a;
  RawPeer raw(kMagic, a.connman->GetListenPort());
  std::vector<uint8_t> frame;
  Transport framer(kMagic);
  ASSERT_TRUE(framer.MakeFrame("boom", {}, &frame).ok());
  raw.Send(frame);
  raw.SendMessage(PingMsg{.nonce = 3});
  EXPECT_TRUE(raw.WaitMessage("pong"));
}

TEST(ConnManTest, InboundLimitEvictsYoungestUnprotected) {
  ConnManOptions opt;
  opt.max_inbound = 2;
  opt.eviction = EvictionProtection{0, 0, 0, 0, false};
  Node a(opt);
  const uint16_t port = a.connman->GetListenPort();
  RawPeer first(kMagic, port);
  ASSERT_TRUE(WaitFor([&] { return a.connman->GetPeerCount(true, false) == 1; }));
  RawPeer second(kMagic, port);
  ASSERT_TRUE(WaitFor([&] { return a.connman->GetPeerCount(true, false) == 2; }));
  RawPeer third(kMagic, port);
  EXPECT_TRUE(second.WaitClosed());  // the youngest (same second: higher id) gave its slot
  ASSERT_TRUE(WaitFor([&] { return a.connman->GetPeerCount(true, false) == 2; }));
  third.SendMessage(PingMsg{.nonce = 4});
  EXPECT_TRUE(third.WaitMessage("pong"));
  first.SendMessage(PingMsg{.nonce = 5});
  EXPECT_TRUE(first.WaitMessage("pong"));
}

TEST(ConnManTest, InboundLimitRefusesWhenAllProtected) {
  ConnManOptions opt;
  opt.max_inbound = 1;  // default protection covers a single peer
  Node a(opt);
  RawPeer first(kMagic, a.connman->GetListenPort());
  ASSERT_TRUE(WaitFor([&] { return a.connman->GetPeerCount(true, false) == 1; }));
  RawPeer second(kMagic, a.connman->GetListenPort());
  EXPECT_TRUE(second.WaitClosed());
  first.SendMessage(PingMsg{.nonce = 6});
  EXPECT_TRUE(first.WaitMessage("pong"));
}

TEST(ConnManTest, SendQueueIsBounded) {
  ConnManOptions opt;
  opt.send_buffer_size = 100'000;
  Node a(opt);
  RawPeer sink(kMagic, a.connman->GetListenPort(), /*rcvbuf=*/4096);  // never reads
  ASSERT_TRUE(WaitFor([&] { return a.connman->GetPeerCount(true, false) == 1; }));
  const PeerId id = a.OnlyPeerId();
  const PeerRef peer = a.connman->FindPeer(id);
  const std::vector<uint8_t> payload(64 * 1024, 7);
  bool saw_paused = false;
  size_t max_queued = 0;
  int accepted = 0;
  for (int i = 0; i < 2000 && a.connman->PushRaw(id, "block", payload); ++i) {
    ++accepted;
    saw_paused |= peer->send_paused();
    max_queued = std::max(max_queued, peer->GetStats().send_queue_bytes);
  }
  EXPECT_LT(accepted, 2000);
  EXPECT_TRUE(saw_paused);
  EXPECT_LE(max_queued, opt.send_buffer_size * ConnMan::kMaxSendQueueFactor);
  ASSERT_TRUE(WaitFor([&] { return a.events.Finalized(id); }));
  EXPECT_EQ(a.events.Reason(id), "send-queue-overflow");
}

TEST(ConnManTest, ReadingPausesWhileTheMessageLayerIsBehind) {
  ConnManOptions opt;
  opt.receive_flood_size = 100'000;
  Node a(opt);
  a.events.hold = true;
  RawPeer flood(kMagic, a.connman->GetListenPort());
  std::vector<uint8_t> frames;
  Transport framer(kMagic);
  std::vector<uint8_t> one;
  ASSERT_TRUE(framer.MakeFrame("ping", EncodePayload(PingMsg{.nonce = 1}), &one).ok());
  for (int i = 0; i < 20000; ++i) frames.insert(frames.end(), one.begin(), one.end());  // 640 kB
  size_t sent = 0;
  for (int i = 0; i < 200 && sent < 4 * frames.size(); ++i) {
    sent += flood.SendSome(frames);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(a.connman->GetPeerStats().size(), 1u);
  const PeerStats held = a.connman->GetPeerStats()[0];
  // Reading stopped one socket read (64 KiB) past the flood bound, however much was sent.
  EXPECT_LE(held.bytes_recv, opt.receive_flood_size + 64 * 1024 + one.size());
  EXPECT_GT(sent, held.bytes_recv);
  a.events.hold = false;
  ASSERT_TRUE(WaitFor([&] { return a.connman->GetPeerStats()[0].bytes_recv > held.bytes_recv; }));
}

TEST(ConnManTest, SilentPeerTimesOutInHandshake) {
  ConnManOptions opt;
  opt.handshake_timeout = 200ms;
  Node a(opt);
  RawPeer silent(kMagic, a.connman->GetListenPort());
  EXPECT_TRUE(silent.WaitClosed());
  ASSERT_TRUE(WaitFor([&] { return a.events.Reason(0) == "handshake-timeout"; }));
}

TEST(ConnManTest, BannedAndDiscouragedInboundAreRefused) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("cc_connman_ban_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    BanMan banman(dir);
    ConnManOptions opt;
    opt.banman = &banman;
    Node a(opt);
    ASSERT_TRUE(banman.Ban(*SubNet::Parse("127.0.0.1"), 1h).ok());
    RawPeer banned(kMagic, a.connman->GetListenPort());
    EXPECT_TRUE(banned.WaitClosed());
    ASSERT_TRUE(banman.ClearBanned().ok());
    banman.Discourage(*Service::Parse("127.0.0.1", 0));
    RawPeer discouraged(kMagic, a.connman->GetListenPort());
    EXPECT_TRUE(discouraged.WaitClosed());
    EXPECT_EQ(a.connman->GetPeerCount(true, true), 0u);
  }
  std::filesystem::remove_all(dir);
}

TEST(ConnManTest, SelfConnectionIsDetected) {
  Node a;
  ASSERT_TRUE(a.connman->ConnectTo(a.Address()).ok());
  ASSERT_TRUE(WaitFor([&] {
    return a.events.Reason(1) == "self-connection" || a.events.Reason(0) == "self-connection";
  }));
}

TEST(ConnManTest, FillsOutboundFromAddressBook) {
  Node a;
  const auto dir =
      std::filesystem::temp_directory_path() / ("cc_connman_addr_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    AddrMan addrman(dir, /*deterministic=*/true);
    const Service target = Service::FromIPv4(127, 0, 0, 1, a.connman->GetListenPort());
    addrman.Add({{.time = UnixTimeSeconds(), .services = kNodeNetwork, .addr = target}},
                Service::FromIPv4(1, 1, 1, 1, 1), UnixTimeSeconds());
    ConnManOptions opt;
    opt.listen = false;
    opt.target_outbound = 1;
    opt.addrman = &addrman;
    Node b(opt);
    ASSERT_TRUE(WaitFor([&] { return b.events.TotalPongs() >= 1; }));
    EXPECT_EQ(b.connman->GetPeerCount(false, true), 1u);
    EXPECT_FALSE(b.connman->GetPeerStats()[0].manual);
    ASSERT_TRUE(WaitFor([&] { return addrman.tried_count() == 1; }));  // Good() after handshake
  }
  std::filesystem::remove_all(dir);
}

TEST(EvictionTest, ProtectsThenEvictsYoungestOfBiggestGroup) {
  std::vector<EvictionCandidate> c;
  for (PeerId i = 0; i < 40; ++i) {
    c.push_back({.id = i,
                 .connected_time = 1000 + i,
                 .min_ping_us = 100 + i,
                 .netgroup = static_cast<uint64_t>(i < 30 ? 7 : i)});
  }
  c[39].is_protected = true;
  const auto victim = SelectPeerToEvict(c, EvictionProtection{});
  ASSERT_TRUE(victim.has_value());
  EXPECT_EQ(*victim, 29);  // the youngest of the 30-strong group 7
  std::vector<EvictionCandidate> few(c.begin(), c.begin() + 3);
  EXPECT_FALSE(SelectPeerToEvict(few, EvictionProtection{}).has_value());
}

}  // namespace
}  // namespace cc::net
