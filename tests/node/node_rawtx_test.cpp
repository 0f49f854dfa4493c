// The raw-transaction and mempool RPC methods on a real chain database in a
// temporary directory, called through the method table as the server calls
// them. A funding coin is made by connecting blocks straight onto the
// ChainState (no consensus checks, no torch): a coinbase paying the test
// key at height 1, then empty blocks until it is mature. Every error path is
// checked with its exact code and message.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "chain/hex.h"
#include "chain/serialize.h"
#include "chain/tx_sign.h"
#include "consensus/genesis.h"
#include "node/fee_estimation.h"
#include "node/init.h"
#include "node/rpc_register.h"
#include "rpc/json_format.h"
#include "rpc/table.h"
#include "tests/util/test_util.h"

namespace cc {
namespace {

using rpc::json;

constexpr Amount kFundValue = 10 * kCoin;
/// A fee that clears the minimum relay fee (1000 per kB) with room to spare
/// and stays far below the default maxfeerate (0.10 coins/kB).
constexpr Amount kFee = 10'000;

std::string Hex(const Transaction& tx) { return HexStr(Serialize(tx)); }

class NodeRawTxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_.params = &RegtestParams();
    node_.datadir = dir_.path();
    ASSERT_TRUE(LoadChain(&node_).ok());
    node_.mempool = std::make_unique<Mempool>();
    ASSERT_TRUE(RegisterNodeRpcs(table_, node_).ok());
    table_.SetWarmupFinished();
    // Block 1 pays the funding coin; blocks 2..100 make it mature for a
    // transaction in block 101 (kCoinbaseMaturity).
    const Block one = ConnectBlock({}, {Pays(kFundValue), Pays(kFundValue)});
    fund_ = {OutPoint{one.txs[0].Txid(), 0}, one.txs[0].outputs[0]};
    fund2_ = {OutPoint{one.txs[0].Txid(), 1}, one.txs[0].outputs[1]};
    for (uint32_t h = 2; h <= kCoinbaseMaturity; ++h) ConnectBlock({});
  }
  void TearDown() override {
    node_.mempool.reset();
    node_.chain.reset();
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

  // testmempoolaccept's params. (A braced {array} would be taken for the
  // array itself by nlohmann::json, so the params are built explicitly.)
  static json Params(json rawtxs, json maxfeerate = nullptr) {
    json params = json::array();
    params.push_back(std::move(rawtxs));
    if (!maxfeerate.is_null()) params.push_back(std::move(maxfeerate));
    return params;
  }
  json TestAccept(json rawtxs, json maxfeerate = nullptr) {
    return Call("testmempoolaccept", Params(std::move(rawtxs), std::move(maxfeerate)));
  }

  TxOut Pays(Amount value) const {
    return TxOut{value, OutputKind::kPayToKeyHash, KeyHash(key_.PublicKey())};
  }

  // Connects a block on the tip: a coinbase with `coinbase_outputs` (one
  // unowned coin if empty), then `txs`. The mempool is trimmed as the
  // node's MempoolUpdater would.
  Block ConnectBlock(std::vector<Transaction> txs, std::vector<TxOut> coinbase_outputs = {}) {
    Uint256 tip;
    uint32_t height = 0;
    EXPECT_TRUE(node_.chain->GetTip(&tip, &height).ok());
    Block block;
    block.header.height = height + 1;
    block.header.prev = tip;
    block.header.time = 1'700'000'000 + block.header.height;
    Transaction coinbase;
    coinbase.lock_height = block.header.height;
    if (coinbase_outputs.empty()) coinbase_outputs.push_back(TxOut{kCoin, {}, Uint256()});
    coinbase.outputs = std::move(coinbase_outputs);
    block.txs.push_back(coinbase);
    for (Transaction& tx : txs) block.txs.push_back(std::move(tx));
    block.header.tx_root = block.ComputeTxRoot();
    block.header.work_root = block.ComputeWorkRoot();
    EXPECT_TRUE(node_.chain->ConnectTip(block).ok());
    node_.mempool->RemoveForBlock(block);
    return block;
  }

  // A transaction spending `in` into outputs of `values` to the test key,
  // signed by `signer` (the test key by default).
  Transaction Spend(const std::pair<OutPoint, TxOut>& in, const std::vector<Amount>& values,
                    const PrivateKey* signer = nullptr) const {
    const PrivateKey& key = signer != nullptr ? *signer : key_;
    Transaction tx;
    tx.inputs.push_back(TxIn{in.first, key.PublicKey(), {}});
    for (Amount v : values) tx.outputs.push_back(Pays(v));
    EXPECT_TRUE(SignInput(&tx, 0, in.second, key).ok());
    return tx;
  }
  Transaction Pay(const std::pair<OutPoint, TxOut>& in, Amount fee) const {
    return Spend(in, {in.second.value - fee});
  }
  static std::pair<OutPoint, TxOut> Output(const Transaction& tx, uint32_t i) {
    return {OutPoint{tx.Txid(), i}, tx.outputs[i]};
  }

  test::TempDir dir_;
  NodeContext node_;
  rpc::RpcTable table_;
  const PrivateKey key_ = test::TestKey(7);
  std::pair<OutPoint, TxOut> fund_;
  std::pair<OutPoint, TxOut> fund2_;
};

// ---- decoderawtransaction

TEST_F(NodeRawTxTest, DecodeRawTransaction) {
  const Transaction tx = Spend(fund_, {kCoin, kFundValue - kCoin - kFee});
  const json decoded = Call("decoderawtransaction", {Hex(tx)});
  EXPECT_EQ(decoded["txid"], tx.Txid().ToHex());
  EXPECT_EQ(decoded["wtxid"], tx.Wtxid().ToHex());
  EXPECT_EQ(decoded["size"], Serialize(tx).size());
  EXPECT_EQ(decoded["vin"][0]["txid"], fund_.first.txid.ToHex());
  EXPECT_EQ(decoded["vin"][0]["vout"], 0);
  EXPECT_EQ(decoded["vin"][0]["pubkey"], HexStr(key_.PublicKey()));
  EXPECT_EQ(decoded["vout"][0]["value"], 1.0);
  EXPECT_EQ(decoded["vout"][1]["n"], 1);
  EXPECT_EQ(decoded["vout"][1]["kind"], "pay_to_key_hash");
}

TEST_F(NodeRawTxTest, DecodeErrors) {
  const std::string hex = Hex(Pay(fund_, kFee));
  std::string message;
  for (const std::string& bad :
       {std::string("zz"), std::string("abc"), hex.substr(0, 40), hex + "00", std::string()}) {
    EXPECT_EQ(ErrorOf("decoderawtransaction", {bad}, &message), rpc::kRpcDeserializationError)
        << bad;
    EXPECT_EQ(message, "TX decode failed");
    EXPECT_EQ(ErrorOf("sendrawtransaction", {bad}, &message), rpc::kRpcDeserializationError);
    EXPECT_EQ(message, "TX decode failed");
  }
  EXPECT_EQ(ErrorOf("decoderawtransaction", {1}, &message), rpc::kRpcTypeError);
  EXPECT_EQ(message,
            "JSON value of type number for argument hexstring is not of expected type string, hex");
}

// ---- sendrawtransaction, and the mempool methods on what it added

TEST_F(NodeRawTxTest, SendRawTransactionEntersTheMempool) {
  const Transaction tx = Pay(fund_, kFee);
  const std::string txid = tx.Txid().ToHex();
  EXPECT_EQ(Call("sendrawtransaction", {Hex(tx)}), txid);
  EXPECT_EQ(Call("getrawmempool"), json::array({txid}));
  // Sending it again is not an error: the txid comes back.
  EXPECT_EQ(Call("sendrawtransaction", {Hex(tx)}), txid);

  const json entry = Call("getmempoolentry", {txid});
  const size_t size = Serialize(tx).size();
  EXPECT_EQ(entry["size"], size);
  EXPECT_EQ(entry["vsize"], size);
  EXPECT_DOUBLE_EQ(entry["fee"].get<double>(), 0.0001);
  EXPECT_DOUBLE_EQ(entry["fees"]["base"].get<double>(), 0.0001);
  EXPECT_DOUBLE_EQ(entry["fees"]["descendant"].get<double>(), 0.0001);
  EXPECT_EQ(entry["height"], kCoinbaseMaturity);
  EXPECT_GT(entry["time"].get<int64_t>(), 1'600'000'000);
  EXPECT_EQ(entry["ancestorcount"], 1);
  EXPECT_EQ(entry["descendantsize"], size);
  EXPECT_EQ(entry["wtxid"], tx.Wtxid().ToHex());
  EXPECT_EQ(entry["depends"], json::array());
  EXPECT_EQ(entry["spentby"], json::array());

  const json info = Call("getmempoolinfo");
  EXPECT_EQ(info["loaded"], true);
  EXPECT_EQ(info["size"], 1);
  EXPECT_EQ(info["bytes"], size);
  EXPECT_GT(info["usage"].get<int64_t>(), 0);
  EXPECT_DOUBLE_EQ(info["total_fee"].get<double>(), 0.0001);
  EXPECT_EQ(info["maxmempool"], kDefaultMempoolMaxBytes);
  EXPECT_DOUBLE_EQ(info["minrelaytxfee"].get<double>(), 0.00001);
  EXPECT_DOUBLE_EQ(info["mempoolminfee"].get<double>(), 0.00001);
}

TEST_F(NodeRawTxTest, UnconfirmedChainShowsDependsAndSpentBy) {
  const Transaction parent = Spend(fund_, {kCoin, kFundValue - kCoin - kFee});
  const Transaction child = Pay(Output(parent, 1), kFee);
  ASSERT_EQ(Call("sendrawtransaction", {Hex(parent)}), parent.Txid().ToHex());
  ASSERT_EQ(Call("sendrawtransaction", {Hex(child)}), child.Txid().ToHex());
  const json pool = Call("getrawmempool", {true});
  ASSERT_EQ(pool.size(), 2u);
  const json& p = pool[parent.Txid().ToHex()];
  const json& c = pool[child.Txid().ToHex()];
  EXPECT_EQ(p["spentby"], json::array({child.Txid().ToHex()}));
  EXPECT_EQ(p["descendantcount"], 2);
  EXPECT_DOUBLE_EQ(p["fees"]["descendant"].get<double>(), 0.0002);
  EXPECT_EQ(c["depends"], json::array({parent.Txid().ToHex()}));
  EXPECT_EQ(c["ancestorcount"], 2);
  EXPECT_EQ(c["ancestorsize"], Serialize(parent).size() + Serialize(child).size());
  EXPECT_EQ(Call("getrawmempool", {false}).size(), 2u);
}

// ---- gettxout: the UTXO set, seen through the mempool unless told not to

TEST_F(NodeRawTxTest, GetTxOutFollowsTheChainAndTheMempool) {
  const std::string fund_txid = fund_.first.txid.ToHex();
  const json confirmed = Call("gettxout", {fund_txid, 0});
  EXPECT_EQ(confirmed["confirmations"], kCoinbaseMaturity);  // block 1 of tip 100
  EXPECT_DOUBLE_EQ(confirmed["value"].get<double>(), 10.0);
  EXPECT_EQ(confirmed["kind"], "pay_to_key_hash");
  EXPECT_EQ(confirmed["lock"], fund_.second.lock.ToHex());
  EXPECT_EQ(confirmed["coinbase"], true);
  EXPECT_TRUE(Call("gettxout", {fund_txid, 2}).is_null());  // no such output

  // Spent in the mempool: gone unless the mempool is left out; the
  // spender's outputs are there with 0 confirmations.
  const Transaction spend = Spend(fund_, {kCoin, kFundValue - kCoin - kFee});
  ASSERT_EQ(Call("sendrawtransaction", {Hex(spend)}), spend.Txid().ToHex());
  EXPECT_TRUE(Call("gettxout", {fund_txid, 0}).is_null());
  EXPECT_EQ(Call("gettxout", {fund_txid, 0, false})["confirmations"], kCoinbaseMaturity);
  const json pending = Call("gettxout", {spend.Txid().ToHex(), 1});
  EXPECT_EQ(pending["confirmations"], 0);
  EXPECT_DOUBLE_EQ(pending["value"].get<double>(), 8.9999);
  EXPECT_EQ(pending["coinbase"], false);
  EXPECT_TRUE(Call("gettxout", {spend.Txid().ToHex(), 1, false}).is_null());

  // Mined: the spent coin is gone for good, the new one confirmed once.
  ConnectBlock({spend});
  EXPECT_TRUE(Call("gettxout", {fund_txid, 0, false}).is_null());
  EXPECT_EQ(Call("gettxout", {spend.Txid().ToHex(), 1})["confirmations"], 1);

  EXPECT_EQ(ErrorOf("gettxout", {"00", 0}), rpc::kRpcInvalidParameter);
  EXPECT_EQ(ErrorOf("gettxout", {fund_txid, -1}), rpc::kRpcInvalidParameter);
}

TEST_F(NodeRawTxTest, SendMissingInputsIsVerifyError) {
  const Transaction parent = Pay(fund_, kFee);
  const Transaction orphan = Pay(Output(parent, 0), kFee);
  std::string message;
  EXPECT_EQ(ErrorOf("sendrawtransaction", {Hex(orphan)}, &message), rpc::kRpcVerifyError);
  EXPECT_EQ(message, "bad-txns-inputs-missingorspent, vin 0");
}

TEST_F(NodeRawTxTest, SendDoubleSpendIsRejected) {
  ASSERT_EQ(ErrorOf("sendrawtransaction", {Hex(Pay(fund_, kFee))}), 0);
  std::string message;
  // The same fee over more bytes: no replacement (chain/mempool.h).
  const Transaction double_spend = Spend(fund_, {kCoin, kFundValue - kCoin - kFee});
  EXPECT_EQ(ErrorOf("sendrawtransaction", {Hex(double_spend)}, &message),
            rpc::kRpcVerifyRejected);
  EXPECT_EQ(message.rfind("insufficient fee, rejecting replacement", 0), 0u) << message;
}

TEST_F(NodeRawTxTest, SendPolicyRejections) {
  std::string message;
  const Transaction free_tx = Pay(fund_, 0);
  EXPECT_EQ(ErrorOf("sendrawtransaction", {Hex(free_tx)}, &message), rpc::kRpcVerifyRejected);
  EXPECT_EQ(message, "min-relay-fee-not-met, 0 < " + std::to_string(Serialize(free_tx).size()));

  // A coinbase of the tip is far from mature.
  const Block young = ConnectBlock({}, {Pays(kFundValue)});
  EXPECT_EQ(ErrorOf("sendrawtransaction", {Hex(Pay(Output(young.txs[0], 0), kFee))}, &message),
            rpc::kRpcVerifyRejected);
  EXPECT_EQ(message, "bad-txns-premature-spend-of-coinbase, vin 0");
}

TEST_F(NodeRawTxTest, SendConsensusRejections) {
  std::string message;
  Transaction bad_sig = Pay(fund_, kFee);
  bad_sig.inputs[0].signature[5] ^= 1;
  EXPECT_EQ(ErrorOf("sendrawtransaction", {Hex(bad_sig)}, &message), rpc::kRpcVerifyRejected);
  EXPECT_EQ(message, "bad-txns-bad-sig, vin 0");

  const PrivateKey stranger = test::TestKey(8);
  Transaction wrong_key = Pay(fund_, kFee);
  wrong_key.inputs[0].pubkey = stranger.PublicKey();
  EXPECT_EQ(ErrorOf("sendrawtransaction", {Hex(wrong_key)}, &message), rpc::kRpcVerifyRejected);
  EXPECT_EQ(message, "bad-txns-wrong-key, vin 0");

  const Transaction overspend = Spend(fund_, {kFundValue + 1});
  EXPECT_EQ(ErrorOf("sendrawtransaction", {Hex(overspend)}, &message), rpc::kRpcVerifyRejected);
  EXPECT_EQ(message, "bad-txns-in-belowout, " + std::to_string(kFundValue) + " < " +
                         std::to_string(kFundValue + 1));

  Transaction no_outputs = Pay(fund_, kFee);
  no_outputs.outputs.clear();
  EXPECT_EQ(ErrorOf("sendrawtransaction", {Hex(no_outputs)}, &message), rpc::kRpcVerifyRejected);
  EXPECT_EQ(message, "bad-txns-vout-empty");

  Transaction coinbase;
  coinbase.outputs.push_back(Pays(kCoin));
  EXPECT_EQ(ErrorOf("sendrawtransaction", {Hex(coinbase)}, &message), rpc::kRpcVerifyRejected);
  EXPECT_EQ(message, "coinbase");
  EXPECT_EQ(Call("getmempoolinfo")["size"], 0);
}

TEST_F(NodeRawTxTest, SendConfirmedTransactionIsAlreadyInChain) {
  const Transaction tx = Pay(fund_, kFee);
  ConnectBlock({tx});
  std::string message;
  EXPECT_EQ(ErrorOf("sendrawtransaction", {Hex(tx)}, &message), rpc::kRpcVerifyAlreadyInChain);
  EXPECT_EQ(message, "Transaction outputs already in utxo set");
}

TEST_F(NodeRawTxTest, SendMaxFeeRate) {
  // 1 coin on a ~170-byte transaction is ~6 coins/kB, over the 0.10 default.
  const Transaction greedy = Pay(fund_, kCoin);
  std::string message;
  EXPECT_EQ(ErrorOf("sendrawtransaction", {Hex(greedy)}, &message), rpc::kRpcVerifyError);
  EXPECT_EQ(message, "Fee exceeds maximum configured by user (maxfeerate)");
  EXPECT_EQ(ErrorOf("sendrawtransaction", {Hex(greedy), 0.5}, &message), rpc::kRpcVerifyError);

  EXPECT_EQ(ErrorOf("sendrawtransaction", {Hex(greedy), 1}, &message), rpc::kRpcInvalidParameter);
  EXPECT_EQ(message, "Fee rates larger than or equal to 1 coin/kB are not accepted");
  EXPECT_EQ(ErrorOf("sendrawtransaction", {Hex(greedy), -0.1}, &message), rpc::kRpcTypeError);
  EXPECT_EQ(message, "Amount out of range");
  EXPECT_EQ(ErrorOf("sendrawtransaction", {Hex(greedy), 0.000000001}, &message),
            rpc::kRpcTypeError);
  EXPECT_EQ(message, "Invalid amount");
  EXPECT_EQ(ErrorOf("sendrawtransaction", {Hex(greedy), "0.1"}, &message), rpc::kRpcTypeError);
  EXPECT_EQ(message,
            "JSON value of type string for argument maxfeerate is not of expected type numeric");

  // 0 turns the check off.
  EXPECT_EQ(Call("sendrawtransaction", {Hex(greedy), 0}), greedy.Txid().ToHex());
}

// ---- testmempoolaccept

TEST_F(NodeRawTxTest, TestMempoolAcceptAllowsWithoutAdding) {
  const Transaction tx = Pay(fund_, kFee);
  const json results = TestAccept(json::array({Hex(tx)}));
  ASSERT_EQ(results.size(), 1u);
  const json& r = results[0];
  const size_t size = Serialize(tx).size();
  EXPECT_EQ(r["txid"], tx.Txid().ToHex());
  EXPECT_EQ(r["wtxid"], tx.Wtxid().ToHex());
  EXPECT_EQ(r["allowed"], true);
  EXPECT_EQ(r["vsize"], size);
  EXPECT_DOUBLE_EQ(r["fees"]["base"].get<double>(), 0.0001);
  EXPECT_DOUBLE_EQ(r["fees"]["effective-feerate"].get<double>(),
                   static_cast<double>(kFee * 1000 / static_cast<Amount>(size)) / kCoin);
  EXPECT_EQ(r["fees"]["effective-includes"], json::array({tx.Wtxid().ToHex()}));
  EXPECT_FALSE(r.contains("reject-reason"));
  EXPECT_EQ(Call("getmempoolinfo")["size"], 0);
}

TEST_F(NodeRawTxTest, TestMempoolAcceptRejections) {
  const Transaction tx = Pay(fund_, kFee);
  ASSERT_EQ(ErrorOf("sendrawtransaction", {Hex(tx)}), 0);

  json r = TestAccept(json::array({Hex(tx)}))[0];
  EXPECT_EQ(r["allowed"], false);
  EXPECT_EQ(r["reject-reason"], "txn-already-in-mempool");
  EXPECT_EQ(r["reject-details"], "txn-already-in-mempool");

  r = TestAccept(json::array({Hex(Spend(fund_, {kCoin, kFundValue - kCoin - kFee}))}))[0];
  EXPECT_EQ(r["reject-reason"], "insufficient fee");
  EXPECT_EQ(r["reject-details"].get<std::string>().rfind("insufficient fee, rejecting", 0), 0u);

  r = TestAccept(json::array({Hex(Pay(Output(Pay(fund2_, kFee), 0), kFee))}))[0];
  EXPECT_EQ(r["allowed"], false);
  EXPECT_EQ(r["reject-reason"], "missing-inputs");
  EXPECT_FALSE(r.contains("reject-details"));

  const Transaction greedy = Pay(fund2_, kCoin);
  r = TestAccept(json::array({Hex(greedy)}))[0];
  EXPECT_EQ(r["allowed"], false);
  EXPECT_EQ(r["reject-reason"], "max-fee-exceeded");
  r = TestAccept(json::array({Hex(greedy)}), 0)[0];
  EXPECT_EQ(r["allowed"], true);
}

TEST_F(NodeRawTxTest, TestMempoolAcceptPackage) {
  const Transaction parent = Spend(fund_, {kCoin, kFundValue - kCoin - kFee});
  const Transaction child = Pay(Output(parent, 1), kFee);
  json results = TestAccept(json::array({Hex(parent), Hex(child)}));
  EXPECT_EQ(results[0]["allowed"], true);
  EXPECT_EQ(results[1]["allowed"], true);

  // Validation stops at the first failure; later transactions get ids only.
  const Transaction bad = Pay(fund2_, 0);
  results = TestAccept(json::array({Hex(bad), Hex(parent), Hex(child)}));
  EXPECT_EQ(results[0]["reject-reason"], "min-relay-fee-not-met");
  EXPECT_EQ(results[1], json({{"txid", parent.Txid().ToHex()}, {"wtxid", parent.Wtxid().ToHex()}}));
  EXPECT_FALSE(results[2].contains("allowed"));

  const auto package_error = [&](const json& rawtxs) {
    const json out = TestAccept(rawtxs);
    for (const json& r : out) EXPECT_FALSE(r.contains("allowed")) << r;
    return out[0]["package-error"];
  };
  EXPECT_EQ(package_error(json::array({Hex(child), Hex(parent)})), "package-not-sorted");
  EXPECT_EQ(package_error(json::array({Hex(parent), Hex(parent)})), "package-contains-duplicates");
  EXPECT_EQ(package_error(json::array({Hex(Pay(fund_, kFee)), Hex(Pay(fund_, 2 * kFee))})),
            "conflict-in-package");
}

TEST_F(NodeRawTxTest, TestMempoolAcceptArgumentErrors) {
  const std::string hex = Hex(Pay(fund_, kFee));
  std::string message;
  EXPECT_EQ(ErrorOf("testmempoolaccept", Params(json::array()), &message),
            rpc::kRpcInvalidParameter);
  EXPECT_EQ(message, "Array must contain between 1 and 25 transactions.");
  EXPECT_EQ(ErrorOf("testmempoolaccept", Params(std::vector<std::string>(26, hex)), &message),
            rpc::kRpcInvalidParameter);
  EXPECT_EQ(message, "Array must contain between 1 and 25 transactions.");
  EXPECT_EQ(ErrorOf("testmempoolaccept", Params(json::array({hex, "00"})), &message),
            rpc::kRpcDeserializationError);
  EXPECT_EQ(message, "TX decode failed: rawtxs[1]");
  EXPECT_EQ(ErrorOf("testmempoolaccept", Params(json::array({7})), &message), rpc::kRpcTypeError);
  EXPECT_EQ(message, "rawtxs[0] is not of expected type string, hex");
  EXPECT_EQ(ErrorOf("testmempoolaccept", Params(hex), &message), rpc::kRpcTypeError);
  EXPECT_EQ(message,
            "JSON value of type string for argument rawtxs is not of expected type json array");
  EXPECT_EQ(ErrorOf("testmempoolaccept", Params(json::array({hex}), 2), &message),
            rpc::kRpcInvalidParameter);
  EXPECT_EQ(message, "Fee rates larger than or equal to 1 coin/kB are not accepted");
}

// ---- getrawtransaction

TEST_F(NodeRawTxTest, GetRawTransactionFromTheMempool) {
  const Transaction tx = Pay(fund_, kFee);
  ASSERT_EQ(ErrorOf("sendrawtransaction", {Hex(tx)}), 0);
  const std::string txid = tx.Txid().ToHex();
  EXPECT_EQ(Call("getrawtransaction", {txid}), Hex(tx));
  EXPECT_EQ(Call("getrawtransaction", {txid, 0}), Hex(tx));
  const json verbose = Call("getrawtransaction", {txid, true});
  EXPECT_EQ(verbose["hex"], Hex(tx));
  EXPECT_EQ(verbose["txid"], txid);
  EXPECT_FALSE(verbose.contains("blockhash"));
  EXPECT_FALSE(verbose.contains("confirmations"));
  EXPECT_EQ(Call("getrawtransaction", {txid, 1}), verbose);
}

TEST_F(NodeRawTxTest, GetRawTransactionFromABlock) {
  const Transaction tx = Pay(fund_, kFee);
  ASSERT_EQ(ErrorOf("sendrawtransaction", {Hex(tx)}), 0);
  const Block block = ConnectBlock({tx});
  ConnectBlock({});
  EXPECT_EQ(Call("getrawmempool"), json::array());
  const std::string txid = tx.Txid().ToHex();
  const std::string hash = block.Hash().ToHex();

  std::string message;
  EXPECT_EQ(ErrorOf("getrawtransaction", {txid}, &message), rpc::kRpcInvalidAddressOrKey);
  EXPECT_EQ(message,
            "No such mempool transaction. This node keeps no transaction index: provide a block "
            "hash to enable blockchain transaction queries");

  EXPECT_EQ(Call("getrawtransaction", {txid, false, hash}), Hex(tx));
  const json verbose = Call("getrawtransaction", {txid, true, hash});
  EXPECT_EQ(verbose["in_active_chain"], true);
  EXPECT_EQ(verbose["blockhash"], hash);
  EXPECT_EQ(verbose["confirmations"], 2);
  EXPECT_EQ(verbose["blocktime"], block.header.time);
  EXPECT_EQ(verbose["time"], block.header.time);
  EXPECT_EQ(verbose["hex"], Hex(tx));
  EXPECT_EQ(verbose["vout"][0]["value"], static_cast<double>(kFundValue - kFee) / kCoin);
}

TEST_F(NodeRawTxTest, GetRawTransactionOffTheActiveChain) {
  const Transaction tx = Pay(fund_, kFee);
  const Block block = ConnectBlock({tx});
  Block disconnected;
  ASSERT_TRUE(node_.chain->DisconnectTip(&disconnected).ok());
  const json verbose = Call("getrawtransaction", {tx.Txid().ToHex(), true, block.Hash().ToHex()});
  EXPECT_EQ(verbose["in_active_chain"], false);
  EXPECT_EQ(verbose["confirmations"], 0);
  EXPECT_FALSE(verbose.contains("blocktime"));
}

TEST_F(NodeRawTxTest, GetRawTransactionErrors) {
  const std::string txid = Pay(fund_, kFee).Txid().ToHex();
  Uint256 tip;
  uint32_t height = 0;
  ASSERT_TRUE(node_.chain->GetTip(&tip, &height).ok());
  std::string message;
  EXPECT_EQ(ErrorOf("getrawtransaction", {txid, false, tip.ToHex()}, &message),
            rpc::kRpcInvalidAddressOrKey);
  EXPECT_EQ(message, "No such transaction found in the provided block");
  EXPECT_EQ(ErrorOf("getrawtransaction", {txid, false, std::string(64, '1')}, &message),
            rpc::kRpcInvalidAddressOrKey);
  EXPECT_EQ(message, "Block hash not found");

  BlockHeader orphan_header;
  orphan_header.prev = tip;
  orphan_header.height = height + 1;
  orphan_header.time = 123;
  ASSERT_TRUE(node_.chain->StoreHeader(orphan_header).ok());
  EXPECT_EQ(ErrorOf("getrawtransaction", {txid, false, orphan_header.Hash().ToHex()}, &message),
            rpc::kRpcMiscError);
  EXPECT_EQ(message, "Block not available");

  EXPECT_EQ(ErrorOf("getrawtransaction", {"abc"}, &message), rpc::kRpcInvalidParameter);
  EXPECT_EQ(message, "txid must be of length 64 (not 3, for 'abc')");
  EXPECT_EQ(ErrorOf("getrawtransaction", {txid, false, "xyz"}, &message),
            rpc::kRpcInvalidParameter);
  EXPECT_EQ(message, "blockhash must be of length 64 (not 3, for 'xyz')");
  EXPECT_EQ(ErrorOf("getrawtransaction", {txid, "yes"}, &message), rpc::kRpcTypeError);
  EXPECT_EQ(message, "verbose must be a boolean or an integer");
}

// ---- getmempoolentry, getrawmempool, getmempoolinfo

TEST_F(NodeRawTxTest, MempoolMethodErrors) {
  std::string message;
  EXPECT_EQ(ErrorOf("getmempoolentry", {std::string(64, '2')}, &message),
            rpc::kRpcInvalidAddressOrKey);
  EXPECT_EQ(message, "Transaction not in mempool");
  EXPECT_EQ(ErrorOf("getmempoolentry", {"12"}, &message), rpc::kRpcInvalidParameter);
  EXPECT_EQ(message, "txid must be of length 64 (not 2, for '12')");
  EXPECT_EQ(ErrorOf("getrawmempool", {1}, &message), rpc::kRpcTypeError);
  EXPECT_EQ(message,
            "JSON value of type number for argument verbose is not of expected type boolean");

  node_.mempool.reset();
  for (const char* method : {"getmempoolinfo", "getrawmempool"}) {
    EXPECT_EQ(ErrorOf(method, json::array(), &message), rpc::kRpcClientMempoolDisabled);
    EXPECT_EQ(message, "Mempool disabled or instance not found");
  }
}

// ---- Fee estimation (node/fee_estimation.h) and estimatesmartfee.

TEST_F(NodeRawTxTest, FeeEstimationFollowsConnectedAndDisconnectedBlocks) {
  FeeEstimation estimation(node_.chain.get(), node_.mempool.get());
  EXPECT_EQ(estimation.Estimate(1).per_kb, kDefaultMinRelayFeePerKb);  // the floor

  const Transaction tx = Pay(fund_, 50'000);
  const Amount rate = 50'000 * 1000 / static_cast<Amount>(Serialize(tx).size());
  const Block block = ConnectBlock({tx});
  estimation.BlockConnected(block, block.header.height);
  EXPECT_EQ(estimation.blocks(), 1u);
  EXPECT_EQ(estimation.Estimate(1).per_kb, rate);  // read from the block's undo data

  estimation.BlockDisconnected(block, block.header.height);
  EXPECT_EQ(estimation.blocks(), 0u);
  EXPECT_EQ(estimation.Estimate(1).per_kb, kDefaultMinRelayFeePerKb);
}

TEST_F(NodeRawTxTest, FeeEstimationCountsABlockWithoutUndoAsEmpty) {
  FeeEstimation estimation(node_.chain.get(), node_.mempool.get());
  Block stray;  // not on the chain: no undo data
  stray.txs.resize(2);
  estimation.BlockConnected(stray, 500);
  EXPECT_EQ(estimation.blocks(), 1u);  // still paired with its disconnect
  EXPECT_EQ(estimation.Estimate(1).per_kb, kDefaultMinRelayFeePerKb);
}

TEST_F(NodeRawTxTest, EstimateSmartFeeAnswersFromTheEstimator) {
  json r = Call("estimatesmartfee", json::array({3}));
  EXPECT_EQ(r["blocks"], 3);
  EXPECT_EQ(r["feerate"], 0.00001);  // no estimator: the mempool's floor
  EXPECT_EQ(r["errors"].size(), 1u);

  node_.fee_estimation = std::make_shared<FeeEstimation>(node_.chain.get(), node_.mempool.get());
  const Transaction tx = Pay(fund_, 50'000);
  const Block block = ConnectBlock({tx});
  node_.fee_estimation->BlockConnected(block, block.header.height);
  r = Call("estimatesmartfee", json::array({1}));
  EXPECT_EQ(r["feerate"],
            static_cast<double>(50'000 * 1000 / static_cast<Amount>(Serialize(tx).size())) / kCoin);
  EXPECT_FALSE(r.contains("errors"));

  std::string message;
  EXPECT_EQ(ErrorOf("estimatesmartfee", json::array({0}), &message), rpc::kRpcInvalidParameter);
  EXPECT_EQ(message, "Invalid conf_target, must be between 1 and 1008");
  EXPECT_EQ(ErrorOf("estimatesmartfee", json::array({1009})), rpc::kRpcInvalidParameter);
  EXPECT_EQ(ErrorOf("estimatesmartfee", json::array({1, "fast"}), &message),
            rpc::kRpcInvalidParameter);
  node_.fee_estimation.reset();
}

}  // namespace
}  // namespace cc
