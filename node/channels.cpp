#include "node/channels.h"

#include "chain/validation.h"
#include "node/context.h"
#include "node/rpc_wallet_util.h"
#include "node/transaction.h"
#include "node/wallets.h"

namespace cc {
namespace {

Status Submit(NodeContext& node, const Transaction& tx) {
  ValidationState state;
  if (!AcceptToMempool(node, tx, /*test_only=*/false, &state)) {
    return Status::InvalidArgument("The transaction was rejected by the memory pool: " +
                                   state.ToString());
  }
  return Status::OK();
}

}  // namespace

Status OpenChannel(NodeContext& node, wallet::Wallet& w, const XOnlyPubKeyBytes& holder,
                   Amount capacity, uint32_t timeout_blocks, Channel* channel, Uint256* txid) {
  wallet::CoinControl control;
  control.fee_rate = EstimateFeeRate(node, kDefaultConfTarget);
  const uint32_t timeout = w.GetBestBlock().height + timeout_blocks;
  wallet::CreatedTransaction created;
  Channel c;
  Status s = w.CreateChannelFunding(holder, capacity, timeout, control, &created, &c);
  if (!s.ok()) return s;
  s = w.CommitChannelOpen(created.tx, c);
  if (!s.ok()) return s;
  s = Submit(node, created.tx);
  if (!s.ok()) {
    (void)w.AbandonTransaction(created.tx.Txid());  // the channel reads "abandoned"
    return s;
  }
  *channel = c;
  *txid = created.tx.Txid();
  return Status::OK();
}

Status CloseChannel(NodeContext& node, wallet::Wallet& w, const OutPoint& funding, Uint256* txid) {
  Transaction tx;
  Status s = w.CreateChannelClose(funding, &tx);
  if (!s.ok()) return s;
  s = Submit(node, tx);
  if (!s.ok()) return s;
  s = w.CommitTransaction(tx);
  if (!s.ok()) return s;
  *txid = tx.Txid();
  return Status::OK();
}

Status CheckChannelFunded(const NodeContext& node, const Channel& channel) {
  Coin coin;
  if (!node.chain->GetCoin(channel.funding, &coin).ok() || coin.out != channel.FundingOutput())
    return Status::NotFound("channel-funding-missing");
  return Status::OK();
}

std::shared_ptr<wallet::Wallet> DefaultWallet(const NodeContext& node) {
  if (!node.wallets) return nullptr;
  std::vector<std::shared_ptr<wallet::Wallet>> all = node.wallets->All();
  return all.empty() ? nullptr : all.front();
}

}  // namespace cc
