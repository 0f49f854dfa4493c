#include "node/rpc_helpers.h"

#include <cctype>
#include <optional>
#include <string>
#include <string_view>

#include "chain/amount.h"
#include "rpc/util.h"

namespace cc {

using rpc::json;
using rpc::RpcError;

namespace {

// Decimal text ("-12.5", "1e-05") as an integer count of 10^-decimals, or
// nullopt if it is malformed, has more significant decimals, or is at least
// 10^18 in magnitude (beyond every amount, so int64 never overflows).
std::optional<int64_t> ParseFixedPoint(std::string_view text, int decimals) {
  size_t pos = 0;
  const bool negative = pos < text.size() && text[pos] == '-';
  if (negative) ++pos;
  std::string digits;  // mantissa digits, without the point
  int exponent = 0;    // value = digits * 10^exponent
  bool any = false;
  for (; pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])); ++pos) {
    digits += text[pos];
    any = true;
  }
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    for (; pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])); ++pos) {
      digits += text[pos];
      --exponent;
      any = true;
    }
  }
  if (!any) return std::nullopt;
  if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
    ++pos;
    bool exp_negative = false;
    if (pos < text.size() && (text[pos] == '+' || text[pos] == '-'))
      exp_negative = text[pos++] == '-';
    int e = 0;
    bool exp_any = false;
    for (; pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])); ++pos) {
      if (e > 1000) return std::nullopt;
      e = e * 10 + (text[pos] - '0');
      exp_any = true;
    }
    if (!exp_any) return std::nullopt;
    exponent += exp_negative ? -e : e;
  }
  if (pos != text.size()) return std::nullopt;
  exponent += decimals;
  // Drop trailing zeros the exponent is negative for; what is left must be
  // whole units.
  while (exponent < 0 && !digits.empty() && digits.back() == '0') {
    digits.pop_back();
    ++exponent;
  }
  if (exponent < 0) return std::nullopt;
  const size_t first = digits.find_first_not_of('0');
  digits = first == std::string::npos ? "" : digits.substr(first);
  if (digits.empty()) return 0;
  if (digits.size() + static_cast<size_t>(exponent) > 18) return std::nullopt;
  int64_t result = 0;
  for (char c : digits) result = result * 10 + (c - '0');
  for (int i = 0; i < exponent; ++i) result *= 10;
  return negative ? -result : result;
}

}  // namespace

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

json ValueFromAmount(Amount amount) {
  return static_cast<double>(amount) / static_cast<double>(kCoin);
}

Amount AmountFromValue(const json& value) {
  if (!value.is_number() && !value.is_string()) {
    throw RpcError(rpc::kRpcTypeError, "Amount is not a number or string");
  }
  // A number is read from its shortest round-trip text ("0.1", "1e-05"), so
  // 0.1 is exactly 10000000 base units, as it would be written.
  const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
  const std::optional<Amount> amount = ParseFixedPoint(text, /*decimals=*/8);
  if (!amount) throw RpcError(rpc::kRpcTypeError, "Invalid amount");
  if (!MoneyRange(*amount)) throw RpcError(rpc::kRpcTypeError, "Amount out of range");
  return *amount;
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
  json vout = json::array();
  for (size_t n = 0; n < tx.outputs.size(); ++n) {
    const TxOut& o = tx.outputs[n];
    vout.push_back({{"n", n},
                    {"value", ValueFromAmount(o.value)},
                    {"kind", o.kind == OutputKind::kWorkerBond ? "worker_bond" : "pay_to_key_hash"},
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
