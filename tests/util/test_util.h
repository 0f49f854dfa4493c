// Helpers shared by every test suite (tests/CMakeLists.txt links them into
// each): a temporary directory per test, deterministic keys, a UTXO view
// held in a map, and the tolerance measure the fidelity tests state their
// bounds in.
//
// Thread safety: TempDir and MapCoins are one test's; the free functions are
// pure.

#ifndef COMPUTECOIN_TESTS_UTIL_TEST_UTIL_H
#define COMPUTECOIN_TESTS_UTIL_TEST_UTIL_H

#include <cstdint>
#include <map>
#include <span>
#include <string>

#include "chain/coins.h"
#include "chain/key.h"
#include "chain/status.h"
#include "chain/transaction.h"

namespace cc::test {

/// A fresh, uniquely named directory under $TMPDIR (or /tmp), removed with
/// its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  /// A path inside the directory.
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// A valid private key determined by (domain, seed): the same pair gives
/// the same key in every run, different pairs different keys.
PrivateKey TestKey(uint8_t seed, uint8_t domain = 0x42);

/// ‖a − b‖₂ / max(‖a‖₂, ‖b‖₂), accumulated in double; 0 when both are zero.
/// The measure the engine's tolerance ε is stated in (compute/engine.h).
/// REQUIRES: a.size() == b.size().
double RelativeL2(std::span<const float> a, std::span<const float> b);

/// The device the compute tests run their engines under test on (a worker's
/// engine; verifiers stay on the CPU): $CC_TEST_DEVICE, or "cpu" when unset.
/// contrib/gpu-check.sh sets it to "cuda" to run the fidelity and
/// verification tests on a GPU.
std::string TestComputeDevice();

/// Coins held in a map: the UTXO set a transaction is checked against.
class MapCoins final : public CoinsView {
 public:
  Status GetCoin(const OutPoint& outpoint, Coin* coin) const override {
    const auto it = coins_.find(outpoint);
    if (it == coins_.end()) return Status::NotFound("no coin");
    *coin = it->second;
    return Status::OK();
  }
  /// Adds `out` at `outpoint`, created at `height`.
  void Add(const OutPoint& outpoint, const TxOut& out, uint32_t height = 10,
           bool coinbase = false) {
    coins_[outpoint] = Coin{out, height, coinbase};
  }

 private:
  std::map<OutPoint, Coin> coins_;
};

}  // namespace cc::test

#endif  // COMPUTECOIN_TESTS_UTIL_TEST_UTIL_H
