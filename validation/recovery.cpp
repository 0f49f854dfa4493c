// ChainManager's recovery members: replay of lost snapshots, resuming an
// interrupted reorganisation, -reindex's reconnection of stored blocks and
// verifychain. The write order that makes them sufficient is in
// doc/architecture.md ("Write order across the stores").

#include <leveldb/db.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "chain/logging.h"
#include "validation/chain_manager.h"
#include "validation/rewound_coins.h"

namespace cc {
namespace {

const char kReorgMarkerKey[] = "r";

// Whether a block failed only because the tensors to re-execute its work
// are gone (retention pruned them): the one case taken on trust.
bool TensorsPruned(const ValidationState& state) {
  return state.result() == ValidationResult::kMissingInputs &&
         state.reason() == "work-tensor-missing";
}

// Our own main chain was validated when first connected: replay and the
// on-trust path of -reindex re-execute nothing.
VerifyPolicy Trusted() {
  VerifyPolicy policy;
  policy.sample = 0.0;
  return policy;
}

}  // namespace

Status ChainManager::Replay() {
  Uint256 tip;
  uint32_t tip_height = 0;
  Status s = chain_->GetTip(&tip, &tip_height);
  if (!s.ok()) return s;
  // Open wrote genesis's snapshot, so the walk ends at height 0 at the latest.
  uint32_t from = tip_height;
  ConsensusState state;
  for (;; --from) {
    Uint256 hash;
    s = chain_->GetBlockHashAtHeight(from, &hash);
    if (s.ok()) s = GetStateLocked(hash, &state);
    if (s.ok()) break;
    if (!s.IsNotFound() || from == 0) return s;
  }
  LogPrintf("Replaying blocks " + std::to_string(from + 1) + " to " + std::to_string(tip_height) +
            " into the consensus snapshots");
  RewoundCoins coins(*chain_);
  s = coins.Rewind(from);
  if (!s.ok()) return s;
  tip_ = std::move(state);
  for (uint32_t h = from + 1; h <= tip_height; ++h) {
    if (Interrupted())
      return Status::Interrupted("replay stopped at height " + std::to_string(h - 1) + " of " +
                                 std::to_string(tip_height) + "; the next start resumes it");
    Uint256 hash;
    Block block;
    s = chain_->GetBlockHashAtHeight(h, &hash);
    if (s.ok()) s = chain_->ReadBlock(hash, &block);
    if (!s.ok()) return s;
    BlockContext ctx = Context();
    ctx.coins = &coins;
    ctx.policy = Trusted();
    ConsensusState next;
    ValidationState vs;
    if (!ConnectBlock(tip_, block, ctx, &next, &vs))
      return Status::Corruption("replay of block " + hash.ToHex() + ": " + vs.ToString());
    s = PutState(next);
    if (!s.ok()) return s;
    coins.Apply(block);
    tip_ = std::move(next);
  }
  return Status::OK();
}

Status ChainManager::CheckChainNotLost(const Uint256& genesis) const {
  std::unique_ptr<leveldb::Iterator> it(states_db_->NewIterator(leveldb::ReadOptions()));
  for (it->Seek("s"); it->Valid() && it->key().starts_with("s"); it->Next()) {
    if (it->key().size() == 33 && std::memcmp(it->key().data() + 1, genesis.data(), 32) == 0)
      continue;
    return Status::Corruption(
        "the chain database holds no block above genesis, but the consensus database holds the "
        "states of validated blocks: the chain database lost its data; restart with -reindex to "
        "rebuild from what is left (lost blocks are downloaded again), or restore it from a "
        "backup");
  }
  if (!it->status().ok()) return Status::IOError("consensus snapshot: " + it->status().ToString());
  return Status::OK();
}

Status ChainManager::PutReorgMarker(const Uint256& old_tip, const Uint256& new_tip) {
  std::string value(reinterpret_cast<const char*>(old_tip.data()), 32);
  value.append(reinterpret_cast<const char*>(new_tip.data()), 32);
  leveldb::WriteOptions wo;
  wo.sync = options_.sync;
  const leveldb::Status s = states_db_->Put(wo, kReorgMarkerKey, value);
  return s.ok() ? Status::OK() : Status::IOError("consensus snapshot: " + s.ToString());
}

Status ChainManager::EraseReorgMarker() {
  leveldb::WriteOptions wo;
  wo.sync = options_.sync;
  const leveldb::Status s = states_db_->Delete(wo, kReorgMarkerKey);
  return s.ok() ? Status::OK() : Status::IOError("consensus snapshot: " + s.ToString());
}

Status ChainManager::ResumeReorganization() {
  std::string value;
  const leveldb::Status ls = states_db_->Get(leveldb::ReadOptions(), kReorgMarkerKey, &value);
  if (ls.IsNotFound()) return Status::OK();
  if (!ls.ok()) return Status::IOError("consensus snapshot: " + ls.ToString());
  if (value.size() != 64) return Status::Corruption("reorganisation marker of the wrong size");
  Uint256 old_tip, new_tip;
  std::copy(value.begin(), value.begin() + 32, old_tip.data());
  std::copy(value.begin() + 32, value.end(), new_tip.data());
  // At the old tip the crash came before the first disconnect, or after a
  // failed branch was rolled back (its bad block is then marked failed).
  bool branch_failed = false;
  ConsensusState validated;
  for (Uint256 h = new_tip; !branch_failed && !GetStateLocked(h, &validated).ok();) {
    BlockIndexEntry entry;
    Status s = chain_->ReadIndex(h, &entry);
    if (!s.ok()) return s;
    branch_failed = entry.Has(kBlockFailed);
    h = entry.header.prev;
  }
  if (tip_.block_hash != new_tip && !(tip_.block_hash == old_tip && branch_failed)) {
    LogPrintf("Finishing the reorganisation to " + new_tip.ToHex() + " that a crash interrupted");
    ValidationState state;
    if (!Reorganize(new_tip, &state)) {
      LogPrintf("Reorganisation to " + new_tip.ToHex() + " failed (" + state.ToString() +
                "); back to " + old_tip.ToHex());
      ValidationState back;
      if (!Reorganize(old_tip, &back))
        return Status::Corruption("cannot return to the old tip " + old_tip.ToHex() + ": " +
                                  back.ToString());
    }
    pending_.clear();  // nobody listens yet: Open has not returned
  }
  return EraseReorgMarker();
}

bool ChainManager::ConnectReverified(const Block& block, bool* trusted, ValidationState* state) {
  *trusted = false;
  if (ConnectOnTip(block, state)) return true;
  if (!TensorsPruned(*state)) return false;
  const VerifyPolicy policy = Trusted();
  *state = ValidationState();
  *trusted = true;
  return ConnectOnTip(block, state, &policy);
}

Status ChainManager::ActivateStoredBlocks(ReindexStats* stats) {
  std::lock_guard<std::mutex> notify_lock(notify_mu_);
  std::vector<BlockIndexEntry> entries;
  Status s = chain_->store().ForEachIndexEntry([&entries](const BlockIndexEntry& e) {
    if (e.Has(kBlockHaveData) && !e.Has(kBlockFailed)) entries.push_back(e);
    return Status::OK();
  });
  if (!s.ok()) return s;
  std::sort(entries.begin(), entries.end(), [](const BlockIndexEntry& a, const BlockIndexEntry& b) {
    return a.height() != b.height() ? a.height() < b.height() : a.sequence < b.sequence;
  });
  LogPrintf("Reindex: validating " + std::to_string(entries.size()) + " stored blocks");
  ReindexStats counts;
  uint32_t last_logged = 0;
  std::set<Uint256> waiting;  // stored above a block whose data is lost
  for (const BlockIndexEntry& entry : entries) {
    if (Interrupted())
      return Status::Interrupted("reindex stopped at height " + std::to_string(tip_.height) +
                                 "; the next start resumes it");
    const Uint256 hash = entry.header.Hash();
    {
      std::lock_guard<std::mutex> lock(mu_);
      ConsensusState known;
      if (GetStateLocked(hash, &known).ok()) continue;
      Block block;
      s = chain_->ReadBlock(hash, &block);
      if (!s.ok()) return s;
      ValidationState state;
      bool trusted = false;
      const bool on_tip = block.header.prev == tip_.block_hash;
      // Above a block whose data is lost (a damaged record kept as a
      // header, reindex.h): stored, it waits for a peer to serve that one.
      // (A side branch's blocks have no state either, but their data.)
      bool above_lost = waiting.contains(block.header.prev);
      BlockIndexEntry walk;
      for (Uint256 h = block.header.prev; !on_tip && !above_lost && !GetStateLocked(h, &known).ok();
           h = walk.header.prev) {
        s = chain_->ReadIndex(h, &walk);
        if (!s.ok()) return s;
        if (!walk.Has(kBlockHaveData)) {
          lost_below_stored_.insert(h);
          above_lost = true;
        }
      }
      if (above_lost) {
        ++counts.waiting;
        waiting.insert(hash);
        continue;
      }
      const bool valid = on_tip ? ConnectReverified(block, &trusted, &state)
                                : ProcessNewBlockLocked(block, &state);
      if (valid) {
        // A block of a lighter branch is valid as far as checked, but only
        // stored: not counted.
        if (GetStateLocked(hash, &known).ok()) ++counts.connected;
        if (trusted) ++counts.trusted;
      } else if (state.IsError()) {
        return Status::IOError("reindex at block " + hash.ToHex() + ": " + state.ToString());
      } else {
        ++counts.rejected;
        LogPrintf("Reindex: block " + hash.ToHex() + " is invalid: " + state.ToString());
        if (on_tip && state.result() == ValidationResult::kConsensus)
          (void)chain_->MarkFailed(hash);  // best effort: it stays unconnected either way
      }
      if (trusted)
        LogPrintf("Reindex: block " + hash.ToHex() + " at height " +
                  std::to_string(entry.height()) +
                  " taken on trust (its work tensors are no longer stored)");
      if (tip_.height >= last_logged + 1000) {
        last_logged = tip_.height;
        LogPrintf("Reindex: height " + std::to_string(tip_.height));
      }
    }
    Notify();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    s = LoadEngine(tip_);
    if (!s.ok()) return s;
  }
  LogPrintf("Reindex: " + std::to_string(counts.connected) + " blocks validated (" +
            std::to_string(counts.trusted) + " of them on trust, their work tensors pruned), " +
            std::to_string(counts.rejected) + " invalid, " + std::to_string(counts.waiting) +
            " waiting for an earlier block a peer must serve again");
  if (stats != nullptr) *stats = counts;
  return Status::OK();
}

Status ChainManager::VerifyChain(int level, uint32_t nblocks) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint32_t tip_height = tip_.height;
  if (nblocks == 0 || nblocks > tip_height) nblocks = tip_height;
  const uint32_t from = tip_height - nblocks;  // checked: from + 1 .. tip
  std::vector<Block> blocks(nblocks);          // by height - from - 1
  for (uint32_t h = tip_height; h > from; --h) {
    if (Interrupted()) return Status::Interrupted("verification stopped");
    Uint256 hash;
    Block& block = blocks[h - from - 1];
    Status s = chain_->GetBlockHashAtHeight(h, &hash);
    if (s.ok()) s = chain_->ReadBlock(hash, &block);  // checks the hash against the key
    const std::string where = "block " + hash.ToHex() + " at height " + std::to_string(h);
    if (!s.ok()) return Status::Corruption(where + ": " + s.ToString());
    if (level >= 1) {
      ValidationState vs;
      if (!CheckBlock(block, &vs)) return Status::Corruption(where + ": " + vs.ToString());
      ConsensusState snapshot;
      s = GetStateLocked(hash, &snapshot);
      if (!s.ok()) return Status::Corruption(where + ": " + s.ToString());
      if (snapshot.block_hash != hash || snapshot.height != h ||
          snapshot.StateRoot() != block.header.state_root ||
          snapshot.RegistryRoot() != block.header.registry_root ||
          snapshot.accepted_work != block.header.accepted_work)
        return Status::Corruption(where + ": its consensus snapshot does not match it");
    }
    if (level >= 2) {
      BlockUndo undo;
      s = chain_->ReadUndo(hash, &undo);
      if (!s.ok()) return Status::Corruption(where + ": undo data: " + s.ToString());
    }
  }
  if (level < 3) return Status::OK();
  RewoundCoins coins(*chain_);
  Status s = coins.Rewind(from);
  if (!s.ok() || level < 4) return s;
  Uint256 hash;
  ConsensusState state;
  s = chain_->GetBlockHashAtHeight(from, &hash);
  if (s.ok()) s = GetStateLocked(hash, &state);
  if (!s.ok())
    return Status::Corruption("block at height " + std::to_string(from) + ": " + s.ToString());
  for (const Block& block : blocks) {
    if (Interrupted()) return Status::Interrupted("verification stopped");
    const std::string where = "block " + block.Hash().ToHex();
    BlockContext ctx = Context();
    ctx.coins = &coins;
    ConsensusState next;
    ValidationState vs;
    bool ok = ConnectBlock(state, block, ctx, &next, &vs);
    if (!ok && TensorsPruned(vs)) {
      ctx.policy = Trusted();  // tensors pruned: check all but the outputs' values
      vs = ValidationState();
      ok = ConnectBlock(state, block, ctx, &next, &vs);
    }
    if (!ok) return Status::Corruption(where + " does not reconnect: " + vs.ToString());
    ConsensusState stored;
    s = GetStateLocked(block.Hash(), &stored);
    if (!s.ok()) return Status::Corruption(where + ": " + s.ToString());
    if (!(stored == next))
      return Status::Corruption(where +
                                ": its consensus snapshot differs from the reconnected state");
    coins.Apply(block);
    state = std::move(next);
  }
  return Status::OK();
}

}  // namespace cc
