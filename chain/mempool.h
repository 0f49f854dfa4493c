// Mempool: valid transactions waiting for a block.
//
// Entry checks (AcceptTransaction), cheapest first; reject reasons:
//   (CheckTransaction's, kConsensus)       context-free rules, tx_check.h
//   coinbase                          kConsensus     a coinbase is only valid in a block
//   bad-txns-payout-sig               kConsensus     a bond's payout not signed by its
//                                                    worker key for this network
//                                                    (options.genesis_hash)
//   version                           kPolicy        version outside 1..kSlashTxVersion
//   (Bitcoin Core's standardness: consensus takes any version and, outside
//   the coinbase, any lock_height; relay takes only versions the rules give
//   a meaning, so that a later version can give the others one without
//   splitting nodes, and a lock_height no later than the spend height, which
//   a refund's timeout height is, chain/channel.h)
//   txn-already-in-mempool            kConflict      same txid already accepted
//   bad-txns-inputs-missingorspent    kMissingInputs an input is neither an unspent
//                                                    coin of the view nor an output
//                                                    of a mempool transaction
//   bad-txns-premature-spend-of-coinbase kPolicy     coinbase younger than
//                                                    kCoinbaseMaturity (valid later)
//   bad-txns-unbonding-premature      kPremature     a kUnbonding output before its
//                                                    delay (options.unbonding_delay;
//                                                    valid later)
//   bad-txns-inputvalues-outofrange   kConsensus     spent values leave MoneyRange
//   bad-txns-in-belowout              kConsensus     outputs exceed inputs
//   non-final                         kPremature     lock_height above the height
//                                                    it would confirm at (valid later)
//   slash-unchecked                   kPolicy        a slashing transaction and no
//                                                    evidence checker (options)
//   (the evidence checker's reasons)                 a slashing transaction's evidence
//                                                    (checked before mu_ is taken)
//   min-relay-fee-not-met             kPolicy        fee < min_relay_fee_per_kb * size / 1000
//                                                    (not for slashing transactions,
//                                                    which need no fee: each valid
//                                                    piece of evidence forfeits bonds
//                                                    once, so they cannot flood)
//   (replacement rules, kConflict)     when tx spends an outpoint that mempool
//                                      transactions spend (below)
//   (CheckInputSignatures', kConsensus) wrong key or bad signature, tx_check.h
//   mempool-full                      kPolicy        the byte cap evicted the
//                                                    transaction itself
// A read error of the view is Error("coins-view-error").
//
// Replacement (full replace-by-fee: there is no opt-in signal, every
// unconfirmed transaction may be replaced). A transaction that spends an
// outpoint some entries already spend (its direct conflicts) replaces them
// and all their descendants (the evicted set) if it passes BIP125's rules,
// checked in this order, each refusal kConflict:
//   bad-txns-spends-conflicting-tx  it spends an output of an evicted entry
//   too many potential replacements the evicted set has more than
//                                   kMaxReplacementEvictions entries
//   replacement-adds-unconfirmed    it spends an output of an entry that is
//                                   not already a parent of a direct conflict
//   insufficient fee                its fee rate is not above every direct
//                                   conflict's (BIP125 rule 6); its fee is
//                                   below the evicted set's total fee (rule 3);
//                                   or the fee beyond that total does not pay
//                                   incremental_relay_fee_per_kb for its own
//                                   size (rule 4)
// Bounding the evicted set bounds the work one replacement can make us do;
// rules 3 and 4 make every replacement pay for the bandwidth of the
// transactions it throws away and for its own, so relaying replacements
// cannot be used to flood the network for free.
//
// Unconfirmed chains are allowed: an input may spend an output of another
// mempool transaction (its in-mempool parent). This is what lets a payment
// be spent again before a block confirms it, and it means every removal of
// a transaction for a reason other than confirmation also removes its
// descendants.
//
// Each entry records when it arrived (the system clock, for RPC only: no
// rule depends on it) and the chain height then.
//
// Size is the transaction's serialized size (signatures included); fee rate
// is fee / size. Block assembly (SelectForBlock) takes the best fee rate
// first among transactions whose in-mempool parents are already chosen, so
// its output is always in a valid order. It does not do child-pays-for-
// parent: a high-fee child does not lift a low-fee parent. When the sum of
// sizes exceeds max_bytes, the lowest-fee-rate entry and its descendants are
// evicted until it fits.
//
// Keeping in step with the chain (the caller holds its chain lock):
//   after ConnectTip(block):        RemoveForBlock(block)
//   after a reorg (DisconnectTip... then ConnectTip... of the new branch, with
//   RemoveForBlock for each new block): UpdateForReorg(disconnected blocks,
//   oldest first, view at the new tip, new tip height + 1)
//
// Thread safety: every method may be called from any thread; mu_ guards all
// state. The CoinsView passed in is read while mu_ is held, so it must not
// call back into the mempool, and the caller must keep it from changing
// during the call (e.g. by holding its chain lock).

#ifndef COMPUTECOIN_CHAIN_MEMPOOL_H
#define COMPUTECOIN_CHAIN_MEMPOOL_H

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "chain/amount.h"
#include "chain/block.h"
#include "chain/coins.h"
#include "chain/transaction.h"
#include "chain/uint256.h"
#include "chain/validation.h"

namespace cc {

/// Default minimum fee rate for relay and entry: base units per 1000 bytes.
inline constexpr Amount kDefaultMinRelayFeePerKb = 1000;
/// Default cap on the mempool's total transaction bytes.
inline constexpr size_t kDefaultMempoolMaxBytes = 64 << 20;
/// Default fee rate a replacement pays for its own bytes beyond the fees of
/// what it evicts (Bitcoin Core's -incrementalrelayfee), units per 1000 bytes.
inline constexpr Amount kDefaultIncrementalRelayFeePerKb = 1000;
/// Most entries one replacement may evict (BIP125 rule 5).
inline constexpr size_t kMaxReplacementEvictions = 100;

/// Judges a slashing transaction's evidence against the chain (consensus:
/// the node's ChainManager::CheckSlash). Returns true, or false with *state set.
using EvidenceChecker = std::function<bool(const Transaction& tx, ValidationState* state)>;

struct MempoolOptions {
  size_t max_bytes = kDefaultMempoolMaxBytes;
  /// The network's unbonding delay (CheckTxInputs).
  uint32_t unbonding_delay = 0;
  /// The network's genesis block id (CheckPayoutSignatures).
  Uint256 genesis_hash;
  /// Without one, slashing transactions are refused ("slash-unchecked");
  /// called without the mempool's lock held, so it may take the chain's.
  EvidenceChecker check_evidence;
  Amount min_relay_fee_per_kb = kDefaultMinRelayFeePerKb;
  Amount incremental_relay_fee_per_kb = kDefaultIncrementalRelayFeePerKb;
};

/// One transaction as the mempool holds it.
struct MempoolEntryInfo {
  Transaction tx;
  Uint256 txid;
  Amount fee = 0;       //!< inputs minus outputs
  size_t size = 0;      //!< serialized bytes
  int64_t time = 0;     //!< when it entered, seconds since the Unix epoch
  uint32_t height = 0;  //!< the chain's height when it entered (spend_height - 1)
};

/// An entry and its place among the others (getmempoolentry, getrawmempool).
/// Ancestor and descendant sums include the entry itself, as Bitcoin Core's.
struct MempoolEntryDetail {
  MempoolEntryInfo info;
  std::vector<Uint256> depends;   //!< in-mempool parents, sorted
  std::vector<Uint256> spent_by;  //!< in-mempool children, sorted
  size_t ancestor_count = 0;
  size_t ancestor_size = 0;
  Amount ancestor_fees = 0;
  size_t descendant_count = 0;
  size_t descendant_size = 0;
  Amount descendant_fees = 0;
};

class Mempool {
 public:
  explicit Mempool(const MempoolOptions& options = {});

  Mempool(const Mempool&) = delete;
  Mempool& operator=(const Mempool&) = delete;

  /** Runs every entry check (file comment) and, if they pass, removes the
   *  entries tx replaces, adds `tx`, then evicts down to the byte cap.
   *
   *  Returns: true if tx is in the mempool afterwards; false with *state
   *           Invalid(...) or Error(...) and the mempool unchanged (except
   *           for "mempool-full", where the replaced entries are gone and the
   *           eviction that pushed tx out may also have removed other
   *           low-fee-rate entries).
   *  Out:     state: REQUIRES: not null.
   *  In:      tx.
   *           view:         the UTXO set at the tip.
   *           spend_height: height of the next block (tip height + 1), for
   *                         coinbase maturity.
   */
  [[nodiscard]] bool AcceptTransaction(const Transaction& tx, const CoinsView& view,
                                       uint32_t spend_height, ValidationState* state);

  /** Chooses transactions for a block: best fee rate first, each after its
   *  in-mempool parents, skipping any that would exceed `max_bytes` (and
   *  with them their descendants).
   *
   *  Returns: the chosen entries in an order a block may carry them.
   *  In:      max_bytes: room left in the block for transactions.
   */
  std::vector<MempoolEntryInfo> SelectForBlock(size_t max_bytes) const;

  /// Runs AcceptTransaction's checks without adding `tx` (testmempoolaccept).
  /// Sets *fee on success. The byte cap is not checked ("mempool-full" is
  /// only known by adding).
  [[nodiscard]] bool TestAcceptTransaction(const Transaction& tx, const CoinsView& view,
                                           uint32_t spend_height, Amount* fee,
                                           ValidationState* state) const;

  /// Removes the transactions `block` confirmed (their descendants stay: they
  /// now spend confirmed coins) and every transaction that conflicts with
  /// the block, with its descendants.
  void RemoveForBlock(const Block& block);

  /** After a reorg, offers the disconnected blocks' transactions to the
   *  mempool again and removes entries the new chain made unspendable.
   *
   *  Each non-coinbase transaction goes through AcceptTransaction; those
   *  that fail (confirmed again, or in conflict with the new chain) are
   *  dropped. Then every entry whose input is neither in `view` (mature at
   *  `spend_height`, and past its unbonding delay) nor an output of another
   *  entry is removed with its descendants.
   *  In:      disconnected: the disconnected blocks, oldest first.
   *           view:         the UTXO set at the new tip.
   *           spend_height: new tip height + 1.
   *  Returns: the number of transactions re-added.
   */
  size_t UpdateForReorg(const std::vector<Block>& disconnected, const CoinsView& view,
                        uint32_t spend_height);

  [[nodiscard]] bool Contains(const Uint256& txid) const;
  /// True if an entry spends `outpoint`.
  [[nodiscard]] bool IsSpent(const OutPoint& outpoint) const;
  /// Copies the entry for `txid` into *info; returns false if absent.
  [[nodiscard]] bool GetEntry(const Uint256& txid, MempoolEntryInfo* info) const;
  /// Copies the entry for `txid` with its relatives into *detail; returns
  /// false if absent. Costs a walk over its ancestors and descendants.
  [[nodiscard]] bool GetEntryDetail(const Uint256& txid, MempoolEntryDetail* detail) const;
  /// Every entry with its relatives, in arrival order, as one snapshot.
  std::vector<MempoolEntryDetail> Details() const;
  /// The fee and size of every entry, in no particular order (fee estimation).
  std::vector<std::pair<Amount, size_t>> FeesAndSizes() const;
  /// The txids of all entries, in no particular order.
  std::vector<Uint256> Txids() const;
  size_t size() const;
  /// Sum of the entries' sizes.
  size_t bytes() const;
  /// Sum of the entries' fees.
  Amount total_fee() const;
  /// An estimate of the heap memory the entries and indexes take (entry
  /// structs, transaction vectors, index nodes); the cap is on bytes(), not
  /// on this.
  size_t DynamicMemoryUsage() const;
  const MempoolOptions& options() const { return options_; }

 private:
  struct Entry {
    MempoolEntryInfo info;
    uint64_t sequence = 0;       //!< arrival order: the fee-rate tie-break
    std::set<Uint256> parents;   //!< in-mempool transactions it spends from
    std::set<Uint256> children;  //!< in-mempool transactions spending from it
  };
  /// Orders entries by fee rate, lowest first; ties: later arrival first,
  /// so eviction takes the newest of equals.
  struct FeeRateKey {
    Amount fee;
    size_t size;
    uint64_t sequence;
    Uint256 txid;
    bool operator<(const FeeRateKey& other) const;
  };

  using Entries = std::unordered_map<Uint256, Entry, Uint256Hasher>;
  class MempoolCoins;

  // evidence_checked: a slashing transaction's evidence passed
  // options_.check_evidence; without it such a transaction is refused (a
  // reorganisation's re-adds: the reporter's node makes its own again).
  bool AcceptLocked(const Transaction& tx, const CoinsView& view, uint32_t spend_height,
                    bool evidence_checked, ValidationState* state);  // REQUIRES: mu_ held.
  // The checks of AcceptLocked; on success fills *entry and *evicted (the
  // entries tx replaces, with their descendants). REQUIRES: mu_ held.
  bool CheckLocked(const Transaction& tx, const CoinsView& view, uint32_t spend_height,
                   bool evidence_checked, Entry* entry, std::set<Uint256>* evicted,
                   ValidationState* state) const;
  // Runs options_.check_evidence on a slashing transaction (true for others).
  // REQUIRES: mu_ not held.
  bool CheckEvidence(const Transaction& tx, ValidationState* state) const;
  // The replacement rules (file comment) for tx, which directly conflicts
  // with `conflicts`; on success fills *evicted. REQUIRES: mu_ held.
  bool CheckReplacementLocked(const Uint256& txid, const std::set<Uint256>& parents, Amount fee,
                              size_t size, const std::set<Uint256>& conflicts,
                              std::set<Uint256>* evicted, ValidationState* state) const;
  void AddLocked(Entry entry);             // REQUIRES: mu_ held.
  void RemoveLocked(const Uint256& txid);  // REQUIRES: mu_ held.
  /// Removes `txid` and all its descendants. REQUIRES: mu_ held.
  void RemoveWithDescendantsLocked(const Uint256& txid);
  /// Evicts lowest fee rate first until bytes_ <= max_bytes. REQUIRES: mu_ held.
  void TrimLocked();
  /// `txid`'s entry with its relatives. REQUIRES: mu_ held; txid present.
  MempoolEntryDetail DetailLocked(const Uint256& txid) const;
  /// `txid` and everything reachable through `next` (Entry::parents or
  /// Entry::children). REQUIRES: mu_ held; txid present.
  std::set<Uint256> ClosureLocked(const Uint256& txid, std::set<Uint256> Entry::*next) const;
  static FeeRateKey KeyOf(const Entry& entry);

  const MempoolOptions options_;

  mutable std::mutex mu_;
  Entries entries_;                       // GUARDED_BY(mu_)
  std::map<OutPoint, Uint256> spenders_;  // GUARDED_BY(mu_): outpoint -> mempool tx spending it
  std::set<FeeRateKey> by_fee_rate_;      // GUARDED_BY(mu_): one key per entry
  size_t bytes_ = 0;                      // GUARDED_BY(mu_)
  Amount total_fee_ = 0;                  // GUARDED_BY(mu_)
  uint64_t next_sequence_ = 0;            // GUARDED_BY(mu_)
};

}  // namespace cc

#endif  // COMPUTECOIN_CHAIN_MEMPOOL_H
