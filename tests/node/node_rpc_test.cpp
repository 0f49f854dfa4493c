// The node's chain RPC methods on a real chain database in a temporary
// directory, called through the method table as the server calls them.

#include <filesystem>

#include <gtest/gtest.h>

#include "chain/serialize.h"
#include "consensus/genesis.h"
#include "node/init.h"
#include "node/client/light_client.h"
#include "node/rpc_register.h"
#include "rpc/client.h"
#include "rpc/json_format.h"
#include "rpc/table.h"
#include "rpc/util.h"

namespace cc {
namespace {

using rpc::json;

class NodeRpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("cc_node_rpc_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    node_.params = &RegtestParams();
    node_.datadir = dir_;
    ASSERT_TRUE(LoadChain(&node_).ok());
    ASSERT_TRUE(RegisterNodeRpcs(table_, node_).ok());
    table_.SetWarmupFinished();
    genesis_ = BuildGenesisBlock(RegtestParams());
  }
  void TearDown() override {
    node_.chain.reset();
    std::filesystem::remove_all(dir_);
  }

  // What a client reads: methods may return text already written as JSON
  // (rpc::RawJson), which only the reply's writer unwraps.
  json Call(const std::string& method, const json& params = json::array()) {
    return json::parse(rpc::DumpJson(table_.Execute(method, params, "test")));
  }

  // The error code a call fails with (0 if it succeeds), and its message.
  int ErrorOf(const std::string& method, const json& params, std::string* message = nullptr) {
    try {
      Call(method, params);
    } catch (const rpc::RpcError& e) {
      if (message != nullptr) *message = e.what();
      return e.code();
    }
    return 0;
  }

  // Connects a block on the tip with a coinbase and `records` work records.
  Block ConnectBlock(int records) {
    Uint256 tip;
    uint32_t height = 0;
    EXPECT_TRUE(node_.chain->GetTip(&tip, &height).ok());
    Block block;
    block.header.height = height + 1;
    block.header.prev = tip;
    block.header.time = genesis_.header.time + block.header.height;
    Transaction coinbase;
    coinbase.lock_height = block.header.height;
    coinbase.outputs.push_back(TxOut{kCoin, OutputKind::kPayToKeyHash, Uint256()});
    block.txs.push_back(coinbase);
    for (int i = 0; i < records; ++i) {
      WorkRecord record;
      record.unit.step = static_cast<uint64_t>(i);
      block.records.push_back(record);
    }
    block.header.tx_root = block.ComputeTxRoot();
    block.header.work_root = block.ComputeWorkRoot();
    EXPECT_TRUE(node_.chain->ConnectTip(block).ok());
    return block;
  }

  std::filesystem::path dir_;
  NodeContext node_;
  rpc::RpcTable table_;
  Block genesis_;
};

TEST_F(NodeRpcTest, FreshChainHoldsGenesis) {
  EXPECT_EQ(Call("getblockcount"), 0);
  EXPECT_EQ(Call("getbestblockhash"), genesis_.Hash().ToHex());
  EXPECT_EQ(Call("getblockhash", {0}), genesis_.Hash().ToHex());
}

TEST_F(NodeRpcTest, ReopenKeepsTheChain) {
  const Block block = ConnectBlock(0);
  node_.chain.reset();
  ASSERT_TRUE(LoadChain(&node_).ok());
  EXPECT_EQ(Call("getblockcount"), 1);
  EXPECT_EQ(Call("getbestblockhash"), block.Hash().ToHex());
}

TEST_F(NodeRpcTest, OtherNetworksDatadirIsRefused) {
  node_.chain.reset();
  NodeContext main_node;
  main_node.params = &MainParams();
  main_node.datadir = dir_;
  const Status s = LoadChain(&main_node);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_EQ(s.message(), "Incorrect or no genesis block found. Wrong datadir for network?");
}

TEST_F(NodeRpcTest, GetBlockHashErrors) {
  std::string message;
  EXPECT_EQ(ErrorOf("getblockhash", {1}, &message), rpc::kRpcInvalidParameter);
  EXPECT_EQ(message, "Block height out of range");
  EXPECT_EQ(ErrorOf("getblockhash", {-1}), rpc::kRpcInvalidParameter);
  EXPECT_EQ(ErrorOf("getblockhash", {0.5}), rpc::kRpcTypeError);
  EXPECT_EQ(ErrorOf("getblockhash", {"0"}), rpc::kRpcTypeError);
  EXPECT_EQ(ErrorOf("getblockhash", json::array()), rpc::kRpcMiscError);
}

TEST_F(NodeRpcTest, GetBlockHeader) {
  const json header = Call("getblockheader", {genesis_.Hash().ToHex()});
  EXPECT_EQ(header["hash"], genesis_.Hash().ToHex());
  EXPECT_EQ(header["height"], 0);
  EXPECT_EQ(header["confirmations"], 1);
  EXPECT_EQ(header["tx_root"], genesis_.header.tx_root.ToHex());
  EXPECT_EQ(header["ntx"], 1);
  EXPECT_FALSE(header.contains("previousblockhash"));
  EXPECT_FALSE(header.contains("nextblockhash"));

  const json hex = Call("getblockheader", {genesis_.Hash().ToHex(), false});
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(ParseHex(hex.get<std::string>(), &bytes));
  BlockHeader decoded;
  ASSERT_TRUE(Deserialize(bytes, &decoded).ok());
  EXPECT_EQ(decoded, genesis_.header);
}

TEST_F(NodeRpcTest, GetBlockHeaderErrors) {
  std::string message;
  EXPECT_EQ(ErrorOf("getblockheader", {std::string(64, '0')}, &message),
            rpc::kRpcInvalidAddressOrKey);
  EXPECT_EQ(message, "Block not found");
  EXPECT_EQ(ErrorOf("getblockheader", {"abc"}, &message), rpc::kRpcInvalidParameter);
  EXPECT_EQ(message, "blockhash must be of length 64 (not 3, for 'abc')");
  EXPECT_EQ(ErrorOf("getblockheader", {std::string(64, 'z')}, &message), rpc::kRpcInvalidParameter);
  EXPECT_EQ(message, "blockhash must be hexadecimal string (not '" + std::string(64, 'z') + "')");
}

TEST_F(NodeRpcTest, ChainLinksAndConfirmations) {
  const Block one = ConnectBlock(2);
  const Block two = ConnectBlock(0);
  EXPECT_EQ(Call("getblockcount"), 2);
  const json header = Call("getblockheader", {one.Hash().ToHex()});
  EXPECT_EQ(header["confirmations"], 2);
  EXPECT_EQ(header["previousblockhash"], genesis_.Hash().ToHex());
  EXPECT_EQ(header["nextblockhash"], two.Hash().ToHex());
  EXPECT_EQ(header["nrecords"], 2);
  EXPECT_EQ(Call("getblockhash", {2}), two.Hash().ToHex());
}

TEST_F(NodeRpcTest, GetBlockVerbosities) {
  const Block block = ConnectBlock(1);
  const std::string hash = block.Hash().ToHex();
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(ParseHex(Call("getblock", {hash, 0}).get<std::string>(), &bytes));
  Block decoded;
  ASSERT_TRUE(Deserialize(bytes, &decoded).ok());
  EXPECT_EQ(decoded, block);

  const json one = Call("getblock", {hash});
  EXPECT_EQ(one["tx"], json::array({block.txs[0].Txid().ToHex()}));
  EXPECT_EQ(one["records"], json::array({block.records[0].Hash().ToHex()}));
  EXPECT_EQ(one["size"], bytes.size());

  const json two = Call("getblock", {hash, 2});
  EXPECT_EQ(two["tx"][0]["txid"], block.txs[0].Txid().ToHex());
  EXPECT_EQ(two["tx"][0]["vout"][0]["value"], 1.0);
  EXPECT_EQ(two["records"][0]["unit"]["kind"], "forward");

  std::string message;
  EXPECT_EQ(ErrorOf("getblock", {hash, 3}, &message), rpc::kRpcInvalidParameter);
  EXPECT_EQ(message, "Invalid verbosity: must be 0, 1 or 2");
}

// The members after the header are kept between requests
// (node/rendered_blocks.h); the header's must still follow the chain.
TEST_F(NodeRpcTest, RepeatedGetBlockFollowsTheChain) {
  const Block block = ConnectBlock(1);
  const std::string hash = block.Hash().ToHex();
  for (int verbosity : {1, 2}) {
    const json before = Call("getblock", {hash, verbosity});
    EXPECT_EQ(before["confirmations"], 1);
    EXPECT_FALSE(before.contains("nextblockhash"));
    const Block next = ConnectBlock(0);
    json after = Call("getblock", {hash, verbosity});
    EXPECT_EQ(after["confirmations"], 2);
    EXPECT_EQ(after["nextblockhash"], next.Hash().ToHex());
    EXPECT_EQ(after["tx"], before["tx"]);
    EXPECT_EQ(after["records"], before["records"]);
    after.erase("confirmations");
    after.erase("nextblockhash");
    json expected = before;
    expected.erase("confirmations");
    EXPECT_EQ(after, expected);
    Block disconnected;
    ASSERT_TRUE(node_.chain->DisconnectTip(&disconnected).ok());
    ASSERT_EQ(disconnected, next);
  }
}

TEST_F(NodeRpcTest, GetBlockchainInfo) {
  const json info = Call("getblockchaininfo");
  EXPECT_EQ(info["chain"], "regtest");
  EXPECT_EQ(info["blocks"], 0);
  EXPECT_EQ(info["bestblockhash"], genesis_.Hash().ToHex());
  EXPECT_EQ(info["time"], genesis_.header.time);
}

TEST_F(NodeRpcTest, GetHeaders) {
  ConnectBlock(0);
  ConnectBlock(0);
  json headers = Call("getheaders", {1});
  ASSERT_EQ(headers.size(), 2u);
  headers = Call("getheaders", {0, 2});
  ASSERT_EQ(headers.size(), 2u);
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(ParseHex(headers[0].get<std::string>(), &bytes));
  BlockHeader decoded;
  ASSERT_TRUE(Deserialize(bytes, &decoded).ok());
  EXPECT_EQ(decoded, genesis_.header);
  EXPECT_EQ(ErrorOf("getheaders", {3}), rpc::kRpcInvalidParameter);
  EXPECT_EQ(ErrorOf("getheaders", {0, 0}), rpc::kRpcInvalidParameter);
  EXPECT_EQ(ErrorOf("getheaders", {0, 2001}), rpc::kRpcInvalidParameter);
}

TEST_F(NodeRpcTest, TxOutProofOfTheGenesisCoinbase) {
  const Uint256 txid = genesis_.txs[0].Txid();
  const json proof = Call("gettxoutproof", {txid.ToHex(), genesis_.Hash().ToHex()});
  EXPECT_EQ(proof["txid"], txid.ToHex());
  std::string reason;
  EXPECT_TRUE(VerifyTxOutProof(proof, txid, genesis_.header, &reason)) << reason;

  std::string message;
  EXPECT_EQ(ErrorOf("gettxoutproof", {std::string(64, '1'), genesis_.Hash().ToHex()}, &message),
            rpc::kRpcInvalidAddressOrKey);
  EXPECT_EQ(message, "Transaction not found in block");
  EXPECT_EQ(ErrorOf("gettxoutproof", {txid.ToHex(), std::string(64, '1')}, &message),
            rpc::kRpcInvalidAddressOrKey);
  EXPECT_EQ(message, "Block not found");
}

TEST_F(NodeRpcTest, WorkProof) {
  const Block block = ConnectBlock(3);
  const Uint256 record = block.records[2].Hash();
  const json proof = Call("getworkproof", {record.ToHex(), block.Hash().ToHex()});
  std::string reason;
  EXPECT_TRUE(VerifyWorkProof(proof, record, block.header, &reason)) << reason;
  std::string message;
  EXPECT_EQ(ErrorOf("getworkproof", {record.ToHex(), genesis_.Hash().ToHex()}, &message),
            rpc::kRpcInvalidAddressOrKey);
  EXPECT_EQ(message, "Work record not found in block");
}

TEST_F(NodeRpcTest, NetworkInfoAndUptime) {
  const json info = Call("getnetworkinfo");
  EXPECT_EQ(info["subversion"], "/Computecoin:0.1.0/");
  EXPECT_EQ(info["version"], 100);
  EXPECT_GE(Call("uptime").get<int64_t>(), 0);
}

// The cli's static conversion table must agree with the methods: every
// non-string argument is converted from JSON, and every row names a real one.
TEST_F(NodeRpcTest, CliConversionTableMatchesTheMethods) {
  for (const std::string& name : table_.MethodNames()) {
    const rpc::RpcMethod* method = table_.Find(name);
    for (size_t i = 0; i < method->args().size(); ++i) {
      const rpc::RpcArg& arg = method->args()[i];
      const auto rows = rpc::CliJsonParams();
      const bool listed =
          std::any_of(rows.begin(), rows.end(), [&](const rpc::CliParamConversion& row) {
            return name == row.method && static_cast<size_t>(row.index) == i &&
                   arg.name == row.name;
          });
      EXPECT_EQ(listed, rpc::IsJsonType(arg.type))
          << name << " argument " << i << " (" << arg.name << ")";
    }
  }
  for (const rpc::CliParamConversion& row : rpc::CliJsonParams()) {
    const rpc::RpcMethod* method = table_.Find(row.method);
    ASSERT_NE(method, nullptr) << row.method;
    ASSERT_LT(static_cast<size_t>(row.index), method->args().size()) << row.method;
    EXPECT_EQ(method->args()[static_cast<size_t>(row.index)].name, row.name) << row.method;
  }
}

TEST_F(NodeRpcTest, EveryMethodHasHelpAndExamples) {
  for (const std::string& name : table_.MethodNames()) {
    const std::string help = Call("help", {name});
    EXPECT_EQ(help.rfind(name, 0), 0u) << help;
    EXPECT_NE(help.find("Examples:"), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace cc
