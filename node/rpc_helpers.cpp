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

json HeaderToJson(const ChainState& chain, const BlockIndexEntry& entry, const ChainTip& tip) {
  const BlockHeader& header = entry.header;
  const bool on_main_chain = IsOnMainChain(chain, entry);
  json out;
  out["hash"] = header.Hash().ToHex();
  // As Bitcoin Core: -1 for a block off the active chain.
  out["confirmations"] = on_main_chain ? static_cast<int64_t>(tip.height) - header.height + 1 : -1;
  out["height"] = header.height;
  out["version"] = header.version;
  out["time"] = header.time;
  out["tx_root"] = header.tx_root.ToHex();
  out["work_root"] = header.work_root.ToHex();
  out["state_root"] = header.state_root.ToHex();
  out["producer"] = HexStr(header.producer);
  out["ntx"] = entry.num_txs;
  out["nrecords"] = entry.num_records;
  if (header.height > 0) out["previousblockhash"] = header.prev.ToHex();
  Uint256 next;
  if (on_main_chain && header.height < tip.height &&
      chain.GetBlockHashAtHeight(header.height + 1, &next).ok()) {
    out["nextblockhash"] = next.ToHex();
  }
  return out;
}

json TxToJson(const Transaction& tx) {
  json out;
  out["txid"] = tx.Txid().ToHex();
  out["wtxid"] = tx.Wtxid().ToHex();
  out["version"] = tx.version;
  out["size"] = Serialize(tx).size();
  out["lock_height"] = tx.lock_height;
  json vin = json::array();
  for (const TxIn& in : tx.inputs) {
    vin.push_back({{"txid", in.prevout.txid.ToHex()},
                   {"vout", in.prevout.index},
                   {"pubkey", HexStr(in.pubkey)}});
  }
  out["vin"] = std::move(vin);
  if (tx.version >= kChannelTxVersion) {
    json channels = json::array();
    for (const ChannelSpend& c : tx.channel_spends) {
      channels.push_back(
          {{"vin", c.input},
           {"holder", HexStr(c.holder)},
           {"timeout_height", c.timeout_height},
           {"close", c.close == ChannelClose::kCooperative ? "cooperative" : "refund"},
           {"holder_signature", HexStr(c.holder_signature)}});
    }
    out["channel_spends"] = std::move(channels);
  }
  json vout = json::array();
  for (size_t n = 0; n < tx.outputs.size(); ++n) {
    const TxOut& o = tx.outputs[n];
    vout.push_back({{"n", n},
                    {"value", ValueFromAmount(o.value)},
                    {"kind", OutputKindName(o.kind)},
                    {"lock", o.lock.ToHex()}});
  }
  out["vout"] = std::move(vout);
  return out;
}

json RecordToJson(const WorkRecord& record) {
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
  json inputs = json::array();
  for (const Uint256& h : record.inputs) inputs.push_back(h.ToHex());
  json outputs = json::array();
  for (const Uint256& h : record.outputs) outputs.push_back(h.ToHex());
  return json{{"hash", record.Hash().ToHex()},
              {"unit",
               {{"kind", kind},
                {"step", record.unit.step},
                {"lane", record.unit.lane},
                {"section", record.unit.section},
                {"layer", record.unit.layer},
                {"head_group", record.unit.head_group},
                {"query_segment", record.unit.query_segment}}},
              {"inputs", std::move(inputs)},
              {"outputs", std::move(outputs)},
              {"loss", record.loss},
              {"worker", HexStr(record.worker)}};
}

}  // namespace cc
