#include "tests/util/test_util.h"

#include <stdlib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>

namespace cc::test {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/cc-test-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) std::abort();
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

PrivateKey TestKey(uint8_t seed, uint8_t domain) {
  std::array<uint8_t, 32> bytes{};
  bytes[0] = domain;
  bytes[31] = seed;
  return *PrivateKey::FromBytes(bytes);
}

double RelativeL2(std::span<const float> a, std::span<const float> b) {
  double diff = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = static_cast<double>(a[i]) - b[i];
    diff += d * d;
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  const double norm = std::sqrt(std::max(na, nb));
  return norm == 0 ? 0 : std::sqrt(diff) / norm;
}

std::string TestComputeDevice() {
  const char* device = std::getenv("CC_TEST_DEVICE");
  return device != nullptr && *device != '\0' ? device : "cpu";
}

}  // namespace cc::test
