// Fraud proofs through real chains (validation/chain_manager.h over LevelDB
// in temp dirs, the libtorch engine on regtest's `tiny`): a cheater whose
// outputs are scaled (EngineOptions::perturb_outputs) produces blocks that a
// node re-executing nothing accepts and a verifying node refuses; the
// verifier's fraud proof makes the sampling node invalidate the block and its
// descendant and switch to the best branch left, and every way a proof can
// fail to apply is refused with its reason.

#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "chain/fraud_proof.h"
#include "compute/torch/torch_engine.h"
#include "consensus/evidence.h"
#include "tests/util/chain_harness.h"
#include "tests/util/test_util.h"
#include "validation/chain_manager.h"

namespace cc {
namespace {

ChainManagerOptions Options(double sample, double perturb = 0.0) {
  ChainManagerOptions options;
  options.engine_factory = compute::MakeTorchEngine;
  options.policy.sample = sample;
  options.engine.perturb_outputs = perturb;
  return options;
}

class FraudProofChainTest : public testing::Test {
 protected:
  FraudProofChainTest()
      : workers_{test::TestKey(1, 0x46), test::TestKey(2, 0x46)},
        cheater_(Dir("cheater"), Options(0.0, 0.01)),
        sampler_(Dir("sampler"), Options(0.0)),
        verifier_(Dir("verifier"), Options(1.0)) {}

  std::filesystem::path Dir(const std::string& name) const {
    return std::filesystem::path(root_.path()) / name;
  }
  // The blocks `from` produced (hashes), read back.
  static std::vector<Block> Blocks(const test::TestChain& from, const std::vector<Uint256>& hs) {
    std::vector<Block> out(hs.size());
    for (size_t i = 0; i < hs.size(); ++i)
      EXPECT_TRUE(from.chain->ReadBlock(hs[i], &out[i]).ok());
    return out;
  }
  // Copies the output tensors of `block`'s records from `from` to `to`, as
  // P2P fetching does before validation.
  static void CopyTensors(const test::TestChain& from, test::TestChain& to, const Block& block) {
    for (const WorkRecord& r : block.records)
      for (const Uint256& h : r.outputs) CopyTensor(from, to, h, r.unit.step);
  }
  static void CopyTensor(const test::TestChain& from, test::TestChain& to, const Uint256& h,
                         uint64_t step) {
    compute::EncodedTensor t;
    ASSERT_TRUE(from.manager->GetTensor(h, &t).ok()) << h.ToHex();
    ASSERT_TRUE(to.manager->PutTensor(t, step).ok());
  }
  static void MustProcess(test::TestChain& node, const Block& b) {
    ValidationState state;
    ASSERT_TRUE(node.manager->ProcessNewBlock(b, &state)) << state.ToString();
  }
  static bool Failed(const test::TestChain& node, const Uint256& h) {
    BlockIndexEntry entry;
    return node.chain->ReadIndex(h, &entry).ok() && entry.Has(kBlockFailed);
  }
  // What ProcessFraudProof says: "OK" or the reason.
  static std::string Judge(test::TestChain& node, const FraudProof& proof,
                           std::vector<compute::TensorToFetch>* missing = nullptr,
                           ValidationResult* result = nullptr) {
    ValidationState state;
    std::vector<compute::TensorToFetch> ignored;
    const bool holds =
        node.manager->ProcessFraudProof(proof, &state, missing ? missing : &ignored);
    if (result != nullptr) *result = state.result();
    return holds ? "OK" : state.reason();
  }

  test::TempDir root_;
  std::vector<PrivateKey> workers_;
  test::TestChain cheater_, sampler_, verifier_;
};

TEST_F(FraudProofChainTest, SamplingNodeLeavesTheProvenBlockForTheBestValidBranch) {
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  std::vector<Uint256> hashes;
  // Block 1 registers the workers; blocks 2 and 3 carry the cheater's work.
  ASSERT_TRUE(cheater_.manager->Generate(3, workers_, now, &hashes).ok());
  const std::vector<Block> blocks = Blocks(cheater_, hashes);
  ASSERT_FALSE(blocks[1].records.empty());

  // The verifier refuses block 2 for a re-execution's verdict and makes a proof.
  MustProcess(verifier_, blocks[0]);
  CopyTensors(cheater_, verifier_, blocks[1]);
  ValidationState refused;
  ASSERT_FALSE(verifier_.manager->ProcessNewBlock(blocks[1], &refused));
  EXPECT_TRUE(IsWrongWorkVerdict(refused)) << refused.ToString();
  const std::vector<FraudProof> proofs = verifier_.manager->TakeFraudProofs();
  ASSERT_EQ(proofs.size(), 1u);
  const FraudProof& proof = proofs[0];
  EXPECT_EQ(proof.header, blocks[1].header);
  EXPECT_TRUE(verifier_.manager->TakeFraudProofs().empty());
  // The verifier's own honest block 2 on block 1: the sampler's lighter branch.
  std::vector<Uint256> honest_hashes;
  ASSERT_TRUE(verifier_.manager->Generate(1, workers_, now, &honest_hashes).ok());
  const Block honest = Blocks(verifier_, honest_hashes)[0];

  // Before the sampler has the block, the proof cannot be judged.
  ValidationResult result;
  EXPECT_EQ(Judge(sampler_, proof, nullptr, &result), "fraud-block-unknown");
  EXPECT_EQ(result, ValidationResult::kMissingPrev);

  // The sampler accepts the cheater's chain without re-executing, holding
  // every output but the wrong record's (the tip's weights it needs for its
  // engine), and stores the honest block as a lighter branch.
  for (const Block& b : blocks) {
    for (const WorkRecord& r : b.records)
      if (r != proof.record)
        for (const Uint256& h : r.outputs) CopyTensor(cheater_, sampler_, h, r.unit.step);
    MustProcess(sampler_, b);
  }
  CopyTensors(verifier_, sampler_, honest);
  EXPECT_EQ(sampler_.manager->Tip().block_hash, hashes[2]);
  MustProcess(sampler_, honest);
  EXPECT_EQ(sampler_.manager->Tip().block_hash, hashes[2]);

  // The unit's tensors are needed first: the ones it lacks are named.
  std::vector<compute::TensorToFetch> missing;
  EXPECT_EQ(Judge(sampler_, proof, &missing, &result), "work-tensor-missing");
  EXPECT_EQ(result, ValidationResult::kMissingInputs);
  ASSERT_FALSE(missing.empty());
  for (const compute::TensorToFetch& t : missing) {
    EXPECT_NE(std::find(proof.record.outputs.begin(), proof.record.outputs.end(), t.hash),
              proof.record.outputs.end())
        << "only outputs are missing: the inputs are genesis weights and data";
    EXPECT_EQ(t.step, proof.record.unit.step);
    CopyTensor(cheater_, sampler_, t.hash, proof.record.unit.step);
  }

  // Now it holds: blocks 2 and 3 are invalid, the honest branch is the tip.
  EXPECT_EQ(Judge(sampler_, proof), "OK");
  EXPECT_TRUE(Failed(sampler_, hashes[1]));
  EXPECT_TRUE(Failed(sampler_, hashes[2]));
  EXPECT_EQ(sampler_.manager->Tip().block_hash, verifier_.manager->Tip().block_hash);
  EXPECT_EQ(sampler_.manager->Tip().StateRoot(), verifier_.manager->Tip().StateRoot());
  ConsensusState gone;
  EXPECT_TRUE(sampler_.manager->GetState(hashes[2], &gone).IsNotFound());
  // Its worker is kept for slashing (one evidence per offender: the honest
  // block's producer may have signed the cheater's block on the same parent
  // too, which is evidence first); the block is never taken again.
  const std::vector<Evidence> evidence = sampler_.manager->TakeEvidence();
  EXPECT_TRUE(std::any_of(evidence.begin(), evidence.end(), [&](const Evidence& e) {
    return e.Offender() == proof.record.worker;
  }));
  ValidationState again;
  EXPECT_FALSE(sampler_.manager->ProcessNewBlock(blocks[1], &again));
  EXPECT_EQ(again.reason(), "bad-blk-known-invalid");
  EXPECT_EQ(Judge(sampler_, proof, nullptr, &result), "fraud-block-known-invalid");
  EXPECT_EQ(result, ValidationResult::kConflict);

  // A proof against an honest record is wrong (its sender is punished).
  FraudProof bogus;
  ASSERT_TRUE(MakeFraudProof(honest, 0, &bogus).ok());
  EXPECT_EQ(Judge(verifier_, bogus, nullptr, &result), "bad-evidence-work-correct");
  EXPECT_EQ(result, ValidationResult::kConsensus);
  // The context-free checks come first.
  FraudProof moved = bogus;
  moved.path.leaf_index = (moved.path.leaf_index + 1) % moved.path.tree_size;
  EXPECT_EQ(Judge(verifier_, moved), moved.path.tree_size > 1 ? "bad-fraud-merkle" : "OK");
  FraudProof unsigned_record = bogus;
  unsigned_record.record.signature[0] ^= 1;
  EXPECT_EQ(Judge(verifier_, unsigned_record), "bad-fraud-sig");
}

// InvalidateBlock alone: the tip goes back to the parent when nothing else
// is stored, never further (block 1, without records, has as much work as
// genesis, which was seen first), and genesis or an unknown block are refused.
TEST_F(FraudProofChainTest, InvalidateBlockDisconnectsToTheParent) {
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  std::vector<Uint256> hashes;
  ASSERT_TRUE(sampler_.manager->Generate(3, workers_, now, &hashes).ok());
  ASSERT_TRUE(sampler_.manager->InvalidateBlock(hashes[1]).ok());
  EXPECT_EQ(sampler_.manager->Tip().block_hash, hashes[0]);
  EXPECT_TRUE(Failed(sampler_, hashes[1]));
  EXPECT_TRUE(Failed(sampler_, hashes[2]));
  EXPECT_FALSE(Failed(sampler_, hashes[0]));
  ASSERT_TRUE(sampler_.manager->InvalidateBlock(hashes[0]).ok());
  EXPECT_EQ(sampler_.manager->Tip().height, 0u);
  Uint256 genesis;
  ASSERT_TRUE(sampler_.chain->GetBlockHashAtHeight(0, &genesis).ok());
  EXPECT_TRUE(sampler_.manager->InvalidateBlock(genesis).IsInvalidArgument());
  const Uint256 unknown = *Uint256::FromHex(std::string(64, '7'));
  EXPECT_TRUE(sampler_.manager->InvalidateBlock(unknown).IsNotFound());
}

// ReconsiderBlock undoes InvalidateBlock: the marks go from the block, its
// ancestors and its descendants, and the branch is validated and taken again
// (its snapshots were erased, so it is re-executed, not trusted).
TEST_F(FraudProofChainTest, ReconsiderBlockTakesTheBranchBack) {
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  std::vector<Uint256> hashes;
  ASSERT_TRUE(sampler_.manager->Generate(3, workers_, now, &hashes).ok());
  const ConsensusState before = sampler_.manager->Tip();
  ASSERT_TRUE(sampler_.manager->InvalidateBlock(hashes[2]).ok());
  ASSERT_TRUE(sampler_.manager->InvalidateBlock(hashes[1]).ok());
  ASSERT_EQ(sampler_.manager->Tip().block_hash, hashes[0]);

  // Reconsidering the last block clears its invalid ancestor too.
  const Status reconsidered = sampler_.manager->ReconsiderBlock(hashes[2]);
  ASSERT_TRUE(reconsidered.ok()) << reconsidered.ToString();
  EXPECT_EQ(sampler_.manager->Tip().block_hash, hashes[2]);
  EXPECT_EQ(sampler_.manager->Tip().StateRoot(), before.StateRoot());
  for (const Uint256& h : hashes) EXPECT_FALSE(Failed(sampler_, h));

  // And the first one clears everything after it.
  ASSERT_TRUE(sampler_.manager->InvalidateBlock(hashes[1]).ok());
  ASSERT_TRUE(sampler_.manager->ReconsiderBlock(hashes[1]).ok());
  EXPECT_EQ(sampler_.manager->Tip().block_hash, hashes[2]);
  EXPECT_FALSE(Failed(sampler_, hashes[2]));

  const Uint256 unknown = *Uint256::FromHex(std::string(64, '7'));
  EXPECT_TRUE(sampler_.manager->ReconsiderBlock(unknown).IsNotFound());
}

}  // namespace
}  // namespace cc
