// ConnMan: the connection manager. It owns the sockets, the Asio I/O thread(s),
// the listening socket, the outbound connection slots, inbound eviction, per-peer
// buffers and timeouts, and knows nothing about blocks or transactions
// (Bitcoin Core's CConnman). It hands every whole, checksum-verified frame to a
// NetEventsInterface, the message layer, on one dedicated message thread.
//
// Threads:
//   - io thread(s): run the io_context. Every connection has its own strand (its
//     socket's executor); all its reads, writes and timers run there, so a
//     connection's state needs no lock. Exactly one async write is in flight per
//     connection; PushMessage from any thread queues on the strand.
//   - message thread: calls InitializePeer once per peer before anything else,
//     then round-robin ProcessMessage with at most one message per peer per turn
//     and SendMessages, and FinalizePeer once after the socket is gone. So the
//     message layer is called from this one thread only.
//   - Stop() (or the destructor) ends both and calls FinalizePeer for the rest.
//
// Backpressure (Bitcoin Core net.cpp): a connection stops reading its socket
// while its received-but-unprocessed messages exceed receive_flood_size, or its
// send queue exceeds send_buffer_size; Peer::send_paused() tells the message
// layer to stop producing for it. A send queue that still grows past
// kMaxSendQueueFactor times send_buffer_size disconnects the peer.
//
// Errors: a fatal framing error (bad magic, bad command, oversize length)
// disconnects the peer and discourages its IP (BanMan), unless it is a manual or
// protected peer (then it is only disconnected). Loopback addresses are not exempt:
// tests run a misbehaving peer from 127.0.0.2 beside honest ones on 127.0.0.1.
// A bad checksum drops the message only. No exception from a handler or the message layer reaches
// the io_context or ends the message thread: it is caught and logged.
//
// Thread safety: every public method may be called from any thread, including
// from inside NetEventsInterface callbacks (they do not block on the message thread).

#ifndef COMPUTECOIN_NET_CONNMAN_H
#define COMPUTECOIN_NET_CONNMAN_H

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chain/status.h"
#include "net/eviction.h"
#include "net/messages.h"
#include "net/peer.h"
#include "net/protocol.h"
#include "net/transport.h"

namespace cc::net {

using namespace std::chrono_literals;

class AddrMan;
class BanMan;
class ConnManImpl;

/** The message layer, as the connection manager sees it (net_processing implements it).
 *  Every method is called on the message thread only. */
class NetEventsInterface {
 public:
  /** A new connection, before any of its messages. For an outbound peer, send `version`. */
  virtual void InitializePeer(const PeerRef& peer) = 0;
  /** The connection is gone (or the manager stops); forget the peer. Called once. */
  virtual void FinalizePeer(const PeerRef& peer) = 0;
  /** One whole frame from `peer` (checksum verified, payload not decoded: use
   *  DecodeMessage). Throwing is caught and logged; the peer stays connected. */
  virtual void ProcessMessage(const PeerRef& peer, const ReceivedMessage& msg) = 0;
  /** Called for every connected peer on each turn of the message loop (at least every
   *  kMessageLoopInterval): send pings, announcements, time out requests. */
  virtual void SendMessages(const PeerRef& peer) = 0;

  virtual ~NetEventsInterface() = default;
};

/** Automatic outbound connections: Bitcoin Core's 8 full-relay peers, enough that one
 *  honest peer among them is likely, few enough not to load the network. */
inline constexpr size_t kDefaultTargetOutbound = 8;
/** Inbound slots: Bitcoin Core's 125 connections minus the outbound ones. */
inline constexpr size_t kDefaultMaxInbound = 117;
/** Bytes queued to one peer before it is paused: Bitcoin Core's -maxsendbuffer (5 MB),
 *  a few blocks' worth. */
inline constexpr size_t kDefaultSendBufferSize = 5'000'000;
/** Received bytes waiting for the message thread before reading pauses: Bitcoin Core's
 *  -maxreceivebuffer (5 MB). */
inline constexpr size_t kDefaultReceiveFloodSize = 5'000'000;
/** Time to finish version/verack: Bitcoin Core's 60 s peer connect timeout. */
inline constexpr std::chrono::milliseconds kDefaultHandshakeTimeout = 60s;
/** Silence after which a peer is dropped: Bitcoin Core's TIMEOUT_INTERVAL (pings come
 *  every 2 minutes, so only a dead or stuck peer reaches it). */
inline constexpr std::chrono::milliseconds kDefaultInactivityTimeout = 20min;
/** A TCP connect attempt gives up after this: Bitcoin Core's 5 s DEFAULT_CONNECT_TIMEOUT. */
inline constexpr std::chrono::milliseconds kDefaultConnectTimeout = 5s;
/** Between attempts to reach a -connect/-addnode peer that is not connected. */
inline constexpr std::chrono::milliseconds kDefaultManualRetryInterval = 30s;

/** The -maxuploadtarget window: Bitcoin Core's MAX_UPLOAD_TIMEFRAME. */
inline constexpr std::chrono::seconds kMaxUploadTimeframe = 24h;
/** Bytes of a whole window kept for serving new blocks once historical ones are refused:
 *  Bitcoin Core's day of full blocks (144 × 4 MB). Ours are smaller, but the tensors of
 *  their records are served too. */
inline constexpr uint64_t kDefaultUploadNewBlockReserve = 144 * 4'000'000ull;

/** The upload target's state, as getnettotals shows it (Bitcoin Core's shape). */
struct UploadTargetStats {
  uint64_t target = 0;  //!< bytes per timeframe; 0: no target
  std::chrono::seconds timeframe = kMaxUploadTimeframe;
  bool target_reached = false;           //!< OutboundTargetReached(false)
  bool serve_historical_blocks = true;   //!< !OutboundTargetReached(true)
  uint64_t bytes_left_in_cycle = 0;      //!< 0 without a target
  std::chrono::seconds time_left_in_cycle{0};
};

struct ConnManOptions {
  MessageStart magic{};                             //!< the network's magic (from chain parameters)
  bool listen = true;                               //!< -listen
  std::string bind_address = "0.0.0.0";             //!< -bind (numeric address)
  uint16_t port = 0;                                //!< -port; 0 = ephemeral (see GetListenPort)
  std::vector<std::string> connect;                 //!< -connect: only these, kept connected
  std::vector<std::string> addnode;                 //!< -addnode: kept connected besides the rest
  uint16_t default_port = 0;                        //!< port for host strings without one
  size_t target_outbound = kDefaultTargetOutbound;  //!< automatic, from the address book
  size_t max_inbound = kDefaultMaxInbound;          //!< -maxconnections minus outbound
  size_t send_buffer_size = kDefaultSendBufferSize;      //!< soft send queue bound per peer
  size_t receive_flood_size = kDefaultReceiveFloodSize;  //!< unprocessed received bytes
  std::chrono::milliseconds handshake_timeout = kDefaultHandshakeTimeout;
  std::chrono::milliseconds inactivity_timeout = kDefaultInactivityTimeout;
  std::chrono::milliseconds connect_timeout = kDefaultConnectTimeout;
  std::chrono::milliseconds manual_retry_interval = kDefaultManualRetryInterval;
  //! -maxuploadtarget: bytes sent per kMaxUploadTimeframe above which historical blocks
  //! are no longer served to unprotected peers (net_processing); 0: no target.
  uint64_t max_upload_target = 0;
  //! Bytes of a whole window kept for new blocks (see kDefaultUploadNewBlockReserve).
  uint64_t upload_new_block_reserve = kDefaultUploadNewBlockReserve;
  EvictionProtection eviction;                //!< test-only: shrink to see eviction with few peers
  size_t io_threads = 1;                      //!< threads running the io_context
  AddrMan* addrman = nullptr;                 //!< optional; must outlive the ConnMan
  BanMan* banman = nullptr;                   //!< optional; must outlive the ConnMan
  std::function<void(std::string_view)> log;  //!< optional log line sink
};

class ConnMan {
 public:
  /** Most bytes queued to one peer, as a multiple of send_buffer_size, before we give up
   *  on it: the soft bound pauses, this one disconnects. */
  static constexpr size_t kMaxSendQueueFactor = 4;
  /** How often the message thread wakes when idle (SendMessages cadence). */
  static constexpr std::chrono::milliseconds kMessageLoopInterval = 100ms;
  /** How often the outbound slots are checked. */
  static constexpr std::chrono::milliseconds kOpenConnectionsInterval = 500ms;

  /** REQUIRES: events outlives the ConnMan. Nothing runs until Start(). */
  ConnMan(ConnManOptions options, NetEventsInterface* events);
  /** Stops if running. */
  ~ConnMan();
  ConnMan(const ConnMan&) = delete;
  ConnMan& operator=(const ConnMan&) = delete;

  /** Binds and listens (if options.listen), then starts the threads.
   *  Returns: OK; IOError if the address cannot be bound (nothing is started then).
   *  REQUIRES: called once. */
  Status Start();
  /** Closes every connection, ends the threads, calls FinalizePeer for the remaining
   *  peers. Idempotent. REQUIRES: not called from a NetEventsInterface callback. */
  void Stop();

  /** The port actually listened on (the ephemeral one when options.port was 0); 0 if not
   *  listening. */
  uint16_t GetListenPort() const;

  /** Opens one outbound connection to "host:port" now (addnode onetry).
   *  Returns: OK when the attempt has started (the result shows up as InitializePeer);
   *           InvalidArgument for an unparsable string. */
  Status ConnectTo(const std::string& host_port, bool manual = true);
  /** Adds a -addnode entry (kept connected). Returns InvalidArgument for an
   *  unparsable string, NotSupported if it is there already. */
  Status AddNode(const std::string& host_port);
  /** Removes one. Returns false if it is not there. */
  bool RemoveAddedNode(const std::string& host_port);
  std::vector<std::string> GetAddedNodes() const;

  /** Frames and queues `msg` to the peer. Returns: false if the peer is unknown or
   *  disconnecting, or its queue overflowed (the peer is then disconnected). */
  bool PushMessage(PeerId id, const Message& msg);
  /** Same with a raw command and payload. REQUIRES: a well-formed command, and the
   *  payload within MaxPayloadLength(command) (else false and nothing is sent). */
  bool PushRaw(PeerId id, std::string_view command, ByteSpan payload);

  /** Runs the message loop's next turn now (SendMessages for every peer) rather than
   *  after kMessageLoopInterval: for announcements queued from outside the message
   *  thread that should leave at once (a worker's new record). Any thread. */
  void WakeMessageHandler();

  /** Requests the disconnection of a peer. Returns false if there is no such peer. */
  bool DisconnectPeer(PeerId id, std::string_view reason = "disconnect-requested");
  /** Disconnects every peer at `addr` (IP and port). Returns false if none. */
  bool DisconnectPeer(const Service& addr);

  /** Calls fn for every connected peer, without holding the peer list lock. */
  void ForEachPeer(const std::function<void(const PeerRef&)>& fn) const;
  /** The peer with `id`, or nullptr. */
  PeerRef FindPeer(PeerId id) const;
  std::vector<PeerStats> GetPeerStats() const;
  /** Connected peers (not disconnecting), by direction. */
  size_t GetPeerCount(bool inbound, bool outbound) const;
  /** True if `nonce` is the local nonce of one of our outbound peers: an inbound
   *  `version` carrying it means we connected to ourselves. */
  bool IsOwnNonce(uint64_t nonce) const;

  uint64_t total_bytes_sent() const;

  /** Bitcoin Core's OutboundTargetReached: with a -maxuploadtarget, whether this window's
   *  sent bytes reached it; with historical_block_serving_limit, whether what is left is
   *  no more than the new-block reserve for the rest of the window (then historical
   *  blocks are refused before new ones would have to be). Always false without a target.
   *  A window starts at the first send after the previous one ended. */
  bool OutboundTargetReached(bool historical_block_serving_limit) const;
  UploadTargetStats GetUploadTarget() const;
  uint64_t total_bytes_recv() const;

 private:
  std::unique_ptr<ConnManImpl> impl_;
};

}  // namespace cc::net

#endif  // COMPUTECOIN_NET_CONNMAN_H
