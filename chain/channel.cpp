#include "chain/channel.h"

#include <string>

namespace cc {
namespace {

bool Reject(ValidationState* state, const char* reason, std::string debug = {}) {
  return state->Invalid(ValidationResult::kConsensus, reason, std::move(debug));
}

// The one input and its ChannelSpend, shared by settlement and refund.
void SpendChannel(const Channel& channel, ChannelClose close, Transaction* tx) {
  tx->version = kChannelTxVersion;
  tx->inputs = {TxIn{channel.funding, channel.terms.client, {}}};
  tx->channel_spends = {
      ChannelSpend{0, channel.terms.holder, channel.terms.timeout_height, close, {}}};
}

}  // namespace

TxOut Channel::FundingOutput() const {
  return TxOut{capacity, OutputKind::kChannel, ChannelLock(terms)};
}

bool CheckChannel(const Channel& channel, ValidationState* state) {
  if (channel.capacity <= 0 || !MoneyRange(channel.capacity)) {
    return Reject(state, "channel-capacity-range", std::to_string(channel.capacity));
  }
  if (channel.close_fee < 0 || channel.close_fee >= channel.capacity) {
    return Reject(state, "channel-fee-range", std::to_string(channel.close_fee));
  }
  return true;
}

Status MakeSettlement(const Channel& channel, Amount paid, const Uint256& receipts_root,
                      Transaction* out) {
  ValidationState state;
  if (!CheckChannel(channel, &state)) return Status::InvalidArgument(state.ToString());
  if (paid < 0 || paid > channel.MaxPaid()) {
    return Status::InvalidArgument("channel-update-over-capacity");
  }
  *out = Transaction{};
  SpendChannel(channel, ChannelClose::kCooperative, out);
  if (paid > 0) {
    out->outputs.push_back(TxOut{paid, OutputKind::kPayToKeyHash, KeyHash(channel.terms.holder)});
  }
  const Amount change = channel.MaxPaid() - paid;
  if (change > 0) {
    out->outputs.push_back(TxOut{change, OutputKind::kPayToKeyHash, KeyHash(channel.terms.client)});
  }
  out->outputs.push_back(TxOut{0, OutputKind::kCommitment, receipts_root});
  return Status::OK();
}

Status UpdateSighash(const Channel& channel, Amount paid, const Uint256& receipts_root,
                     Uint256* sighash) {
  Transaction tx;
  Status s = MakeSettlement(channel, paid, receipts_root, &tx);
  if (!s.ok()) return s;
  *sighash = tx.Sighash(0, channel.FundingOutput());
  return Status::OK();
}

bool CheckUpdate(const Channel& channel, const ChannelUpdate& update, Amount last_paid,
                 ValidationState* state) {
  if (update.funding != channel.funding) return Reject(state, "channel-update-wrong-channel");
  if (update.paid < 0 || update.paid > channel.MaxPaid()) {
    return Reject(state, "channel-update-over-capacity",
                  std::to_string(update.paid) + " > " + std::to_string(channel.MaxPaid()));
  }
  if (update.paid <= last_paid) {
    return Reject(state, "channel-update-not-increasing",
                  std::to_string(update.paid) + " <= " + std::to_string(last_paid));
  }
  Uint256 sighash;
  if (!UpdateSighash(channel, update.paid, update.receipts_root, &sighash).ok() ||
      !VerifySchnorr(channel.terms.client, sighash, update.client_signature)) {
    return Reject(state, "channel-update-bad-sig");
  }
  return true;
}

Status MakeSettlement(const Channel& channel, const ChannelUpdate& update, Transaction* out) {
  Status s = MakeSettlement(channel, update.paid, update.receipts_root, out);
  if (!s.ok()) return s;
  out->inputs[0].signature = update.client_signature;
  return Status::OK();
}

Status MakeRefund(const Channel& channel, Amount fee, Transaction* out) {
  if (fee < 0 || fee >= channel.capacity) return Status::InvalidArgument("refund fee out of range");
  *out = Transaction{};
  SpendChannel(channel, ChannelClose::kRefund, out);
  out->outputs = {
      TxOut{channel.capacity - fee, OutputKind::kPayToKeyHash, KeyHash(channel.terms.client)}};
  out->lock_height = channel.terms.timeout_height;
  return Status::OK();
}

}  // namespace cc
