#include "tests/util/chain_harness.h"

#include <gtest/gtest.h>

#include <utility>

namespace cc::test {

TestChain::TestChain(std::filesystem::path path, ChainManagerOptions manager_options,
                     const ChainParams& chain_params)
    : dir(std::move(path)), params(chain_params), options(std::move(manager_options)) {
  options.sync = false;
  Open();
}

TestChain::~TestChain() { Close(); }

void TestChain::Open() {
  std::filesystem::create_directories(dir);
  BlockStoreOptions store_options;
  store_options.sync = false;
  Status s = ChainState::Open((dir / "chainstate").string(), store_options, &chain);
  ASSERT_TRUE(s.ok()) << s.ToString();
  s = ChainManager::Open(params, chain.get(), dir, options, &manager);
  ASSERT_TRUE(s.ok()) << s.ToString();
}

void TestChain::Close() {
  manager.reset();
  chain.reset();
}

void TestChain::Reopen() {
  Close();
  Open();
}

std::vector<uint8_t> TestChain::Utxo() const {
  std::vector<uint8_t> out;
  EXPECT_TRUE(chain->utxo().SerializeCoins(&out).ok());
  return out;
}

}  // namespace cc::test
