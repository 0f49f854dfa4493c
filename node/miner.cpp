#include "node/miner.h"

#include <algorithm>
#include <ctime>
#include <string>
#include <vector>

#include "chain/evidence.h"
#include "chain/hex.h"
#include "chain/logging.h"
#include "consensus/genesis.h"
#include "consensus/schedule.h"
#include "node/context.h"
#include "node/transaction.h"
#include "node/wallets.h"
#include "validation/mempool_accept.h"

namespace cc {
namespace {

constexpr const char* kTraining = "Training options";
constexpr size_t kMaxRecordsPerTick = 64;

int64_t UnixNow() { return static_cast<int64_t>(std::time(nullptr)); }

}  // namespace

void AddMinerArgs(Config* c) {
  c->AddArg("-timedproduction",
            "Compute assigned units and produce blocks in this node's slots on a timer "
            "(default: 1 with a worker key, except on regtest, where generate produces)",
            Config::kBool, Config::kNone, kTraining);
}

Miner::Miner(NodeContext* node) : node_(node) {}

Miner::~Miner() { Stop(); }

void Miner::Start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] { Run(); });
  node_->work_pool->SetListener([this] { Wake(); });
}

void Miner::Stop() {
  node_->work_pool->SetListener({});
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

MinerStats Miner::Stats() const {
  MinerStats stats;
  stats.running = true;
  stats.records_computed = records_computed_.load();
  stats.blocks_produced = blocks_produced_.load();
  stats.compute_seconds = static_cast<double>(compute_micros_.load()) / 1e6;
  return stats;
}

void Miner::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void Miner::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    woken_ = false;  // a change during the tick is seen by the next one, at once
    lock.unlock();
    Tick();
    lock.lock();
    cv_.wait_for(lock, kMinerTick, [this] { return stop_ || woken_; });
  }
}

void Miner::Tick() {
  const int64_t now = UnixNow();
  const ConsensusState tip = node_->chainman->Tip();
  const auto steady = std::chrono::steady_clock::now();

  if (node_->params->worker_bond == 0 && steady - last_registration_ >= kRegistrationInterval) {
    Uint256 genesis;
    if (node_->chain->GetBlockHashAtHeight(0, &genesis).ok()) {
      for (const PrivateKey& key : node_->workers) {
        const XOnlyPubKeyBytes pub = key.PublicKey();
        if (tip.FindWorker(pub) != nullptr || tip.IsSlashed(pub)) continue;
        net::RegWorkerMsg msg;
        msg.key = pub;
        msg.payout = WorkerPayout(*node_, pub);
        msg.signature = key.Sign(PayoutSigningHash(genesis, pub, msg.payout));
        (void)node_->peerman->RelayRegistration(msg);
        last_registration_ = steady;
      }
    }
  }

  for (const PrivateKey& key : node_->workers) {
    if (tip.FindWorker(key.PublicKey()) == nullptr) continue;
    // One record at a time, each relayed as soon as it is made: the next
    // worker may be waiting for it (a tick that made four records in a row
    // held the first back for three units' compute), and between units the
    // pool's lock is free for the records peers relay (WorkPool::Accept).
    for (size_t made = 0; made < kMaxRecordsPerTick;) {
      std::vector<WorkRecord> records;
      const auto start = std::chrono::steady_clock::now();
      const Status s = node_->work_pool->Compute(key, now, 1, &records);
      compute_micros_ += static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                start)
              .count());
      if (!s.ok()) LogPrintf("Miner: computing: " + s.ToString());
      if (!s.ok() || records.empty()) break;
      made += records.size();
      records_computed_ += records.size();
      for (const WorkRecord& r : records) node_->peerman->RelayWorkRecord(r.Hash());
    }
  }

  ReportOffences();
  if (steady - last_block_ >= kMinBlockSpacing) Produce(now);
}

void Miner::ReportOffences() {
  std::vector<Evidence> found = node_->chainman->TakeEvidence();
  for (const WorkRecord& r : node_->work_pool->TakeOffences())
    found.push_back(WrongWorkEvidence(r));
  if (found.empty() || !node_->mempool) return;
  const Uint256 reward = WorkerPayout(*node_, node_->workers.front().PublicKey());
  for (const Evidence& evidence : found) {
    // Our own keys' blocks that our node refused were never announced (a
    // second block on the same parent is then honest here): not reported.
    if (std::any_of(node_->workers.begin(), node_->workers.end(), [&](const PrivateKey& k) {
          return k.PublicKey() == evidence.Offender();
        }))
      continue;
    const std::string offender = HexStr(evidence.Offender());
    Uint256 txid;
    const Status s = SubmitSlash(*node_, evidence, reward, &txid);
    if (s.ok()) {
      LogPrintf("Miner: slashing " + offender + " in " + txid.ToHex());
    } else if (s.IsNotFound()) {
      LogPrintf("Miner: " + s.message());
    } else {
      LogPrintf("Miner: slashing " + offender + " refused: " + s.ToString());
    }
  }
}

void Miner::Produce(int64_t now) {
  const ConsensusState tip = node_->chainman->Tip();
  AssemblyRequest request;
  request.time = std::max(now, tip.time);
  const std::optional<XOnlyPubKeyBytes> slot =
      ScheduledProducer(*node_->params, tip, tip.height + 1, request.time);
  const bool ours =
      !slot || std::any_of(node_->workers.begin(), node_->workers.end(),
                           [&](const PrivateKey& k) { return k.PublicKey() == *slot; });
  if (!ours) return;

  request.producers = node_->workers;
  request.records = node_->work_pool->Records();
  if (node_->params->worker_bond == 0) {
    request.registrations = node_->peerman->PendingRegistrations(tip);
    for (const PrivateKey& k : node_->workers) {
      const XOnlyPubKeyBytes pub = k.PublicKey();
      if (tip.FindWorker(pub) == nullptr &&
          std::none_of(request.registrations.begin(), request.registrations.end(),
                       [&](const WorkerRegistration& r) { return r.key == pub; }))
        request.registrations.push_back(
            SignRegistration(k, GenesisHash(*node_->params), WorkerPayout(*node_, pub)));
    }
  }
  // A slashed key's bond registers nothing (doc/consensus.md §2.2): not worth a coinbase output.
  std::erase_if(request.registrations,
                [&](const WorkerRegistration& r) { return tip.IsSlashed(r.key); });
  if (node_->mempool) SelectMempoolTxs(*node_->mempool, &request.txs, &request.fees);
  if (request.records.empty() && request.txs.empty() && request.registrations.empty()) return;

  Block block;
  Status s = node_->chainman->Assemble(tip.block_hash, request, &block);
  if (!s.ok()) {
    LogPrintf("Miner: cannot assemble on " + tip.block_hash.ToHex() + ": " + s.ToString());
    last_block_ = std::chrono::steady_clock::now();
    return;
  }
  // Nothing the pool held is still valid at this time, and nothing else to carry.
  if (block.records.empty() && request.txs.empty() && request.registrations.empty()) return;
  ValidationState state;
  last_block_ = std::chrono::steady_clock::now();
  if (!node_->chainman->ProcessNewBlock(block, &state)) {
    LogPrintf("Miner: own block " + block.Hash().ToHex() + " refused: " + state.ToString());
    return;
  }
  ++blocks_produced_;
  LogPrintf("Miner: produced block " + std::to_string(block.header.height) + " with " +
            std::to_string(block.records.size()) + " records, " +
            std::to_string(block.txs.size() - 1) + " transactions");
}

Status StartMiner(const Config& config, NodeContext* node) {
  const bool timed = config.GetBoolArg("timedproduction", !node->params->blocks_on_demand);
  if (!timed) return Status::OK();
  if (node->workers.empty()) {
    if (config.IsSet("timedproduction") && config.GetBoolArg("timedproduction", false))
      return Status::InvalidArgument("-timedproduction needs a worker key (-worker)");
    return Status::OK();
  }
  node->miner = std::make_unique<Miner>(node);
  node->miner->Start();
  LogPrintf("Timed production: " + std::to_string(node->workers.size()) + " worker key(s)");
  return Status::OK();
}

void StopMiner(NodeContext* node) {
  if (node->miner) node->miner->Stop();
  node->miner.reset();
}

}  // namespace cc
