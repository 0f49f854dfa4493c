// Network parameters: what makes main, test, devnet and regtest separate
// networks that cannot mistake each other's peers, addresses, data or blocks.
//
//   network  magic        P2P    RPC    address prefix  data subdirectory
//   main     c3 0c 7a e1  9333   9332   cc              (the datadir itself)
//   test     c3 0c 7e 57  19333  19332  tc              testnet
//   devnet   c3 0c de 7e  29333  29332  dc              devnet
//   regtest  c3 0c fa bf  39444  39443  rcc             regtest
//
// The magic bytes start every P2P message; they have the high bit set and
// are not printable, so they never occur at the start of text. Each network's
// genesis block is built from its parameters (genesis.h); its hash is fixed
// by a test, so changing any genesis field here is a deliberate hard fork.
//
// Thread safety: the parameter sets are immutable statics.

#ifndef COMPUTECOIN_CONSENSUS_CHAINPARAMS_H
#define COMPUTECOIN_CONSENSUS_CHAINPARAMS_H

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "chain/amount.h"
#include "chain/status.h"
#include "chain/uint256.h"
#include "compute/dataset.h"
#include "compute/model_config.h"

namespace cc {

enum class Network { kMain, kTest, kDevnet, kRegtest };

struct ChainParams {
  Network network = Network::kMain;
  /// The name -chain= takes and getblockchaininfo reports: "main", "test",
  /// "devnet", "regtest".
  std::string name;
  std::array<uint8_t, 4> magic{};
  uint16_t p2p_port = 0;
  uint16_t rpc_port = 0;
  /// bech32m human-readable part of addresses, e.g. "cc".
  std::string bech32_hrp;
  /// Where this network's files live under the datadir; empty for main,
  /// which uses the datadir itself (as Bitcoin Core does).
  std::string data_subdir;

  // Genesis (see genesis.h).
  int64_t genesis_time = 0;  //!< seconds since the Unix epoch
  /// Committed by the genesis coinbase's only output: proof that the chain
  /// did not exist before the date the message names.
  std::string genesis_message;
  /// The model state commitment in the genesis header: the Merkle root over
  /// the hashes of every section's initial weights and optimizer state
  /// (compute::Engine::StateRoot of a fresh engine for `model`). A golden
  /// value; consensus_test checks it against the engine.
  Uint256 genesis_state_root;

  // Consensus (doc/consensus.md). Genesis commits `model` and `dataset`.
  compute::ModelConfig model;        //!< the model the chain trains (a preset)
  compute::DatasetManifest dataset;  //!< its training data (addition digits here)
  /// Least value of a kWorkerBond output that registers its key (0: free).
  Amount worker_bond = 0;
  /// Seconds a ready unit stays with one worker before the next rank gets it.
  int64_t unit_timeout = 0;
  /// Seconds a block slot stays with one producer before the next rank gets it.
  int64_t slot_timeout = 0;
  /// How far (seconds) a block's time may run ahead of the validating node's clock.
  int64_t max_future_time = 0;
  /// Blocks a kUnbonding output stays locked (and slashable) after the
  /// block that created it (doc/consensus.md §2.1).
  uint32_t unbonding_delay = 0;
  /// Training steps whose tensors every node keeps (doc/consensus.md §6):
  /// the window in which a record can be re-executed, so the window for
  /// fraud proofs and evidence of wrong work, and the deepest reorganisation
  /// a node follows. A node's tensor store holds about this many steps of
  /// every unit's outputs.
  uint64_t tensor_retention_steps = 0;

  /// Blocks are produced on request (RPC) rather than on a schedule.
  bool blocks_on_demand = false;

  /// Known blocks of this network's chain, height → block id (Bitcoin
  /// Core's checkpointData): a header at a checkpoint's height must be that
  /// block, no header forking below the last checkpoint a node holds is
  /// accepted, and the checkpoint's ancestors' work records are accepted
  /// without re-execution (doc/consensus.md, "Checkpoints"). Regtest has
  /// none unless -checkpoint adds some (tests).
  std::map<uint32_t, Uint256> checkpoints;
};

const ChainParams& MainParams();
const ChainParams& TestParams();
const ChainParams& DevnetParams();
const ChainParams& RegtestParams();

/// The parameters of `network`.
const ChainParams& ParamsFor(Network network);

/// Looks a network up by name ("main", "test", "devnet", "regtest").
/// Returns NotFound ("unknown chain 'x'") for any other name; *out is then
/// unchanged. REQUIRES: out is not null.
Status ParamsForName(std::string_view name, const ChainParams** out);

/// The training data `params.dataset` describes, built locally (addition
/// data is generated from its digits). Returns InvalidArgument for a text
/// manifest, whose chunks must come from peers.
Status TrainingDataset(const ChainParams& params, compute::Dataset* out);

/// Every network's name, in the order of the table above.
std::vector<std::string> NetworkNames();

}  // namespace cc

#endif  // COMPUTECOIN_CONSENSUS_CHAINPARAMS_H
