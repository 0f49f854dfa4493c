// Training and block-production methods: one function per method, the
// registration table at the bottom.

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <map>

#include "chain/logging.h"
#include "consensus/schedule.h"
#include "node/miner.h"
#include "node/rpc_wallet_util.h"
#include "node/model_export.h"
#include "node/rpc_register.h"
#include "node/wallets.h"
#include "rpc/method.h"
#include "rpc/util.h"
#include "wallet/bech32.h"

namespace cc {
namespace {

using rpc::ExampleCli;
using rpc::ExampleRpc;
using rpc::json;
using rpc::RpcArg;
using rpc::RpcError;
using rpc::RpcMethod;
using rpc::RpcRequest;
using rpc::RpcType;

std::string KeyHex(const XOnlyPubKeyBytes& key) { return HexStr(key); }

ChainManager& ChainManagerOrThrow(NodeContext& node) {
  if (!node.chainman) throw RpcError(rpc::kRpcMiscError, "Training is not running");
  return *node.chainman;
}

RpcMethod generate(NodeContext& node) {
  return RpcMethod{
      "generate",
      "Produces blocks at once (regtest): the node's in-process workers compute every unit\n"
      "assigned to them, one training step per block, and unregistered workers register\n"
      "in the first block. Needs -workers=<n> or -worker.",
      {{"nblocks", RpcType::kNumber, RpcArg::kRequired, "",
        "How many blocks to produce (1 to 1000)"}},
      {{RpcType::kArray, "", "", {{RpcType::kHex, "", "the hash of a new block"}}}},
      ExampleCli("generate", "10") + ExampleRpc("generate", "10"),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        const int64_t n =
            rpc::ParseIntArg(request.Arg(0), "nblocks", 1, 1000, "nblocks out of range");
        if (!node.params->blocks_on_demand)
          throw RpcError(rpc::kRpcMiscError, "generate is for regtest (blocks on demand)");
        if (node.workers.empty())
          throw RpcError(rpc::kRpcMiscError, "No in-process workers: start with -workers=<n>");
        ChainManager& manager = ChainManagerOrThrow(node);
        std::vector<Uint256> hashes;
        TxSelector select_txs;
        if (node.mempool) {
          select_txs = [&node](std::vector<Transaction>* txs, Amount* fees) {
            SelectMempoolTxs(*node.mempool, txs, fees);
          };
        }
        const PayoutFor payout_of = [&node](const XOnlyPubKeyBytes& key) {
          return WorkerPayout(node, key);
        };
        const Status s =
            manager.Generate(static_cast<uint32_t>(n), node.workers,
                             static_cast<int64_t>(std::time(nullptr)), &hashes, select_txs,
                             payout_of);
        const ConsensusState tip = manager.Tip();
        LogPrintf("Generated " + std::to_string(hashes.size()) + " block(s): height " +
                  std::to_string(tip.height) + ", step " + std::to_string(tip.step) + ", loss " +
                  std::to_string(tip.last_loss));
        if (!s.ok()) throw RpcError(rpc::kRpcMiscError, s.ToString());
        json result = json::array();
        for (const Uint256& h : hashes) result.push_back(h.ToHex());
        return result;
      }};
}

RpcMethod gettraininginfo(NodeContext& node) {
  return RpcMethod{
      "gettraininginfo",
      "Returns the state of training at the chain tip: the step in progress, the last\n"
      "completed step's loss, the model state root, and every registered worker with the\n"
      "coins it has earned (one per accepted work record).",
      {},
      {{RpcType::kObject,
        "",
        "",
        {
            {RpcType::kNumber, "height", "the tip's height"},
            {RpcType::kNumber, "step", "the training step in progress"},
            {RpcType::kNumber, "loss",
             "mean lane loss of the last completed step (0 before the first)"},
            {RpcType::kHex, "state_root",
             "Merkle root over the sections' weights and optimizer states"},
            {RpcType::kNumber, "units_done", "accepted units of the step in progress"},
            {RpcType::kNumber, "accepted_work", "work records accepted on this chain"},
            {RpcType::kString, "model", "the model preset"},
            {RpcType::kBool, "model_loaded",
             "whether this node holds the tip's weights (false while it catches up through "
             "assumed-valid history: completions and exports are refused until then)"},
            {RpcType::kArray,
             "workers",
             "",
             {{RpcType::kObject,
               "",
               "",
               {
                   {RpcType::kHex, "key", "the worker's x-only public key"},
                   {RpcType::kNumber, "registered_height", "height of its registration"},
                   {RpcType::kNumber, "records", "its accepted work records"},
                   {RpcType::kNumber, "paid", "coins paid to it for them (one per record)"},
                   {RpcType::kString, "payout", "the address they are paid to"},
                   {RpcType::kNumber, "active_step",
                    "the last step in which it registered, had a record accepted or produced a "
                    "block"},
                   {RpcType::kBool, "scheduled",
                    "whether this step's units are assigned to it (false for one left out as "
                    "absent, or registered during the step)"},
               }}}},
        }}},
      ExampleCli("gettraininginfo", "") + ExampleRpc("gettraininginfo", ""),
      [&node](const RpcMethod&, const RpcRequest&) -> json {
        const ChainManager& manager = ChainManagerOrThrow(node);
        const ConsensusState tip = manager.Tip();
        json workers = json::array();
        for (const WorkerEntry& w : tip.workers)
          workers.push_back({{"key", KeyHex(w.key)},
                             {"registered_height", w.registered_height},
                             {"records", w.records},
                             {"paid", w.records},
                             {"payout", wallet::EncodeAddress(node.params->bech32_hrp, w.payout)},
                             {"active_step", w.active_step},
                             {"scheduled", std::find(tip.unit_order.begin(), tip.unit_order.end(),
                                                     w.key) != tip.unit_order.end()}});
        return json{{"height", tip.height},
                    {"step", tip.step},
                    {"loss", tip.last_loss},
                    {"state_root", tip.StateRoot().ToHex()},
                    {"units_done", tip.done.size()},
                    {"accepted_work", tip.accepted_work},
                    {"model", node.params->model.name},
                    {"model_loaded", manager.ModelLoaded()},
                    {"workers", std::move(workers)}};
      }};
}

RpcMethod getworkerinfo(NodeContext& node) {
  return RpcMethod{
      "getworkerinfo",
      "Returns this node's in-process workers: whether each is registered, its records,\n"
      "its rank in the longest-waiting order for the next block, its bonds and whether\n"
      "it has been slashed.",
      {},
      {{RpcType::kArray,
        "",
        "",
        {{RpcType::kObject,
          "",
          "",
          {
              {RpcType::kHex, "key", "the worker's x-only public key"},
              {RpcType::kBool, "registered", "whether the chain's registry holds it"},
              {RpcType::kNumber, "records", "its accepted work records"},
              {RpcType::kString, "payout",
               "the address its rewards are paid to (null if unregistered)"},
              {RpcType::kNumber, "rank", "its place in the schedule's order (-1 if unregistered)"},
              {RpcType::kNumber, "bonded", "coins in worker bond outputs locked to it"},
              {RpcType::kArray,
               "unbonding",
               "its unbonding outputs",
               {{RpcType::kObject,
                 "",
                 "",
                 {{RpcType::kNumber, "value", "coins"},
                  {RpcType::kNumber, "release_height", "the first height that may spend it"}}}}},
              {RpcType::kBool, "slashed", "whether the chain slashed it (it never registers again)"},
          }}}}},
      ExampleCli("getworkerinfo", "") + ExampleRpc("getworkerinfo", ""),
      [&node](const RpcMethod&, const RpcRequest&) -> json {
        const ConsensusState tip = ChainManagerOrThrow(node).Tip();
        const std::vector<XOnlyPubKeyBytes> order = WorkerOrder(tip);
        // One scan of the UTXO set for every key: there is no index by lock.
        std::map<Uint256, Amount> bonded;
        std::map<Uint256, json> unbonding;
        for (const PrivateKey& key : node.workers) {
          bonded[Uint256(key.PublicKey())] = 0;
          unbonding[Uint256(key.PublicKey())] = json::array();
        }
        const Status s = node.chain->utxo().ForEachCoin([&](const OutPoint&, const Coin& coin) {
          if (coin.out.kind == OutputKind::kWorkerBond && bonded.contains(coin.out.lock))
            bonded[coin.out.lock] += coin.out.value;
          if (coin.out.kind == OutputKind::kUnbonding && unbonding.contains(coin.out.lock))
            unbonding[coin.out.lock].push_back(
                {{"value", ValueFromAmount(coin.out.value)},
                 {"release_height",
                  static_cast<uint64_t>(coin.height) + node.params->unbonding_delay}});
          return Status::OK();
        });
        if (!s.ok()) throw RpcError(rpc::kRpcDatabaseError, s.ToString());
        json result = json::array();
        for (const PrivateKey& key : node.workers) {
          const XOnlyPubKeyBytes pub = key.PublicKey();
          const WorkerEntry* w = tip.FindWorker(pub);
          int64_t rank = -1;
          for (size_t i = 0; i < order.size(); ++i)
            if (order[i] == pub) rank = static_cast<int64_t>(i);
          result.push_back({{"key", KeyHex(pub)},
                            {"registered", w != nullptr},
                            {"records", w ? w->records : 0},
                            {"payout", w ? json(wallet::EncodeAddress(node.params->bech32_hrp,
                                                                      w->payout))
                                         : json()},
                            {"rank", rank},
                            {"bonded", ValueFromAmount(bonded[Uint256(pub)])},
                            {"unbonding", unbonding[Uint256(pub)]},
                            {"slashed", tip.IsSlashed(pub)}});
        }
        return result;
      }};
}

RpcMethod getworkpoolinfo(NodeContext& node) {
  return RpcMethod{
      "getworkpoolinfo",
      "Returns the work pool: work records relayed or computed but not yet in a block,\n"
      "and where training stands with them (the tip extended by the pool's records).",
      {},
      {{RpcType::kObject,
        "",
        "",
        {
            {RpcType::kNumber, "size", "records in the pool"},
            {RpcType::kNumber, "step", "the step in progress with the pool's records"},
            {RpcType::kNumber, "units_done", "its accepted units (chain and pool)"},
            {RpcType::kNumber, "units", "units in its plan"},
            {RpcType::kNumber, "loss", "mean lane loss of the last step completed there"},
            {RpcType::kHex, "state_root", "the state root with the pool's records"},
            {RpcType::kNumber, "verified", "records re-executed on entry since start"},
            {RpcType::kNumber, "rejected", "records that proved their worker wrong"},
            {RpcType::kNumber, "check_seconds",
             "wall seconds spent checking records on entry, re-execution under -verify included"},
            {RpcType::kArray,
             "penalised",
             "",
             {{RpcType::kHex, "", "a worker whose records are refused until restart"}}},
        }}},
      ExampleCli("getworkpoolinfo", "") + ExampleRpc("getworkpoolinfo", ""),
      [&node](const RpcMethod&, const RpcRequest&) -> json {
        if (!node.work_pool) throw RpcError(rpc::kRpcMiscError, "Training is not running");
        const WorkPoolInfo info = node.work_pool->Info();
        json penalised = json::array();
        for (const XOnlyPubKeyBytes& k : info.penalised) penalised.push_back(KeyHex(k));
        return json{{"size", info.records},
                    {"step", info.step},
                    {"units_done", info.step_done},
                    {"units", info.step_units},
                    {"loss", info.last_loss},
                    {"state_root", info.state_root.ToHex()},
                    {"verified", info.verified},
                    {"rejected", info.rejected},
                    {"check_seconds", info.check_seconds},
                    {"penalised", std::move(penalised)}};
      }};
}

RpcMethod evaluatemodel(NodeContext& node) {
  return RpcMethod{
      "evaluatemodel",
      "Asks the model at the chain tip held-out addition problems (never in a training\n"
      "batch) and returns the share it answers exactly, with greedy decoding.",
      {{"count", RpcType::kNumber, RpcArg::kOptional, "500", "How many problems (1 to 10000)"},
       {"seed", RpcType::kNumber, RpcArg::kOptional, "0", "Which problems"}},
      {{RpcType::kObject,
        "",
        "",
        {
            {RpcType::kNumber, "height", "the tip's height"},
            {RpcType::kNumber, "step", "the training step in progress at the tip"},
            {RpcType::kNumber, "problems", "problems asked"},
            {RpcType::kNumber, "correct", "problems answered exactly"},
            {RpcType::kNumber, "accuracy", "correct / problems"},
        }}},
      ExampleCli("evaluatemodel", "500") + ExampleRpc("evaluatemodel", "500"),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        const int64_t count = request.Arg(0).is_null()
                                  ? 500
                                  : rpc::ParseIntArg(request.Arg(0), "count", 1, 10000,
                                                     "count out of range");
        const int64_t seed =
            request.Arg(1).is_null()
                ? 0
                : rpc::ParseIntArg(request.Arg(1), "seed", 0, INT64_MAX, "seed out of range");
        ChainManager& manager = ChainManagerOrThrow(node);
        const ConsensusState tip = manager.Tip();
        compute::Evaluation evaluation;
        const Status s = manager.Evaluate(static_cast<uint64_t>(count),
                                          static_cast<uint64_t>(seed), &evaluation);
        if (!s.ok()) throw RpcError(rpc::kRpcMiscError, s.ToString());
        return json{{"height", tip.height},
                    {"step", tip.step},
                    {"problems", evaluation.problems},
                    {"correct", evaluation.correct},
                    {"accuracy", evaluation.accuracy()}};
      }};
}

RpcMethod completetext(NodeContext& node) {
  return RpcMethod{
      "completetext",
      "Completes a prompt with the model at the chain tip, greedily, on this node (free:\n"
      "the node's own copy of the weights the chain committed).",
      {{"prompt", RpcType::kString, RpcArg::kRequired, "", "The text to continue (1 to 256 bytes)"},
       {"max_tokens", RpcType::kNumber, RpcArg::kOptional, "16",
        "Most tokens (bytes) to add (1 to 256)"}},
      {{RpcType::kObject,
        "",
        "",
        {
            {RpcType::kString, "completion", "the generated text"},
            {RpcType::kArray, "tokens",
             "the generated token ids (bytes; the text may not be UTF-8)"},
            {RpcType::kHex, "state_root", "the model state it came from"},
        }}},
      ExampleCli("completetext", "\"123+456=\"") + ExampleRpc("completetext", "\"123+456=\""),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        if (!request.Arg(0).is_string())
          throw RpcError(rpc::kRpcTypeError, "prompt must be a string");
        const std::string prompt = request.Arg(0).get<std::string>();
        if (prompt.empty() || prompt.size() > 256)
          throw RpcError(rpc::kRpcInvalidParameter, "prompt must be 1 to 256 bytes");
        const int64_t max_tokens =
            request.Arg(1).is_null() ? 16
                                     : rpc::ParseIntArg(request.Arg(1), "max_tokens", 1, 256,
                                                        "max_tokens out of range");
        ChainManager& manager = ChainManagerOrThrow(node);
        const ConsensusState tip = manager.Tip();
        std::vector<std::string> out;
        const std::string prompts[] = {prompt};
        const Status s = manager.Complete(prompts, static_cast<uint32_t>(max_tokens), &out);
        if (!s.ok()) throw RpcError(rpc::kRpcMiscError, s.ToString());
        const std::string completion = out.empty() ? "" : out[0];
        json tokens = json::array();
        for (char c : completion) tokens.push_back(static_cast<uint8_t>(c));
        return json{{"completion", completion},
                    {"tokens", tokens},
                    {"state_root", tip.StateRoot().ToHex()}};
      }};
}

// A path an RPC was given: absolute, or relative to the network directory
// (as Bitcoin Core's dumptxoutset), so that a relative path means the same
// whatever the daemon's working directory.
std::filesystem::path NodePath(const NodeContext& node, const json& arg, const char* what) {
  if (!arg.is_string() || arg.get<std::string>().empty())
    throw RpcError(rpc::kRpcTypeError, std::string(what) + " must be a non-empty string");
  const std::filesystem::path path = arg.get<std::string>();
  return path.is_absolute() ? path : node.datadir / path;
}

// What exportmodel returns, and verifymodelexport before its own field.
std::vector<rpc::RpcResult> ExportResultFields() {
  return {
      {RpcType::kString, "manifest", "the manifest's path"},
      {RpcType::kString, "safetensors", "the tensor file's path"},
      {RpcType::kNumber, "bytes", "size of the tensor file"},
      {RpcType::kString, "network", "the chain the weights came from"},
      {RpcType::kNumber, "height", "the block's height"},
      {RpcType::kHex, "blockhash", "the block whose model it is"},
      {RpcType::kHex, "state_root", "the model state that block committed"},
  };
}

json ExportInfoJson(const ModelExportInfo& info) {
  return json{{"manifest", info.manifest.string()},
              {"safetensors", info.safetensors.string()},
              {"bytes", info.tensor_bytes},
              {"network", info.network},
              {"height", info.height},
              {"blockhash", info.block_hash.ToHex()},
              {"state_root", info.state_root.ToHex()}};
}

RpcMethod exportmodel(NodeContext& node) {
  return RpcMethod{
      "exportmodel",
      "Writes the model at the chain tip as <path>.safetensors (one F32 tensor per\n"
      "parameter, loadable by PyTorch) and a manifest <path>.json that ties it to the\n"
      "block and state root it came from (doc/inference.md, Export). Never overwrites.",
      {{"path", RpcType::kString, RpcArg::kRequired, "",
        "Where to write, without extension: absolute, or relative to the network directory"}},
      {{RpcType::kObject, "", "", ExportResultFields()}},
      ExampleCli("exportmodel", "\"model\"") + ExampleRpc("exportmodel", "\"model\""),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        const std::filesystem::path stem = NodePath(node, request.Arg(0), "path");
        // "/" or "dir/" would write "/.json" and "/.safetensors".
        if (!stem.has_filename())
          throw RpcError(rpc::kRpcInvalidParameter,
                         "path must name a file, not a directory: " + stem.string());
        ChainManager& manager = ChainManagerOrThrow(node);
        ConsensusState tip;
        compute::ParamValues params;
        Status s = manager.ExportModel(&tip, &params);
        if (!s.ok()) throw RpcError(rpc::kRpcMiscError, s.ToString());
        ModelExportInfo info;
        s = WriteModelExport(stem, node.params->name, node.params->model, tip, params, &info);
        if (!s.ok()) throw RpcError(rpc::kRpcMiscError, s.ToString());
        LogPrintf("Exported the model at height " + std::to_string(info.height) + " to " +
                  info.manifest.string());
        return ExportInfoJson(info);
      }};
}

RpcMethod verifymodelexport(NodeContext& node) {
  return RpcMethod{
      "verifymodelexport",
      "Checks a model export against its manifest and this node's chain: the tensors\n"
      "must make the manifest's state root (each section's weights hashed as the chain\n"
      "commits them), and that state root must be the one committed by the manifest's\n"
      "block on this node's chain.",
      {{"manifest", RpcType::kString, RpcArg::kRequired, "",
        "The manifest (<path>.json): absolute, or relative to the network directory"}},
      {{RpcType::kObject, "", "", [] {
          std::vector<rpc::RpcResult> fields = ExportResultFields();
          fields.push_back({RpcType::kBool, "in_active_chain",
                            "whether the block is on this node's main chain"});
          return fields;
        }()}},
      ExampleCli("verifymodelexport", "\"model.json\"") +
          ExampleRpc("verifymodelexport", "\"model.json\""),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        const std::filesystem::path manifest = NodePath(node, request.Arg(0), "manifest");
        ChainManager& manager = ChainManagerOrThrow(node);
        ModelExportInfo info;
        Status s = CheckModelExport(manifest, node.params->model, &info, nullptr);
        if (!s.ok()) throw RpcError(rpc::kRpcVerifyError, s.ToString());
        if (info.network != node.params->name)
          throw RpcError(rpc::kRpcVerifyError, "the export is of network " + info.network);
        ConsensusState state;
        if (!manager.GetState(info.block_hash, &state).ok())
          throw RpcError(rpc::kRpcVerifyError, "block " + info.block_hash.ToHex() +
                                                   " is not a validated block of this chain");
        if (state.StateRoot() != info.state_root || state.height != info.height)
          throw RpcError(rpc::kRpcVerifyError,
                         "block " + info.block_hash.ToHex() + " committed another state root");
        Uint256 at_height;
        const bool in_active_chain =
            node.chain->GetBlockHashAtHeight(info.height, &at_height).ok() &&
            at_height == info.block_hash;
        json result = ExportInfoJson(info);
        result["in_active_chain"] = in_active_chain;
        return result;
      }};
}

RpcMethod getmininginfo(NodeContext& node) {
  return RpcMethod{
      "getmininginfo",
      "Returns what this node's timed production has done since start (-timedproduction).",
      {},
      {{RpcType::kObject,
        "",
        "",
        {
            {RpcType::kBool, "timedproduction", "whether the miner runs"},
            {RpcType::kNumber, "workers", "worker keys of this node"},
            {RpcType::kNumber, "records_computed", "work records its keys computed"},
            {RpcType::kNumber, "blocks_produced", "blocks it produced and connected"},
            {RpcType::kNumber, "compute_seconds", "wall seconds spent computing units"},
        }}},
      ExampleCli("getmininginfo", "") + ExampleRpc("getmininginfo", ""),
      [&node](const RpcMethod&, const RpcRequest&) -> json {
        const MinerStats stats = node.miner ? node.miner->Stats() : MinerStats{};
        return json{{"timedproduction", stats.running},
                    {"workers", node.workers.size()},
                    {"records_computed", stats.records_computed},
                    {"blocks_produced", stats.blocks_produced},
                    {"compute_seconds", stats.compute_seconds}};
      }};
}

}  // namespace

Status RegisterTrainingRpcs(rpc::RpcTable& table, NodeContext& node) {
  static const rpc::RpcCommand<NodeContext> kCommands[] = {
      {"mining", &generate},          {"training", &gettraininginfo}, {"training", &getworkerinfo},
      {"training", &getworkpoolinfo},
      {"training", &evaluatemodel},
      {"training", &completetext}, {"mining", &getmininginfo},
      {"training", &exportmodel},  {"training", &verifymodelexport},
  };
  return table.AddAll(kCommands, node);
}

}  // namespace cc
