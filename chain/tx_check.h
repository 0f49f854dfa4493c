// Transaction checks that need no chain state, and the signature check that
// needs only the outputs being spent.
//
// Consensus code runs CheckTransaction first (cheap, context-free), then
// runs CheckTxInputs against the coins the transaction may spend (the one
// home of the input rules, used by block connection and mempool acceptance
// alike), then CheckInputSignatures. The rules about a coinbase's place
// (lock_height equals its block height; first in its block, and only there)
// belong to consensus/. A coinbase is recognised by having no inputs, so "a non-coinbase
// transaction has inputs" holds by construction, and the mempool must refuse
// coinbases outright.
//
// Reject reasons (all ValidationResult::kConsensus):
//   bad-txns-vout-empty            no outputs
//   bad-txns-oversize              encoding longer than kMaxTxSize
//   bad-txns-vout-negative         an output value < 0
//   bad-txns-vout-toolarge         an output value > kMaxMoney
//   bad-txns-txouttotal-toolarge   the running output total leaves MoneyRange
//   bad-txns-bond-key              a worker bond or unbonding output locked to a
//                                  value that is not a public key (it would
//                                  register a worker that can never sign)
//   bad-txns-commitment-value      a kCommitment output with a nonzero value (it
//                                  can never be spent, so the coins would burn)
//   bad-txns-payout-value          a kWorkerPayout output with a nonzero value
//   bad-txns-payout-place          a kWorkerBond output not followed by a
//                                  kWorkerPayout output, or a kWorkerPayout
//                                  output not right after a kWorkerBond one
//   bad-txns-inputs-duplicate      two inputs spend the same outpoint
//   bad-txns-prevout-null          an input spends txid 0, which no transaction has
//   bad-txns-channel-version       channel_spends in a transaction of a version
//                                  below kChannelTxVersion (only possible in
//                                  memory: such an encoding has none)
//   bad-txns-channel-spend-order   a ChannelSpend's input is not below the number
//                                  of inputs, or not above the previous one's
//                                  (one per input, sorted)
//   bad-slash-coinbase             a coinbase with evidence
//   bad-slash-version              evidence in a transaction of a version below
//                                  kSlashTxVersion (only possible in memory)
//   bad-slash-channel              a slashing transaction with channel spends
//   bad-slash-input-sig            a slashing transaction's input with a nonzero
//                                  pubkey or signature (nobody signs for the
//                                  offender; a free field would make copies of
//                                  one slashing transaction with other wtxids)
//   bad-evidence-*                 the evidence (DecodeEvidence, chain/evidence.h)
// CheckPayoutSignatures (context-free but for the network's genesis id):
//   bad-txns-payout-sig            a kWorkerPayout output whose payout_signature
//                                  is not the bonded key's signature of
//                                  PayoutSigningHash(genesis, key, payout)
// CheckInputSignatures, for a slashing transaction (no signatures checked):
//   bad-slash-input                an input spends anything but a kWorkerBond or
//                                  kUnbonding output locked to the offender
// CheckInputSignatures, per input in order, otherwise:
//   bad-txns-commitment-spend      the input spends a kCommitment output
//   bad-txns-channel-spend-missing the input spends a kChannel output and has no
//                                  ChannelSpend
//   bad-txns-channel-spend-unused  a ChannelSpend names an input that does not
//                                  spend a kChannel output
//   bad-txns-channel-terms         ChannelLock(input pubkey, holder, timeout) is
//                                  not the spent output's lock (a wrong client
//                                  or holder key, or a wrong timeout)
//   bad-txns-wrong-key             an input's pubkey does not meet the spent lock
//                                  (for a bond or unbonding output: its owner,
//                                  not the worker key, IsSpendableBy)
//   bad-txns-bad-sig               an input's signature does not verify (for a
//                                  channel input: the client's)
//   bad-txns-channel-holder-sig    a cooperative close whose holder signature
//                                  does not verify
//
// CheckTxInputs reasons (the category says whether the sender is at fault;
// in a block every one of them makes the block invalid, kConsensus):
//   bad-txns-inputs-missingorspent       kMissingInputs: no such unspent coin
//   bad-txns-premature-spend-of-coinbase kPremature: a coinbase output spent
//                                        before kCoinbaseMaturity blocks
//   bad-txns-inputvalues-outofrange      kConsensus: a spent value or the
//                                        running input total leaves MoneyRange
//   bad-txns-in-belowout                 kConsensus: outputs exceed inputs
//   bad-txns-channel-refund-premature    kPremature: a kRefund ChannelSpend
//                                        in a block below its timeout height
//   bad-txns-unbonding-premature         kPremature: a kUnbonding output spent
//                                        below its creation height + the delay
//   bad-txns-unbonding-missing           kConsensus: a key's kWorkerBond value
//                                        spent is not all in kWorkerBond or
//                                        kUnbonding outputs locked to that key
//   bad-slash-reward                     kConsensus: a slashing transaction pays
//                                        more than half of what it spends
// A slashing transaction is exempt from coinbase maturity (a coinbase bond is
// worth 0) and from the unbonding delay (the delay is there so that it can
// come); its fee is half its inputs minus its outputs, and the other half is
// burnt.
// The debug detail names the offending output or input ("vout 3", "vin 0").
//
// Thread safety: free functions with no shared state.

#ifndef COMPUTECOIN_CHAIN_TX_CHECK_H
#define COMPUTECOIN_CHAIN_TX_CHECK_H

#include <cstddef>
#include <span>
#include <vector>

#include "chain/amount.h"
#include "chain/coins.h"
#include "chain/transaction.h"
#include "chain/validation.h"

namespace cc {

/// Largest encoded transaction (bytes); about 7,500 inputs or 24,000 outputs.
inline constexpr size_t kMaxTxSize = 1'000'000;

/** Context-free validity: the rules in the file comment up to
 *  bad-txns-channel-spend-order.
 *
 *  Returns: true if tx passes; false with *state Invalid(kConsensus, reason).
 *  Out:     state: REQUIRES: not null.
 *  In:      tx.
 */
[[nodiscard]] bool CheckTransaction(const Transaction& tx, ValidationState* state);

/** Checks that the worker key of every kWorkerBond output signed the payout
 *  in the kWorkerPayout output after it, for this network: so whoever pays a
 *  bond to somebody's key cannot name where that worker is paid. One BIP340
 *  verification per bond; coinbases included (free registrations).
 *
 *  Returns: true if every payout is signed; false with *state
 *           Invalid(kConsensus, "bad-txns-payout-sig", "vout <i>") naming
 *           the first payout output that is not.
 *  Out:     state: REQUIRES: not null.
 *  In:      tx:           REQUIRES: CheckTransaction passed (every bond is
 *                         followed by its payout).
 *           genesis_hash: the network's genesis block id.
 */
[[nodiscard]] bool CheckPayoutSignatures(const Transaction& tx, const Uint256& genesis_hash,
                                         ValidationState* state);

/** Checks every input's pubkey against the lock of the output it spends and
 *  its Schnorr signature over the input's sighash; for a channel input, the
 *  terms its ChannelSpend reveals and, for a cooperative close, the holder's
 *  signature over the same sighash. Hashes the transaction once, whatever
 *  the number of inputs. The refund's timeout is CheckTxInputs' rule.
 *
 *  Returns: true if all inputs pass (always for a coinbase); false with
 *           *state Invalid(kConsensus, reason, "vin <i>") at the first
 *           failing input (reasons in the file comment), or
 *           Error("spent-outputs-mismatch") if spent.size() differs from the
 *           number of inputs (the caller's bug, not the sender's).
 *  Out:     state: REQUIRES: not null.
 *  In:      tx:    REQUIRES: CheckTransaction passed.
 *           spent: the outputs the inputs spend, in input order.
 */
[[nodiscard]] bool CheckInputSignatures(const Transaction& tx, std::span<const TxOut> spent,
                                        ValidationState* state);

/** Contextual input rules: every input spends an unspent, mature coin of
 *  `coins`, the values stay in MoneyRange, inputs cover outputs, no
 *  channel refund comes before its timeout height, no unbonding output is
 *  spent before its delay, bonds leave only into unbonding outputs, and a
 *  slashing transaction pays at most half of what it forfeits.
 *
 *  Returns: true, with *spent (the outputs spent, in input order) and *fee
 *           (inputs − outputs; for a slashing transaction inputs / 2 −
 *           outputs) set; false with *state as in the file comment
 *           for the first rule broken, or Error("coins-view-error") when the
 *           view fails; *spent and *fee are then unspecified.
 *  Out:     spent, fee, state: REQUIRES: not null.
 *  In:      tx:           REQUIRES: CheckTransaction passed and not a coinbase.
 *           coins:        what tx may spend (a block: the UTXO set at the
 *                         parent plus the outputs of the block's earlier
 *                         transactions; the mempool: the UTXO set plus
 *                         unconfirmed parents).
 *           spend_height: the height of the block that would include tx.
 *           unbonding_delay: the network's (ChainParams::unbonding_delay).
 */
[[nodiscard]] bool CheckTxInputs(const Transaction& tx, const CoinsView& coins,
                                 uint32_t spend_height, uint32_t unbonding_delay,
                                 std::vector<TxOut>* spent, Amount* fee, ValidationState* state);

}  // namespace cc

#endif  // COMPUTECOIN_CHAIN_TX_CHECK_H
