// Shared helpers for the fuzz targets in this folder.
//
// A target is one .cpp defining LLVMFuzzerTestOneInput (declared below). It
// must accept any byte string without crashing, and reports a broken
// property with CC_FUZZ_CHECK, which aborts in every build type (assert()
// is compiled out under NDEBUG). The same source links either with libFuzzer
// (-DFUZZ=ON, clang) or with driver.cpp (the normal build, run by CTest);
// see doc/testing.md.
//
// Thread safety: targets run on one thread; the helpers keep no state.

#ifndef COMPUTECOIN_TESTS_FUZZ_FUZZ_H
#define COMPUTECOIN_TESTS_FUZZ_FUZZ_H

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "chain/serialize.h"

/// The entry point every target defines: runs one input, returns 0.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

/// Aborts with the failed condition and its place if `cond` is false.
#define CC_FUZZ_CHECK(cond)                                   \
  do {                                                        \
    if (!(cond)) ::cc::fuzz::Fail(#cond, __FILE__, __LINE__); \
  } while (false)

namespace cc::fuzz {

[[noreturn]] inline void Fail(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", file, line, what);
  std::abort();
}

/// Decodes a T from `bytes` with Deserialize(). If that succeeds, checks the
/// canonical-form promise of serialize.h: encoding the value again gives
/// exactly `bytes`, and decoding that gives an equal value.
/// Returns: true with *out set if `bytes` decoded; false otherwise.
/// REQUIRES: out is not null.
template <typename T>
bool DecodeCanonical(ByteSpan bytes, T* out) {
  if (!Deserialize(bytes, out).ok()) return false;
  const std::vector<uint8_t> again = Serialize(*out);
  CC_FUZZ_CHECK(std::ranges::equal(again, bytes));
  T twice;
  CC_FUZZ_CHECK(Deserialize(again, &twice).ok());
  CC_FUZZ_CHECK(Serialize(twice) == again);
  return true;
}

}  // namespace cc::fuzz

#endif  // COMPUTECOIN_TESTS_FUZZ_FUZZ_H
