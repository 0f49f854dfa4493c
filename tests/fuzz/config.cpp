// Fuzz target: the configuration parser (node/common/config.h), which reads
// computecoin.conf and the command line of every program. Input layout: the
// first byte's low bit chooses whether unknown file options are skipped (the
// clients) or refused (the node); the rest up to the first NUL is the
// configuration file's text; each NUL-separated piece after it is one
// command-line argument. The options are the cli's (node/common/args.h)
// plus one of each kind the cli lacks (kMulti, kNetworkOnly). Beyond
// "no crash":
//   - a negated option has no value, and no values if it is kMulti;
//   - a value is set only if IsSet;
//   - an integer option's value, once accepted, is a whole int64 (GetIntArg
//     never falls back for it);
//   - a bool option's GetBoolArg agrees with its value, whatever the fallback;
//   - SelectNetwork either fails or names one of the four networks.

#include <charconv>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "node/common/args.h"
#include "node/common/config.h"
#include "tests/fuzz/fuzz.h"

namespace {

struct Option {
  const char* name;
  cc::Config::Type type;
};

// Every option registered below, with its type.
constexpr Option kOptions[] = {
    {"conf", cc::Config::kString},        {"datadir", cc::Config::kString},
    {"chain", cc::Config::kString},       {"regtest", cc::Config::kBool},
    {"testnet", cc::Config::kBool},       {"devnet", cc::Config::kBool},
    {"help", cc::Config::kBool},          {"rpcport", cc::Config::kInt},
    {"rpcconnect", cc::Config::kString},  {"rpcuser", cc::Config::kString},
    {"rpcpassword", cc::Config::kString}, {"rpcclienttimeout", cc::Config::kInt},
    {"rpcwait", cc::Config::kBool},       {"rpcwaittimeout", cc::Config::kInt},
    {"named", cc::Config::kBool},         {"rpcwallet", cc::Config::kString},
    {"fuzzmulti", cc::Config::kString},   {"fuzzport", cc::Config::kInt},
};

void CheckOption(const cc::Config& config, const Option& option) {
  const std::string name = option.name;
  const std::optional<std::string> value = config.Get(name);
  if (value) CC_FUZZ_CHECK(config.IsSet(name));
  if (config.IsNegated(name)) {
    CC_FUZZ_CHECK(!value);
    CC_FUZZ_CHECK(config.GetArgs(name).empty());
  }
  switch (option.type) {
    case cc::Config::kInt:
      if (value) {
        int64_t number = 0;
        const auto [end, ec] =
            std::from_chars(value->data(), value->data() + value->size(), number);
        CC_FUZZ_CHECK(ec == std::errc() && end == value->data() + value->size());
        CC_FUZZ_CHECK(config.GetIntArg(name, 1) == number && config.GetIntArg(name, 2) == number);
      }
      break;
    case cc::Config::kBool:
      if (value) {
        CC_FUZZ_CHECK(*value == "0" || *value == "1");
        CC_FUZZ_CHECK(config.GetBoolArg(name, false) == (*value == "1"));
        CC_FUZZ_CHECK(config.GetBoolArg(name, true) == (*value == "1"));
      } else if (config.IsNegated(name)) {
        CC_FUZZ_CHECK(!config.GetBoolArg(name, true));
      }
      break;
    case cc::Config::kString:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool ignore_unknown = (data[0] & 1) != 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t nul = rest.find('\0');
  const std::string file(rest.substr(0, nul));
  std::vector<std::string> args = {"fuzz"};
  if (nul != std::string_view::npos) {
    std::string_view tail = rest.substr(nul + 1);
    while (true) {
      const size_t next = tail.find('\0');
      args.emplace_back(tail.substr(0, next));
      if (next == std::string_view::npos) break;
      tail = tail.substr(next + 1);
    }
  }
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());

  cc::Config config;
  cc::AddCliOwnArgs(&config);
  config.AddArg("-fuzzmulti=<x>", "a list", cc::Config::kString, cc::Config::kMulti, "Fuzz");
  config.AddArg("-fuzzport=<port>", "a port", cc::Config::kInt, cc::Config::kNetworkOnly, "Fuzz");
  if (ignore_unknown) config.IgnoreUnknownFileOptions();

  if (!config.ParseCommandLine(static_cast<int>(argv.size()), argv.data()).ok()) return 0;
  std::istringstream in(file);
  if (!config.ReadConfigStream(in, "fuzz.conf").ok()) return 0;
  const cc::ChainParams* params = nullptr;
  if (config.SelectNetwork(&params).ok()) CC_FUZZ_CHECK(params != nullptr);
  for (const Option& option : kOptions) CheckOption(config, option);
  if (!config.GetArgs("fuzzmulti").empty()) CC_FUZZ_CHECK(config.IsSet("fuzzmulti"));
  return 0;
}
