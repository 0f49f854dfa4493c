// Peer: what the connection layer knows about one connection, shared with the
// message layer as a PeerRef (std::shared_ptr<Peer>).
//
// The connection manager (net/connman.h) creates a Peer per socket and owns its
// I/O; the message layer (NetEventsInterface) reads the peer's identity and
// fills in what only it learns (the peer's version, ping latency, whether the
// handshake is done). Counters feed getpeerinfo.
//
// Thread safety: identity fields are immutable after construction; counters and
// flags are atomics; the version info is GUARDED_BY an internal mutex. All
// methods are callable from any thread.

#ifndef COMPUTECOIN_NET_PEER_H
#define COMPUTECOIN_NET_PEER_H

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "net/netaddress.h"

namespace cc::net {

using PeerId = int64_t;

/** A copy of a peer's state for getpeerinfo. Times are seconds since the Unix epoch. */
struct PeerStats {
  PeerId id = -1;
  Service addr;
  bool inbound = false;
  bool manual = false;  //!< -connect/-addnode/addnode RPC: never evicted or discouraged
  int64_t connected_time = 0;
  int64_t last_send = 0;
  int64_t last_recv = 0;
  uint64_t bytes_sent = 0;
  uint64_t bytes_recv = 0;
  uint64_t msgs_sent = 0;
  uint64_t msgs_recv = 0;
  size_t send_queue_bytes = 0;
  bool handshake_complete = false;
  int64_t last_ping_us = -1;  //!< -1 until a pong arrived
  int64_t min_ping_us = -1;
  uint64_t services = 0;
  int32_t version = 0;
  std::string user_agent;
  uint32_t starting_height = 0;
};

class Peer {
 public:
  /** REQUIRES: id unique within one connection manager. */
  Peer(PeerId id, Service addr, bool inbound, bool manual, uint64_t local_nonce);
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  PeerId id() const { return id_; }
  const Service& addr() const { return addr_; }
  bool inbound() const { return inbound_; }
  bool manual() const { return manual_; }
  /** The nonce we send in our `version` to this peer (see ConnMan::IsOwnNonce). */
  uint64_t local_nonce() const { return local_nonce_; }
  /** When the socket connected, system clock seconds. */
  int64_t connected_time() const { return connected_time_; }

  /** Called by the message layer after version+verack; stops the handshake deadline. */
  void SetHandshakeComplete() { handshake_complete_ = true; }
  bool handshake_complete() const { return handshake_complete_; }
  /** Records the peer's `version` fields for getpeerinfo. */
  void SetVersionInfo(int32_t version, uint64_t services, std::string user_agent,
                      uint32_t starting_height);
  /** Records one ping round trip. */
  void AddPingSample(std::chrono::microseconds rtt);
  /** Marks the peer as recently useful (a new block or transaction from it): eviction
   *  protects such peers. */
  void MarkBlockReceived();
  void MarkTxReceived();
  /** Exempts the peer from inbound eviction (e.g. a whitelisted peer). */
  void SetProtected(bool value) { protected_ = value; }
  bool is_protected() const { return protected_ || manual_; }

  /** True while the send queue is over the soft limit: the message layer should not
   *  generate more for this peer (Bitcoin Core's fPauseSend). */
  bool send_paused() const { return send_paused_; }
  /** True once a disconnect has been requested or the socket closed. */
  bool disconnecting() const { return disconnecting_; }
  /** Why the connection ended ("" while connected), e.g. "bad-magic", "inactivity-timeout". */
  std::string disconnect_reason() const;

  PeerStats GetStats() const;

 private:
  friend class Connection;
  friend class ConnManImpl;

  const PeerId id_;
  const Service addr_;
  const bool inbound_;
  const bool manual_;
  const uint64_t local_nonce_;
  const int64_t connected_time_;
  std::atomic<bool> handshake_complete_{false};
  std::atomic<bool> protected_{false};
  std::atomic<bool> send_paused_{false};
  std::atomic<bool> disconnecting_{false};
  std::atomic<int64_t> last_send_{0};
  std::atomic<int64_t> last_recv_{0};
  std::atomic<uint64_t> bytes_sent_{0};
  std::atomic<uint64_t> bytes_recv_{0};
  std::atomic<uint64_t> msgs_sent_{0};
  std::atomic<uint64_t> msgs_recv_{0};
  std::atomic<size_t> send_queue_bytes_{0};
  std::atomic<int64_t> last_ping_us_{-1};
  std::atomic<int64_t> min_ping_us_{-1};
  std::atomic<int64_t> last_block_time_{0};
  std::atomic<int64_t> last_tx_time_{0};

  mutable std::mutex mu_;
  int32_t version_ = 0;            // GUARDED_BY(mu_)
  uint64_t services_ = 0;          // GUARDED_BY(mu_)
  std::string user_agent_;         // GUARDED_BY(mu_)
  uint32_t starting_height_ = 0;   // GUARDED_BY(mu_)
  std::string disconnect_reason_;  // GUARDED_BY(mu_)
};

using PeerRef = std::shared_ptr<Peer>;

/** Seconds since the Unix epoch, system clock. */
int64_t UnixTimeSeconds();

}  // namespace cc::net

#endif  // COMPUTECOIN_NET_PEER_H
