// NodeContext: what a running node is made of, handed to the RPC methods and
// to whatever else needs the node's parts (Bitcoin Core's node::NodeContext).
// Later parts (the wallet) become members here.
//
// Lifetime: owned by NodeMain (init.h). `chain` is set before the RPC
// server leaves warm-up and reset only after the server has stopped, so RPC
// methods may use it without checking.
//
// Thread safety: the members are set during start-up, before the RPC server
// serves calls, and not reassigned until it has stopped; the objects they
// point to state their own rules (ChainState is safe from any thread).

#ifndef COMPUTECOIN_NODE_CONTEXT_H
#define COMPUTECOIN_NODE_CONTEXT_H

#include <chrono>
#include <filesystem>
#include <memory>
#include <vector>

#include "chain/chain_state.h"
#include "chain/key.h"
#include "chain/mempool.h"
#include "consensus/chainparams.h"
#include "net/addrman.h"
#include "net/banman.h"
#include "net/connman.h"
#include "net/net_processing.h"
#include "node/api.h"
#include "node/inference.h"
#include "node/miner.h"
#include "node/transaction.h"
#include "validation/chain_manager.h"
#include "validation/verified_records.h"
#include "validation/work_pool.h"

namespace cc {

class FeeEstimation;  // node/fee_estimation.h
class WalletManager;  // node/wallets.h

struct NodeContext {
  /// The network's parameters with test-only changes (-checkpoint), when
  /// any: `params` then points here. First, so that it is destroyed last.
  std::unique_ptr<ChainParams> test_params;
  const ChainParams* params = nullptr;
  /// The network directory (datadir.h).
  std::filesystem::path datadir;
  std::unique_ptr<ChainState> chain;
  /// Records re-executed already: shared by `chainman` and `work_pool`;
  /// set before `chainman`, reset after it.
  std::unique_ptr<VerifiedRecords> verified_records;
  /// Consensus over `chain` (node/training.h); set right after `chain`,
  /// reset before it.
  std::unique_ptr<ChainManager> chainman;
  /// Work records waiting for a block (validation/work_pool.h); set with
  /// `chainman`, registered with it, reset before it.
  std::unique_ptr<WorkPool> work_pool;
  /// Unconfirmed transactions (node/transaction.h); set with `chain`.
  std::unique_ptr<Mempool> mempool;
  /// Keeps `mempool` in step with `chainman`'s chain; registered with it.
  std::unique_ptr<MempoolUpdater> mempool_updater;
  /// Fee estimates from `chainman`'s blocks and `mempool`
  /// (StartFeeEstimation, right after StartTraining).
  std::shared_ptr<FeeEstimation> fee_estimation;
  /// P2P (node/network.h): address book, bans, connections, message layer.
  /// Started after `chainman`; stopped before it.
  std::unique_ptr<net::AddrMan> addrman;
  std::unique_ptr<net::BanMan> banman;
  std::unique_ptr<net::PeerManager> peerman;
  std::unique_ptr<net::ConnMan> connman;
  /// Inference (node/inference.h): serving with -serve, and the client of
  /// `infer`. Made with `peerman`, as its handler; reset after `connman`
  /// and before `peerman`.
  std::unique_ptr<InferenceService> inference;
  /// Inference API keys (rpc/api_keys.h), loaded at start; and with -apiport
  /// the API listener (node/api.h), started after `inference`, stopped before.
  std::unique_ptr<rpc::ApiKeys> api_keys;
  std::unique_ptr<ApiServer> api;
  /// -bantime: how long setban bans by default.
  std::chrono::seconds default_ban_time = net::BanMan::kDefaultBanTime;
  /// In-process worker keys (-worker, -workers=<n>).
  std::vector<PrivateKey> workers;
  /// Timed production (node/miner.h); started after the network, stopped
  /// before it. Null when off.
  std::unique_ptr<Miner> miner;
  /// Loaded wallets (node/wallets.h); set after `chainman` and registered
  /// with it, reset before it. Null with -disablewallet.
  std::shared_ptr<WalletManager> wallets;
  std::chrono::steady_clock::time_point start_time = std::chrono::steady_clock::now();
};

}  // namespace cc

#endif  // COMPUTECOIN_NODE_CONTEXT_H
