// The genesis block of each network, built deterministically from its
// ChainParams:
//
//   header: version 1, height 0, prev zero, time = genesis_time,
//           tx_root over the one coinbase, work_root over no records,
//           state_root = genesis_state_root, producer and signature zero
//           (the genesis block is fixed by its hash, not by a signature)
//   txs:    one coinbase (no inputs, lock_height 0) with three outputs of
//           value 0 that nobody can spend (no key hashes to them), which
//           commit what the chain is about:
//             0: lock = SHA256(genesis_message)
//             1: lock = model.Hash()      (the model configuration)
//             2: lock = dataset.Root()    (the training data manifest)
//   records: none
//
// Thread safety: a pure function.

#ifndef COMPUTECOIN_CONSENSUS_GENESIS_H
#define COMPUTECOIN_CONSENSUS_GENESIS_H

#include "chain/block.h"
#include "consensus/chainparams.h"

namespace cc {

/// The genesis block of the network `params` describes.
Block BuildGenesisBlock(const ChainParams& params);

/// BuildGenesisBlock(params).Hash(): the id that payout signatures commit
/// to (chain/transaction.h PayoutSigningHash), so they hold on one network.
Uint256 GenesisHash(const ChainParams& params);

}  // namespace cc

#endif  // COMPUTECOIN_CONSENSUS_GENESIS_H
