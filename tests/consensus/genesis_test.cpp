// Network parameters and the genesis blocks. The hashes are golden values:
// a change to any genesis field, or to how headers, transactions or Merkle
// roots are hashed, changes them, and must be a deliberate decision.

#include "consensus/genesis.h"

#include <set>

#include <gtest/gtest.h>

#include "chain/merkle.h"
#include "consensus/chainparams.h"

namespace cc {
namespace {

TEST(GenesisTest, GoldenHashes) {
  EXPECT_EQ(BuildGenesisBlock(MainParams()).Hash().ToHex(), "18e5563fed79d8f85479be5e7d3da28220c169975c22a1017852087cfbda8f2f");
  EXPECT_EQ(BuildGenesisBlock(TestParams()).Hash().ToHex(), "40db9b3a60d6b6bc77f54373f5a911b86d249784853f4d409291900654444422");
  EXPECT_EQ(BuildGenesisBlock(DevnetParams()).Hash().ToHex(), "c7e44080b8354fccb4e5391cf15abeddbddfde7037b180053d52abf973f9cbc5");
  EXPECT_EQ(BuildGenesisBlock(RegtestParams()).Hash().ToHex(), "ecd7580a6d02daa648d705ecdadc1fe19ccc60780eb6253ac42f71b59c2cb02f");
}

// The commitments doc/consensus.md §1.1 lists, so that the recipe written
// there (and recomputed outside this code base) stays true.
TEST(GenesisTest, CommitmentsMatchTheDocumentedRecipe) {
  EXPECT_EQ(MainParams().model.Hash().ToHex(),
            "232e7e29f931052644f5f678fb45efd6ade2110427a7e8dfc9b60da8928bfcc0");
  EXPECT_EQ(RegtestParams().model.Hash().ToHex(),
            "f758403b0c06d8ccee8750be2e1c5495063af3225211782bb68e6b21b0820848");
  EXPECT_EQ(RegtestParams().dataset.Root().ToHex(),
            "ef12283eddeb7831db65620f1057e348533b7c623c6c1c060d57781d0c03b14d");
  const Block genesis = BuildGenesisBlock(RegtestParams());
  EXPECT_EQ(genesis.txs[0].outputs[0].lock.ToHex(),
            "5f249df8408a70cf02b358aed6e6a8b2a7f89a22b32e4f3178fb97377fd27771");
}

TEST(GenesisTest, IsDeterministic) {
  EXPECT_EQ(BuildGenesisBlock(RegtestParams()), BuildGenesisBlock(RegtestParams()));
}

TEST(GenesisTest, Shape) {
  for (Network network : {Network::kMain, Network::kTest, Network::kDevnet, Network::kRegtest}) {
    const ChainParams& params = ParamsFor(network);
    const Block genesis = BuildGenesisBlock(params);
    EXPECT_EQ(genesis.header.height, 0u);
    EXPECT_TRUE(genesis.header.prev.IsZero());
    EXPECT_EQ(genesis.header.time, params.genesis_time);
    EXPECT_EQ(genesis.header.state_root, params.genesis_state_root);
    ASSERT_EQ(genesis.txs.size(), 1u);
    const Transaction& coinbase = genesis.txs[0];
    EXPECT_TRUE(coinbase.IsCoinbase());
    ASSERT_EQ(coinbase.outputs.size(), 3u);
    for (const TxOut& out : coinbase.outputs) EXPECT_EQ(out.value, 0);
    EXPECT_EQ(coinbase.outputs[0].lock, Sha256Hash(AsBytes(params.genesis_message)));
    EXPECT_EQ(coinbase.outputs[1].lock, params.model.Hash());
    EXPECT_EQ(coinbase.outputs[2].lock, params.dataset.Root());
    EXPECT_TRUE(genesis.records.empty());
    EXPECT_EQ(genesis.header.tx_root, genesis.ComputeTxRoot());
    EXPECT_EQ(genesis.header.work_root, MerkleRoot({}));
    EXPECT_EQ(genesis.header.registry_root, MerkleRoot({}));
    EXPECT_EQ(genesis.header.accepted_work, 0u);
  }
}

TEST(ChainParamsTest, NetworksAreDistinct) {
  std::set<std::array<uint8_t, 4>> magics;
  std::set<uint16_t> ports;
  std::set<std::string> prefixes;
  std::set<std::string> subdirs;
  std::set<Uint256> genesis_hashes;
  for (const std::string& name : NetworkNames()) {
    const ChainParams* params = nullptr;
    ASSERT_TRUE(ParamsForName(name, &params).ok()) << name;
    EXPECT_EQ(params->name, name);
    EXPECT_EQ(&ParamsFor(params->network), params);
    EXPECT_GE(params->magic[0], 0x80) << "magic should not start like text";
    magics.insert(params->magic);
    ports.insert(params->p2p_port);
    ports.insert(params->rpc_port);
    prefixes.insert(params->bech32_hrp);
    subdirs.insert(params->data_subdir);
    genesis_hashes.insert(BuildGenesisBlock(*params).Hash());
  }
  EXPECT_EQ(magics.size(), 4u);
  EXPECT_EQ(ports.size(), 8u);
  EXPECT_EQ(prefixes.size(), 4u);
  EXPECT_EQ(subdirs.size(), 4u);
  EXPECT_EQ(genesis_hashes.size(), 4u);
  EXPECT_EQ(MainParams().data_subdir, "");
  EXPECT_TRUE(RegtestParams().blocks_on_demand);
  EXPECT_FALSE(MainParams().blocks_on_demand);
}

TEST(ChainParamsTest, UnknownName) {
  const ChainParams* params = &MainParams();
  const Status s = ParamsForName("mainnet", &params);
  EXPECT_TRUE(s.IsNotFound());
  EXPECT_EQ(s.message(), "unknown chain 'mainnet'");
  EXPECT_EQ(params, &MainParams());  // unchanged
}

}  // namespace
}  // namespace cc
