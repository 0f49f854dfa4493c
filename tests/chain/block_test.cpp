// Block headers, blocks and work records: what their hashes commit to, and
// that a light client can prove a record or a transaction against a header.

#include "chain/block.h"

#include <gtest/gtest.h>

#include <vector>

#include "chain/hash.h"
#include "chain/key.h"
#include "chain/merkle.h"
#include "chain/work.h"
#include "tests/chain/primitives_samples.h"

namespace cc {
namespace {

using test::SampleHash;

class BlockTest : public ::testing::Test {
 protected:
  BlockTest() : block_(test::SampleBlock()) {
    block_.header.tx_root = block_.ComputeTxRoot();
    block_.header.work_root = block_.ComputeWorkRoot();
  }

  std::vector<Uint256> RecordHashes() const {
    std::vector<Uint256> out;
    for (const WorkRecord& r : block_.records) out.push_back(r.Hash());
    return out;
  }
  std::vector<Uint256> Wtxids() const {
    std::vector<Uint256> out;
    for (const Transaction& tx : block_.txs) out.push_back(tx.Wtxid());
    return out;
  }

  Block block_;
};

// ---------------------------------------------------------------------------
// Header hash.

TEST_F(BlockTest, HeaderHashIsDoubleShaOfEncodingWithoutSignature) {
  const std::vector<uint8_t> bytes = Serialize(block_.header);
  const std::vector<uint8_t> unsigned_part(bytes.begin(), bytes.end() - 64);
  EXPECT_EQ(block_.header.Hash(), Hash256(unsigned_part));
  EXPECT_EQ(block_.Hash(), block_.header.Hash());
}

TEST_F(BlockTest, HeaderHashExcludesSignature) {
  const Uint256 id = block_.header.Hash();
  block_.header.signature = test::SampleBytes<64>(99);
  EXPECT_EQ(block_.header.Hash(), id);
}

TEST_F(BlockTest, HeaderHashCommitsToEveryOtherField) {
  const Uint256 id = block_.header.Hash();
  const auto changed = [&](auto mutate) {
    BlockHeader h = block_.header;
    mutate(h);
    return h.Hash() != id;
  };
  EXPECT_TRUE(changed([](BlockHeader& h) { h.version += 1; }));
  EXPECT_TRUE(changed([](BlockHeader& h) { h.height += 1; }));
  EXPECT_TRUE(changed([](BlockHeader& h) { h.prev = SampleHash(50); }));
  EXPECT_TRUE(changed([](BlockHeader& h) { h.tx_root = SampleHash(51); }));
  EXPECT_TRUE(changed([](BlockHeader& h) { h.work_root = SampleHash(52); }));
  EXPECT_TRUE(changed([](BlockHeader& h) { h.state_root = SampleHash(53); }));
  EXPECT_TRUE(changed([](BlockHeader& h) { h.time += 1; }));
  EXPECT_TRUE(changed([](BlockHeader& h) { h.producer[31] ^= 1; }));
}

TEST_F(BlockTest, ProducerSignsTaggedBlockId) {
  EXPECT_EQ(block_.header.SigningHash(), TaggedHash(tags::kBlockSig, block_.header.Hash().span()));
  const PrivateKey producer = PrivateKey::Generate();
  block_.header.producer = producer.PublicKey();
  block_.header.signature = producer.Sign(block_.header.SigningHash());
  EXPECT_TRUE(
      VerifySchnorr(block_.header.producer, block_.header.SigningHash(), block_.header.signature));
}

// ---------------------------------------------------------------------------
// Roots.

TEST_F(BlockTest, TxRootIsMerkleRootOfWtxids) {
  EXPECT_EQ(block_.ComputeTxRoot(), MerkleRoot(Wtxids()));
}

TEST_F(BlockTest, WorkRootIsMerkleRootOfRecordHashes) {
  EXPECT_EQ(block_.ComputeWorkRoot(), MerkleRoot(RecordHashes()));
}

TEST_F(BlockTest, EmptyBlockHasEmptyTreeRoots) {
  const Block empty;
  EXPECT_EQ(empty.ComputeTxRoot(), MerkleRoot({}));
  EXPECT_EQ(empty.ComputeWorkRoot(), MerkleRoot({}));
}

TEST_F(BlockTest, TxRootCommitsToSignatures) {
  const Uint256 root = block_.ComputeTxRoot();
  block_.txs[1].inputs[0].signature[0] ^= 1;
  EXPECT_NE(block_.ComputeTxRoot(), root);
}

TEST_F(BlockTest, WorkRootCommitsToRecordOrder) {
  const Uint256 root = block_.ComputeWorkRoot();
  std::swap(block_.records[0], block_.records[2]);
  EXPECT_NE(block_.ComputeWorkRoot(), root);
}

TEST_F(BlockTest, RecordProofVerifiesAgainstHeaderWorkRoot) {
  const std::vector<Uint256> leaves = RecordHashes();
  for (uint64_t i = 0; i < leaves.size(); ++i) {
    MerkleProof proof;
    ASSERT_TRUE(MakeMerkleProof(leaves, i, &proof).ok());
    EXPECT_TRUE(VerifyMerkleProof(block_.records[i].Hash(), proof, block_.header.work_root));
  }
}

TEST_F(BlockTest, AlteredRecordDoesNotVerify) {
  MerkleProof proof;
  ASSERT_TRUE(MakeMerkleProof(RecordHashes(), 1, &proof).ok());
  WorkRecord forged = block_.records[1];
  forged.loss = 0.5f;  // claim a better loss than was committed
  EXPECT_FALSE(VerifyMerkleProof(forged.Hash(), proof, block_.header.work_root));
}

TEST_F(BlockTest, TransactionProofVerifiesAgainstHeaderTxRoot) {
  MerkleProof proof;
  ASSERT_TRUE(MakeMerkleProof(Wtxids(), 1, &proof).ok());
  EXPECT_TRUE(VerifyMerkleProof(block_.txs[1].Wtxid(), proof, block_.header.tx_root));
  EXPECT_FALSE(VerifyMerkleProof(block_.txs[1].Txid(), proof, block_.header.tx_root));
}

// ---------------------------------------------------------------------------
// Work records.

TEST_F(BlockTest, RecordHashIsTaggedAndIncludesSignature) {
  WorkRecord r = test::SampleWorkRecord();
  EXPECT_EQ(r.Hash(), TaggedHash(tags::kWorkRecord, Serialize(r)));
  const Uint256 before = r.Hash();
  r.signature[0] ^= 1;
  EXPECT_NE(r.Hash(), before);
}

TEST_F(BlockTest, RecordSigningHashExcludesSignature) {
  WorkRecord r = test::SampleWorkRecord();
  WorkRecord zeroed = r;
  zeroed.signature = {};
  EXPECT_EQ(r.SigningHash(), TaggedHash(tags::kWorkSig, Serialize(zeroed)));
  const Uint256 before = r.SigningHash();
  r.signature[0] ^= 1;
  EXPECT_EQ(r.SigningHash(), before);
  r.outputs[0] = SampleHash(77);
  EXPECT_NE(r.SigningHash(), before);
}

TEST_F(BlockTest, WorkerSignatureOverRecordVerifies) {
  const PrivateKey worker = PrivateKey::Generate();
  WorkRecord r = test::SampleWorkRecord();
  r.worker = worker.PublicKey();
  r.signature = worker.Sign(r.SigningHash());
  EXPECT_TRUE(VerifySchnorr(r.worker, r.SigningHash(), r.signature));
  r.unit.lane += 1;
  EXPECT_FALSE(VerifySchnorr(r.worker, r.SigningHash(), r.signature));
}

}  // namespace
}  // namespace cc
