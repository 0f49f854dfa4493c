// Fuzz target: Block decoding (chain/block.h), transactions and work records
// included. Any input that decodes must be in canonical form, and a proof of
// its last transaction and last record must verify against its computed
// roots (whatever roots the header itself claims).

#include "chain/block.h"

#include <vector>

#include "chain/merkle.h"
#include "tests/fuzz/fuzz.h"

namespace {

/// Checks that the proof of the last leaf verifies against `root`.
void CheckLastLeafProof(const std::vector<cc::Uint256>& leaves, const cc::Uint256& root) {
  if (leaves.empty()) return;
  cc::MerkleProof proof;
  CC_FUZZ_CHECK(cc::MakeMerkleProof(leaves, leaves.size() - 1, &proof).ok());
  CC_FUZZ_CHECK(cc::VerifyMerkleProof(leaves.back(), proof, root));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cc::Block block;
  if (!cc::fuzz::DecodeCanonical(cc::ByteSpan(data, size), &block)) return 0;
  std::vector<cc::Uint256> wtxids;
  for (const cc::Transaction& tx : block.txs) wtxids.push_back(tx.Wtxid());
  CheckLastLeafProof(wtxids, block.ComputeTxRoot());
  std::vector<cc::Uint256> record_hashes;
  for (const cc::WorkRecord& record : block.records) record_hashes.push_back(record.Hash());
  CheckLastLeafProof(record_hashes, block.ComputeWorkRoot());
  return 0;
}
