// Model export: the weights a chain committed, as a safetensors file that
// PyTorch and other tools read, and a JSON manifest that ties them to the
// block and state root they came from (issue 10 §7; doc/inference.md).
//
// <stem>.safetensors (the format of the safetensors project): an 8-byte
// little-endian header length N, N bytes of JSON (padded with spaces to a
// multiple of 8), then the tensors' bytes packed in header order. One F32
// tensor per parameter, named and shaped as compute/params.h's table ("wte"
// (V, C), "wpe" (T, C), "h.<l>.attn.w_qkv" (3C, C), …, "head.b" (V)), in that
// order; "__metadata__" holds "format": "pt" and "state_root".
//
// <stem>.json, the manifest:
//   format               "computecoin-model-export/1"
//   network, height, block_hash, state_root
//   config               the model configuration (compute/model_config.h's fields)
//   config_hash          ModelConfig::Hash()
//   safetensors          the tensor file's name (same folder)
//   safetensors_sha256   SHA-256 of its bytes
//   sections             per section s: weights_hash, optimizer_state_hash
//                        and slices [{param, axis, begin, end}] (PieceSlices,
//                        the order its flat weight vector is gathered in)
//
// Checking an export (CheckModelExport) needs nothing but the two files and
// the model configuration: for each section, gather its flat weight vector
// from the named tensors by its slices, encode it as one f32 tensor of shape
// (P_s) and hash it (compute/tensor.h); it must equal weights_hash; the leaf
// StateLeaf(s, weights_hash, optimizer_state_hash) of every section under
// MerkleRoot must equal state_root (compute/engine.h). The optimizer state is
// not exported (only its hash, which the state root needs). Whether that
// state root is the one the chain committed at block_hash is the caller's
// question (the verifymodelexport RPC asks its chain).

#ifndef COMPUTECOIN_NODE_MODEL_EXPORT_H
#define COMPUTECOIN_NODE_MODEL_EXPORT_H

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "chain/status.h"
#include "chain/uint256.h"
#include "compute/model_config.h"
#include "compute/params.h"
#include "consensus/consensus_state.h"

namespace cc {

/// What an export says about itself (the manifest's fields that matter).
struct ModelExportInfo {
  std::string network;
  uint32_t height = 0;
  Uint256 block_hash;
  Uint256 state_root;
  Uint256 config_hash;
  std::filesystem::path manifest;     //!< <stem>.json
  std::filesystem::path safetensors;  //!< <stem>.safetensors
  uint64_t tensor_bytes = 0;          //!< size of the safetensors file
};

/// Writes `params` (the weights of `tip`'s model) as <stem>.safetensors and
/// the manifest <stem>.json, each through a temporary file renamed into
/// place, so a crash leaves no half-written export under the final names.
/// Fills *info. Returns InvalidArgument if either file exists already (an
/// export never overwrites) or params are not shaped as ModelParams(config),
/// IOError if a file cannot be written.
/// REQUIRES: config.Validate().ok(); tip.sections has config.sections entries.
Status WriteModelExport(const std::filesystem::path& stem, const std::string& network,
                        const compute::ModelConfig& config, const ConsensusState& tip,
                        const compute::ParamValues& params, ModelExportInfo* info);

/// Reads the export whose manifest is `manifest` and checks it against
/// `config` as the file comment says. On success fills *info (the manifest's
/// claims, now proven to match the tensors) and *params (if not null).
/// Returns IOError if a file cannot be read; Corruption with the reason
/// for a malformed file, a checksum that does not match, a tensor missing or
/// misshapen, a section whose weights do not hash to its weights_hash, or a
/// state root that is not the manifest's; InvalidArgument if the export is
/// of another model (config_hash differs).
Status CheckModelExport(const std::filesystem::path& manifest, const compute::ModelConfig& config,
                        ModelExportInfo* info, compute::ParamValues* params);

}  // namespace cc

#endif  // COMPUTECOIN_NODE_MODEL_EXPORT_H
