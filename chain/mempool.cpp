#include "chain/mempool.h"

#include <algorithm>
#include <chrono>
#include <queue>
#include <string>
#include <utility>

#include "chain/serialize.h"
#include "chain/tx_check.h"

namespace cc {
namespace {

// fee * size products reach 2^57 * 2^20; 128 bits compare them exactly.
__extension__ typedef __int128 Int128;

// fee / size in units per 1000 bytes, truncated; for messages only.
int64_t FeePerKb(Amount fee, size_t size) {
  return static_cast<int64_t>(static_cast<Int128>(fee) * 1000 / static_cast<Int128>(size));
}

}  // namespace

// The UTXO set with the mempool's outputs on top, for CheckTxInputs.
class Mempool::MempoolCoins final : public CoinsView {
 public:
  MempoolCoins(const CoinsView& base, const Entries& entries, uint32_t height)
      : base_(base), entries_(entries), height_(height) {}

  Status GetCoin(const OutPoint& outpoint, Coin* coin) const override {
    auto it = entries_.find(outpoint.txid);
    if (it == entries_.end()) return base_.GetCoin(outpoint, coin);
    const std::vector<TxOut>& outputs = it->second.info.tx.outputs;
    if (outpoint.index >= outputs.size() || !EntersUtxoSet(outputs[outpoint.index]))
      return Status::NotFound("no such output");
    *coin = Coin{outputs[outpoint.index], height_, /*coinbase=*/false};
    return Status::OK();
  }

 private:
  const CoinsView& base_;
  const Entries& entries_;
  const uint32_t height_;
};

bool Mempool::FeeRateKey::operator<(const FeeRateKey& other) const {
  const Int128 lhs = static_cast<Int128>(fee) * static_cast<Int128>(other.size);
  const Int128 rhs = static_cast<Int128>(other.fee) * static_cast<Int128>(size);
  if (lhs != rhs) return lhs < rhs;
  return sequence > other.sequence;
}

Mempool::FeeRateKey Mempool::KeyOf(const Entry& entry) {
  return FeeRateKey{entry.info.fee, entry.info.size, entry.sequence, entry.info.txid};
}

Mempool::Mempool(const MempoolOptions& options) : options_(options) {}

bool Mempool::CheckEvidence(const Transaction& tx, ValidationState* state) const {
  if (!tx.IsSlash()) return true;
  if (!options_.check_evidence) return state->Invalid(ValidationResult::kPolicy, "slash-unchecked");
  // Context-free rules first, so the checker sees only well-formed evidence.
  return CheckTransaction(tx, state) && options_.check_evidence(tx, state);
}

bool Mempool::AcceptTransaction(const Transaction& tx, const CoinsView& view,
                                uint32_t spend_height, ValidationState* state) {
  if (!CheckEvidence(tx, state)) return false;
  std::lock_guard<std::mutex> lock(mu_);
  return AcceptLocked(tx, view, spend_height, /*evidence_checked=*/true, state);
}

bool Mempool::TestAcceptTransaction(const Transaction& tx, const CoinsView& view,
                                    uint32_t spend_height, Amount* fee,
                                    ValidationState* state) const {
  if (!CheckEvidence(tx, state)) return false;
  std::lock_guard<std::mutex> lock(mu_);
  Entry entry;
  std::set<Uint256> evicted;
  if (!CheckLocked(tx, view, spend_height, /*evidence_checked=*/true, &entry, &evicted, state))
    return false;
  *fee = entry.info.fee;
  return true;
}

bool Mempool::AcceptLocked(const Transaction& tx, const CoinsView& view, uint32_t spend_height,
                           bool evidence_checked, ValidationState* state) {
  Entry entry;
  std::set<Uint256> evicted;
  if (!CheckLocked(tx, view, spend_height, evidence_checked, &entry, &evicted, state))
    return false;
  // The evicted set is closed under descendants, so removing its members
  // one by one leaves no entry with a missing parent.
  for (const Uint256& id : evicted) RemoveLocked(id);
  const Uint256 txid = entry.info.txid;
  entry.sequence = next_sequence_++;
  AddLocked(std::move(entry));
  TrimLocked();
  if (!entries_.contains(txid)) {
    return state->Invalid(ValidationResult::kPolicy, "mempool-full");
  }
  return true;
}

bool Mempool::CheckLocked(const Transaction& tx, const CoinsView& view, uint32_t spend_height,
                          bool evidence_checked, Entry* entry, std::set<Uint256>* evicted,
                          ValidationState* state) const {
  if (!CheckTransaction(tx, state)) return false;
  if (tx.IsCoinbase()) return state->Invalid(ValidationResult::kConsensus, "coinbase");
  if (!CheckPayoutSignatures(tx, options_.genesis_hash, state)) return false;
  if (tx.version < 1 || tx.version > kSlashTxVersion)
    return state->Invalid(ValidationResult::kPolicy, "version", std::to_string(tx.version));

  if (tx.IsSlash() && !evidence_checked)
    return state->Invalid(ValidationResult::kPolicy, "slash-unchecked");
  const Uint256 txid = tx.Txid();
  if (entries_.contains(txid)) {
    return state->Invalid(ValidationResult::kConflict, "txn-already-in-mempool");
  }
  std::set<Uint256> conflicts;
  for (const TxIn& in : tx.inputs) {
    if (auto it = spenders_.find(in.prevout); it != spenders_.end()) conflicts.insert(it->second);
  }

  // Unconfirmed parents' outputs count as coins at the spend height (their
  // transactions are not coinbases, so they are mature).
  std::set<Uint256> parents;
  for (const TxIn& in : tx.inputs)
    if (entries_.contains(in.prevout.txid)) parents.insert(in.prevout.txid);
  const MempoolCoins coins(view, entries_, spend_height);
  std::vector<TxOut> spent;
  Amount fee = 0;
  if (!CheckTxInputs(tx, coins, spend_height, options_.unbonding_delay, &spent, &fee, state))
    return false;
  // After the inputs, so that a refund early names its own rule.
  if (tx.lock_height > spend_height)
    return state->Invalid(ValidationResult::kPremature, "non-final",
                          std::to_string(tx.lock_height) + " > " + std::to_string(spend_height));
  const size_t size = Serialize(tx).size();
  const Int128 min_fee =
      static_cast<Int128>(options_.min_relay_fee_per_kb) * static_cast<Int128>(size) / 1000;
  if (!tx.IsSlash() && static_cast<Int128>(fee) < min_fee) {
    return state->Invalid(
        ValidationResult::kPolicy, "min-relay-fee-not-met",
        std::to_string(fee) + " < " + std::to_string(static_cast<int64_t>(min_fee)));
  }
  if (!conflicts.empty() &&
      !CheckReplacementLocked(txid, parents, fee, size, conflicts, evicted, state)) {
    return false;
  }
  // Last, being the expensive check.
  if (!CheckInputSignatures(tx, spent, state)) return false;

  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  entry->info = MempoolEntryInfo{tx, txid, fee, size, now, spend_height > 0 ? spend_height - 1 : 0};
  entry->parents = std::move(parents);
  return true;
}

bool Mempool::CheckReplacementLocked(const Uint256& txid, const std::set<Uint256>& parents,
                                     Amount fee, size_t size, const std::set<Uint256>& conflicts,
                                     std::set<Uint256>* evicted, ValidationState* state) const {
  const std::string replacement = "replacement " + txid.ToHex();
  std::set<Uint256> doomed;
  for (const Uint256& conflict : conflicts) {
    doomed.merge(ClosureLocked(conflict, &Entry::children));
    if (doomed.size() > kMaxReplacementEvictions) {
      return state->Invalid(ValidationResult::kConflict, "too many potential replacements",
                            "rejecting " + replacement + "; more than " +
                                std::to_string(kMaxReplacementEvictions) + " to evict");
    }
  }
  // MempoolCoins offered the doomed entries' outputs as coins; spending one
  // would leave tx without its input once they are removed.
  for (const Uint256& parent : parents) {
    if (doomed.contains(parent)) {
      return state->Invalid(ValidationResult::kConflict, "bad-txns-spends-conflicting-tx",
                            txid.ToHex() + " spends conflicting transaction " + parent.ToHex());
    }
  }
  std::set<Uint256> known_parents;
  for (const Uint256& conflict : conflicts) {
    const std::set<Uint256>& p = entries_.at(conflict).parents;
    known_parents.insert(p.begin(), p.end());
  }
  for (const Uint256& parent : parents) {
    if (!known_parents.contains(parent)) {
      return state->Invalid(ValidationResult::kConflict, "replacement-adds-unconfirmed",
                            replacement + " adds unconfirmed input " + parent.ToHex());
    }
  }
  for (const Uint256& conflict : conflicts) {
    const MempoolEntryInfo& old = entries_.at(conflict).info;
    // fee / size <= old.fee / old.size, compared without division.
    if (static_cast<Int128>(fee) * static_cast<Int128>(old.size) <=
        static_cast<Int128>(old.fee) * static_cast<Int128>(size)) {
      return state->Invalid(ValidationResult::kConflict, "insufficient fee",
                            "rejecting " + replacement + "; new feerate " +
                                std::to_string(FeePerKb(fee, size)) + " <= old feerate " +
                                std::to_string(FeePerKb(old.fee, old.size)) + " (units/kB)");
    }
  }
  Amount doomed_fees = 0;
  for (const Uint256& id : doomed) doomed_fees += entries_.at(id).info.fee;
  if (fee < doomed_fees) {
    return state->Invalid(ValidationResult::kConflict, "insufficient fee",
                          "rejecting " + replacement + ", less fees than conflicting txs; " +
                              std::to_string(fee) + " < " + std::to_string(doomed_fees));
  }
  const Int128 relay_fee =
      static_cast<Int128>(options_.incremental_relay_fee_per_kb) * static_cast<Int128>(size) / 1000;
  if (static_cast<Int128>(fee - doomed_fees) < relay_fee) {
    return state->Invalid(ValidationResult::kConflict, "insufficient fee",
                          "rejecting " + replacement + ", not enough additional fees to relay; " +
                              std::to_string(fee - doomed_fees) + " < " +
                              std::to_string(static_cast<int64_t>(relay_fee)));
  }
  *evicted = std::move(doomed);
  return true;
}

void Mempool::AddLocked(Entry entry) {
  const Uint256 txid = entry.info.txid;
  for (const TxIn& in : entry.info.tx.inputs) spenders_[in.prevout] = txid;
  for (const Uint256& parent : entry.parents) entries_.at(parent).children.insert(txid);
  // Entries that already spend this transaction's outputs: it is being
  // re-added after a reorg, and they become its children again.
  for (uint32_t i = 0; i < entry.info.tx.outputs.size(); ++i) {
    if (auto it = spenders_.find(OutPoint{txid, i}); it != spenders_.end()) {
      entry.children.insert(it->second);
      entries_.at(it->second).parents.insert(txid);
    }
  }
  by_fee_rate_.insert(KeyOf(entry));
  bytes_ += entry.info.size;
  total_fee_ += entry.info.fee;
  entries_.emplace(txid, std::move(entry));
}

void Mempool::RemoveLocked(const Uint256& txid) {
  auto it = entries_.find(txid);
  if (it == entries_.end()) return;
  const Entry& entry = it->second;
  for (const TxIn& in : entry.info.tx.inputs) spenders_.erase(in.prevout);
  for (const Uint256& parent : entry.parents) entries_.at(parent).children.erase(txid);
  for (const Uint256& child : entry.children) entries_.at(child).parents.erase(txid);
  by_fee_rate_.erase(KeyOf(entry));
  bytes_ -= entry.info.size;
  total_fee_ -= entry.info.fee;
  entries_.erase(it);
}

void Mempool::RemoveWithDescendantsLocked(const Uint256& txid) {
  if (!entries_.contains(txid)) return;
  std::set<Uint256> doomed{txid};
  std::vector<Uint256> frontier{txid};
  while (!frontier.empty()) {
    const Uint256 current = frontier.back();
    frontier.pop_back();
    for (const Uint256& child : entries_.at(current).children) {
      if (doomed.insert(child).second) frontier.push_back(child);
    }
  }
  for (const Uint256& id : doomed) RemoveLocked(id);
}

void Mempool::TrimLocked() {
  while (bytes_ > options_.max_bytes && !by_fee_rate_.empty()) {
    RemoveWithDescendantsLocked(by_fee_rate_.begin()->txid);
  }
}

std::vector<MempoolEntryInfo> Mempool::SelectForBlock(size_t max_bytes) const {
  std::lock_guard<std::mutex> lock(mu_);
  // Kahn's topological sort, taking the best fee rate among the ready
  // entries (all in-mempool parents chosen) each time. An entry that does
  // not fit is dropped, and its descendants never become ready.
  std::priority_queue<FeeRateKey> ready;
  std::unordered_map<Uint256, size_t, Uint256Hasher> unchosen_parents;
  for (const auto& [txid, entry] : entries_) {
    if (entry.parents.empty()) {
      ready.push(KeyOf(entry));
    } else {
      unchosen_parents[txid] = entry.parents.size();
    }
  }
  std::vector<MempoolEntryInfo> chosen;
  size_t used = 0;
  while (!ready.empty()) {
    const Entry& entry = entries_.at(ready.top().txid);
    ready.pop();
    if (entry.info.size > max_bytes - used) continue;
    used += entry.info.size;
    chosen.push_back(entry.info);
    for (const Uint256& child : entry.children) {
      if (--unchosen_parents.at(child) == 0) ready.push(KeyOf(entries_.at(child)));
    }
  }
  return chosen;
}

void Mempool::RemoveForBlock(const Block& block) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const Transaction& tx : block.txs) {
    RemoveLocked(tx.Txid());
    for (const TxIn& in : tx.inputs) {
      if (auto it = spenders_.find(in.prevout); it != spenders_.end()) {
        const Uint256 conflicting = it->second;
        RemoveWithDescendantsLocked(conflicting);
      }
    }
  }
}

size_t Mempool::UpdateForReorg(const std::vector<Block>& disconnected, const CoinsView& view,
                               uint32_t spend_height) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t added = 0;
  for (const Block& block : disconnected) {
    for (const Transaction& tx : block.txs) {
      if (tx.IsCoinbase()) continue;
      ValidationState ignored;
      if (AcceptLocked(tx, view, spend_height, /*evidence_checked=*/false, &ignored)) ++added;
    }
  }
  std::vector<Uint256> unspendable;
  for (const auto& [txid, entry] : entries_) {
    // A shorter chain can put a channel refund below its timeout again.
    const std::vector<ChannelSpend>& channels = entry.info.tx.channel_spends;
    if (std::any_of(channels.begin(), channels.end(), [&](const ChannelSpend& c) {
          return c.close == ChannelClose::kRefund && spend_height < c.timeout_height;
        })) {
      unspendable.push_back(txid);
      continue;
    }
    for (const TxIn& in : entry.info.tx.inputs) {
      if (entries_.contains(in.prevout.txid)) continue;
      Coin coin;
      // A shorter chain can also make a coinbase immature or an unbonding
      // output locked again (CheckTxInputs; slashing transactions are
      // exempt from both).
      const bool found = view.GetCoin(in.prevout, &coin).ok();
      const bool locked =
          found && !entry.info.tx.IsSlash() &&
          (!coin.IsMature(spend_height) ||
           (coin.out.kind == OutputKind::kUnbonding &&
            spend_height < static_cast<uint64_t>(coin.height) + options_.unbonding_delay));
      if (!found || locked) {
        unspendable.push_back(txid);
        break;
      }
    }
  }
  for (const Uint256& txid : unspendable) RemoveWithDescendantsLocked(txid);
  return added;
}

bool Mempool::Contains(const Uint256& txid) const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.contains(txid);
}

bool Mempool::IsSpent(const OutPoint& outpoint) const {
  std::lock_guard<std::mutex> lock(mu_);
  return spenders_.contains(outpoint);
}

bool Mempool::GetEntry(const Uint256& txid, MempoolEntryInfo* info) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(txid);
  if (it == entries_.end()) return false;
  *info = it->second.info;
  return true;
}

std::set<Uint256> Mempool::ClosureLocked(const Uint256& txid,
                                         std::set<Uint256> Entry::*next) const {
  std::set<Uint256> seen{txid};
  std::vector<Uint256> frontier{txid};
  while (!frontier.empty()) {
    const Uint256 current = frontier.back();
    frontier.pop_back();
    for (const Uint256& other : entries_.at(current).*next) {
      if (seen.insert(other).second) frontier.push_back(other);
    }
  }
  return seen;
}

MempoolEntryDetail Mempool::DetailLocked(const Uint256& txid) const {
  const Entry& entry = entries_.at(txid);
  MempoolEntryDetail detail;
  detail.info = entry.info;
  detail.depends.assign(entry.parents.begin(), entry.parents.end());
  detail.spent_by.assign(entry.children.begin(), entry.children.end());
  for (const Uint256& id : ClosureLocked(txid, &Entry::parents)) {
    const MempoolEntryInfo& info = entries_.at(id).info;
    ++detail.ancestor_count;
    detail.ancestor_size += info.size;
    detail.ancestor_fees += info.fee;
  }
  for (const Uint256& id : ClosureLocked(txid, &Entry::children)) {
    const MempoolEntryInfo& info = entries_.at(id).info;
    ++detail.descendant_count;
    detail.descendant_size += info.size;
    detail.descendant_fees += info.fee;
  }
  return detail;
}

bool Mempool::GetEntryDetail(const Uint256& txid, MempoolEntryDetail* detail) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!entries_.contains(txid)) return false;
  *detail = DetailLocked(txid);
  return true;
}

std::vector<MempoolEntryDetail> Mempool::Details() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<uint64_t, Uint256>> by_arrival;
  by_arrival.reserve(entries_.size());
  for (const auto& [txid, entry] : entries_) by_arrival.emplace_back(entry.sequence, txid);
  std::sort(by_arrival.begin(), by_arrival.end());
  std::vector<MempoolEntryDetail> details;
  details.reserve(by_arrival.size());
  for (const auto& [sequence, txid] : by_arrival) details.push_back(DetailLocked(txid));
  return details;
}

std::vector<std::pair<Amount, size_t>> Mempool::FeesAndSizes() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<Amount, size_t>> out;
  out.reserve(entries_.size());
  for (const auto& [txid, entry] : entries_) out.emplace_back(entry.info.fee, entry.info.size);
  return out;
}

std::vector<Uint256> Mempool::Txids() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Uint256> txids;
  txids.reserve(entries_.size());
  for (const auto& [txid, entry] : entries_) txids.push_back(txid);
  return txids;
}

size_t Mempool::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

size_t Mempool::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

Amount Mempool::total_fee() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_fee_;
}

size_t Mempool::DynamicMemoryUsage() const {
  // A red-black tree node carries three pointers and a colour beside its
  // value; a hash node one pointer, plus a bucket pointer per entry.
  constexpr size_t kTreeNode = 4 * sizeof(void*);
  constexpr size_t kHashNode = 2 * sizeof(void*);
  std::lock_guard<std::mutex> lock(mu_);
  size_t usage = entries_.bucket_count() * sizeof(void*);
  for (const auto& [txid, entry] : entries_) {
    const Transaction& tx = entry.info.tx;
    usage += kHashNode + sizeof(Uint256) + sizeof(Entry);
    usage += tx.inputs.capacity() * sizeof(TxIn) + tx.outputs.capacity() * sizeof(TxOut);
    usage += (entry.parents.size() + entry.children.size()) * (kTreeNode + sizeof(Uint256));
  }
  usage += spenders_.size() * (kTreeNode + sizeof(OutPoint) + sizeof(Uint256));
  usage += by_fee_rate_.size() * (kTreeNode + sizeof(FeeRateKey));
  return usage;
}

}  // namespace cc
