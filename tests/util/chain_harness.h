// TestChain: a node's validated chain in a temporary directory — a LevelDB
// ChainState and a validation::ChainManager over it, on the regtest network
// unless told otherwise — for tests that drive the real validation code.
//
// Thread safety: one test's; as ChainManager otherwise.

#ifndef COMPUTECOIN_TESTS_UTIL_CHAIN_HARNESS_H
#define COMPUTECOIN_TESTS_UTIL_CHAIN_HARNESS_H

#include <filesystem>
#include <memory>

#include "chain/chain_state.h"
#include "consensus/chainparams.h"
#include "validation/chain_manager.h"

namespace cc::test {

struct TestChain {
  /// Opens (creating if needed) the stores under `dir`; fsync is off.
  /// REQUIRES: options.engine_factory is set (e.g. compute::MakeTorchEngine).
  TestChain(std::filesystem::path dir, ChainManagerOptions options,
            const ChainParams& params = RegtestParams());
  ~TestChain();

  /// Closes and reopens both stores, as a restarted node would.
  void Reopen();
  void Close();
  void Open();

  /// The serialized UTXO set, to compare states exactly.
  std::vector<uint8_t> Utxo() const;

  const std::filesystem::path dir;
  const ChainParams& params;
  ChainManagerOptions options;
  std::unique_ptr<ChainState> chain;
  std::unique_ptr<ChainManager> manager;
};

}  // namespace cc::test

#endif  // COMPUTECOIN_TESTS_UTIL_CHAIN_HARNESS_H
