// Payment channel RPCs (doc/channels.md): the client opens, pays over and
// reclaims a channel; the holder accepts payments, signs receipts and settles. Channels and
// updates travel between the parties as hex of their canonical encodings
// (chain/channel.h), so a serving layer can carry them as opaque bytes.
//
// Errors: the reason strings of chain/channel.h and wallet.h come back as
// kRpcWalletError (-4) messages; malformed hex or encodings as
// kRpcDeserializationError (-22).

#include <string>
#include <vector>

#include "chain/channel.h"
#include "chain/hex.h"
#include "chain/key.h"
#include "chain/merkle.h"
#include "chain/receipt.h"
#include "chain/serialize.h"
#include "node/channels.h"
#include "node/rpc_helpers.h"
#include "node/rpc_register.h"
#include "node/rpc_wallet_util.h"
#include "node/wallets.h"
#include "rpc/method.h"
#include "rpc/util.h"

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

const char* const kFundingExample = "\"8f3c...e1:0\"";

/// "txid:vout", as lnd writes a channel point.
std::string FundingToString(const OutPoint& funding) {
  return funding.txid.ToHex() + ":" + std::to_string(funding.index);
}

OutPoint ParseFunding(const json& value) {
  const std::string text = value.get<std::string>();
  const size_t colon = text.find(':');
  if (colon == std::string::npos || colon + 1 == text.size() || text.size() - colon > 11) {
    throw RpcError(rpc::kRpcInvalidParameter, "funding must be txid:vout");
  }
  const Uint256 txid = rpc::ParseHashArg(text.substr(0, colon), "funding txid");
  uint64_t vout = 0;
  for (char c : text.substr(colon + 1)) {
    if (c < '0' || c > '9') throw RpcError(rpc::kRpcInvalidParameter, "funding must be txid:vout");
    vout = vout * 10 + static_cast<uint64_t>(c - '0');
  }
  if (vout > UINT32_MAX) throw RpcError(rpc::kRpcInvalidParameter, "funding vout out of range");
  return OutPoint{txid, static_cast<uint32_t>(vout)};
}

template <typename T>
T DecodeHexArg(const json& value, const char* what) {
  std::vector<uint8_t> bytes;
  T out;
  if (!ParseHex(value.get<std::string>(), &bytes) || !Deserialize(bytes, &out).ok()) {
    throw RpcError(rpc::kRpcDeserializationError, std::string(what) + " decode failed");
  }
  return out;
}

json ChannelToJson(const wallet::ChannelInfo& info) {
  const Channel& c = info.record.channel;
  json out{{"funding", FundingToString(c.funding)},
           {"role", info.record.role == wallet::ChannelRole::kClient ? "client" : "holder"},
           {"state", wallet::ChannelStateName(info.state)},
           {"capacity", ValueFromAmount(c.capacity)},
           {"paid", ValueFromAmount(info.record.best.paid)},
           {"close_fee", ValueFromAmount(c.close_fee)},
           {"client_pubkey", HexStr(c.terms.client)},
           {"holder_pubkey", HexStr(c.terms.holder)},
           {"timeout_height", c.terms.timeout_height},
           {"channel", HexStr(Serialize(c))}};
  if (info.state == wallet::ChannelState::kClosing || info.state == wallet::ChannelState::kClosed) {
    out["close_txid"] = info.close_txid.ToHex();
  }
  return out;
}

std::vector<RpcResult> ChannelFields() {
  return {{RpcType::kString, "funding", "the funding outpoint, txid:vout"},
          {RpcType::kString, "role", "client (we pay) or holder (we are paid)"},
          {RpcType::kString, "state", "opening, open, closing, closed or abandoned"},
          {RpcType::kNumber, "capacity", "the coins locked in the channel"},
          {RpcType::kNumber, "paid", "paid to the holder so far (the best update)"},
          {RpcType::kNumber, "close_fee", "the settlement's fee, out of the client's change"},
          {RpcType::kHex, "client_pubkey", ""},
          {RpcType::kHex, "holder_pubkey", ""},
          {RpcType::kNumber, "timeout_height", "from this height the client may refund alone"},
          {RpcType::kHex, "channel", "the channel's encoding, for the holder"},
          {RpcType::kHex, "close_txid", "the closing transaction, when closing or closed"}};
}

RpcMethod openchannel(NodeContext& node) {
  return RpcMethod{
      "openchannel",
      "Funds a payment channel to a holder from the wallet's coins (Lightning's fundchannel).\n"
      "The holder is paid off chain with signchannelupdate and settles with closechannel;\n"
      "from timeoutblocks blocks after the tip the client may reclaim what is unpaid.\n"
      "Give the holder the returned channel hex with the first update.",
      {{"holderpubkey", RpcType::kString, RpcArg::kRequired, "",
        "The holder's x-only public key (hex, from getaddressinfo)"},
       {"amount", RpcType::kAny, RpcArg::kRequired, "", "The capacity in coins. eg 1.5"},
       {"timeoutblocks", RpcType::kNumber, RpcArg::kRequired, "",
        "Blocks after the tip before the client may refund alone"}},
      {{RpcType::kObject,
        "",
        "",
        {{RpcType::kHex, "txid", "the funding transaction"},
         {RpcType::kString, "funding", "the channel's outpoint, txid:vout"},
         {RpcType::kHex, "channel", "the channel's encoding, for the holder"},
         {RpcType::kNumber, "timeout_height", ""},
         {RpcType::kNumber, "close_fee", ""}}}},
      ExampleCli("openchannel", "\"79be...98\" 1.5 1000") +
          ExampleRpc("openchannel", "\"79be...98\", 1.5, 1000"),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        XOnlyPubKeyBytes holder;
        if (!ParseHexInto(request.Arg(0).get<std::string>(), holder)) {
          throw RpcError(rpc::kRpcInvalidAddressOrKey, "Invalid holder public key");
        }
        const Amount capacity = AmountFromValue(request.Arg(1));
        const int64_t blocks = rpc::ParseIntArg(request.Arg(2), "timeoutblocks", 1, 1'000'000,
                                                "timeoutblocks must be in [1, 1000000]");
        Channel channel;
        Uint256 txid;
        const Status s =
            OpenChannel(node, *w, holder, capacity, static_cast<uint32_t>(blocks), &channel, &txid);
        if (!s.ok()) ThrowWalletError(s);
        return json{{"txid", txid.ToHex()},
                    {"funding", FundingToString(channel.funding)},
                    {"channel", HexStr(Serialize(channel))},
                    {"timeout_height", channel.terms.timeout_height},
                    {"close_fee", ValueFromAmount(channel.close_fee)}};
      }};
}

RpcMethod signchannelupdate(NodeContext& node) {
  return RpcMethod{
      "signchannelupdate",
      "Client: signs the payment raising what the holder is paid over a channel to amount in\n"
      "total, committing the Merkle root of the receipts it pays for.",
      {{"funding", RpcType::kString, RpcArg::kRequired, "", "The channel's outpoint, txid:vout"},
       {"amount", RpcType::kAny, RpcArg::kRequired, "",
        "The total paid to the holder, more than the last update"},
       {"receiptsroot", RpcType::kHex, RpcArg::kOptional, "the empty tree's root",
        "Merkle root of the receipts paid for"}},
      {{RpcType::kObject,
        "",
        "",
        {{RpcType::kHex, "update", "the update's encoding, for the holder"},
         {RpcType::kNumber, "paid", ""}}}},
      ExampleCli("signchannelupdate", std::string(kFundingExample) + " 0.25") +
          ExampleRpc("signchannelupdate", std::string(kFundingExample) + ", 0.25"),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        const OutPoint funding = ParseFunding(request.Arg(0));
        const Amount paid = AmountFromValue(request.Arg(1));
        const Uint256 root = request.Arg(2).is_null()
                                 ? MerkleRoot({})
                                 : rpc::ParseHashArg(request.Arg(2), "receiptsroot");
        ChannelUpdate update;
        Status s = w->SignChannelUpdate(funding, paid, root, &update);
        if (!s.ok()) ThrowWalletError(s);
        return json{{"update", HexStr(Serialize(update))}, {"paid", ValueFromAmount(update.paid)}};
      }};
}

RpcMethod acceptchannelupdate(NodeContext& node) {
  return RpcMethod{
      "acceptchannelupdate",
      "Holder: checks a client's payment over a channel to one of our keys and keeps it if\n"
      "it pays more than the best so far. A new channel's funding output must be confirmed.",
      {{"channel", RpcType::kHex, RpcArg::kRequired, "", "The channel's encoding"},
       {"update", RpcType::kHex, RpcArg::kRequired, "", "The update's encoding"}},
      {{RpcType::kObject,
        "",
        "",
        {{RpcType::kString, "funding", ""}, {RpcType::kNumber, "paid", "the total now paid"}}}},
      ExampleCli("acceptchannelupdate", "\"0102...\" \"0304...\"") +
          ExampleRpc("acceptchannelupdate", "\"0102...\", \"0304...\""),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        const Channel channel = DecodeHexArg<Channel>(request.Arg(0), "channel");
        const ChannelUpdate update = DecodeHexArg<ChannelUpdate>(request.Arg(1), "update");
        wallet::ChannelInfo known;
        if (!w->GetChannel(channel.funding, &known).ok()) {
          const Status funded = CheckChannelFunded(node, channel);
          if (!funded.ok()) throw RpcError(kRpcWalletError, funded.message());
        }
        Status s = w->AcceptChannelUpdate(channel, update);
        if (!s.ok()) ThrowWalletError(s);
        return json{{"funding", FundingToString(channel.funding)},
                    {"paid", ValueFromAmount(update.paid)}};
      }};
}

RpcMethod signreceipt(NodeContext& node) {
  return RpcMethod{
      "signreceipt",
      "Holder: signs an inference receipt (chain/receipt.h) with its holder key, which must\n"
      "be one of the wallet's. A serving node signs through the same wallet call.",
      {{"receipt", RpcType::kHex, RpcArg::kRequired, "",
        "The receipt's encoding; its signature is ignored"}},
      {{RpcType::kObject,
        "",
        "",
        {{RpcType::kHex, "receipt", "the signed receipt's encoding"},
         {RpcType::kHex, "hash", "its Merkle leaf (Receipt::Hash)"}}}},
      ExampleCli("signreceipt", "\"0102...\"") + ExampleRpc("signreceipt", "\"0102...\""),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        Receipt receipt = DecodeHexArg<Receipt>(request.Arg(0), "receipt");
        Status s = w->SignHash(receipt.holder, receipt.SigningHash(), &receipt.signature);
        if (!s.ok()) ThrowWalletError(s);
        return json{{"receipt", HexStr(Serialize(receipt))}, {"hash", receipt.Hash().ToHex()}};
      }};
}

RpcMethod listchannels(NodeContext& node) {
  return RpcMethod{"listchannels",
                   "Lists the wallet's payment channels, as client and as holder.",
                   {},
                   {{RpcType::kArray, "", "", {{RpcType::kObject, "", "", ChannelFields()}}}},
                   ExampleCli("listchannels", "") + ExampleRpc("listchannels", ""),
                   [&node](const RpcMethod&, const RpcRequest& request) -> json {
                     std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
                     json out = json::array();
                     for (const wallet::ChannelInfo& info : w->ListChannels()) {
                       out.push_back(ChannelToJson(info));
                     }
                     return out;
                   }};
}

RpcMethod closechannel(NodeContext& node) {
  return RpcMethod{
      "closechannel",
      "Closes a channel on chain: the holder settles with the best update it accepted; the\n"
      "client reclaims the whole capacity (less the close fee) from the timeout height on.",
      {{"funding", RpcType::kString, RpcArg::kRequired, "", "The channel's outpoint, txid:vout"}},
      {{RpcType::kObject, "", "", {{RpcType::kHex, "txid", "the closing transaction"}}}},
      ExampleCli("closechannel", kFundingExample) + ExampleRpc("closechannel", kFundingExample),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<Wallet> w = GetWalletForRequest(node, request);
        Uint256 txid;
        const Status s = CloseChannel(node, *w, ParseFunding(request.Arg(0)), &txid);
        if (!s.ok()) ThrowWalletError(s);
        return json{{"txid", txid.ToHex()}};
      }};
}

}  // namespace

Status RegisterChannelRpcs(rpc::RpcTable& table, NodeContext& node) {
  static const rpc::RpcCommand<NodeContext> kCommands[] = {
      {"wallet", &acceptchannelupdate}, {"wallet", &closechannel},      {"wallet", &listchannels},
      {"wallet", &openchannel},         {"wallet", &signchannelupdate}, {"wallet", &signreceipt},
  };
  return table.AddAll(kCommands, node);
}

}  // namespace cc
