// The node's side of payment channels (doc/channels.md): funding and closing
// a channel through a wallet and the mempool. One home for the steps the
// channel RPCs (node/rpc_channels.cpp) and the inference router and holder
// (node/inference.cpp) share.
//
// Thread safety: as the wallet and the mempool (any thread).

#ifndef COMPUTECOIN_NODE_CHANNELS_H
#define COMPUTECOIN_NODE_CHANNELS_H

#include <cstdint>
#include <memory>

#include "chain/amount.h"
#include "chain/channel.h"
#include "chain/key.h"
#include "chain/status.h"
#include "chain/uint256.h"
#include "wallet/wallet.h"

namespace cc {

struct NodeContext;

/** Funds a channel of `capacity` from `w` to `holder`, refundable from
 *  `timeout_blocks` blocks after the wallet's best block, at the estimated
 *  fee rate; records it in the wallet and submits the funding to the
 *  mempool (a refused funding is abandoned in the wallet, so the channel
 *  reads "abandoned").
 *  Returns: OK with *channel and *txid; the wallet's errors
 *           (CreateChannelFunding: insufficient funds, a locked wallet, ...);
 *           InvalidArgument("The transaction was rejected by the memory pool: ...").
 *  Out:     channel, txid: REQUIRES: not null.
 *  REQUIRES: node.chain and node.mempool are set.
 */
Status OpenChannel(NodeContext& node, wallet::Wallet& w, const XOnlyPubKeyBytes& holder,
                   Amount capacity, uint32_t timeout_blocks, Channel* channel, Uint256* txid);

/** Closes the channel at `funding` as `w` may: a holder settles with its best
 *  update, a client refunds from the timeout height (Wallet::CreateChannelClose);
 *  submits the close to the mempool, then records it in the wallet.
 *  Returns: OK with *txid; CreateChannelClose's errors; InvalidArgument for a
 *           mempool refusal as OpenChannel.
 *  Out:     txid: REQUIRES: not null.
 */
Status CloseChannel(NodeContext& node, wallet::Wallet& w, const OutPoint& funding, Uint256* txid);

/** Whether the channel's funding output is in the UTXO set as its terms say,
 *  i.e. confirmed: a holder accepts a payment over a channel it did not know
 *  only then (an unconfirmed funding could be double-spent).
 *  Returns: OK; NotFound("channel-funding-missing").
 *  REQUIRES: node.chain is set.
 */
Status CheckChannelFunded(const NodeContext& node, const Channel& channel);

/** The wallet a node pays and is paid with when no request names one: the
 *  only loaded wallet; with several, the first loaded. Null when none is
 *  loaded or wallets are disabled. */
std::shared_ptr<wallet::Wallet> DefaultWallet(const NodeContext& node);

}  // namespace cc

#endif  // COMPUTECOIN_NODE_CHANNELS_H
