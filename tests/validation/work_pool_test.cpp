// The work pool between two nodes, as computecoind runs it: node A's workers
// compute into A's pool; node B receives the records (and their tensors, as
// peers serve them) into its own pool, which re-executes them; A's block
// carries the pool's records, and B's pool empties when B connects it.

#include "validation/work_pool.h"

#include <gtest/gtest.h>

#include <ctime>
#include <memory>
#include <vector>

#include "compute/tensor.h"
#include "compute/torch/torch_engine.h"
#include "consensus/genesis.h"
#include "tests/util/chain_harness.h"
#include "tests/util/test_util.h"

namespace cc {
namespace {

struct PoolNode {
  PoolNode(const std::filesystem::path& dir, VerifyPolicy policy = {}) : chain(dir, Options()) {
    chain.manager->SetVerifyPolicy(policy);
    WorkPoolOptions options;
    options.policy = policy;
    options.engine_factory = compute::MakeTorchEngine;
    EXPECT_TRUE(WorkPool::Create(chain.params, chain.manager.get(), &verified, options, &pool).ok());
    chain.manager->AddListener(pool.get());
  }
  ~PoolNode() { chain.manager->RemoveListener(pool.get()); }

  static ChainManagerOptions Options() {
    ChainManagerOptions options;
    options.engine_factory = compute::MakeTorchEngine;
    return options;
  }
  void MustProcess(const Block& block) {
    ValidationState state;
    ASSERT_TRUE(chain.manager->ProcessNewBlock(block, &state)) << state.ToString();
  }
  // Copies the outputs of `records` from `from`'s tensor store, as a peer serves them.
  void FetchTensors(const PoolNode& from, const std::vector<WorkRecord>& records) {
    for (const WorkRecord& r : records)
      for (const Uint256& h : r.outputs) {
        compute::EncodedTensor t;
        ASSERT_TRUE(from.chain.manager->GetTensor(h, &t).ok());
        ASSERT_TRUE(chain.manager->PutTensor(t, r.unit.step).ok());
      }
  }

  VerifiedRecords verified;
  test::TestChain chain;
  std::unique_ptr<WorkPool> pool;
};

class WorkPoolTest : public testing::Test {
 protected:
  WorkPoolTest()
      : workers_{test::TestKey(1, 7), test::TestKey(2, 7), test::TestKey(3, 7)},
        now_(std::time(nullptr)),
        a_(std::make_unique<PoolNode>(Dir("a"))),
        b_(std::make_unique<PoolNode>(Dir("b"))) {
    // Block 1 registers the three workers on both nodes.
    AssemblyRequest request;
    request.time = now_;
    request.producers = workers_;
    for (const PrivateKey& k : workers_)
      request.registrations.push_back(SignRegistration(k, GenesisHash(RegtestParams()), KeyHash(k.PublicKey())));
    Block block;
    EXPECT_TRUE(a_->chain.manager->Assemble(a_->chain.manager->Tip().block_hash, request, &block)
                    .ok());
    a_->MustProcess(block);
    b_->MustProcess(block);
  }

  std::filesystem::path Dir(const std::string& name) const {
    return std::filesystem::path(dir_.path()) / name;
  }

  // Every worker computes in A's pool, round after round, until the step in
  // progress completes there. Returns the records in the order made.
  std::vector<WorkRecord> ComputeStep() {
    const uint64_t step = a_->pool->ExtendedTip().step;
    std::vector<WorkRecord> records;
    for (int round = 0; round < 50 && a_->pool->ExtendedTip().step == step; ++round)
      for (const PrivateKey& w : workers_) {
        Status s = a_->pool->Compute(w, now_, 1000, &records);
        EXPECT_TRUE(s.ok()) << s.ToString();
        if (a_->pool->ExtendedTip().step != step) break;
      }
    EXPECT_EQ(a_->pool->ExtendedTip().step, step + 1);
    return records;
  }

  test::TempDir dir_;
  std::vector<PrivateKey> workers_;
  const int64_t now_;
  std::unique_ptr<PoolNode> a_, b_;
};

TEST_F(WorkPoolTest, RelayedRecordsAreReexecutedOnceAndCarriedByABlock) {
  const std::vector<WorkRecord> records = ComputeStep();
  ASSERT_GT(records.size(), 3u);
  b_->FetchTensors(*a_, records);
  for (const WorkRecord& r : records) {
    ValidationState state;
    ASSERT_TRUE(b_->pool->Accept(r, now_, &state)) << state.ToString();
  }
  const WorkPoolInfo info = b_->pool->Info();
  EXPECT_EQ(info.records, records.size());
  EXPECT_EQ(info.verified, records.size());  // every record re-executed on entry
  EXPECT_EQ(info.rejected, 0u);
  // Both pools reached the same step and state without a block.
  EXPECT_EQ(info.step, 1u);
  EXPECT_EQ(info.state_root, a_->pool->Info().state_root);
  EXPECT_NE(info.state_root, b_->chain.manager->Tip().StateRoot());
  {
    ValidationState state;
    EXPECT_FALSE(b_->pool->Accept(records[0], now_, &state));
    EXPECT_EQ(state.reason(), "work-already-known");
  }

  // A's producer carries the pool's records; B connects the block and its
  // pool empties, its tip now where its pool was.
  AssemblyRequest request;
  request.time = now_;
  request.producers = workers_;
  request.records = a_->pool->Records();
  Block block;
  ASSERT_TRUE(a_->chain.manager->Assemble(a_->chain.manager->Tip().block_hash, request, &block)
                  .ok());
  EXPECT_EQ(block.records.size(), records.size());
  a_->MustProcess(block);
  b_->MustProcess(block);
  EXPECT_EQ(b_->pool->Info().records, 0u);
  EXPECT_EQ(b_->chain.manager->Tip().StateRoot(), info.state_root);
  EXPECT_EQ(a_->pool->Info().records, 0u);
}

TEST_F(WorkPoolTest, ListenerHearsRecordsThatEnterAndNewTipsAndMayReadThePool) {
  const std::vector<WorkRecord> records = ComputeStep();
  ASSERT_GT(records.size(), 3u);
  b_->FetchTensors(*a_, records);
  size_t calls = 0;
  bool seen = false;
  const Uint256 first = records[0].Hash();
  // Get and Contains take only the records' lock: callable with the pool's
  // lock held (the listener runs under it), as the message thread calls them
  // while the worker computes.
  b_->pool->SetListener([&] {
    ++calls;
    WorkRecord got;
    seen = b_->pool->Contains(first) && b_->pool->Get(first, &got) && got == records[0];
  });
  ValidationState state;
  ASSERT_TRUE(b_->pool->Accept(records[0], now_, &state)) << state.ToString();
  EXPECT_EQ(calls, 1u);
  EXPECT_TRUE(seen);
  // Refused records change nothing: no call.
  EXPECT_FALSE(b_->pool->Accept(records[0], now_, &state));
  EXPECT_EQ(state.reason(), "work-already-known");
  EXPECT_EQ(calls, 1u);
  // Removed: not called.
  b_->pool->SetListener({});
  ASSERT_TRUE(b_->pool->Accept(records[1], now_, &state)) << state.ToString();
  EXPECT_EQ(calls, 1u);
  b_->pool->SetListener([&] { ++calls; });
  for (size_t i = 2; i < records.size(); ++i)
    ASSERT_TRUE(b_->pool->Accept(records[i], now_, &state)) << state.ToString();
  EXPECT_EQ(calls, records.size() - 1);
  // A new tip: the pool is rebuilt, and the listener hears it.
  AssemblyRequest request;
  request.time = now_;
  request.producers = workers_;
  request.records = a_->pool->Records();
  Block block;
  ASSERT_TRUE(a_->chain.manager->Assemble(a_->chain.manager->Tip().block_hash, request, &block)
                  .ok());
  b_->MustProcess(block);
  EXPECT_EQ(calls, records.size());
  b_->pool->SetListener({});
}

TEST_F(WorkPoolTest, RecordBeforeTheRecordsItReadsIsNotReady) {
  const std::vector<WorkRecord> records = ComputeStep();
  b_->FetchTensors(*a_, records);
  // An UPDATE reads the step's gradients (Compute may have gone on into
  // the next step: take one of step 0).
  const WorkRecord* update = nullptr;
  for (const WorkRecord& r : records)
    if (r.unit.step == 0 && r.unit.kind == UnitKind::kUpdate) update = &r;
  ASSERT_NE(update, nullptr);
  ValidationState early;
  EXPECT_FALSE(b_->pool->Accept(*update, now_, &early));
  EXPECT_EQ(early.reason(), "bad-work-not-ready");
  EXPECT_FALSE(IsWorkersFault(early));
  EXPECT_TRUE(b_->pool->Info().penalised.empty());
}

// What the relay keeps as an orphan: a record whose inputs have not arrived,
// or of a later step, or unassigned in a step after the tip's (the block
// completing the tip's step brings the order it was made under: without it
// such a record was dropped, and the unit waited for a slot timeout, 30 s
// on the devnet, every few steps); not one of a step the pool has finished
// (kept, it was tried again on every record accepted, forever, and filled
// the bound), nor one unassigned in the tip's own step.
TEST_F(WorkPoolTest, OnlyEarlyRecordsMayEnterLater) {
  const std::vector<WorkRecord> records = ComputeStep();
  b_->FetchTensors(*a_, records);
  const WorkRecord* update = nullptr;
  for (const WorkRecord& r : records)
    if (r.unit.step == 0 && r.unit.kind == UnitKind::kUpdate) update = &r;
  ASSERT_NE(update, nullptr);
  ValidationState early;
  ASSERT_FALSE(b_->pool->Accept(*update, now_, &early));
  EXPECT_TRUE(b_->pool->MayEnterLater(*update, early)) << early.ToString();
  for (const WorkRecord& r : records) {
    ValidationState state;
    if (r.unit.step == 0) {
      ASSERT_TRUE(b_->pool->Accept(r, now_, &state)) << state.ToString();
    }
  }
  ASSERT_EQ(b_->pool->Info().step, 1u);
  ValidationState known;
  EXPECT_FALSE(b_->pool->Accept(records[0], now_, &known));
  EXPECT_FALSE(b_->pool->MayEnterLater(records[0], known)) << known.ToString();
  ValidationState wrong_step;
  wrong_step.Invalid(ValidationResult::kConsensus, "bad-work-step");
  EXPECT_FALSE(b_->pool->MayEnterLater(records[0], wrong_step));  // step 0: over
  WorkRecord later = records[0];
  later.unit.step = 2;
  EXPECT_TRUE(b_->pool->MayEnterLater(later, wrong_step));
  ASSERT_EQ(b_->chain.manager->Tip().step, 0u);  // the pool is at step 1, the tip at 0
  ValidationState unassigned;
  unassigned.Invalid(ValidationResult::kConsensus, "bad-work-unassigned");
  WorkRecord next_step = records[0];
  next_step.unit.step = 1;
  EXPECT_TRUE(b_->pool->MayEnterLater(next_step, unassigned));
  EXPECT_FALSE(b_->pool->MayEnterLater(records[0], unassigned));  // the tip's order is final
}

// A relayed record names its outputs, which the node would fetch before
// Accept could judge it: one unsigned record naming a million ids opened a
// million downloads. CheckBeforeFetch refuses what needs no tensor to refuse.
TEST_F(WorkPoolTest, CheckBeforeFetchRefusesWhatNeedsNoTensorToRefuse) {
  const std::vector<WorkRecord> records = ComputeStep();
  const WorkRecord& good = records[0];
  const PrivateKey* signer = nullptr;
  for (const PrivateKey& k : workers_)
    if (k.PublicKey() == good.worker) signer = &k;
  ASSERT_NE(signer, nullptr);
  const auto check = [this](const WorkRecord& r) {
    ValidationState state;
    std::vector<compute::TensorToFetch> to_fetch;
    return b_->pool->CheckBeforeFetch(r, &state, &to_fetch) ? std::string("ok") : state.reason();
  };
  EXPECT_EQ(check(good), "ok");
  WorkRecord unsigned_copy = good;
  unsigned_copy.outputs.resize(1'000'000);
  EXPECT_EQ(check(unsigned_copy), "bad-work-sig");
  WorkRecord more_outputs = good;
  more_outputs.outputs.push_back(Uint256());
  more_outputs.signature = signer->Sign(more_outputs.SigningHash());
  EXPECT_EQ(check(more_outputs), "bad-work-output-count");
  WorkRecord no_such_unit = good;
  no_such_unit.unit.section = 1000;
  no_such_unit.signature = signer->Sign(no_such_unit.SigningHash());
  EXPECT_EQ(check(no_such_unit), "bad-work-unit");
  WorkRecord more_inputs = good;
  more_inputs.inputs.resize(1'000'000);
  more_inputs.signature = signer->Sign(more_inputs.SigningHash());
  EXPECT_EQ(check(more_inputs), "bad-work-input-count");
  WorkRecord later_step = good;  // a later step's unit passes: it may be an orphan
  later_step.unit.step += 5;
  later_step.signature = signer->Sign(later_step.SigningHash());
  EXPECT_EQ(check(later_step), "ok");
}

// A relayed record's outputs were fetched up to 1 GiB each, whatever the
// unit: a key naming made-up outputs could make a node hold that much per
// output. Each now comes with the length of its slot's encoding, which is
// the real tensor's, for every unit of a step; UPDATE's outputs, which the
// pool recomputes, are not fetched at all.
TEST_F(WorkPoolTest, CheckBeforeFetchSizesEachOutputFromItsSlot) {
  const std::vector<WorkRecord> records = ComputeStep();
  size_t updates = 0;
  for (const WorkRecord& r : records) {
    ValidationState state;
    std::vector<compute::TensorToFetch> to_fetch;
    ASSERT_TRUE(b_->pool->CheckBeforeFetch(r, &state, &to_fetch)) << state.ToString();
    if (r.unit.kind == UnitKind::kUpdate) {
      ++updates;
      EXPECT_TRUE(to_fetch.empty()) << compute::UnitName(r.unit);
      continue;
    }
    ASSERT_EQ(to_fetch.size(), r.outputs.size()) << compute::UnitName(r.unit);
    for (size_t i = 0; i < r.outputs.size(); ++i) {
      compute::EncodedTensor t;
      ASSERT_TRUE(a_->chain.manager->GetTensor(r.outputs[i], &t).ok());
      EXPECT_EQ(to_fetch[i].hash, r.outputs[i]);
      EXPECT_EQ(to_fetch[i].step, r.unit.step);
      EXPECT_EQ(to_fetch[i].length, Serialize(t).size()) << compute::UnitName(r.unit) << " " << i;
    }
  }
  EXPECT_GT(updates, 0u);
}

// Two records of one unit, both valid: a node keeps the first it sees, and
// the second waits (an orphan of the relay) until a tip decides, for the
// chain may carry either. Before, the second was dropped as a duplicate: at
// a step boundary, a node still on the old tip kept the old order's record
// and dropped the new order's; connecting the block that changed the order
// then dropped the old one too, and the unit waited 30 s for a slot timeout
// (seen on the devnet at step 342).
TEST_F(WorkPoolTest, ARecordConflictingWithAPoolRecordWaitsForTheTipThatDecides) {
  const std::vector<WorkRecord> records = ComputeStep();
  b_->FetchTensors(*a_, records);
  // Step 0's first unit reads nothing, and its ready time is genesis's, so
  // long past that every worker may carry it: sign it as another worker.
  const WorkRecord& first = records[0];
  WorkRecord other = first;
  for (const PrivateKey& k : workers_)
    if (k.PublicKey() != first.worker) {
      other.worker = k.PublicKey();
      other.signature = k.Sign(other.SigningHash());
      break;
    }
  ASSERT_NE(other.Hash(), first.Hash());

  ValidationState state;
  ASSERT_TRUE(b_->pool->Accept(first, now_, &state)) << state.ToString();
  ValidationState conflict;
  EXPECT_FALSE(b_->pool->Accept(other, now_, &conflict));
  EXPECT_EQ(conflict.reason(), "work-pool-conflict");
  EXPECT_EQ(conflict.result(), ValidationResult::kPolicy);
  EXPECT_TRUE(b_->pool->MayEnterLater(other, conflict));
  EXPECT_FALSE(IsWorkersFault(conflict));
  EXPECT_TRUE(b_->pool->Info().penalised.empty());

  // The next block carries the other record: the pool's leaves, and the
  // other enters no more — the chain has done the unit.
  AssemblyRequest request;
  request.time = now_;
  request.producers = workers_;
  request.records = {other};
  Block block;
  ASSERT_TRUE(b_->chain.manager->Assemble(b_->chain.manager->Tip().block_hash, request, &block)
                  .ok());
  ASSERT_EQ(block.records.size(), 1u);
  b_->MustProcess(block);
  EXPECT_FALSE(b_->pool->Contains(first.Hash()));
  ValidationState settled;
  EXPECT_FALSE(b_->pool->Accept(first, now_, &settled));
  EXPECT_EQ(settled.reason(), "bad-work-duplicate");
  EXPECT_FALSE(b_->pool->MayEnterLater(first, settled));
}

TEST_F(WorkPoolTest, WrongOutputIsRefusedAndItsWorkerPenalised) {
  std::vector<WorkRecord> records = ComputeStep();
  b_->FetchTensors(*a_, records);
  // The first record's worker perturbs its first output and signs the lie.
  WorkRecord cheat = records[0];
  compute::EncodedTensor out;
  ASSERT_TRUE(a_->chain.manager->GetTensor(cheat.outputs[0], &out).ok());
  std::vector<float> values;
  ASSERT_TRUE(compute::DecodeFloats(out, &values).ok());
  for (float& v : values) v += 0.01f;
  const compute::EncodedTensor wrong = compute::EncodeFloats(values, out.shape, out.codec);
  Uint256 wrong_hash;
  ASSERT_TRUE(b_->chain.manager->PutTensor(wrong, cheat.unit.step, &wrong_hash).ok());
  cheat.outputs[0] = wrong_hash;
  const PrivateKey* signer = nullptr;
  for (const PrivateKey& k : workers_)
    if (k.PublicKey() == cheat.worker) signer = &k;
  ASSERT_NE(signer, nullptr);
  cheat.signature = signer->Sign(cheat.SigningHash());

  ValidationState state;
  EXPECT_FALSE(b_->pool->Accept(cheat, now_, &state));
  EXPECT_EQ(state.reason(), "bad-work-output-mismatch") << state.ToString();
  EXPECT_TRUE(IsWorkersFault(state));
  const WorkPoolInfo info = b_->pool->Info();
  EXPECT_EQ(info.rejected, 1u);
  ASSERT_EQ(info.penalised.size(), 1u);
  EXPECT_EQ(info.penalised[0], cheat.worker);
  // Its honest records are refused too from now on; others' still enter.
  ValidationState after;
  EXPECT_FALSE(b_->pool->Accept(records[0], now_, &after));
  EXPECT_EQ(after.reason(), "work-worker-penalised");
  // A record whose signature was tampered with is the relayer's doing, not the worker's.
  WorkRecord forged;
  for (const WorkRecord& r : records)
    if (r.worker != cheat.worker) forged = r;
  ASSERT_NE(forged.worker, cheat.worker);
  forged.loss += 1.0f;
  ValidationState forged_state;
  EXPECT_FALSE(b_->pool->Accept(forged, now_, &forged_state));
  EXPECT_EQ(forged_state.reason(), "bad-work-sig");
  EXPECT_FALSE(IsWorkersFault(forged_state));
}

}  // namespace
}  // namespace cc
