// The data directory: where a node keeps its files.
//
//   ~/.computecoin/                 the datadir (-datadir overrides)
//     computecoin.conf              configuration, shared by all networks
//     (main's files)                main uses the datadir itself
//     regtest/ testnet/ devnet/     the other networks' directories, each:
//       .lock                       held (flock) while a node uses it
//       .cookie                     RPC cookie, while the node runs
//       debug.log                   the log
//       chainstate/                 the chain database (LevelDB)
//       light/                      computecoin-light's header chain
//
// Thread safety: free functions are safe to call concurrently; a
// DirectoryLock is owned by one thread.

#ifndef COMPUTECOIN_NODE_COMMON_DATADIR_H
#define COMPUTECOIN_NODE_COMMON_DATADIR_H

#include <filesystem>
#include <memory>

#include "chain/status.h"
#include "consensus/chainparams.h"
#include "node/common/config.h"

namespace cc {

/// $HOME/.computecoin (or ./.computecoin when HOME is unset).
std::filesystem::path DefaultDataDir();

/// The datadir: -datadir, which must exist ("Specified data directory
/// \"x\" does not exist." otherwise: a typo must not start a fresh node
/// elsewhere; "Specified data directory \"x\" is not a directory." if it is
/// a file), or DefaultDataDir(), created if missing. Returns InvalidArgument
/// or IOError.
Status ResolveDataDir(const Config& config, std::filesystem::path* datadir);

/// `datadir`/`params.data_subdir`, created if missing. Returns IOError if it
/// cannot be created.
Status NetworkDataDir(const std::filesystem::path& datadir, const ChainParams& params,
                      std::filesystem::path* dir);

/// An exclusive advisory lock (flock) on `dir`/.lock, held until destroyed,
/// so two processes cannot use one network directory at once. The kernel
/// drops the lock when the process dies, so a crash never leaves it stale.
class DirectoryLock {
 public:
  /// Takes the lock without waiting. Returns IOError ("Cannot obtain a lock
  /// on data directory <dir>. Computecoin is probably already running.")
  /// if another process holds it, or if the lock file cannot be opened.
  static Status Acquire(const std::filesystem::path& dir, std::unique_ptr<DirectoryLock>* out);

  ~DirectoryLock();
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  explicit DirectoryLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace cc

#endif  // COMPUTECOIN_NODE_COMMON_DATADIR_H
