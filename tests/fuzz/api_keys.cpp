// Fuzz target: the API key file (rpc/api_keys.h), <network dir>/apikeys.json,
// read at start after a crash, disk damage or a careless edit. The input is
// the whole file, written to a scratch directory and opened with
// ApiKeys::Open. Beyond "no crash":
//   - a refused file is Corruption (or the read's own error) naming the file;
//   - an accepted file's keys have labels of 1 to 64 printable bytes, unique,
//     and caps and spending within MoneyRange;
//   - a key created over an accepted file is written so that reopening gives
//     every old key unchanged plus the new one, which then authenticates,
//     and no other bearer token (the input itself) authenticates as it.
// The directory (fuzz.h ScratchDir) is removed at exit.

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "chain/amount.h"
#include "rpc/api_keys.h"
#include "tests/fuzz/fuzz.h"

namespace {

namespace fs = std::filesystem;

const fs::path& KeyFile() {
  static const cc::fuzz::ScratchDir dir("api-keys");
  static const fs::path file = dir.path() / "apikeys.json";
  return file;
}

bool SameKeys(const std::vector<cc::rpc::ApiKeyInfo>& a, const std::vector<cc::rpc::ApiKeyInfo>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].label != b[i].label || a[i].cap != b[i].cap || a[i].spent != b[i].spent) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fs::path& path = KeyFile();
  {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  std::unique_ptr<cc::rpc::ApiKeys> keys;
  const cc::Status s = cc::rpc::ApiKeys::Open(path, &keys);
  if (!s.ok()) {
    CC_FUZZ_CHECK(s.IsCorruption() && s.message().find(path.string()) != std::string::npos);
    return 0;
  }
  const std::vector<cc::rpc::ApiKeyInfo> before = keys->List();
  std::set<std::string> labels;
  for (const cc::rpc::ApiKeyInfo& info : before) {
    CC_FUZZ_CHECK(!info.label.empty() && info.label.size() <= 64);
    for (unsigned char c : info.label) CC_FUZZ_CHECK(std::isprint(c) != 0);
    CC_FUZZ_CHECK(labels.insert(info.label).second);
    CC_FUZZ_CHECK(cc::MoneyRange(info.cap) && cc::MoneyRange(info.spent));
    CC_FUZZ_CHECK(info.reserved == 0);
  }

  // A label no accepted file can hold: 64 characters and a 65th.
  const std::string label(64, 'z');
  std::string key;
  if (labels.count(label) != 0) {
    CC_FUZZ_CHECK(!keys->Create(label, cc::kCoin, &key).ok());
    return 0;
  }
  CC_FUZZ_CHECK(keys->Create(label, cc::kCoin, &key).ok());
  std::unique_ptr<cc::rpc::ApiKeys> reopened;
  CC_FUZZ_CHECK(cc::rpc::ApiKeys::Open(path, &reopened).ok());
  std::vector<cc::rpc::ApiKeyInfo> expected = before;
  expected.push_back({label, cc::kCoin, 0, 0});
  std::sort(expected.begin(), expected.end(),
            [](const cc::rpc::ApiKeyInfo& a, const cc::rpc::ApiKeyInfo& b) { return a.label < b.label; });
  CC_FUZZ_CHECK(SameKeys(reopened->List(), expected));
  std::string who;
  CC_FUZZ_CHECK(reopened->Authenticate("Bearer " + key, &who) && who == label);
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (input != "Bearer " + key && reopened->Authenticate(input, &who)) CC_FUZZ_CHECK(who != label);
  return 0;
}
