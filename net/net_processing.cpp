#include "net/net_processing.h"

#include <algorithm>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <unordered_set>
#include <utility>
#include <variant>

#include "chain/hash.h"
#include "chain/hex.h"
#include "chain/key.h"
#include "chain/merkle.h"
#include "chain/serialize.h"
#include "compute/tensor.h"
#include "consensus/connect.h"
#include "consensus/evidence.h"
#include "consensus/genesis.h"
#include "net/rate_limit.h"
#include "net/request_tracker.h"
#include "net/serve_relay.h"
#include "net/tensor_transfer.h"
#include "validation/mempool_accept.h"

namespace cc::net {
namespace {

using Clock = std::chrono::steady_clock;

int64_t UnixNow() { return static_cast<int64_t>(std::time(nullptr)); }

int64_t UnixNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What we track per connected peer. GUARDED_BY(Impl::mu_).
struct PeerState {
  bool got_version = false;
  bool got_verack = false;
  bool prefers_headers = false;  // sent sendheaders
  bool misbehaving = false;      // discourage and disconnect at its next turn
  std::string misbehaving_reason;
  int unconnecting_headers = 0;
  bool headers_pending = false;  // its last headers message was full: more are asked
  bool answered_getaddr = false;
  // The best header the peer showed us (by the accepted work it commits,
  // then height, on any branch).
  bool has_best_header = false;
  Uint256 best_header;
  uint32_t best_header_height = 0;
  uint64_t best_header_work = 0;
  int64_t best_block_height = -1;  // highest block it announced or sent us
  // Blocks still to fetch on the peer's best chain, lowest first; rebuilt
  // when its best header moves.
  std::vector<Uint256> to_fetch;
  std::map<Uint256, Clock::time_point> blocks_in_flight;
  std::vector<Uint256> blocks_to_announce;
  std::vector<Uint256> txs_to_announce;
  std::vector<Uint256> records_to_announce;
  std::vector<RegWorkerMsg> registrations_to_send;
  uint64_t ping_nonce = 0;
  Clock::time_point ping_sent;
  Clock::time_point next_ping = Clock::now();

  // Relay limits (net_processing.h). What we asked the peer for is in
  // Impl's request trackers: an object not asked of it is unsolicited.
  // One token is one address; we add kMaxAddrToSend when we send getaddr.
  TokenBucket addr_bucket{kAddrRatePerSecond, kMaxAddrToSend, 1, Clock::now()};
  TokenBucket inv_bucket{kTxAnnounceRatePerSecond, kMaxPeerTxAnnouncements,
                         kMaxPeerTxAnnouncements, Clock::now()};
  TokenBucket unsolicited_bucket{kUnsolicitedRatePerSecond, kUnsolicitedBurst, kUnsolicitedBurst,
                                 Clock::now()};
  uint64_t addr_processed = 0;
  uint64_t addr_rate_limited = 0;
  uint64_t inv_rate_limited = 0;
  uint64_t unsolicited_ignored = 0;
  // Holder announcements: relayed ones take a token each; the newest time of
  // each key's announcement the peer has (sent by it or to it), so each
  // version goes to it once; what is queued for it.
  TokenBucket serve_bucket{kServeRelayRatePerSecond, kMaxServeAnnouncements,
                           kMaxServeAnnouncements, Clock::now()};
  std::map<XOnlyPubKeyBytes, int64_t> serve_known;
  std::vector<ServeInfoMsg> serve_to_relay;
  uint64_t serve_rate_limited = 0;
  // Fraud proofs come unasked (a split is in progress): a bucket of their own.
  TokenBucket fraud_bucket{kFraudProofRatePerSecond, kFraudProofBurst, kFraudProofBurst,
                           Clock::now()};
  // Fee filter (BIP133): the peer's, and the last we sent it (-1: none yet).
  bool relay_txs = true;  // its version's relay flag
  Amount fee_filter = 0;
  Amount fee_filter_sent = -1;
  Clock::time_point next_fee_filter = Clock::now();
};

// Bitcoin Core's MaybePunishNodeFor{Block,Tx}: whether a refusal is the
// sender's fault. Only consensus violations are; the switch has no default
// so that a new category must be judged here.
bool IsSendersFault(ValidationResult result) {
  switch (result) {
    case ValidationResult::kConsensus:
      return true;
    case ValidationResult::kValid:
    case ValidationResult::kMutated:        // maybe the relayer's tampering, not the author's
    case ValidationResult::kMissingInputs:  // an orphan, or tensors pruned or unavailable
    case ValidationResult::kMissingPrev:
    case ValidationResult::kPremature:
    case ValidationResult::kConflict:
    case ValidationResult::kTimeFuture:
    case ValidationResult::kPolicy:
    case ValidationResult::kInternal:
      return false;
  }
  return false;
}

__extension__ typedef __int128 Int128;

// The fee `size` bytes pay at `rate_per_kb`, rounded down: the mempool's
// min-relay-fee arithmetic (chain/mempool.cpp), so that a transaction the
// peer's filter admits is one its mempool would not refuse on fee.
Amount FeeAtRate(Amount rate_per_kb, size_t size) {
  return static_cast<Amount>(static_cast<Int128>(rate_per_kb) * static_cast<Int128>(size) / 1000);
}

/** No peer (peer ids start at 0). */
constexpr PeerId kNoPeer = -1;

// A tensor being fetched for one or more waiting blocks.
struct TensorDownload {
  TensorAssembler assembler;
  uint64_t step = 0;        // for the tensor store's retention
  uint64_t length = 0;      // the longest encoding a slot naming it gives it: the bound
  PeerId peer = kNoPeer;    // who is asked; kNoPeer: nobody (SendMessages reassigns)
  Clock::time_point asked;  // when the outstanding chunk was asked
  bool outstanding = false;
  std::set<PeerId> lacking;  // peers that answered notfound
  bool reported = false;     // "no peer has it" logged
};

// A block whose parent or tensors have not arrived yet.
struct WaitingBlock {
  Block block;
  PeerId from = 0;
  std::set<Uint256> missing_tensors;
  Clock::time_point since;  // when it first waited
  size_t bytes = 0;         // its encoding's size, for kMaxPendingBlockBytes
};

// A slashing transaction whose evidence's tensors have not arrived yet.
struct WaitingSlash {
  Transaction tx;
  PeerId from = 0;
  std::set<Uint256> missing_tensors;
};

// A work record whose output tensors have not arrived yet, or that waits
// for the records it builds on (an orphan).
struct WaitingRecord {
  WorkRecord record;
  PeerId from = 0;
  std::set<Uint256> missing_tensors;
  Clock::time_point since;  // when it began to wait for its tensors
};

// A fraud proof that cannot be judged yet: its block has not arrived, or the
// tensors its unit reads are being fetched.
struct WaitingFraudProof {
  FraudProof proof;
  PeerId from = 0;
  std::set<Uint256> missing_tensors;  // empty: waits for its block
  Clock::time_point since;            // when it first waited
};

}  // namespace

class PeerManager::Impl {
 public:
  Impl(const ChainParams& params, ChainState* chain, ChainManager* chainman, Mempool* mempool,
       BanMan* banman, AddrMan* addrman, Options options, WorkPool* pool)
      : params_(params),
        chain_(chain),
        chainman_(chainman),
        mempool_(mempool),
        pool_(pool),
        banman_(banman),
        addrman_(addrman),
        options_(std::move(options)),
        genesis_hash_(BuildGenesisBlock(params).Hash()),
        rng_(std::random_device{}()),
        orphanage_(options_.orphan_limits, rng_()) {}

  void Log(const std::string& line) {
    if (options_.log) options_.log(line);
  }

  // --- locks: mu_ guards every member below it; never held while calling
  // into the chain manager or the mempool (they call back: BlockConnected,
  // RelayTransaction). announce_mu_ guards announcements queued by those
  // callbacks.

  const ChainParams& params_;
  ChainState* const chain_;
  ChainManager* const chainman_;
  Mempool* const mempool_;
  WorkPool* const pool_;
  BanMan* const banman_;
  AddrMan* const addrman_;
  const Options options_;
  const Uint256 genesis_hash_;  // what regworker signatures commit to
  ConnMan* connman_ = nullptr;
  InferenceHandler* inference_ = nullptr;  // set before the threads start

  std::mutex announce_mu_;
  std::vector<Uint256> new_tips_;     // GUARDED_BY(announce_mu_)
  std::vector<Uint256> new_txs_;      // GUARDED_BY(announce_mu_)
  std::vector<Uint256> new_records_;  // GUARDED_BY(announce_mu_)
  // Transactions of newly connected blocks (records dropped): their orphans
  // are retried or dropped on the message thread.
  std::vector<Block> connected_blocks_;  // GUARDED_BY(announce_mu_)

  mutable std::mutex mu_;
  std::map<PeerId, PeerState> peers_;
  std::map<Uint256, TensorDownload> tensors_;
  std::map<Uint256, WaitingBlock> waiting_;  // by block hash
  // Transactions and records received (or sent) lately: announcements of
  // them are ignored. Those announced but not yet received are in the
  // trackers, asked of one announcer at a time.
  std::unordered_set<Uint256, Uint256Hasher> recent_txs_;
  std::unordered_set<Uint256, Uint256Hasher> recent_records_;
  RequestTracker tx_requests_{options_.request_timeout};
  RequestTracker record_requests_{options_.request_timeout};
  std::map<Uint256, WaitingRecord> waiting_records_;  // by record hash: tensors missing
  std::map<Uint256, WaitingRecord> orphan_records_;   // by record hash: too early
  std::map<XOnlyPubKeyBytes, RegWorkerMsg> registrations_;
  // Fraud proof ids judged or sent (each relayed once), and those waiting.
  std::unordered_set<Uint256, Uint256Hasher> seen_fraud_proofs_;
  std::map<Uint256, WaitingFraudProof> waiting_fraud_proofs_;  // by proof id
  std::map<Uint256, WaitingSlash> waiting_slashes_;            // by txid
  uint32_t best_header_height_ = 0;
  std::mt19937_64 rng_;
  std::pair<Uint256, std::vector<uint8_t>> served_tensor_;  // last tensor served, encoded
  std::optional<ServeInfoMsg> serve_info_;                  // what we announce
  net::ServeAnnouncements serve_announcements_;                 // holders' (net/serve_relay.h)
  TxOrphanage orphanage_;
  Clock::time_point next_orphan_expiry_ = Clock::now() + kOrphanExpireInterval;
  Clock::time_point next_block_expiry_ = Clock::now();

  // --- helpers (REQUIRES: mu_ held unless said otherwise) ---

  void Misbehaving(PeerId id, const std::string& reason) {
    auto it = peers_.find(id);
    if (it == peers_.end()) return;
    if (!it->second.misbehaving) Log("Misbehaving: peer=" + std::to_string(id) + " " + reason);
    it->second.misbehaving = true;
    it->second.misbehaving_reason = reason;
  }

  // Whether an object the peer sent without our getdata is processed: up to
  // its unsolicited bucket; past kMaxUnsolicitedIgnored ignored ones it is a
  // flood, and the peer is marked.
  bool AllowUnsolicited(PeerId id, PeerState& state) {
    if (state.unsolicited_bucket.Consume(Clock::now())) return true;
    if (++state.unsolicited_ignored > kMaxUnsolicitedIgnored) Misbehaving(id, "unsolicited-flood");
    return false;
  }

  uint32_t TipHeight() const {
    Uint256 tip;
    uint32_t height = 0;
    (void)chain_->GetTip(&tip, &height);
    return height;
  }

  // Block hashes on our main chain, newest first, exponentially spaced.
  std::vector<Uint256> Locator() const {
    std::vector<Uint256> locator;
    for (uint32_t height : LocatorHeights(TipHeight())) {
      Uint256 hash;
      if (chain_->GetBlockHashAtHeight(height, &hash).ok()) locator.push_back(hash);
    }
    return locator;
  }

  void SendGetHeaders(PeerId id) {
    GetHeadersMsg msg;
    msg.locator = Locator();
    connman_->PushMessage(id, msg);
  }

  // The first locator entry on our main chain, as a height (genesis if none).
  uint32_t ForkHeight(const std::vector<Uint256>& locator) const {
    for (const Uint256& hash : locator) {
      BlockIndexEntry entry;
      if (!chain_->ReadIndex(hash, &entry).ok()) continue;
      Uint256 at;
      if (chain_->GetBlockHashAtHeight(entry.height(), &at).ok() && at == hash)
        return entry.height();
    }
    return 0;
  }

  bool IsInFlight(const Uint256& hash) const {
    for (const auto& [id, state] : peers_)
      if (state.blocks_in_flight.contains(hash)) return true;
    return false;
  }

  // Rebuilds the peer's list of blocks to fetch: its best header's ancestors
  // down to the first we have data for.
  void RebuildToFetch(PeerState& state) {
    state.to_fetch.clear();
    if (!state.has_best_header) return;
    std::vector<Uint256> down;
    for (Uint256 h = state.best_header; !chain_->HaveBlock(h);) {
      BlockIndexEntry entry;
      if (!chain_->ReadIndex(h, &entry).ok() || entry.Has(kBlockFailed)) return;
      down.push_back(h);
      h = entry.header.prev;
    }
    state.to_fetch.assign(down.rbegin(), down.rend());
  }

  void RequestBlocks(PeerId id, PeerState& state) {
    // Headers first: while a peer is still sending them, its blocks would only
    // queue ahead of the next headers message on the one message thread.
    if (state.headers_pending) return;
    // Drop what is already here from the front of the list.
    while (!state.to_fetch.empty() &&
           (chain_->HaveBlock(state.to_fetch.front()) || waiting_.contains(state.to_fetch.front())))
      state.to_fetch.erase(state.to_fetch.begin());
    std::vector<Inv> ask;
    for (const Uint256& h : state.to_fetch) {
      if (state.blocks_in_flight.size() + ask.size() >= kMaxBlocksInFlightPerPeer) break;
      if (waiting_.contains(h) || IsInFlight(h) || chain_->HaveBlock(h)) continue;
      ask.push_back(Inv{InvType::kBlock, h});
    }
    if (ask.empty()) return;
    const Clock::time_point now = Clock::now();
    for (const Inv& inv : ask) state.blocks_in_flight[inv.hash] = now;
    GetDataMsg msg;
    msg.items = std::move(ask);
    connman_->PushMessage(id, msg);
  }

  void AskTensorChunk(const Uint256& hash, TensorDownload& d) {
    GetTensorMsg msg;
    msg.hash = hash;
    msg.offset = d.assembler.NextMissingOffset();
    // Up to the end the first chunk told, or else the end its slot gives it.
    const uint64_t end = d.assembler.total_size().value_or(d.length);
    const uint64_t length = std::min<uint64_t>(kTensorChunk, end - std::min(end, msg.offset));
    msg.length = static_cast<uint32_t>(std::max<uint64_t>(length, 1));
    d.asked = Clock::now();
    d.outstanding = true;
    connman_->PushMessage(d.peer, msg);
  }

  // A download of `hash` from nothing, bounded by d.length: a peer cannot
  // make us hold more of a tensor than its slot's encoding.
  static TensorAssembler FreshAssembler(const Uint256& hash, const TensorDownload& d) {
    return TensorAssembler(hash, std::clamp<uint64_t>(d.length, 1, kMaxTensorSize));
  }

  // Starts fetching `tensor` from `peer` unless it is being fetched
  // already; then a longer slot for it raises the bound (the shorter may
  // have come from a record naming someone else's tensor). REQUIRES: mu_ held.
  void WantTensor(const compute::TensorToFetch& tensor, PeerId peer) {
    auto [it, added] = tensors_.try_emplace(tensor.hash, TensorDownload{TensorAssembler(
                                                             tensor.hash, kMaxTensorSize)});
    TensorDownload& d = it->second;
    if (!added) {
      if (tensor.length <= d.length) return;
      d.length = tensor.length;
      if (!d.assembler.total_size()) d.assembler = FreshAssembler(tensor.hash, d);
      d.lacking.clear();  // those that served too much may serve it now
      return;
    }
    d.step = tensor.step;
    d.length = tensor.length;
    d.assembler = FreshAssembler(tensor.hash, d);
    d.peer = peer;
    AskTensorChunk(tensor.hash, d);
  }

  // Says once, when every connected peer has answered notfound, which
  // blocks wait for a tensor nobody serves: beyond the peers' retention a
  // late-joining node cannot sync (doc/consensus.md §9), and it should not
  // wait in silence. A peer that connects later is still asked.
  // REQUIRES: mu_ held.
  void ReportIfNobodyHas(const Uint256& hash, TensorDownload& d) {
    if (d.reported) return;
    for (const auto& [id, state] : peers_)
      if (state.got_verack && !d.lacking.contains(id)) return;
    d.reported = true;
    std::string blocks;
    for (const auto& [block_hash, w] : waiting_)
      if (w.missing_tensors.contains(hash))
        blocks += (blocks.empty() ? "" : ", ") + std::to_string(w.block.header.height);
    Log("Tensor " + hash.ToHex() + " of step " + std::to_string(d.step) +
        " is not served by any of our " + std::to_string(d.lacking.size()) +
        " peers (pruned beyond their retention?)" +
        (blocks.empty() ? std::string() : "; blocks at height " + blocks + " wait for it"));
  }

  Amount MempoolMinFeeRate() const {
    const MempoolOptions& o = mempool_->options();
    Amount floor = o.min_relay_fee_per_kb;
    if (mempool_->bytes() * 10 < o.max_bytes * 9) return floor;
    // Near the cap a new entry must beat the lowest rate, or eviction takes it.
    Amount lowest = kMaxMoney;
    for (const auto& [fee, size] : mempool_->FeesAndSizes())
      if (size > 0) lowest = std::min<Amount>(lowest, static_cast<Amount>(
                                                          static_cast<Int128>(fee) * 1000 / size));
    if (lowest == kMaxMoney) return floor;
    return std::min<Amount>(kMaxMoney,
                            std::max(floor, lowest + o.incremental_relay_fee_per_kb));
  }

  // The message thread's turn for blocks connected since the last: their
  // orphans that conflict with them or are in them go, and those spending
  // their outputs are tried again. Every kOrphanExpireInterval the orphans
  // whose time is up go too. REQUIRES: mu_ not held.
  void OrphansAfterBlocks(const std::vector<Block>& blocks) {
    std::vector<Uint256> parents;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const Clock::time_point now = Clock::now();
      if (now >= next_orphan_expiry_) {
        if (const size_t n = orphanage_.Expire(now); n > 0)
          Log("Orphans: " + std::to_string(n) + " expired");
        next_orphan_expiry_ = now + kOrphanExpireInterval;
      }
      if (orphanage_.size() == 0) return;
      for (const Block& block : blocks) {
        orphanage_.EraseForBlock(block);
        for (const Transaction& tx : block.txs) parents.push_back(tx.Txid());
      }
    }
    RetryOrphans(std::move(parents));
  }

  // --- message handlers (REQUIRES: mu_ not held; each takes it as needed) ---

  void OnVersion(const PeerRef& peer, const VersionMsg& msg) {
    std::lock_guard<std::mutex> lock(mu_);
    PeerState& state = peers_[peer->id()];
    if (state.got_version) return;  // a second version is ignored, as Bitcoin Core does
    if (peer->inbound() && connman_->IsOwnNonce(msg.nonce)) {
      Log("Connected to self at " + peer->addr().ToString() + ", disconnecting");
      connman_->DisconnectPeer(peer->id(), "self-connection");
      return;
    }
    if (msg.version < kMinPeerProtocolVersion) {
      // Not misbehaviour: an old or foreign client, as Bitcoin Core treats one.
      Log("Peer " + std::to_string(peer->id()) + " speaks protocol version " +
          std::to_string(msg.version) + ", below " + std::to_string(kMinPeerProtocolVersion) +
          "; disconnecting");
      connman_->DisconnectPeer(peer->id(), "obsolete-version");
      return;
    }
    peer->SetVersionInfo(msg.version, msg.services, msg.user_agent, msg.best_height);
    state.got_version = true;
    state.relay_txs = msg.relay;
    state.best_block_height = msg.best_height;
    if (peer->inbound()) connman_->PushMessage(peer->id(), OurVersion(*peer));
    connman_->PushMessage(peer->id(), VerackMsg{});
  }

  VersionMsg OurVersion(const Peer& peer) const {
    VersionMsg v;
    v.services = options_.services;
    v.time = UnixNow();
    v.addr_from = Service{};
    v.nonce = peer.local_nonce();
    v.user_agent = options_.user_agent;
    v.best_height = TipHeight();
    v.relay = true;
    return v;
  }

  void OnVerack(const PeerRef& peer) {
    std::lock_guard<std::mutex> lock(mu_);
    PeerState& state = peers_[peer->id()];
    if (!state.got_version || state.got_verack) return;
    state.got_verack = true;
    peer->SetHandshakeComplete();
    Log("New " + std::string(peer->inbound() ? "inbound" : "outbound") +
        " peer=" + std::to_string(peer->id()) + " " + peer->addr().ToString());
    connman_->PushMessage(peer->id(), SendHeadersMsg{});
    if (!peer->inbound() && addrman_ != nullptr) {
      connman_->PushMessage(peer->id(), GetAddrMsg{});
      state.addr_bucket.Add(kMaxAddrToSend);  // the answer was asked for
    }
    // Registration requests made before this peer came (they are few).
    for (const auto& [key, reg] : registrations_) connman_->PushMessage(peer->id(), reg);
    if (serve_info_) connman_->PushMessage(peer->id(), *serve_info_);
    // The holders we know, as a getaddr answer would give addresses.
    for (const ServeInfoMsg& info : serve_announcements_.All(UnixNowMs())) QueueServe(state, info);
    SendGetHeaders(peer->id());
  }

  void OnGetHeaders(const PeerRef& peer, const GetHeadersMsg& msg) {
    HeadersMsg reply;
    const uint32_t tip = TipHeight();
    for (uint32_t h = ForkHeight(msg.locator) + 1; h <= tip; ++h) {
      Uint256 hash;
      BlockHeader header;
      if (!chain_->GetBlockHashAtHeight(h, &hash).ok() || !chain_->ReadHeader(hash, &header).ok())
        break;
      reply.headers.push_back(header);
      if (hash == msg.stop || reply.headers.size() >= kMaxHeadersResults) break;
    }
    connman_->PushMessage(peer->id(), reply);
  }

  void OnHeaders(const PeerRef& peer, const HeadersMsg& msg) {
    std::lock_guard<std::mutex> lock(mu_);
    PeerState& state = peers_[peer->id()];
    // A full message means the peer has more: blocks wait until its headers end.
    state.headers_pending = msg.headers.size() == kMaxHeadersResults;
    if (msg.headers.empty()) return;
    // They must form a chain, from a header we know.
    for (size_t i = 1; i < msg.headers.size(); ++i) {
      if (msg.headers[i].prev != msg.headers[i - 1].Hash()) {
        Misbehaving(peer->id(), "non-continuous-headers");
        return;
      }
    }
    BlockIndexEntry parent;
    if (!chain_->ReadIndex(msg.headers.front().prev, &parent).ok()) {
      if (++state.unconnecting_headers > kMaxUnconnectingHeaders) {
        Misbehaving(peer->id(), "too-many-unconnecting-headers");
      } else {
        SendGetHeaders(peer->id());
      }
      return;
    }
    if (parent.Has(kBlockFailed)) {
      Misbehaving(peer->id(), "bad-prevblk");
      return;
    }
    // Ask for the next ones before checking these: the peer reads them from
    // its store while we verify signatures (a header whose check fails marks
    // the peer, which is then dropped before it matters).
    if (state.headers_pending) {
      GetHeadersMsg more;
      more.locator = {msg.headers.back().Hash()};
      connman_->PushMessage(peer->id(), more);
    }
    const int64_t max_time = UnixNow() + params_.max_future_time;
    const BlockHeader* prev = &parent.header;
    for (const BlockHeader& header : msg.headers) {
      // What a header can be judged by with its parent alone: the producer's
      // signature, height, time and the work it claims.
      if (!VerifySchnorr(header.producer, header.SigningHash(), header.signature)) {
        Misbehaving(peer->id(), "bad-blk-sig");
        return;
      }
      ValidationState context;
      if (!CheckHeaderContext(header, prev->height, prev->time, prev->accepted_work, &context)) {
        Misbehaving(peer->id(), context.reason());
        return;
      }
      prev = &header;
      if (header.time > max_time) return;  // may become valid later: not punished
      ValidationState accepted;
      if (!chainman_->AcceptHeader(header, &accepted)) {
        Misbehaving(peer->id(), accepted.ToString());
        return;
      }
    }
    state.unconnecting_headers = 0;
    const BlockHeader& last = msg.headers.back();
    // More work, or as much further along (blocks without records add none).
    if (!state.has_best_header || last.accepted_work > state.best_header_work ||
        (last.accepted_work == state.best_header_work && last.height > state.best_header_height)) {
      state.has_best_header = true;
      state.best_header = last.Hash();
      state.best_header_height = last.height;
      state.best_header_work = last.accepted_work;
      RebuildToFetch(state);
    }
    if (last.height > best_header_height_) {
      best_header_height_ = last.height;
      Log("Headers: best " + std::to_string(best_header_height_) +
          " from peer=" + std::to_string(peer->id()));
    }
    RequestBlocks(peer->id(), state);
  }

  // Validates `block` now that its parent and tensors are here, then any
  // block that was waiting for it. REQUIRES: mu_ not held.
  void Connect(Block block, PeerId from) {
    std::vector<std::pair<Block, PeerId>> queue;
    queue.emplace_back(std::move(block), from);
    while (!queue.empty()) {
      auto [b, source] = std::move(queue.back());
      queue.pop_back();
      const Uint256 hash = b.Hash();
      // What it needs may have changed since it arrived: its parent is the
      // tip now, and the assume-valid line moves with the best header.
      if (std::vector<compute::TensorToFetch> missing = chainman_->TensorsToConnect(b);
          !missing.empty()) {
        std::lock_guard<std::mutex> lock(mu_);
        Park(std::move(b), source, missing);
        continue;
      }
      ValidationState state;
      const bool valid = chainman_->ProcessNewBlock(b, &state);
      if (!valid) SendOwnFraudProofs();
      RetryFraudProofsFor(hash);
      std::lock_guard<std::mutex> lock(mu_);
      if (!valid) {
        PunishForBlock(source, hash, state);
        continue;
      }
      Log("Sync: height " + std::to_string(b.header.height) + " of " +
          std::to_string(std::max(best_header_height_, b.header.height)) + ", block " +
          hash.ToHex() + " from peer=" + std::to_string(source));
      if (auto it = peers_.find(source); it != peers_.end())
        it->second.best_block_height =
            std::max<int64_t>(it->second.best_block_height, b.header.height);
      // Children that waited for this block (and have their tensors).
      for (auto it = waiting_.begin(); it != waiting_.end();) {
        if (it->second.block.header.prev == hash && it->second.missing_tensors.empty()) {
          queue.emplace_back(std::move(it->second.block), it->second.from);
          it = waiting_.erase(it);
        } else {
          ++it;
        }
      }
    }
  }

  // REQUIRES: mu_ held.
  void PunishForBlock(PeerId source, const Uint256& hash, const ValidationState& state) {
    Log("Block " + hash.ToHex() + " from peer=" + std::to_string(source) +
        " refused: " + state.ToString());
    // A wrong output proves its worker wrong, not the peer: one that samples
    // relays blocks whose records it did not re-execute (the fraud proof we
    // send is what sets it right); nor is a block we hold as invalid, which
    // such a peer may send before our proof reaches it.
    if (IsSendersFault(state.result()) && !IsWrongWorkVerdict(state) &&
        state.reason() != "bad-blk-known-invalid")
      Misbehaving(source, state.reason());
  }

  // Drops the blocks that waited longer than Options::pending_block_expiry,
  // and the tensor downloads nothing waiting wants any more (a withheld
  // tensor is otherwise asked for forever). Sweeps every eighth of the
  // expiry. REQUIRES: mu_ held.
  void ExpireWaitingBlocks(Clock::time_point now) {
    if (now < next_block_expiry_) return;
    const auto expiry = options_.pending_block_expiry;
    next_block_expiry_ = now + expiry / 8;
    size_t dropped = 0;
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      const WaitingBlock& w = it->second;
      if (now - w.since < expiry) {
        ++it;
        continue;
      }
      Log("Block " + it->first.ToHex() + " (height " + std::to_string(w.block.header.height) +
          ") dropped after waiting " +
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - w.since).count()) +
          " s for " +
          (chain_->HaveBlock(w.block.header.prev) ? "" : "its parent and ") +
          std::to_string(w.missing_tensors.size()) + " tensors");
      it = waiting_.erase(it);
      ++dropped;
    }
    // Records whose outputs never came, and proofs whose block or tensors
    // never came (a made-up header), would otherwise keep their places for
    // good: 64 proofs about nothing shut out every real one.
    dropped += std::erase_if(waiting_records_, [&](const auto& entry) {
      return now - entry.second.since >= expiry;
    });
    dropped += std::erase_if(waiting_fraud_proofs_, [&](const auto& entry) {
      if (now - entry.second.since < expiry) return false;
      Log("Fraud proof " + entry.first.ToHex() + " dropped after waiting " +
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - entry.second.since)
                             .count()) +
          " s for its block or " + std::to_string(entry.second.missing_tensors.size()) +
          " tensors");
      seen_fraud_proofs_.erase(entry.first);
      return true;
    });
    if (dropped == 0) return;
    std::set<Uint256> wanted;
    auto want = [&wanted](const auto& waiting) {
      for (const auto& [id, w] : waiting) wanted.insert(w.missing_tensors.begin(), w.missing_tensors.end());
    };
    want(waiting_);
    want(waiting_records_);
    want(waiting_fraud_proofs_);
    want(waiting_slashes_);
    std::erase_if(tensors_, [&wanted](const auto& entry) { return !wanted.contains(entry.first); });
  }

  // Keeps `block` until its parent and `missing` tensors are here, fetching
  // them from `from` (and its parent's headers). REQUIRES: mu_ held.
  void Park(Block block, PeerId from, const std::vector<compute::TensorToFetch>& missing) {
    const Uint256 hash = block.Hash();
    if (waiting_.size() >= kMaxPendingBlocks && !waiting_.contains(hash)) return;
    const size_t bytes = Serialize(block).size();
    if (!waiting_.contains(hash)) {
      // 256 blocks of up to 32 MiB each, unsigned junk on unknown parents
      // included, would be 8 GiB.
      size_t held = 0;
      for (const auto& [id, w] : waiting_) held += w.bytes;
      if (held + bytes > options_.max_pending_block_bytes) {
        Log("Block " + hash.ToHex() + " from peer=" + std::to_string(from) +
            " not kept: the blocks waiting already hold " + std::to_string(held) + " bytes");
        return;
      }
    }
    const bool have_parent = chain_->HaveBlock(block.header.prev);
    auto [it, added] = waiting_.try_emplace(hash);
    WaitingBlock& w = it->second;
    if (added) w.since = Clock::now();
    w.bytes = bytes;
    w.from = from;
    for (const compute::TensorToFetch& tensor : missing) {
      w.missing_tensors.insert(tensor.hash);
      WantTensor(tensor, from);
    }
    w.block = std::move(block);
    Log("Block " + hash.ToHex() + " (height " + std::to_string(w.block.header.height) +
        ") waits for " + (have_parent ? "" : "its parent and ") +
        std::to_string(w.missing_tensors.size()) + " tensors");
    if (!have_parent) SendGetHeaders(from);
  }

  void OnBlock(const PeerRef& peer, Block block) {
    const Uint256 hash = block.Hash();
    peer->MarkBlockReceived();
    {
      // Whether it was asked for or may come unasked, before the chain
      // manager's snapshot is read for it: a flood costs only this.
      std::lock_guard<std::mutex> lock(mu_);
      if (!IsInFlight(hash) && !AllowUnsolicited(peer->id(), peers_[peer->id()])) return;
      for (auto& [id, state] : peers_) state.blocks_in_flight.erase(hash);
    }
    // Before anything is fetched for it: a block on our tip by a key without
    // the slot, naming thousands of made-up outputs, had the node ask its
    // sender for each (and hold up to 1 GiB of each until it expired).
    if (ValidationState early; !chainman_->CheckBeforeFetch(block, &early)) {
      std::lock_guard<std::mutex> lock(mu_);
      PunishForBlock(peer->id(), hash, early);
      return;
    }
    const std::vector<compute::TensorToFetch> missing = chainman_->TensorsToConnect(block);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!chain_->HaveBlock(block.header.prev) || !missing.empty()) {
        Park(std::move(block), peer->id(), missing);
        return;
      }
    }
    Connect(std::move(block), peer->id());
  }

  void OnTensor(const PeerRef& peer, const TensorMsg& msg) {
    compute::EncodedTensor tensor;
    uint64_t step = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = tensors_.find(msg.hash);
      if (it == tensors_.end() || it->second.peer != peer->id()) return;  // unasked: ignored
      TensorDownload& d = it->second;
      d.outstanding = false;
      Status s = d.assembler.AddChunk(msg);
      if (!s.ok() && s.message() == "tensor-too-large") {
        // Longer than any slot naming it here, so not what we want; yet an
        // honest peer may hold a tensor by that id that a liar named in a
        // shorter slot. Asked elsewhere, no one blamed.
        Log("Tensor " + msg.hash.ToHex() + " from peer=" + std::to_string(peer->id()) + " is " +
            std::to_string(msg.total_size) + " bytes, more than the " +
            std::to_string(d.length) + " its slot gives it: not taken");
        d.assembler = FreshAssembler(msg.hash, d);
        d.lacking.insert(peer->id());
        d.peer = kNoPeer;
        ReportIfNobodyHas(msg.hash, d);
        return;
      }
      if (!s.ok()) {
        Misbehaving(peer->id(), "bad-tensor-chunk: " + s.message());
        d.assembler = FreshAssembler(msg.hash, d);
        d.peer = kNoPeer;
        return;
      }
      if (!d.assembler.IsComplete()) {
        AskTensorChunk(msg.hash, d);
        return;
      }
      std::vector<uint8_t> bytes;
      s = d.assembler.Finish(
          [](ByteSpan b) { return Sha256::Tagged(tags::kTensor).Write(b).Finalize(); }, &bytes);
      if (s.ok()) s = Deserialize(bytes, &tensor);
      if (!s.ok()) {
        // Start over with another peer: this one served bytes that are not the tensor.
        Misbehaving(peer->id(), "bad-tensor: " + s.message());
        d.assembler = FreshAssembler(msg.hash, d);
        d.peer = kNoPeer;
        return;
      }
      step = d.step;
      tensors_.erase(it);
    }
    if (!chainman_->PutTensor(tensor, step).ok()) return;
    std::vector<std::pair<Block, PeerId>> ready;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto it = waiting_.begin(); it != waiting_.end();) {
        it->second.missing_tensors.erase(msg.hash);
        if (it->second.missing_tensors.empty() && chain_->HaveBlock(it->second.block.header.prev)) {
          ready.emplace_back(std::move(it->second.block), it->second.from);
          it = waiting_.erase(it);
        } else {
          ++it;
        }
      }
    }
    std::vector<WaitingRecord> records;
    std::vector<WaitingFraudProof> proofs;
    std::vector<WaitingSlash> slashes;
    {
      std::lock_guard<std::mutex> lock(mu_);
      records = TakeReady(waiting_records_, msg.hash);
      proofs = TakeReady(waiting_fraud_proofs_, msg.hash);
      slashes = TakeReady(waiting_slashes_, msg.hash);
    }
    // Parents first.
    std::sort(ready.begin(), ready.end(), [](const auto& a, const auto& b) {
      return a.first.header.height < b.first.header.height;
    });
    for (auto& [block, from] : ready) Connect(std::move(block), from);
    for (WaitingRecord& w : records) SubmitRecord(std::move(w.record), w.from);
    for (WaitingFraudProof& w : proofs) JudgeFraudProof(w.proof, w.from);
    for (WaitingSlash& w : slashes) SubmitTx(w.tx, w.from);
  }

  // Takes out of `waiting` (records, fraud proofs or slashing transactions,
  // each waiting for a non-empty set of tensors) those whose last missing
  // tensor `tensor` was. REQUIRES: mu_ held.
  template <typename Waiting>
  static std::vector<Waiting> TakeReady(std::map<Uint256, Waiting>& waiting,
                                        const Uint256& tensor) {
    std::vector<Waiting> ready;
    for (auto it = waiting.begin(); it != waiting.end();) {
      if (it->second.missing_tensors.erase(tensor) && it->second.missing_tensors.empty()) {
        ready.push_back(std::move(it->second));
        it = waiting.erase(it);
      } else {
        ++it;
      }
    }
    return ready;
  }

  void OnWorkRecord(const PeerRef& peer, WorkRecord record) {
    if (pool_ == nullptr) return;
    const Uint256 hash = record.Hash();
    {
      std::lock_guard<std::mutex> lock(mu_);
      PeerState& sender = peers_[peer->id()];
      if (!record_requests_.IsAskedOf(hash, peer->id()) && !AllowUnsolicited(peer->id(), sender))
        return;
      record_requests_.Received(hash);
      recent_records_.insert(hash);
      if (waiting_records_.contains(hash) || orphan_records_.contains(hash)) return;
    }
    // Before anything is fetched for it: one unsigned record naming a
    // million output ids made the node open a download for each and hand
    // them to every later peer, which the send queue then disconnected.
    std::vector<compute::TensorToFetch> outputs;
    if (ValidationState early; !pool_->CheckBeforeFetch(record, &early, &outputs)) {
      std::lock_guard<std::mutex> lock(mu_);
      RecordRefused(record, hash, peer->id(), early);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (waiting_records_.contains(hash) || orphan_records_.contains(hash)) return;
      WaitingRecord w;
      w.from = peer->id();
      w.since = Clock::now();
      std::erase_if(outputs, [&](const compute::TensorToFetch& t) {
        return chainman_->HaveTensor(t.hash);
      });
      if (!outputs.empty()) {
        if (waiting_records_.size() >= kMaxOrphanRecords) return;
        for (const compute::TensorToFetch& out : outputs) {
          w.missing_tensors.insert(out.hash);
          WantTensor(out, peer->id());
        }
        w.record = std::move(record);
        waiting_records_.emplace(hash, std::move(w));
        return;
      }
    }
    SubmitRecord(std::move(record), peer->id());
  }

  // Offers a record whose outputs are stored to the pool; on success relays
  // it and tries the orphans again. REQUIRES: mu_ not held.
  void SubmitRecord(WorkRecord record, PeerId from) {
    std::vector<WaitingRecord> queue;
    queue.push_back(WaitingRecord{std::move(record), from, {}});
    SubmitRecords(std::move(queue));
  }

  // A new tip may carry the records an orphan reads (the records reached us
  // in a block, not by relay: a peer whose pool the block emptied answers
  // the record's getdata with notfound): every orphan is tried again, as
  // after a record is accepted. Without this an orphan waited for the next
  // accepted record, which, when every worker waits for this node's unit,
  // only the next block brings (a 30 s stall seen on the devnet).
  // REQUIRES: mu_ not held.
  void RetryOrphanRecords() {
    if (pool_ == nullptr) return;
    std::vector<WaitingRecord> queue;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& [hash, orphan] : orphan_records_) queue.push_back(std::move(orphan));
      orphan_records_.clear();
    }
    SubmitRecords(std::move(queue));
  }

  // A record's faults are its worker's, not the relaying peer's (the pool
  // penalises a worker proven wrong): the refusal is logged, unless the
  // record is known already. But a bad signature, which an honest relayer
  // would have caught, marks `from`. REQUIRES: mu_ held.
  void RecordRefused(const WorkRecord& record, const Uint256& hash, PeerId from,
                     const ValidationState& state) {
    if (state.reason() == "bad-work-sig") {
      Misbehaving(from, "record " + hash.ToHex() + ": bad-work-sig");
    } else if (state.reason() != "work-already-known") {
      Log("Work record " + hash.ToHex() + " (" + compute::UnitName(record.unit) +
          ") from peer=" + std::to_string(from) + " refused: " + state.ToString());
    }
  }

  // SubmitRecord's loop over `queue`. REQUIRES: mu_ not held.
  void SubmitRecords(std::vector<WaitingRecord> queue) {
    while (!queue.empty()) {
      WaitingRecord w = std::move(queue.back());
      queue.pop_back();
      const Uint256 hash = w.record.Hash();
      ValidationState state;
      const bool accepted = pool_->Accept(w.record, UnixNow(), &state);
      std::lock_guard<std::mutex> lock(mu_);
      if (!accepted) {
        // Kept only if it may enter later: a record of a finished step would
        // be tried again on every record accepted, and fill the bound.
        if (pool_->MayEnterLater(w.record, state) && orphan_records_.size() < kMaxOrphanRecords) {
          orphan_records_.emplace(hash, std::move(w));
        } else {
          RecordRefused(w.record, hash, w.from, state);
        }
        continue;
      }
      for (auto& [id, peer_state] : peers_)
        if (id != w.from && peer_state.got_verack) peer_state.records_to_announce.push_back(hash);
      // Every orphan may be ready now; those still early come back.
      for (auto& [orphan_hash, orphan] : orphan_records_) queue.push_back(std::move(orphan));
      orphan_records_.clear();
    }
  }

  // --- fraud proofs (doc/protocol.md, "Fraud proofs") ---

  void OnFraudProof(const PeerRef& peer, const FraudProof& proof) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      PeerState& state = peers_[peer->id()];
      if (!state.fraud_bucket.Consume(Clock::now())) return;  // over its rate: ignored
      if (seen_fraud_proofs_.size() >= kMaxSeenFraudProofs) seen_fraud_proofs_.clear();
      if (!seen_fraud_proofs_.insert(proof.Id()).second) return;  // judged once
    }
    JudgeFraudProof(proof, peer->id());
  }

  // Has the chain manager judge `proof` from `from`: relays it on if it
  // holds, keeps it while its block or tensors are missing, and marks the
  // sender if the proof is wrong. REQUIRES: mu_ not held.
  void JudgeFraudProof(const FraudProof& proof, PeerId from) {
    ValidationState state;
    std::vector<compute::TensorToFetch> missing;
    const bool holds = chainman_->ProcessFraudProof(proof, &state, &missing);
    std::lock_guard<std::mutex> lock(mu_);
    const std::string what = "Fraud proof " + proof.Id().ToHex() + " for block " +
                             proof.header.Hash().ToHex() + " from peer=" + std::to_string(from);
    if (holds) {
      Log(what + ": the block is invalid (worker " + HexStr(proof.record.worker) + ", " +
          compute::UnitName(proof.record.unit) + "); relayed");
      RelayFraudProof(proof, from);
      return;
    }
    switch (state.result()) {
      case ValidationResult::kMissingInputs:
      case ValidationResult::kMissingPrev: {
        if (state.result() == ValidationResult::kMissingInputs && missing.empty()) return;
        if (waiting_fraud_proofs_.size() >= kMaxWaitingFraudProofs &&
            !waiting_fraud_proofs_.contains(proof.Id())) {
          // Not judged, so not "seen": the same proof sent again once a
          // place is free (or its block is here) is judged then.
          seen_fraud_proofs_.erase(proof.Id());
          Log(what + " dropped: " + std::to_string(kMaxWaitingFraudProofs) +
              " proofs wait already");
          return;
        }
        auto [entry, added] = waiting_fraud_proofs_.try_emplace(proof.Id());
        WaitingFraudProof& w = entry->second;
        if (added) w.since = Clock::now();
        w.proof = proof;
        w.from = from;
        for (const compute::TensorToFetch& tensor : missing) {
          w.missing_tensors.insert(tensor.hash);
          WantTensor(tensor, from);
        }
        Log(what + " waits: " + state.ToString());
        return;
      }
      case ValidationResult::kConsensus:
        Log(what + " is wrong: " + state.ToString());
        Misbehaving(from, "bad-fraud-proof: " + state.reason());
        return;
      default:  // known invalid already, or our own failure
        if (state.IsError()) Log(what + ": " + state.ToString());
        return;
    }
  }

  // Sends `proof` to every handshaken peer but `except`. REQUIRES: mu_ held.
  void RelayFraudProof(const FraudProof& proof, PeerId except) {
    seen_fraud_proofs_.insert(proof.Id());
    const FraudProofMsg msg{proof};
    for (const auto& [id, state] : peers_)
      if (id != except && state.got_verack) connman_->PushMessage(id, msg);
  }

  // Sends the proofs of the blocks our chain manager just refused.
  // REQUIRES: mu_ not held.
  void SendOwnFraudProofs() {
    const std::vector<FraudProof> proofs = chainman_->TakeFraudProofs();
    if (proofs.empty()) return;
    std::lock_guard<std::mutex> lock(mu_);
    for (const FraudProof& proof : proofs) {
      Log("Fraud proof " + proof.Id().ToHex() + ": block " + proof.header.Hash().ToHex() +
          " holds a wrong " + compute::UnitName(proof.record.unit) + " by worker " +
          HexStr(proof.record.worker) + "; sent to peers");
      RelayFraudProof(proof, kNoPeer);
    }
  }

  // Judges again the proofs that waited for block `hash`. REQUIRES: mu_ not held.
  void RetryFraudProofsFor(const Uint256& hash) {
    std::vector<WaitingFraudProof> ready;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto it = waiting_fraud_proofs_.begin(); it != waiting_fraud_proofs_.end();) {
        if (it->second.missing_tensors.empty() && it->second.proof.header.Hash() == hash) {
          ready.push_back(std::move(it->second));
          it = waiting_fraud_proofs_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (WaitingFraudProof& w : ready) JudgeFraudProof(w.proof, w.from);
  }

  // Queues a holder's announcement for a peer unless it has it already.
  static void QueueServe(PeerState& state, const ServeInfoMsg& info) {
    auto [known, fresh] = state.serve_known.try_emplace(info.onion_key, info.time);
    if (!fresh && known->second >= info.time) return;
    known->second = info.time;
    state.serve_to_relay.push_back(info);
  }

  // A holder's announcement, from the holder itself (`direct`: serveinfo) or
  // relayed (serverelay). Returns whether the inference handler gets it: a
  // direct one that verifies and is fresh. Relays it on when it is new.
  bool OnServeAnnouncement(const PeerRef& peer, const ServeInfoMsg& info, bool direct) {
    std::lock_guard<std::mutex> lock(mu_);
    PeerState& state = peers_[peer->id()];
    if (!direct && !state.serve_bucket.Consume(Clock::now())) {
      ++state.serve_rate_limited;
      return false;
    }
    if (!IsSignedServeInfo(info)) {
      Misbehaving(peer->id(),
                  std::string(direct ? msgtype::kServeInfo : msgtype::kServeRelay) +
                      ": bad-serve-sig");
      return false;
    }
    // Bounded: a peer naming ever new keys only makes us resend some.
    if (state.serve_known.size() >= 2 * kMaxServeAnnouncements) state.serve_known.clear();
    int64_t& known = state.serve_known[info.onion_key];
    known = std::max(known, info.time);
    if (serve_info_ && info.onion_key == serve_info_->onion_key) return false;  // ours, back
    const int64_t now = UnixNowMs();
    std::string reason;
    if (serve_announcements_.Add(info, now, &reason) == net::ServeAnnouncements::Outcome::kRelay) {
      for (auto& [id, other] : peers_)
        if (id != peer->id() && other.got_verack) QueueServe(other, info);
    }
    return direct && ServeTimeProblem(info, now).empty();
  }

  bool IsSignedRegistration(const RegWorkerMsg& msg) const {
    return VerifySchnorr(msg.key, PayoutSigningHash(genesis_hash_, msg.key, msg.payout),
                         msg.signature);
  }

  // Keeps `msg` for our blocks and queues it for every handshaken peer but
  // `except`. REQUIRES: mu_ held; msg is signed.
  void QueueRegistration(const RegWorkerMsg& msg, PeerId except) {
    registrations_[msg.key] = msg;
    for (auto& [id, state] : peers_)
      if (id != except && state.got_verack) state.registrations_to_send.push_back(msg);
  }

  void OnRegWorker(const PeerRef& peer, const RegWorkerMsg& msg) {
    if (params_.worker_bond != 0) return;  // registrations are bonds there
    std::lock_guard<std::mutex> lock(mu_);
    if (!IsSignedRegistration(msg)) {
      Misbehaving(peer->id(), "bad-regworker-sig");
      return;
    }
    if (registrations_.contains(msg.key)) return;
    if (registrations_.size() >= kMaxPendingRegistrations) {
      // Those a block has registered since are done with: before, they
      // stayed, and 256 requests filled the table for good.
      const ConsensusState tip = chainman_->Tip();
      std::erase_if(registrations_,
                    [&tip](const auto& entry) { return tip.FindWorker(entry.first) != nullptr; });
      if (registrations_.size() >= kMaxPendingRegistrations) return;
    }
    QueueRegistration(msg, peer->id());
  }

  void OnGetTensor(const PeerRef& peer, const GetTensorMsg& msg) {
    std::lock_guard<std::mutex> lock(mu_);
    if (served_tensor_.first != msg.hash || served_tensor_.second.empty()) {
      compute::EncodedTensor t;
      if (!chainman_->GetTensor(msg.hash, &t).ok()) {
        NotFoundMsg nf;
        nf.items.push_back(Inv{InvType::kTensor, msg.hash});
        connman_->PushMessage(peer->id(), nf);
        return;
      }
      served_tensor_ = {msg.hash, Serialize(t)};
    }
    const std::vector<uint8_t>& bytes = served_tensor_.second;
    if (msg.offset >= bytes.size()) {
      Misbehaving(peer->id(), "bad-tensor-offset");
      return;
    }
    TensorMsg reply;
    reply.hash = msg.hash;
    reply.total_size = bytes.size();
    reply.offset = msg.offset;
    const uint64_t end = std::min<uint64_t>(bytes.size(), msg.offset + msg.length);
    reply.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(msg.offset),
                      bytes.begin() + static_cast<std::ptrdiff_t>(end));
    connman_->PushMessage(peer->id(), reply);
  }

  void OnInv(const PeerRef& peer, const InvMsg& msg) {
    GetDataMsg want;
    bool new_block = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      PeerState& state = peers_[peer->id()];
      const Clock::time_point now = Clock::now();
      // An announcement we would fetch takes a token; over the rate it is ignored.
      auto take = [&] {
        const size_t outstanding =
            tx_requests_.AskedOf(peer->id()) + record_requests_.AskedOf(peer->id());
        if (outstanding < kMaxPeerTxAnnouncements && state.inv_bucket.Consume(now)) return true;
        ++state.inv_rate_limited;
        return false;
      };
      // Asked of this peer now if nobody is being asked; else it is one
      // more announcer to ask should that request fail (withholding).
      auto announce = [&](RequestTracker& tracker, const Inv& inv) {
        const bool preferred = !peer->inbound() || peer->manual();
        if (take() && tracker.Announce(inv.hash, peer->id(), preferred, now))
          want.items.push_back(inv);
      };
      for (const Inv& inv : msg.items) {
        switch (inv.type) {
          case InvType::kTx:
            if (!mempool_->Contains(inv.hash) && !orphanage_.Have(inv.hash) &&
                !recent_txs_.contains(inv.hash))
              announce(tx_requests_, inv);
            break;
          case InvType::kBlock:
            if (!chain_->HaveBlock(inv.hash)) new_block = true;
            break;
          case InvType::kWorkRecord:
            if (pool_ != nullptr && !pool_->Contains(inv.hash) &&
                !recent_records_.contains(inv.hash))
              announce(record_requests_, inv);
            break;
          case InvType::kTensor:
            break;
        }
      }
      if (recent_txs_.size() > kMaxRecentTxs) recent_txs_.clear();
      if (recent_records_.size() > kMaxRecentTxs) recent_records_.clear();
      if (new_block) SendGetHeaders(peer->id());
    }
    if (!want.items.empty()) connman_->PushMessage(peer->id(), want);
  }

  void OnGetData(const PeerRef& peer, const GetDataMsg& msg) {
    NotFoundMsg missing;
    for (const Inv& inv : msg.items) {
      if (peer->send_paused()) break;  // the rest is asked again, as Bitcoin Core does
      switch (inv.type) {
        case InvType::kTx: {
          MempoolEntryInfo entry;
          if (mempool_->GetEntry(inv.hash, &entry)) {
            connman_->PushMessage(peer->id(), TxMsg{entry.tx});
          } else {
            missing.items.push_back(inv);
          }
          break;
        }
        case InvType::kBlock: {
          BlockMsg reply;
          if (chain_->ReadBlock(inv.hash, &reply.block).ok()) {
            // -maxuploadtarget: old blocks go to the peers we chose only, and the
            // rest of the window is kept for new blocks (Bitcoin Core's
            // ProcessGetBlockData disconnects such a peer).
            const int64_t age = UnixNow() - reply.block.header.time;
            if (age > options_.historical_block_age.count() && !peer->is_protected() &&
                connman_->OutboundTargetReached(/*historical_block_serving_limit=*/true)) {
              Log("Historical block serving limit reached, disconnecting peer=" +
                  std::to_string(peer->id()));
              connman_->DisconnectPeer(peer->id(), "historical-block-serving-limit");
              return;
            }
            connman_->PushMessage(peer->id(), reply);
          } else {
            missing.items.push_back(inv);
          }
          break;
        }
        case InvType::kWorkRecord: {
          WorkRecordMsg reply;
          if (pool_ != nullptr && pool_->Get(inv.hash, &reply.record)) {
            connman_->PushMessage(peer->id(), reply);
          } else {
            missing.items.push_back(inv);
          }
          break;
        }
        case InvType::kTensor:
          missing.items.push_back(inv);
          break;
      }
    }
    if (!missing.items.empty()) connman_->PushMessage(peer->id(), missing);
  }

  void OnTx(const PeerRef& peer, const Transaction& tx) {
    const Uint256 txid = tx.Txid();
    {
      std::lock_guard<std::mutex> lock(mu_);
      PeerState& sender = peers_[peer->id()];
      if (!tx_requests_.IsAskedOf(txid, peer->id()) && !AllowUnsolicited(peer->id(), sender))
        return;
      tx_requests_.Received(txid);
      recent_txs_.insert(txid);
      if (orphanage_.Have(txid)) return;  // waiting for its parents already
    }
    peer->MarkTxReceived();
    SubmitTx(tx, peer->id());
  }

  // Offers `tx` from `from` to the mempool: relayed if accepted; kept as an
  // orphan while its parents are missing, or while its evidence's tensors
  // are (fetched from `from`); its sender marked if it is at fault.
  // REQUIRES: mu_ not held.
  void SubmitTx(const Transaction& tx, PeerId from) {
    const Uint256 txid = tx.Txid();
    ValidationState state;
    if (AcceptToMempool(*mempool_, *chain_, tx, /*test_only=*/false, &state)) {
      Relay(txid, from);
      if (options_.tx_added_to_mempool) options_.tx_added_to_mempool(tx);
      RetryOrphans({txid});
      return;
    }
    std::vector<compute::TensorToFetch> evidence_tensors;
    if (state.reason() == "work-tensor-missing") evidence_tensors = chainman_->TensorsToCheck(tx);
    std::lock_guard<std::mutex> lock(mu_);
    if (!evidence_tensors.empty()) return WaitForEvidence(tx, from, evidence_tensors);
    if (state.result() == ValidationResult::kMissingInputs) return AddOrphan(tx, from);
    if (IsSendersFault(state.result()))
      Misbehaving(from, "tx " + txid.ToHex() + ": " + state.reason());
  }

  // Keeps slashing transaction `tx` until `missing` (its evidence's tensors)
  // arrive, fetching them from `from`. REQUIRES: mu_ held.
  void WaitForEvidence(const Transaction& tx, PeerId from,
                       const std::vector<compute::TensorToFetch>& missing) {
    const Uint256 txid = tx.Txid();
    if (waiting_slashes_.size() >= kMaxWaitingSlashes && !waiting_slashes_.contains(txid)) return;
    WaitingSlash& w = waiting_slashes_[txid];
    w.tx = tx;
    w.from = from;
    for (const compute::TensorToFetch& tensor : missing) {
      w.missing_tensors.insert(tensor.hash);
      WantTensor(tensor, from);
    }
    Log("Slashing tx " + txid.ToHex() + " from peer=" + std::to_string(from) + " waits for " +
        std::to_string(w.missing_tensors.size()) + " evidence tensors");
  }

  // Keeps `tx`, whose inputs are unknown, and asks `from` for the parents we
  // lack. REQUIRES: mu_ held.
  void AddOrphan(const Transaction& tx, PeerId from) {
    const Uint256 txid = tx.Txid();
    if (!orphanage_.Add(tx, Serialize(tx).size(), from, Clock::now())) return;
    GetDataMsg want;
    for (const TxIn& in : tx.inputs) {
      const Uint256& parent = in.prevout.txid;
      if (mempool_->Contains(parent) || orphanage_.Have(parent)) continue;
      // As if `from` announced it: asked of it unless someone is being asked.
      if (tx_requests_.Announce(parent, from, /*preferred=*/false, Clock::now()))
        want.items.push_back(Inv{InvType::kTx, parent});
    }
    Log("Orphan tx " + txid.ToHex() + " from peer=" + std::to_string(from) + ", asking " +
        std::to_string(want.items.size()) + " parents (orphans: " +
        std::to_string(orphanage_.size()) + ")");
    if (!want.items.empty()) connman_->PushMessage(from, want);
  }

  // Offers the orphans spending outputs of `parents` (which just entered the
  // mempool or a block) to the mempool again, and theirs after each one
  // accepted. Each orphan leaves the pool when judged; one still missing an
  // input stays. REQUIRES: mu_ not held.
  void RetryOrphans(std::vector<Uint256> parents) {
    while (!parents.empty()) {
      const Uint256 parent = parents.back();
      parents.pop_back();
      std::vector<std::pair<Transaction, PeerId>> children;
      {
        std::lock_guard<std::mutex> lock(mu_);
        for (const Uint256& child : orphanage_.ChildrenOf(parent)) {
          Transaction tx;
          PeerId from = kNoPeer;
          if (orphanage_.Get(child, &tx, &from)) children.emplace_back(std::move(tx), from);
        }
      }
      for (const auto& [tx, from] : children) {
        const Uint256 txid = tx.Txid();
        ValidationState state;
        const bool accepted = AcceptToMempool(*mempool_, *chain_, tx, /*test_only=*/false, &state);
        {
          std::lock_guard<std::mutex> lock(mu_);
          if (!accepted && state.result() == ValidationResult::kMissingInputs) continue;
          orphanage_.Erase(txid);
          if (accepted) {
            Log("Orphan tx " + txid.ToHex() + " accepted after its parent " + parent.ToHex());
            RelayLocked(txid, from);
          } else if (IsSendersFault(state.result())) {
            Misbehaving(from, "tx " + txid.ToHex() + ": " + state.reason());
          }
        }
        if (accepted) {
          if (options_.tx_added_to_mempool) options_.tx_added_to_mempool(tx);
          parents.push_back(txid);
        }
      }
    }
  }

  void OnGetProof(const PeerRef& peer, const GetProofMsg& msg) {
    Block block;
    ProofMsg reply;
    reply.kind = msg.kind;
    reply.block_hash = msg.block_hash;
    if (msg.kind == ProofKind::kRegistry) {
      ConsensusState state;
      XOnlyPubKeyBytes key;
      std::copy(msg.id.begin(), msg.id.end(), key.begin());
      if (!chainman_->GetState(msg.block_hash, &state).ok() ||
          !state.RegistryProof(key, &reply.entry, &reply.proof).ok())
        return NotFoundProof(peer, msg);
      connman_->PushMessage(peer->id(), reply);
      return;
    }
    if (!chain_->ReadBlock(msg.block_hash, &block).ok()) return NotFoundProof(peer, msg);
    std::vector<Uint256> leaves;
    std::optional<size_t> index;
    if (msg.kind == ProofKind::kTx) {
      for (size_t i = 0; i < block.txs.size(); ++i) {
        leaves.push_back(block.txs[i].Wtxid());
        if (block.txs[i].Txid() == msg.id) index = i;
      }
      if (index) reply.tx = block.txs[*index];
    } else {
      for (size_t i = 0; i < block.records.size(); ++i) {
        leaves.push_back(block.records[i].Hash());
        if (leaves.back() == msg.id) index = i;
      }
      if (index) reply.record = block.records[*index];
    }
    if (!index || !MakeMerkleProof(leaves, *index, &reply.proof).ok())
      return NotFoundProof(peer, msg);
    connman_->PushMessage(peer->id(), reply);
  }

  void NotFoundProof(const PeerRef& peer, const GetProofMsg& msg) {
    NotFoundMsg nf;
    const InvType type = msg.kind == ProofKind::kTx       ? InvType::kTx
                         : msg.kind == ProofKind::kRecord ? InvType::kWorkRecord
                                                          : InvType::kBlock;  // the block's registry
    nf.items.push_back(Inv{type, msg.id});
    connman_->PushMessage(peer->id(), nf);
  }

  // Asks the next announcer for each transaction or record whose request
  // failed or timed out (an announcer that withholds only delays it).
  // REQUIRES: mu_ held.
  void ReassignRequests() {
    const Clock::time_point now = Clock::now();
    std::map<PeerId, GetDataMsg> asks;
    std::vector<Uint256> abandoned;
    for (const auto& [id, peer] : tx_requests_.Reassign(now, &abandoned))
      asks[peer].items.push_back(Inv{InvType::kTx, id});
    for (const auto& [id, peer] : record_requests_.Reassign(now, &abandoned))
      asks[peer].items.push_back(Inv{InvType::kWorkRecord, id});
    for (const auto& [peer, msg] : asks) {
      Log("Asking peer=" + std::to_string(peer) + " for " + std::to_string(msg.items.size()) +
          " transactions or records another announcer did not deliver");
      connman_->PushMessage(peer, msg);
    }
  }

  // Queues an inv of `txid` for every handshaken peer but `except`.
  void Relay(const Uint256& txid, PeerId except) {
    std::lock_guard<std::mutex> lock(mu_);
    RelayLocked(txid, except);
  }
  // REQUIRES: mu_ held.
  void RelayLocked(const Uint256& txid, PeerId except) {
    recent_txs_.insert(txid);
    for (auto& [id, state] : peers_)
      if (id != except && state.got_verack) state.txs_to_announce.push_back(txid);
  }
};

PeerManager::PeerManager(const ChainParams& params, ChainState* chain, ChainManager* chainman,
                         Mempool* mempool, BanMan* banman, AddrMan* addrman, Options options,
                         WorkPool* pool)
    : impl_(std::make_unique<Impl>(params, chain, chainman, mempool, banman, addrman,
                                   std::move(options), pool)) {}

PeerManager::~PeerManager() = default;

void PeerManager::SetConnMan(ConnMan* connman) { impl_->connman_ = connman; }

void PeerManager::RelayTransaction(const Uint256& txid) {
  std::lock_guard<std::mutex> lock(impl_->announce_mu_);
  impl_->new_txs_.push_back(txid);
}

void PeerManager::RelayWorkRecord(const Uint256& record_hash) {
  {
    std::lock_guard<std::mutex> lock(impl_->announce_mu_);
    impl_->new_records_.push_back(record_hash);
  }
  // The next worker waits for this record: announce it now, not at the
  // message loop's next turn (up to kMessageLoopInterval later).
  if (impl_->connman_ != nullptr) impl_->connman_->WakeMessageHandler();
}

bool PeerManager::RelayRegistration(const RegWorkerMsg& msg) {
  if (!impl_->IsSignedRegistration(msg)) return false;
  std::lock_guard<std::mutex> lock(impl_->mu_);
  impl_->QueueRegistration(msg, kNoPeer);
  return true;
}

std::vector<WorkerRegistration> PeerManager::PendingRegistrations(
    const ConsensusState& tip) const {
  std::lock_guard<std::mutex> lock(impl_->mu_);
  std::vector<WorkerRegistration> out;
  for (const auto& [key, msg] : impl_->registrations_)
    if (tip.FindWorker(key) == nullptr)
      out.push_back(WorkerRegistration{key, msg.payout, msg.signature});
  return out;
}

bool PeerManager::IsInitialBlockDownload() const {
  std::lock_guard<std::mutex> lock(impl_->mu_);
  return impl_->TipHeight() < impl_->best_header_height_;
}

uint32_t PeerManager::BestHeaderHeight() const {
  std::lock_guard<std::mutex> lock(impl_->mu_);
  return std::max(impl_->TipHeight(), impl_->best_header_height_);
}

std::vector<PeerSyncStats> PeerManager::GetSyncStats() const {
  std::lock_guard<std::mutex> lock(impl_->mu_);
  std::vector<PeerSyncStats> out;
  for (const auto& [id, state] : impl_->peers_) {
    PeerSyncStats s;
    s.id = id;
    s.synced_headers = state.has_best_header ? state.best_header_height : -1;
    s.synced_blocks = state.best_block_height;
    s.blocks_in_flight = state.blocks_in_flight.size();
    s.misbehaving = state.misbehaving;
    s.fee_filter = state.fee_filter;
    s.addr_processed = state.addr_processed;
    s.addr_rate_limited = state.addr_rate_limited;
    s.inv_rate_limited = state.inv_rate_limited;
    s.unsolicited_ignored = state.unsolicited_ignored;
    out.push_back(s);
  }
  return out;
}

OrphanStats PeerManager::GetOrphanStats() const {
  std::lock_guard<std::mutex> lock(impl_->mu_);
  return OrphanStats{impl_->orphanage_.size(), impl_->orphanage_.bytes()};
}

Amount PeerManager::MempoolMinFeeRate() const { return impl_->MempoolMinFeeRate(); }

void PeerManager::InitializePeer(const PeerRef& peer) {
  std::lock_guard<std::mutex> lock(impl_->mu_);
  impl_->peers_[peer->id()];
  if (!peer->inbound()) impl_->connman_->PushMessage(peer->id(), impl_->OurVersion(*peer));
}

void PeerManager::SetInferenceHandler(InferenceHandler* handler) { impl_->inference_ = handler; }

void PeerManager::SetServeInfo(const ServeInfoMsg& info) {
  std::vector<PeerId> ready;
  {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    impl_->serve_info_ = info;
    for (const auto& [id, state] : impl_->peers_)
      if (state.got_verack) ready.push_back(id);
  }
  for (PeerId id : ready) impl_->connman_->PushMessage(id, info);
}

std::vector<ServeInfoMsg> PeerManager::ServeAnnouncements() const {
  std::lock_guard<std::mutex> lock(impl_->mu_);
  return impl_->serve_announcements_.All(UnixNowMs());
}

bool PeerManager::SendInferStep(PeerId to, const InferStepMsg& step) {
  {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    auto it = impl_->peers_.find(to);
    if (it == impl_->peers_.end() || !it->second.got_verack) return false;
  }
  return impl_->connman_->PushMessage(to, step);
}

bool PeerManager::SendInferResult(PeerId to, const InferResultMsg& result) {
  return impl_->connman_->PushMessage(to, result);
}

bool PeerManager::SendOnionStep(PeerId to, const OnionStepMsg& step) {
  {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    auto it = impl_->peers_.find(to);
    if (it == impl_->peers_.end() || !it->second.got_verack) return false;
  }
  return impl_->connman_->PushMessage(to, step);
}

bool PeerManager::SendOnionReply(PeerId to, const OnionReplyMsg& reply) {
  return impl_->connman_->PushMessage(to, reply);
}

void PeerManager::FinalizePeer(const PeerRef& peer) {
  if (impl_->inference_ != nullptr) impl_->inference_->OnPeerGone(peer->id());
  std::lock_guard<std::mutex> lock(impl_->mu_);
  impl_->peers_.erase(peer->id());
  impl_->orphanage_.EraseForPeer(peer->id());
  impl_->tx_requests_.PeerGone(peer->id());
  impl_->record_requests_.PeerGone(peer->id());
  // Its tensor downloads go to whoever asks next (SendMessages).
  for (auto& [hash, d] : impl_->tensors_) {
    if (d.peer == peer->id()) {
      d.peer = kNoPeer;
      d.outstanding = false;
    }
  }
}

void PeerManager::ProcessMessage(const PeerRef& peer, const ReceivedMessage& msg) {
  Message decoded;
  const Status s = DecodeMessage(msg.command, msg.payload, &decoded);
  if (s.IsNotSupported()) return;  // a newer peer's message: ignored
  if (!s.ok()) {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    impl_->Misbehaving(peer->id(), msg.command + ": " + s.message());
    return;
  }
  if (auto* v = std::get_if<VersionMsg>(&decoded)) return impl_->OnVersion(peer, *v);
  if (std::holds_alternative<VerackMsg>(decoded)) return impl_->OnVerack(peer);
  {
    std::lock_guard<std::mutex> lock(impl_->mu_);
    auto it = impl_->peers_.find(peer->id());
    if (it == impl_->peers_.end() || !it->second.got_verack) return;  // before the handshake
  }
  std::visit(
      [&](auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, PingMsg>) {
          impl_->connman_->PushMessage(peer->id(), PongMsg{m.nonce});
        } else if constexpr (std::is_same_v<T, PongMsg>) {
          std::lock_guard<std::mutex> lock(impl_->mu_);
          PeerState& state = impl_->peers_[peer->id()];
          if (state.ping_nonce != 0 && m.nonce == state.ping_nonce) {
            peer->AddPingSample(std::chrono::duration_cast<std::chrono::microseconds>(
                Clock::now() - state.ping_sent));
            state.ping_nonce = 0;
          }
        } else if constexpr (std::is_same_v<T, GetAddrMsg>) {
          std::lock_guard<std::mutex> lock(impl_->mu_);
          PeerState& state = impl_->peers_[peer->id()];
          // Inbound only, once per connection: outbound peers learn nothing of
          // our connections from us (topology leaks).
          if (!peer->inbound() || state.answered_getaddr || impl_->addrman_ == nullptr) return;
          state.answered_getaddr = true;
          AddrMsg reply;
          reply.entries = impl_->addrman_->GetAddr(kMaxAddrToSend, 23);
          impl_->connman_->PushMessage(peer->id(), reply);
        } else if constexpr (std::is_same_v<T, AddrMsg>) {
          if (impl_->addrman_ == nullptr) return;
          std::vector<AddrEntry> kept;
          {
            std::lock_guard<std::mutex> lock(impl_->mu_);
            PeerState& state = impl_->peers_[peer->id()];
            const Clock::time_point now = Clock::now();
            for (const AddrEntry& entry : m.entries) {
              if (state.addr_bucket.Consume(now)) {
                kept.push_back(entry);
              } else {
                ++state.addr_rate_limited;
              }
            }
            state.addr_processed += kept.size();
          }
          if (!kept.empty()) impl_->addrman_->Add(kept, peer->addr(), UnixNow());
        } else if constexpr (std::is_same_v<T, InvMsg>) {
          impl_->OnInv(peer, m);
        } else if constexpr (std::is_same_v<T, GetDataMsg>) {
          impl_->OnGetData(peer, m);
        } else if constexpr (std::is_same_v<T, GetHeadersMsg>) {
          impl_->OnGetHeaders(peer, m);
        } else if constexpr (std::is_same_v<T, HeadersMsg>) {
          impl_->OnHeaders(peer, m);
        } else if constexpr (std::is_same_v<T, SendHeadersMsg>) {
          std::lock_guard<std::mutex> lock(impl_->mu_);
          impl_->peers_[peer->id()].prefers_headers = true;
        } else if constexpr (std::is_same_v<T, BlockMsg>) {
          impl_->OnBlock(peer, std::move(m.block));
        } else if constexpr (std::is_same_v<T, TxMsg>) {
          impl_->OnTx(peer, m.tx);
        } else if constexpr (std::is_same_v<T, GetProofMsg>) {
          impl_->OnGetProof(peer, m);
        } else if constexpr (std::is_same_v<T, GetTensorMsg>) {
          impl_->OnGetTensor(peer, m);
        } else if constexpr (std::is_same_v<T, TensorMsg>) {
          impl_->OnTensor(peer, m);
        } else if constexpr (std::is_same_v<T, NotFoundMsg>) {
          // A tensor the peer does not have: ask another (SendMessages).
          std::lock_guard<std::mutex> lock(impl_->mu_);
          for (const Inv& inv : m.items) {
            if (inv.type == InvType::kTx) impl_->tx_requests_.NotFound(inv.hash, peer->id());
            if (inv.type == InvType::kWorkRecord)
              impl_->record_requests_.NotFound(inv.hash, peer->id());
            if (inv.type != InvType::kTensor) continue;
            auto it = impl_->tensors_.find(inv.hash);
            if (it == impl_->tensors_.end() || it->second.peer != peer->id()) continue;
            it->second.lacking.insert(peer->id());
            it->second.peer = kNoPeer;
            it->second.outstanding = false;
            impl_->ReportIfNobodyHas(inv.hash, it->second);
          }
        } else if constexpr (std::is_same_v<T, WorkRecordMsg>) {
          impl_->OnWorkRecord(peer, std::move(m.record));
        } else if constexpr (std::is_same_v<T, RegWorkerMsg>) {
          impl_->OnRegWorker(peer, m);
        } else if constexpr (std::is_same_v<T, FraudProofMsg>) {
          impl_->OnFraudProof(peer, m.proof);
        } else if constexpr (std::is_same_v<T, InferStepMsg>) {
          if (impl_->inference_ != nullptr) return impl_->inference_->OnInferStep(peer->id(), m);
          InferResultMsg reply;
          reply.request_id = m.request_id;
          reply.code = InferCode::kRefused;
          reply.reason = "not-serving";
          impl_->connman_->PushMessage(peer->id(), reply);
        } else if constexpr (std::is_same_v<T, ServeInfoMsg>) {
          if (impl_->OnServeAnnouncement(peer, m, /*direct=*/true) && impl_->inference_ != nullptr)
            impl_->inference_->OnServeInfo(peer->id(), m);
        } else if constexpr (std::is_same_v<T, ServeRelayMsg>) {
          (void)impl_->OnServeAnnouncement(peer, m.info, /*direct=*/false);
        } else if constexpr (std::is_same_v<T, InferResultMsg>) {
          if (impl_->inference_ != nullptr) impl_->inference_->OnInferResult(peer->id(), m);
        } else if constexpr (std::is_same_v<T, OnionStepMsg>) {
          if (impl_->inference_ != nullptr) return impl_->inference_->OnOnionStep(peer->id(), m);
          OnionReplyMsg reply;
          reply.request_id = m.request_id;
          reply.code = OnionReplyCode::kRefused;
          reply.reason = "not-serving";
          impl_->connman_->PushMessage(peer->id(), reply);
        } else if constexpr (std::is_same_v<T, OnionReplyMsg>) {
          if (impl_->inference_ != nullptr) impl_->inference_->OnOnionReply(peer->id(), m);
        } else if constexpr (std::is_same_v<T, FeeFilterMsg>) {
          std::lock_guard<std::mutex> lock(impl_->mu_);
          impl_->peers_[peer->id()].fee_filter = m.fee_rate;
        } else {
          // proof: answers light clients' getproof; a full node never asks.
        }
      },
      decoded);
}

void PeerManager::SendMessages(const PeerRef& peer) {
  Impl& m = *impl_;
  std::vector<Uint256> tips, txs, records;
  std::vector<Block> connected;
  {
    std::lock_guard<std::mutex> lock(m.announce_mu_);
    tips.swap(m.new_tips_);
    txs.swap(m.new_txs_);
    records.swap(m.new_records_);
    connected.swap(m.connected_blocks_);
  }
  m.OrphansAfterBlocks(connected);
  if (!tips.empty()) m.RetryOrphanRecords();
  if (!txs.empty()) m.RetryOrphans(txs);  // our own (sendrawtransaction) may be parents too
  const Amount min_fee_rate = m.MempoolMinFeeRate();
  std::lock_guard<std::mutex> lock(m.mu_);
  m.ReassignRequests();
  for (auto& [id, state] : m.peers_) {
    if (!state.got_verack) continue;
    state.blocks_to_announce.insert(state.blocks_to_announce.end(), tips.begin(), tips.end());
    state.txs_to_announce.insert(state.txs_to_announce.end(), txs.begin(), txs.end());
    state.records_to_announce.insert(state.records_to_announce.end(), records.begin(),
                                     records.end());
  }
  auto it = m.peers_.find(peer->id());
  if (it == m.peers_.end()) return;
  PeerState& state = it->second;

  if (state.misbehaving) {
    if (peer->manual()) {
      state.misbehaving = false;  // a peer we chose is kept (Bitcoin Core's NoBan/manual)
    } else {
      if (m.banman_ != nullptr) m.banman_->Discourage(peer->addr());
      m.connman_->DisconnectPeer(peer->id(), "misbehaving: " + state.misbehaving_reason);
      return;
    }
  }
  if (!state.got_verack) return;
  const Clock::time_point now = Clock::now();
  m.ExpireWaitingBlocks(now);

  if (state.ping_nonce == 0 && now >= state.next_ping) {
    state.ping_nonce = m.rng_() | 1;
    state.ping_sent = now;
    state.next_ping = now + kPingInterval;
    m.connman_->PushMessage(peer->id(), PingMsg{state.ping_nonce});
  }

  if (!state.blocks_to_announce.empty()) {
    HeadersMsg headers;
    for (const Uint256& h : state.blocks_to_announce) {
      BlockHeader header;
      if (m.chain_->ReadHeader(h, &header).ok()) headers.headers.push_back(header);
      if (headers.headers.size() >= kMaxHeadersResults) break;
    }
    // Headers must form one chain (the receiver punishes gaps); tips of a
    // reorganisation do not, so then only the newest goes, by inv.
    bool continuous = !headers.headers.empty();
    for (size_t i = 1; continuous && i < headers.headers.size(); ++i)
      continuous = headers.headers[i].prev == headers.headers[i - 1].Hash();
    if (state.prefers_headers && continuous) {
      m.connman_->PushMessage(peer->id(), headers);
    } else if (!continuous) {
      InvMsg inv;
      inv.items.push_back(Inv{InvType::kBlock, state.blocks_to_announce.back()});
      m.connman_->PushMessage(peer->id(), inv);
    } else {
      InvMsg inv;
      for (const Uint256& h : state.blocks_to_announce)
        inv.items.push_back(Inv{InvType::kBlock, h});
      m.connman_->PushMessage(peer->id(), inv);
    }
    state.blocks_to_announce.clear();
  }
  // BIP133: tell the peer our floor, then again when it is due or moved a lot.
  const bool moved = state.fee_filter_sent >= 0 &&
                     (min_fee_rate * 4 < state.fee_filter_sent * 3 ||
                      min_fee_rate * 3 > state.fee_filter_sent * 4);
  if (state.relay_txs && now >= state.next_fee_filter) {  // a peer taking no txs needs none
    if (min_fee_rate != state.fee_filter_sent) {
      m.connman_->PushMessage(peer->id(), FeeFilterMsg{min_fee_rate});
      state.fee_filter_sent = min_fee_rate;
    }
    state.next_fee_filter = now + kFeeFilterInterval;
  } else if (moved && state.next_fee_filter > now + kFeeFilterChangeDelay) {
    state.next_fee_filter = now + kFeeFilterChangeDelay;  // soon, not at once: no flapping
  }
  if (!state.txs_to_announce.empty()) {
    InvMsg inv;
    for (const Uint256& h : state.txs_to_announce) {
      if (inv.items.size() >= kMaxInvSize || !state.relay_txs) break;
      // BIP133: nothing below the peer's filter (it would refuse it anyway),
      // except a slashing transaction, which pays no fee and every mempool
      // takes (chain/mempool.h).
      MempoolEntryInfo entry;
      if (!m.mempool_->GetEntry(h, &entry)) continue;  // gone since (mined, replaced)
      if (!entry.tx.IsSlash() && entry.fee < FeeAtRate(state.fee_filter, entry.size)) continue;
      inv.items.push_back(Inv{InvType::kTx, h});
    }
    if (!inv.items.empty()) m.connman_->PushMessage(peer->id(), inv);
    state.txs_to_announce.clear();
  }
  if (!state.records_to_announce.empty()) {
    InvMsg inv;
    for (const Uint256& h : state.records_to_announce) {
      if (inv.items.size() >= kMaxInvSize) break;
      inv.items.push_back(Inv{InvType::kWorkRecord, h});
    }
    m.connman_->PushMessage(peer->id(), inv);
    state.records_to_announce.clear();
  }
  for (const RegWorkerMsg& reg : state.registrations_to_send)
    m.connman_->PushMessage(peer->id(), reg);
  state.registrations_to_send.clear();
  for (ServeInfoMsg& info : state.serve_to_relay)
    m.connman_->PushMessage(peer->id(), ServeRelayMsg{std::move(info)});
  state.serve_to_relay.clear();

  // Stalled block requests are dropped so that they are asked again.
  for (auto b = state.blocks_in_flight.begin(); b != state.blocks_in_flight.end();) {
    b = now - b->second > kBlockStallTimeout ? state.blocks_in_flight.erase(b) : std::next(b);
  }
  m.RequestBlocks(peer->id(), state);

  // Tensor downloads nobody serves, or that stalled, go to this peer.
  for (auto& [hash, d] : m.tensors_) {
    const bool stalled = d.outstanding && now - d.asked > kBlockStallTimeout;
    if ((d.peer == kNoPeer || stalled) && !d.lacking.contains(peer->id())) {
      // From zero: bytes from the peer before (a lying total size, a wrong
      // byte) would otherwise be finished by this one and blamed on it, or
      // make us ask it for offsets beyond its tensor.
      if (d.peer != peer->id()) d.assembler = Impl::FreshAssembler(hash, d);
      d.peer = peer->id();
      m.AskTensorChunk(hash, d);
    }
  }
}

void PeerManager::BlockConnected(const Block& block, uint32_t) {
  std::lock_guard<std::mutex> lock(impl_->announce_mu_);
  impl_->new_tips_.push_back(block.Hash());
  if (block.txs.size() > 1) {  // a coinbase alone spends nothing and parents nothing orphaned
    Block txs_only;
    txs_only.header = block.header;
    txs_only.txs = block.txs;
    impl_->connected_blocks_.push_back(std::move(txs_only));
  }
}

void PeerManager::BlockDisconnected(const Block&, uint32_t) {}

}  // namespace cc::net
