// PeerManager: the message layer (Bitcoin Core's net_processing). ConnMan
// (net/connman.h) owns sockets and knows nothing of blocks; this class
// speaks the protocol of doc/protocol.md over it and drives validation.
//
// Flows, one message per peer per turn, all on ConnMan's message thread:
//   handshake  version → version/verack; the outbound side speaks first.
//              After verack: sendheaders, then getheaders from our tip.
//   sync       headers-first: a peer's headers (≤ 2000 a message, the next
//              asked as soon as a full one links) are signature-checked,
//              checked against checkpoints and stored in the block index
//              (ChainState::StoreHeader); once a peer's headers end, blocks
//              on the best header chain are fetched with getdata from every
//              peer that has them, at most kMaxBlocksInFlightPerPeer each,
//              re-asked elsewhere after kBlockStallTimeout.
//   tensors    a block's records commit to output tensors; before
//              validation every one its re-execution reads that the node
//              lacks (ChainManager::TensorsToConnect: none for records
//              assumed valid) is fetched by content hash (gettensor chunks
//              of ≤ kTensorChunk, resumable, no longer than the plan slot's
//              encoding), checked against the hash, and stored; so are the tensors a slashing transaction's evidence
//              re-executes, before the block or the mempool judges it
//              (kMaxWaitingSlashes).
//   relay      a new tip is announced by header to peers that sent
//              sendheaders, by inv to the rest; a transaction accepted to
//              the mempool and a work record accepted to the work pool are
//              announced by inv; inv of unknown data is answered with
//              getdata (blocks: getheaders), a transaction or record asked
//              of one announcer at a time (net/request_tracker.h: the next
//              after kRequestTimeout, notfound or a disconnect). A record's
//              output tensors are
//              fetched before the pool judges it; a record that arrives
//              before the records it builds on waits (kMaxOrphanRecords)
//              and is tried again after each record accepted and each new
//              tip (those it reads may come in a block), while it may
//              still enter (WorkPool::MayEnterLater). The worker's own
//              records are announced at once (the message loop is woken),
//              not at its next turn. A record's
//              faults are its worker's (the pool penalises it), never the
//              relaying peer's, except a bad signature: an honest relayer
//              checks it before relaying. regworker requests (free
//              registrations on bond-0 networks) are checked and relayed.
//   orphans    a transaction whose inputs are unknown is kept in a bounded
//              orphan pool (net/txorphanage.h), its missing parents asked
//              of the peer that sent it, and offered to the mempool again
//              when a parent enters the mempool or a block; a peer's
//              orphans go when it disconnects.
//   feefilter  after the handshake and every kFeeFilterInterval (sooner
//              when it moved) each peer that takes transactions (its
//              version's relay flag) is told MempoolMinFeeRate(); a
//              transaction paying less than a peer's own feefilter is not
//              announced to it, nor to a peer whose version said relay=0.
//   inference  a holder sends its signed serveinfo after the handshake and
//              again whenever it changes; inferstep is answered by the
//              handler with inferresult; serveinfo and inferresult go to
//              the handler (net/inference_handler.h, doc/inference.md);
//              onionstep and onionreply likewise, hop to hop.
//   holders    every announcement (serveinfo from the holder, serverelay
//              from anyone) is checked before it is kept: a signature that
//              does not verify marks the sender (bad-serve-sig); a stale or
//              future one is ignored. Kept in net/serve_relay.h's table and
//              passed on as serverelay to each handshaken peer that does not
//              know it yet (once per peer and version); a new peer gets the
//              whole table after the handshake. serverelay is rate limited
//              per peer (kServeRelayRatePerSecond, burst
//              kMaxServeAnnouncements); beyond it, ignored and counted.
//   fraud      a block refused for a wrong record's re-execution becomes a
//              fraud proof (chain/fraud_proof.h) sent to every peer; one
//              received is judged once (ChainManager::ProcessFraudProof:
//              link to a known block, Merkle path, one unit re-executed,
//              its tensors fetched first if missing) and, if it holds, its
//              block and descendants are invalidated and the proof relayed
//              on once; a wrong proof marks its sender. Blocks refused for
//              a wrong record never mark the peer that sent them (it may
//              have sampled); the worker is named and slashed instead.
//   DoS        a payload that does not decode, a consensus-invalid block or
//              transaction, unconnecting headers beyond a bound, or data
//              nobody asked for beyond a bound (kMaxUnsolicitedIgnored
//              over a token bucket) marks the peer; at its next
//              turn a marked peer that is not manual is discouraged and
//              disconnected. Policy rejections are never punished.
//              Addresses and transaction announcements over their token
//              buckets are ignored and counted, not punished (as Core).
//
// Thread safety: the NetEventsInterface methods are called on the message
// thread; the public methods may be called from any thread (mu_).

#ifndef COMPUTECOIN_NET_NET_PROCESSING_H
#define COMPUTECOIN_NET_NET_PROCESSING_H

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "chain/chain_state.h"
#include "chain/mempool.h"
#include "consensus/chainparams.h"
#include "net/addrman.h"
#include "net/banman.h"
#include "net/connman.h"
#include "net/inference_handler.h"
#include "net/messages.h"
#include "net/txorphanage.h"
#include "validation/chain_manager.h"
#include "validation/work_pool.h"

namespace cc::net {

using namespace std::chrono_literals;

/** Blocks requested from one peer at a time: Bitcoin Core's MAX_BLOCKS_IN_TRANSIT_PER_PEER. */
inline constexpr size_t kMaxBlocksInFlightPerPeer = 16;
/** A transaction or work record asked of the peer that announced it first and not
 *  delivered in this time is asked of the next announcer (net/request_tracker.h).
 *  Bitcoin Core waits 60 s; records must move within a unit's timeout (60 s on every
 *  network), and a second request costs only a duplicate. */
inline constexpr std::chrono::seconds kRequestTimeout = 10s;
/** A requested block (or tensor chunk) not delivered in this time is asked of another peer. */
inline constexpr std::chrono::seconds kBlockStallTimeout = 10s;
/** Bytes asked per gettensor: large enough that a devnet tensor is a few requests. */
inline constexpr uint32_t kTensorChunk = 512 * 1024;
/** Blocks received ahead of their parent or tensors kept waiting, over all peers. */
inline constexpr size_t kMaxPendingBlocks = 256;
/** And at most this many bytes of them: a devnet block is ~0.5 MB, the wire's cap 32 MiB. */
inline constexpr size_t kMaxPendingBlockBytes = 128 * 1024 * 1024;
/** A block that waits longer than this is dropped, with the downloads only it
 *  wanted: its tensors may be withheld, and the set is not to fill for good.
 *  Its header stays, so the download asks for it again while it is on the best
 *  header chain. */
inline constexpr std::chrono::seconds kPendingBlockExpiry = 10min;
/** Headers messages that do not connect before the peer is marked (Bitcoin Core: 10). */
inline constexpr int kMaxUnconnectingHeaders = 10;
/** How often a ping is sent to each peer: Bitcoin Core's PING_INTERVAL. */
inline constexpr std::chrono::seconds kPingInterval = 2min;
/** Transactions remembered as recently announced/rejected, to ask for each once. */
inline constexpr size_t kMaxRecentTxs = 50000;
/** Records held until the records they build on arrive, over all peers. */
inline constexpr size_t kMaxOrphanRecords = 1024;
/** Registration requests held for producers, over all peers. */
inline constexpr size_t kMaxPendingRegistrations = 256;

// --- Relay limits: orphan transactions, fee filter, unsolicited messages ---
/** How often expired orphans are swept: Bitcoin Core's ORPHAN_TX_EXPIRE_INTERVAL. */
inline constexpr std::chrono::seconds kOrphanExpireInterval = 5min;
/** Between two feefilter messages to a peer: Bitcoin Core's AVG_FEEFILTER_BROADCAST_INTERVAL
 *  (ours is fixed, not Poisson: the floor is public anyway). */
inline constexpr std::chrono::seconds kFeeFilterInterval = 10min;
/** A floor that moved by more than a quarter is sent within this instead: Bitcoin Core's
 *  MAX_FEEFILTER_CHANGE_DELAY. */
inline constexpr std::chrono::seconds kFeeFilterChangeDelay = 5min;
/** Addresses a peer may send per second beyond those we asked for: Bitcoin Core's
 *  MAX_ADDR_RATE_PER_SECOND (one address per 10 s is what an honest node self-announces). */
inline constexpr double kAddrRatePerSecond = 0.1;
/** Most transaction and record announcements (inv items we would fetch) a peer may make at
 *  once: Bitcoin Core's MAX_PEER_TX_ANNOUNCEMENTS. */
inline constexpr size_t kMaxPeerTxAnnouncements = 5000;
/** Announcements a peer may make per second after that burst: several times the busiest
 *  honest relay (Bitcoin Core trickles ~7 transactions a second to a peer). */
inline constexpr double kTxAnnounceRatePerSecond = 100;
/** Transactions, records and blocks a peer may send without our getdata, in a burst (a
 *  light wallet pushing its own payments) and per second after it. Honest full nodes
 *  never send any: relay is inv, getdata, then the object. */
inline constexpr size_t kUnsolicitedBurst = 100;
inline constexpr double kUnsolicitedRatePerSecond = 1;
/** A block older than this is historical for -maxuploadtarget: Bitcoin Core's
 *  HISTORICAL_BLOCK_AGE (a week). */
inline constexpr std::chrono::seconds kHistoricalBlockAge = std::chrono::hours(24 * 7);
/** Unsolicited objects over that rate (each ignored unread) before the peer is
 *  discouraged: only a flood gets there. */
inline constexpr size_t kMaxUnsolicitedIgnored = 100;

/** Fraud proofs a peer may send at once, and per second after that: each
 *  costs us one unit's re-execution, and an honest network sends one per bad
 *  block (a wrong proof also marks its sender). */
inline constexpr size_t kFraudProofBurst = 16;
inline constexpr double kFraudProofRatePerSecond = 0.5;
/** Relayed holder announcements a peer may send a second (after a burst of
 *  kMaxServeAnnouncements, its whole table at the handshake). */
inline constexpr double kServeRelayRatePerSecond = 1;
/** Fraud proofs kept while their block or tensors arrive, over all peers. */
inline constexpr size_t kMaxWaitingFraudProofs = 64;
/** Slashing transactions kept while their evidence's tensors arrive, over
 *  all peers. */
inline constexpr size_t kMaxWaitingSlashes = 64;
/** Fraud proof ids remembered as judged or sent (then forgotten at once). */
inline constexpr size_t kMaxSeenFraudProofs = 10000;

/** What getpeerinfo adds to ConnMan's statistics. */
struct PeerSyncStats {
  PeerId id = 0;
  int64_t synced_headers = -1;  //!< height of the best header we know the peer has; -1 unknown
  int64_t synced_blocks = -1;   //!< height of the best block we know the peer has
  size_t blocks_in_flight = 0;
  bool misbehaving = false;
  Amount fee_filter = 0;             //!< the peer's feefilter: we announce no transaction below it
  uint64_t addr_processed = 0;       //!< addresses taken from the peer's addr messages
  uint64_t addr_rate_limited = 0;    //!< addresses ignored over the addr rate
  uint64_t inv_rate_limited = 0;     //!< transaction/record announcements ignored over the rate
  uint64_t unsolicited_ignored = 0;  //!< objects sent without our getdata, ignored over the rate
};

/** The orphan pool's size for getmempoolinfo-style reports. */
struct OrphanStats {
  size_t count = 0;
  size_t bytes = 0;
};

class PeerManager final : public NetEventsInterface, public ChainListener {
 public:
  struct Options {
    //! The node's name in version (e.g. "/Computecoin:0.1.0/").
    std::string user_agent;
    //! Services we offer (kNodeNetwork, plus kNodeWorker with -worker).
    uint64_t services = kNodeNetwork;
    //! Log line sink (debug.log).
    std::function<void(const std::string&)> log;
    //! Told of each transaction from a peer that entered the mempool (the
    //! node's wallets, as Bitcoin Core's TransactionAddedToMempool). May be empty.
    std::function<void(const Transaction&)> tx_added_to_mempool;
    //! Caps of the orphan transaction pool (net/txorphanage.h).
    OrphanLimits orphan_limits;
    //! Blocks older than this are historical: past -maxuploadtarget's reserve they are
    //! served to manual and protected peers only (tests shorten it).
    std::chrono::seconds historical_block_age = kHistoricalBlockAge;
    //! How long a block waits for its parent or tensors (tests shorten it).
    std::chrono::milliseconds pending_block_expiry = kPendingBlockExpiry;
    //! Bytes of blocks kept waiting (kMaxPendingBlockBytes; tests use less).
    size_t max_pending_block_bytes = kMaxPendingBlockBytes;
    //! How long an announced transaction or record is awaited from one announcer
    //! before the next is asked (kRequestTimeout; tests shorten it).
    std::chrono::milliseconds request_timeout = kRequestTimeout;
  };

  /** REQUIRES: every pointer outlives the manager; connman is set with SetConnMan
   *  before it starts. banman, addrman and pool may be null (no work relay
   *  without a pool). */
  PeerManager(const ChainParams& params, ChainState* chain, ChainManager* chainman,
              Mempool* mempool, BanMan* banman, AddrMan* addrman, Options options,
              WorkPool* pool = nullptr);
  ~PeerManager() override;
  PeerManager(const PeerManager&) = delete;
  PeerManager& operator=(const PeerManager&) = delete;

  /** REQUIRES: called once, before connman->Start(). */
  void SetConnMan(ConnMan* connman);

  /** Announces a transaction accepted to the mempool to every peer. */
  void RelayTransaction(const Uint256& txid);
  /** Announces a work record accepted to the work pool to every peer, at once (the
   *  message loop is woken: the next worker is waiting for it). */
  void RelayWorkRecord(const Uint256& record_hash);
  /** Sends a registration request to every peer and keeps it for our own
   *  blocks. Returns false (nothing sent) if its signature is not valid. */
  bool RelayRegistration(const RegWorkerMsg& msg);
  /** The signed registration requests we hold whose keys `tip` has not
   *  registered: a producer's AssemblyRequest::registrations. */
  std::vector<WorkerRegistration> PendingRegistrations(const ConsensusState& tip) const;

  /** Where inference messages go. REQUIRES: called at most once, before
   *  connman->Start(); handler outlives the manager. Without one, steps are
   *  refused ("not-serving") and announcements ignored. */
  void SetInferenceHandler(InferenceHandler* handler);
  /** What we serve, signed, sent now to every peer past the handshake and
   *  to each new one after it. */
  void SetServeInfo(const ServeInfoMsg& info);
  /** The holders' announcements we keep (net/serve_relay.h), unexpired, our
   *  own aside. */
  std::vector<ServeInfoMsg> ServeAnnouncements() const;
  /** Sends a step to a peer. Returns false if the peer is not connected or has
   *  not finished the handshake (nothing is sent). */
  bool SendInferStep(PeerId to, const InferStepMsg& step);
  /** Sends the answer to a step; false if the peer is gone. Any thread. */
  bool SendInferResult(PeerId to, const InferResultMsg& result);
  /** Sends an onion step to a peer that completed the handshake; false if it
   *  did not, or the connection is gone. */
  bool SendOnionStep(PeerId to, const OnionStepMsg& step);
  /** Answers an onionstep; false if the connection is gone. */
  bool SendOnionReply(PeerId to, const OnionReplyMsg& reply);

  /** True while our tip is behind the best header a peer showed us. */
  bool IsInitialBlockDownload() const;
  /** Height of the best header known (at least our tip's). */
  uint32_t BestHeaderHeight() const;
  std::vector<PeerSyncStats> GetSyncStats() const;
  OrphanStats GetOrphanStats() const;
  /** The fee rate (per 1000 bytes) we send in feefilter: the mempool's minimum relay fee,
   *  raised to its lowest entry's rate plus the incremental relay fee while it is over
   *  90% full (a transaction below that would be evicted at once). */
  Amount MempoolMinFeeRate() const;

  // NetEventsInterface
  void InitializePeer(const PeerRef& peer) override;
  void FinalizePeer(const PeerRef& peer) override;
  void ProcessMessage(const PeerRef& peer, const ReceivedMessage& msg) override;
  void SendMessages(const PeerRef& peer) override;

  // ChainListener: new tips are announced from here.
  void BlockConnected(const Block& block, uint32_t height) override;
  void BlockDisconnected(const Block& block, uint32_t height) override;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cc::net

#endif  // COMPUTECOIN_NET_NET_PROCESSING_H
