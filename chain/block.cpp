#include "chain/block.h"

#include "chain/hash.h"
#include "chain/merkle.h"

namespace cc {

Uint256 BlockHeader::Hash() const {
  // The signature is the last field of the wire format, so the encoding
  // without it is the full encoding minus its last 64 bytes.
  std::vector<uint8_t> bytes = Serialize(*this);
  bytes.resize(bytes.size() - signature.size());
  return Hash256(bytes);
}

Uint256 BlockHeader::SigningHash() const { return TaggedHash(tags::kBlockSig, Hash().span()); }

Uint256 Block::ComputeTxRoot() const {
  std::vector<Uint256> leaves;
  leaves.reserve(txs.size());
  for (const Transaction& tx : txs) leaves.push_back(tx.Wtxid());
  return MerkleRoot(leaves);
}

Uint256 Block::ComputeWorkRoot() const {
  std::vector<Uint256> leaves;
  leaves.reserve(records.size());
  for (const WorkRecord& record : records) leaves.push_back(record.Hash());
  return MerkleRoot(leaves);
}

}  // namespace cc
