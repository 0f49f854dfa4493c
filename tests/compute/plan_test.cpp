#include "compute/plan.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace cc::compute {
namespace {

struct Shape {
  uint32_t sections, lanes, head_groups, query_segments;
};

class PlanTest : public testing::TestWithParam<Shape> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(PresetConfig("tiny", &config_).ok());
    config_.sections = GetParam().sections;
    config_.lanes = GetParam().lanes;
    config_.head_groups = GetParam().head_groups;
    config_.query_segments = GetParam().query_segments;
    ASSERT_TRUE(config_.Validate().ok());
    ASSERT_TRUE(PartitionModel(config_, config_.sections, &partition_).ok());
    plan_ = BuildStepPlan(config_, partition_, 5);
  }

  uint32_t Count(UnitKind kind) const {
    uint32_t n = 0;
    for (const PlannedUnit& unit : plan_.units) n += unit.id.kind == kind;
    return n;
  }

  ModelConfig config_;
  Partition partition_;
  StepPlan plan_;
};

TEST_P(PlanTest, IdsAreUniqueAndUseOnlyTheirKindsFields) {
  std::set<UnitId> seen;
  for (const PlannedUnit& unit : plan_.units) {
    const UnitId& id = unit.id;
    EXPECT_TRUE(seen.insert(id).second) << UnitName(id);
    EXPECT_EQ(id.step, 5u);
    switch (id.kind) {
      case UnitKind::kForward:
      case UnitKind::kBackward:
        EXPECT_EQ(id.head_group, 0u);
        EXPECT_EQ(id.query_segment, 0u);
        EXPECT_LE(id.layer, config_.n_layer);
        break;
      case UnitKind::kAttention:
        EXPECT_EQ(id.section, 0u);
        EXPECT_LT(id.layer, config_.n_layer);
        break;
      case UnitKind::kUpdate:
        EXPECT_EQ(id.lane, 0u);
        EXPECT_EQ(id.layer, 0u);
        EXPECT_EQ(id.head_group, 0u);
        EXPECT_EQ(id.query_segment, 0u);
        break;
    }
  }
}

TEST_P(PlanTest, UnitCountsFollowTheShape) {
  const uint32_t lanes = config_.lanes;
  EXPECT_EQ(Count(UnitKind::kAttention),
            lanes * config_.n_layer * config_.head_groups * config_.query_segments);
  EXPECT_EQ(Count(UnitKind::kUpdate), config_.sections);
  EXPECT_EQ(Count(UnitKind::kForward), Count(UnitKind::kBackward));
  // At least one stage per section, and one more for each attention inside it.
  EXPECT_GE(Count(UnitKind::kForward), lanes * config_.sections);
  uint32_t losses = 0;
  for (const PlannedUnit& unit : plan_.units) losses += unit.has_loss;
  EXPECT_EQ(losses, lanes);
}

// Every unit reads only outputs of units listed before it, and the slot it
// expects is the slot its producer writes.
TEST_P(PlanTest, ListsDependenciesFirstWithMatchingSlots) {
  std::map<UnitId, const PlannedUnit*> before;
  for (const PlannedUnit& unit : plan_.units) {
    for (const UnitInput& input : unit.inputs) {
      if (input.source.kind != Source::Kind::kUnit) continue;
      auto it = before.find(input.source.unit);
      ASSERT_NE(it, before.end()) << UnitName(unit.id) << " reads " << UnitName(input.source.unit);
      ASSERT_LT(input.source.output, it->second->outputs.size());
      const TensorSlot& written = it->second->outputs[input.source.output];
      EXPECT_EQ(written.shape, input.slot.shape) << UnitName(unit.id);
      EXPECT_EQ(written.codec, input.slot.codec);
      EXPECT_EQ(written.head_begin, input.slot.head_begin);
      EXPECT_EQ(written.head_end, input.slot.head_end);
    }
    for (const UnitId& dep : unit.Dependencies()) EXPECT_TRUE(before.count(dep)) << UnitName(dep);
    std::set<std::pair<UnitId, uint32_t>> read_once;
    for (const UnitInput& input : unit.inputs) {
      if (input.source.kind != Source::Kind::kUnit) continue;
      EXPECT_TRUE(read_once.insert({input.source.unit, input.source.output}).second)
          << UnitName(unit.id) << " reads a tensor twice";
    }
    before[unit.id] = &unit;
  }
}

// Nothing is computed for nobody: every output but UPDATE's (read by the
// next step) has a reader.
TEST_P(PlanTest, EveryOutputIsRead) {
  std::set<std::pair<UnitId, uint32_t>> read;
  for (const PlannedUnit& unit : plan_.units) {
    for (const UnitInput& input : unit.inputs) {
      if (input.source.kind == Source::Kind::kUnit)
        read.insert({input.source.unit, input.source.output});
    }
  }
  for (const PlannedUnit& unit : plan_.units) {
    if (unit.id.kind == UnitKind::kUpdate) continue;
    for (uint32_t i = 0; i < unit.outputs.size(); ++i) {
      EXPECT_TRUE(read.count({unit.id, i})) << UnitName(unit.id) << " output " << i;
    }
  }
}

// Each UPDATE gets, per lane, gradients that tile its section exactly.
TEST_P(PlanTest, GradientsTileEachSection) {
  for (const PlannedUnit& unit : plan_.units) {
    if (unit.id.kind != UnitKind::kUpdate) continue;
    const uint64_t p = partition_.sections[unit.id.section].num_params;
    ASSERT_EQ((unit.inputs.size() - 2) % config_.lanes, 0u);
    const size_t per_lane = (unit.inputs.size() - 2) / config_.lanes;
    for (uint32_t lane = 0; lane < config_.lanes; ++lane) {
      uint64_t at = 0;
      for (size_t i = 0; i < per_lane; ++i) {
        const UnitInput& input = unit.inputs[2 + lane * per_lane + i];
        EXPECT_EQ(input.slot.role, TensorRole::kParamGrad);
        EXPECT_EQ(input.source.unit.lane, lane);
        EXPECT_EQ(input.slot.param_begin, at);
        at = input.slot.param_end;
      }
      EXPECT_EQ(at, p) << UnitName(unit.id);
    }
  }
}

// The attention of each layer covers every head and every query row once.
TEST_P(PlanTest, AttentionCoversEveryHeadAndRowOnce) {
  std::map<std::pair<uint32_t, uint32_t>, std::vector<int>> cover;  // (lane, layer) -> head·T + row
  for (const PlannedUnit& unit : plan_.units) {
    if (unit.id.kind != UnitKind::kAttention) continue;
    const TensorSlot& y = unit.outputs[0];
    std::vector<int>& c = cover[{unit.id.lane, unit.id.layer}];
    c.resize(config_.n_head * config_.context);
    for (uint32_t h = y.head_begin; h < y.head_end; ++h) {
      for (uint32_t t = y.row_begin; t < y.row_end; ++t) c[h * config_.context + t]++;
    }
  }
  EXPECT_EQ(cover.size(), config_.lanes * config_.n_layer);
  for (const auto& [key, c] : cover) {
    for (int n : c) EXPECT_EQ(n, 1);
  }
}

INSTANTIATE_TEST_SUITE_P(Tiny, PlanTest,
                         testing::Values(Shape{1, 1, 1, 1}, Shape{2, 2, 2, 2}, Shape{3, 1, 4, 3},
                                         Shape{5, 3, 3, 4}, Shape{8, 2, 1, 16},
                                         Shape{24, 1, 2, 2}));

TEST(UnitNameTest, NamesEveryField) {
  EXPECT_EQ(UnitName(UnitId{UnitKind::kForward, 3, 1, 2, 1, 0, 0}),
            "FORWARD(step=3 lane=1 section=2 layer=1)");
  EXPECT_EQ(UnitName(UnitId{UnitKind::kAttention, 3, 1, 0, 1, 2, 3}),
            "ATTENTION(step=3 lane=1 layer=1 head_group=2 query_segment=3)");
  EXPECT_EQ(UnitName(UnitId{UnitKind::kUpdate, 3, 0, 4, 0, 0, 0}), "UPDATE(step=3 section=4)");
}

}  // namespace
}  // namespace cc::compute
