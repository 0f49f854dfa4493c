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
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <unistd.h>

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

/// A directory for a target's files, $TMPDIR/cc-fuzz-<name>-<pid> (or under
/// /tmp), emptied and created when made and removed when destroyed. Keep one
/// in a function-local static: it lives as long as the process.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name) {
    const char* tmp = std::getenv("TMPDIR");
    path_ = std::filesystem::path(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") /
            ("cc-fuzz-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace cc::fuzz

#endif  // COMPUTECOIN_TESTS_FUZZ_FUZZ_H
