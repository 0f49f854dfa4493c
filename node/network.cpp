#include "node/network.h"

#include <string>

#include "chain/logging.h"
#include "compute/model_config.h"
#include "compute/torch/torch_engine.h"
#include "node/common/args.h"
#include "node/common/version.h"
#include "node/context.h"
#include "node/inference.h"
#include "node/wallets.h"

namespace cc {
namespace {

constexpr const char* kConnection = "Connection options";

/// Bitcoin Core's default -maxconnections.
constexpr int64_t kDefaultMaxConnections = 125;

/// "tiny, devnet or gpt2-small": compute's presets, for help and errors.
std::string PresetList() {
  const std::vector<std::string_view> names = compute::PresetNames();
  std::string list;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) list += i + 1 == names.size() ? " or " : ", ";
    list += names[i];
  }
  return list;
}

}  // namespace

void AddNetworkArgs(Config* c) {
  c->AddArg("-listen", "Accept connections from outside (default: 1 unless -connect is given)",
            Config::kBool, Config::kNone, kConnection);
  c->AddArg("-port=<port>",
            "Listen for P2P connections on <port> (default: 9333, testnet: 19333, devnet: 29333, "
            "regtest: 39444)",
            Config::kInt, Config::kNetworkOnly, kConnection);
  c->AddArg("-bind=<addr>", "Bind to the given numeric address for P2P (default: 0.0.0.0)",
            Config::kString, Config::kNetworkOnly, kConnection);
  c->AddArg("-connect=<host:port>",
            "Connect only to the given node(s); may be given more than once. -noconnect: no "
            "automatic connections",
            Config::kString, Config::kMulti | Config::kNetworkOnly, kConnection);
  c->AddArg("-addnode=<host:port>",
            "Add a node to connect to and keep the connection open; may be given more than once",
            Config::kString, Config::kMulti | Config::kNetworkOnly, kConnection);
  c->AddArg("-seednode=<host:port>",
            "Connect to a node once to learn addresses, then disconnect; may be given more than "
            "once",
            Config::kString, Config::kMulti | Config::kNetworkOnly, kConnection);
  c->AddArg("-maxconnections=<n>",
            "Maintain at most <n> automatic connections to peers (default: " +
                std::to_string(kDefaultMaxConnections) + ")",
            Config::kInt, Config::kNone, kConnection);
  c->AddArg("-maxuploadtarget=<n>",
            "Tries to keep outbound traffic under the given target, in MiB per 24h: past it, "
            "blocks older than a week are served to -connect/-addnode peers only (default: 0, "
            "no limit)",
            Config::kInt, Config::kNone, kConnection);
  c->AddArg("-historicalblockage=<n>",
            "(testing) Seconds after which a block counts as historical for -maxuploadtarget "
            "(default: " + std::to_string(net::kHistoricalBlockAge.count()) + ")",
            Config::kInt, Config::kNone, kConnection);
  c->AddArg("-checkpoint=<height>:<blockid>",
            "(testing, regtest only) Treat the block as a checkpoint (doc/consensus.md); may be "
            "given more than once",
            Config::kString, Config::kMulti, kConnection);
  c->AddArg("-unittimeout=<n>",
            "(testing, regtest only) Seconds after which a unit not yet computed is assigned to "
            "the next worker (default: the network's, 60 on regtest)",
            Config::kInt, Config::kNone, kConnection);
  c->AddArg("-slottimeout=<n>",
            "(testing, regtest only) Seconds after which a silent producer's slot passes to the "
            "next (default: the network's, 30 on regtest)",
            Config::kInt, Config::kNone, kConnection);
  c->AddArg("-tensorretention=<n>",
            "(testing, regtest only) Training steps whose tensors are kept (default: the "
            "network's, 256 on regtest)",
            Config::kInt, Config::kNone, kConnection);
  c->AddArg("-streamcodec=<codec>",
            "(testing, regtest and devnet only) Commit activations and their gradients as fp32, "
            "bf16 or int8 (rows): the model's stream codec (doc/compute.md). Another codec is "
            "another network: its model hash and genesis block differ, so every node of it "
            "needs the same value (default: fp32)",
            Config::kString, Config::kNone, kConnection);
  c->AddArg("-model=<preset>",
            "(testing, regtest only) Run the chain on the named model preset (" +
                PresetList() +
                "; doc/compute.md) instead of the network's: its genesis block differs, so every "
                "node of it needs the same value (default: tiny)",
            Config::kString, Config::kNone, kConnection);
  c->AddArg("-bantime=<n>",
            "Default duration in seconds of manual bans (default: " +
                std::to_string(net::BanMan::kDefaultBanTime.count()) + ")",
            Config::kInt, Config::kNone, kConnection);
}

Status ApplyTestChainParams(const Config& config, NodeContext* node) {
  const std::vector<std::string> values = config.GetArgs("checkpoint");
  const bool unit_timeout = config.IsSet("unittimeout");
  const bool slot_timeout = config.IsSet("slottimeout");
  const bool retention = config.IsSet("tensorretention");
  const bool stream_codec = config.IsSet("streamcodec");
  const bool model = config.IsSet("model");
  if (values.empty() && !unit_timeout && !slot_timeout && !retention && !stream_codec && !model)
    return Status::OK();
  const Network network = node->params->network;
  if (stream_codec && network != Network::kRegtest && network != Network::kDevnet)
    return Status::InvalidArgument("-streamcodec is for regtest and devnet only");
  if ((!values.empty() || unit_timeout || slot_timeout || retention || model) &&
      network != Network::kRegtest) {
    return Status::InvalidArgument(
        "-checkpoint, -unittimeout, -slottimeout, -tensorretention and -model are for regtest "
        "only");
  }
  auto params = std::make_unique<ChainParams>(*node->params);
  if (model) {
    const std::string name = config.GetArg("model", "tiny");
    if (!compute::PresetConfig(name, &params->model).ok())
      return Status::InvalidArgument("Unknown -model=" + name + " (" + PresetList() + ")");
    // Genesis commits to the model's initial state (doc/consensus.md §1.1).
    std::unique_ptr<compute::Engine> engine;
    Status s = compute::MakeTorchEngine(params->model, compute::EngineOptions{}, &engine);
    if (!s.ok()) return s;
    params->genesis_state_root = engine->StateRoot();
  }
  if (stream_codec) {
    const std::string codec = config.GetArg("streamcodec", "fp32");
    if (codec == "bf16") {
      params->model.stream_codec = compute::Codec::kBFloat16;
    } else if (codec == "int8") {
      params->model.stream_codec = compute::Codec::kInt8Rows;
    } else if (codec != "fp32") {
      return Status::InvalidArgument("-streamcodec must be fp32, bf16 or int8");
    }
  }
  for (const std::string& value : values) {
    const size_t colon = value.find(':');
    const std::optional<Uint256> hash =
        colon == std::string::npos ? std::nullopt : Uint256::FromHex(value.substr(colon + 1));
    uint32_t height = 0;
    bool digits = colon != std::string::npos && colon > 0 && colon <= 9;
    for (size_t i = 0; digits && i < colon; ++i) {
      digits = value[i] >= '0' && value[i] <= '9';
      height = height * 10 + static_cast<uint32_t>(value[i] - '0');
    }
    if (!digits || !hash)
      return Status::InvalidArgument("Invalid -checkpoint=" + value + " (<height>:<blockid>)");
    params->checkpoints[height] = *hash;
  }
  if (unit_timeout) {
    const int64_t seconds = config.GetIntArg("unittimeout", params->unit_timeout);
    if (seconds < 1 || seconds > 86'400)
      return Status::InvalidArgument("-unittimeout must be in [1, 86400] seconds");
    params->unit_timeout = seconds;
  }
  if (slot_timeout) {
    const int64_t seconds = config.GetIntArg("slottimeout", params->slot_timeout);
    if (seconds < 1 || seconds > 86'400)
      return Status::InvalidArgument("-slottimeout must be in [1, 86400] seconds");
    params->slot_timeout = seconds;
  }
  if (retention) {
    const int64_t steps = config.GetIntArg("tensorretention", 0);
    if (steps < 2 || steps > 1'000'000)
      return Status::InvalidArgument("-tensorretention must be in [2, 1000000] steps");
    params->tensor_retention_steps = static_cast<uint64_t>(steps);
  }
  node->params = params.get();
  node->test_params = std::move(params);
  return Status::OK();
}

Status StartNetwork(const Config& config, NodeContext* node) {
  const ChainParams& params = *node->params;
  net::ConnManOptions options;
  std::copy(params.magic.begin(), params.magic.end(), options.magic.begin());
  options.default_port = params.p2p_port;
  const int64_t port = config.GetIntArg("port", params.p2p_port);
  if (port < 0 || port > 65535)
    return Status::InvalidArgument("Invalid -port=" + std::to_string(port));
  options.port = static_cast<uint16_t>(port);
  options.connect = config.GetArgs("connect");
  if (config.IsNegated("connect")) options.connect.clear();
  const bool manual_only = !options.connect.empty() || config.IsNegated("connect");
  options.listen = config.GetBoolArg("listen", !manual_only);
  if (config.IsSet("bind")) options.bind_address = config.GetArg("bind", "0.0.0.0");
  options.addnode = config.GetArgs("addnode");
  const int64_t max_connections = config.GetIntArg("maxconnections", kDefaultMaxConnections);
  if (max_connections < 0) return Status::InvalidArgument("-maxconnections must be >= 0");
  options.target_outbound =
      manual_only ? 0 : std::min<size_t>(net::kDefaultTargetOutbound, max_connections);
  options.max_inbound = static_cast<size_t>(max_connections) > options.target_outbound
                            ? static_cast<size_t>(max_connections) - options.target_outbound
                            : 0;
  options.log = [](std::string_view line) { LogPrintf(std::string(line)); };
  const int64_t upload_mib = config.GetIntArg("maxuploadtarget", 0);
  if (upload_mib < 0 || upload_mib > (int64_t{1} << 40))
    return Status::InvalidArgument("-maxuploadtarget must be between 0 and 2^40 MiB");
  options.max_upload_target = static_cast<uint64_t>(upload_mib) << 20;
  const int64_t historical_age =
      config.GetIntArg("historicalblockage", net::kHistoricalBlockAge.count());
  if (historical_age < 0) return Status::InvalidArgument("-historicalblockage must be >= 0");
  const int64_t ban_time = config.GetIntArg("bantime", node->default_ban_time.count());
  if (ban_time <= 0) return Status::InvalidArgument("-bantime must be positive");
  node->default_ban_time = std::chrono::seconds(ban_time);

  node->addrman = std::make_unique<net::AddrMan>(node->datadir);
  Status s = node->addrman->Load();
  if (!s.ok() && !s.IsNotFound()) LogPrintf("peers.dat: " + s.ToString() + "; starting empty");
  node->banman = std::make_unique<net::BanMan>(node->datadir);
  if (!node->banman->load_status().ok())
    LogPrintf("banlist.dat: " + node->banman->load_status().ToString());
  options.addrman = node->addrman.get();
  options.banman = node->banman.get();

  net::PeerManager::Options peer_options;
  peer_options.user_agent = UserAgent();
  peer_options.services = LocalServices(*node);
  peer_options.log = [](const std::string& line) { LogPrintf(line); };
  peer_options.historical_block_age = std::chrono::seconds(historical_age);
  peer_options.tx_added_to_mempool = [node](const Transaction& tx) {
    if (node->wallets) node->wallets->TransactionAddedToMempool(tx);
  };
  node->peerman = std::make_unique<net::PeerManager>(
      params, node->chain.get(), node->chainman.get(), node->mempool.get(), node->banman.get(),
      node->addrman.get(), std::move(peer_options), node->work_pool.get());
  node->connman = std::make_unique<net::ConnMan>(std::move(options), node->peerman.get());
  node->peerman->SetConnMan(node->connman.get());
  node->chainman->AddListener(node->peerman.get());
  ServeOptions serve;
  s = ServeOptionsFromConfig(config, params.model.sections, params.network == Network::kRegtest,
                             &serve);
  if (!s.ok()) return s;
  node->inference =
      std::make_unique<InferenceService>(node, node->chainman.get(), node->peerman.get(),
                                         node->connman.get(), params.model, serve);
  node->peerman->SetInferenceHandler(node->inference.get());
  node->chainman->AddListener(node->inference.get());
  s = node->inference->Start();
  if (!s.ok())
    return Status::InvalidArgument("Cannot serve -serve=" + std::to_string(serve.begin) + ":" +
                                   std::to_string(serve.end) + ": " + s.message());
  s = node->connman->Start();
  if (!s.ok()) return Status::IOError("Unable to start the P2P network: " + s.message());
  if (node->connman->GetListenPort() != 0)
    LogPrintf("P2P listening on port " + std::to_string(node->connman->GetListenPort()));
  for (const std::string& seed : config.GetArgs("seednode")) (void)node->connman->ConnectTo(seed);
  return Status::OK();
}

uint64_t LocalServices(const NodeContext& node) {
  uint64_t services = net::kNodeNetwork;
  if (!node.workers.empty()) services |= net::kNodeWorker;
  return services;
}

void StopNetwork(NodeContext* node) {
  if (node->connman) node->connman->Stop();
  if (node->inference) node->inference->Stop();  // its thread sends through connman
  if (node->chainman && node->peerman) node->chainman->RemoveListener(node->peerman.get());
  if (node->chainman && node->inference) node->chainman->RemoveListener(node->inference.get());
  if (node->addrman) {
    const Status s = node->addrman->Save();
    if (!s.ok()) LogPrintf("peers.dat: " + s.ToString());
  }
  node->connman.reset();
  node->inference.reset();  // peerman's handler: reset before it
  node->peerman.reset();
  node->banman.reset();
  node->addrman.reset();
}

}  // namespace cc
