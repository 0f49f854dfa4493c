#include "consensus/chainparams.h"

namespace cc {
namespace {

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

std::vector<std::string> NetworkNames() { return {"main", "test", "devnet", "regtest"}; }

}  // namespace cc
