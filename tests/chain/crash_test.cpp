// Crash safety: a child process connects, disconnects and reorganises
// blocks in a loop and is killed with SIGKILL at a random moment; the
// parent then reopens the database and checks that it is consistent. The
// same database is reused across iterations, so each child also starts from
// the state a previous kill left behind.
//
// The child is this test binary itself, started with fork() + execve() and
// CC_CRASH_CHILD_* variables in its environment: a static initializer below
// sees them and runs the writer loop instead of the tests. (A bare fork()
// would be unsafe: LevelDB's background compaction thread does not exist in
// a forked child, so its compactions would never run.)

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "chain/chain_state.h"
#include "tests/chain/store_test_util.h"

extern char** environ;

namespace cc {
namespace {

constexpr const char* kChildDirVar = "CC_CRASH_CHILD_DIR";
constexpr const char* kChildFdVar = "CC_CRASH_CHILD_FD";
constexpr const char* kChildSeedVar = "CC_CRASH_CHILD_SEED";

constexpr int kIterations = 8;
/// The parent waits up to this long after the child's first completed
/// operation before killing it, so kills land at many points of the loop.
constexpr int kMaxKillDelayMs = 40;

// ---------------------------------------------------------------------------
// The child: mutate the chain until killed.

// Connects a block; with probability 1/6 instead disconnects 1-3 blocks
// (never the genesis block) and connects a longer replacement branch, each
// block stored before it is connected, as a node does with a side branch.
// Writes one byte to `progress_fd` after each operation. Never returns.
[[noreturn]] void RunWriter(const std::string& dir, int progress_fd, uint64_t seed) {
  BlockStoreOptions options;  // production defaults: fsync on
  std::unique_ptr<ChainState> chain;
  if (!ChainState::Open(dir, options, &chain).ok()) _exit(2);
  test::BlockGenerator gen(seed);
  const auto progress = [progress_fd] {
    const char byte = 'x';
    // Non-blocking: a full pipe just means the parent stopped reading.
    [[maybe_unused]] const ssize_t n = write(progress_fd, &byte, 1);
  };
  while (true) {
    Uint256 tip;
    uint32_t height = 0;
    const bool empty = chain->GetTip(&tip, &height).IsNotFound();
    int connect = 1;
    if (!empty && gen.rng()() % 6 == 0) {
      const uint32_t depth = 1 + gen.rng()() % 3;
      for (uint32_t i = 0; i < depth && i < height; ++i) {  // genesis stays
        if (!chain->DisconnectTip(nullptr).ok()) _exit(3);
        progress();
      }
      connect = static_cast<int>(depth) + 1;
    }
    for (int i = 0; i < connect; ++i) {
      const Block block = gen.MakeNext(*chain, /*max_txs=*/6);
      if (!chain->StoreBlock(block).ok()) _exit(4);
      if (!chain->ConnectTip(block).ok()) _exit(5);
      progress();
    }
  }
}

// Runs before main(): in a crash child, becomes the writer; otherwise false.
const bool kIsCrashChild = [] {
  const char* dir = std::getenv(kChildDirVar);
  const char* fd = std::getenv(kChildFdVar);
  const char* seed = std::getenv(kChildSeedVar);
  if (dir == nullptr || fd == nullptr || seed == nullptr) return false;
  RunWriter(dir, std::atoi(fd), std::strtoull(seed, nullptr, 10));
}();

// ---------------------------------------------------------------------------
// The parent.

// Starts the writer on `dir`, waits for its first operation, lets it run a
// random while and kills it. Returns how it ended.
testing::AssertionResult RunAndKill(const std::string& dir, uint64_t seed, int delay_ms) {
  int fds[2];
  if (pipe(fds) != 0) return testing::AssertionFailure() << "pipe failed";
  fcntl(fds[1], F_SETFL, O_NONBLOCK);

  // Everything the child needs is built before fork(): between fork and
  // execve the child may only make async-signal-safe calls.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  env_strings.push_back(std::string(kChildDirVar) + "=" + dir);
  env_strings.push_back(std::string(kChildFdVar) + "=" + std::to_string(fds[1]));
  env_strings.push_back(std::string(kChildSeedVar) + "=" + std::to_string(seed));
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  char self[] = "/proc/self/exe";
  char* argv[] = {self, nullptr};

  const pid_t pid = fork();
  if (pid < 0) return testing::AssertionFailure() << "fork failed";
  if (pid == 0) {
    close(fds[0]);
    execve(self, argv, envp.data());
    _exit(127);
  }
  close(fds[1]);
  char byte = 0;
  const ssize_t got = read(fds[0], &byte, 1);
  if (got == 1) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  kill(pid, SIGKILL);
  close(fds[0]);
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return testing::AssertionFailure() << "waitpid failed";
  if (got != 1 || !WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
    return testing::AssertionFailure()
           << "writer ended on its own: "
           << (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                 : "signal " + std::to_string(WTERMSIG(status)));
  }
  return testing::AssertionSuccess();
}

// Reopens `dir` and checks: every main-chain height up to the tip has an
// index entry with data and undo, linked to the block below; nothing lies
// above the tip; and the UTXO set and every block's undo data equal those
// of a fresh chain state that replays the main chain's blocks.
void ExpectConsistent(const std::string& dir, uint32_t* tip_height) {
  std::unique_ptr<ChainState> chain;
  Status s = ChainState::Open(dir, BlockStoreOptions(), &chain);
  ASSERT_TRUE(s.ok()) << s.ToString();
  Uint256 tip;
  uint32_t height = 0;
  ASSERT_TRUE(chain->GetTip(&tip, &height).ok()) << "the writer connected at least one block";
  *tip_height = height;

  test::TempDir replay_dir;
  std::unique_ptr<ChainState> replay;
  ASSERT_TRUE(ChainState::Open(replay_dir.Sub("cs"), test::FastOptions(), &replay).ok());
  Uint256 prev;
  for (uint32_t h = 0; h <= height; ++h) {
    Uint256 hash;
    ASSERT_TRUE(chain->GetBlockHashAtHeight(h, &hash).ok()) << "height " << h;
    BlockIndexEntry entry;
    ASSERT_TRUE(chain->ReadIndex(hash, &entry).ok()) << "height " << h;
    EXPECT_EQ(entry.height(), h);
    EXPECT_EQ(entry.header.prev, prev);
    EXPECT_TRUE(entry.Has(kBlockHaveData) && entry.Has(kBlockHaveUndo) && entry.Has(kBlockValid));
    Block block;
    ASSERT_TRUE(chain->ReadBlock(hash, &block).ok()) << "height " << h;
    BlockUndo undo;
    ASSERT_TRUE(chain->ReadUndo(hash, &undo).ok()) << "undo at height " << h;
    s = replay->ConnectTip(block);
    ASSERT_TRUE(s.ok()) << "replay at height " << h << ": " << s.ToString();
    BlockUndo replayed_undo;
    ASSERT_TRUE(replay->ReadUndo(hash, &replayed_undo).ok());
    EXPECT_EQ(undo, replayed_undo) << "height " << h;
    prev = hash;
  }
  EXPECT_EQ(prev, tip);
  Uint256 above;
  EXPECT_TRUE(chain->GetBlockHashAtHeight(height + 1, &above).IsNotFound());
  EXPECT_EQ(test::CoinsBytes(*chain), test::CoinsBytes(*replay));
}

TEST(CrashTest, KilledWriterLeavesConsistentStore) {
  ASSERT_FALSE(kIsCrashChild);
  test::TempDir dir;
  const std::string path = dir.Sub("chainstate");
  std::mt19937_64 rng(2024);
  for (int i = 0; i < kIterations; ++i) {
    const uint64_t seed = rng();
    const int delay_ms = static_cast<int>(rng() % (kMaxKillDelayMs + 1));
    ASSERT_TRUE(RunAndKill(path, seed, delay_ms)) << "iteration " << i;
    uint32_t height = 0;
    ExpectConsistent(path, &height);
    if (HasFatalFailure() || HasNonfatalFailure()) FAIL() << "iteration " << i;
  }
}

}  // namespace
}  // namespace cc
