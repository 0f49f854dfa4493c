#include "consensus/genesis.h"

#include "chain/hash.h"
#include "chain/merkle.h"

namespace cc {

Block BuildGenesisBlock(const ChainParams& params) {
  Transaction coinbase;
  coinbase.version = 1;
  coinbase.lock_height = 0;
  coinbase.outputs.push_back(
      TxOut{/*value=*/0, OutputKind::kPayToKeyHash, Sha256Hash(AsBytes(params.genesis_message))});
  coinbase.outputs.push_back(TxOut{/*value=*/0, OutputKind::kPayToKeyHash, params.model.Hash()});
  coinbase.outputs.push_back(TxOut{/*value=*/0, OutputKind::kPayToKeyHash, params.dataset.Root()});

  Block block;
  block.txs.push_back(std::move(coinbase));
  block.header.version = 1;
  block.header.height = 0;
  block.header.prev = Uint256();
  block.header.time = params.genesis_time;
  block.header.tx_root = block.ComputeTxRoot();
  block.header.work_root = block.ComputeWorkRoot();
  block.header.state_root = params.genesis_state_root;
  block.header.registry_root = MerkleRoot({});  // nobody is registered yet
  block.header.accepted_work = 0;
  return block;
}

Uint256 GenesisHash(const ChainParams& params) { return BuildGenesisBlock(params).Hash(); }

}  // namespace cc
