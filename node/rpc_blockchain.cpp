// Chain queries: one function per method, the registration table at the bottom.

#include <algorithm>
#include <climits>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "chain/hash.h"
#include "chain/logging.h"
#include "chain/serialize.h"
#include "node/context.h"
#include "node/rendered_blocks.h"
#include "node/rpc_helpers.h"
#include "node/rpc_register.h"
#include "node/training.h"
#include "rpc/json_format.h"
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

const char* const kBlockHashExample =
    "\"72588cfd749ab8f5968250b7c969aa06c0f3ba425ba01acd6751aad2343b8a7e\"";

std::vector<RpcResult> HeaderFields() {
  return {
      {RpcType::kHex, "hash", "the block hash (same as provided)"},
      {RpcType::kNumber, "confirmations",
       "blocks on the active chain from this one to the tip, or -1 if it is not on the active "
       "chain"},
      {RpcType::kNumber, "height", "the block height or index"},
      {RpcType::kNumber, "version", "the block version"},
      {RpcType::kNumber, "time", "the block time in seconds since the Unix epoch"},
      {RpcType::kHex, "tx_root", "Merkle root over the wtxids of the block's transactions"},
      {RpcType::kHex, "work_root", "Merkle root over the block's work record hashes"},
      {RpcType::kHex, "state_root", "the model state commitment after this block"},
      {RpcType::kHex, "registry_root", "Merkle root over the worker registry after this block"},
      {RpcType::kNumber, "accepted_work",
       "work records accepted on this chain from genesis through this block (fork choice)"},
      {RpcType::kHex, "producer", "the producer's x-only public key"},
      {RpcType::kNumber, "ntx", "the number of transactions in the block"},
      {RpcType::kNumber, "nrecords", "the number of work records in the block"},
      {RpcType::kHex, "previousblockhash",
       "the hash of the previous block (absent for the genesis block)"},
      {RpcType::kHex, "nextblockhash", "the hash of the next block (absent for the tip)"},
  };
}

RpcMethod getblockcount(NodeContext& node) {
  return RpcMethod{"getblockcount",
                   "Returns the height of the most-work fully-validated chain.\n"
                   "The genesis block has height 0.",
                   {},
                   {{RpcType::kNumber, "", "The current block count"}},
                   ExampleCli("getblockcount", "") + ExampleRpc("getblockcount", ""),
                   [&node](const RpcMethod&, const RpcRequest&) -> json {
                     return ReadTipOrThrow(*node.chain).height;
                   }};
}

RpcMethod getbestblockhash(NodeContext& node) {
  return RpcMethod{
      "getbestblockhash",
      "Returns the hash of the best (tip) block in the most-work fully-validated chain.",
      {},
      {{RpcType::kHex, "", "the block hash, hex-encoded"}},
      ExampleCli("getbestblockhash", "") + ExampleRpc("getbestblockhash", ""),
      [&node](const RpcMethod&, const RpcRequest&) -> json {
        return ReadTipOrThrow(*node.chain).hash.ToHex();
      }};
}

RpcMethod getblockhash(NodeContext& node) {
  return RpcMethod{"getblockhash",
                   "Returns hash of block in best-block-chain at height provided.",
                   {{"height", RpcType::kNumber, RpcArg::kRequired, "", "The height index"}},
                   {{RpcType::kHex, "", "The block hash"}},
                   ExampleCli("getblockhash", "1000") + ExampleRpc("getblockhash", "1000"),
                   [&node](const RpcMethod&, const RpcRequest& request) -> json {
                     const ChainTip tip = ReadTipOrThrow(*node.chain);
                     const int64_t height = rpc::ParseIntArg(
                         request.Arg(0), "height", 0, tip.height, "Block height out of range");
                     Uint256 hash;
                     Status s =
                         node.chain->GetBlockHashAtHeight(static_cast<uint32_t>(height), &hash);
                     if (s.IsNotFound())
                       throw RpcError(rpc::kRpcInvalidParameter, "Block height out of range");
                     if (!s.ok()) ThrowStoreError(s);
                     return hash.ToHex();
                   }};
}

RpcMethod getblockheader(NodeContext& node) {
  return RpcMethod{
      "getblockheader",
      "If verbose is false, returns a string that is serialized, hex-encoded data for blockheader "
      "'hash'.\n"
      "If verbose is true, returns an Object with information about blockheader <hash>.",
      {{"blockhash", RpcType::kHex, RpcArg::kRequired, "", "The block hash"},
       {"verbose", RpcType::kBool, RpcArg::kOptional, "true",
        "true for a json object, false for the hex-encoded data"}},
      {{RpcType::kObject, "", "", HeaderFields(), "for verbose = true"},
       {RpcType::kHex,
        "",
        "A string that is serialized, hex-encoded data for block 'hash'",
        {},
        "for verbose=false"}},
      ExampleCli("getblockheader", kBlockHashExample) +
          ExampleRpc("getblockheader", kBlockHashExample),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        const Uint256 hash = rpc::ParseHashArg(request.Arg(0), "blockhash");
        const bool verbose = request.Arg(1).is_null() ? true : request.Arg(1).get<bool>();
        const BlockIndexEntry entry = ReadIndexOrThrow(*node.chain, hash);
        if (!verbose) return HexStr(Serialize(entry.header));
        std::string text;
        rpc::JsonWriter out(&text);
        out.BeginObject();
        WriteHeaderFields(*node.chain, entry, ReadTipOrThrow(*node.chain), &out);
        out.EndObject();
        return rpc::RawJson(std::move(text));
      }};
}

RpcMethod getblock(NodeContext& node) {
  // 64 MiB: some 1,600 of the devnet's 40 KB verbose blocks.
  auto rendered = std::make_shared<RenderedBlocks>(size_t{64} << 20);
  std::vector<RpcResult> verbose_fields = HeaderFields();
  verbose_fields.push_back({RpcType::kNumber, "size", "the block size in bytes"});
  std::vector<RpcResult> verbosity1 = verbose_fields;
  verbosity1.push_back(
      {RpcType::kArray, "tx", "the transaction ids", {{RpcType::kHex, "", "the transaction id"}}});
  verbosity1.push_back({RpcType::kArray,
                        "records",
                        "the work record hashes",
                        {{RpcType::kHex, "", "the record hash"}}});
  std::vector<RpcResult> verbosity2 = verbose_fields;
  verbosity2.push_back(
      {RpcType::kArray,
       "tx",
       "the transactions, decoded",
       {{RpcType::kObject, "", "txid, wtxid, version, size, lock_height, vin, vout"}}});
  verbosity2.push_back({RpcType::kArray,
                        "records",
                        "the work records, decoded, in the block's order (each after the "
                        "records it reads)",
                        {{RpcType::kObject, "",
                          "hash, unit {step, kind (forward, backward, attention or update), "
                          "lane, section, layer, head_group, query_segment}, inputs, outputs, "
                          "loss (number), worker"}}});
  return RpcMethod{
      "getblock",
      "If verbosity is 0, returns a string that is serialized, hex-encoded data for block 'hash'.\n"
      "If verbosity is 1, returns an Object with information about block <hash>.\n"
      "If verbosity is 2, returns an Object with information about block <hash> and its "
      "transactions and work records.",
      {{"blockhash", RpcType::kHex, RpcArg::kRequired, "", "The block hash"},
       {"verbosity", RpcType::kNumber, RpcArg::kOptional, "1",
        "0 for hex-encoded data, 1 for a json object, and 2 for json object with transaction and "
        "record data"}},
      {{RpcType::kHex,
        "",
        "A string that is serialized, hex-encoded data for block 'hash'",
        {},
        "for verbosity = 0"},
       {RpcType::kObject, "", "", verbosity1, "for verbosity = 1"},
       {RpcType::kObject, "", "", verbosity2, "for verbosity = 2"}},
      ExampleCli("getblock", kBlockHashExample) + ExampleRpc("getblock", kBlockHashExample),
      [&node, rendered](const RpcMethod&, const RpcRequest& request) -> json {
        const Uint256 hash = rpc::ParseHashArg(request.Arg(0), "blockhash");
        const int64_t verbosity = request.Arg(1).is_null()
                                      ? 1
                                      : rpc::ParseIntArg(request.Arg(1), "verbosity", 0, 2,
                                                         "Invalid verbosity: must be 0, 1 or 2");
        const BlockIndexEntry entry = ReadIndexOrThrow(*node.chain, hash);
        if (verbosity == 0) return HexStr(Serialize(ReadBlockOrThrow(*node.chain, hash)));

        // Written straight to text (rpc/json_format.h): a block's tree of
        // values cost more than the rest of the request. The members after
        // the header's are kept (node/rendered_blocks.h).
        const std::shared_ptr<const std::string> body =
            rendered->Get(hash, static_cast<int>(verbosity), [&] {
              const Block block = ReadBlockOrThrow(*node.chain, hash);
              const std::vector<uint8_t> bytes = Serialize(block);
              std::string members;
              members.reserve(2 * bytes.size() + 64);
              rpc::JsonWriter out(&members);
              out.Key("size").Uint(bytes.size());
              out.Key("tx").BeginArray();
              for (const Transaction& tx : block.txs) {
                if (verbosity == 1) {
                  out.Hex(tx.Txid().span());
                } else {
                  out.BeginObject();
                  WriteTxFields(tx, &out);
                  out.EndObject();
                }
              }
              out.EndArray();
              out.Key("records").BeginArray();
              for (const WorkRecord& record : block.records) {
                if (verbosity == 1) {
                  out.Hex(record.Hash().span());
                } else {
                  WriteRecord(record, &out);
                }
              }
              out.EndArray();
              return members;
            });
        std::string text;
        text.reserve(body->size() + 1024);
        rpc::JsonWriter out(&text);
        out.BeginObject();
        WriteHeaderFields(*node.chain, entry, ReadTipOrThrow(*node.chain), &out);
        out.Members(*body);
        out.EndObject();
        return rpc::RawJson(std::move(text));
      }};
}

RpcMethod getblockchaininfo(NodeContext& node) {
  return RpcMethod{
      "getblockchaininfo",
      "Returns an object containing various state info regarding blockchain processing.",
      {},
      {{RpcType::kObject,
        "",
        "",
        {
            {RpcType::kString, "chain", "current network name (main, test, devnet, regtest)"},
            {RpcType::kNumber, "blocks", "the height of the most-work fully-validated chain"},
            {RpcType::kNumber, "headers", "the height of the best known header chain"},
            {RpcType::kHex, "bestblockhash", "the hash of the tip block"},
            {RpcType::kNumber, "time", "the tip block's time in seconds since the Unix epoch"},
            {RpcType::kHex, "state_root", "the model state commitment at the tip"},
            {RpcType::kBool, "initialblockdownload",
             "whether the node is behind the best header chain its peers showed it"},
            {RpcType::kNumber, "verificationprogress",
             "blocks validated over the best header chain's height (1 when in step)"},
            {RpcType::kString, "warnings", "any network and blockchain warnings"},
        }}},
      ExampleCli("getblockchaininfo", "") + ExampleRpc("getblockchaininfo", ""),
      [&node](const RpcMethod&, const RpcRequest&) -> json {
        const ChainTip tip = ReadTipOrThrow(*node.chain);
        const BlockIndexEntry entry = ReadIndexOrThrow(*node.chain, tip.hash);
        const uint32_t headers =
            node.peerman ? std::max(tip.height, node.peerman->BestHeaderHeight()) : tip.height;
        return json{{"chain", node.params->name},
                    {"blocks", tip.height},
                    {"headers", headers},
                    {"initialblockdownload", tip.height < headers},
                    {"verificationprogress",
                     headers == 0 ? 1.0 : static_cast<double>(tip.height) / headers},
                    {"bestblockhash", tip.hash.ToHex()},
                    {"time", entry.header.time},
                    {"state_root", entry.header.state_root.ToHex()},
                    {"warnings", ""}};
      }};
}

// How a branch of the block index stands, as Bitcoin Core's getchaintips
// says it: the worst of its blocks above the active chain.
std::string BranchStatus(const ChainState& chain, BlockIndexEntry entry, uint32_t* branchlen) {
  std::string status = "valid-fork";
  const uint32_t height = entry.height();
  while (!IsOnMainChain(chain, entry)) {
    if (entry.Has(kBlockFailed)) {
      status = "invalid";
    } else if (!entry.Has(kBlockHaveData)) {
      if (status != "invalid") status = "headers-only";
    } else if (!entry.Has(kBlockValid) && status == "valid-fork") {
      status = "valid-headers";
    }
    entry = ReadIndexOrThrow(chain, entry.header.prev);
  }
  *branchlen = height - entry.height();
  return status;
}

RpcMethod getchaintips(NodeContext& node) {
  return RpcMethod{
      "getchaintips",
      "Return information about all known tips in the block tree, including the main chain as "
      "well as orphaned branches.",
      {},
      {{RpcType::kArray,
        "",
        "",
        {{RpcType::kObject,
          "",
          "",
          {
              {RpcType::kNumber, "height", "height of the chain tip"},
              {RpcType::kHex, "hash", "block hash of the tip"},
              {RpcType::kNumber, "branchlen",
               "zero for main chain, otherwise length of branch connecting the tip to the main "
               "chain"},
              {RpcType::kString, "status",
               "status of the chain, \"active\" for the main chain\n"
               "Possible values for status:\n"
               "1.  \"invalid\"               This branch contains at least one invalid block\n"
               "2.  \"headers-only\"          Not all blocks for this branch are available, but "
               "the headers are valid\n"
               "3.  \"valid-headers\"         All blocks are available for this branch, but they "
               "were never fully validated\n"
               "4.  \"valid-fork\"            This branch is not part of the active chain, but is "
               "fully validated\n"
               "5.  \"active\"                This is the tip of the active main chain, which is "
               "certainly valid"},
          }}}}},
      ExampleCli("getchaintips", "") + ExampleRpc("getchaintips", ""),
      [&node](const RpcMethod&, const RpcRequest&) -> json {
        const ChainTip tip = ReadTipOrThrow(*node.chain);
        // Tips: the active one, and every indexed block that is nobody's parent.
        std::set<Uint256> parents;
        Status s = node.chain->store().ForEachIndexEntry([&](const BlockIndexEntry& e) {
          parents.insert(e.header.prev);
          return Status::OK();
        });
        std::vector<BlockIndexEntry> tips;
        if (s.ok())
          s = node.chain->store().ForEachIndexEntry([&](const BlockIndexEntry& e) {
            const Uint256 hash = e.header.Hash();
            if (hash == tip.hash || !parents.contains(hash)) tips.push_back(e);
            return Status::OK();
          });
        if (!s.ok()) ThrowStoreError(s);
        std::sort(tips.begin(), tips.end(), [](const BlockIndexEntry& a, const BlockIndexEntry& b) {
          return a.height() > b.height();
        });
        json out = json::array();
        for (const BlockIndexEntry& e : tips) {
          const Uint256 hash = e.header.Hash();
          uint32_t branchlen = 0;
          const std::string status =
              hash == tip.hash ? "active" : BranchStatus(*node.chain, e, &branchlen);
          out.push_back({{"height", e.height()},
                         {"hash", hash.ToHex()},
                         {"branchlen", branchlen},
                         {"status", status}});
        }
        return out;
      }};
}

RpcMethod gettxoutsetinfo(NodeContext& node) {
  return RpcMethod{
      "gettxoutsetinfo",
      "Returns statistics about the unspent transaction output set.\n"
      "Note this call may take some time: it reads the whole set.",
      {},
      {{RpcType::kObject,
        "",
        "",
        {
            {RpcType::kNumber, "height", "the block height (index) of the returned statistics"},
            {RpcType::kHex, "bestblock",
             "the hash of the block at which these statistics are calculated"},
            {RpcType::kNumber, "txouts", "the number of unspent transaction outputs"},
            {RpcType::kHex, "hash_serialized",
             "SHA256d of the canonical serialization of the set (each coin in txid, index "
             "order: outpoint, then coin); equal sets have equal hashes"},
            {RpcType::kNumber, "total_amount", "the total amount of coins in the set"},
        }}},
      ExampleCli("gettxoutsetinfo", "") + ExampleRpc("gettxoutsetinfo", ""),
      [&node](const RpcMethod&, const RpcRequest&) -> json {
        const ChainTip tip = ReadTipOrThrow(*node.chain);
        std::vector<uint8_t> bytes;
        uint64_t txouts = 0;
        Amount total = 0;
        Status s = node.chain->utxo().SerializeCoins(&bytes);
        if (s.ok())
          s = node.chain->utxo().ForEachCoin([&](const OutPoint&, const Coin& coin) {
            ++txouts;
            total += coin.out.value;
            return Status::OK();
          });
        if (!s.ok()) throw RpcError(rpc::kRpcDatabaseError, s.ToString());
        // The tip may have moved while the set was read: report a set and a
        // tip that belong together, or fail.
        if (ReadTipOrThrow(*node.chain).hash != tip.hash)
          throw RpcError(rpc::kRpcMiscError, "The chain tip changed while reading; try again");
        return json{{"height", tip.height},
                    {"bestblock", tip.hash.ToHex()},
                    {"txouts", txouts},
                    {"hash_serialized", Hash256(bytes).ToHex()},
                    {"total_amount", static_cast<double>(total) / static_cast<double>(kCoin)}};
      }};
}

RpcMethod gettxout(NodeContext& node) {
  return RpcMethod{
      "gettxout",
      "Returns details about an unspent transaction output.",
      {{"txid", RpcType::kHex, RpcArg::kRequired, "", "The transaction id"},
       {"n", RpcType::kNumber, RpcArg::kRequired, "", "vout number"},
       {"include_mempool", RpcType::kBool, RpcArg::kOptional, "true",
        "Whether to include the mempool. Note that an unspent output that is spent in the "
        "mempool won't appear."}},
      {{RpcType::kNone, "", "If the output is spent or not found", {}, "otherwise"},
       {RpcType::kObject,
        "",
        "",
        {{RpcType::kHex, "bestblock", "The hash of the block at the tip of the chain"},
         {RpcType::kNumber, "confirmations", "The number of confirmations (0 in the mempool)"},
         {RpcType::kNumber, "value", "The transaction value in coins"},
         {RpcType::kString, "kind", "the output kind (pay_to_key_hash, worker_bond, ...)"},
         {RpcType::kHex, "lock", "the output's 32-byte lock (key hash, worker key, ...)"},
         {RpcType::kBool, "coinbase", "Coinbase or not"}},
        "Otherwise"}},
      ExampleCli("gettxout", "\"txid\" 1") + ExampleRpc("gettxout", "\"txid\", 1"),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        const Uint256 txid = rpc::ParseHashArg(request.Arg(0), "txid");
        const auto index = static_cast<uint32_t>(rpc::ParseIntArg(
            request.Arg(1), "n", 0, std::numeric_limits<uint32_t>::max(), "vout cannot be negative"));
        const bool include_mempool = request.Arg(2).is_null() || request.Arg(2).get<bool>();
        const OutPoint outpoint{txid, index};
        const ChainTip tip = ReadTipOrThrow(*node.chain);
        Coin coin;
        uint32_t confirmations = 0;
        const Status s = node.chain->GetCoin(outpoint, &coin);
        if (s.ok()) {
          if (include_mempool && node.mempool != nullptr && node.mempool->IsSpent(outpoint))
            return nullptr;
          // Bitcoin Core counts the block that holds it as one confirmation.
          confirmations = tip.height >= coin.height ? tip.height - coin.height + 1 : 0;
        } else if (!s.IsNotFound()) {
          ThrowStoreError(s);
        } else {
          MempoolEntryInfo entry;
          if (!include_mempool || node.mempool == nullptr ||
              !node.mempool->GetEntry(txid, &entry) || index >= entry.tx.outputs.size() ||
              node.mempool->IsSpent(outpoint))
            return nullptr;
          coin = Coin{entry.tx.outputs[index], 0, false};
        }
        std::string text;
        rpc::JsonWriter out(&text);
        out.BeginObject();
        out.Key("bestblock").Hex(tip.hash.span());
        out.Key("confirmations").Uint(confirmations);
        out.Key("value").Amount(coin.out.value);
        out.Key("kind").String(OutputKindName(coin.out.kind));
        out.Key("lock").Hex(coin.out.lock.span());
        out.Key("coinbase").Bool(coin.coinbase);
        out.EndObject();
        return rpc::RawJson(std::move(text));
      }};
}

// invalidateblock and reconsiderblock: the ChainManager's status as RPC errors.
[[noreturn]] void ThrowBlockStatusError(const Status& s) {
  if (s.IsNotFound()) throw RpcError(rpc::kRpcInvalidAddressOrKey, "Block not found");
  if (s.IsInvalidArgument()) throw RpcError(rpc::kRpcInvalidParameter, s.message());
  throw RpcError(rpc::kRpcDatabaseError, s.ToString());
}

RpcMethod invalidateblock(NodeContext& node) {
  return RpcMethod{
      "invalidateblock",
      "Permanently marks a block as invalid, as if it violated a consensus rule.\n"
      "Its descendants are marked too, and the node switches to the best branch that remains.",
      {{"blockhash", RpcType::kHex, RpcArg::kRequired, "", "the hash of the block to mark as invalid"}},
      {{RpcType::kNone, "", ""}},
      ExampleCli("invalidateblock", kBlockHashExample) +
          ExampleRpc("invalidateblock", kBlockHashExample),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        const Uint256 hash = rpc::ParseHashArg(request.Arg(0), "blockhash");
        if (Status s = node.chainman->InvalidateBlock(hash); !s.ok()) ThrowBlockStatusError(s);
        return nullptr;
      }};
}

RpcMethod reconsiderblock(NodeContext& node) {
  return RpcMethod{
      "reconsiderblock",
      "Removes invalidity status of a block, its ancestors and its descendants, reconsider them for "
      "activation.\n"
      "This can be used to undo the effects of invalidateblock. A block that is still invalid is "
      "marked invalid again when it is validated.",
      {{"blockhash", RpcType::kHex, RpcArg::kRequired, "", "the hash of the block to reconsider"}},
      {{RpcType::kNone, "", ""}},
      ExampleCli("reconsiderblock", kBlockHashExample) +
          ExampleRpc("reconsiderblock", kBlockHashExample),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        const Uint256 hash = rpc::ParseHashArg(request.Arg(0), "blockhash");
        if (Status s = node.chainman->ReconsiderBlock(hash); !s.ok()) ThrowBlockStatusError(s);
        return nullptr;
      }};
}

RpcMethod verifychain(NodeContext& node) {
  return RpcMethod{
      "verifychain",
      "Verifies blockchain database.",
      {{"checklevel", RpcType::kNumber, RpcArg::kOptional, std::to_string(kDefaultCheckLevel),
        "How thorough the block verification is (0-4):\n- level 0 reads the blocks from disk\n"
        "- level 1 verifies block validity and each block's consensus snapshot\n"
        "- level 2 verifies undo data\n- level 3 checks disconnection of tip blocks (in memory)\n"
        "- level 4 tries to reconnect the blocks (in memory)\n"
        "- each level includes the checks of the previous levels"},
       {"nblocks", RpcType::kNumber, RpcArg::kOptional, std::to_string(kDefaultCheckBlocks),
        "The number of blocks to check (0 = all)."}},
      {{RpcType::kBool, "", "Verified or not"}},
      ExampleCli("verifychain", "") + ExampleRpc("verifychain", ""),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        if (!node.chainman) throw RpcError(rpc::kRpcMiscError, "Training is not running");
        // As Bitcoin Core: the level is clamped to 0-4, and nblocks <= 0 or
        // beyond the tip means the whole chain.
        const int64_t level = request.Arg(0).is_null()
                                  ? kDefaultCheckLevel
                                  : rpc::ParseIntArg(request.Arg(0), "checklevel", INT32_MIN,
                                                     INT32_MAX, "checklevel out of range");
        const int64_t nblocks = request.Arg(1).is_null()
                                    ? kDefaultCheckBlocks
                                    : rpc::ParseIntArg(request.Arg(1), "nblocks", INT32_MIN,
                                                       INT32_MAX, "nblocks out of range");
        const Status s =
            node.chainman->VerifyChain(static_cast<int>(std::clamp<int64_t>(level, 0, 4)),
                                       static_cast<uint32_t>(std::max<int64_t>(nblocks, 0)));
        if (s.IsInterrupted()) throw RpcError(rpc::kRpcMiscError, "Shutting down");
        if (!s.ok()) LogPrintf("verifychain: " + s.ToString());
        return s.ok();
      }};
}

}  // namespace

Status RegisterBlockchainRpcs(rpc::RpcTable& table, NodeContext& node) {
  static const rpc::RpcCommand<NodeContext> kCommands[] = {
      {"blockchain", &getbestblockhash},  {"blockchain", &getblock},
      {"blockchain", &getblockchaininfo}, {"blockchain", &getblockcount},
      {"blockchain", &getblockhash},      {"blockchain", &getblockheader},
      {"blockchain", &gettxout},          {"blockchain", &gettxoutsetinfo},
      {"blockchain", &verifychain},       {"blockchain", &invalidateblock},
      {"blockchain", &reconsiderblock},   {"blockchain", &getchaintips},
  };
  return table.AddAll(kCommands, node);
}

}  // namespace cc
