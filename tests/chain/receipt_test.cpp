// Receipts (receipt.h): signing, the receipts root, and each way a proof
// that a settlement paid for a receipt can be forged.

#include "chain/receipt.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "chain/channel.h"
#include "chain/key.h"
#include "tests/chain/primitives_samples.h"

namespace cc {
namespace {

using test::SampleHash;

class ReceiptTest : public ::testing::Test {
 protected:
  ReceiptTest() : client_(PrivateKey::Generate()), holder_(PrivateKey::Generate()) {
    for (uint8_t i = 0; i < 5; ++i) receipts_.push_back(Signed(MakeReceipt(i), holder_));
    channel_.funding = {SampleHash(1), 0};
    channel_.capacity = 10 * kCoin;
    channel_.terms = {client_.PublicKey(), holder_.PublicKey(), 1000};
    channel_.close_fee = 1000;
    EXPECT_TRUE(MakeSettlement(channel_, 5 * 100, ReceiptsRoot(receipts_), &settlement_).ok());
  }

  Receipt MakeReceipt(uint8_t i) const {
    Receipt r;
    r.request_id = SampleHash(10 + i);
    r.state_root = SampleHash(3);
    r.section_begin = 0;
    r.section_end = 4;
    const Uint256 salt = SampleHash(40 + i);
    r.input_hash = SaltedDataHash(salt, AsBytes(std::string_view("123+456=")));
    r.output_hash = SaltedDataHash(salt, AsBytes(std::string_view("579")));
    r.tokens = 3;
    r.amount = 100;
    r.holder = holder_.PublicKey();
    return r;
  }

  static Receipt Signed(Receipt r, const PrivateKey& key) {
    r.holder = key.PublicKey();
    r.signature = key.Sign(r.SigningHash());
    return r;
  }

  ReceiptProof Proof(size_t index) const {
    ReceiptProof proof;
    EXPECT_TRUE(MakeReceiptProof(receipts_, index, &proof).ok());
    return proof;
  }

  std::string Verify(const ReceiptProof& proof) const { return Verify(proof, settlement_); }
  static std::string Verify(const ReceiptProof& proof, const Transaction& settlement) {
    ValidationState state;
    return VerifyReceiptCommitment(proof, settlement, &state) ? "OK" : state.reason();
  }

  PrivateKey client_;
  PrivateKey holder_;
  std::vector<Receipt> receipts_;
  Channel channel_;
  Transaction settlement_;
};

TEST_F(ReceiptTest, EveryReceiptOfTheSettlementVerifies) {
  for (size_t i = 0; i < receipts_.size(); ++i) EXPECT_EQ(Verify(Proof(i)), "OK") << i;
}

TEST_F(ReceiptTest, SignatureCoversEveryFieldButItself) {
  EXPECT_TRUE(VerifyReceiptSignature(receipts_[0]));
  Receipt r = receipts_[0];
  r.tokens += 1;
  EXPECT_FALSE(VerifyReceiptSignature(r));
  r = receipts_[0];
  r.output_hash = SampleHash(99);
  EXPECT_FALSE(VerifyReceiptSignature(r));
  r = receipts_[0];
  r.signature = holder_.Sign(r.SigningHash());  // a fresh signature over the same receipt
  EXPECT_TRUE(VerifyReceiptSignature(r));
}

TEST_F(ReceiptTest, SaltHidesTheData) {
  const auto prompt = AsBytes(std::string_view("123+456="));
  EXPECT_NE(SaltedDataHash(SampleHash(1), prompt), SaltedDataHash(SampleHash(2), prompt));
  EXPECT_NE(SaltedDataHash(SampleHash(1), prompt), Sha256Hash(prompt));
}

TEST_F(ReceiptTest, TamperedReceiptIsRejected) {
  ReceiptProof proof = Proof(2);
  proof.receipt.amount += 1;
  EXPECT_EQ(Verify(proof), "receipt-bad-sig");
}

TEST_F(ReceiptTest, ForgedSignatureIsRejected) {
  ReceiptProof proof = Proof(2);
  proof.receipt.signature = client_.Sign(proof.receipt.SigningHash());
  EXPECT_EQ(Verify(proof), "receipt-bad-sig");
}

TEST_F(ReceiptTest, ReceiptNotPaidForIsRejected) {
  // Honestly signed by the holder, but not among the receipts settled.
  ReceiptProof proof = Proof(2);
  proof.receipt = Signed(MakeReceipt(7), holder_);
  EXPECT_EQ(Verify(proof), "receipt-not-committed");
}

TEST_F(ReceiptTest, WrongPathIsRejected) {
  ReceiptProof proof = Proof(2);
  proof.path.leaf_index = 3;
  EXPECT_EQ(Verify(proof), "receipt-not-committed");
  proof = Proof(2);
  proof.path.path[0] = SampleHash(9);
  EXPECT_EQ(Verify(proof), "receipt-not-committed");
  proof = Proof(2);
  proof.path.tree_size += 1;
  EXPECT_EQ(Verify(proof), "receipt-not-committed");
}

TEST_F(ReceiptTest, AnotherHoldersReceiptIsRejected) {
  const PrivateKey other = PrivateKey::Generate();
  std::vector<Receipt> receipts = receipts_;
  receipts[1] = Signed(MakeReceipt(1), other);
  Transaction settlement;
  ASSERT_TRUE(MakeSettlement(channel_, 500, ReceiptsRoot(receipts), &settlement).ok());
  ReceiptProof proof;
  ASSERT_TRUE(MakeReceiptProof(receipts, 1, &proof).ok());
  EXPECT_EQ(Verify(proof, settlement), "receipt-wrong-holder");
}

TEST_F(ReceiptTest, OtherTransactionIsNotASettlement) {
  Transaction refund;
  ASSERT_TRUE(MakeRefund(channel_, 1000, &refund).ok());
  EXPECT_EQ(Verify(Proof(0), refund), "receipt-not-settlement");
  Transaction payment = settlement_;
  payment.outputs.pop_back();  // no commitment
  EXPECT_EQ(Verify(Proof(0), payment), "receipt-not-settlement");
}

TEST_F(ReceiptTest, ProofIndexMustBeInRange) {
  ReceiptProof proof;
  EXPECT_FALSE(MakeReceiptProof(receipts_, receipts_.size(), &proof).ok());
}

TEST_F(ReceiptTest, ReceiptAndProofRoundTrip) {
  const ReceiptProof proof = Proof(4);
  ReceiptProof decoded;
  ASSERT_TRUE(Deserialize(Serialize(proof), &decoded).ok());
  EXPECT_EQ(decoded, proof);
  std::vector<uint8_t> bytes = Serialize(proof);
  bytes.push_back(0);
  EXPECT_FALSE(Deserialize(bytes, &decoded).ok());
}

TEST_F(ReceiptTest, EmptyRootIsTheEmptyTree) { EXPECT_EQ(ReceiptsRoot({}), MerkleRoot({})); }

}  // namespace
}  // namespace cc
