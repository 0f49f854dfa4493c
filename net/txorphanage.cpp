#include "net/txorphanage.h"

#include <algorithm>
#include <utility>

namespace cc::net {

TxOrphanage::TxOrphanage(OrphanLimits limits, uint64_t rng_seed)
    : limits_(limits), rng_(rng_seed) {}

bool TxOrphanage::Add(const Transaction& tx, size_t size, PeerId from, Clock::time_point now) {
  if (size > kMaxOrphanTxSize) return false;
  const Uint256 txid = tx.Txid();
  if (orphans_.contains(txid)) return false;
  const uint64_t sequence = next_sequence_++;
  orphans_.emplace(txid, Orphan{tx, size, from, now + kOrphanExpiry, sequence});
  for (const TxIn& in : tx.inputs) by_prevout_[in.prevout].insert(txid);
  by_peer_[from].emplace(sequence, txid);
  list_pos_[txid] = list_.size();
  list_.push_back(txid);
  bytes_ += size;
  Limit(from);
  return orphans_.contains(txid);
}

bool TxOrphanage::Have(const Uint256& txid) const { return orphans_.contains(txid); }

bool TxOrphanage::Get(const Uint256& txid, Transaction* tx, PeerId* from) const {
  auto it = orphans_.find(txid);
  if (it == orphans_.end()) return false;
  *tx = it->second.tx;
  *from = it->second.from;
  return true;
}

std::vector<Uint256> TxOrphanage::ChildrenOf(const Uint256& parent_txid) const {
  std::vector<std::pair<uint64_t, Uint256>> found;
  // Outpoints order by txid first: the parent's outputs are one contiguous range.
  for (auto it = by_prevout_.lower_bound(OutPoint{parent_txid, 0});
       it != by_prevout_.end() && it->first.txid == parent_txid; ++it) {
    for (const Uint256& child : it->second) found.emplace_back(orphans_.at(child).sequence, child);
  }
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  std::vector<Uint256> out;
  for (const auto& [sequence, txid] : found) out.push_back(txid);
  return out;
}

bool TxOrphanage::Erase(const Uint256& txid_ref) {
  // A copy: callers pass entries of list_ and by_peer_, which this rewrites.
  const Uint256 txid = txid_ref;
  auto it = orphans_.find(txid);
  if (it == orphans_.end()) return false;
  const Orphan& o = it->second;
  for (const TxIn& in : o.tx.inputs) {
    auto p = by_prevout_.find(in.prevout);
    if (p == by_prevout_.end()) continue;
    p->second.erase(txid);
    if (p->second.empty()) by_prevout_.erase(p);
  }
  auto peer = by_peer_.find(o.from);
  peer->second.erase(o.sequence);
  if (peer->second.empty()) by_peer_.erase(peer);
  const size_t pos = list_pos_.at(txid);
  list_pos_[list_.back()] = pos;
  list_[pos] = list_.back();
  list_.pop_back();
  list_pos_.erase(txid);
  bytes_ -= o.size;
  orphans_.erase(it);
  return true;
}

size_t TxOrphanage::EraseForPeer(PeerId peer) {
  auto it = by_peer_.find(peer);
  if (it == by_peer_.end()) return 0;
  std::vector<Uint256> txids;
  for (const auto& [sequence, txid] : it->second) txids.push_back(txid);
  for (const Uint256& txid : txids) Erase(txid);
  return txids.size();
}

size_t TxOrphanage::EraseForBlock(const Block& block) {
  std::set<Uint256> gone;
  for (const Transaction& tx : block.txs) {
    if (orphans_.contains(tx.Txid())) gone.insert(tx.Txid());
    for (const TxIn& in : tx.inputs) {
      auto it = by_prevout_.find(in.prevout);
      if (it != by_prevout_.end()) gone.insert(it->second.begin(), it->second.end());
    }
  }
  for (const Uint256& txid : gone) Erase(txid);
  return gone.size();
}

size_t TxOrphanage::Expire(Clock::time_point now) {
  std::vector<Uint256> expired;
  for (const auto& [txid, o] : orphans_)
    if (o.expires <= now) expired.push_back(txid);
  for (const Uint256& txid : expired) Erase(txid);
  return expired.size();
}

size_t TxOrphanage::PeerBytes(PeerId peer) const {
  auto it = by_peer_.find(peer);
  if (it == by_peer_.end()) return 0;
  size_t total = 0;
  for (const auto& [sequence, txid] : it->second) total += orphans_.at(txid).size;
  return total;
}

void TxOrphanage::Limit(PeerId peer) {
  while (by_peer_.contains(peer) && PeerBytes(peer) > limits_.max_bytes_per_peer)
    Erase(by_peer_.at(peer).begin()->second);
  while (!list_.empty() && (orphans_.size() > limits_.max_count || bytes_ > limits_.max_bytes)) {
    std::uniform_int_distribution<size_t> pick(0, list_.size() - 1);
    Erase(list_[pick(rng_)]);
  }
}

}  // namespace cc::net
