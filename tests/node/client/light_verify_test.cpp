// The light client's proof checks, on proofs built as the node's
// gettxoutproof/getworkproof build them, and on tampered ones.

#include <gtest/gtest.h>

#include "chain/merkle.h"
#include "chain/serialize.h"
#include "consensus/consensus_state.h"
#include "node/client/light_client.h"
#include "rpc/util.h"

namespace cc {
namespace {

using rpc::json;

class LightVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (uint32_t i = 0; i < 5; ++i) {
      Transaction tx;
      tx.lock_height = i;
      tx.outputs.push_back(
          TxOut{static_cast<Amount>(i + 1) * kCoin, OutputKind::kPayToKeyHash, Uint256()});
      if (i > 0) {
        TxIn in;
        in.prevout.index = i;
        in.signature[0] = static_cast<uint8_t>(i);  // signatures change the wtxid, not the txid
        tx.inputs.push_back(in);
      }
      block_.txs.push_back(tx);
    }
    for (uint32_t i = 0; i < 3; ++i) {
      WorkRecord record;
      record.unit.step = i;
      record.loss = 0.5f * static_cast<float>(i);
      block_.records.push_back(record);
    }
    block_.header.tx_root = block_.ComputeTxRoot();
    block_.header.work_root = block_.ComputeWorkRoot();
  }

  json TxProof(size_t index) const {
    std::vector<Uint256> leaves;
    for (const Transaction& tx : block_.txs) leaves.push_back(tx.Wtxid());
    MerkleProof proof;
    EXPECT_TRUE(MakeMerkleProof(leaves, index, &proof).ok());
    return json{{"tx", HexStr(Serialize(block_.txs[index]))},
                {"proof", HexStr(Serialize(proof))}};
  }

  json WorkProof(size_t index) const {
    std::vector<Uint256> leaves;
    for (const WorkRecord& record : block_.records) leaves.push_back(record.Hash());
    MerkleProof proof;
    EXPECT_TRUE(MakeMerkleProof(leaves, index, &proof).ok());
    return json{{"record", HexStr(Serialize(block_.records[index]))},
                {"proof", HexStr(Serialize(proof))}};
  }

  Block block_;
  std::string reason_;
};

TEST_F(LightVerifyTest, EveryTransactionVerifies) {
  for (size_t i = 0; i < block_.txs.size(); ++i) {
    EXPECT_TRUE(VerifyTxOutProof(TxProof(i), block_.txs[i].Txid(), block_.header, &reason_))
        << i << reason_;
  }
}

TEST_F(LightVerifyTest, EveryRecordVerifies) {
  for (size_t i = 0; i < block_.records.size(); ++i) {
    EXPECT_TRUE(VerifyWorkProof(WorkProof(i), block_.records[i].Hash(), block_.header, &reason_))
        << i << reason_;
  }
}

TEST_F(LightVerifyTest, WrongTransactionForTheTxid) {
  EXPECT_FALSE(VerifyTxOutProof(TxProof(1), block_.txs[2].Txid(), block_.header, &reason_));
  EXPECT_NE(reason_.find("not the one asked for"), std::string::npos) << reason_;
}

TEST_F(LightVerifyTest, OtherBlocksRootFails) {
  BlockHeader other = block_.header;
  other.tx_root = Uint256();
  EXPECT_FALSE(VerifyTxOutProof(TxProof(3), block_.txs[3].Txid(), other, &reason_));
  EXPECT_EQ(reason_, "the Merkle proof does not lead to the block's tx_root");
  other.work_root = block_.header.tx_root;
  EXPECT_FALSE(VerifyWorkProof(WorkProof(0), block_.records[0].Hash(), other, &reason_));
  EXPECT_EQ(reason_, "the Merkle proof does not lead to the block's work_root");
}

TEST_F(LightVerifyTest, SwappedSignatureChangesTheLeaf) {
  // Same txid, different signature: the wtxid leaf no longer matches the root.
  json proof = TxProof(2);
  Transaction tx = block_.txs[2];
  tx.inputs[0].signature[5] ^= 1;
  ASSERT_EQ(tx.Txid(), block_.txs[2].Txid());
  proof["tx"] = HexStr(Serialize(tx));
  EXPECT_FALSE(VerifyTxOutProof(proof, tx.Txid(), block_.header, &reason_));
}

TEST_F(LightVerifyTest, TamperedPathFails) {
  json proof = TxProof(4);
  std::string hex = proof["proof"];
  hex[hex.size() - 1] = hex.back() == '0' ? '1' : '0';  // a bit of the last sibling
  proof["proof"] = hex;
  EXPECT_FALSE(VerifyTxOutProof(proof, block_.txs[4].Txid(), block_.header, &reason_));
}

TEST_F(LightVerifyTest, MalformedRepliesAreReasons) {
  EXPECT_FALSE(VerifyTxOutProof(json::object(), block_.txs[0].Txid(), block_.header, &reason_));
  EXPECT_EQ(reason_, "the server's reply has no 'tx' field");
  json proof = TxProof(0);
  proof["tx"] = "zz";
  EXPECT_FALSE(VerifyTxOutProof(proof, block_.txs[0].Txid(), block_.header, &reason_));
  EXPECT_EQ(reason_, "the server's 'tx' is not hex");
  proof = TxProof(0);
  proof["proof"] = proof["proof"].get<std::string>() + "00";
  EXPECT_FALSE(VerifyTxOutProof(proof, block_.txs[0].Txid(), block_.header, &reason_));
  EXPECT_EQ(reason_, "the server's 'proof' does not decode: trailing bytes");
}

// verifyproducer: the producer's entry leads to the parent's registry_root,
// and nothing else does.
TEST(LightProducerTest, RegisteredProducerVerifiesAndForgeriesDoNot) {
  ConsensusState registry;
  for (uint8_t k = 1; k <= 4; ++k) {
    WorkerEntry w;
    w.key[0] = k;
    w.registered_height = k;
    registry.workers.push_back(w);
  }
  BlockHeader parent;
  parent.registry_root = registry.RegistryRoot();
  BlockHeader header;
  header.prev = parent.Hash();
  header.producer = registry.workers[2].key;
  WorkerEntry entry;
  MerkleProof path;
  ASSERT_TRUE(registry.RegistryProof(header.producer, &entry, &path).ok());
  std::string reason;
  EXPECT_TRUE(VerifyProducerRegistered(entry, path, header, parent, &reason)) << reason;
  EXPECT_TRUE(VerifyRegistryProof(
      json{{"entry", HexStr(Serialize(entry))}, {"proof", HexStr(Serialize(path))}}, header,
      parent, &reason))
      << reason;

  BlockHeader stranger = header;  // another key, with the registered entry's proof
  stranger.producer[0] = 9;
  EXPECT_FALSE(VerifyProducerRegistered(entry, path, stranger, parent, &reason));
  EXPECT_EQ(reason, "the registry entry is another key's, not the block's producer");

  WorkerEntry forged = entry;  // the stranger's own entry, with a real path
  forged.key = stranger.producer;
  EXPECT_FALSE(VerifyProducerRegistered(forged, path, stranger, parent, &reason));
  EXPECT_EQ(reason, "the Merkle proof does not lead to the parent's registry_root");

  BlockHeader other_parent;  // a registry without the producer
  EXPECT_FALSE(VerifyProducerRegistered(entry, path, header, other_parent, &reason));
  EXPECT_FALSE(VerifyRegistryProof(json{{"entry", "zz"}}, header, parent, &reason));
  EXPECT_EQ(reason, "the server's 'entry' is not hex");
}

}  // namespace
}  // namespace cc
