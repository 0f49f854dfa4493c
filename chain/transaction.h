// Transactions (UTXO model).
//
// A transaction spends earlier outputs (inputs, by outpoint) and creates new
// ones. Each input carries the spender's BIP340 x-only public key and a
// Schnorr signature over the transaction's sighash for that input.
//
// Output kinds:
//   kPayToKeyHash  `lock` is KeyHash(pubkey): TaggedHash(tags::kKeyHash, pubkey32).
//                  Spendable by an input whose pubkey hashes to `lock`.
//   kWorkerBond    `lock` is the worker's x-only public key itself; while the
//                  output is unspent the key is a registered worker (the
//                  consensus registry reads it, slashing finds it by it),
//                  `value` is the bond. `owner` is KeyHash of the key that may
//                  spend it (the wallet that paid it, not the worker's hot
//                  signing key: a stolen signing key cannot take the bond).
//                  Spending it deregisters the worker.
//   kChannel       a unidirectional payment channel (doc/channels.md): `lock`
//                  is ChannelLock(terms), terms = (client key, holder key,
//                  timeout height). Spendable by a transaction of version
//                  >= kChannelTxVersion whose ChannelSpend for the input
//                  reveals the terms (the input's pubkey is the client's) and
//                  either carries the holder's signature too (cooperative
//                  close) or, from the timeout height on, none (refund).
//   kCommitment    a zero-value output that only carries a 32-byte commitment
//                  in `lock` (a settlement's receipts root); never spendable.
//   kUnbonding     a bond on its way out (doc/consensus.md §2.1): `lock` is the
//                  worker's x-only key, `owner` as for kWorkerBond. Spending a
//                  kWorkerBond must move the value into kUnbonding (or
//                  kWorkerBond) outputs locked to the same worker key; a
//                  kUnbonding output is spendable by its owner only from its
//                  creation height + the network's unbonding delay, and until
//                  spent it can still be slashed.
//   kWorkerPayout  a zero-value output that must come right after each
//                  kWorkerBond output (and only there): `lock` is the key hash
//                  the bonded worker's rewards and fees are paid to
//                  (doc/consensus.md §2), so the hot key that signs records
//                  need not be the key that spends what they earn.
//                  `payout_signature` is the bonded worker key's BIP340
//                  signature of PayoutSigningHash(genesis, key, lock), so
//                  nobody but the worker names where it is paid. Never
//                  spendable, and never in the UTXO set (EntersUtxoSet).
//
// A transaction of version >= kSlashTxVersion ends with `evidence`: empty,
// or the canonical encoding of one chain/evidence.h Evidence, which makes it
// a slashing transaction: its inputs spend the offender's kWorkerBond and
// kUnbonding outputs without the offender's signature (their pubkey and
// signature fields are zero), authorised by the evidence (chain/tx_check.h).
//
// A coinbase has no inputs; its lock_height must equal the block height, so
// two coinbases never share a txid.
//
// Wire format (see serialize.h):
//   Transaction = version:u32 inputs:vector<TxIn> outputs:vector<TxOut> lock_height:u32
//                 [channel_spends:vector<ChannelSpend>]   only if version >= kChannelTxVersion
//                 [evidence:bytes]                         only if version >= kSlashTxVersion
//   TxIn        = prevout:OutPoint pubkey:[32] signature:[64]
//   OutPoint    = txid:Uint256 index:u32
//   TxOut       = value:i64 kind:u8 lock:Uint256
//                 [owner:Uint256]                         only if kind is kWorkerBond or kUnbonding
//                 [payout_signature:[64]]                 only if kind is kWorkerPayout
//   ChannelSpend = input:u32 holder:[32] timeout_height:u32 close:u8
//                  [holder_signature:[64]]                only if close is kCooperative
// Earlier versions end at lock_height, so every transaction made before
// channels existed keeps its bytes and its txid.
// txid = Hash256(encoding with every input's signature and every
// holder_signature zeroed; the evidence stays, being the transaction's
// authorisation rather than a signature over it), so a signature can never change a txid (no
// malleability).
// wtxid = Hash256(full encoding): what a block's tx_root commits to, so the
// signatures a block carries are fixed by its header too (as Bitcoin's
// witness commitment does); otherwise a relayer could swap in bad signatures
// without changing the block id and get the honest block marked invalid.
// sighash(i) = TaggedHash(tags::kSighash, txid || i:u32 || spent TxOut).

#ifndef COMPUTECOIN_CHAIN_TRANSACTION_H
#define COMPUTECOIN_CHAIN_TRANSACTION_H

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "chain/amount.h"
#include "chain/serialize.h"
#include "chain/uint256.h"

namespace cc {

using XOnlyPubKeyBytes = std::array<uint8_t, 32>;
using SchnorrSigBytes = std::array<uint8_t, 64>;

/// TaggedHash(tags::kKeyHash, pubkey32): what a pay-to-key-hash output locks to.
Uint256 KeyHash(const XOnlyPubKeyBytes& pubkey32);

/// What a worker key signs to name its payout: TaggedHash(tags::kRegistration,
/// genesis_hash ‖ worker ‖ payout). The genesis block id binds it to one
/// network. A kWorkerPayout output carries this signature, and so does a
/// regworker request (net/messages.h), whose signature a producer copies
/// into the free registration it writes.
Uint256 PayoutSigningHash(const Uint256& genesis_hash, const XOnlyPubKeyBytes& worker,
                          const Uint256& payout);

/// The first transaction version that carries channel_spends (see the file
/// comment). Version 2 never had a meaning of its own and appears in test
/// vectors, so channels start at 3.
inline constexpr uint32_t kChannelTxVersion = 3;
/// The first transaction version that carries `evidence` (slashing).
inline constexpr uint32_t kSlashTxVersion = 4;

/// What a kChannel output commits to.
struct ChannelTerms {
  XOnlyPubKeyBytes client{};    //!< funds the channel; signs every close
  XOnlyPubKeyBytes holder{};    //!< is paid; co-signs the cooperative close
  uint32_t timeout_height = 0;  //!< from this block height on the client may refund alone

  CC_SERIALIZE_METHODS(ChannelTerms, obj) { ar(obj.client, obj.holder, obj.timeout_height); }
  bool operator==(const ChannelTerms&) const = default;
};

/// TaggedHash(tags::kChannelTerms, Serialize(terms)): a kChannel output's lock.
Uint256 ChannelLock(const ChannelTerms& terms);

/// How a ChannelSpend closes its channel.
enum class ChannelClose : uint8_t {
  kCooperative = 0,  //!< client and holder both sign
  kRefund = 1,       //!< the client alone, at or after the timeout height
};

/// The terms and the holder's half of a transaction input that spends a
/// kChannel output (the client's key and signature are the input's own).
struct ChannelSpend {
  uint32_t input = 0;  //!< index of that input
  XOnlyPubKeyBytes holder{};
  uint32_t timeout_height = 0;
  ChannelClose close = ChannelClose::kCooperative;
  /// Over the same sighash as the input's signature; all zero and absent
  /// from the encoding for kRefund.
  SchnorrSigBytes holder_signature{};

  bool operator==(const ChannelSpend&) const = default;
};
/// ChannelSpend has a hand-written codec: the signature is on the wire only
/// for kCooperative, and decoding rejects unknown close kinds.
void Put(Writer& w, const ChannelSpend& spend);
void Get(Reader& r, ChannelSpend& spend);

struct OutPoint {
  Uint256 txid;
  uint32_t index = 0;

  CC_SERIALIZE_METHODS(OutPoint, obj) { ar(obj.txid, obj.index); }
  auto operator<=>(const OutPoint&) const = default;
};

struct TxIn {
  OutPoint prevout;
  XOnlyPubKeyBytes pubkey{};
  SchnorrSigBytes signature{};

  CC_SERIALIZE_METHODS(TxIn, obj) { ar(obj.prevout, obj.pubkey, obj.signature); }
  bool operator==(const TxIn&) const = default;
};

enum class OutputKind : uint8_t {
  kPayToKeyHash = 0,
  kWorkerBond = 1,
  kChannel = 2,
  kCommitment = 3,
  kUnbonding = 4,
  kWorkerPayout = 5,
};

/// The kind's name in RPC output: "pay_to_key_hash", "worker_bond", "channel",
/// "commitment", "unbonding", "worker_payout".
std::string_view OutputKindName(OutputKind kind);

struct TxOut {
  Amount value = 0;
  OutputKind kind = OutputKind::kPayToKeyHash;
  Uint256 lock;
  /// kWorkerPayout only (see the file comment); all zero and absent from
  /// the encoding for every other kind.
  SchnorrSigBytes payout_signature{};
  /// kWorkerBond and kUnbonding only: KeyHash of the key that may spend it;
  /// zero and absent from the encoding for every other kind.
  Uint256 owner;

  bool operator==(const TxOut&) const = default;
};
/// TxOut has a hand-written codec: decoding rejects unknown kinds, owner is
/// on the wire only for kWorkerBond and kUnbonding, payout_signature only
/// for kWorkerPayout.
void Put(Writer& w, const TxOut& out);
void Get(Reader& r, TxOut& out);

/// True if an input carrying `pubkey` meets the lock of `out` (the rule of
/// its kind, see the file comment); the signature is checked separately.
/// Always false for kChannel (its rule needs the ChannelSpend: see
/// CheckInputSignatures) and for kCommitment. A kWorkerBond or kUnbonding
/// output is met by its owner's key, never by the worker key in its lock
/// (unless that key owns it too); for kUnbonding the delay is CheckTxInputs'
/// rule.
[[nodiscard]] bool IsSpendableBy(const TxOut& out, const XOnlyPubKeyBytes& pubkey);

/// Whether `out` becomes a coin when its transaction confirms: every kind
/// but kWorkerPayout, which only carries the bond's payout commitment. The
/// one rule every coins view (the UTXO set, a block's, the mempool's)
/// follows, so such an outpoint is "missing" everywhere.
[[nodiscard]] inline bool EntersUtxoSet(const TxOut& out) {
  return out.kind != OutputKind::kWorkerPayout;
}

struct Transaction {
  uint32_t version = 1;
  std::vector<TxIn> inputs;
  std::vector<TxOut> outputs;
  uint32_t lock_height = 0;
  /// Sorted by input, at most one per input; only in versions >= kChannelTxVersion.
  std::vector<ChannelSpend> channel_spends;
  /// Empty, or the encoding of the Evidence that authorises this slashing
  /// transaction; only in versions >= kSlashTxVersion.
  std::vector<uint8_t> evidence;

  CC_SERIALIZE_METHODS(Transaction, obj) {
    ar(obj.version, obj.inputs, obj.outputs, obj.lock_height);
    if (obj.version >= kChannelTxVersion) ar(obj.channel_spends);
    if (obj.version >= kSlashTxVersion) ar(obj.evidence);
  }
  bool operator==(const Transaction&) const = default;

  bool IsCoinbase() const { return inputs.empty(); }
  /// A slashing transaction: one that carries evidence.
  bool IsSlash() const { return !evidence.empty(); }
  /// Hash256 of the encoding with signatures zeroed (see file comment).
  Uint256 Txid() const;
  /// Hash256 of the full encoding, signatures included: the tx_root leaf.
  Uint256 Wtxid() const;
  /// The message input `input_index` signs. Hashes the whole transaction;
  /// to check or sign every input, compute Txid() once and use
  /// SighashFromTxid(), or the work grows with the square of the size.
  /// REQUIRES: input_index < inputs.size().
  Uint256 Sighash(uint32_t input_index, const TxOut& spent) const;
  /// Sum of output values. REQUIRES: CheckTransaction passed (every value
  /// and every partial sum in MoneyRange), so the sum cannot overflow.
  Amount ValueOut() const;
  /// The ChannelSpend for input `input_index`, or null if it has none.
  /// REQUIRES: channel_spends sorted by input (CheckTransaction passed).
  const ChannelSpend* FindChannelSpend(uint32_t input_index) const;
};

/// Transaction::Sighash for the transaction whose Txid() is `txid`.
Uint256 SighashFromTxid(const Uint256& txid, uint32_t input_index, const TxOut& spent);

}  // namespace cc

#endif  // COMPUTECOIN_CHAIN_TRANSACTION_H
