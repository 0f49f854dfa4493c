// Fraud proofs' context-free half (chain/fraud_proof.h): the strict
// encoding and its caps, the Merkle path from the record to the header's
// work_root, the record's signature, and the proof id.

#include "chain/fraud_proof.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "chain/key.h"
#include "tests/util/test_util.h"

namespace cc {
namespace {

Uint256 Filled(uint8_t byte) {
  Uint256 h;
  std::fill(h.data(), h.data() + Uint256::size(), byte);
  return h;
}

WorkRecord SignedRecord(const PrivateKey& key, uint32_t lane) {
  WorkRecord r;
  r.unit.kind = UnitKind::kForward;
  r.unit.step = 3;
  r.unit.lane = lane;
  r.inputs = {Filled(static_cast<uint8_t>(lane)),
              Filled(0xa0)};
  r.outputs = {Filled(static_cast<uint8_t>(0x10 + lane))};
  r.loss = 0.5f;
  r.worker = key.PublicKey();
  r.signature = key.Sign(r.SigningHash());
  return r;
}

// A block of `n` signed records whose header commits to them.
Block BlockOf(size_t n) {
  const PrivateKey key = test::TestKey(7, 0x46);
  Block b;
  b.header.height = 5;
  for (size_t i = 0; i < n; ++i) b.records.push_back(SignedRecord(key, static_cast<uint32_t>(i)));
  b.header.work_root = b.ComputeWorkRoot();
  b.header.producer = key.PublicKey();
  b.header.signature = key.Sign(b.header.SigningHash());
  return b;
}

std::string Check(const FraudProof& proof) {
  ValidationState state;
  if (CheckFraudProof(proof, &state)) return "OK";
  EXPECT_EQ(state.result(), ValidationResult::kConsensus);
  return state.reason();
}

std::string Decode(const std::vector<uint8_t>& bytes) {
  FraudProof out;
  ValidationState state;
  return DecodeFraudProof(bytes, &out, &state) ? "OK" : state.reason();
}

TEST(FraudProofTest, EveryRecordOfABlockHasAProofThatChecksAndRoundTrips) {
  for (size_t n : {1u, 2u, 5u, 8u}) {
    const Block b = BlockOf(n);
    for (size_t i = 0; i < n; ++i) {
      FraudProof proof;
      ASSERT_TRUE(MakeFraudProof(b, i, &proof).ok());
      EXPECT_EQ(proof.record, b.records[i]);
      EXPECT_EQ(proof.header, b.header);
      EXPECT_EQ(proof.path.tree_size, n);
      EXPECT_EQ(Check(proof), "OK");
      const std::vector<uint8_t> bytes = Serialize(proof);
      EXPECT_LE(bytes.size(), kMaxFraudProofSize);
      FraudProof back;
      ValidationState state;
      ASSERT_TRUE(DecodeFraudProof(bytes, &back, &state)) << state.ToString();
      EXPECT_EQ(back, proof);
      EXPECT_EQ(Serialize(back), bytes);  // one encoding per value
    }
  }
  FraudProof none;
  EXPECT_TRUE(MakeFraudProof(BlockOf(3), 3, &none).IsInvalidArgument());
}

TEST(FraudProofTest, APathThatDoesNotLeadToTheWorkRootIsRefused) {
  const Block b = BlockOf(5);
  FraudProof proof;
  ASSERT_TRUE(MakeFraudProof(b, 2, &proof).ok());

  FraudProof other_index = proof;
  other_index.path.leaf_index = 3;
  EXPECT_EQ(Check(other_index), "bad-fraud-merkle");
  FraudProof other_size = proof;
  other_size.path.tree_size = 6;  // the root commits to the size
  EXPECT_EQ(Check(other_size), "bad-fraud-merkle");
  FraudProof short_path = proof;
  short_path.path.path.pop_back();
  EXPECT_EQ(Check(short_path), "bad-fraud-merkle");
  FraudProof other_root = proof;
  other_root.header.work_root = BlockOf(4).header.work_root;
  EXPECT_EQ(Check(other_root), "bad-fraud-merkle");
  // A record that is not in the block, validly signed.
  FraudProof outsider = proof;
  outsider.record = SignedRecord(test::TestKey(7, 0x46), 9);
  EXPECT_EQ(Check(outsider), "bad-fraud-merkle");
}

TEST(FraudProofTest, ARecordItsWorkerDidNotSignIsRefused) {
  const Block b = BlockOf(3);
  FraudProof proof;
  ASSERT_TRUE(MakeFraudProof(b, 1, &proof).ok());
  proof.record.loss = 0.25f;  // the hash and signing hash change
  EXPECT_EQ(Check(proof), "bad-fraud-sig");
  FraudProof other_key;
  ASSERT_TRUE(MakeFraudProof(b, 1, &other_key).ok());
  other_key.record.worker = test::TestKey(8, 0x46).PublicKey();
  EXPECT_EQ(Check(other_key), "bad-fraud-sig");
}

TEST(FraudProofTest, EncodingIsStrictAndCapped) {
  FraudProof proof;
  ASSERT_TRUE(MakeFraudProof(BlockOf(4), 1, &proof).ok());
  std::vector<uint8_t> bytes = Serialize(proof);
  EXPECT_EQ(Decode(bytes), "OK");
  std::vector<uint8_t> trailing = bytes;
  trailing.push_back(0);
  EXPECT_EQ(Decode(trailing), "bad-fraud-encoding");
  std::vector<uint8_t> truncated(bytes.begin(), bytes.end() - 1);
  EXPECT_EQ(Decode(truncated), "bad-fraud-encoding");
  EXPECT_EQ(Decode({}), "bad-fraud-encoding");

  FraudProof many_inputs = proof;
  many_inputs.record.inputs.assign(kMaxFraudProofTensors + 1, Uint256());
  FraudProof out;
  Status s = Deserialize(Serialize(many_inputs), &out);
  EXPECT_EQ(s.message(), "oversized-fraud-record");
  FraudProof many_outputs = proof;
  many_outputs.record.outputs.assign(kMaxFraudProofTensors + 1, Uint256());
  s = Deserialize(Serialize(many_outputs), &out);
  EXPECT_EQ(s.message(), "oversized-fraud-record");
  FraudProof deep = proof;
  deep.path.path.assign(kMaxFraudProofDepth + 1, Uint256());
  s = Deserialize(Serialize(deep), &out);
  EXPECT_EQ(s.message(), "oversized-fraud-path");
  EXPECT_EQ(Decode(Serialize(deep)), "bad-fraud-encoding");

  // At the caps it decodes (and is refused by the checks, not the codec),
  // and its size is within kMaxFraudProofSize.
  FraudProof full = proof;
  full.record.inputs.assign(kMaxFraudProofTensors, Uint256());
  full.record.outputs.assign(kMaxFraudProofTensors, Uint256());
  full.path.path.assign(kMaxFraudProofDepth, Uint256());
  const std::vector<uint8_t> full_bytes = Serialize(full);
  EXPECT_LE(full_bytes.size(), kMaxFraudProofSize);
  EXPECT_TRUE(Deserialize(full_bytes, &out).ok());
  EXPECT_EQ(Decode(full_bytes), "bad-fraud-sig");
}

TEST(FraudProofTest, TheIdNamesBlockAndRecordNotTheBytes) {
  const Block b = BlockOf(3);
  FraudProof first, second;
  ASSERT_TRUE(MakeFraudProof(b, 0, &first).ok());
  ASSERT_TRUE(MakeFraudProof(b, 1, &second).ok());
  EXPECT_NE(first.Id(), second.Id());
  FraudProof resigned = first;
  resigned.header.signature[5] ^= 0x40;  // the block id excludes the signature
  EXPECT_EQ(resigned.Id(), first.Id());
  FraudProof other_block = first;
  other_block.header.height = 6;
  EXPECT_NE(other_block.Id(), first.Id());
}

}  // namespace
}  // namespace cc
