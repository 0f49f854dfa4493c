#include "compute/partition.h"

#include <gtest/gtest.h>

#include <cmath>

namespace cc::compute {
namespace {

ModelConfig Preset(std::string_view name) {
  ModelConfig config;
  EXPECT_TRUE(PresetConfig(name, &config).ok()) << name;
  return config;
}

// How many sections hold each element of each parameter, counted from the
// slices directly (not through GatherSection).
std::vector<std::vector<uint8_t>> Coverage(const ModelConfig& config, const Partition& partition) {
  const std::vector<ParamSpec> specs = ModelParams(config);
  std::vector<std::vector<uint8_t>> count;
  for (const ParamSpec& spec : specs) count.emplace_back(spec.NumElements(), 0);
  for (const Section& section : partition.sections) {
    for (const Piece& piece : section.pieces) {
      for (const ParamSlice& slice : PieceSlices(config, piece)) {
        const ParamSpec& spec = specs[slice.param];
        for (uint64_t r = 0; r < spec.rows(); ++r) {
          for (uint64_t c = 0; c < spec.cols(); ++c) {
            const uint64_t along = slice.axis == 0 ? r : c;
            if (along >= slice.begin && along < slice.end)
              count[slice.param][r * spec.cols() + c]++;
          }
        }
      }
    }
  }
  return count;
}

void ExpectSound(const ModelConfig& config, uint32_t k) {
  Partition partition;
  const Status s = PartitionModel(config, k, &partition);
  ASSERT_TRUE(s.ok()) << config.name << " k=" << k << ": " << s.ToString();
  ASSERT_EQ(partition.sections.size(), k);
  EXPECT_EQ(partition.total_params, config.NumParams());
  const std::vector<ParamSpec> specs = ModelParams(config);
  for (const Section& section : partition.sections) {
    uint64_t n = 0;
    for (const Piece& piece : section.pieces) {
      for (const ParamSlice& slice : PieceSlices(config, piece)) n += slice.NumElements(specs);
    }
    EXPECT_EQ(section.num_params, n);
    const double off = std::abs(static_cast<double>(section.num_params) - partition.target);
    EXPECT_LE(off, partition.imbalance * partition.target * (1 + 1e-12)) << partition.ToString();
    // A section is a run of whole atoms or a single shard.
    if (section.pieces.size() > 1) {
      for (const Piece& piece : section.pieces) EXPECT_EQ(piece.shards, 1u);
    }
  }
  const auto count = Coverage(config, partition);
  for (size_t p = 0; p < count.size(); ++p) {
    for (size_t e = 0; e < count[p].size(); ++e) {
      ASSERT_EQ(count[p][e], 1) << specs[p].name << "[" << e << "] with " << partition.ToString();
    }
  }
}

TEST(PartitionTest, TinyCoversEveryParameterOnceForEveryK) {
  const ModelConfig tiny = Preset("tiny");
  for (uint32_t k = 1; k <= 12; ++k) ExpectSound(tiny, k);
}

TEST(PartitionTest, DevnetCoversEveryParameterOnce) {
  const ModelConfig devnet = Preset("devnet");
  for (uint32_t k : {1u, 2u, 4u, 7u, 10u, 16u}) ExpectSound(devnet, k);
}

TEST(PartitionTest, Gpt2SmallIsBalanced) {
  const ModelConfig gpt2 = Preset("gpt2-small");
  Partition partition;
  ASSERT_TRUE(PartitionModel(gpt2, gpt2.sections, &partition).ok());
  EXPECT_LT(partition.imbalance, 0.15) << partition.ToString();
}

uint32_t ShardedSections(const Partition& partition, AtomKind kind) {
  uint32_t n = 0;
  for (const Section& section : partition.sections) {
    n += section.pieces[0].shards > 1 && section.pieces[0].kind == kind;
  }
  return n;
}

// A layer larger than P_total/k is split into parallel shards.
TEST(PartitionTest, LargeLayersAreSharded) {
  const ModelConfig gpt2 = Preset("gpt2-small");
  Partition partition;
  ASSERT_TRUE(PartitionModel(gpt2, 48, &partition).ok());  // more sections than its 26 atoms
  EXPECT_GT(ShardedSections(partition, AtomKind::kMlp), 0u) << partition.ToString();
  // The output head cannot be split, so the last section may be light; no
  // section is much heavier than the target.
  for (const Section& section : partition.sections) {
    EXPECT_LT(section.num_params, 1.35 * partition.target) << partition.ToString();
  }
}

TEST(PartitionTest, EmbeddingAttentionAndMlpCanAllBeSharded) {
  const ModelConfig tiny = Preset("tiny");
  ExpectSound(tiny, 24);  // tiny's 6 atoms into 24 sections
  Partition partition;
  ASSERT_TRUE(PartitionModel(tiny, 24, &partition).ok());
  EXPECT_GT(ShardedSections(partition, AtomKind::kEmbedding), 0u) << partition.ToString();
  EXPECT_GT(ShardedSections(partition, AtomKind::kAttention), 0u) << partition.ToString();
  EXPECT_GT(ShardedSections(partition, AtomKind::kMlp), 0u) << partition.ToString();
}

TEST(PartitionTest, IsDeterministic) {
  const ModelConfig devnet = Preset("devnet");
  Partition a, b;
  ASSERT_TRUE(PartitionModel(devnet, 7, &a).ok());
  ASSERT_TRUE(PartitionModel(devnet, 7, &b).ok());
  EXPECT_EQ(a.ToString(), b.ToString());
  for (size_t s = 0; s < a.sections.size(); ++s)
    EXPECT_EQ(a.sections[s].pieces, b.sections[s].pieces);
}

TEST(PartitionTest, RejectsImpossibleK) {
  const ModelConfig tiny = Preset("tiny");
  Partition partition;
  EXPECT_TRUE(PartitionModel(tiny, 0, &partition).IsInvalidArgument());
  // Every row, head and unit alone: V + 2·(NH + H) + 1 sections at most.
  const uint32_t most = 256 + 2 * (4 + 128) + 1;
  EXPECT_TRUE(PartitionModel(tiny, most, &partition).ok());
  EXPECT_TRUE(PartitionModel(tiny, most + 1, &partition).IsInvalidArgument());
}

TEST(PartitionTest, GatherThenScatterRestoresTheModel) {
  const ModelConfig tiny = Preset("tiny");
  Partition partition;
  ASSERT_TRUE(PartitionModel(tiny, 8, &partition).ok());
  const ParamValues initial = InitialParams(tiny);
  ParamValues rebuilt;
  for (const std::vector<float>& v : initial) rebuilt.emplace_back(v.size(), 0.0f);
  for (const Section& section : partition.sections) {
    const std::vector<float> flat = GatherSection(tiny, section, initial);
    ASSERT_EQ(flat.size(), section.num_params);
    ScatterSection(tiny, section, flat, &rebuilt);
  }
  EXPECT_EQ(rebuilt, initial);
}

TEST(PartitionTest, OpsTileTheSectionInRegionOrder) {
  const ModelConfig devnet = Preset("devnet");
  Partition partition;
  ASSERT_TRUE(PartitionModel(devnet, 3, &partition).ok());
  for (const Section& section : partition.sections) {
    uint64_t at = 0;
    uint32_t region = 0;
    for (const Op& op : SectionOps(devnet, section)) {
      EXPECT_EQ(op.param_offset, at);
      EXPECT_GE(op.region, region);
      at += op.param_count;
      region = op.region;
    }
    EXPECT_EQ(at, section.num_params);
  }
}

}  // namespace
}  // namespace cc::compute
