#include "consensus/chainparams.h"

#include <cstdlib>

namespace cc {
namespace {

// The consensus half of a network's parameters. The model is a preset and
// the data 3-digit addition, which the presets' context (16) holds.
// compute::Engine::StateRoot of a fresh engine for each preset (golden;
// consensus_test recomputes them).
constexpr std::string_view kDevnetStateRoot =
    "d0dd46f6f9219b332b9137c155322a6f20e12be49eaadd36b816841cc0f2d66a";
constexpr std::string_view kTinyStateRoot =
    "4c5e09a8ab24f99e4bf39bab2acaac07e44a4b74b9c35a8c2d52cffb957e21a9";

void SetTraining(ChainParams* p, std::string_view preset, Amount bond, int64_t unit_timeout,
                 int64_t slot_timeout, uint64_t retention_steps, std::string_view state_root_hex) {
  // The presets named below exist; a typo here is a build-time bug.
  if (!compute::PresetConfig(preset, &p->model).ok()) std::abort();
  p->dataset.kind = compute::DatasetKind::kAddition;
  p->dataset.digits = 3;
  p->worker_bond = bond;
  p->unit_timeout = unit_timeout;
  p->slot_timeout = slot_timeout;
  // Seconds, not Bitcoin's two hours: block time picks the producer's slot
  // and every unit's attempt, so the slack a producer may claim ahead of the
  // clock is slack to grind. NTP keeps honest clocks within a second; 15 s
  // covers skew and propagation, and a producer who claims the next slot
  // early still leaves the current holder most of its slot_timeout.
  p->max_future_time = 15;
  if (p->max_future_time >= slot_timeout) std::abort();
  // A bond that starts leaving stays slashable this many blocks: ten times a
  // coinbase reward's maturity (a cheat cannot take its bond out sooner than
  // an honest worker takes its pay), and as long as the 256 training steps
  // whose tensors nodes keep (the bound on checking evidence of wrong work)
  // whenever training runs at 0.256 steps per block or faster; the reasoning
  // is doc/consensus.md §2.1. Regtest's is short so that tests can wait it out.
  p->unbonding_delay = p->network == Network::kRegtest ? 10 : 1000;
  // A record stays checkable (retention) no longer than its worker's bond
  // stays slashable whenever training runs at retention / unbonding_delay
  // steps per block or faster (doc/consensus.md §2.1).
  p->tensor_retention_steps = retention_steps;
  p->genesis_state_root = *Uint256::FromHex(state_root_hex);
}

ChainParams MakeMain() {
  ChainParams p;
  p.network = Network::kMain;
  p.name = "main";
  p.magic = {0xc3, 0x0c, 0x7a, 0xe1};
  p.p2p_port = 9333;
  p.rpc_port = 9332;
  p.bech32_hrp = "cc";
  p.data_subdir = "";
  p.genesis_time = 1767225600;  // 2026-01-01T00:00:00Z
  p.genesis_message =
      "Computecoin main 2026-01-01: Towards the Decentralized and Collaborative Training and "
      "Inference of Large Models";
  SetTraining(&p, "devnet", 10 * kCoin, 120, 60, 256, kDevnetStateRoot);
  return p;
}

ChainParams MakeTest() {
  ChainParams p;
  p.network = Network::kTest;
  p.name = "test";
  p.magic = {0xc3, 0x0c, 0x7e, 0x57};
  p.p2p_port = 19333;
  p.rpc_port = 19332;
  p.bech32_hrp = "tc";
  p.data_subdir = "testnet";
  p.genesis_time = 1767225601;
  p.genesis_message = "Computecoin testnet 2026-01-01";
  SetTraining(&p, "devnet", kCoin, 120, 60, 256, kDevnetStateRoot);
  return p;
}

ChainParams MakeDevnet() {
  ChainParams p;
  p.network = Network::kDevnet;
  p.name = "devnet";
  p.magic = {0xc3, 0x0c, 0xde, 0x7e};
  p.p2p_port = 29333;
  p.rpc_port = 29332;
  p.bech32_hrp = "dc";
  p.data_subdir = "devnet";
  p.genesis_time = 1767225602;
  p.genesis_message = "Computecoin devnet: a small model that trains on one laptop";
  // Four nodes on one machine within 4 GB of disk: each keeps ~36 MB of
  // outputs a step (doc/benchmarks.md), so 16 steps, ~1.5 minutes of
  // devnet training, in which its verifier (-verify=all) checks every record.
  SetTraining(&p, "devnet", 0, 60, 30, 16, kDevnetStateRoot);
  return p;
}

ChainParams MakeRegtest() {
  ChainParams p;
  p.network = Network::kRegtest;
  p.name = "regtest";
  p.magic = {0xc3, 0x0c, 0xfa, 0xbf};
  p.p2p_port = 39444;
  p.rpc_port = 39443;
  p.bech32_hrp = "rcc";
  p.data_subdir = "regtest";
  p.genesis_time = 1767225603;
  p.genesis_message = "Computecoin regtest";
  p.blocks_on_demand = true;
  SetTraining(&p, "tiny", 0, 60, 30, 256, kTinyStateRoot);
  return p;
}

}  // namespace

const ChainParams& MainParams() {
  static const ChainParams params = MakeMain();
  return params;
}

const ChainParams& TestParams() {
  static const ChainParams params = MakeTest();
  return params;
}

const ChainParams& DevnetParams() {
  static const ChainParams params = MakeDevnet();
  return params;
}

const ChainParams& RegtestParams() {
  static const ChainParams params = MakeRegtest();
  return params;
}

const ChainParams& ParamsFor(Network network) {
  switch (network) {
    case Network::kMain:
      return MainParams();
    case Network::kTest:
      return TestParams();
    case Network::kDevnet:
      return DevnetParams();
    case Network::kRegtest:
      return RegtestParams();
  }
  return MainParams();
}

Status ParamsForName(std::string_view name, const ChainParams** out) {
  for (Network network : {Network::kMain, Network::kTest, Network::kDevnet, Network::kRegtest}) {
    const ChainParams& params = ParamsFor(network);
    if (params.name == name) {
      *out = &params;
      return Status::OK();
    }
  }
  return Status::NotFound("unknown chain '" + std::string(name) + "'");
}

Status TrainingDataset(const ChainParams& params, compute::Dataset* out) {
  if (params.dataset.kind != compute::DatasetKind::kAddition)
    return Status::InvalidArgument("network " + params.name + " trains on text from peers");
  return compute::Dataset::Addition(params.dataset.digits, out);
}

std::vector<std::string> NetworkNames() { return {"main", "test", "devnet", "regtest"}; }

}  // namespace cc
