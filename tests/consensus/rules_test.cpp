// The pure consensus rules that need no chain and no engine: the
// longest-waiting schedule, the -verify sampling policy, fork choice, and
// what headers commit and alone can show.

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "chain/hash.h"
#include "chain/merkle.h"
#include "consensus/connect.h"
#include "consensus/consensus_state.h"
#include "consensus/fork_choice.h"
#include "consensus/schedule.h"
#include "compute/partition.h"
#include "compute/plan.h"

namespace cc {
namespace {

TEST(ScheduleTest, LongestWaitingFirstThenRotation) {
  ConsensusState parent;
  parent.block_hash = Uint256::FromHex(std::string(64, '7')).value();
  WorkerEntry a, b, c;
  a.key[0] = 0xa;
  a.registered_height = 1;
  a.has_work = true;
  a.last_work_height = 9;
  b.key[0] = 0xb;
  b.registered_height = 5;  // never worked: waiting since 5
  c.key[0] = 0xc;
  c.registered_height = 1;
  c.has_work = true;
  c.last_work_height = 7;
  parent.workers = {a, b, c};
  const std::vector<XOnlyPubKeyBytes> order = WorkerOrder(parent);
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order[0], b.key);
  EXPECT_EQ(order[1], c.key);
  EXPECT_EQ(order[2], a.key);

  EXPECT_EQ(Attempt(100, 100, 60), 0u);
  EXPECT_EQ(Attempt(100, 159, 60), 0u);
  EXPECT_EQ(Attempt(100, 160, 60), 1u);
  EXPECT_EQ(Attempt(100, 50, 60), 0u);
  EXPECT_EQ(*AssignedWorker(order, 4, 0), c.key);  // 4 mod 3 = 1
  EXPECT_EQ(*AssignedWorker(order, 4, 1), a.key);  // the next rank after a timeout
  EXPECT_FALSE(AssignedWorker({}, 0, 0).has_value());

  // A record stays valid after its unit passes on: at attempt 1 the workers
  // of attempts 0 and 1 may be carried, not the third; from attempt 2 (every
  // worker has had a turn) anyone in the order. A unit goes by its home
  // section, not its place in the plan.
  compute::PlannedUnit unit;
  unit.id.section = 0;
  unit.home_section = 4;
  EXPECT_TRUE(MayCarry(order, unit, 0, c.key));
  EXPECT_FALSE(MayCarry(order, unit, 0, a.key));
  EXPECT_FALSE(MayCarry(order, unit, 0, b.key));
  EXPECT_TRUE(MayCarry(order, unit, 1, c.key));
  EXPECT_TRUE(MayCarry(order, unit, 1, a.key));
  EXPECT_FALSE(MayCarry(order, unit, 1, b.key));
  for (const WorkerEntry* w : {&a, &b, &c}) EXPECT_TRUE(MayCarry(order, unit, 7, w->key));
  XOnlyPubKeyBytes stranger{};
  stranger[0] = 0xee;
  EXPECT_FALSE(MayCarry(order, unit, 7, stranger));
  EXPECT_FALSE(MayCarry({}, unit, 0, a.key));
}

// UNITS: every unit of a section goes to that section's holder at attempt 0,
// ATTENTION with the section that made its q, so a step crosses between
// workers only at section boundaries; with fewer workers than sections a
// worker holds several.
TEST(ScheduleTest, ASectionsUnitsGoToItsHolder) {
  compute::ModelConfig config;
  ASSERT_TRUE(compute::PresetConfig("devnet", &config).ok());
  compute::Partition partition;
  ASSERT_TRUE(compute::PartitionModel(config, config.sections, &partition).ok());
  const compute::StepPlan plan = compute::BuildStepPlan(config, partition, 0);
  ASSERT_EQ(config.sections, 4u);
  std::vector<XOnlyPubKeyBytes> order(3);
  for (size_t i = 0; i < order.size(); ++i) order[i][0] = static_cast<uint8_t>(i + 1);
  ConsensusState state;  // nothing done: only the units that read no unit are ready
  ChainParams params = RegtestParams();
  std::map<XOnlyPubKeyBytes, std::set<uint32_t>> held;
  size_t attention = 0;
  for (const compute::PlannedUnit& unit : plan.units) {
    if (unit.id.kind == UnitKind::kAttention) {
      ++attention;
      const compute::PlannedUnit* q = plan.Find(unit.inputs[0].source.unit);
      ASSERT_NE(q, nullptr);
      EXPECT_EQ(unit.home_section, q->id.section) << compute::UnitName(unit.id);
    } else {
      EXPECT_EQ(unit.home_section, unit.id.section) << compute::UnitName(unit.id);
    }
    held[*AssignedWorker(order, unit.home_section, 0)].insert(unit.home_section);
  }
  EXPECT_GT(attention, 0u);
  EXPECT_EQ(held[order[0]], (std::set<uint32_t>{0, 3}));
  EXPECT_EQ(held[order[1]], (std::set<uint32_t>{1}));
  EXPECT_EQ(held[order[2]], (std::set<uint32_t>{2}));
  // What AssignedUnits gives each worker: the ready units of its sections.
  for (size_t w = 0; w < order.size(); ++w)
    for (size_t index : AssignedUnits(params, state, order, plan, order[w], 0))
      EXPECT_TRUE(held[order[w]].contains(plan.units[index].home_section));
}

// The unit order is taken once per step: blocks within a step keep it though
// the worker order moves with each of them.
TEST(ScheduleTest, UnitOrderIsFixedForAStep) {
  ConsensusState next;
  next.step = 4;
  WorkerEntry a, b;
  a.key[0] = 0xa;
  a.registered_height = 1;
  b.key[0] = 0xb;
  b.registered_height = 2;
  a.active_step = b.active_step = 4;
  next.workers = {a, b};
  next.block_hash = Uint256::FromHex(std::string(64, '1')).value();

  // Workers but no order yet (their registration block): taken now.
  EXPECT_EQ(NextUnitOrder(4, next, 8), WorkerOrder(next));
  // Within the step it stays, whatever the worker order says now.
  next.unit_order = {b.key, a.key};
  next.workers[1].has_work = true;
  next.workers[1].last_work_height = 9;  // b waited less: the worker order is [a, b]
  ASSERT_NE(WorkerOrder(next), next.unit_order);
  EXPECT_EQ(NextUnitOrder(4, next, 8), next.unit_order);
  // A new step takes the worker order of the state after the block.
  next.step = 5;
  EXPECT_EQ(NextUnitOrder(4, next, 8), WorkerOrder(next));
  // A member that left the registry is dropped at once (its units would
  // otherwise wait out every timeout until the step ends).
  next.step = 4;
  next.workers.pop_back();
  EXPECT_EQ(NextUnitOrder(4, next, 8), std::vector<XOnlyPubKeyBytes>{a.key});
  // ... and only that member: a worker registered during the step waits.
  WorkerEntry c;
  c.key[0] = 0xc;
  c.registered_height = 3;
  next.workers.push_back(c);
  EXPECT_EQ(NextUnitOrder(4, next, 8), std::vector<XOnlyPubKeyBytes>{a.key});
  // If every member left, the order is taken afresh.
  next.unit_order = {b.key};
  EXPECT_EQ(NextUnitOrder(4, next, 8), WorkerOrder(next));
}

// ABSENCE: a member of the last step's unit order that held a section and
// did nothing in that step gets no units in the next; it returns once it is
// active again (a block it produced).
TEST(ScheduleTest, AbsentWorkersAreLeftOutOfTheNextStep) {
  ConsensusState next;
  next.step = 7;  // the block moved the step from 6 to 7
  next.block_hash = Uint256::FromHex(std::string(64, '2')).value();
  WorkerEntry live, dead, idle;
  live.key[0] = 0x1;
  live.active_step = 6;  // had a record accepted in step 6
  dead.key[0] = 0x2;
  dead.active_step = 5;  // nothing since step 5
  idle.key[0] = 0x3;
  idle.active_step = 4;  // nothing either, but was given no unit in step 6
  next.workers = {live, dead, idle};
  next.unit_order = {dead.key, live.key, idle.key};  // step 6's order

  // Two sections: positions 0 and 1 held one at attempt 0.
  const std::vector<XOnlyPubKeyBytes> order = NextUnitOrder(6, next, 2);
  std::vector<XOnlyPubKeyBytes> expected = WorkerOrder(next);
  std::erase(expected, dead.key);
  EXPECT_EQ(order, expected);
  ASSERT_EQ(order.size(), 2u);

  // With a section for everyone, idle held one too and is left out as well.
  EXPECT_EQ(NextUnitOrder(6, next, 3), std::vector<XOnlyPubKeyBytes>{live.key});
  // A step the block did not change keeps the order, absent or not.
  EXPECT_EQ(NextUnitOrder(7, next, 3), next.unit_order);
  // Producing a block in step 6 made dead active: it stays.
  next.workers[1].active_step = 6;
  EXPECT_EQ(NextUnitOrder(6, next, 2), WorkerOrder(next));
  // Nobody active: nobody is left out (the chain must go on).
  for (WorkerEntry& w : next.workers) w.active_step = 0;
  EXPECT_EQ(NextUnitOrder(6, next, 3), WorkerOrder(next));
}

TEST(VerifyPolicyTest, SampleIsAFractionAndDependsOnTheSalt) {
  VerifyPolicy all;
  VerifyPolicy half;
  half.sample = 0.5;
  half.salt.data()[0] = 1;
  VerifyPolicy other = half;
  other.salt.data()[0] = 2;
  int picked = 0, differ = 0;
  for (int i = 0; i < 1000; ++i) {
    const Uint256 h = Sha256Hash(AsBytes(std::to_string(i)));
    EXPECT_TRUE(all.ShouldVerify(h));
    picked += half.ShouldVerify(h);
    differ += half.ShouldVerify(h) != other.ShouldVerify(h);
    EXPECT_EQ(half.ShouldVerify(h), half.ShouldVerify(h));
  }
  EXPECT_GT(picked, 400);
  EXPECT_LT(picked, 600);
  EXPECT_GT(differ, 300);
}

TEST(ForkChoiceTest, MostWorkThenFirstSeen) {
  EXPECT_TRUE(IsBetterTip({10, 9}, {9, 1}));
  EXPECT_FALSE(IsBetterTip({9, 0}, {10, 5}));
  EXPECT_TRUE(IsBetterTip({10, 1}, {10, 2}));
  EXPECT_FALSE(IsBetterTip({10, 2}, {10, 1}));
}

// The rules a header can be judged by with only its parent's height, time
// and accepted work (headers-first sync, light clients).
TEST(HeaderContextTest, HeightTimeAndClaimedWork) {
  BlockHeader h;
  h.height = 11;
  h.time = 1000;
  h.accepted_work = 100000;
  ValidationState ok;
  EXPECT_TRUE(CheckHeaderContext(h, 10, 1000, 100000, &ok)) << ok.ToString();  // no records
  EXPECT_TRUE(CheckHeaderContext(h, 10, 999, 100000 - kMaxBlockRecords, &ok)) << ok.ToString();
  const auto reason = [&h](uint32_t height, int64_t time, uint64_t work) {
    ValidationState state;
    EXPECT_FALSE(CheckHeaderContext(h, height, time, work, &state));
    return state.reason();
  };
  EXPECT_EQ(reason(11, 1000, 100000), "bad-height");
  EXPECT_EQ(reason(10, 1001, 100000), "time-too-old");
  EXPECT_EQ(reason(10, 1000, 100001), "bad-accepted-work");  // work never falls
  EXPECT_EQ(reason(10, 1000, 100000 - kMaxBlockRecords - 1), "bad-accepted-work");  // nor jumps
}

// A Merkle path from a worker's entry to the registry root shows it
// registered; the root changes with any field of any entry.
TEST(RegistryRootTest, ProofsLeadToTheRootAndOnlyForRegisteredKeys) {
  ConsensusState state;
  EXPECT_EQ(state.RegistryRoot(), MerkleRoot({}));
  for (uint8_t k = 1; k <= 5; ++k) {
    WorkerEntry w;
    w.key[0] = k;
    w.registered_height = k;
    state.workers.push_back(w);
  }
  const Uint256 root = state.RegistryRoot();
  for (const WorkerEntry& w : state.workers) {
    WorkerEntry entry;
    MerkleProof proof;
    ASSERT_TRUE(state.RegistryProof(w.key, &entry, &proof).ok());
    EXPECT_EQ(entry, w);
    EXPECT_TRUE(VerifyMerkleProof(RegistryLeaf(entry), proof, root));
    entry.records += 1;  // a forged entry does not lead to the root
    EXPECT_FALSE(VerifyMerkleProof(RegistryLeaf(entry), proof, root));
  }
  XOnlyPubKeyBytes stranger{};
  stranger[0] = 9;
  WorkerEntry entry;
  MerkleProof proof;
  EXPECT_TRUE(state.RegistryProof(stranger, &entry, &proof).IsNotFound());
  state.workers[2].active_step = 7;
  EXPECT_NE(state.RegistryRoot(), root);
}

}  // namespace
}  // namespace cc
