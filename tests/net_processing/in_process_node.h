// A regtest node inside the test process, as computecoind wires one: LevelDB
// stores in a directory, a ChainManager over the libtorch engine, a mempool,
// a ban list, the PeerManager and ConnMan listening on an ephemeral
// 127.0.0.1 port. Shared by net_processing_tests and bench_p2p_sync
// (header-only: both link cc_net and cc_compute_torch).
//
// Thread safety: the accessors hand out objects that are safe from any
// thread (see their headers); opening and destruction are one thread's.

#ifndef COMPUTECOIN_TESTS_NET_PROCESSING_IN_PROCESS_NODE_H
#define COMPUTECOIN_TESTS_NET_PROCESSING_IN_PROCESS_NODE_H

#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "chain/mempool.h"
#include "compute/torch/torch_engine.h"
#include "consensus/chainparams.h"
#include "consensus/genesis.h"
#include "net/banman.h"
#include "net/connman.h"
#include "net/net_processing.h"
#include "validation/chain_manager.h"
#include "validation/verified_records.h"
#include "validation/work_pool.h"

namespace cc::test {

/** The regtest network magic as ConnMan takes it. */
inline net::MessageStart RegtestMagic() {
  net::MessageStart magic{};
  std::copy(RegtestParams().magic.begin(), RegtestParams().magic.end(), magic.begin());
  return magic;
}

class InProcessNode {
 public:
  struct Options {
    std::vector<std::string> connect;  //!< host:port to connect to (manual peers)
    net::PeerManager::Options peer{.user_agent = "/in_process_node/"};
    bool work_pool = false;  //!< relay work records through a WorkPool, as computecoind does
  };

  /** Opens (creating) the stores under `dir` and starts listening. On success *out is
   *  set (owned by the caller); returns the stores', engine's or listening socket's
   *  error otherwise. */
  static Status Open(const std::filesystem::path& dir, Options options,
                     std::unique_ptr<InProcessNode>* out) {
    std::filesystem::create_directories(dir);
    std::unique_ptr<InProcessNode> node(new InProcessNode(dir));
    BlockStoreOptions store;
    store.sync = false;
    Status s = ChainState::Open((dir / "chainstate").string(), store, &node->chain_);
    if (!s.ok()) return s;
    ChainManagerOptions manager_options;
    manager_options.sync = false;
    manager_options.engine_factory = compute::MakeTorchEngine;
    s = ChainManager::Open(RegtestParams(), node->chain_.get(), dir, manager_options,
                           &node->manager_);
    if (!s.ok()) return s;
    MempoolOptions mempool_options;  // slashing judged by the chain manager, as computecoind does
    mempool_options.genesis_hash = GenesisHash(RegtestParams());
    mempool_options.check_evidence = [manager = node->manager_.get()](const Transaction& tx,
                                                                      ValidationState* state) {
      return manager->CheckSlash(tx, state);
    };
    node->mempool_ = std::make_unique<Mempool>(mempool_options);
    if (options.work_pool) {
      WorkPoolOptions pool_options;
      pool_options.engine_factory = compute::MakeTorchEngine;
      s = WorkPool::Create(RegtestParams(), node->manager_.get(), &node->verified_, pool_options,
                           &node->pool_);
      if (!s.ok()) return s;
      node->manager_->AddListener(node->pool_.get());
    }
    node->peerman_ = std::make_unique<net::PeerManager>(
        RegtestParams(), node->chain_.get(), node->manager_.get(), node->mempool_.get(),
        &node->banman_, nullptr, std::move(options.peer), node->pool_.get());
    net::ConnManOptions conn;
    conn.magic = RegtestMagic();
    conn.bind_address = "127.0.0.1";
    conn.port = 0;
    conn.connect = std::move(options.connect);
    conn.target_outbound = 0;  // no address book: only the peers named
    conn.banman = &node->banman_;
    node->connman_ = std::make_unique<net::ConnMan>(conn, node->peerman_.get());
    node->peerman_->SetConnMan(node->connman_.get());
    node->manager_->AddListener(node->peerman_.get());
    node->listening_ = true;  // Stop() is owed from here on, even if Start() fails
    s = node->connman_->Start();
    if (!s.ok()) return s;
    *out = std::move(node);
    return Status::OK();
  }
  ~InProcessNode() {
    if (listening_) {
      connman_->Stop();
      manager_->RemoveListener(peerman_.get());
    }
    if (pool_ != nullptr) manager_->RemoveListener(pool_.get());
  }
  InProcessNode(const InProcessNode&) = delete;
  InProcessNode& operator=(const InProcessNode&) = delete;

  std::string Address() const {
    return "127.0.0.1:" + std::to_string(connman_->GetListenPort());
  }
  ChainManager& manager() { return *manager_; }
  const ChainManager& manager() const { return *manager_; }
  net::PeerManager& peerman() { return *peerman_; }
  net::ConnMan& connman() { return *connman_; }
  net::BanMan& banman() { return banman_; }

 private:
  explicit InProcessNode(const std::filesystem::path& dir) : banman_(dir) {}

  net::BanMan banman_;
  std::unique_ptr<ChainState> chain_;
  std::unique_ptr<ChainManager> manager_;
  std::unique_ptr<Mempool> mempool_;
  VerifiedRecords verified_;
  std::unique_ptr<WorkPool> pool_;  // with Options::work_pool
  std::unique_ptr<net::PeerManager> peerman_;
  std::unique_ptr<net::ConnMan> connman_;
  bool listening_ = false;
};

}  // namespace cc::test

#endif  // COMPUTECOIN_TESTS_NET_PROCESSING_IN_PROCESS_NODE_H
