// -reindex and -reindex-chainstate: rebuilding the chain database and the
// consensus snapshots from the blocks the node has stored.
//
// Two phases, each safe to interrupt at any instant (a crash, a kill -9):
//
//   1. RebuildChainDatabase, before the chain database is opened: copies
//      every stored block (and, for -reindex-chainstate, every header and
//      failed mark of the block index) into a fresh database
//      "<datadir>/chainstate.reindex", without connecting any. Then writes
//      the flag file "<datadir>/reindexing", swaps the new database in
//      ("chainstate" -> "chainstate.old", "chainstate.reindex" ->
//      "chainstate"), deletes the consensus snapshots and the old database.
//      Until the flag exists the old database is untouched, so an
//      interrupted copy is simply discarded; once it exists,
//      RecoverInterruptedReindex finishes the swap.
//   2. ChainManager::ActivateStoredBlocks, once the manager is open,
//      re-validates and connects the stored blocks; FinishReindex removes
//      the flag. A restart with the flag present runs phase 2 again (it
//      skips what is done), with or without -reindex.
//
// -reindex reads the block records themselves, so it also recovers a
// database whose index, UTXO set or LevelDB metadata is damaged (a lost
// CURRENT file: LevelDB's RepairDB salvages its tables first). The tensor
// store is kept: what retention dropped is taken on trust in phase 2, and
// logged.
//
// Thread safety: call before the node's stores are opened (phase 1) and
// from the start-up thread only.

#ifndef COMPUTECOIN_VALIDATION_REINDEX_H
#define COMPUTECOIN_VALIDATION_REINDEX_H

#include <filesystem>

#include "chain/block.h"
#include "chain/block_store.h"
#include "chain/status.h"

namespace cc {

enum class ReindexMode {
  kFull,        //!< -reindex: from the block records alone
  kChainstate,  //!< -reindex-chainstate: from the block index and its blocks
};

/// Phase 1 (see the file comment) for the network directory `datadir`.
/// `options` are the new database's (sync, cache). kFull stores `genesis`
/// (the network's, BuildGenesisBlock) first: a constant of the network, so
/// that a damaged record of it, or its index entry lost with it, does not
/// orphan the whole chain.
/// Returns OK with the flag written and the new database in place;
/// Corruption if the old database cannot be read even after repair
/// (kChainstate: cannot be opened at all, use kFull); the stores' I/O
/// errors. On error the old database is still in place unless the flag
/// was written (RecoverInterruptedReindex then completes the swap).
Status RebuildChainDatabase(const std::filesystem::path& datadir, ReindexMode mode,
                            const Block& genesis, const BlockStoreOptions& options);

/// Completes a swap that a crash interrupted (see the file comment) and
/// discards an incomplete copy. Call at every start, before opening the
/// chain database. Returns the file system's errors as IOError.
Status RecoverInterruptedReindex(const std::filesystem::path& datadir);

/// Whether phase 2 is still to do (the flag file exists).
[[nodiscard]] bool ReindexPending(const std::filesystem::path& datadir);

/// Removes the flag after phase 2 succeeded. IOError if it cannot.
Status FinishReindex(const std::filesystem::path& datadir);

/// `s` with the recovery advice a user needs when the node refuses its
/// stores: Corruption gets "Please restart with -reindex or
/// -reindex-chainstate to recover." appended (unless it already names
/// -reindex); other codes are returned unchanged.
Status WithReindexHint(const Status& s);

}  // namespace cc

#endif  // COMPUTECOIN_VALIDATION_REINDEX_H
