// WalletManager: the node's loaded wallets (Bitcoin Core's WalletContext and
// the chain side of CWallet): where they live, loading and unloading, the one
// ChainListener that feeds every wallet, catching a wallet up to the tip when
// it loads, the worker keys a wallet watches, and walletpassphrase's relock.
//
// Layout: wallet <name> lives in "<network dir>/wallets/<name>/" (its own
// LevelDB, wallet/walletdb.h). Names are 1-64 characters of [A-Za-z0-9_.-],
// not "." or "..", so a name can never point outside the wallets directory.
//
// Chain: one WalletManager is registered with the ChainManager and fans each
// BlockConnected/BlockDisconnected out to every wallet. A wallet receives a
// connected block only if it extends the wallet's best block, and a
// disconnected one only if it is the wallet's best block, so a block the
// wallet already saw while catching up (CatchUp) is not applied twice.
// CatchUp walks a wallet from its best block to the tip by reading the
// node's ChainState: it first disconnects the wallet's blocks that left the
// main chain, then connects each block by height.
//
// Worker keys: consensus pays each accepted record's reward to the payout
// its worker registered with (consensus/connect.cpp CheckCoinbase). The
// worker wallet (-workerwallet=<name>; else the first -wallet=; else the
// first wallet loaded or created) gives the node's in-process worker keys
// their payout: one fresh address per key and run (WorkerPayout), so the
// rewards belong to the wallet's keys, not to workers.dat's. It also
// watches the worker keys as hot keys (Wallet::AddHotKey), for what is still
// paid to KeyHash(worker): rewards from before payouts existed, and keys
// registered while no worker wallet was loaded (doc/wallet.md).
//
// Thread safety: every public method may be called from any thread.
// sync_mu_ serialises chain delivery, catch-up and the wallet set; the
// relock thread has its own mutex. Lock order: sync_mu_, then a wallet's.

#ifndef COMPUTECOIN_NODE_WALLETS_H
#define COMPUTECOIN_NODE_WALLETS_H

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "chain/status.h"
#include "node/common/config.h"
#include "validation/chain_manager.h"
#include "wallet/wallet.h"

namespace cc {

struct NodeContext;

class WalletManager final : public ChainListener {
 public:
  /// REQUIRES: node (its params, datadir, chain and workers) outlives the manager.
  explicit WalletManager(NodeContext& node);
  ~WalletManager() override;  // stops the relock thread
  WalletManager(const WalletManager&) = delete;
  WalletManager& operator=(const WalletManager&) = delete;

  /// The wallet that watches the worker keys ("" picks the first one loaded).
  void SetWorkerWallet(const std::string& name);
  /// The key hash in-process worker `key` registers to be paid at: an
  /// address of the worker wallet, the same one for the rest of the run.
  /// Returns false if the worker wallet is not loaded or has no address to
  /// give (locked with an empty keypool).
  [[nodiscard]] bool WorkerPayout(const XOnlyPubKeyBytes& key, Uint256* payout);

  /** Creates wallet `name`, catches it up to the tip and loads it.
   *  Returns: OK with *out; InvalidArgument for a bad name; AlreadyExists-like
   *           InvalidArgument "Database already exists." if its directory
   *           exists; Wallet::Create's errors. Out: out: may be null.
   */
  Status Create(const std::string& name, const std::string& passphrase,
                std::shared_ptr<wallet::Wallet>* out);
  /** Loads wallet `name` from its directory and catches it up.
   *  Returns: OK; InvalidArgument for a bad name; FailedPrecondition-like
   *           InvalidArgument "already loaded" (see IsLoaded); NotFound
   *           "Path does not exist."; Wallet::Load's errors.
   */
  Status Load(const std::string& name, std::shared_ptr<wallet::Wallet>* out);
  /** Copies the backup directory `backup` to wallet `name`'s directory and
   *  loads it. Returns: as Create (the directory must not exist), NotFound
   *  if `backup` holds no wallet.
   */
  Status Restore(const std::string& name, const std::filesystem::path& backup,
                 std::shared_ptr<wallet::Wallet>* out);
  /// Unloads `name`; false if it is not loaded. The wallet closes when the
  /// last call using it ends.
  bool Unload(const std::string& name);
  void UnloadAll();

  [[nodiscard]] bool IsLoaded(const std::string& name) const;
  /// Loaded wallets' names, in load order.
  std::vector<std::string> List() const;
  /// The wallet, or nullptr if not loaded.
  std::shared_ptr<wallet::Wallet> Get(const std::string& name) const;
  /// Every loaded wallet, in load order.
  std::vector<std::shared_ptr<wallet::Wallet>> All() const;

  /// Offers a transaction that entered the mempool to every loaded wallet.
  void TransactionAddedToMempool(const Transaction& tx);

  /// Puts `wallet`'s unconfirmed transactions (not abandoned, not conflicted)
  /// back into the mempool and relays them, parents before children, as
  /// Bitcoin Core does at load: the mempool does not outlive the process, so
  /// without this a payment the wallet acknowledged would wait forever after
  /// a restart or a crash. Those the mempool refuses (e.g. an input spent
  /// meanwhile by another transaction) are logged and stay unconfirmed.
  /// Those already in the mempool are relayed again. Load calls it; so does
  /// start-up once the network runs (the wallets load before it), so that
  /// peers hear of them. Returns how many are in the mempool now.
  /// REQUIRES: not called with sync_mu_ held.
  size_t ResubmitTransactions(const wallet::Wallet& wallet);

  /// walletpassphrase's timeout: locks `wallet` at `seconds` from now
  /// (replacing an earlier schedule). CancelRelock on walletlock.
  void ScheduleRelock(const std::shared_ptr<wallet::Wallet>& wallet, int64_t seconds);
  void CancelRelock(const wallet::Wallet* wallet);
  /// Unix time at which `wallet` relocks; 0 if locked or none scheduled.
  int64_t UnlockedUntil(const wallet::Wallet* wallet) const;

  /// The directory of wallet `name`.
  std::filesystem::path WalletDir(const std::string& name) const;
  /// True for a name allowed by the layout rule above.
  static bool IsValidName(const std::string& name);

  void BlockConnected(const Block& block, uint32_t height) override;
  void BlockDisconnected(const Block& block, uint32_t height) override;

 private:
  struct Entry {
    std::string name;
    std::shared_ptr<wallet::Wallet> wallet;
  };
  wallet::WalletOptions Options() const;
  // Gives worker keys (if this is the worker wallet), catches up and adds it.
  Status Add(const std::string& name, std::shared_ptr<wallet::Wallet> wallet);
  Status CatchUp(wallet::Wallet* wallet);  // REQUIRES: sync_mu_ held.
  void RelockLoop();

  NodeContext& node_;

  mutable std::mutex sync_mu_;
  std::vector<Entry> wallets_;      // GUARDED_BY(sync_mu_)
  std::string worker_wallet_;       // GUARDED_BY(sync_mu_)
  bool worker_wallet_set_ = false;  // GUARDED_BY(sync_mu_)
  std::map<XOnlyPubKeyBytes, Uint256> payouts_;  // GUARDED_BY(sync_mu_)

  mutable std::mutex relock_mu_;
  std::condition_variable relock_cv_;
  struct Relock {
    std::weak_ptr<wallet::Wallet> wallet;
    std::chrono::steady_clock::time_point at;
    int64_t unix_time = 0;
  };
  std::map<const wallet::Wallet*, Relock> relocks_;  // GUARDED_BY(relock_mu_)
  bool stopping_ = false;                            // GUARDED_BY(relock_mu_)
  std::thread relock_thread_;
};

/// Where the node registers in-process worker `key` to be paid:
/// node.wallets->WorkerPayout, or else KeyHash(key) (no wallet: the hot key
/// is paid, as before payouts existed).
Uint256 WorkerPayout(NodeContext& node, const XOnlyPubKeyBytes& key);

/// Adds -wallet=<name>, -workerwallet=<name> and -disablewallet.
void AddWalletArgs(Config* config);

/// Unless -disablewallet: makes node->wallets, registers it with
/// node->chainman and loads every -wallet= (creating none). Returns the first
/// load error, with the wallet's name. REQUIRES: StartTraining succeeded.
Status StartWallets(const Config& config, NodeContext* node);

/// Unregisters and unloads the wallets. REQUIRES: the RPC server has stopped.
void StopWallets(NodeContext* node);

}  // namespace cc

#endif  // COMPUTECOIN_NODE_WALLETS_H
