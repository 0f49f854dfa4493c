// bench_light: what computecoin-light's header store costs per 100,000
// headers — bytes on disk (headers.dat) and resident memory (the headers,
// their hashes and the hash index) — with a chain of linked regtest headers.
// Usage: bench_light [count] [path]   (defaults: 100000, $TMPDIR/bench_light_headers.dat)

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "consensus/chainparams.h"
#include "consensus/genesis.h"
#include "node/client/header_chain.h"

namespace {

long ResidentKiB() {
  std::ifstream status("/proc/self/status");
  std::string key;
  long value = 0;
  while (status >> key) {
    if (key == "VmRSS:") {
      status >> value;
      return value;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const uint32_t count =
      argc > 1 ? static_cast<uint32_t>(std::strtoul(argv[1], nullptr, 10)) : 100000;
  const char* tmp = std::getenv("TMPDIR");
  const std::filesystem::path path =
      argc > 2 ? std::filesystem::path(argv[2])
               : std::filesystem::path(tmp != nullptr ? tmp : "/tmp") / "bench_light_headers.dat";
  std::filesystem::remove(path);
  const cc::BlockHeader genesis = cc::BuildGenesisBlock(cc::RegtestParams()).header;
  std::unique_ptr<cc::HeaderChain> chain;
  if (!cc::HeaderChain::Open(path, genesis, &chain).ok()) return 1;
  const long before = ResidentKiB();
  std::vector<cc::BlockHeader> batch{genesis};
  cc::BlockHeader prev = genesis;
  for (uint32_t h = 1; h <= count; ++h) {
    cc::BlockHeader next = prev;
    next.prev = prev.Hash();
    next.height = h;
    next.time = prev.time + 1;
    batch.push_back(next);
    prev = next;
    if (batch.size() == 2000 || h == count) {
      if (!chain->Append(batch).ok()) return 2;
      batch.clear();
    }
  }
  const long after = ResidentKiB();
  const double per = 100000.0 / count;
  std::printf("%zu headers: %.1f MB on disk, %.1f MiB resident (per 100,000: %.1f MB, %.1f MiB)\n",
              chain->size(), std::filesystem::file_size(path) / 1e6, (after - before) / 1024.0,
              std::filesystem::file_size(path) / 1e6 * per, (after - before) / 1024.0 * per);
  std::filesystem::remove(path);
  return 0;
}
