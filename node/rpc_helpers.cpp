#include "node/rpc_helpers.h"

#include "chain/amount.h"
#include "node/rpc_wallet_util.h"
#include "rpc/util.h"

namespace cc {

using rpc::json;
using rpc::RpcError;

void ThrowStoreError(const Status& s) { throw RpcError(rpc::kRpcDatabaseError, s.ToString()); }

ChainTip ReadTipOrThrow(const ChainState& chain) {
  ChainTip tip;
  Status s = chain.GetTip(&tip.hash, &tip.height);
  if (!s.ok()) ThrowStoreError(s);
  return tip;
}

BlockIndexEntry ReadIndexOrThrow(const ChainState& chain, const Uint256& hash) {
  BlockIndexEntry entry;
  Status s = chain.ReadIndex(hash, &entry);
  if (s.IsNotFound()) throw RpcError(rpc::kRpcInvalidAddressOrKey, "Block not found");
  if (!s.ok()) ThrowStoreError(s);
  return entry;
}

Block ReadBlockOrThrow(const ChainState& chain, const Uint256& hash) {
  const BlockIndexEntry entry = ReadIndexOrThrow(chain, hash);
  if (!entry.Has(kBlockHaveData)) throw RpcError(rpc::kRpcMiscError, "Block data not available");
  Block block;
  Status s = chain.ReadBlock(hash, &block);
  if (!s.ok()) ThrowStoreError(s);
  return block;
}

bool IsOnMainChain(const ChainState& chain, const BlockIndexEntry& entry) {
  Uint256 at_height;
  return chain.GetBlockHashAtHeight(entry.height(), &at_height).ok() &&
         at_height == entry.header.Hash();
}

void WriteHeaderFields(const ChainState& chain, const BlockIndexEntry& entry, const ChainTip& tip,
                       rpc::JsonWriter* out) {
  const BlockHeader& header = entry.header;
  const bool on_main_chain = IsOnMainChain(chain, entry);
  out->Key("hash").Hex(header.Hash().span());
  // As Bitcoin Core: -1 for a block off the active chain.
  out->Key("confirmations")
      .Int(on_main_chain ? static_cast<int64_t>(tip.height) - header.height + 1 : -1);
  out->Key("height").Uint(header.height);
  out->Key("version").Uint(header.version);
  out->Key("time").Int(header.time);
  out->Key("tx_root").Hex(header.tx_root.span());
  out->Key("work_root").Hex(header.work_root.span());
  out->Key("state_root").Hex(header.state_root.span());
  out->Key("registry_root").Hex(header.registry_root.span());
  out->Key("accepted_work").Uint(header.accepted_work);
  out->Key("producer").Hex(header.producer);
  out->Key("ntx").Uint(entry.num_txs);
  out->Key("nrecords").Uint(entry.num_records);
  if (header.height > 0) out->Key("previousblockhash").Hex(header.prev.span());
  Uint256 next;
  if (on_main_chain && header.height < tip.height &&
      chain.GetBlockHashAtHeight(header.height + 1, &next).ok()) {
    out->Key("nextblockhash").Hex(next.span());
  }
}

void WriteTxFields(const Transaction& tx, rpc::JsonWriter* out) {
  out->Key("txid").Hex(tx.Txid().span());
  out->Key("wtxid").Hex(tx.Wtxid().span());
  out->Key("version").Uint(tx.version);
  out->Key("size").Uint(Serialize(tx).size());
  out->Key("lock_height").Uint(tx.lock_height);
  out->Key("vin").BeginArray();
  for (const TxIn& in : tx.inputs) {
    out->BeginObject();
    out->Key("txid").Hex(in.prevout.txid.span());
    out->Key("vout").Uint(in.prevout.index);
    out->Key("pubkey").Hex(in.pubkey);
    out->EndObject();
  }
  out->EndArray();
  if (tx.version >= kChannelTxVersion) {
    out->Key("channel_spends").BeginArray();
    for (const ChannelSpend& c : tx.channel_spends) {
      out->BeginObject();
      out->Key("vin").Uint(c.input);
      out->Key("holder").Hex(c.holder);
      out->Key("timeout_height").Uint(c.timeout_height);
      out->Key("close").String(c.close == ChannelClose::kCooperative ? "cooperative" : "refund");
      out->Key("holder_signature").Hex(c.holder_signature);
      out->EndObject();
    }
    out->EndArray();
  }
  out->Key("vout").BeginArray();
  for (size_t n = 0; n < tx.outputs.size(); ++n) {
    const TxOut& o = tx.outputs[n];
    out->BeginObject();
    out->Key("n").Uint(n);
    out->Key("value").Amount(o.value);
    out->Key("kind").String(OutputKindName(o.kind));
    out->Key("lock").Hex(o.lock.span());
    if (o.kind == OutputKind::kWorkerBond || o.kind == OutputKind::kUnbonding)
      out->Key("owner").Hex(o.owner.span());
    if (o.kind == OutputKind::kWorkerPayout) out->Key("payout_signature").Hex(o.payout_signature);
    out->EndObject();
  }
  out->EndArray();
}

void WriteRecord(const WorkRecord& record, rpc::JsonWriter* out) {
  const char* kind = "forward";
  switch (record.unit.kind) {
    case UnitKind::kForward:
      kind = "forward";
      break;
    case UnitKind::kBackward:
      kind = "backward";
      break;
    case UnitKind::kAttention:
      kind = "attention";
      break;
    case UnitKind::kUpdate:
      kind = "update";
      break;
  }
  out->BeginObject();
  out->Key("hash").Hex(record.Hash().span());
  out->Key("unit").BeginObject();
  out->Key("kind").String(kind);
  out->Key("step").Uint(record.unit.step);
  out->Key("lane").Uint(record.unit.lane);
  out->Key("section").Uint(record.unit.section);
  out->Key("layer").Uint(record.unit.layer);
  out->Key("head_group").Uint(record.unit.head_group);
  out->Key("query_segment").Uint(record.unit.query_segment);
  out->EndObject();
  out->Key("inputs").BeginArray();
  for (const Uint256& h : record.inputs) out->Hex(h.span());
  out->EndArray();
  out->Key("outputs").BeginArray();
  for (const Uint256& h : record.outputs) out->Hex(h.span());
  out->EndArray();
  out->Key("loss").Double(record.loss);
  out->Key("worker").Hex(record.worker);
  out->EndObject();
}

json TxToJson(const Transaction& tx) {
  std::string text;
  rpc::JsonWriter out(&text);
  out.BeginObject();
  WriteTxFields(tx, &out);
  out.EndObject();
  return json::parse(text);
}

}  // namespace cc
