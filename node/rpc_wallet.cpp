// Wallet methods: one function per method, the registration table at the
// bottom. Each method picks its wallet with GetWalletForRequest
// (rpc_wallet_util.h), so it answers on "/wallet/<name>" and, with one
// wallet loaded, on "/". Errors are Bitcoin Core's codes and messages.

#include <algorithm>
#include <limits>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "chain/hex.h"
#include "chain/key.h"
#include "chain/serialize.h"
#include "consensus/genesis.h"
#include "node/rpc_helpers.h"
#include "node/rpc_register.h"
#include "node/rpc_wallet_util.h"
#include "node/transaction.h"
#include "node/wallets.h"
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
using wallet::Wallet;

/// walletpassphrase's longest timeout (Bitcoin Core: about three years).
constexpr int64_t kMaxUnlockSeconds = 100'000'000;

const char* const kAddressExample = "\"rcc1p...\"";
const char* const kTxidExample =
    "\"1075db55d416d3ca199f55b6084e2115b9345e16c5cf302fc80e9d5fbf5d48d\"";

WalletManager& Wallets(NodeContext& node) {
  if (!node.wallets)
    throw RpcError(rpc::kRpcMethodNotFound, "Method not found (wallet is disabled)");
  return *node.wallets;
}

std::string OptString(const json& value, const std::string& fallback = "") {
  return value.is_null() ? fallback : value.get<std::string>();
}

// An optional boolean argument: its value, or `fallback` when not a boolean.
bool OptBool(const json& value, bool fallback = false) {
  return value.is_boolean() ? value.get<bool>() : fallback;
}

// Bitcoin Core's LabelFromValue: "*" names every label in listtransactions,
// so no address may carry it.
std::string LabelFromValue(const json& value) {
  const std::string label = OptString(value);
  if (label == "*") throw RpcError(kRpcWalletInvalidLabelName, "Invalid label name");
  return label;
}

Uint256 KeyHashOf(const Wallet& w, const std::string& address) {
  Uint256 key_hash;
  Status s = wallet::DecodeAddress(w.hrp(), address, &key_hash);
  if (!s.ok()) {
    throw RpcError(rpc::kRpcInvalidAddressOrKey,
                   std::string(wallet::kInvalidAddressError) + ": " + s.message());
  }
  return key_hash;
}

const char* const kFeeRateAndTarget =
    "Cannot specify both conf_target and fee_rate. Please provide either a confirmation target "
    "in blocks for automatic fee estimation, or an explicit fee rate.";

/// The fee_rate argument of the sending methods: units per byte (Bitcoin Core's sat/vB), at most 3
/// decimals, as a rate per 1000 bytes. Throws kRpcInvalidParameter.
wallet::FeeRate FeeRatePerByteFromValue(const json& value) {
  // AmountFromValue reads coins: v units/byte come back as v * 10^8 units.
  const Amount scaled = AmountFromValue(value);
  constexpr Amount kPerKbScale = kCoin / 1000;
  if (scaled <= 0 || scaled % kPerKbScale != 0) {
    throw RpcError(rpc::kRpcInvalidParameter,
                   "Invalid fee_rate: a positive number of units per byte with at most 3 "
                   "decimals");
  }
  return wallet::FeeRate{scaled / kPerKbScale};
}

/// The fee rate of sendtoaddress and sendmany: `fee_rate` (units per byte),
/// or the estimate for `conf_target` (kDefaultConfTarget when null);
/// `estimate_mode` and `replaceable` are checked. Throws kRpcInvalidParameter.
wallet::FeeRate SendFeeRate(NodeContext& node, const json& replaceable, const json& conf_target,
                            const json& estimate_mode, const json& fee_rate) {
  CheckReplaceable(replaceable);
  CheckEstimateMode(estimate_mode);
  if (!fee_rate.is_null() && !conf_target.is_null()) {
    throw RpcError(rpc::kRpcInvalidParameter, kFeeRateAndTarget);
  }
  if (!fee_rate.is_null()) return FeeRatePerByteFromValue(fee_rate);
  return EstimateFeeRate(node,
                         conf_target.is_null() ? kDefaultConfTarget : ParseConfTarget(conf_target));
}

// Hands a transaction the wallet made to the mempool (the one way in,
// AcceptToMempool, which also offers it to every wallet), then commits it
// as this wallet's own.
Uint256 CommitAndRelay(NodeContext& node, Wallet& w, const Transaction& tx) {
  ValidationState state;
  if (!AcceptToMempool(node, tx, /*test_only=*/false, &state)) {
    throw RpcError(kRpcWalletError,
                   "The transaction was rejected by the memory pool: " + state.ToString());
  }
  Status s = w.CommitTransaction(tx);
  if (!s.ok()) ThrowWalletError(s);
  return tx.Txid();
}

Uint256 Send(NodeContext& node, Wallet& w, const std::vector<wallet::Recipient>& recipients,
             wallet::FeeRate fee_rate) {
  wallet::CoinControl control;
  control.fee_rate = fee_rate;
  wallet::CreatedTransaction created;
  Status s = w.CreateTransaction(recipients, control, &created);
  if (!s.ok()) ThrowWalletError(s);
  return CommitAndRelay(node, w, created.tx);
}

json LoadResult(const std::string& name) {
  return json{{"name", name}, {"warnings", json::array()}};
}

std::vector<RpcResult> LoadResultFields() {
  return {{RpcType::kString, "name", "The wallet name if created successfully."},
          {RpcType::kArray,
           "warnings",
           "Warning messages, if any, related to loading the wallet.",
           {{RpcType::kString, "", ""}}}};
}

void ThrowLoadError(const Status& s) {
  if (s.IsNotFound()) throw RpcError(kRpcWalletNotFound, s.message());
  throw RpcError(kRpcWalletError, s.message());
}

// -- Wallet files -------------------------------------------------------------

RpcMethod createwallet(NodeContext& node) {
  return RpcMethod{
      "createwallet",
      "Creates and loads a new wallet.",
      {{"wallet_name", RpcType::kString, RpcArg::kRequired, "",
        "The name for the new wallet (a directory under <datadir>/<network>/wallets/)."},
       {"disable_private_keys", RpcType::kBool, RpcArg::kOptional, "false",
        "Must be false: watch-only wallets are not supported."},
       {"blank", RpcType::kBool, RpcArg::kOptional, "false",
        "Must be false: every wallet has an HD seed."},
       {"passphrase", RpcType::kString, RpcArg::kOptional, "",
        "Encrypt the wallet with this passphrase."}},
      {{RpcType::kObject, "", "", LoadResultFields()}},
      ExampleCli("createwallet", "\"testwallet\"") + ExampleRpc("createwallet", "\"testwallet\""),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        WalletManager& wallets = Wallets(node);
        const std::string name = request.Arg(0).get<std::string>();
        if (OptBool(request.Arg(1))) {
          throw RpcError(kRpcWalletError, "Watch-only wallets are not supported");
        }
        if (OptBool(request.Arg(2))) {
          throw RpcError(kRpcWalletError, "Blank wallets are not supported");
        }
        if (!WalletManager::IsValidName(name)) {
          throw RpcError(rpc::kRpcInvalidParameter, "Invalid wallet name");
        }
        if (wallets.IsLoaded(name)) {
          throw RpcError(kRpcWalletAlreadyExists,
                         "Wallet file verification failed. Failed to create database path '" +
                             wallets.WalletDir(name).string() + "'. Database already exists.");
        }
        Status s = wallets.Create(name, OptString(request.Arg(3)), nullptr);
        if (!s.ok()) {
          throw RpcError(s.message().find("already exists") != std::string::npos
                             ? kRpcWalletAlreadyExists
                             : kRpcWalletError,
                         s.message());
        }
        return LoadResult(name);
      }};
}

RpcMethod loadwallet(NodeContext& node) {
  return RpcMethod{
      "loadwallet",
      "Loads a wallet from its directory and catches it up to the chain's tip.",
      {{"filename", RpcType::kString, RpcArg::kRequired, "", "The wallet name."}},
      {{RpcType::kObject, "", "", LoadResultFields()}},
      ExampleCli("loadwallet", "\"testwallet\"") + ExampleRpc("loadwallet", "\"testwallet\""),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        WalletManager& wallets = Wallets(node);
        const std::string name = request.Arg(0).get<std::string>();
        if (wallets.IsLoaded(name)) {
          throw RpcError(kRpcWalletAlreadyLoaded, "Wallet \"" + name + "\" is already loaded.");
        }
        if (!WalletManager::IsValidName(name)) {
          throw RpcError(rpc::kRpcInvalidParameter, "Invalid wallet name");
        }
        Status s = wallets.Load(name, nullptr);
        if (!s.ok()) ThrowLoadError(s);
        return LoadResult(name);
      }};
}

RpcMethod unloadwallet(NodeContext& node) {
  return RpcMethod{
      "unloadwallet",
      "Unloads the wallet referenced by the request endpoint, otherwise unloads the wallet\n"
      "specified in the argument.",
      {{"wallet_name", RpcType::kString, RpcArg::kOptional, "",
        "The name of the wallet to unload. If provided both here and in the RPC endpoint, the "
        "two must be identical."}},
      {{RpcType::kObject,
        "",
        "",
        {{RpcType::kArray,
          "warnings",
          "Warning messages, if any.",
          {{RpcType::kString, "", ""}}}}}},
      ExampleCli("unloadwallet", "\"testwallet\"") + ExampleRpc("unloadwallet", "\"testwallet\""),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        WalletManager& wallets = Wallets(node);
        std::string name = WalletNameFromUri(request.uri);
        if (!request.Arg(0).is_null()) {
          const std::string given = request.Arg(0).get<std::string>();
          if (request.uri.rfind("/wallet/", 0) == 0 && given != name) {
            throw RpcError(rpc::kRpcInvalidParameter,
                           "RPC endpoint wallet and wallet_name parameter specify different "
                           "wallets");
          }
          name = given;
        } else if (request.uri.rfind("/wallet/", 0) != 0) {
          name = WalletNameFromUri("/wallet/");  // ""
          std::vector<std::string> all = wallets.List();
          if (all.size() == 1) name = all.front();
        }
        if (!wallets.Unload(name)) {
          throw RpcError(kRpcWalletNotFound, "Requested wallet does not exist or is not loaded");
        }
        return json{{"warnings", json::array()}};
      }};
}

RpcMethod listwallets(NodeContext& node) {
  return RpcMethod{
      "listwallets",
      "Returns a list of currently loaded wallets.",
      {},
      {{RpcType::kArray, "", "", {{RpcType::kString, "walletname", "the wallet name"}}}},
      ExampleCli("listwallets", "") + ExampleRpc("listwallets", ""),
      [&node](const RpcMethod&, const RpcRequest&) -> json { return Wallets(node).List(); }};
}

RpcMethod getwalletinfo(NodeContext& node) {
  return RpcMethod{
      "getwalletinfo",
      "Returns an object containing various wallet state info.",
      {},
      {{RpcType::kObject,
        "",
        "",
        {{RpcType::kString, "walletname", "the wallet name"},
         {RpcType::kNumber, "walletversion", "the wallet database version"},
         {RpcType::kString, "format", "the database format (leveldb)"},
         {RpcType::kNumber, "balance", "trusted balance (getbalances mine.trusted)"},
         {RpcType::kNumber, "unconfirmed_balance", "untrusted pending balance"},
         {RpcType::kNumber, "immature_balance", "immature coinbase balance"},
         {RpcType::kNumber, "txcount", "the number of transactions in the wallet"},
         {RpcType::kNumber, "unlocked_until",
          "Unix time until which the wallet is unlocked, 0 if locked (encrypted wallets only)"},
         {RpcType::kBool, "private_keys_enabled", "always true"},
         {RpcType::kBool, "descriptors", "always false"},
         {RpcType::kObject,
          "lastprocessedblock",
          "hash and height of the last block processed",
          {{RpcType::kHex, "hash", ""}, {RpcType::kNumber, "height", ""}}}}}},
      ExampleCli("getwalletinfo", "") + ExampleRpc("getwalletinfo", ""),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        std::string name;
        for (const std::string& n : node.wallets->List()) {
          if (node.wallets->Get(n) == w) name = n;
        }
        const wallet::Balances b = w->GetBalances();
        const wallet::BestBlockRecord best = w->GetBestBlock();
        json out{{"walletname", name},
                 {"walletversion", 1},
                 {"format", "leveldb"},
                 {"balance", ValueFromAmount(b.trusted)},
                 {"unconfirmed_balance", ValueFromAmount(b.untrusted_pending)},
                 {"immature_balance", ValueFromAmount(b.immature)},
                 {"txcount", w->ListTransactions().size()}};
        if (w->IsCrypted()) {
          out["unlocked_until"] = w->IsLocked() ? 0 : node.wallets->UnlockedUntil(w.get());
        }
        out["private_keys_enabled"] = true;
        out["descriptors"] = false;
        out["lastprocessedblock"] = {{"hash", best.hash.ToHex()}, {"height", best.height}};
        return out;
      }};
}

RpcMethod backupwallet(NodeContext& node) {
  return RpcMethod{
      "backupwallet",
      "Safely copies the wallet's database to destination, a new directory.",
      {{"destination", RpcType::kString, RpcArg::kRequired, "",
        "The destination directory (must not exist)."}},
      {{RpcType::kNone, "", ""}},
      ExampleCli("backupwallet", "\"backup.dat\"") + ExampleRpc("backupwallet", "\"backup.dat\""),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        Status s = w->Backup(request.Arg(0).get<std::string>());
        if (!s.ok()) throw RpcError(kRpcWalletError, "Error: Wallet backup failed! " + s.message());
        return nullptr;
      }};
}

RpcMethod restorewallet(NodeContext& node) {
  return RpcMethod{
      "restorewallet",
      "Restores and loads a wallet from a backup made by backupwallet.",
      {{"wallet_name", RpcType::kString, RpcArg::kRequired, "",
        "The name that will be applied to the restored wallet"},
       {"backup_file", RpcType::kString, RpcArg::kRequired, "",
        "The backup directory that will be used to restore the wallet."}},
      {{RpcType::kObject, "", "", LoadResultFields()}},
      ExampleCli("restorewallet", "\"testwallet\" \"home\\backups\\backup-file.bak\"") +
          ExampleRpc("restorewallet", "\"testwallet\", \"home\\backups\\backup-file.bak\""),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        WalletManager& wallets = Wallets(node);
        const std::string name = request.Arg(0).get<std::string>();
        if (!WalletManager::IsValidName(name)) {
          throw RpcError(rpc::kRpcInvalidParameter, "Invalid wallet name");
        }
        if (wallets.IsLoaded(name)) {
          throw RpcError(kRpcWalletAlreadyLoaded, "Wallet \"" + name + "\" is already loaded.");
        }
        Status s = wallets.Restore(name, request.Arg(1).get<std::string>(), nullptr);
        if (!s.ok()) {
          if (s.IsNotFound()) throw RpcError(rpc::kRpcInvalidParameter, s.message());
          throw RpcError(s.message().find("already exists") != std::string::npos
                             ? kRpcWalletAlreadyExists
                             : kRpcWalletError,
                         s.message());
        }
        return LoadResult(name);
      }};
}

// -- Encryption ---------------------------------------------------------------

RpcMethod encryptwallet(NodeContext& node) {
  return RpcMethod{
      "encryptwallet",
      "Encrypts the wallet with 'passphrase'. This is for first time encryption.\n"
      "After this, any calls that interact with private keys such as sending or signing\n"
      "will require the passphrase to be set prior to making these calls.\n"
      "Use the walletpassphrase call for this, and then walletlock call.",
      {{"passphrase", RpcType::kString, RpcArg::kRequired, "",
        "The pass phrase to encrypt the wallet with. It must be at least 1 character, but "
        "should be long."}},
      {{RpcType::kString, "", "A string with further instructions"}},
      ExampleCli("encryptwallet", "\"my pass phrase\"") +
          ExampleRpc("encryptwallet", "\"my pass phrase\""),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        const std::string passphrase = request.Arg(0).get<std::string>();
        if (w->IsCrypted()) throw RpcError(kRpcWalletWrongEncState, wallet::kAlreadyEncryptedError);
        if (passphrase.empty()) {
          throw RpcError(rpc::kRpcInvalidParameter, "passphrase cannot be empty");
        }
        Status s = w->EncryptWallet(passphrase);
        if (!s.ok()) ThrowWalletError(s);
        return "wallet encrypted; the wallet is now locked. Unlock it with walletpassphrase to "
               "send or sign. Back it up again: earlier backups hold the seed in clear.";
      }};
}

RpcMethod walletpassphrase(NodeContext& node) {
  return RpcMethod{
      "walletpassphrase",
      "Stores the wallet decryption key in memory for 'timeout' seconds.\n"
      "This is needed prior to performing transactions related to private keys such as "
      "sending coins.\n"
      "Issuing the walletpassphrase command while the wallet is already unlocked will set a "
      "new unlock time that overrides the old one.",
      {{"passphrase", RpcType::kString, RpcArg::kRequired, "", "The wallet passphrase"},
       {"timeout", RpcType::kNumber, RpcArg::kRequired, "",
        "The time to keep the decryption key in seconds; capped at 100000000 (~3 years)."}},
      {{RpcType::kNone, "", ""}},
      ExampleCli("walletpassphrase", "\"my pass phrase\" 60") +
          ExampleRpc("walletpassphrase", "\"my pass phrase\", 60"),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        if (!request.Arg(1).is_number_integer()) {
          throw RpcError(rpc::kRpcTypeError, "timeout is not an integer");
        }
        int64_t timeout = request.Arg(1).get<int64_t>();
        if (timeout < 0) throw RpcError(rpc::kRpcInvalidParameter, "Timeout cannot be negative.");
        timeout = std::min(timeout, kMaxUnlockSeconds);
        if (!w->IsCrypted()) {
          throw RpcError(kRpcWalletWrongEncState,
                         "Error: running with an unencrypted wallet, but walletpassphrase was "
                         "called.");
        }
        const std::string passphrase = request.Arg(0).get<std::string>();
        if (passphrase.empty()) {
          throw RpcError(rpc::kRpcInvalidParameter, "passphrase cannot be empty");
        }
        Status s = w->Unlock(passphrase);
        if (!s.ok()) ThrowWalletError(s);
        node.wallets->ScheduleRelock(w, timeout);
        return nullptr;
      }};
}

RpcMethod walletlock(NodeContext& node) {
  return RpcMethod{"walletlock",
                   "Removes the wallet encryption key from memory, locking the wallet.\n"
                   "After calling this method, you will need to call walletpassphrase again\n"
                   "before being able to call any methods which require the wallet to be unlocked.",
                   {},
                   {{RpcType::kNone, "", ""}},
                   ExampleCli("walletlock", "") + ExampleRpc("walletlock", ""),
                   [&node](const RpcMethod&, const RpcRequest& request) -> json {
                     std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
                     if (!w->IsCrypted()) {
                       throw RpcError(
                           kRpcWalletWrongEncState,
                           "Error: running with an unencrypted wallet, but walletlock was called.");
                     }
                     Status s = w->Lock();
                     if (!s.ok()) ThrowWalletError(s);
                     node.wallets->CancelRelock(w.get());
                     return nullptr;
                   }};
}

RpcMethod walletpassphrasechange(NodeContext& node) {
  return RpcMethod{
      "walletpassphrasechange",
      "Changes the wallet passphrase from 'oldpassphrase' to 'newpassphrase'.",
      {{"oldpassphrase", RpcType::kString, RpcArg::kRequired, "", "The current passphrase"},
       {"newpassphrase", RpcType::kString, RpcArg::kRequired, "", "The new passphrase"}},
      {{RpcType::kNone, "", ""}},
      ExampleCli("walletpassphrasechange", "\"old one\" \"new one\"") +
          ExampleRpc("walletpassphrasechange", "\"old one\", \"new one\""),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        if (!w->IsCrypted()) {
          throw RpcError(kRpcWalletWrongEncState,
                         "Error: running with an unencrypted wallet, but walletpassphrasechange "
                         "was called.");
        }
        const std::string old_pass = request.Arg(0).get<std::string>();
        const std::string new_pass = request.Arg(1).get<std::string>();
        if (old_pass.empty() || new_pass.empty()) {
          throw RpcError(rpc::kRpcInvalidParameter, "passphrase cannot be empty");
        }
        Status s = w->ChangePassphrase(old_pass, new_pass);
        if (!s.ok()) ThrowWalletError(s);
        return nullptr;
      }};
}

// -- Addresses ----------------------------------------------------------------

RpcMethod getnewaddress(NodeContext& node) {
  return RpcMethod{
      "getnewaddress",
      "Returns a new address for receiving payments.\n"
      "If 'label' is specified, it is added to the address book.",
      {{"label", RpcType::kString, RpcArg::kOptional, "\"\"", "The label name for the address."},
       {"address_type", RpcType::kString, RpcArg::kOptional, "\"bech32m\"",
        "The address type; only \"bech32m\" exists."}},
      {{RpcType::kString, "address", "The new bech32m address"}},
      ExampleCli("getnewaddress", "") + ExampleRpc("getnewaddress", ""),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        const std::string label = LabelFromValue(request.Arg(0));
        const std::string type = OptString(request.Arg(1), "bech32m");
        if (type != "bech32m") {
          throw RpcError(rpc::kRpcInvalidAddressOrKey, "Unknown address type '" + type + "'");
        }
        std::string address;
        Status s = w->GetNewAddress(label, &address);
        if (!s.ok()) ThrowWalletError(s);
        return address;
      }};
}

RpcMethod getrawchangeaddress(NodeContext& node) {
  return RpcMethod{"getrawchangeaddress",
                   "Returns a new address, for receiving change.\n"
                   "This is for use with raw transactions, NOT normal use.",
                   {{"address_type", RpcType::kString, RpcArg::kOptional, "\"bech32m\"",
                     "The address type; only \"bech32m\" exists."}},
                   {{RpcType::kString, "address", "The address"}},
                   ExampleCli("getrawchangeaddress", "") + ExampleRpc("getrawchangeaddress", ""),
                   [&node](const RpcMethod&, const RpcRequest& request) -> json {
                     std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
                     const std::string type = OptString(request.Arg(0), "bech32m");
                     if (type != "bech32m") {
                       throw RpcError(rpc::kRpcInvalidAddressOrKey,
                                      "Unknown address type '" + type + "'");
                     }
                     std::string address;
                     Status s = w->GetRawChangeAddress(&address);
                     if (!s.ok()) ThrowWalletError(s);
                     return address;
                   }};
}

RpcMethod validateaddress(NodeContext& node) {
  return RpcMethod{
      "validateaddress",
      "Return information about the given address (no wallet needed).",
      {{"address", RpcType::kString, RpcArg::kRequired, "", "The address to validate"}},
      {{RpcType::kObject,
        "",
        "",
        {{RpcType::kBool, "isvalid", "If the address is valid or not"},
         {RpcType::kString, "address", "The address validated"},
         {RpcType::kBool, "isscript", "always false"},
         {RpcType::kBool, "iswitness", "always true"},
         {RpcType::kNumber, "witness_version", "always 1"},
         {RpcType::kHex, "witness_program", "the key hash the address pays to"},
         {RpcType::kString, "error", "Error message, if any"}}}},
      ExampleCli("validateaddress", kAddressExample) +
          ExampleRpc("validateaddress", kAddressExample),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        const std::string address = request.Arg(0).get<std::string>();
        Uint256 key_hash;
        Status s = wallet::DecodeAddress(node.params->bech32_hrp, address, &key_hash);
        if (!s.ok()) return json{{"isvalid", false}, {"error", s.message()}};
        return json{{"isvalid", true},      {"address", address},
                    {"isscript", false},    {"iswitness", true},
                    {"witness_version", 1}, {"witness_program", key_hash.ToHex()}};
      }};
}

RpcMethod getaddressinfo(NodeContext& node) {
  return RpcMethod{
      "getaddressinfo",
      "Return information about the given address.",
      {{"address", RpcType::kString, RpcArg::kRequired, "",
        "The address for which to get information."}},
      {{RpcType::kObject,
        "",
        "",
        {{RpcType::kString, "address", "The address validated."},
         {RpcType::kBool, "ismine", "If the address is yours."},
         {RpcType::kBool, "iswatchonly", "always false"},
         {RpcType::kBool, "solvable", "If we know how to spend coins sent to this address"},
         {RpcType::kBool, "ischange", "If the address was used for change output."},
         {RpcType::kHex, "pubkey", "The x-only public key (if ismine)."},
         {RpcType::kString, "hdkeypath", "The HD keypath (HD keys of the wallet)."},
         {RpcType::kHex, "hdmasterfingerprint", "The fingerprint of the master key."},
         {RpcType::kBool, "isworkerkey", "A worker signing key the wallet watches (hot key)."},
         {RpcType::kArray,
          "labels",
          "The label associated with the address.",
          {{RpcType::kString, "label name", ""}}}}}},
      ExampleCli("getaddressinfo", kAddressExample) + ExampleRpc("getaddressinfo", kAddressExample),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        wallet::AddressInfo info;
        Status s = w->GetAddressInfo(request.Arg(0).get<std::string>(), &info);
        if (!s.ok()) ThrowWalletError(s);
        json out{{"address", info.address},
                 {"ismine", info.is_mine},
                 {"iswatchonly", false},
                 {"solvable", info.is_mine},
                 {"ischange", info.is_change}};
        if (info.is_mine) {
          out["pubkey"] = HexStr(info.pubkey);
          if (!info.hd_path.empty()) {
            out["hdkeypath"] = info.hd_path;
            out["hdmasterfingerprint"] = info.master_fingerprint;
          }
          out["isworkerkey"] = info.hd_path.empty();
        }
        json labels = json::array();
        if (!info.label.empty() || info.is_mine) labels.push_back(info.label);
        out["labels"] = labels;
        return out;
      }};
}

RpcMethod setlabel(NodeContext& node) {
  return RpcMethod{
      "setlabel",
      "Sets the label associated with the given address.",
      {{"address", RpcType::kString, RpcArg::kRequired, "",
        "The address to be associated with a label."},
       {"label", RpcType::kString, RpcArg::kRequired, "", "The label to assign to the address."}},
      {{RpcType::kNone, "", ""}},
      ExampleCli("setlabel", "\"rcc1p...\" \"tabby\"") +
          ExampleRpc("setlabel", "\"rcc1p...\", \"tabby\""),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        const std::string address = request.Arg(0).get<std::string>();
        KeyHashOf(*w, address);
        Status s = w->SetLabel(address, LabelFromValue(request.Arg(1)));
        if (!s.ok()) ThrowWalletError(s);
        return nullptr;
      }};
}

// "receive" for an address of ours, "send" for one we only labelled.
std::string PurposeOf(const Wallet& w, const std::string& address) {
  wallet::AddressInfo info;
  return w.GetAddressInfo(address, &info).ok() && info.is_mine ? "receive" : "send";
}

RpcMethod getaddressesbylabel(NodeContext& node) {
  return RpcMethod{
      "getaddressesbylabel",
      "Returns the list of addresses assigned the specified label.",
      {{"label", RpcType::kString, RpcArg::kRequired, "", "The label."}},
      {{RpcType::kObject,
        "",
        "json object with addresses as keys",
        {{RpcType::kObject,
          "address",
          "json object with information about address",
          {{RpcType::kString, "purpose", "Purpose of address (\"send\" for sending address, "
                                         "\"receive\" for receiving address)"}}}}}},
      ExampleCli("getaddressesbylabel", "\"tabby\"") +
          ExampleRpc("getaddressesbylabel", "\"tabby\""),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        const std::string label = LabelFromValue(request.Arg(0));
        json out = json::object();
        for (const auto& [address, l] : w->GetLabels())
          if (l == label) out[address] = json{{"purpose", PurposeOf(*w, address)}};
        if (out.empty())
          throw RpcError(kRpcWalletInvalidLabelName, "No addresses with label " + label);
        return out;
      }};
}

RpcMethod listlabels(NodeContext& node) {
  return RpcMethod{
      "listlabels",
      "Returns the list of all labels, or labels that are assigned to addresses with a specific "
      "purpose.",
      {{"purpose", RpcType::kString, RpcArg::kOptional, "",
        "Address purpose to list labels for ('send','receive'). An empty string is the same as "
        "not providing this argument."}},
      {{RpcType::kArray, "", "", {{RpcType::kString, "label", "Label name"}}}},
      ExampleCli("listlabels", "receive") + ExampleRpc("listlabels", "receive"),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        const std::string purpose = OptString(request.Arg(0));
        if (!purpose.empty() && purpose != "send" && purpose != "receive")
          throw RpcError(rpc::kRpcInvalidParameter, "Invalid purpose: " + purpose);
        std::set<std::string> labels;
        for (const auto& [address, label] : w->GetLabels())
          if (purpose.empty() || PurposeOf(*w, address) == purpose) labels.insert(label);
        return json(std::vector<std::string>(labels.begin(), labels.end()));
      }};
}

// -- Balances and coins -------------------------------------------------------

RpcMethod getbalance(NodeContext& node) {
  return RpcMethod{
      "getbalance",
      "Returns the total available balance: confirmed and mature coins, plus unconfirmed\n"
      "change of our own (getbalances mine.trusted).",
      {{"dummy", RpcType::kString, RpcArg::kOptional, "",
        "Remains for backward compatibility. Must be excluded or set to \"*\"."},
       {"minconf", RpcType::kNumber, RpcArg::kOptional, "0",
        "Only include transactions confirmed at least this many times."}},
      {{RpcType::kNumber, "amount", "The total amount received by this wallet."}},
      ExampleCli("getbalance", "") + ExampleRpc("getbalance", ""),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        if (!request.Arg(0).is_null() && request.Arg(0).get<std::string>() != "*") {
          throw RpcError(rpc::kRpcMethodNotFound,
                         "dummy first argument must be excluded or set to \"*\".");
        }
        const int64_t minconf =
            request.Arg(1).is_null()
                ? 0
                : rpc::ParseIntArg(request.Arg(1), "minconf", 0, 9'999'999, "minconf out of range");
        if (minconf == 0) return ValueFromAmount(w->GetBalances().trusted);
        Amount total = 0;
        for (const wallet::WalletCoin& c : w->ListUnspent(static_cast<int>(minconf))) {
          total += c.out.value;
        }
        for (const OutPoint& op : w->ListLockedCoins()) {
          wallet::WalletTxInfo info;
          if (!w->GetTransaction(op.txid, &info).ok() || info.depth < minconf) continue;
          if (op.index < info.wtx.tx.outputs.size() && w->IsMine(info.wtx.tx.outputs[op.index]))
            total += info.wtx.tx.outputs[op.index].value;
        }
        return ValueFromAmount(total);
      }};
}

RpcMethod getbalances(NodeContext& node) {
  return RpcMethod{
      "getbalances",
      "Returns an object with all balances in coins.",
      {},
      {{RpcType::kObject,
        "",
        "",
        {{RpcType::kObject,
          "mine",
          "balances from outputs that the wallet can sign",
          {{RpcType::kNumber, "trusted",
            "trusted balance (outputs created by the wallet or "
            "confirmed outputs)"},
           {RpcType::kNumber, "untrusted_pending",
            "untrusted pending balance (outputs created "
            "by others that are in the mempool)"},
           {RpcType::kNumber, "immature", "balance from immature coinbase outputs"},
           {RpcType::kNumber, "bonded", "worker bonds locked to the wallet's keys"},
           {RpcType::kNumber, "in_channels", "our side of open payment channels (listchannels)"}}},
         {RpcType::kObject,
          "lastprocessedblock",
          "hash and height of the last block processed",
          {{RpcType::kHex, "hash", ""}, {RpcType::kNumber, "height", ""}}}}}},
      ExampleCli("getbalances", "") + ExampleRpc("getbalances", ""),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        const wallet::Balances b = w->GetBalances();
        const wallet::BestBlockRecord best = w->GetBestBlock();
        return json{{"mine",
                     {{"trusted", ValueFromAmount(b.trusted)},
                      {"untrusted_pending", ValueFromAmount(b.untrusted_pending)},
                      {"immature", ValueFromAmount(b.immature)},
                      {"bonded", ValueFromAmount(b.bonded)},
                      {"in_channels", ValueFromAmount(b.in_channels)}}},
                    {"lastprocessedblock", {{"hash", best.hash.ToHex()}, {"height", best.height}}}};
      }};
}

RpcMethod listunspent(NodeContext& node) {
  return RpcMethod{
      "listunspent",
      "Returns array of unspent transaction outputs\n"
      "with between minconf and maxconf (inclusive) confirmations.\n"
      "Optionally filter to only include txouts paid to specified addresses.",
      {{"minconf", RpcType::kNumber, RpcArg::kOptional, "1", "The minimum confirmations to filter"},
       {"maxconf", RpcType::kNumber, RpcArg::kOptional, "9999999",
        "The maximum confirmations to filter"},
       {"addresses", RpcType::kArray, RpcArg::kOptional, "[]", "The addresses to filter"},
       {"include_unsafe", RpcType::kBool, RpcArg::kOptional, "true",
        "Include outputs that are not safe to spend (unconfirmed from others)"}},
      {{RpcType::kArray,
        "",
        "",
        {{RpcType::kObject,
          "",
          "",
          {{RpcType::kHex, "txid", "the transaction id"},
           {RpcType::kNumber, "vout", "the vout value"},
           {RpcType::kString, "address", "the address"},
           {RpcType::kString, "label", "The associated label, or \"\" for the default label"},
           {RpcType::kNumber, "amount", "the transaction output amount"},
           {RpcType::kNumber, "confirmations", "The number of confirmations"},
           {RpcType::kBool, "spendable", "Whether we have the private keys to spend this output"},
           {RpcType::kBool, "solvable", "Whether we know how to spend this output"},
           {RpcType::kBool, "safe", "Whether this output is considered safe to spend."},
           {RpcType::kBool, "coinbase", "Whether a coinbase created it"}}}}}},
      ExampleCli("listunspent", "6 9999999") + ExampleRpc("listunspent", "6, 9999999"),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        const int64_t minconf =
            request.Arg(0).is_null()
                ? 1
                : rpc::ParseIntArg(request.Arg(0), "minconf", 0, 9'999'999, "minconf out of range");
        const int64_t maxconf =
            request.Arg(1).is_null()
                ? 9'999'999
                : rpc::ParseIntArg(request.Arg(1), "maxconf", 0, 9'999'999, "maxconf out of range");
        std::set<std::string> filter;
        if (request.Arg(2).is_array()) {
          for (const json& a : request.Arg(2)) {
            if (!a.is_string()) throw RpcError(rpc::kRpcTypeError, "address is not a string");
            const std::string address = a.get<std::string>();
            KeyHashOf(*w, address);
            if (!filter.insert(address).second) {
              throw RpcError(rpc::kRpcInvalidParameter,
                             "Invalid parameter, duplicated address: " + address);
            }
          }
        }
        const bool include_unsafe = OptBool(request.Arg(3), true);
        json out = json::array();
        for (const wallet::WalletCoin& c :
             w->ListUnspent(static_cast<int>(minconf), static_cast<int>(maxconf))) {
          if (!filter.empty() && filter.count(c.address) == 0) continue;
          if (!include_unsafe && !c.trusted) continue;
          out.push_back({{"txid", c.outpoint.txid.ToHex()},
                         {"vout", c.outpoint.index},
                         {"address", c.address},
                         {"label", c.label},
                         {"amount", ValueFromAmount(c.out.value)},
                         {"confirmations", c.depth},
                         {"spendable", true},
                         {"solvable", true},
                         {"safe", c.trusted},
                         {"coinbase", c.coinbase}});
        }
        return out;
      }};
}

OutPoint ParseOutPoint(const json& o) {
  if (!o.is_object()) throw RpcError(rpc::kRpcTypeError, "Invalid parameter, expected object");
  if (!o.contains("txid") || !o["txid"].is_string()) {
    throw RpcError(rpc::kRpcInvalidParameter, "Invalid parameter, missing txid key");
  }
  if (!o.contains("vout") || !o["vout"].is_number_integer()) {
    throw RpcError(rpc::kRpcInvalidParameter, "Invalid parameter, missing vout key");
  }
  const int64_t vout = o["vout"].get<int64_t>();
  if (vout < 0 || vout > UINT32_MAX) {
    throw RpcError(rpc::kRpcInvalidParameter, "Invalid parameter, vout cannot be negative");
  }
  return OutPoint{rpc::ParseHashArg(o["txid"], "txid"), static_cast<uint32_t>(vout)};
}

RpcMethod lockunspent(NodeContext& node) {
  return RpcMethod{
      "lockunspent",
      "Updates list of temporarily unspendable outputs.\n"
      "Temporarily lock (unlock=false) or unlock (unlock=true) specified transaction outputs.\n"
      "If no transaction outputs are specified when unlocking then all current locked "
      "transaction outputs are unlocked.\n"
      "Locks are stored in memory only, and are cleared when the node restarts.",
      {{"unlock", RpcType::kBool, RpcArg::kRequired, "",
        "Whether to unlock (true) or lock (false) the specified transactions"},
       {"transactions", RpcType::kArray, RpcArg::kOptional, "[]",
        "The transaction outputs and within each, the txid (string) vout (numeric)."}},
      {{RpcType::kBool, "", "Whether the command was successful or not"}},
      ExampleCli("lockunspent", "false \"[{\\\"txid\\\":\\\"a08e...\\\",\\\"vout\\\":1}]\"") +
          ExampleRpc("lockunspent", "false, [{\"txid\":\"a08e...\",\"vout\":1}]"),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        const bool unlock = request.Arg(0).get<bool>();
        if (request.Arg(1).is_null()) {
          if (unlock) w->UnlockAllCoins();
          return true;
        }
        std::vector<OutPoint> outpoints;
        for (const json& o : request.Arg(1)) {
          const OutPoint op = ParseOutPoint(o);
          wallet::WalletTxInfo info;
          if (!w->GetTransaction(op.txid, &info).ok()) {
            throw RpcError(rpc::kRpcInvalidParameter, "Invalid parameter, unknown transaction");
          }
          if (op.index >= info.wtx.tx.outputs.size()) {
            throw RpcError(rpc::kRpcInvalidParameter,
                           "Invalid parameter, vout index out of bounds");
          }
          const bool locked = w->IsLockedCoin(op);
          if (unlock && !locked) {
            throw RpcError(rpc::kRpcInvalidParameter, "Invalid parameter, expected locked output");
          }
          if (!unlock && locked) {
            throw RpcError(rpc::kRpcInvalidParameter, "Invalid parameter, output already locked");
          }
          outpoints.push_back(op);
        }
        for (const OutPoint& op : outpoints) {
          if (unlock) {
            w->UnlockCoin(op);
          } else {
            w->LockCoin(op);
          }
        }
        return true;
      }};
}

RpcMethod listlockunspent(NodeContext& node) {
  return RpcMethod{"listlockunspent",
                   "Returns list of temporarily unspendable outputs.\n"
                   "See the lockunspent call to lock and unlock transactions for spending.",
                   {},
                   {{RpcType::kArray,
                     "",
                     "",
                     {{RpcType::kObject,
                       "",
                       "",
                       {{RpcType::kHex, "txid", "The transaction id locked"},
                        {RpcType::kNumber, "vout", "The vout value"}}}}}},
                   ExampleCli("listlockunspent", "") + ExampleRpc("listlockunspent", ""),
                   [&node](const RpcMethod&, const RpcRequest& request) -> json {
                     std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
                     json out = json::array();
                     for (const OutPoint& op : w->ListLockedCoins()) {
                       out.push_back({{"txid", op.txid.ToHex()}, {"vout", op.index}});
                     }
                     return out;
                   }};
}

// -- Sending ------------------------------------------------------------------

// The worker key of registerworker/deregisterworker: `arg` (hex), or the
// node's first in-process worker. Throws kRpcInvalidParameter.
XOnlyPubKeyBytes WorkerKeyArg(NodeContext& node, const json& arg) {
  XOnlyPubKeyBytes key;
  if (arg.is_null()) {
    if (node.workers.empty()) {
      throw RpcError(rpc::kRpcInvalidParameter,
                     "No in-process worker (-worker): give the worker key");
    }
    return node.workers.front().PublicKey();
  }
  if (!arg.is_string() || !ParseHexInto(arg.get<std::string>(), key) ||
      !IsValidXOnlyPubKey(key)) {
    throw RpcError(rpc::kRpcInvalidParameter, "Invalid worker key");
  }
  return key;
}

ConsensusState TipState(NodeContext& node) {
  if (!node.chainman) throw RpcError(rpc::kRpcMiscError, "Training is not running");
  return node.chainman->Tip();
}

// The fee rate of registerworker/deregisterworker: `fee_rate` (units per
// byte) or the default target's estimate.
wallet::FeeRate BondFeeRate(NodeContext& node, const json& fee_rate) {
  return fee_rate.is_null() ? EstimateFeeRate(node, kDefaultConfTarget)
                            : FeeRatePerByteFromValue(fee_rate);
}

RpcMethod registerworker(NodeContext& node) {
  return RpcMethod{
      "registerworker",
      "Bonds coins of this wallet to a worker key: a worker bond output locked to the key,\n"
      "followed by the payout output that names the address of this wallet the worker's\n"
      "rewards and fees are paid to (doc/consensus.md 2.0). The key is registered from the\n"
      "block after the one that confirms it. The signing key (workers.dat) cannot spend those\n"
      "rewards. A key that is registered already keeps its payout, which must be this\n"
      "wallet's; a key the chain slashed never registers again. The worker key signs the\n"
      "payout, so it must be one of this node's -worker keys.",
      {{"amount", RpcType::kAny, RpcArg::kOptional, "the network's bond",
        "The bond in coins; at least the network's bond"},
       {"worker", RpcType::kHex, RpcArg::kOptional, "the first -worker key",
        "The worker's x-only public key (one of this node's -worker keys)"},
       {"fee_rate", RpcType::kNumber, RpcArg::kOptional, "",
        "Fee rate in units per byte (as sat/vB); default: the estimate for 6 blocks"}},
      {{RpcType::kObject,
        "",
        "",
        {{RpcType::kHex, "txid", "the bond transaction"},
         {RpcType::kHex, "worker", "the worker key"},
         {RpcType::kString, "payout", "the address its rewards are paid to"},
         {RpcType::kNumber, "amount", "the bond"}}}},
      ExampleCli("registerworker", "10") + ExampleRpc("registerworker", "10"),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        const XOnlyPubKeyBytes key = WorkerKeyArg(node, request.Arg(1));
        const Amount bond = node.params->worker_bond;
        const Amount amount = request.Arg(0).is_null() ? bond : AmountFromValue(request.Arg(0));
        if (amount < bond) {
          throw RpcError(rpc::kRpcInvalidParameter,
                         "Amount is below the network's worker bond of " + std::to_string(bond) +
                             " units");
        }
        // The worker key signs the payout (doc/consensus.md 2.0), so only a
        // key this node holds can be bonded here.
        const auto held = std::find_if(node.workers.begin(), node.workers.end(),
                                       [&](const PrivateKey& k) { return k.PublicKey() == key; });
        if (held == node.workers.end()) {
          throw RpcError(rpc::kRpcInvalidParameter,
                         "Worker key is not one of this node's -worker keys: it must sign the "
                         "payout");
        }
        const ConsensusState tip = TipState(node);
        if (tip.IsSlashed(key)) {
          throw RpcError(rpc::kRpcInvalidParameter,
                         "Worker key was slashed: it never registers again");
        }
        // A registered key keeps its payout whatever a later bond names, so
        // the bond names that one; an in-process worker of this wallet takes
        // the address the node registers it with for free on bond-0
        // networks, so that a free registration in the same block agrees.
        Uint256 payout;
        if (const WorkerEntry* entry = tip.FindWorker(key)) {
          payout = entry->payout;
        } else {
          payout = WorkerPayout(node, key);
          // Never the signing key's own hash, which this wallet may watch.
          if (payout == KeyHash(key) || !w->IsMine(TxOut{0, OutputKind::kPayToKeyHash, payout})) {
            std::string address;
            Status s = w->GetNewAddress("worker " + HexStr(key), &address);
            if (!s.ok()) ThrowWalletError(s);
            payout = KeyHashOf(*w, address);
          }
        }
        if (!w->IsMine(TxOut{0, OutputKind::kPayToKeyHash, payout})) {
          throw RpcError(kRpcWalletError,
                         "Worker is registered with a payout that is not this wallet's: " +
                             wallet::EncodeAddress(w->hrp(), payout));
        }
        wallet::CoinControl control;
        control.fee_rate = BondFeeRate(node, request.Arg(2));
        const WorkerRegistration signed_payout =
            SignRegistration(*held, GenesisHash(*node.params), payout);
        // The bond is owned by the payout, a key of this wallet: the worker
        // key signs records and the payout, but cannot spend the bond.
        control.extra_outputs = {
            TxOut{.value = amount,
                  .kind = OutputKind::kWorkerBond,
                  .lock = Uint256(key),
                  .owner = payout},
            TxOut{0, OutputKind::kWorkerPayout, payout, signed_payout.signature}};
        wallet::CreatedTransaction created;
        Status s = w->CreateTransaction({}, control, &created);
        if (!s.ok()) ThrowWalletError(s);
        const Uint256 txid = CommitAndRelay(node, *w, created.tx);
        return json{{"txid", txid.ToHex()},
                    {"worker", HexStr(key)},
                    {"payout", wallet::EncodeAddress(w->hrp(), payout)},
                    {"amount", ValueFromAmount(amount)}};
      }};
}

RpcMethod deregisterworker(NodeContext& node) {
  return RpcMethod{
      "deregisterworker",
      "Spends every confirmed, mature bond this wallet owns of a worker key into one\n"
      "unbonding output of the same key, owned by this wallet, paying the fee from the\n"
      "wallet's coins. The key leaves the registry when its last bond is spent; the unbonding\n"
      "output stays slashable and is released unbonding_delay blocks after it confirms, from\n"
      "when the wallet spends it like any other coin. Bonds belong to the wallet that owns\n"
      "them (registerworker: its payout address), never to the worker's signing key.",
      {{"worker", RpcType::kHex, RpcArg::kOptional, "the first -worker key",
        "The worker's x-only public key"},
       {"fee_rate", RpcType::kNumber, RpcArg::kOptional, "",
        "Fee rate in units per byte (as sat/vB); default: the estimate for 6 blocks"}},
      {{RpcType::kObject,
        "",
        "",
        {{RpcType::kHex, "txid", "the unbonding transaction"},
         {RpcType::kNumber, "amount", "the value moved to the unbonding output"},
         {RpcType::kNumber, "release_height",
          "the first height that may spend it, if the next block confirms it"},
         {RpcType::kNumber, "immature_bonds",
          "bonds of the key left in place (coinbase bonds not yet mature)"}}}},
      ExampleCli("deregisterworker", "") + ExampleRpc("deregisterworker", ""),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        const XOnlyPubKeyBytes key = WorkerKeyArg(node, request.Arg(0));
        const uint32_t tip_height = TipState(node).height;
        wallet::CoinControl control;
        control.fee_rate = BondFeeRate(node, request.Arg(1));
        Amount amount = 0;
        int64_t immature = 0;
        Uint256 owner;  // the unbonding output's: the first bond's (ours)
        for (const wallet::WalletCoin& c : w->ListBonds()) {
          if (c.out.kind != OutputKind::kWorkerBond || c.out.lock != Uint256(key) || c.depth < 1)
            continue;
          if (c.coinbase && c.depth < static_cast<int>(kCoinbaseMaturity)) {
            ++immature;
            continue;
          }
          if (control.preset_inputs.empty()) owner = c.out.owner;
          control.preset_inputs.push_back(c.outpoint);
          amount += c.out.value;
        }
        if (control.preset_inputs.empty()) {
          throw RpcError(kRpcWalletError,
                         "No confirmed, mature bond of worker " + HexStr(key) +
                             " that this wallet can spend");
        }
        control.extra_outputs = {TxOut{
            .value = amount, .kind = OutputKind::kUnbonding, .lock = Uint256(key), .owner = owner}};
        wallet::CreatedTransaction created;
        Status s = w->CreateTransaction({}, control, &created);
        if (!s.ok()) ThrowWalletError(s);
        const Uint256 txid = CommitAndRelay(node, *w, created.tx);
        return json{{"txid", txid.ToHex()},
                    {"amount", ValueFromAmount(amount)},
                    {"release_height", uint64_t{tip_height} + 1 + node.params->unbonding_delay},
                    {"immature_bonds", immature}};
      }};
}

RpcMethod sendtoaddress(NodeContext& node) {
  return RpcMethod{
      "sendtoaddress",
      "Send an amount to a given address.\n"
      "The fee rate is fee_rate, or estimatesmartfee's for conf_target (default 6) blocks.",
      {{"address", RpcType::kString, RpcArg::kRequired, "", "The address to send to."},
       {"amount", RpcType::kAny, RpcArg::kRequired, "", "The amount in coins to send. eg 0.1"},
       {"comment", RpcType::kString, RpcArg::kOptional, "",
        "Not stored; accepted for "
        "compatibility."},
       {"comment_to", RpcType::kString, RpcArg::kOptional, "",
        "Not stored; accepted for compatibility."},
       {"subtractfeefromamount", RpcType::kBool, RpcArg::kOptional, "false",
        "The fee will be deducted from the amount being sent.\n"
        "The recipient will receive less coins than you enter in the amount field."},
       {"replaceable", RpcType::kBool, RpcArg::kOptional, "true",
        "Must be true: every transaction is replaceable by fee (bumpfee)"},
       {"conf_target", RpcType::kNumber, RpcArg::kOptional, "6",
        "Confirmation target in blocks for the fee estimate"},
       {"estimate_mode", RpcType::kString, RpcArg::kOptional, "\"unset\"",
        "Accepted for compatibility (unset, economical or conservative)"},
       {"avoid_reuse", RpcType::kBool, RpcArg::kOptional, "true",
        "Accepted for compatibility: this wallet does not track address reuse"},
       {"fee_rate", RpcType::kNumber, RpcArg::kOptional, "",
        "Fee rate in units per byte (as sat/vB); not with conf_target"}},
      {{RpcType::kHex, "txid", "The transaction id."}},
      ExampleCli("sendtoaddress", std::string(kAddressExample) + " 0.1") +
          ExampleRpc("sendtoaddress", std::string(kAddressExample) + ", 0.1"),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        const std::string address = request.Arg(0).get<std::string>();
        KeyHashOf(*w, address);
        const Amount amount = AmountFromValue(request.Arg(1));
        if (amount <= 0) throw RpcError(rpc::kRpcTypeError, "Invalid amount for send");
        const bool subtract = OptBool(request.Arg(4));
        const wallet::FeeRate rate =
            SendFeeRate(node, request.Arg(5), request.Arg(6), request.Arg(7), request.Arg(9));
        return Send(node, *w, {{address, amount, subtract}}, rate).ToHex();
      }};
}

RpcMethod sendmany(NodeContext& node) {
  return RpcMethod{
      "sendmany",
      "Send multiple times. Amounts are coins.\n"
      "The fee rate is fee_rate, or estimatesmartfee's for conf_target (default 6) blocks.",
      {{"dummy", RpcType::kString, RpcArg::kRequired, "",
        "Must be set to \"\" for backwards compatibility."},
       {"amounts", RpcType::kObject, RpcArg::kRequired, "",
        "The addresses and amounts: {\"address\": amount, ...}"},
       {"minconf", RpcType::kNumber, RpcArg::kOptional, "", "Ignored dummy value"},
       {"comment", RpcType::kString, RpcArg::kOptional, "", "Not stored."},
       {"subtractfeefrom", RpcType::kArray, RpcArg::kOptional, "[]",
        "The addresses that pay the fee, split equally among them."},
       {"replaceable", RpcType::kBool, RpcArg::kOptional, "true",
        "Must be true: every transaction is replaceable by fee (bumpfee)"},
       {"conf_target", RpcType::kNumber, RpcArg::kOptional, "6",
        "Confirmation target in blocks for the fee estimate"},
       {"estimate_mode", RpcType::kString, RpcArg::kOptional, "\"unset\"",
        "Accepted for compatibility (unset, economical or conservative)"},
       {"fee_rate", RpcType::kNumber, RpcArg::kOptional, "",
        "Fee rate in units per byte (as sat/vB); not with conf_target"}},
      {{RpcType::kHex, "txid", "The transaction id for the send."}},
      ExampleCli("sendmany", "\"\" \"{\\\"rcc1p...\\\":0.01,\\\"rcc1p...\\\":0.02}\"") +
          ExampleRpc("sendmany", "\"\", {\"rcc1p...\":0.01,\"rcc1p...\":0.02}"),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        if (!request.Arg(0).get<std::string>().empty()) {
          throw RpcError(rpc::kRpcInvalidParameter, "Dummy value must be set to \"\"");
        }
        std::set<std::string> subtract;
        if (request.Arg(4).is_array()) {
          for (const json& a : request.Arg(4)) {
            if (!a.is_string()) throw RpcError(rpc::kRpcTypeError, "address is not a string");
            subtract.insert(a.get<std::string>());
          }
        }
        std::vector<wallet::Recipient> recipients;
        for (const auto& [address, value] : request.Arg(1).items()) {
          KeyHashOf(*w, address);
          const Amount amount = AmountFromValue(value);
          if (amount <= 0) throw RpcError(rpc::kRpcTypeError, "Invalid amount for send");
          recipients.push_back({address, amount, subtract.count(address) != 0});
        }
        for (const std::string& a : subtract) {
          if (request.Arg(1).find(a) == request.Arg(1).end()) {
            throw RpcError(rpc::kRpcInvalidParameter,
                           "Invalid parameter 'subtract fee from output', address not among the "
                           "recipients: " +
                               a);
          }
        }
        if (recipients.empty()) {
          throw RpcError(rpc::kRpcInvalidParameter, "Transaction must have at least one recipient");
        }
        const wallet::FeeRate rate =
            SendFeeRate(node, request.Arg(5), request.Arg(6), request.Arg(7), request.Arg(8));
        return Send(node, *w, recipients, rate).ToHex();
      }};
}

RpcMethod abandontransaction(NodeContext& node) {
  return RpcMethod{
      "abandontransaction",
      "Mark in-wallet transaction <txid> as abandoned\n"
      "This will mark this transaction and all its in-wallet descendants as abandoned which "
      "will allow\nfor their inputs to be respent.  It can be used to replace \"stuck\" or "
      "evicted transactions.\n"
      "It only works on transactions which are not included in a block and are not currently "
      "in the mempool.",
      {{"txid", RpcType::kHex, RpcArg::kRequired, "", "The transaction id"}},
      {{RpcType::kNone, "", ""}},
      ExampleCli("abandontransaction", kTxidExample) +
          ExampleRpc("abandontransaction", kTxidExample),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        const Uint256 txid = rpc::ParseHashArg(request.Arg(0), "txid");
        wallet::WalletTxInfo info;
        Status s = w->GetTransaction(txid, &info);
        if (!s.ok()) throw RpcError(rpc::kRpcInvalidAddressOrKey, s.message());
        if (node.mempool->Contains(txid)) {
          throw RpcError(rpc::kRpcInvalidAddressOrKey, "Transaction not eligible for abandonment");
        }
        s = w->AbandonTransaction(txid);
        if (!s.ok()) throw RpcError(rpc::kRpcInvalidAddressOrKey, s.message());
        return nullptr;
      }};
}

RpcMethod bumpfee(NodeContext& node) {
  return RpcMethod{
      "bumpfee",
      "Bumps the fee of an unconfirmed wallet transaction by replacing it (replace-by-fee,\n"
      "doc/wallet.md \"Stuck payments\"). The replacement spends the same inputs and pays the\n"
      "same recipients; its change output shrinks, and confirmed coins are added if needed.\n"
      "Its fee rate is the fee_rate option, or else the higher of the estimate for\n"
      "conf_target and the original's rate plus the incremental relay rate (1 unit/byte).\n"
      "The mempool must accept it (BIP125's fee rules); then the original is abandoned in\n"
      "every loaded wallet that holds it.\n"
      "The transaction must be the wallet's own, with all inputs from this wallet and no\n"
      "unconfirmed descendant in the wallet.",
      {{"txid", RpcType::kHex, RpcArg::kRequired, "", "The txid to be bumped"},
       {"options", RpcType::kObject, RpcArg::kOptional, "",
        "{\"fee_rate\": units per byte (as sat/vB), \"conf_target\": n}"}},
      {{RpcType::kObject,
        "",
        "",
        {{RpcType::kHex, "txid", "The id of the new transaction."},
         {RpcType::kNumber, "origfee", "The fee of the replaced transaction."},
         {RpcType::kNumber, "fee", "The fee of the new transaction."},
         {RpcType::kArray,
          "errors",
          "Errors encountered during processing (may be empty).",
          {{RpcType::kString, "", ""}}}}}},
      ExampleCli("bumpfee", kTxidExample) +
          ExampleRpc("bumpfee", std::string(kTxidExample) + ", {\"fee_rate\": 5}"),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        const Uint256 txid = rpc::ParseHashArg(request.Arg(0), "txid");
        std::optional<wallet::FeeRate> fee_rate;
        uint32_t conf_target = kDefaultConfTarget;
        const json& options = request.Arg(1);
        if (options.is_object()) {
          for (const auto& [key, value] : options.items()) {
            if (key == "fee_rate") {
              fee_rate = FeeRatePerByteFromValue(value);
            } else if (key == "conf_target") {
              conf_target = ParseConfTarget(value);
            } else {
              throw RpcError(rpc::kRpcInvalidParameter, "Invalid parameter " + key);
            }
          }
          if (fee_rate && options.contains("conf_target")) {
            throw RpcError(rpc::kRpcInvalidParameter, kFeeRateAndTarget);
          }
        }
        wallet::WalletTxInfo info;
        Status s = w->GetTransaction(txid, &info);
        if (!s.ok()) ThrowWalletError(s);
        const size_t old_size = Serialize(info.wtx.tx).size();
        const wallet::FeeRate min_rate{wallet::FeeRate::FromFee(info.fee, old_size).per_kb +
                                       node.mempool->options().incremental_relay_fee_per_kb};
        if (!fee_rate) {
          fee_rate = std::max(min_rate, EstimateFeeRate(node, conf_target));
        } else if (*fee_rate < min_rate) {
          throw RpcError(rpc::kRpcInvalidParameter,
                         "Insufficient total fee rate: must be at least " +
                             std::to_string(min_rate.per_kb) +
                             " units/kB (the original's rate plus the incremental relay rate)");
        }
        wallet::CreatedTransaction created;
        Amount old_fee = 0;
        s = w->CreateBumpTransaction(txid, *fee_rate, &created, &old_fee);
        if (!s.ok()) ThrowWalletError(s);
        const Uint256 new_txid = CommitAndRelay(node, *w, created.tx);
        // The mempool evicted the original: no wallet should count it (or
        // its change) any longer. The replacement is out already, so a
        // failure here is reported beside it, not thrown.
        json errors = json::array();
        for (const std::shared_ptr<Wallet>& other : node.wallets->All()) {
          wallet::WalletTxInfo held;
          if (other->GetTransaction(txid, &held).ok() &&
              held.wtx.GetState() == wallet::TxState::kUnconfirmed) {
            const Status abandoned = other->AbandonTransaction(txid);
            if (!abandoned.ok()) {
              errors.push_back("Could not mark the replaced transaction abandoned: " +
                               abandoned.ToString());
            }
          }
        }
        return json{{"txid", new_txid.ToHex()},
                    {"origfee", ValueFromAmount(old_fee)},
                    {"fee", ValueFromAmount(created.fee)},
                    {"errors", std::move(errors)}};
      }};
}

// -- Received -----------------------------------------------------------------

// What each address of ours received in transactions with at least
// `min_conf` confirmations (Bitcoin Core's GetReceived and ListReceived):
// immature coinbase outputs only when asked; conflicted and abandoned
// transactions never.
struct Received {
  Amount amount = 0;
  int confirmations = std::numeric_limits<int>::max();  // of the newest counted
  std::vector<Uint256> txids;
};

std::map<std::string, Received> ReceivedByAddress(const Wallet& w, int min_conf,
                                                  bool include_immature_coinbase) {
  std::map<std::string, Received> out;
  for (const wallet::WalletTxInfo& info : w.ListTransactions()) {
    if (info.depth < min_conf || info.depth < 0) continue;
    if (info.wtx.GetState() == wallet::TxState::kAbandoned) continue;
    if (info.coinbase && !info.mature && !include_immature_coinbase) continue;
    for (const TxOut& o : info.wtx.tx.outputs) {
      if (o.kind != OutputKind::kPayToKeyHash || !w.IsMine(o)) continue;
      Received& r = out[wallet::EncodeAddress(w.hrp(), o.lock)];
      r.amount += o.value;
      r.confirmations = std::min(r.confirmations, info.depth);
      if (r.txids.empty() || r.txids.back() != info.txid) r.txids.push_back(info.txid);
    }
  }
  return out;
}

// The last argument of the four received-amount methods.
RpcArg ImmatureCoinbaseArg() {
  return {"include_immature_coinbase", RpcType::kBool, RpcArg::kOptional, "false",
          "Include immature coinbase transactions."};
}

int MinConfArg(const json& value) {
  return value.is_null() ? 1
                         : static_cast<int>(rpc::ParseIntArg(value, "minconf", 0, 9'999'999,
                                                             "minconf out of range"));
}

RpcMethod getreceivedbyaddress(NodeContext& node) {
  return RpcMethod{
      "getreceivedbyaddress",
      "Returns the total amount received by the given address in transactions with at least "
      "minconf confirmations.",
      {{"address", RpcType::kString, RpcArg::kRequired, "",
        "The address for transactions."},
       {"minconf", RpcType::kNumber, RpcArg::kOptional, "1",
        "Only include transactions confirmed at least this many times."},
       ImmatureCoinbaseArg()},
      {{RpcType::kNumber, "amount", "The total amount in coins received at this address."}},
      ExampleCli("getreceivedbyaddress", "\"rcc1p...\" 6") +
          ExampleRpc("getreceivedbyaddress", "\"rcc1p...\", 6"),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        const std::string address = request.Arg(0).get<std::string>();
        KeyHashOf(*w, address);
        wallet::AddressInfo info;
        if (!w->GetAddressInfo(address, &info).ok() || !info.is_mine)
          throw RpcError(kRpcWalletError, "Address not found in wallet");
        const auto received = ReceivedByAddress(*w, MinConfArg(request.Arg(1)),
                                                OptBool(request.Arg(2)));
        auto it = received.find(address);
        return ValueFromAmount(it == received.end() ? 0 : it->second.amount);
      }};
}

RpcMethod getreceivedbylabel(NodeContext& node) {
  return RpcMethod{
      "getreceivedbylabel",
      "Returns the total amount received by addresses with <label> in transactions with at "
      "least [minconf] confirmations.",
      {{"label", RpcType::kString, RpcArg::kRequired, "",
        "The selected label, may be the default label using \"\"."},
       {"minconf", RpcType::kNumber, RpcArg::kOptional, "1",
        "Only include transactions confirmed at least this many times."},
       ImmatureCoinbaseArg()},
      {{RpcType::kNumber, "amount", "The total amount in coins received for this label."}},
      ExampleCli("getreceivedbylabel", "\"tabby\" 6") +
          ExampleRpc("getreceivedbylabel", "\"tabby\", 6"),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        const std::string label = LabelFromValue(request.Arg(0));
        const auto received = ReceivedByAddress(*w, MinConfArg(request.Arg(1)),
                                                OptBool(request.Arg(2)));
        Amount total = 0;
        for (const auto& [address, l] : w->GetLabels()) {
          auto it = received.find(address);
          if (l == label && it != received.end()) total += it->second.amount;
        }
        return ValueFromAmount(total);
      }};
}

RpcMethod listreceivedbyaddress(NodeContext& node) {
  return RpcMethod{
      "listreceivedbyaddress",
      "List balances by receiving address.",
      {{"minconf", RpcType::kNumber, RpcArg::kOptional, "1",
        "The minimum number of confirmations before payments are included."},
       {"include_empty", RpcType::kBool, RpcArg::kOptional, "false",
        "Whether to include addresses that haven't received any payments."},
       {"include_watchonly", RpcType::kBool, RpcArg::kOptional, "false",
        "Accepted for compatibility; the wallet has no watch-only addresses."},
       {"address_filter", RpcType::kString, RpcArg::kOptional, "",
        "If present and non-empty, only return information on this address."},
       ImmatureCoinbaseArg()},
      {{RpcType::kArray,
        "",
        "",
        {{RpcType::kObject,
          "",
          "",
          {{RpcType::kString, "address", "The receiving address"},
           {RpcType::kNumber, "amount",
            "The total amount in coins received by the address"},
           {RpcType::kNumber, "confirmations",
            "The number of confirmations of the most recent transaction included"},
           {RpcType::kString, "label", "The label of the receiving address. The default label is \"\""},
           {RpcType::kArray, "txids", "", {{RpcType::kHex, "txid", "The ids of transactions received with the address"}}}}}}}},
      ExampleCli("listreceivedbyaddress", "6 true") +
          ExampleRpc("listreceivedbyaddress", "6, true, true"),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        const bool include_empty = OptBool(request.Arg(1));
        const std::string filter = OptString(request.Arg(3));
        if (!filter.empty()) {
          Uint256 key_hash;
          if (!wallet::DecodeAddress(w->hrp(), filter, &key_hash).ok())
            throw RpcError(kRpcWalletError, "address_filter parameter was invalid");
        }
        const auto received = ReceivedByAddress(*w, MinConfArg(request.Arg(0)),
                                                OptBool(request.Arg(4)));
        const std::map<std::string, std::string> labels = w->GetLabels();
        // The address book's addresses of ours (change is not in it, as in
        // Bitcoin Core): those that received, and with include_empty all.
        std::set<std::string> addresses;
        for (const auto& [address, r] : received)
          if (labels.contains(address)) addresses.insert(address);
        if (include_empty)
          for (const auto& [address, label] : labels)
            if (PurposeOf(*w, address) == "receive") addresses.insert(address);
        json out = json::array();
        for (const std::string& address : addresses) {
          if (!filter.empty() && address != filter) continue;
          auto r = received.find(address);
          auto l = labels.find(address);
          json txids = json::array();
          if (r != received.end())
            for (const Uint256& txid : r->second.txids) txids.push_back(txid.ToHex());
          out.push_back(json{{"address", address},
                             {"amount", ValueFromAmount(r == received.end() ? 0 : r->second.amount)},
                             {"confirmations", r == received.end() ? 0 : r->second.confirmations},
                             {"label", l == labels.end() ? "" : l->second},
                             {"txids", std::move(txids)}});
        }
        return out;
      }};
}

RpcMethod listreceivedbylabel(NodeContext& node) {
  return RpcMethod{
      "listreceivedbylabel",
      "List received transactions by label.",
      {{"minconf", RpcType::kNumber, RpcArg::kOptional, "1",
        "The minimum number of confirmations before payments are included."},
       {"include_empty", RpcType::kBool, RpcArg::kOptional, "false",
        "Whether to include labels that haven't received any payments."},
       {"include_watchonly", RpcType::kBool, RpcArg::kOptional, "false",
        "Accepted for compatibility; the wallet has no watch-only addresses."},
       ImmatureCoinbaseArg()},
      {{RpcType::kArray,
        "",
        "",
        {{RpcType::kObject,
          "",
          "",
          {{RpcType::kNumber, "amount", "The total amount received by addresses with this label"},
           {RpcType::kNumber, "confirmations",
            "The number of confirmations of the most recent transaction included"},
           {RpcType::kString, "label", "The label of the receiving address. The default label is \"\""}}}}}},
      ExampleCli("listreceivedbylabel", "6 true") +
          ExampleRpc("listreceivedbylabel", "6, true, true"),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        const bool include_empty = OptBool(request.Arg(1));
        const auto received = ReceivedByAddress(*w, MinConfArg(request.Arg(0)),
                                                OptBool(request.Arg(3)));
        // Our addresses' labels: what received, and with include_empty every
        // label of the address book's receive addresses.
        std::map<std::string, Received> by_label;
        for (const auto& [address, label] : w->GetLabels()) {
          auto r = received.find(address);
          if (r == received.end()) {
            if (include_empty && PurposeOf(*w, address) == "receive") by_label.try_emplace(label);
            continue;
          }
          Received& total = by_label[label];
          total.amount += r->second.amount;
          total.confirmations = std::min(total.confirmations, r->second.confirmations);
          total.txids.insert(total.txids.end(), r->second.txids.begin(), r->second.txids.end());
        }
        json out = json::array();
        for (const auto& [label, r] : by_label) {
          out.push_back(json{{"amount", ValueFromAmount(r.amount)},
                             {"confirmations", r.txids.empty() ? 0 : r.confirmations},
                             {"label", label}});
        }
        return out;
      }};
}

// -- History ------------------------------------------------------------------

bool IsChangeLike(const Wallet& w, const std::string& address) {
  wallet::AddressInfo info;
  return w.GetAddressInfo(address, &info).ok() && info.is_change;
}

// Bitcoin Core's ListTransactions entries for one wallet transaction: a
// "send" per output paid to others (when we paid), a "receive" (or
// "generate"/"immature"/"orphan" for coinbases) per output to us.
void AppendEntries(const Wallet& w, const wallet::WalletTxInfo& info, json* out) {
  const Transaction& tx = info.wtx.tx;
  const bool from_me = info.debit > 0;
  auto common = [&](json& e) {
    e["confirmations"] = info.depth;
    if (info.coinbase) e["generated"] = true;
    if (info.wtx.IsConfirmed()) {
      e["blockhash"] = info.wtx.block_hash.ToHex();
      e["blockheight"] = info.wtx.block_height;
      e["blockindex"] = info.wtx.block_index;
    }
    if (info.wtx.GetState() == wallet::TxState::kAbandoned) e["abandoned"] = true;
    e["txid"] = info.txid.ToHex();
    e["time"] = info.wtx.time_received;
    e["timereceived"] = info.wtx.time_received;
  };
  for (uint32_t i = 0; i < tx.outputs.size(); ++i) {
    const TxOut& o = tx.outputs[i];
    if (o.kind != OutputKind::kPayToKeyHash) continue;
    const std::string address = wallet::EncodeAddress(w.hrp(), o.lock);
    const bool mine = w.IsMine(o);
    if (from_me && !mine) {
      json e{{"address", address},
             {"category", "send"},
             {"amount", ValueFromAmount(-o.value)},
             {"vout", i},
             {"fee", ValueFromAmount(-info.fee)}};
      common(e);
      out->push_back(std::move(e));
    }
    if (mine && !(from_me && !info.coinbase && IsChangeLike(w, address))) {
      std::string category = "receive";
      if (info.coinbase) {
        category = info.depth < 0 || !info.wtx.IsConfirmed() ? "orphan"
                   : info.mature                             ? "generate"
                                                             : "immature";
      }
      json e{{"address", address},
             {"category", category},
             {"amount", ValueFromAmount(o.value)},
             {"vout", i}};
      wallet::AddressInfo ai;
      if (w.GetAddressInfo(address, &ai).ok() && !ai.label.empty()) e["label"] = ai.label;
      common(e);
      out->push_back(std::move(e));
    }
  }
}

std::vector<RpcResult> EntryFields() {
  return {{RpcType::kString, "address", "The address of the transaction output."},
          {RpcType::kString, "category",
           "send, receive, generate (mature coinbase), immature (coinbase not yet spendable) or "
           "orphan (coinbase off the main chain)"},
          {RpcType::kNumber, "amount", "The amount in coins; negative for send"},
          {RpcType::kString, "label", "The label of the address, if any"},
          {RpcType::kNumber, "vout", "the vout value"},
          {RpcType::kNumber, "fee", "The fee in coins, negative; send only"},
          {RpcType::kNumber, "confirmations",
           "The number of confirmations; 0 unconfirmed, -1 conflicted"},
          {RpcType::kBool, "generated",
           "Only present if the transaction's only input is a "
           "coinbase one."},
          {RpcType::kHex, "blockhash", "The block hash containing the transaction."},
          {RpcType::kNumber, "blockheight", "The block height containing the transaction."},
          {RpcType::kNumber, "blockindex", "The index of the transaction in the block."},
          {RpcType::kHex, "txid", "The transaction id."},
          {RpcType::kNumber, "time", "The transaction time in seconds since epoch."},
          {RpcType::kNumber, "timereceived", "The time received in seconds since epoch."},
          {RpcType::kBool, "abandoned", "Present (true) if the transaction was abandoned."}};
}

RpcMethod listtransactions(NodeContext& node) {
  return RpcMethod{
      "listtransactions",
      "Returns up to 'count' most recent transactions skipping the first 'from' transactions.",
      {{"label", RpcType::kString, RpcArg::kOptional, "\"*\"",
        "If set, should be \"*\" (labels are not filtered)."},
       {"count", RpcType::kNumber, RpcArg::kOptional, "10", "The number of transactions to return"},
       {"skip", RpcType::kNumber, RpcArg::kOptional, "0", "The number of transactions to skip"}},
      {{RpcType::kArray, "", "", {{RpcType::kObject, "", "", EntryFields()}}}},
      ExampleCli("listtransactions", "") + ExampleRpc("listtransactions", "\"*\", 20, 100"),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        const int64_t count = request.Arg(1).is_null() ? 10
                                                       : rpc::ParseIntArg(request.Arg(1), "count",
                                                                          INT64_MIN, INT64_MAX, "");
        const int64_t skip = request.Arg(2).is_null() ? 0
                                                      : rpc::ParseIntArg(request.Arg(2), "skip",
                                                                         INT64_MIN, INT64_MAX, "");
        if (count < 0) throw RpcError(rpc::kRpcInvalidParameter, "Negative count");
        if (skip < 0) throw RpcError(rpc::kRpcInvalidParameter, "Negative from");
        json all = json::array();
        for (const wallet::WalletTxInfo& info : w->ListTransactions())
          AppendEntries(*w, info, &all);
        // Oldest first; keep the newest `count` after skipping the newest `skip`.
        const int64_t n = static_cast<int64_t>(all.size());
        const int64_t end = std::max<int64_t>(0, n - skip);
        const int64_t begin = std::max<int64_t>(0, end - count);
        json out = json::array();
        for (int64_t i = begin; i < end; ++i) out.push_back(all[static_cast<size_t>(i)]);
        return out;
      }};
}

RpcMethod gettransaction(NodeContext& node) {
  return RpcMethod{
      "gettransaction",
      "Get detailed information about in-wallet transaction <txid>",
      {{"txid", RpcType::kHex, RpcArg::kRequired, "", "The transaction id"},
       {"include_watchonly", RpcType::kBool, RpcArg::kOptional, "true", "Ignored"},
       {"verbose", RpcType::kBool, RpcArg::kOptional, "false",
        "Whether to include a `decoded` field containing the decoded transaction"}},
      {{RpcType::kObject,
        "",
        "",
        {{RpcType::kNumber, "amount", "The amount in coins: credit − debit (+ fee when sent)"},
         {RpcType::kNumber, "fee", "The fee in coins, negative; when sent by us"},
         {RpcType::kNumber, "confirmations", "The number of confirmations"},
         {RpcType::kHex, "blockhash", "The block hash"},
         {RpcType::kNumber, "blockheight", "The block height"},
         {RpcType::kHex, "txid", "The transaction id."},
         {RpcType::kNumber, "time", "The time received"},
         {RpcType::kArray, "details", "", {{RpcType::kObject, "", "", EntryFields()}}},
         {RpcType::kHex, "hex", "Raw data for transaction"},
         {RpcType::kObject, "decoded", "The decoded transaction (verbose only)"}}}},
      ExampleCli("gettransaction", kTxidExample) + ExampleRpc("gettransaction", kTxidExample),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        const Uint256 txid = rpc::ParseHashArg(request.Arg(0), "txid");
        wallet::WalletTxInfo info;
        Status s = w->GetTransaction(txid, &info);
        if (!s.ok()) throw RpcError(rpc::kRpcInvalidAddressOrKey, s.message());
        const bool from_me = info.debit > 0;
        const Amount fee = from_me ? info.fee : 0;
        json out{{"amount", ValueFromAmount(info.credit - info.debit + fee)}};
        if (from_me) out["fee"] = ValueFromAmount(-fee);
        out["confirmations"] = info.depth;
        if (info.coinbase) out["generated"] = true;
        if (info.wtx.IsConfirmed()) {
          out["blockhash"] = info.wtx.block_hash.ToHex();
          out["blockheight"] = info.wtx.block_height;
          out["blockindex"] = info.wtx.block_index;
        }
        out["txid"] = txid.ToHex();
        out["time"] = info.wtx.time_received;
        out["timereceived"] = info.wtx.time_received;
        json details = json::array();
        AppendEntries(*w, info, &details);
        for (json& d : details) {
          for (const char* key : {"confirmations", "generated", "blockhash", "blockheight",
                                  "blockindex", "txid", "time", "timereceived"}) {
            d.erase(key);
          }
        }
        out["details"] = std::move(details);
        out["hex"] = HexStr(Serialize(info.wtx.tx));
        if (OptBool(request.Arg(2))) {
          out["decoded"] = TxToJson(info.wtx.tx);
        }
        return out;
      }};
}

RpcMethod listsinceblock(NodeContext& node) {
  return RpcMethod{
      "listsinceblock",
      "Get all transactions in blocks since block [blockhash], or all transactions if omitted.\n"
      "Unconfirmed transactions are included too.",
      {{"blockhash", RpcType::kHex, RpcArg::kOptional, "",
        "If set, the block hash to list transactions since, otherwise list all transactions."},
       {"target_confirmations", RpcType::kNumber, RpcArg::kOptional, "1",
        "Return the nth block hash from the main chain as lastblock."}},
      {{RpcType::kObject,
        "",
        "",
        {{RpcType::kArray, "transactions", "", {{RpcType::kObject, "", "", EntryFields()}}},
         {RpcType::kArray, "removed", "always empty (include_removed is not supported)", {}},
         {RpcType::kHex, "lastblock",
          "The hash of the block (target_confirmations-1) from the best block on the main "
          "chain"}}}},
      ExampleCli("listsinceblock", "") + ExampleRpc("listsinceblock", ""),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        const ChainTip tip = ReadTipOrThrow(*node.chain);
        int64_t since_height = -1;  // list everything
        if (!request.Arg(0).is_null() && !request.Arg(0).get<std::string>().empty()) {
          const Uint256 hash = rpc::ParseHashArg(request.Arg(0), "blockhash");
          BlockIndexEntry entry;
          Status s = node.chain->ReadIndex(hash, &entry);
          if (!s.ok()) throw RpcError(rpc::kRpcInvalidAddressOrKey, "Block not found");
          // A block off the main chain: list from the fork point.
          Uint256 fork;
          uint32_t height = entry.height();
          if (!IsOnMainChain(*node.chain, entry) && node.chain->FindFork(hash, &fork).ok()) {
            BlockIndexEntry fork_entry;
            if (node.chain->ReadIndex(fork, &fork_entry).ok()) height = fork_entry.height();
          }
          since_height = height;
        }
        const int64_t target = request.Arg(1).is_null()
                                   ? 1
                                   : rpc::ParseIntArg(request.Arg(1), "target_confirmations", 1,
                                                      INT64_MAX, "Invalid parameter");
        json txs = json::array();
        for (const wallet::WalletTxInfo& info : w->ListTransactions()) {
          if (info.wtx.IsConfirmed() && static_cast<int64_t>(info.wtx.block_height) <= since_height)
            continue;
          AppendEntries(*w, info, &txs);
        }
        const int64_t last_height = std::max<int64_t>(0, int64_t{tip.height} + 1 - target);
        Uint256 last;
        Status s = node.chain->GetBlockHashAtHeight(static_cast<uint32_t>(last_height), &last);
        if (!s.ok()) ThrowStoreError(s);
        return json{{"transactions", std::move(txs)},
                    {"removed", json::array()},
                    {"lastblock", last.ToHex()}};
      }};
}

// -- Raw transactions with the wallet -------------------------------------------

Transaction DecodeTxOrThrow(const json& value) {
  std::vector<uint8_t> bytes;
  Transaction tx;
  if (!ParseHex(value.get<std::string>(), &bytes) || !Deserialize(bytes, &tx).ok()) {
    throw RpcError(rpc::kRpcDeserializationError, "TX decode failed");
  }
  return tx;
}

RpcMethod signrawtransactionwithwallet(NodeContext& node) {
  return RpcMethod{
      "signrawtransactionwithwallet",
      "Sign inputs for raw transaction (serialized, hex-encoded).\n"
      "The optional second argument is an array of previous transaction outputs that\n"
      "this transaction depends on but may not yet be in the wallet.\n"
      "Every input spending an output of this wallet is signed (the wallet must be unlocked).",
      {{"hexstring", RpcType::kHex, RpcArg::kRequired, "", "The transaction hex string"},
       {"prevtxs", RpcType::kArray, RpcArg::kOptional, "",
        "The previous outputs: [{\"txid\": hex, \"vout\": n, \"address\": str, \"amount\": "
        "coins}, ...]"}},
      {{RpcType::kObject,
        "",
        "",
        {{RpcType::kHex, "hex", "The hex-encoded raw transaction with signature(s)"},
         {RpcType::kBool, "complete", "If the transaction has a complete set of signatures"},
         {RpcType::kArray,
          "errors",
          "Script verification errors (if there are any)",
          {{RpcType::kObject,
            "",
            "",
            {{RpcType::kHex, "txid", "The hash of the referenced, previous transaction"},
             {RpcType::kNumber, "vout", "The index of the output to spent and used as input"},
             {RpcType::kString, "error",
              "Verification or signing error related to the input"}}}}}}}},
      ExampleCli("signrawtransactionwithwallet", "\"myhex\"") +
          ExampleRpc("signrawtransactionwithwallet", "\"myhex\""),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        Transaction tx = DecodeTxOrThrow(request.Arg(0));
        std::map<OutPoint, TxOut> prevouts;
        if (request.Arg(1).is_array()) {
          for (const json& p : request.Arg(1)) {
            const OutPoint op = ParseOutPoint(p);
            if (!p.contains("address") || !p["address"].is_string() || !p.contains("amount")) {
              throw RpcError(rpc::kRpcInvalidParameter,
                             "Missing address or amount in a prevtxs entry");
            }
            const Uint256 key_hash = KeyHashOf(*w, p["address"].get<std::string>());
            prevouts[op] = TxOut{AmountFromValue(p["amount"]), OutputKind::kPayToKeyHash, key_hash};
          }
        }
        // Outputs spent by inputs the wallet does not know: the UTXO set.
        for (const TxIn& in : tx.inputs) {
          if (prevouts.count(in.prevout) != 0) continue;
          Coin coin;
          if (node.chain->GetCoin(in.prevout, &coin).ok()) prevouts[in.prevout] = coin.out;
        }
        std::vector<wallet::InputSignError> errors;
        bool complete = false;
        Status s = w->SignTransaction(&tx, prevouts, &errors, &complete);
        if (!s.ok()) ThrowWalletError(s);
        json errs = json::array();
        for (const wallet::InputSignError& e : errors) {
          errs.push_back({{"txid", tx.inputs[e.index].prevout.txid.ToHex()},
                          {"vout", tx.inputs[e.index].prevout.index},
                          {"error", e.error}});
        }
        json out{{"hex", HexStr(Serialize(tx))}, {"complete", complete}};
        if (!errs.empty()) out["errors"] = std::move(errs);
        return out;
      }};
}

RpcMethod fundrawtransaction(NodeContext& node) {
  return RpcMethod{
      "fundrawtransaction",
      "If the transaction has no inputs, they will be automatically selected to meet its out "
      "value.\nIt will add at most one change output to the outputs.\n"
      "No existing outputs will be modified unless \"subtractFeeFromOutputs\" is specified.\n"
      "Inputs already present are kept (they must be the wallet's).\n"
      "The fee rate is fee_rate, or the estimate for conf_target (default 6) blocks.\n"
      "The inputs added will not be signed, use signrawtransactionwithwallet for that.",
      {{"hexstring", RpcType::kHex, RpcArg::kRequired, "", "The hex string of the raw transaction"},
       {"options", RpcType::kObject, RpcArg::kOptional, "",
        "{\"subtractFeeFromOutputs\": [vout_index, ...], \"lockUnspents\": bool, "
        "\"fee_rate\": units per byte (as sat/vB), \"conf_target\": n}"}},
      {{RpcType::kObject,
        "",
        "",
        {{RpcType::kHex, "hex", "The resulting raw transaction (hex-encoded string)"},
         {RpcType::kNumber, "fee", "Fee in coins the resulting transaction pays"},
         {RpcType::kNumber, "changepos", "The position of the added change output, or -1"}}}},
      ExampleCli("fundrawtransaction", "\"rawtransactionhex\"") +
          ExampleRpc("fundrawtransaction", "\"rawtransactionhex\""),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        const Transaction tx = DecodeTxOrThrow(request.Arg(0));
        std::set<int64_t> subtract;
        bool lock_unspents = false;
        std::optional<wallet::FeeRate> fee_rate;
        std::optional<uint32_t> conf_target;
        if (request.Arg(1).is_object()) {
          const json& options = request.Arg(1);
          for (const auto& [key, value] : options.items()) {
            if (key == "subtractFeeFromOutputs" && value.is_array()) {
              for (const json& i : value) {
                if (!i.is_number_integer()) {
                  throw RpcError(rpc::kRpcInvalidParameter,
                                 "Invalid parameter, subtract fee from "
                                 "output index must be an integer");
                }
                const int64_t index = i.get<int64_t>();
                if (index < 0 || index >= static_cast<int64_t>(tx.outputs.size())) {
                  throw RpcError(rpc::kRpcInvalidParameter,
                                 "Invalid parameter, value out of range");
                }
                subtract.insert(index);
              }
            } else if (key == "lockUnspents" && value.is_boolean()) {
              lock_unspents = value.get<bool>();
            } else if (key == "fee_rate") {
              fee_rate = FeeRatePerByteFromValue(value);
            } else if (key == "conf_target") {
              conf_target = ParseConfTarget(value);
            } else {
              throw RpcError(rpc::kRpcInvalidParameter, "Invalid parameter " + key);
            }
          }
        }
        if (tx.outputs.empty()) {
          throw RpcError(rpc::kRpcInvalidParameter, "TX must have at least one output");
        }
        std::vector<wallet::Recipient> recipients;
        for (size_t i = 0; i < tx.outputs.size(); ++i) {
          const TxOut& o = tx.outputs[i];
          if (o.kind != OutputKind::kPayToKeyHash) {
            throw RpcError(rpc::kRpcInvalidParameter, "Only pay-to-key-hash outputs can be funded");
          }
          recipients.push_back({wallet::EncodeAddress(w->hrp(), o.lock), o.value,
                                subtract.count(static_cast<int64_t>(i)) != 0});
        }
        if (fee_rate && conf_target) throw RpcError(rpc::kRpcInvalidParameter, kFeeRateAndTarget);
        wallet::CoinControl control;
        control.fee_rate =
            fee_rate ? *fee_rate : EstimateFeeRate(node, conf_target.value_or(kDefaultConfTarget));
        control.sign = false;
        for (const TxIn& in : tx.inputs) control.preset_inputs.push_back(in.prevout);
        wallet::CreatedTransaction created;
        Status s = w->CreateTransaction(recipients, control, &created);
        if (!s.ok()) ThrowWalletError(s);
        created.tx.lock_height = tx.lock_height;
        created.tx.version = tx.version;
        if (lock_unspents) {
          for (const TxIn& in : created.tx.inputs) w->LockCoin(in.prevout);
        }
        return json{{"hex", HexStr(Serialize(created.tx))},
                    {"fee", ValueFromAmount(created.fee)},
                    {"changepos", created.change_pos}};
      }};
}

}  // namespace

Status RegisterWalletRpcs(rpc::RpcTable& table, NodeContext& node) {
  static const rpc::RpcCommand<NodeContext> kCommands[] = {
      {"rawtransactions", &fundrawtransaction},
      {"util", &validateaddress},
      {"wallet", &abandontransaction},
      {"wallet", &backupwallet},
      {"wallet", &bumpfee},
      {"wallet", &createwallet},
      {"wallet", &deregisterworker},
      {"wallet", &encryptwallet},
      {"wallet", &getaddressesbylabel},
      {"wallet", &getaddressinfo},
      {"wallet", &getbalance},
      {"wallet", &getbalances},
      {"wallet", &getnewaddress},
      {"wallet", &getrawchangeaddress},
      {"wallet", &getreceivedbyaddress},
      {"wallet", &getreceivedbylabel},
      {"wallet", &gettransaction},
      {"wallet", &getwalletinfo},
      {"wallet", &listlabels},
      {"wallet", &listlockunspent},
      {"wallet", &listreceivedbyaddress},
      {"wallet", &listreceivedbylabel},
      {"wallet", &listsinceblock},
      {"wallet", &listtransactions},
      {"wallet", &listunspent},
      {"wallet", &listwallets},
      {"wallet", &loadwallet},
      {"wallet", &lockunspent},
      {"wallet", &registerworker},
      {"wallet", &restorewallet},
      {"wallet", &sendmany},
      {"wallet", &sendtoaddress},
      {"wallet", &setlabel},
      {"wallet", &signrawtransactionwithwallet},
      {"wallet", &unloadwallet},
      {"wallet", &walletlock},
      {"wallet", &walletpassphrase},
      {"wallet", &walletpassphrasechange},
  };
  return table.AddAll(kCommands, node);
}

}  // namespace cc
