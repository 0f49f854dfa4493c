// Helpers shared by the wallet RPC methods (rpc_wallet.cpp, rpc_rawwallet.cpp):
// Bitcoin Core's wallet error codes, picking the wallet a call is for,
// amounts in and out of JSON, and the mapping of wallet Status errors.
//
// Wallet selection (Bitcoin Core's GetWalletForJSONRPCRequest): a call on
// "/wallet/<name>" (name percent-decoded) uses that wallet, or fails with
// kRpcWalletNotFound "Requested wallet does not exist or is not loaded";
// a call on "/" uses the only loaded wallet, fails with kRpcWalletNotFound
// "No wallet is loaded. ..." when none is, and with kRpcWalletNotSpecified
// when several are.
//
// Fee rates: estimates for a confirmation target (conf_target, Bitcoin
// Core's 1..1008 blocks).
//
// Amounts: JSON numbers or strings of coins with at most 8 decimals
// (kCoin = 10^8 units), exactly: "0.1" and 0.1 are both 10000000 units.
// Strings and JSON integers are parsed from their decimal text; a JSON
// float, whose text the parser has already turned into a double, is an
// amount if it is the double nearest to a whole number of units
// (rpc::UnitsOfCoinValue; doubles below 2^53 / 10^8 are closer together
// than 10^-8, so each amount has its own). Replies carry JSON numbers of
// coins, written with exactly 8 decimals (rpc/json_format.h).
// Limit: a double holds amounts exactly only below 2^53 units (about 90
// million coins; Bitcoin's 21 million fit). kMaxMoney is higher, so a
// larger amount parses exactly only as a string or an integer, and is
// written at a double's precision.
//
// Thread safety: free functions.

#ifndef COMPUTECOIN_NODE_RPC_WALLET_UTIL_H
#define COMPUTECOIN_NODE_RPC_WALLET_UTIL_H

#include <memory>
#include <string>

#include "chain/amount.h"
#include "chain/status.h"
#include "node/context.h"
#include "rpc/method.h"
#include "wallet/wallet.h"

namespace cc {

// Bitcoin Core's wallet error codes (src/rpc/protocol.h).
inline constexpr int kRpcWalletError = -4;              //!< unspecified wallet problem
inline constexpr int kRpcWalletInsufficientFunds = -6;  //!< not enough funds
inline constexpr int kRpcWalletInvalidLabelName = -11;  //!< "*", or no address carries it
inline constexpr int kRpcWalletUnlockNeeded = -13;      //!< enter the passphrase first
inline constexpr int kRpcWalletPassphraseIncorrect = -14;
inline constexpr int kRpcWalletWrongEncState = -15;  //!< e.g. encrypting twice
inline constexpr int kRpcWalletNotFound = -18;       //!< not loaded, or no such file
inline constexpr int kRpcWalletNotSpecified = -19;   //!< several loaded, none named
inline constexpr int kRpcWalletAlreadyLoaded = -35;
inline constexpr int kRpcWalletAlreadyExists = -36;

/// The wallet the call is for (see the file comment). Throws RpcError.
std::shared_ptr<wallet::Wallet> GetWalletForRequest(NodeContext& node,
                                                    const rpc::RpcRequest& request);
/// The wallet named by the request's URI, or "" when it came on "/".
std::string WalletNameFromUri(const std::string& uri);

/// Coins → units. Throws kRpcTypeError "Amount is not a number or string",
/// "Invalid amount" (more than 8 decimals, not a number), "Amount out of range".
Amount AmountFromValue(const rpc::json& value);
/// Units → a JSON number of coins: the double nearest to amount / 10^8,
/// which rpc::DumpJson (rpc/json_format.h) writes with exactly 8 decimals
/// from the integer amount. The one way amounts enter replies.
rpc::json ValueFromAmount(Amount amount);

/// The confirmation target of fee estimates when none is given (Bitcoin
/// Core's -txconfirmtarget).
inline constexpr uint32_t kDefaultConfTarget = 6;

/// A conf_target argument: an integer in [1, wallet::kMaxConfirmTarget].
/// Throws kRpcInvalidParameter "Invalid conf_target, must be between 1 and 1008".
uint32_t ParseConfTarget(const rpc::json& value);
/// An estimate_mode argument: null, or "unset", "economical" or
/// "conservative" in any case (accepted for compatibility: there is one
/// mode). Throws kRpcInvalidParameter "Invalid estimate_mode parameter, ...".
void CheckEstimateMode(const rpc::json& value);
/// A replaceable argument: null or true (every transaction is replaceable
/// by fee, chain/mempool.h). Throws kRpcInvalidParameter for false.
void CheckReplaceable(const rpc::json& value);
/// The node's fee-rate estimate for `target` blocks (node/fee_estimation.h);
/// the mempool's minimum relay rate when the node has no estimator.
wallet::FeeRate EstimateFeeRate(NodeContext& node, uint32_t target);

/// Throws the RpcError a failed wallet call maps to (doc/wallet.md table):
/// -13, -14, -15, -6, -5, else -4 with the message. REQUIRES: !s.ok().
[[noreturn]] void ThrowWalletError(const Status& s);

}  // namespace cc

#endif  // COMPUTECOIN_NODE_RPC_WALLET_UTIL_H
