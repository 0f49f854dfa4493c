// A small model's initial weights as a model export (node/model_export.h),
// for node_tests, the model_export fuzz target and its seed corpus
// (make_corpus.cpp), which must agree byte for byte on the export the corpus
// was made from. Header-only: only binaries that link cc_node include it.
//
// Thread safety: pure functions of their arguments (and the files they write).

#ifndef COMPUTECOIN_TESTS_UTIL_MODEL_EXPORT_SAMPLE_H
#define COMPUTECOIN_TESTS_UTIL_MODEL_EXPORT_SAMPLE_H

#include <cstdint>
#include <filesystem>
#include <vector>

#include "chain/hash.h"
#include "compute/model_config.h"
#include "compute/params.h"
#include "compute/partition.h"
#include "compute/tensor.h"
#include "consensus/consensus_state.h"
#include "node/model_export.h"

namespace cc::fuzz {

/// One layer of width 8 in two sections: about 20 KB of weights, small
/// enough that a mutant is checked in well under a millisecond.
inline compute::ModelConfig SampleExportConfig() {
  compute::ModelConfig c;
  c.name = "fuzz";
  c.n_layer = 1;
  c.d_model = 8;
  c.n_head = 2;
  c.d_mlp = 16;
  c.context = 4;
  c.batch = 1;
  c.lanes = 1;
  c.sections = 2;
  c.lr = c.lr_min = 0.01f;
  c.optimizer = compute::Optimizer::kSgd;
  c.seed = 7;
  return c;
}

/// Writes the export of SampleExportConfig()'s initial weights as
/// <stem>.json and <stem>.safetensors. Returns WriteModelExport's status.
inline Status WriteSampleModelExport(const std::filesystem::path& stem, ModelExportInfo* info) {
  const compute::ModelConfig config = SampleExportConfig();
  Status s = config.Validate();
  if (!s.ok()) return s;
  compute::Partition partition;
  s = compute::PartitionModel(config, config.sections, &partition);
  if (!s.ok()) return s;
  const compute::ParamValues params = compute::InitialParams(config);
  ConsensusState tip;
  tip.height = 12;
  tip.block_hash = Sha256Hash(std::vector<uint8_t>{1, 2, 3});
  for (const compute::Section& section : partition.sections) {
    const std::vector<float> flat = compute::GatherSection(config, section, params);
    const uint64_t shape[] = {flat.size()};
    SectionState state;
    state.weights = compute::EncodeFloats(flat, shape, compute::Codec::kFloat32).Hash();
    state.optimizer_state = Sha256Hash(std::vector<uint8_t>{});
    tip.sections.push_back(state);
  }
  return WriteModelExport(stem, "regtest", config, tip, params, info);
}

}  // namespace cc::fuzz

#endif  // COMPUTECOIN_TESTS_UTIL_MODEL_EXPORT_SAMPLE_H
