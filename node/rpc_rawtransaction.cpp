// Raw transactions and the mempool: one function per method, the
// registration table at the bottom (Bitcoin Core's rpc/rawtransaction.cpp
// and rpc/mempool.cpp).
//
// Rejections map to Bitcoin Core's codes (its BroadcastTransaction and
// JSONRPCTransactionError), with the message state.ToString():
//   -22 kRpcDeserializationError  the hex does not decode ("TX decode failed")
//   -25 kRpcVerifyError           missing or spent inputs (kMissingInputs), an
//                                 internal error, or a fee over maxfeerate
//   -26 kRpcVerifyRejected        every other rejection, consensus or policy
//                                 ("insufficient fee, rejecting replacement ...",
//                                 "min-relay-fee-not-met, 100 < 250", ...)
//   -27 kRpcVerifyAlreadyInChain  an output of the transaction is unspent in
//                                 the UTXO set (it is confirmed)
// testmempoolaccept reports the same rejections as results, not errors.
//
// There is no transaction index: getrawtransaction finds confirmed
// transactions only in a block whose hash it is given.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "chain/coins.h"
#include "chain/hex.h"
#include "chain/serialize.h"
#include "node/fee_estimation.h"
#include "node/rpc_helpers.h"
#include "node/rpc_register.h"
#include "node/rpc_wallet_util.h"
#include "node/transaction.h"
#include "rpc/method.h"
#include "rpc/util.h"
#include "wallet/bech32.h"

namespace cc {
namespace {

using rpc::ExampleCli;
using rpc::ExampleRpc;
using rpc::json;
using rpc::RpcArg;
using rpc::RpcError;
using rpc::RpcMethod;
using rpc::RpcRequest;
using rpc::RpcResult;
using rpc::RpcType;

/// Default maxfeerate of sendrawtransaction and testmempoolaccept, in base
/// units per 1000 bytes: 0.10 coins/kB, as Bitcoin Core's 0.10 BTC/kvB.
constexpr Amount kDefaultMaxFeeRate = kCoin / 10;
/// Most transactions testmempoolaccept takes (Bitcoin Core's MAX_PACKAGE_COUNT).
constexpr size_t kMaxPackageCount = 25;

// Fee times size reaches 2^57 * 2^20; 128 bits hold the products exactly.
__extension__ typedef __int128 Int128;

const char* const kTxidExample =
    "\"39ff93117d3587f84464d0918bd3388405cd2677034b7a6a59c590052ef6f336\"";

// ---------------------------------------------------------------------------
// Helpers.

Mempool& MempoolOrThrow(NodeContext& node) {
  if (!node.mempool) {
    throw RpcError(rpc::kRpcClientMempoolDisabled, "Mempool disabled or instance not found");
  }
  return *node.mempool;
}

/// Decodes a hex transaction; nullopt if it is not hex or not one
/// canonically encoded transaction.
std::optional<Transaction> DecodeTx(const std::string& hex) {
  std::vector<uint8_t> bytes;
  Transaction tx;
  if (!ParseHex(hex, &bytes) || !Deserialize(bytes, &tx).ok()) return std::nullopt;
  return tx;
}

Transaction DecodeTxOrThrow(const json& value) {
  std::optional<Transaction> tx = DecodeTx(value.get<std::string>());
  if (!tx) throw RpcError(rpc::kRpcDeserializationError, "TX decode failed");
  return *tx;
}

/// The maxfeerate argument in base units per kB; the default when null.
Amount ParseMaxFeeRate(const json& value) {
  if (value.is_null()) return kDefaultMaxFeeRate;
  const Amount rate = AmountFromValue(value);
  if (rate >= kCoin) {
    throw RpcError(rpc::kRpcInvalidParameter,
                   "Fee rates larger than or equal to 1 coin/kB are not accepted");
  }
  return rate;
}

/// The fee `rate` (per 1000 bytes) asks of `size` bytes.
Amount FeeAtRate(Amount rate, size_t size) {
  return static_cast<Amount>(static_cast<Int128>(rate) * static_cast<Int128>(size) / 1000);
}

/// Throws a mempool rejection with Bitcoin Core's code (file comment).
/// REQUIRES: !state.IsValid().
[[noreturn]] void ThrowRejection(const ValidationState& state) {
  if (state.IsError() || state.result() == ValidationResult::kMissingInputs) {
    throw RpcError(rpc::kRpcVerifyError, state.ToString());
  }
  throw RpcError(rpc::kRpcVerifyRejected, state.ToString());
}

uint32_t SpendHeight(const ChainState& chain) { return ReadTipOrThrow(chain).height + 1; }

/// True if an output of `tx` is unspent in the UTXO set: it is confirmed.
bool OutputsInUtxoSet(const ChainState& chain, const Transaction& tx) {
  const Uint256 txid = tx.Txid();
  for (uint32_t i = 0; i < tx.outputs.size(); ++i) {
    Coin coin;
    const Status s = chain.GetCoin(OutPoint{txid, i}, &coin);
    if (s.ok()) return true;
    if (!s.IsNotFound()) ThrowStoreError(s);
  }
  return false;
}

/// The UTXO set with the outputs of a package's earlier transactions on
/// top (testmempoolaccept), as unconfirmed non-coinbase coins.
class PackageCoins final : public CoinsView {
 public:
  /// REQUIRES: base and every added transaction outlive this view.
  PackageCoins(const CoinsView& base, uint32_t spend_height)
      : base_(base), spend_height_(spend_height) {}

  void Add(const Transaction& tx) { txs_[tx.Txid()] = &tx; }

  Status GetCoin(const OutPoint& outpoint, Coin* coin) const override {
    auto it = txs_.find(outpoint.txid);
    if (it == txs_.end()) return base_.GetCoin(outpoint, coin);
    const std::vector<TxOut>& outputs = it->second->outputs;
    if (outpoint.index >= outputs.size() || !EntersUtxoSet(outputs[outpoint.index]))
      return Status::NotFound("no such output");
    *coin = Coin{outputs[outpoint.index], spend_height_, /*coinbase=*/false};
    return Status::OK();
  }

 private:
  const CoinsView& base_;
  const uint32_t spend_height_;
  std::map<Uint256, const Transaction*> txs_;
};

/// Bitcoin Core's IsWellFormedPackage, for the rules that apply here:
/// returns the package error, or "" if there is none.
std::string PackageError(const std::vector<Transaction>& txs) {
  std::set<Uint256> txids;
  for (const Transaction& tx : txs) {
    if (!txids.insert(tx.Txid()).second) return "package-contains-duplicates";
  }
  std::set<Uint256> later = txids;
  for (const Transaction& tx : txs) {
    later.erase(tx.Txid());
    for (const TxIn& in : tx.inputs) {
      if (later.contains(in.prevout.txid)) return "package-not-sorted";
    }
  }
  std::set<OutPoint> spent;
  for (const Transaction& tx : txs) {
    for (const TxIn& in : tx.inputs) {
      if (!spent.insert(in.prevout).second) return "conflict-in-package";
    }
  }
  return "";
}

// ---------------------------------------------------------------------------
// Result schemas.

std::vector<RpcResult> TxFields() {
  return {
      {RpcType::kHex, "txid", "the transaction id (signatures zeroed)"},
      {RpcType::kHex, "wtxid", "the hash of the full encoding, signatures included"},
      {RpcType::kNumber, "version", "the version"},
      {RpcType::kNumber, "size", "the serialized transaction size in bytes"},
      {RpcType::kNumber, "lock_height",
       "the coinbase's block height; for other transactions not checked by consensus, and\n"
       "relayed only up to the height they would confirm at (a channel refund: its timeout)"},
      {RpcType::kArray,
       "vin",
       "the inputs",
       {{RpcType::kObject,
         "",
         "",
         {{RpcType::kHex, "txid", "the transaction id of the output spent"},
          {RpcType::kNumber, "vout", "the index of the output spent"},
          {RpcType::kHex, "pubkey", "the spender's x-only public key"}}}}},
      {RpcType::kArray,
       "vout",
       "the outputs",
       {{RpcType::kObject,
         "",
         "",
         {{RpcType::kNumber, "n", "the index"},
          {RpcType::kNumber, "value", "the value in coins"},
          {RpcType::kString, "kind",
           "pay_to_key_hash, worker_bond, channel, commitment, unbonding or worker_payout"},
          {RpcType::kHex, "lock",
           "the key hash (pay_to_key_hash, worker_payout) or worker key (worker_bond, "
           "unbonding)"},
          {RpcType::kHex, "owner",
           "worker_bond and unbonding only: the key hash of the key that may spend it"},
          {RpcType::kHex, "payout_signature",
           "worker_payout only: the worker key's signature of the payout"}}}}},
  };
}

std::vector<RpcResult> MempoolEntryFields() {
  return {
      {RpcType::kNumber, "vsize", "the serialized size in bytes (no witness discount: as size)"},
      {RpcType::kNumber, "size", "the serialized size in bytes"},
      {RpcType::kNumber, "fee", "the transaction fee in coins (fees.base)"},
      {RpcType::kNumber, "time", "local time the transaction entered the pool, seconds since 1970"},
      {RpcType::kNumber, "height", "block height when the transaction entered the pool"},
      {RpcType::kNumber, "descendantcount",
       "number of in-mempool descendant transactions (including this one)"},
      {RpcType::kNumber, "descendantsize", "size of in-mempool descendants (including this one)"},
      {RpcType::kNumber, "ancestorcount",
       "number of in-mempool ancestor transactions (including this one)"},
      {RpcType::kNumber, "ancestorsize", "size of in-mempool ancestors (including this one)"},
      {RpcType::kHex, "wtxid", "the hash of the full encoding, signatures included"},
      {RpcType::kObject,
       "fees",
       "",
       {{RpcType::kNumber, "base", "transaction fee, in coins"},
        {RpcType::kNumber, "modified", "as base (there is no prioritisetransaction)"},
        {RpcType::kNumber, "ancestor",
         "fees of in-mempool ancestors (including this one), in coins"},
        {RpcType::kNumber, "descendant",
         "fees of in-mempool descendants (including this one), in coins"}}},
      {RpcType::kArray,
       "depends",
       "unconfirmed transactions used as inputs for this transaction",
       {{RpcType::kHex, "", "parent transaction id"}}},
      {RpcType::kArray,
       "spentby",
       "unconfirmed transactions spending outputs from this transaction",
       {{RpcType::kHex, "", "child transaction id"}}},
  };
}

json EntryToJson(const MempoolEntryDetail& d) {
  json depends = json::array();
  for (const Uint256& id : d.depends) depends.push_back(id.ToHex());
  json spent_by = json::array();
  for (const Uint256& id : d.spent_by) spent_by.push_back(id.ToHex());
  return json{{"vsize", d.info.size},
              {"size", d.info.size},
              {"fee", ValueFromAmount(d.info.fee)},
              {"time", d.info.time},
              {"height", d.info.height},
              {"descendantcount", d.descendant_count},
              {"descendantsize", d.descendant_size},
              {"ancestorcount", d.ancestor_count},
              {"ancestorsize", d.ancestor_size},
              {"wtxid", d.info.tx.Wtxid().ToHex()},
              {"fees",
               {{"base", ValueFromAmount(d.info.fee)},
                {"modified", ValueFromAmount(d.info.fee)},
                {"ancestor", ValueFromAmount(d.ancestor_fees)},
                {"descendant", ValueFromAmount(d.descendant_fees)}}},
              {"depends", std::move(depends)},
              {"spentby", std::move(spent_by)}};
}

const char* const kMaxFeeRateHelp =
    "Reject transactions whose fee rate is higher than this, in coins/kB; 0 accepts any fee rate";

// ---------------------------------------------------------------------------
// Raw transactions.

/// createrawtransaction's inputs: [{"txid": hex, "vout": n}, ...], pubkeys
/// and signatures left zero for signrawtransactionwithwallet to fill.
/// REQUIRES: inputs is an array (the method table checks kArray).
std::vector<TxIn> ParseRawInputs(const json& inputs) {
  std::vector<TxIn> out;
  for (const json& input : inputs) {
    if (!input.is_object()) {
      throw RpcError(rpc::kRpcTypeError, "Invalid parameter, input must be an object");
    }
    for (const auto& [key, value] : input.items()) {
      if (key == "sequence") {
        throw RpcError(rpc::kRpcInvalidParameter,
                       "Invalid parameter, sequence: transactions here have no sequence numbers");
      }
      if (key != "txid" && key != "vout") {
        throw RpcError(rpc::kRpcInvalidParameter, "Invalid parameter, unknown input key: " + key);
      }
    }
    if (!input.contains("txid"))
      throw RpcError(rpc::kRpcInvalidParameter, "Invalid parameter, missing txid key");
    const Uint256 txid = rpc::ParseHashArg(input["txid"], "txid");
    if (!input.contains("vout") || !input["vout"].is_number_integer()) {
      throw RpcError(rpc::kRpcInvalidParameter, "Invalid parameter, missing vout key");
    }
    const int64_t vout = rpc::ParseIntArg(input["vout"], "vout", 0, UINT32_MAX,
                                          "Invalid parameter, vout out of range");
    out.push_back(TxIn{OutPoint{txid, static_cast<uint32_t>(vout)}, {}, {}});
  }
  return out;
}

/// createrawtransaction's outputs: {"address": amount, ...} or a list of
/// one-pair objects (Bitcoin Core's two forms), each address of this network
/// and once only. There is no "data" output: the format has no OP_RETURN.
std::vector<TxOut> ParseRawOutputs(const json& outputs, const std::string& hrp) {
  std::vector<std::pair<std::string, const json*>> pairs;
  if (outputs.is_object()) {
    for (const auto& [key, value] : outputs.items()) pairs.emplace_back(key, &value);
  } else if (outputs.is_array()) {
    for (const json& output : outputs) {
      if (!output.is_object() || output.size() != 1) {
        throw RpcError(rpc::kRpcInvalidParameter,
                       "Invalid parameter, key-value pair must contain exactly one key");
      }
      pairs.emplace_back(output.begin().key(), &output.begin().value());
    }
  } else {
    throw RpcError(rpc::kRpcTypeError, "outputs must be an object or an array");
  }
  if (pairs.empty()) {
    throw RpcError(rpc::kRpcInvalidParameter, "Invalid parameter, outputs must not be empty");
  }
  std::set<std::string> seen;
  std::vector<TxOut> out;
  for (const auto& [address, value] : pairs) {
    if (address == "data") {
      throw RpcError(
          rpc::kRpcInvalidParameter,
          "Invalid parameter, data outputs are not supported by this transaction format");
    }
    Uint256 key_hash;
    const Status s = wallet::DecodeAddress(hrp, address, &key_hash);
    if (!s.ok()) {
      throw RpcError(rpc::kRpcInvalidAddressOrKey, "Invalid address: " + s.message());
    }
    if (!seen.insert(address).second) {
      throw RpcError(rpc::kRpcInvalidParameter,
                     "Invalid parameter, duplicated address: " + address);
    }
    out.push_back(TxOut{AmountFromValue(*value), OutputKind::kPayToKeyHash, key_hash});
  }
  return out;
}

RpcMethod createrawtransaction(NodeContext& node) {
  return RpcMethod{
      "createrawtransaction",
      "Create a transaction spending the given inputs and creating new outputs.\n"
      "Outputs are addresses of this network with amounts in coins.\n"
      "Note that the transaction's inputs are not signed (their pubkeys and signatures are\n"
      "zero), and it is not stored in the wallet or transmitted to the network.\n"
      "Adapted to this transaction format: inputs have no sequence, there are no data outputs,\n"
      "and there is no lock time (a coinbase's lock_height is its height; other transactions'\n"
      "are not checked by consensus; it must be 0 here). Every unconfirmed transaction may be replaced by one paying a higher\n"
      "fee (doc/wallet.md, \"Stuck payments\"), so \"replaceable\" can only be true.",
      {{"inputs", RpcType::kArray, RpcArg::kRequired, "",
        "The inputs: [{\"txid\": \"hex\", \"vout\": n}, ...]"},
       {"outputs", RpcType::kAny, RpcArg::kRequired, "",
        "The outputs: [{\"address\": amount}, ...] or {\"address\": amount, ...}, amounts in "
        "coins"},
       {"locktime", RpcType::kNumber, RpcArg::kOptional, "0", "Must be 0 (see above)"},
       {"replaceable", RpcType::kBool, RpcArg::kOptional, "true",
        "Must be true: every transaction is replaceable by fee"}},
      {{RpcType::kHex, "transaction", "hex string of the transaction"}},
      ExampleCli("createrawtransaction",
                 "\"[{\\\"txid\\\":\\\"myid\\\",\\\"vout\\\":0}]\" "
                 "\"[{\\\"rcc1p...\\\":0.01}]\"") +
          ExampleRpc("createrawtransaction",
                     "[{\"txid\":\"myid\",\"vout\":0}], [{\"rcc1p...\":0.01}]"),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        Transaction tx;
        tx.inputs = ParseRawInputs(request.Arg(0));
        tx.outputs = ParseRawOutputs(request.Arg(1), node.params->bech32_hrp);
        if (!request.Arg(2).is_null() &&
            rpc::ParseIntArg(request.Arg(2), "locktime", 0, UINT32_MAX,
                             "Invalid parameter, locktime out of range") != 0) {
          throw RpcError(rpc::kRpcInvalidParameter,
                         "Invalid parameter, locktime: this transaction format has no lock time "
                         "(must be 0)");
        }
        CheckReplaceable(request.Arg(3));
        return HexStr(Serialize(tx));
      }};
}

RpcMethod sendrawtransaction(NodeContext& node) {
  return RpcMethod{
      "sendrawtransaction",
      "Submit a raw transaction (serialized, hex-encoded) to the local node.\n"
      "The transaction enters the mempool if it passes every check (doc/rpc.md, \"Mempool "
      "policy\").\n"
      "A transaction already in the mempool is not submitted again; its txid is returned.\n"
      "Related RPCs: testmempoolaccept, decoderawtransaction",
      {{"hexstring", RpcType::kHex, RpcArg::kRequired, "", "The hex string of the raw transaction"},
       {"maxfeerate", RpcType::kNumber, RpcArg::kOptional, "0.10", kMaxFeeRateHelp}},
      {{RpcType::kHex, "", "The transaction hash in hex"}},
      ExampleCli("sendrawtransaction", "\"signedhex\"") +
          ExampleRpc("sendrawtransaction", "\"signedhex\""),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        const Transaction tx = DecodeTxOrThrow(request.Arg(0));
        const Amount max_fee_rate = ParseMaxFeeRate(request.Arg(1));
        Mempool& mempool = MempoolOrThrow(node);
        const Uint256 txid = tx.Txid();
        if (OutputsInUtxoSet(*node.chain, tx)) {
          throw RpcError(rpc::kRpcVerifyAlreadyInChain, "Transaction outputs already in utxo set");
        }
        if (mempool.Contains(txid)) {
          // As Bitcoin Core: not submitted again, but announced again.
          if (node.peerman) node.peerman->RelayTransaction(txid);
          return txid.ToHex();
        }
        ValidationState state;
        if (max_fee_rate > 0) {
          Amount fee = 0;
          if (!mempool.TestAcceptTransaction(tx, *node.chain, SpendHeight(*node.chain), &fee,
                                             &state)) {
            ThrowRejection(state);
          }
          if (fee > FeeAtRate(max_fee_rate, Serialize(tx).size())) {
            throw RpcError(rpc::kRpcVerifyError,
                           "Fee exceeds maximum configured by user (maxfeerate)");
          }
        }
        if (!AcceptToMempool(node, tx, /*test_only=*/false, &state)) ThrowRejection(state);
        return txid.ToHex();
      }};
}

RpcMethod testmempoolaccept(NodeContext& node) {
  return RpcMethod{
      "testmempoolaccept",
      "Returns result of mempool acceptance tests indicating if raw transaction(s) (serialized,\n"
      "hex-encoded) would be accepted by mempool. Nothing is added to the mempool.\n"
      "If multiple transactions are passed in, parents must come before children, and the\n"
      "transactions may not conflict with each other (a package; each is checked with the\n"
      "outputs of the ones before it available). Validation stops at the first transaction\n"
      "that fails; the ones after it get only txid and wtxid.\n"
      "This checks if transactions violate the consensus or policy rules.\n"
      "Related RPCs: sendrawtransaction, decoderawtransaction",
      {{"rawtxs", RpcType::kArray, RpcArg::kRequired, "",
        "An array of hex strings of raw transactions (1 to 25)"},
       {"maxfeerate", RpcType::kNumber, RpcArg::kOptional, "0.10", kMaxFeeRateHelp}},
      {{RpcType::kArray,
        "",
        "one result per raw transaction, in the order they were passed in",
        {{RpcType::kObject,
          "",
          "",
          {{RpcType::kHex, "txid", "The transaction hash in hex"},
           {RpcType::kHex, "wtxid", "The transaction witness hash in hex"},
           {RpcType::kString, "package-error",
            "Package validation error, if any (only possible if rawtxs had more than 1 "
            "transaction)."},
           {RpcType::kBool, "allowed",
            "Whether this tx would be accepted to the mempool and pass client-specified "
            "maxfeerate. If not present, the tx was not fully validated due to a failure in "
            "another tx in the list."},
           {RpcType::kNumber, "vsize",
            "Transaction size in bytes (only present when 'allowed' "
            "is true)"},
           {RpcType::kObject,
            "fees",
            "Transaction fees (only present if 'allowed' is true)",
            {{RpcType::kNumber, "base", "transaction fee in coins"},
             {RpcType::kNumber, "effective-feerate", "the fee rate in coins/kB"},
             {RpcType::kArray,
              "effective-includes",
              "transactions whose fees and sizes are included in effective-feerate",
              {{RpcType::kHex, "", "transaction wtxid in hex"}}}}},
           {RpcType::kString, "reject-reason",
            "Rejection reason (only present when 'allowed' is false; \"missing-inputs\" for "
            "unknown or spent inputs)"},
           {RpcType::kString, "reject-details",
            "Rejection reason with its detail (only present when 'allowed' is false and the "
            "inputs were found)"}}}}}},
      ExampleCli("testmempoolaccept", "'[\"signedhex\"]'") +
          ExampleRpc("testmempoolaccept", "[\"signedhex\"]"),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        const json& rawtxs = request.Arg(0);
        if (rawtxs.empty() || rawtxs.size() > kMaxPackageCount) {
          throw RpcError(rpc::kRpcInvalidParameter, "Array must contain between 1 and " +
                                                        std::to_string(kMaxPackageCount) +
                                                        " transactions.");
        }
        const Amount max_fee_rate = ParseMaxFeeRate(request.Arg(1));
        std::vector<Transaction> txs;
        for (size_t i = 0; i < rawtxs.size(); ++i) {
          if (!rawtxs[i].is_string()) {
            throw RpcError(rpc::kRpcTypeError,
                           "rawtxs[" + std::to_string(i) + "] is not of expected type string, hex");
          }
          std::optional<Transaction> tx = DecodeTx(rawtxs[i].get<std::string>());
          if (!tx) {
            throw RpcError(rpc::kRpcDeserializationError,
                           "TX decode failed: rawtxs[" + std::to_string(i) + "]");
          }
          txs.push_back(std::move(*tx));
        }
        const Mempool& mempool = MempoolOrThrow(node);

        json results = json::array();
        const std::string package_error = txs.size() > 1 ? PackageError(txs) : "";
        const uint32_t spend_height = SpendHeight(*node.chain);
        PackageCoins coins(*node.chain, spend_height);
        bool stopped = !package_error.empty();
        for (const Transaction& tx : txs) {
          json result{{"txid", tx.Txid().ToHex()}, {"wtxid", tx.Wtxid().ToHex()}};
          if (!package_error.empty()) result["package-error"] = package_error;
          if (stopped) {
            results.push_back(std::move(result));
            continue;
          }
          ValidationState state;
          Amount fee = 0;
          const size_t size = Serialize(tx).size();
          if (!mempool.TestAcceptTransaction(tx, coins, spend_height, &fee, &state)) {
            result["allowed"] = false;
            if (state.result() == ValidationResult::kMissingInputs) {
              result["reject-reason"] = "missing-inputs";
            } else {
              result["reject-reason"] = state.reason();
              result["reject-details"] = state.ToString();
            }
            stopped = true;
          } else if (max_fee_rate > 0 && fee > FeeAtRate(max_fee_rate, size)) {
            result["allowed"] = false;
            result["reject-reason"] = "max-fee-exceeded";
            stopped = true;
          } else {
            result["allowed"] = true;
            result["vsize"] = size;
            result["fees"] = {{"base", ValueFromAmount(fee)},
                              {"effective-feerate",
                               ValueFromAmount(static_cast<Amount>(static_cast<Int128>(fee) * 1000 /
                                                                   static_cast<Int128>(size)))},
                              {"effective-includes", json::array({tx.Wtxid().ToHex()})}};
            coins.Add(tx);
          }
          results.push_back(std::move(result));
        }
        return results;
      }};
}

RpcMethod getrawtransaction(NodeContext& node) {
  std::vector<RpcResult> verbose_fields = {
      {RpcType::kBool, "in_active_chain",
       "Whether specified block is in the active chain or not (only present with explicit "
       "\"blockhash\" argument)"},
      {RpcType::kHex, "blockhash", "the block hash (only with \"blockhash\")"},
      {RpcType::kNumber, "confirmations",
       "The confirmations (only with \"blockhash\"; 0 off the active chain)"},
      {RpcType::kNumber, "blocktime",
       "The block time in seconds since the Unix epoch (only with \"blockhash\", on the active "
       "chain)"},
      {RpcType::kNumber, "time", "Same as \"blocktime\""},
      {RpcType::kHex, "hex", "The serialized, hex-encoded data for 'txid'"},
  };
  for (RpcResult& field : TxFields()) verbose_fields.push_back(std::move(field));
  return RpcMethod{
      "getrawtransaction",
      "By default, this call only returns a transaction if it is in the mempool. This node keeps\n"
      "no transaction index, so a confirmed transaction is found only with the hash of the\n"
      "block that holds it (\"blockhash\"); then only that block is searched.\n"
      "\n"
      "If verbose is false or 0, returns a string that is serialized, hex-encoded data for "
      "'txid'.\n"
      "If verbose is true or 1 (or more), returns an Object with information about 'txid'.",
      {{"txid", RpcType::kHex, RpcArg::kRequired, "", "The transaction id"},
       {"verbose", RpcType::kAny, RpcArg::kOptional, "false",
        "false or 0 for the hex-encoded data, true or 1 for a json object"},
       {"blockhash", RpcType::kHex, RpcArg::kOptional, "",
        "The block in which to look for the transaction"}},
      {{RpcType::kHex,
        "",
        "The serialized, hex-encoded data for 'txid'",
        {},
        "if verbose is false"},
       {RpcType::kObject, "", "", verbose_fields, "if verbose is true"}},
      ExampleCli("getrawtransaction", kTxidExample) +
          ExampleCli("getrawtransaction", std::string(kTxidExample) + " true") +
          ExampleRpc("getrawtransaction", std::string(kTxidExample) + ", true") +
          ExampleCli("getrawtransaction",
                     std::string(kTxidExample) +
                         " false "
                         "\"72588cfd749ab8f5968250b7c969aa06c0f3ba425ba01acd6751aad2343b8a7e\""),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        const Uint256 txid = rpc::ParseHashArg(request.Arg(0), "txid");
        bool verbose = false;
        const json& verbose_arg = request.Arg(1);
        if (verbose_arg.is_boolean()) {
          verbose = verbose_arg.get<bool>();
        } else if (verbose_arg.is_number_integer()) {
          verbose = verbose_arg.get<int64_t>() > 0;
        } else if (!verbose_arg.is_null()) {
          throw RpcError(rpc::kRpcTypeError, "verbose must be a boolean or an integer");
        }

        Transaction tx;
        std::optional<BlockIndexEntry> block_entry;
        if (!request.Arg(2).is_null()) {
          const Uint256 block_hash = rpc::ParseHashArg(request.Arg(2), "blockhash");
          BlockIndexEntry entry;
          const Status s = node.chain->ReadIndex(block_hash, &entry);
          if (s.IsNotFound()) throw RpcError(rpc::kRpcInvalidAddressOrKey, "Block hash not found");
          if (!s.ok()) ThrowStoreError(s);
          if (!entry.Has(kBlockHaveData)) throw RpcError(rpc::kRpcMiscError, "Block not available");
          const Block block = ReadBlockOrThrow(*node.chain, block_hash);
          bool found = false;
          for (const Transaction& candidate : block.txs) {
            if (candidate.Txid() == txid) {
              tx = candidate;
              found = true;
              break;
            }
          }
          if (!found) {
            throw RpcError(rpc::kRpcInvalidAddressOrKey,
                           "No such transaction found in the provided block");
          }
          block_entry = entry;
        } else {
          MempoolEntryInfo info;
          if (!node.mempool || !node.mempool->GetEntry(txid, &info)) {
            throw RpcError(rpc::kRpcInvalidAddressOrKey,
                           "No such mempool transaction. This node keeps no transaction index: "
                           "provide a block hash to enable blockchain transaction queries");
          }
          tx = std::move(info.tx);
        }

        const std::string hex = HexStr(Serialize(tx));
        if (!verbose) return hex;
        json out;
        if (block_entry) {
          const bool in_active_chain = IsOnMainChain(*node.chain, *block_entry);
          out["in_active_chain"] = in_active_chain;
          out["blockhash"] = block_entry->header.Hash().ToHex();
          if (in_active_chain) {
            const ChainTip tip = ReadTipOrThrow(*node.chain);
            out["confirmations"] = tip.height - block_entry->height() + 1;
            out["time"] = block_entry->header.time;
            out["blocktime"] = block_entry->header.time;
          } else {
            out["confirmations"] = 0;
          }
        }
        out["hex"] = hex;
        out.update(TxToJson(tx));
        return out;
      }};
}

RpcMethod decoderawtransaction(NodeContext&) {
  return RpcMethod{
      "decoderawtransaction",
      "Return a JSON object representing the serialized, hex-encoded transaction.",
      {{"hexstring", RpcType::kHex, RpcArg::kRequired, "", "The transaction hex string"}},
      {{RpcType::kObject, "", "", TxFields()}},
      ExampleCli("decoderawtransaction", "\"hexstring\"") +
          ExampleRpc("decoderawtransaction", "\"hexstring\""),
      [](const RpcMethod&, const RpcRequest& request) -> json {
        return TxToJson(DecodeTxOrThrow(request.Arg(0)));
      }};
}

// ---------------------------------------------------------------------------
// The mempool.

RpcMethod getrawmempool(NodeContext& node) {
  return RpcMethod{
      "getrawmempool",
      "Returns all transaction ids in memory pool as a json array of string transaction ids.\n"
      "\n"
      "Hint: use getmempoolentry to fetch a specific transaction from the mempool.",
      {{"verbose", RpcType::kBool, RpcArg::kOptional, "false",
        "True for a json object, false for array of transaction ids"}},
      {{RpcType::kArray,
        "",
        "",
        {{RpcType::kHex, "", "The transaction id"}},
        "for verbose = false"},
       {RpcType::kObject,
        "",
        "",
        {{RpcType::kObject, "transactionid", "", MempoolEntryFields()}},
        "for verbose = true"}},
      ExampleCli("getrawmempool", "true") + ExampleRpc("getrawmempool", "true"),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        const bool verbose = request.Arg(0).is_null() ? false : request.Arg(0).get<bool>();
        const Mempool& mempool = MempoolOrThrow(node);
        if (!verbose) {
          json out = json::array();
          for (const Uint256& txid : mempool.Txids()) out.push_back(txid.ToHex());
          return out;
        }
        json out = json::object();
        for (const MempoolEntryDetail& d : mempool.Details()) {
          out[d.info.txid.ToHex()] = EntryToJson(d);
        }
        return out;
      }};
}

RpcMethod getmempoolentry(NodeContext& node) {
  return RpcMethod{
      "getmempoolentry",
      "Returns mempool data for given transaction",
      {{"txid", RpcType::kHex, RpcArg::kRequired, "", "The transaction id (must be in mempool)"}},
      {{RpcType::kObject, "", "", MempoolEntryFields()}},
      ExampleCli("getmempoolentry", kTxidExample) + ExampleRpc("getmempoolentry", kTxidExample),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        const Uint256 txid = rpc::ParseHashArg(request.Arg(0), "txid");
        MempoolEntryDetail detail;
        if (!MempoolOrThrow(node).GetEntryDetail(txid, &detail)) {
          throw RpcError(rpc::kRpcInvalidAddressOrKey, "Transaction not in mempool");
        }
        return EntryToJson(detail);
      }};
}

RpcMethod getmempoolinfo(NodeContext& node) {
  return RpcMethod{
      "getmempoolinfo",
      "Returns details on the active state of the TX memory pool.",
      {},
      {{RpcType::kObject,
        "",
        "",
        {{RpcType::kBool, "loaded",
          "True if the initial load attempt of the persisted mempool "
          "finished (always: the mempool is not persisted)"},
         {RpcType::kNumber, "size", "Current tx count"},
         {RpcType::kNumber, "bytes", "Sum of all transaction sizes"},
         {RpcType::kNumber, "usage", "Total memory usage for the mempool (an estimate)"},
         {RpcType::kNumber, "total_fee", "Total fees for the mempool in coins"},
         {RpcType::kNumber, "maxmempool", "Maximum sum of transaction sizes for the mempool"},
         {RpcType::kNumber, "mempoolminfee",
          "Minimum fee rate in coins/kB for a tx to be accepted (as minrelaytxfee: the mempool "
          "has no rolling minimum)"},
         {RpcType::kNumber, "minrelaytxfee",
          "Current minimum relay fee for transactions, in "
          "coins/kB"}}}},
      ExampleCli("getmempoolinfo", "") + ExampleRpc("getmempoolinfo", ""),
      [&node](const RpcMethod&, const RpcRequest&) -> json {
        const Mempool& mempool = MempoolOrThrow(node);
        const MempoolOptions& options = mempool.options();
        return json{{"loaded", true},
                    {"size", mempool.size()},
                    {"bytes", mempool.bytes()},
                    {"usage", mempool.DynamicMemoryUsage()},
                    {"total_fee", ValueFromAmount(mempool.total_fee())},
                    {"maxmempool", options.max_bytes},
                    {"mempoolminfee", ValueFromAmount(options.min_relay_fee_per_kb)},
                    {"minrelaytxfee", ValueFromAmount(options.min_relay_fee_per_kb)}};
      }};
}

// ---------------------------------------------------------------------------
// Fee estimation.

RpcMethod estimatesmartfee(NodeContext& node) {
  return RpcMethod{
      "estimatesmartfee",
      "Estimates the approximate fee per kilobyte needed for a transaction to begin\n"
      "confirmation within conf_target blocks. The estimate is the higher of two signals\n"
      "(doc/wallet.md \"Fees\"): the fee rates the last 100 connected blocks confirmed (a\n"
      "percentile that falls from the 90th for the next block towards the median), and the\n"
      "rate that places a transaction within conf_target blocks' worth of the mempool's\n"
      "waiting bytes. It is never below the mempool's minimum relay fee rate. The node keeps\n"
      "no history across restarts.",
      {{"conf_target", RpcType::kNumber, RpcArg::kRequired, "",
        "Confirmation target in blocks (1 - 1008)"},
       {"estimate_mode", RpcType::kString, RpcArg::kOptional, "\"economical\"",
        "Accepted for compatibility (unset, economical or conservative); there is one mode"}},
      {{RpcType::kObject,
        "",
        "",
        {{RpcType::kNumber, "feerate", "estimate fee rate in coins/kB"},
         {RpcType::kArray,
          "errors",
          "Errors encountered during processing (only when no block has been seen since start)",
          {{RpcType::kString, "", "error"}}},
         {RpcType::kNumber, "blocks", "block number where estimate was found (conf_target)"}}}},
      ExampleCli("estimatesmartfee", "6") + ExampleRpc("estimatesmartfee", "6"),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        const uint32_t target = ParseConfTarget(request.Arg(0));
        CheckEstimateMode(request.Arg(1));
        MempoolOrThrow(node);
        json out{{"feerate", ValueFromAmount(EstimateFeeRate(node, target).per_kb)},
                 {"blocks", target}};
        if (!node.fee_estimation || node.fee_estimation->blocks() == 0) {
          out["errors"] = json::array(
              {"Insufficient data: no block seen since start; the estimate is the mempool's"});
        }
        return out;
      }};
}

}  // namespace

Status RegisterRawTransactionRpcs(rpc::RpcTable& table, NodeContext& node) {
  static const rpc::RpcCommand<NodeContext> kCommands[] = {
      {"rawtransactions", &createrawtransaction},
      {"rawtransactions", &decoderawtransaction},
      {"rawtransactions", &getrawtransaction},
      {"rawtransactions", &sendrawtransaction},
      {"rawtransactions", &testmempoolaccept},
      {"blockchain", &getmempoolentry},
      {"util", &estimatesmartfee},
      {"blockchain", &getmempoolinfo},
      {"blockchain", &getrawmempool},
  };
  return table.AddAll(kCommands, node);
}

}  // namespace cc
