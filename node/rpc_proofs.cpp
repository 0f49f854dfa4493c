// What light clients ask a full node for: header chains and Merkle proofs
// that a transaction or a work record is committed by a block's header.
// One function per method, the registration table at the bottom.

#include <algorithm>
#include <vector>

#include "chain/merkle.h"
#include "chain/hex.h"
#include "chain/serialize.h"
#include "consensus/consensus_state.h"
#include "node/rpc_helpers.h"
#include "node/rpc_register.h"
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

// Headers one getheaders call returns at most (as a P2P headers message).
constexpr int64_t kMaxHeadersPerCall = 2000;

const char* const kHashArgs =
    "\"39ff93117d3587f84464d0918bd3388405cd2677034b7a6a59c590052ef6f336\" "
    "\"72588cfd749ab8f5968250b7c969aa06c0f3ba425ba01acd6751aad2343b8a7e\"";
const char* const kHashArgsJson =
    "\"39ff93117d3587f84464d0918bd3388405cd2677034b7a6a59c590052ef6f336\", "
    "\"72588cfd749ab8f5968250b7c969aa06c0f3ba425ba01acd6751aad2343b8a7e\"";

RpcMethod getheaders(NodeContext& node) {
  return RpcMethod{
      "getheaders",
      "Returns up to 'count' serialized block headers of the active chain, starting at height "
      "'start'.\n"
      "Light clients use it to follow the header chain; each header links to the one before it.",
      {{"start", RpcType::kNumber, RpcArg::kRequired, "", "The height of the first header"},
       {"count", RpcType::kNumber, RpcArg::kOptional, "2000",
        "How many headers at most (1 to 2000)"}},
      {{RpcType::kArray,
        "",
        "the headers, in height order, fewer if the tip is reached",
        {{RpcType::kHex, "", "a serialized header"}}}},
      ExampleCli("getheaders", "0 100") + ExampleRpc("getheaders", "0, 100"),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        const ChainTip tip = ReadTipOrThrow(*node.chain);
        const int64_t start =
            rpc::ParseIntArg(request.Arg(0), "start", 0, tip.height, "Block height out of range");
        const int64_t count = request.Arg(1).is_null()
                                  ? kMaxHeadersPerCall
                                  : rpc::ParseIntArg(request.Arg(1), "count", 1, kMaxHeadersPerCall,
                                                     "count must be between 1 and " +
                                                         std::to_string(kMaxHeadersPerCall));
        const int64_t end = std::min<int64_t>(start + count - 1, tip.height);
        json out = json::array();
        for (int64_t height = start; height <= end; ++height) {
          Uint256 hash;
          BlockHeader header;
          Status s = node.chain->GetBlockHashAtHeight(static_cast<uint32_t>(height), &hash);
          if (s.ok()) s = node.chain->ReadHeader(hash, &header);
          // A reorganisation shortened the chain while we walked it: return what is consistent.
          if (s.IsNotFound()) break;
          if (!s.ok()) ThrowStoreError(s);
          out.push_back(HexStr(Serialize(header)));
        }
        return out;
      }};
}

RpcMethod gettxoutproof(NodeContext& node) {
  return RpcMethod{
      "gettxoutproof",
      "Returns a proof that transaction 'txid' is committed by the tx_root of block 'blockhash'.\n"
      "The proof is the Merkle path from the transaction's wtxid (the tx_root leaf) to the root;\n"
      "the transaction itself comes with it, so the verifier can check both its txid and its "
      "wtxid.",
      {{"txid", RpcType::kHex, RpcArg::kRequired, "", "The transaction id"},
       {"blockhash", RpcType::kHex, RpcArg::kRequired, "", "The block the transaction is in"}},
      {{RpcType::kObject,
        "",
        "",
        {
            {RpcType::kHex, "blockhash", "the block hash"},
            {RpcType::kHex, "txid", "the transaction id"},
            {RpcType::kHex, "tx", "the serialized transaction"},
            {RpcType::kHex, "proof", "the serialized MerkleProof (leaf_index, tree_size, path)"},
        }}},
      ExampleCli("gettxoutproof", kHashArgs) + ExampleRpc("gettxoutproof", kHashArgsJson),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        const Uint256 txid = rpc::ParseHashArg(request.Arg(0), "txid");
        const Uint256 block_hash = rpc::ParseHashArg(request.Arg(1), "blockhash");
        const Block block = ReadBlockOrThrow(*node.chain, block_hash);
        std::vector<Uint256> leaves;
        size_t index = block.txs.size();
        for (size_t i = 0; i < block.txs.size(); ++i) {
          leaves.push_back(block.txs[i].Wtxid());
          if (block.txs[i].Txid() == txid) index = i;
        }
        if (index == block.txs.size()) {
          throw RpcError(rpc::kRpcInvalidAddressOrKey, "Transaction not found in block");
        }
        MerkleProof proof;
        Status s = MakeMerkleProof(leaves, index, &proof);
        if (!s.ok()) throw RpcError(rpc::kRpcInternalError, s.ToString());
        return json{{"blockhash", block_hash.ToHex()},
                    {"txid", txid.ToHex()},
                    {"tx", HexStr(Serialize(block.txs[index]))},
                    {"proof", HexStr(Serialize(proof))}};
      }};
}

RpcMethod getworkproof(NodeContext& node) {
  return RpcMethod{
      "getworkproof",
      "Returns a proof that work record 'recordhash' is committed by the work_root of block "
      "'blockhash'.\n"
      "The record itself comes with the Merkle path, so the verifier can check its hash and read "
      "its unit.",
      {{"recordhash", RpcType::kHex, RpcArg::kRequired, "", "The work record hash"},
       {"blockhash", RpcType::kHex, RpcArg::kRequired, "", "The block the record is in"}},
      {{RpcType::kObject,
        "",
        "",
        {
            {RpcType::kHex, "blockhash", "the block hash"},
            {RpcType::kHex, "recordhash", "the record hash"},
            {RpcType::kHex, "record", "the serialized work record"},
            {RpcType::kHex, "proof", "the serialized MerkleProof (leaf_index, tree_size, path)"},
        }}},
      ExampleCli("getworkproof", kHashArgs) + ExampleRpc("getworkproof", kHashArgsJson),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        const Uint256 record_hash = rpc::ParseHashArg(request.Arg(0), "recordhash");
        const Uint256 block_hash = rpc::ParseHashArg(request.Arg(1), "blockhash");
        const Block block = ReadBlockOrThrow(*node.chain, block_hash);
        std::vector<Uint256> leaves;
        size_t index = block.records.size();
        for (size_t i = 0; i < block.records.size(); ++i) {
          leaves.push_back(block.records[i].Hash());
          if (leaves.back() == record_hash) index = i;
        }
        if (index == block.records.size()) {
          throw RpcError(rpc::kRpcInvalidAddressOrKey, "Work record not found in block");
        }
        MerkleProof proof;
        Status s = MakeMerkleProof(leaves, index, &proof);
        if (!s.ok()) throw RpcError(rpc::kRpcInternalError, s.ToString());
        return json{{"blockhash", block_hash.ToHex()},
                    {"recordhash", record_hash.ToHex()},
                    {"record", HexStr(Serialize(block.records[index]))},
                    {"proof", HexStr(Serialize(proof))}};
      }};
}

RpcMethod getregistryproof(NodeContext& node) {
  return RpcMethod{
      "getregistryproof",
      "Returns a proof that worker 'key' is registered in the registry committed by the "
      "registry_root of block 'blockhash' (the registry after that block).\n"
      "Light clients check a block's producer with it against the parent's header "
      "(computecoin-light verifyproducer).",
      {{"key", RpcType::kHex, RpcArg::kRequired, "", "The worker's x-only public key"},
       {"blockhash", RpcType::kHex, RpcArg::kRequired, "", "The block whose registry is asked"}},
      {{RpcType::kObject,
        "",
        "",
        {
            {RpcType::kHex, "blockhash", "the block hash"},
            {RpcType::kHex, "key", "the worker key"},
            {RpcType::kHex, "entry", "the serialized WorkerEntry (the registry tree's leaf data)"},
            {RpcType::kHex, "proof", "the serialized MerkleProof (leaf_index, tree_size, path)"},
        }}},
      ExampleCli("getregistryproof", kHashArgs) + ExampleRpc("getregistryproof", kHashArgsJson),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        XOnlyPubKeyBytes key;
        if (!request.Arg(0).is_string() ||
            !ParseHexInto(request.Arg(0).get<std::string>(), key))
          throw RpcError(rpc::kRpcInvalidParameter, "key must be 64 hex digits");
        const Uint256 block_hash = rpc::ParseHashArg(request.Arg(1), "blockhash");
        (void)ReadIndexOrThrow(*node.chain, block_hash);
        ConsensusState state;
        Status s = node.chainman->GetState(block_hash, &state);
        if (s.IsNotFound())
          throw RpcError(rpc::kRpcInvalidAddressOrKey, "No registry stored for that block");
        if (!s.ok()) ThrowStoreError(s);
        WorkerEntry entry;
        MerkleProof proof;
        if (!state.RegistryProof(key, &entry, &proof).ok())
          throw RpcError(rpc::kRpcInvalidAddressOrKey, "Key not registered after that block");
        return json{{"blockhash", block_hash.ToHex()},
                    {"key", HexStr(key)},
                    {"entry", HexStr(Serialize(entry))},
                    {"proof", HexStr(Serialize(proof))}};
      }};
}

}  // namespace

Status RegisterProofRpcs(rpc::RpcTable& table, NodeContext& node) {
  static const rpc::RpcCommand<NodeContext> kCommands[] = {
      {"blockchain", &getheaders},
      {"blockchain", &gettxoutproof},
      {"blockchain", &getworkproof},
      {"blockchain", &getregistryproof},
  };
  return table.AddAll(kCommands, node);
}

}  // namespace cc
