// Miner: the node's worker keys at work, on a timer (timed production,
// doc/consensus.md §8).
//
// One thread, every kMinerTick and whenever the work pool changes (a peer's
// record entered, a new tip: WorkPool::SetListener), so that a unit is
// computed as soon as its inputs arrive rather than at the next tick:
//   register  a key the tip has not registered asks for a free
//             registration (regworker, bond-0 networks) every
//             kRegistrationInterval, and registers itself in its own block
//             when it may produce one;
//   compute   each registered key computes the units the work pool's
//             extended tip assigns it now (WorkPool::Compute), one unit at
//             a time, each record relayed as soon as it is made (the message
//             loop is woken), so the next worker need not wait for a block
//             nor for this worker's other units;
//   produce   when the slot for the next block is one of our keys' (or
//             nobody is registered yet), and there is something to carry
//             (pool records, mempool transactions, registrations), it
//             assembles a block at max(now, tip time) from the pool's
//             records, validates and connects it (the peer manager then
//             announces it). At most one block per kMinBlockSpacing, so
//             that blocks carry batches of records, not one each;
//   report    evidence this node found (a record its work pool proved
//             wrong, two blocks one producer signed on one parent) becomes
//             a slashing transaction forfeiting the offender's bond and
//             unbonding outputs, paying the reporter's share to the first
//             worker key's KeyHash, submitted to the mempool and relayed
//             (doc/consensus.md §2.2). Each source keeps at most one piece
//             per offender, and a bounded number.
//
// Regtest keeps `generate` for tests; -timedproduction turns the timer on
// there too. Elsewhere it is on whenever the node has a worker key.
//
// Thread safety: Start and Stop from one thread (start-up, shutdown); the
// thread uses the node's parts through their own locks.

#ifndef COMPUTECOIN_NODE_MINER_H
#define COMPUTECOIN_NODE_MINER_H

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "chain/status.h"
#include "node/common/config.h"

namespace cc {

struct NodeContext;

using namespace std::chrono_literals;

/// How often the miner looks at the tip and the pool.
inline constexpr std::chrono::milliseconds kMinerTick = 100ms;
/// Least time between two blocks this node produces.
inline constexpr std::chrono::milliseconds kMinBlockSpacing = 1000ms;
/// How often an unregistered key asks again for a free registration.
inline constexpr std::chrono::seconds kRegistrationInterval = 10s;

/// Adds -timedproduction to the node's options.
void AddMinerArgs(Config* config);

/// What getworkerinfo reports of the miner (zeros when it is not running).
struct MinerStats {
  bool running = false;
  uint64_t records_computed = 0;  //!< records this node's keys computed
  uint64_t blocks_produced = 0;   //!< blocks this node produced and connected
  double compute_seconds = 0;     //!< wall time spent computing units
};

class Miner {
 public:
  /// REQUIRES: node's chainman, work_pool and peerman are set and outlive
  /// the miner; node->workers is not empty.
  explicit Miner(NodeContext* node);
  ~Miner();  // stops the thread
  Miner(const Miner&) = delete;
  Miner& operator=(const Miner&) = delete;

  /// Starts the thread and listens to the work pool. REQUIRES: not running.
  void Start();
  /// Stops listening and joins the thread. Idempotent.
  void Stop();
  /// Runs the next tick now instead of at the next kMinerTick (a tick under
  /// way is followed by another at once). Any thread; never blocks on a tick.
  void Wake();
  MinerStats Stats() const;

 private:
  void Run();
  void Tick();
  void Produce(int64_t now);
  void ReportOffences();

  NodeContext* const node_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;   // GUARDED_BY(mu_)
  bool woken_ = false;  // GUARDED_BY(mu_): Wake() since the last tick began
  std::chrono::steady_clock::time_point last_block_{};
  std::chrono::steady_clock::time_point last_registration_{};
  std::atomic<uint64_t> records_computed_{0};
  std::atomic<uint64_t> blocks_produced_{0};
  std::atomic<uint64_t> compute_micros_{0};
};

/// Starts node->miner if the node has worker keys and timed production is
/// on (-timedproduction; default on except regtest). Returns
/// InvalidArgument for -timedproduction without a worker key.
Status StartMiner(const Config& config, NodeContext* node);
/// Stops and resets node->miner (no-op if none).
void StopMiner(NodeContext* node);

}  // namespace cc

#endif  // COMPUTECOIN_NODE_MINER_H
