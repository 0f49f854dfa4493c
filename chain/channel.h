// Payment channels off chain: the settlement transaction a client signs for
// each payment, and the checks a holder runs on it (doc/channels.md).
//
// A channel is one kChannel output (transaction.h) of `capacity` coins whose
// terms are (client key, holder key, timeout height). To pay the holder a
// cumulative `paid`, the client signs the one settlement transaction that
// pays it, and sends that signature as a ChannelUpdate. The signature IS the
// client's input signature of that transaction, so the holder can add its own
// and close at any time without the client; there is no separate off-chain
// signature scheme to get wrong, and the sighash's tag already separates it
// from every other signed object.
//
// The settlement of (channel, paid, receipts_root), built identically by
// both sides (MakeSettlement):
//   version kChannelTxVersion, lock_height 0
//   vin 0:   the funding outpoint, pubkey = client key, client's signature
//   vout:    paid → KeyHash(holder)                         when paid > 0
//            capacity − close_fee − paid → KeyHash(client)  when > 0
//            0 → kCommitment receipts_root                  always, last
//   channel_spends: {input 0, holder, timeout_height, kCooperative, holder sig}
// The fee is fixed when the channel opens and comes out of the client's
// change, so the holder receives exactly `paid`. The commitment is the
// Merkle root of the receipts the payment covers (receipt.h), so the client's
// signature also binds what was served; a holder that needs no receipts
// commits MerkleRoot({}).
//
// A holder accepts an update only if it pays strictly more than the last one
// it accepted (an older or replayed update is refused) and no more than
// capacity − close_fee. It keeps the best update; the client cannot revoke
// it, and can only reclaim the whole capacity alone (MakeRefund) once the
// chain reaches timeout_height, so the holder must close before then.
//
// Reject reasons of CheckChannel and CheckUpdate (ValidationResult::kConsensus,
// the sender's fault):
//   channel-capacity-range      capacity outside (0, kMaxMoney]
//   channel-fee-range           close_fee outside [0, capacity)
//   channel-update-wrong-channel  the update names another funding outpoint
//   channel-update-over-capacity  paid outside [0, capacity − close_fee]
//   channel-update-not-increasing paid ≤ the last accepted (replayed or old)
//   channel-update-bad-sig      the client's signature does not verify
//
// Wire formats (serialize.h):
//   Channel       = funding:OutPoint capacity:i64 terms:ChannelTerms close_fee:i64
//   ChannelUpdate = funding:OutPoint paid:i64 receipts_root:Uint256 client_signature:[64]
//
// Thread safety: free functions with no shared state.

#ifndef COMPUTECOIN_CHAIN_CHANNEL_H
#define COMPUTECOIN_CHAIN_CHANNEL_H

#include "chain/amount.h"
#include "chain/key.h"
#include "chain/serialize.h"
#include "chain/status.h"
#include "chain/transaction.h"
#include "chain/uint256.h"
#include "chain/validation.h"

namespace cc {

/// A channel as both parties know it.
struct Channel {
  OutPoint funding;     //!< the kChannel output
  Amount capacity = 0;  //!< its value
  ChannelTerms terms;
  Amount close_fee = 0;  //!< the settlement's fee, out of the client's change

  CC_SERIALIZE_METHODS(Channel, obj) { ar(obj.funding, obj.capacity, obj.terms, obj.close_fee); }
  bool operator==(const Channel&) const = default;

  /// The output `funding` must be: {capacity, kChannel, ChannelLock(terms)}.
  TxOut FundingOutput() const;
  /// The most the holder can be paid: capacity − close_fee.
  /// REQUIRES: CheckChannel passed.
  Amount MaxPaid() const { return capacity - close_fee; }
};

/// One off-chain payment: the client's signature on the settlement paying `paid`.
struct ChannelUpdate {
  OutPoint funding;
  Amount paid = 0;        //!< cumulative, to the holder
  Uint256 receipts_root;  //!< MerkleRoot of the receipts paid for (receipt.h)
  SchnorrSigBytes client_signature{};

  CC_SERIALIZE_METHODS(ChannelUpdate, obj) {
    ar(obj.funding, obj.paid, obj.receipts_root, obj.client_signature);
  }
  bool operator==(const ChannelUpdate&) const = default;
};

/** Checks a channel's amounts (reasons in the file comment).
 *  Returns: true if capacity and close_fee are in range; false with *state.
 *  Out:     state: REQUIRES: not null.
 */
[[nodiscard]] bool CheckChannel(const Channel& channel, ValidationState* state);

/** Builds the unsigned settlement of (channel, paid, receipts_root) (file comment).
 *  Returns: OK with *out; InvalidArgument if the channel fails CheckChannel
 *           or paid is outside [0, MaxPaid()], *out then unspecified.
 *  Out:     out: REQUIRES: not null.
 */
Status MakeSettlement(const Channel& channel, Amount paid, const Uint256& receipts_root,
                      Transaction* out);

/** The message the client signs for an update: the settlement's sighash for
 *  its one input.
 *  Returns: OK with *sighash; MakeSettlement's errors.
 *  Out:     sighash: REQUIRES: not null.
 */
Status UpdateSighash(const Channel& channel, Amount paid, const Uint256& receipts_root,
                     Uint256* sighash);

/** The holder's check of an update before serving against it.
 *  Returns: true if `update` is for `channel`, pays more than `last_paid`,
 *           fits the capacity and carries the client's valid signature;
 *           false with *state (reasons in the file comment).
 *  Out:     state: REQUIRES: not null.
 *  In:      channel:   REQUIRES: CheckChannel passed.
 *           last_paid: what the best accepted update pays (0 before any).
 */
[[nodiscard]] bool CheckUpdate(const Channel& channel, const ChannelUpdate& update,
                               Amount last_paid, ValidationState* state);

/** The settlement of `update` with the client's signature in place and the
 *  holder's still zero: the holder signs out->Sighash(0, FundingOutput())
 *  into out->channel_spends[0].holder_signature.
 *  Returns: OK with *out; MakeSettlement's errors. Does not check the client's
 *           signature (CheckUpdate does).
 *  Out:     out: REQUIRES: not null.
 */
Status MakeSettlement(const Channel& channel, const ChannelUpdate& update, Transaction* out);

/** The client's refund: the whole capacity less `fee` back to
 *  KeyHash(client), unsigned. Valid in a block at or after
 *  terms.timeout_height; its lock_height says so to readers, consensus
 *  checks the height itself (tx_check.h).
 *  Returns: OK with *out; InvalidArgument if fee is outside [0, capacity).
 *  Out:     out: REQUIRES: not null.
 */
Status MakeRefund(const Channel& channel, Amount fee, Transaction* out);

}  // namespace cc

#endif  // COMPUTECOIN_CHAIN_CHANNEL_H
