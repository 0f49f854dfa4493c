#include "node/client/light_client.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chain/hex.h"
#include "chain/key.h"
#include "chain/merkle.h"
#include "chain/receipt.h"
#include "chain/serialize.h"
#include "consensus/connect.h"
#include "consensus/consensus_state.h"
#include "consensus/genesis.h"
#include "node/client/header_chain.h"
#include "node/client/light_peer.h"
#include "node/common/args.h"
#include "node/common/config.h"
#include "node/common/datadir.h"
#include "node/common/version.h"
#include "rpc/client.h"
#include "rpc/protocol.h"
#include "rpc/util.h"

namespace cc {
namespace {

using rpc::json;

// Headers requested per getheaders call (the server's maximum).
constexpr int kHeadersPerRequest = 2000;

// Decodes the hex string field `name` of `object` into *out.
template <typename T>
bool DecodeField(const json& object, const char* name, T* out, std::string* reason) {
  if (!object.is_object() || !object.contains(name) || !object[name].is_string()) {
    *reason = std::string("the server's reply has no '") + name + "' field";
    return false;
  }
  std::vector<uint8_t> bytes;
  if (!ParseHex(object[name].get<std::string>(), &bytes)) {
    *reason = std::string("the server's '") + name + "' is not hex";
    return false;
  }
  Status s = Deserialize(bytes, out);
  if (!s.ok()) {
    *reason = std::string("the server's '") + name + "' does not decode: " + s.message();
    return false;
  }
  return true;
}

// One call; a method's error comes back as InvalidArgument with its message.
Status Rpc(rpc::RpcClient& client, const std::string& method, const json& params, json* result) {
  json reply;
  Status s = client.Call(method, params, &reply);
  if (!s.ok()) return s;
  if (!reply["error"].is_null()) {
    const json& error = reply["error"];
    return Status::InvalidArgument(rpc::FieldOr<std::string>(error, "message", error.dump()));
  }
  *result = reply["result"];
  return Status::OK();
}

struct SyncSummary {
  size_t downloaded = 0;
  size_t disconnected = 0;
};

// Brings `chain` to the server's active chain: back to the last header both
// share, then forward to the server's tip.
Status SyncHeaders(rpc::RpcClient& client, HeaderChain* chain, SyncSummary* summary) {
  json result;
  Status s = Rpc(client, "getblockcount", json::array(), &result);
  if (!s.ok()) return s;
  if (!result.is_number_unsigned())
    return Status::Corruption("getblockcount returned " + result.dump());
  const uint64_t remote_height = result.get<uint64_t>();

  size_t shared = std::min<uint64_t>(chain->size(), remote_height + 1);
  while (shared > 0) {
    s = Rpc(client, "getblockhash", json::array({shared - 1}), &result);
    if (!s.ok()) return s;
    if (result.is_string() && result.get<std::string>() == chain->HashAt(shared - 1).ToHex()) break;
    --shared;
  }
  if (shared < chain->size()) {
    summary->disconnected = chain->size() - shared;
    s = chain->Truncate(shared);
    if (!s.ok()) return s;
  }

  while (chain->size() <= remote_height) {
    s = Rpc(client, "getheaders", json::array({chain->size(), kHeadersPerRequest}), &result);
    if (!s.ok()) return s;
    if (!result.is_array() || result.empty()) break;  // the server's chain got shorter meanwhile
    std::vector<BlockHeader> headers;
    for (const json& item : result) {
      BlockHeader header;
      std::vector<uint8_t> bytes;
      if (!item.is_string() || !ParseHex(item.get<std::string>(), &bytes)) {
        return Status::Corruption("getheaders returned a non-hex header");
      }
      s = Deserialize(bytes, &header);
      if (!s.ok())
        return Status::Corruption("getheaders returned a header that does not decode: " +
                                  s.message());
      headers.push_back(header);
    }
    s = chain->Append(headers);
    if (!s.ok())
      return Status::Corruption("the server sent a header that does not link: " + s.message());
    summary->downloaded += headers.size();
  }
  return Status::OK();
}

// Our header chain's locator (net::LocatorHeights).
std::vector<Uint256> Locator(const HeaderChain& chain) {
  std::vector<Uint256> locator;
  if (chain.size() == 0) return locator;
  for (uint32_t height : net::LocatorHeights(static_cast<uint32_t>(chain.size() - 1)))
    locator.push_back(chain.HashAt(height));
  return locator;
}

// Follows the peer's main chain: each answer must start after a header we
// hold (we drop ours above it: a reorganisation), link, carry a valid
// producer signature and a time within the network's future bound.
Status SyncHeadersP2P(LightPeer& peer, const ChainParams& params, HeaderChain* chain,
                      SyncSummary* summary) {
  // The genesis header is the network's own: it is not asked of a peer.
  if (chain->size() == 0) {
    Status s = chain->Append({BuildGenesisBlock(params).header});
    if (!s.ok()) return s;
  }
  while (true) {
    std::vector<BlockHeader> headers;
    Status s = peer.GetHeaders(Locator(*chain), &headers);
    if (!s.ok()) return s;
    if (headers.empty()) return Status::OK();
    const BlockHeader* fork = chain->Find(headers.front().prev);
    if (fork == nullptr)
      return Status::Corruption("the peer sent headers that do not connect to ours");
    const size_t keep = static_cast<size_t>(fork->height) + 1;
    const int64_t latest = static_cast<int64_t>(std::time(nullptr)) + params.max_future_time;
    const BlockHeader* prev = fork;
    for (const BlockHeader& h : headers) {
      if (!VerifySchnorr(h.producer, h.SigningHash(), h.signature))
        return Status::Corruption(
            "the peer sent a header with a bad producer signature at height " +
            std::to_string(h.height) + " (bad-blk-sig)");
      ValidationState state;
      if (!CheckHeaderContext(h, prev->height, prev->time, prev->accepted_work, &state))
        return Status::Corruption("the peer sent a header that breaks its parent's at height " +
                                  std::to_string(h.height) + " (" + state.ToString() + ")");
      if (h.time > latest)
        return Status::Corruption("the peer sent a header from the future at height " +
                                  std::to_string(h.height) + " (time-too-new)");
      prev = &h;
    }
    // The chain with the most accepted work wins: a branch that would
    // replace ours must commit more (a batch cut at the message limit is
    // judged by its last header, so a longer branch must pull ahead within it).
    const uint64_t our_work = chain->at(chain->size() - 1).accepted_work;
    if (keep < chain->size() && headers.back().accepted_work <= our_work)
      return Status::Corruption("the peer's branch from height " + std::to_string(keep) +
                                " commits " + std::to_string(headers.back().accepted_work) +
                                " accepted records, not more than our chain's " +
                                std::to_string(our_work) + ": not followed");
    if (keep < chain->size()) {
      summary->disconnected += chain->size() - keep;
      s = chain->Truncate(keep);
      if (!s.ok()) return s;
    }
    s = chain->Append(headers);
    if (!s.ok())
      return Status::Corruption("the peer sent a header that does not link: " + s.message());
    summary->downloaded += headers.size();
    if (headers.size() < net::kMaxHeadersResults) return Status::OK();
  }
}

// The full nodes asked over P2P: -connect, then -addnode (with no address
// book of its own, the light client asks exactly the peers named).
std::vector<std::string> P2PPeers(const Config& config) {
  std::vector<std::string> peers = config.GetArgs("connect");
  for (std::string& peer : config.GetArgs("addnode")) peers.push_back(std::move(peer));
  return peers;
}

// The first P2P peer that completes the handshake.
Status ConnectToPeer(const Config& config, const ChainParams& params,
                     std::unique_ptr<LightPeer>* peer) {
  Status s = Status::NotFound("no -connect or -addnode peer");
  for (const std::string& target : P2PPeers(config)) {
    s = LightPeer::Connect(params, target, peer);
    if (s.ok()) return s;
  }
  return s;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return EXIT_FAILURE;
}

int Invalid(const std::string& reason) {
  std::printf("invalid: %s\n", reason.c_str());
  return EXIT_FAILURE;
}

// Asks for a proof: the first -connect peer (getproof of `kind` for `id` in
// `block_hash`) sets *from_peer; without -connect the RPC server (`method`
// with `rpc_params`) sets *from_server. Returns nullopt when the proof came,
// else the exit status of the failure it printed ("invalid: the peer (server)
// gave no proof: …" when it has none).
std::optional<int> AskProof(const Config& config, const ChainParams& params,
                            const std::filesystem::path& network_dir, net::ProofKind kind,
                            const Uint256& block_hash, const Uint256& id, const char* method,
                            const json& rpc_params, net::ProofMsg* from_peer, json* from_server) {
  if (!P2PPeers(config).empty()) {
    std::unique_ptr<LightPeer> peer;
    Status s = ConnectToPeer(config, params, &peer);
    if (!s.ok()) return Fail(s.message());
    s = peer->GetProof(kind, block_hash, id, from_peer);
    if (s.IsNotFound()) return Invalid("the peer gave no proof: " + s.message());
    if (!s.ok()) return Fail(s.message());
    return std::nullopt;
  }
  rpc::RpcClientOptions options;
  Status s = ClientOptionsFromConfig(config, params, network_dir, &options);
  if (!s.ok()) return Fail(s.message());
  rpc::RpcClient client(options);
  s = Rpc(client, method, rpc_params, from_server);
  if (s.IsInvalidArgument()) return Invalid("the server gave no proof: " + s.message());
  if (!s.ok()) return Fail(s.message());
  return std::nullopt;
}

// verifytx / verifywork / verifyreceipt: the common part around the proof
// check. verifyreceipt is verifytx on the settlement plus the receipt's own
// checks.
int VerifyCommand(const Config& config, const ChainParams& params,
                  const std::filesystem::path& network_dir, const HeaderChain& chain,
                  std::vector<std::string> args) {
  const bool is_receipt = args[0] == "verifyreceipt";
  const bool is_tx = is_receipt || args[0] == "verifytx";
  std::optional<ReceiptProof> receipt;
  if (is_receipt) {
    if (args.size() != 4) return Fail("usage: verifyreceipt <receiptproof> <txid> <blockhash>");
    std::vector<uint8_t> bytes;
    receipt.emplace();
    if (!ParseHex(args[1], &bytes) || !Deserialize(bytes, &*receipt).ok()) {
      return Fail("receiptproof must be the hex of a ReceiptProof");
    }
    args.erase(args.begin() + 1);
  }
  if (args.size() != 3) {
    return Fail(std::string("usage: ") + args[0] +
                (is_tx ? " <txid> <blockhash>" : " <recordhash> <blockhash>"));
  }
  const std::optional<Uint256> leaf = Uint256::FromHex(args[1]);
  const std::optional<Uint256> block_hash = Uint256::FromHex(args[2]);
  if (!leaf) return Fail(std::string(is_tx ? "txid" : "recordhash") + " must be 64 hex digits");
  if (!block_hash) return Fail("blockhash must be 64 hex digits");

  const BlockHeader* header = chain.Find(*block_hash);
  if (header == nullptr) {
    return Invalid("block " + block_hash->ToHex() +
                   " is not in the local header chain (run syncheaders)");
  }
  Transaction tx;
  std::string reason;
  net::ProofMsg from_peer;
  json from_server;
  if (const std::optional<int> failed =
          AskProof(config, params, network_dir, is_tx ? net::ProofKind::kTx : net::ProofKind::kRecord,
                   *block_hash, *leaf, is_tx ? "gettxoutproof" : "getworkproof",
                   json::array({args[1], args[2]}), &from_peer, &from_server))
    return *failed;
  if (!P2PPeers(config).empty()) {
    const bool valid =
        is_tx ? VerifyTxInclusion(from_peer.tx, from_peer.proof, *leaf, *header, &reason)
              : VerifyRecordInclusion(from_peer.record, from_peer.proof, *leaf, *header, &reason);
    if (!valid) return Invalid(reason);
    tx = from_peer.tx;
  } else {
    const bool valid = is_tx ? VerifyTxOutProof(from_server, *leaf, *header, &reason)
                             : VerifyWorkProof(from_server, *leaf, *header, &reason);
    if (!valid) return Invalid(reason);
    if (is_receipt && !DecodeField(from_server, "tx", &tx, &reason)) return Invalid(reason);
  }
  if (is_receipt) {
    ValidationState state;
    if (!VerifyReceiptCommitment(*receipt, tx, &state)) return Invalid(state.reason());
  }
  std::printf("valid\n");
  return EXIT_SUCCESS;
}

}  // namespace

bool VerifyTxOutProof(const json& proof, const Uint256& txid, const BlockHeader& header,
                      std::string* reason) {
  Transaction tx;
  MerkleProof path;
  if (!DecodeField(proof, "tx", &tx, reason) || !DecodeField(proof, "proof", &path, reason))
    return false;
  return VerifyTxInclusion(tx, path, txid, header, reason);
}

bool VerifyTxInclusion(const Transaction& tx, const MerkleProof& path, const Uint256& txid,
                       const BlockHeader& header, std::string* reason) {
  if (tx.Txid() != txid) {
    *reason = "the server's transaction has txid " + tx.Txid().ToHex() + ", not the one asked for";
    return false;
  }
  if (!VerifyMerkleProof(tx.Wtxid(), path, header.tx_root)) {
    *reason = "the Merkle proof does not lead to the block's tx_root";
    return false;
  }
  return true;
}

bool VerifyWorkProof(const json& proof, const Uint256& record_hash, const BlockHeader& header,
                     std::string* reason) {
  WorkRecord record;
  MerkleProof path;
  if (!DecodeField(proof, "record", &record, reason) ||
      !DecodeField(proof, "proof", &path, reason)) {
    return false;
  }
  return VerifyRecordInclusion(record, path, record_hash, header, reason);
}

bool VerifyRecordInclusion(const WorkRecord& record, const MerkleProof& path,
                           const Uint256& record_hash, const BlockHeader& header,
                           std::string* reason) {
  if (record.Hash() != record_hash) {
    *reason =
        "the server's work record has hash " + record.Hash().ToHex() + ", not the one asked for";
    return false;
  }
  if (!VerifyMerkleProof(record_hash, path, header.work_root)) {
    *reason = "the Merkle proof does not lead to the block's work_root";
    return false;
  }
  return true;
}

bool VerifyProducerRegistered(const WorkerEntry& entry, const MerkleProof& path,
                              const BlockHeader& header, const BlockHeader& parent,
                              std::string* reason) {
  if (entry.key != header.producer) {
    *reason = "the registry entry is another key's, not the block's producer";
    return false;
  }
  if (!VerifyMerkleProof(RegistryLeaf(entry), path, parent.registry_root)) {
    *reason = "the Merkle proof does not lead to the parent's registry_root";
    return false;
  }
  return true;
}

bool VerifyRegistryProof(const json& proof, const BlockHeader& header, const BlockHeader& parent,
                         std::string* reason) {
  WorkerEntry entry;
  MerkleProof path;
  if (!DecodeField(proof, "entry", &entry, reason) || !DecodeField(proof, "proof", &path, reason))
    return false;
  return VerifyProducerRegistered(entry, path, header, parent, reason);
}

int LightMain(int argc, const char* const argv[]) {
  Config config;
  AddLightArgs(&config);
  Status s = config.ParseCommandLine(argc, argv);
  if (!s.ok()) {
    std::fprintf(stderr, "Error parsing command line arguments: %s\n", s.message().c_str());
    return EXIT_FAILURE;
  }
  if (HelpRequested(config)) {
    std::printf(
        "Computecoin light client version v%s\n\n"
        "Usage:  computecoin-light [options] syncheaders                          Follow the "
        "node's header chain\n"
        "or:     computecoin-light [options] verifytx <txid> <blockhash>          Check a "
        "transaction is in a block\n"
        "or:     computecoin-light [options] verifywork <recordhash> <blockhash>  Check a work "
        "record is in a block\n"
        "or:     computecoin-light [options] verifyreceipt <receiptproof> <txid> <blockhash>\n"
        "                                   Check a receipt was paid by settlement txid in a "
        "block\n"
        "or:     computecoin-light [options] verifyproducer <blockhash>           Check a "
        "block's producer was registered\n"
        "or:     computecoin-light [options] getbestheader                        Show the local "
        "header tip\n\n%s",
        FormatVersion().c_str(), config.HelpMessage().c_str());
    return EXIT_SUCCESS;
  }
  if (config.GetBoolArg("version", false)) {
    std::printf("Computecoin light client version v%s\n", FormatVersion().c_str());
    return EXIT_SUCCESS;
  }
  const std::vector<std::string>& args = config.positional();
  if (args.empty())
    return Fail(
        "too few parameters (need a command: syncheaders, verifytx, verifywork, verifyreceipt, "
        "verifyproducer, getbestheader)");

  const ChainParams* params = nullptr;
  std::filesystem::path network_dir;
  s = LoadConfiguration(&config, &params, &network_dir);
  if (!s.ok()) return Fail(s.message());

  const std::filesystem::path light_dir = network_dir / "light";
  std::error_code ec;
  std::filesystem::create_directories(light_dir, ec);
  if (ec) return Fail("cannot create " + light_dir.string() + ": " + ec.message());
  std::unique_ptr<DirectoryLock> lock;
  s = DirectoryLock::Acquire(light_dir, &lock);
  std::unique_ptr<HeaderChain> chain;
  if (s.ok())
    s = HeaderChain::Open(light_dir / "headers.dat", BuildGenesisBlock(*params).header, &chain);
  if (!s.ok()) return Fail(s.message());

  const std::string& command = args[0];
  if (command == "syncheaders") {
    if (args.size() != 1) return Fail("syncheaders takes no arguments");
    SyncSummary summary;
    json peers = json::array();
    if (!P2PPeers(config).empty()) {
      // Every peer in turn: the chain with the most accepted work stays,
      // whichever peer showed it. One that answered is enough; the others'
      // failures are reported beside the result.
      const std::vector<std::string> targets = P2PPeers(config);
      bool answered = false;
      std::string errors;
      for (const std::string& target : targets) {
        std::unique_ptr<LightPeer> peer;
        SyncSummary from_peer;
        Status p = LightPeer::Connect(*params, target, &peer);
        if (p.ok()) p = SyncHeadersP2P(*peer, *params, chain.get(), &from_peer);
        summary.downloaded += from_peer.downloaded;
        summary.disconnected += from_peer.disconnected;
        json entry = {{"peer", target}, {"downloaded", from_peer.downloaded}};
        if (!p.ok()) entry["error"] = p.message();
        peers.push_back(std::move(entry));
        answered = answered || p.ok();
        if (!p.ok())
          errors += (errors.empty() ? "" : "; ") +
                    (targets.size() == 1 ? p.message() : target + ": " + p.message());
      }
      s = answered ? Status::OK() : Status::IOError(errors);
    } else {
      rpc::RpcClientOptions options;
      s = ClientOptionsFromConfig(config, *params, network_dir, &options);
      if (!s.ok()) return Fail(s.message());
      rpc::RpcClient client(options);
      s = SyncHeaders(client, chain.get(), &summary);
    }
    if (!s.ok()) return Fail(s.message());
    if (chain->size() == 0) return Fail("the server returned no headers");
    json out = {{"height", chain->size() - 1},
                {"hash", chain->HashAt(chain->size() - 1).ToHex()},
                {"downloaded", summary.downloaded},
                {"disconnected", summary.disconnected}};
    if (!peers.empty()) out["peers"] = std::move(peers);
    std::printf("%s\n", out.dump(2).c_str());
    return EXIT_SUCCESS;
  }
  if (command == "verifytx" || command == "verifywork" || command == "verifyreceipt") {
    return VerifyCommand(config, *params, network_dir, *chain, args);
  }
  if (command == "verifyproducer") {
    if (args.size() != 2) return Fail("usage: verifyproducer <blockhash>");
    const std::optional<Uint256> block_hash = Uint256::FromHex(args[1]);
    if (!block_hash) return Fail("blockhash must be 64 hex digits");
    const BlockHeader* header = chain->Find(*block_hash);
    if (header == nullptr)
      return Invalid("block " + block_hash->ToHex() +
                     " is not in the local header chain (run syncheaders)");
    if (header->height == 0) return Invalid("the genesis block has no producer");
    const BlockHeader& parent = chain->at(header->height - 1);
    std::string reason;
    net::ProofMsg from_peer;
    json from_server;
    if (const std::optional<int> failed = AskProof(
            config, *params, network_dir, net::ProofKind::kRegistry, header->prev,
            Uint256(header->producer), "getregistryproof",
            json::array({HexStr(header->producer), header->prev.ToHex()}), &from_peer, &from_server))
      return *failed;
    const bool valid =
        !P2PPeers(config).empty()
            ? VerifyProducerRegistered(from_peer.entry, from_peer.proof, *header, parent, &reason)
            : VerifyRegistryProof(from_server, *header, parent, &reason);
    if (!valid) return Invalid(reason);
    std::printf("valid\n");
    return EXIT_SUCCESS;
  }
  if (command == "getbestheader") {
    if (chain->size() == 0) return Fail("no headers yet (run syncheaders)");
    const json out = {{"height", chain->size() - 1},
                      {"hash", chain->HashAt(chain->size() - 1).ToHex()}};
    std::printf("%s\n", out.dump(2).c_str());
    return EXIT_SUCCESS;
  }
  return Fail("unknown command '" + command + "' (see computecoin-light -help)");
}

}  // namespace cc
