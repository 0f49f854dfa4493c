// The wallet's payment channels: the Wallet methods declared under
// "Payment channels" in wallet.h (see its file comment).

#include <vector>

#include "chain/channel.h"
#include "wallet/bech32.h"
#include "wallet/wallet.h"

namespace cc::wallet {

const char* ChannelStateName(ChannelState state) {
  switch (state) {
    case ChannelState::kOpening:
      return "opening";
    case ChannelState::kOpen:
      return "open";
    case ChannelState::kClosing:
      return "closing";
    case ChannelState::kClosed:
      return "closed";
    case ChannelState::kAbandoned:
      return "abandoned";
  }
  return "unknown";
}

ChannelInfo Wallet::MakeChannelInfo(const ChannelRecord& record) const {
  ChannelInfo info{record, ChannelState::kOpen, {}};
  if (auto spenders = spends_.find(record.channel.funding); spenders != spends_.end()) {
    for (const Uint256& txid : spenders->second) {
      auto t = txs_.find(txid);
      if (t == txs_.end() || !t->second.IsActive()) continue;
      info.close_txid = txid;
      if (t->second.IsConfirmed()) {
        info.state = ChannelState::kClosed;
        return info;
      }
      info.state = ChannelState::kClosing;
    }
    if (info.state == ChannelState::kClosing) return info;
  }
  auto funding = txs_.find(record.channel.funding.txid);
  if (funding != txs_.end() && !funding->second.IsActive()) {
    info.state = ChannelState::kAbandoned;
  } else if (funding != txs_.end() && !funding->second.IsConfirmed()) {
    info.state = ChannelState::kOpening;
  }
  return info;
}

Status Wallet::CreateChannelFunding(const XOnlyPubKeyBytes& holder, Amount capacity,
                                    uint32_t timeout_height, const CoinControl& coin_control,
                                    CreatedTransaction* out, Channel* channel) {
  if (!IsValidXOnlyPubKey(holder)) return Status::InvalidArgument("Invalid holder public key");
  Channel c;
  c.capacity = capacity;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (timeout_height <= best_block_.height) {
      return Status::InvalidArgument("Channel timeout height must be above the best block");
    }
    const KeyOrigin origin{kReceiveChain, next_index_[kReceiveChain]};
    WalletBatch batch(db_.get());
    MarkUsed(origin, &batch);
    Status s = batch.Commit();
    if (!s.ok()) return s;
    c.terms = ChannelTerms{PubKeyOf(origin), holder, timeout_height};
  }
  if (capacity <= 0 || !MoneyRange(capacity)) return Status::InvalidArgument("Amount out of range");
  // The close fee on the largest settlement (holder, change and commitment outputs).
  Transaction settlement;
  Status s = MakeSettlement(c, 1, Uint256(), &settlement);
  if (!s.ok()) return Status::InvalidArgument("Channel capacity too small");
  c.close_fee = coin_control.fee_rate.GetFee(Serialize(settlement).size());
  if (capacity <= c.close_fee + DustThreshold()) {
    return Status::InvalidArgument("Channel capacity too small");
  }

  // A payment to the client's own key has the size of the channel output, so
  // the fee coin selection computes for it holds once the output is swapped.
  const std::string placeholder = EncodeAddress(options_.hrp, KeyHash(c.terms.client));
  CoinControl unsigned_control = coin_control;
  unsigned_control.sign = false;
  s = CreateTransaction({Recipient{placeholder, capacity, false}}, unsigned_control, out);
  if (!s.ok()) return s;
  const TxOut payment{capacity, OutputKind::kPayToKeyHash, KeyHash(c.terms.client)};
  uint32_t index = 0;
  while (index < out->tx.outputs.size() &&
         (static_cast<int>(index) == out->change_pos || out->tx.outputs[index] != payment)) {
    ++index;
  }
  if (index == out->tx.outputs.size()) return Status::Corruption("channel output not placed");
  out->tx.outputs[index] = c.FundingOutput();
  c.funding = OutPoint{out->tx.Txid(), index};
  if (coin_control.sign) {
    std::vector<InputSignError> errors;
    bool complete = false;
    s = SignTransaction(&out->tx, {}, &errors, &complete);
    if (!s.ok()) return s;
    if (!complete) return Status::Corruption("channel funding left unsigned");
  }
  *channel = c;
  return Status::OK();
}

Status Wallet::CommitChannelOpen(const Transaction& funding, const Channel& channel) {
  if (funding.Txid() != channel.funding.txid || channel.funding.index >= funding.outputs.size() ||
      funding.outputs[channel.funding.index] != channel.FundingOutput()) {
    return Status::InvalidArgument("the transaction does not fund the channel");
  }
  std::lock_guard<std::mutex> lock(mu_);
  WalletBatch batch(db_.get());
  RecordOwnTransaction(funding, &batch);
  ChannelRecord record;
  record.channel = channel;
  record.role = ChannelRole::kClient;
  record.best.funding = channel.funding;
  batch.WriteChannel(record);
  Status s = batch.Commit();
  if (s.ok()) channels_[channel.funding] = record;
  return s;
}

Status Wallet::SignChannelUpdate(const OutPoint& funding, Amount paid, const Uint256& receipts_root,
                                 ChannelUpdate* out) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = channels_.find(funding);
  if (it == channels_.end() || it->second.role != ChannelRole::kClient) {
    return Status::NotFound("channel-unknown");
  }
  const ChannelRecord& record = it->second;
  const ChannelState state = MakeChannelInfo(record).state;
  if (state != ChannelState::kOpening && state != ChannelState::kOpen) {
    return Status::InvalidArgument("channel-closed");
  }
  if (paid <= record.best.paid) return Status::InvalidArgument("channel-update-not-increasing");
  Uint256 sighash;
  if (!UpdateSighash(record.channel, paid, receipts_root, &sighash).ok()) {
    return Status::InvalidArgument("channel-update-over-capacity");
  }
  ChannelRecord next = record;
  next.best = ChannelUpdate{funding, paid, receipts_root, {}};
  Status s = SignWithKey(record.channel.terms.client, sighash, &next.best.client_signature);
  if (!s.ok()) return s;
  // Kept before it is handed out: after a crash we never sign less again.
  WalletBatch batch(db_.get());
  batch.WriteChannel(next);
  s = batch.Commit();
  if (!s.ok()) return s;
  it->second = next;
  *out = next.best;
  return Status::OK();
}

Status Wallet::AcceptChannelUpdate(const Channel& channel, const ChannelUpdate& update) {
  ValidationState state;
  if (!CheckChannel(channel, &state)) return Status::InvalidArgument(state.reason());
  std::lock_guard<std::mutex> lock(mu_);
  if (by_pubkey_.count(channel.terms.holder) == 0) {
    return Status::InvalidArgument("channel-not-ours");
  }
  Amount last_paid = 0;
  auto it = channels_.find(channel.funding);
  if (it != channels_.end()) {
    // One record per funding outpoint: a wallet holding both keys is the
    // channel's client, and cannot be its holder too.
    if (it->second.role != ChannelRole::kHolder)
      return Status::InvalidArgument("channel-update-own-channel");
    if (it->second.channel != channel)
      return Status::InvalidArgument("channel-update-wrong-channel");
    const ChannelState s = MakeChannelInfo(it->second).state;
    if (s == ChannelState::kClosing || s == ChannelState::kClosed) {
      return Status::InvalidArgument("channel-closed");
    }
    last_paid = it->second.best.paid;
  }
  if (uint64_t{best_block_.height} + kChannelExpiryMargin >= channel.terms.timeout_height) {
    return Status::InvalidArgument("channel-update-expiring");
  }
  if (!CheckUpdate(channel, update, last_paid, &state)) {
    return Status::InvalidArgument(state.reason());
  }
  ChannelRecord record;
  record.channel = channel;
  record.role = ChannelRole::kHolder;
  record.best = update;
  WalletBatch batch(db_.get());
  batch.WriteChannel(record);
  Status s = batch.Commit();
  if (s.ok()) channels_[channel.funding] = record;
  return s;
}

Status Wallet::CreateChannelClose(const OutPoint& funding, Transaction* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = channels_.find(funding);
  if (it == channels_.end()) return Status::NotFound("channel-unknown");
  const ChannelRecord& record = it->second;
  const ChannelState state = MakeChannelInfo(record).state;
  if (state != ChannelState::kOpening && state != ChannelState::kOpen) {
    return Status::InvalidArgument("channel-closed");
  }
  const Channel& channel = record.channel;
  if (record.role == ChannelRole::kHolder) {
    if (record.best.paid == 0) return Status::InvalidArgument("channel-no-payment");
    Status s = MakeSettlement(channel, record.best, out);
    if (!s.ok()) return s;
    return SignWithKey(channel.terms.holder, out->Sighash(0, channel.FundingOutput()),
                       &out->channel_spends[0].holder_signature);
  }
  if (uint64_t{best_block_.height} + 1 < channel.terms.timeout_height) {
    return Status::InvalidArgument("channel-refund-premature");
  }
  Status s = MakeRefund(channel, channel.close_fee, out);
  if (!s.ok()) return s;
  return SignWithKey(channel.terms.client, out->Sighash(0, channel.FundingOutput()),
                     &out->inputs[0].signature);
}

std::vector<ChannelInfo> Wallet::ListChannels() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ChannelInfo> out;
  for (const auto& [funding, record] : channels_) out.push_back(MakeChannelInfo(record));
  return out;
}

Status Wallet::GetChannel(const OutPoint& funding, ChannelInfo* info) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = channels_.find(funding);
  if (it == channels_.end()) return Status::NotFound("channel-unknown");
  *info = MakeChannelInfo(it->second);
  return Status::OK();
}

}  // namespace cc::wallet
