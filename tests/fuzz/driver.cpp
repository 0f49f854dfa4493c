// The main() of fuzz targets in the normal build (without libFuzzer): replays
// a corpus, then runs deterministic pseudo-random mutations of it for a
// bounded time, so every CTest run re-checks the seeds and a few thousand
// neighbours of them. libFuzzer (-DFUZZ=ON) explores far better guided by
// coverage; this driver is the regression net. See doc/testing.md.
//
// Usage: fuzz_<name> [--seconds=S] [--max-runs=N] [--seed=K] PATH...
//   PATH       a corpus file, or a directory whose regular files are inputs
//              (sorted by name, so the order is the same everywhere)
//   --seconds  mutation time after the replay (default 3; 0 replays only)
//   --max-runs stop after this many mutants even if time remains
//   --seed     PRNG seed (default 1): mutant k of a seed is the same on every
//              machine, so --seed=K --max-runs=k reproduces a failure
//
// Mutations, 1 to 4 per mutant, each applied to a copy of a corpus input:
// flip a bit, set a byte (at random or to a boundary value such as 0xfd),
// truncate, insert random bytes, erase a range, duplicate a range, splice in
// part of another corpus input. Mutants are at most kMaxInputSize bytes.
//
// A target signals a failure by aborting or crashing; the driver then writes
// the input that did it to ./fuzz-crash-input (in CTest's working directory,
// build/tests/fuzz) and dies of the same signal. Exit status 2: bad
// arguments or an empty corpus.

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tests/fuzz/fuzz.h"

namespace {

using Input = std::vector<uint8_t>;

/// Largest mutant: larger than every seed, small enough to stay fast.
constexpr size_t kMaxInputSize = 64 * 1024;
/// Most mutations stacked on one mutant.
constexpr int kMaxMutations = 4;
/// Byte values at encoding boundaries (CompactSize prefixes, bool, signs).
constexpr uint8_t kBoundaryBytes[] = {0x00, 0x01, 0x02, 0x7f, 0x80, 0xfc, 0xfd, 0xfe, 0xff};
constexpr char kCrashFile[] = "fuzz-crash-input";

// The input being run, for the signal handler. Set before each run.
const uint8_t* g_current_data = nullptr;
size_t g_current_size = 0;

/// Writes the current input to kCrashFile and re-raises the signal.
/// Uses only async-signal-safe calls.
void OnFatalSignal(int sig) {
  const int fd = open(kCrashFile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    for (size_t done = 0; done < g_current_size;) {
      const ssize_t n = write(fd, g_current_data + done, g_current_size - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    close(fd);
    constexpr char kMsg[] = "fuzz driver: failing input written to ./fuzz-crash-input\n";
    (void)!write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

void RunOne(const Input& input) {
  g_current_data = input.data();
  g_current_size = input.size();
  LLVMFuzzerTestOneInput(input.data(), input.size());
}

/// Reads every input named by `paths` into *corpus. Returns false (having
/// printed why) if a path cannot be read.
bool LoadCorpus(const std::vector<std::string>& paths, std::vector<Input>* corpus) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<fs::path> in_dir;
      for (const fs::directory_entry& entry : fs::directory_iterator(path, ec)) {
        if (entry.is_regular_file()) in_dir.push_back(entry.path());
      }
      std::sort(in_dir.begin(), in_dir.end());
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else if (fs::is_regular_file(path, ec)) {
      files.emplace_back(path);
    } else {
      std::fprintf(stderr, "fuzz driver: %s is neither a file nor a directory\n", path.c_str());
      return false;
    }
  }
  for (const fs::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    Input bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      std::fprintf(stderr, "fuzz driver: cannot read %s\n", file.c_str());
      return false;
    }
    corpus->push_back(std::move(bytes));
  }
  return true;
}

/// Deterministic mutations (see the file comment).
class Mutator {
 public:
  Mutator(const std::vector<Input>* corpus, uint64_t seed) : corpus_(corpus), rng_(seed) {}

  /// A new mutant of a corpus input.
  Input Next() {
    Input out = (*corpus_)[Below(corpus_->size())];
    const int count = 1 + static_cast<int>(Below(kMaxMutations));
    for (int i = 0; i < count; ++i) MutateOnce(&out);
    if (out.size() > kMaxInputSize) out.resize(kMaxInputSize);
    return out;
  }

 private:
  /// Uniform enough in [0, n) for mutation choices. REQUIRES: n > 0.
  uint64_t Below(uint64_t n) { return rng_() % n; }

  void MutateOnce(Input* in) {
    const size_t size = in->size();
    switch (Below(7)) {
      case 0:  // flip a bit
        if (size > 0) (*in)[Below(size)] ^= static_cast<uint8_t>(1u << Below(8));
        break;
      case 1:  // set a byte
        if (size > 0) {
          (*in)[Below(size)] = Below(2) ? static_cast<uint8_t>(rng_())
                                        : kBoundaryBytes[Below(std::size(kBoundaryBytes))];
        }
        break;
      case 2:  // truncate
        if (size > 0) in->resize(Below(size));
        break;
      case 3: {  // insert 1..8 random bytes
        const size_t at = Below(size + 1);
        Input bytes(1 + Below(8));
        for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng_());
        in->insert(in->begin() + static_cast<ptrdiff_t>(at), bytes.begin(), bytes.end());
        break;
      }
      case 4:  // erase a range
        if (size > 0) {
          const size_t at = Below(size);
          const size_t len = 1 + Below(std::min<size_t>(size - at, 64));
          in->erase(in->begin() + static_cast<ptrdiff_t>(at),
                    in->begin() + static_cast<ptrdiff_t>(at + len));
        }
        break;
      case 5:  // duplicate a range (repeats a vector element, a field, ...)
        if (size > 0) {
          const size_t from = Below(size);
          const size_t len = 1 + Below(std::min<size_t>(size - from, 256));
          const Input chunk(in->begin() + static_cast<ptrdiff_t>(from),
                            in->begin() + static_cast<ptrdiff_t>(from + len));
          const size_t at = Below(size + 1);
          in->insert(in->begin() + static_cast<ptrdiff_t>(at), chunk.begin(), chunk.end());
        }
        break;
      default: {  // splice: our head, another input's tail
        const Input& other = (*corpus_)[Below(corpus_->size())];
        const size_t keep = Below(size + 1);
        const size_t from = Below(other.size() + 1);
        in->resize(keep);
        in->insert(in->end(), other.begin() + static_cast<ptrdiff_t>(from), other.end());
        break;
      }
    }
  }

  const std::vector<Input>* corpus_;
  std::mt19937_64 rng_;  // fully specified by the standard: same stream everywhere
};

/// Parses "--name=value" into *value. Returns false if `arg` is not that flag.
bool ParseFlag(std::string_view arg, std::string_view name, uint64_t* value) {
  if (!arg.starts_with(name) || arg.size() <= name.size() || arg[name.size()] != '=') return false;
  *value = std::strtoull(std::string(arg.substr(name.size() + 1)).c_str(), nullptr, 10);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t seconds = 3;
  uint64_t max_runs = UINT64_MAX;
  uint64_t seed = 1;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (ParseFlag(arg, "--seconds", &seconds) || ParseFlag(arg, "--max-runs", &max_runs) ||
        ParseFlag(arg, "--seed", &seed)) {
      continue;
    }
    if (arg.starts_with("-")) {
      std::fprintf(stderr, "usage: %s [--seconds=S] [--max-runs=N] [--seed=K] PATH...\n", argv[0]);
      return 2;
    }
    paths.emplace_back(arg);
  }
  std::vector<Input> corpus;
  if (!LoadCorpus(paths, &corpus)) return 2;
  if (corpus.empty()) {
    std::fprintf(stderr, "fuzz driver: no corpus inputs given\n");
    return 2;
  }
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE}) signal(sig, OnFatalSignal);

  for (const Input& input : corpus) RunOne(input);
  RunOne({});

  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + std::chrono::seconds(seconds);
  Mutator mutator(&corpus, seed);
  uint64_t runs = 0;
  while (runs < max_runs && Clock::now() < deadline) {
    RunOne(mutator.Next());
    ++runs;
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("%s: %zu corpus inputs, %llu mutants (seed %llu) in %.1f s (%.0f/s): ok\n", argv[0],
              corpus.size(), static_cast<unsigned long long>(runs),
              static_cast<unsigned long long>(seed), elapsed, elapsed > 0 ? runs / elapsed : 0.0);
  return 0;
}
