#include "node/model_export.h"

#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <span>
#include <utility>

#include "chain/file_io.h"
#include "chain/hash.h"
#include "chain/hex.h"
#include "chain/merkle.h"
#include "compute/engine.h"
#include "compute/partition.h"
#include "compute/tensor.h"
#include "rpc/protocol.h"

namespace cc {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kFormat = "computecoin-model-export/1";
// A manifest and a safetensors header are small (a parameter name and shape
// per tensor); anything larger is not ours, and not worth parsing.
constexpr uint64_t kMaxHeaderBytes = 1 << 20;
constexpr uint64_t kMaxManifestBytes = 16 << 20;

Uint256 Sha256Of(std::span<const uint8_t> bytes) {
  Sha256 hasher;
  hasher.Write(bytes);
  return hasher.Finalize();
}

json ConfigJson(const compute::ModelConfig& c) {
  return json{{"name", c.name},
              {"n_layer", c.n_layer},
              {"d_model", c.d_model},
              {"n_head", c.n_head},
              {"d_mlp", c.d_mlp},
              {"context", c.context},
              {"vocab", compute::kVocab},
              {"sections", c.sections},
              {"optimizer", c.optimizer == compute::Optimizer::kAdamW ? "adamw" : "sgd"},
              {"layer_norm_eps", 1e-5},
              {"seed", c.seed}};
}

// The safetensors file of `params`: header, then each tensor's bytes.
std::vector<uint8_t> SafetensorsBytes(const std::vector<compute::ParamSpec>& specs,
                                      const compute::ParamValues& params,
                                      const Uint256& state_root) {
  json header = json::object();
  header["__metadata__"] = {{"format", "pt"}, {"state_root", state_root.ToHex()}};
  uint64_t offset = 0;
  for (size_t i = 0; i < specs.size(); ++i) {
    const uint64_t bytes = 4 * specs[i].NumElements();
    header[specs[i].name] = {
        {"dtype", "F32"}, {"shape", specs[i].shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::vector<uint8_t> out;
  out.reserve(8 + text.size() + offset);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(text.size() >> (8 * i)));
  out.insert(out.end(), text.begin(), text.end());
  for (const std::vector<float>& values : params) {
    // binary32 is stored little-endian, as in memory on every platform we build for.
    const auto* p = reinterpret_cast<const uint8_t*>(values.data());
    out.insert(out.end(), p, p + 4 * values.size());
  }
  return out;
}

// Parses a safetensors file into values shaped as `specs`, by name.
Status ParseSafetensors(std::span<const uint8_t> file, const std::vector<compute::ParamSpec>& specs,
                        compute::ParamValues* out) {
  if (file.size() < 8) return Status::Corruption("safetensors file is shorter than its header");
  uint64_t header_len = 0;
  for (int i = 0; i < 8; ++i) header_len |= static_cast<uint64_t>(file[i]) << (8 * i);
  if (header_len > kMaxHeaderBytes || header_len > file.size() - 8)
    return Status::Corruption("safetensors header length is out of range");
  const std::span<const uint8_t> data = file.subspan(8 + header_len);
  json header;
  const std::string_view text(reinterpret_cast<const char*>(file.data()) + 8, header_len);
  if (!rpc::ParseJsonBody(text, &header).ok() || !header.is_object()) return Status::Corruption("safetensors header is not a JSON object");
  out->clear();
  for (const compute::ParamSpec& spec : specs) {
    const auto it = header.find(spec.name);
    if (it == header.end()) return Status::Corruption("tensor " + spec.name + " is missing");
    const json& entry = *it;
    if (!entry.is_object() || rpc::FieldOr<std::string>(entry, "dtype", "") != "F32")
      return Status::Corruption("tensor " + spec.name + " is not F32");
    const json shape = entry.value("shape", json());
    if (!shape.is_array() || shape.size() != spec.shape.size())
      return Status::Corruption("tensor " + spec.name + " has the wrong shape");
    for (size_t d = 0; d < shape.size(); ++d) {
      if (!shape[d].is_number_unsigned() || shape[d].get<uint64_t>() != spec.shape[d])
        return Status::Corruption("tensor " + spec.name + " has the wrong shape");
    }
    const json offsets = entry.value("data_offsets", json());
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned())
      return Status::Corruption("tensor " + spec.name + " has malformed data_offsets");
    const uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
    if (begin > end || end > data.size() || end - begin != 4 * spec.NumElements())
      return Status::Corruption("tensor " + spec.name + " lies outside the file");
    std::vector<float> values(spec.NumElements());
    std::memcpy(values.data(), data.data() + begin, end - begin);
    out->push_back(std::move(values));
  }
  return Status::OK();
}

// The hash of section s's weights gathered from `params`, as the engine commits it.
Uint256 SectionWeightsHash(const compute::ModelConfig& config, const compute::Section& section,
                           const compute::ParamValues& params) {
  const std::vector<float> flat = compute::GatherSection(config, section, params);
  const uint64_t shape[] = {flat.size()};
  return compute::EncodeFloats(flat, shape, compute::Codec::kFloat32).Hash();
}

std::optional<Uint256> HashField(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return Uint256::FromHex(it->get<std::string>());
}

}  // namespace

Status WriteModelExport(const fs::path& stem, const std::string& network,
                        const compute::ModelConfig& config, const ConsensusState& tip,
                        const compute::ParamValues& params, ModelExportInfo* info) {
  const std::vector<compute::ParamSpec> specs = compute::ModelParams(config);
  if (params.size() != specs.size())
    return Status::InvalidArgument("parameters do not match the model");
  for (size_t i = 0; i < specs.size(); ++i) {
    if (params[i].size() != specs[i].NumElements())
      return Status::InvalidArgument("parameter " + specs[i].name + " is misshapen");
  }
  compute::Partition partition;
  Status s = compute::PartitionModel(config, config.sections, &partition);
  if (!s.ok()) return s;
  if (tip.sections.size() != partition.sections.size())
    return Status::InvalidArgument("the state's sections do not match the model");

  ModelExportInfo result;
  result.network = network;
  result.height = tip.height;
  result.block_hash = tip.block_hash;
  result.state_root = tip.StateRoot();
  result.config_hash = config.Hash();
  result.manifest = stem.string() + ".json";
  result.safetensors = stem.string() + ".safetensors";
  for (const fs::path& path : {result.manifest, result.safetensors}) {
    std::error_code ec;
    if (fs::exists(path, ec) || ec)
      return Status::InvalidArgument(path.string() + " exists already");
  }

  const std::vector<uint8_t> tensors = SafetensorsBytes(specs, params, result.state_root);
  result.tensor_bytes = tensors.size();
  json sections = json::array();
  for (size_t i = 0; i < partition.sections.size(); ++i) {
    json slices = json::array();
    for (const compute::Piece& piece : partition.sections[i].pieces) {
      for (const compute::ParamSlice& slice : compute::PieceSlices(config, piece)) {
        slices.push_back({{"param", specs[slice.param].name},
                          {"axis", slice.axis},
                          {"begin", slice.begin},
                          {"end", slice.end}});
      }
    }
    sections.push_back({{"weights_hash", tip.sections[i].weights.ToHex()},
                        {"optimizer_state_hash", tip.sections[i].optimizer_state.ToHex()},
                        {"slices", std::move(slices)}});
  }
  const json manifest{{"format", kFormat},
                      {"network", network},
                      {"height", tip.height},
                      {"block_hash", tip.block_hash.ToHex()},
                      {"state_root", result.state_root.ToHex()},
                      {"config", ConfigJson(config)},
                      {"config_hash", result.config_hash.ToHex()},
                      {"safetensors", result.safetensors.filename().string()},
                      {"safetensors_sha256", Sha256Of(tensors).ToHex()},
                      {"sections", std::move(sections)}};
  // The tensors first: a manifest names a file that is complete.
  s = WriteFileAtomically(result.safetensors, tensors);
  if (!s.ok()) return s;
  s = WriteFileAtomically(result.manifest, manifest.dump(2) + "\n");
  if (!s.ok()) return s;
  *info = std::move(result);
  return Status::OK();
}

Status CheckModelExport(const fs::path& manifest_path, const compute::ModelConfig& config,
                        ModelExportInfo* info, compute::ParamValues* params) {
  std::vector<uint8_t> manifest_bytes;
  Status s = ReadFileLimited(manifest_path, kMaxManifestBytes, &manifest_bytes);
  if (!s.ok()) return s;
  json manifest;
  const std::string_view text(reinterpret_cast<const char*>(manifest_bytes.data()),
                              manifest_bytes.size());
  if (!rpc::ParseJsonBody(text, &manifest).ok() ||
      rpc::FieldOr<std::string>(manifest, "format", "") != kFormat)
    return Status::Corruption(manifest_path.string() + " is not a " + kFormat + " manifest");

  ModelExportInfo result;
  result.manifest = manifest_path;
  const std::optional<Uint256> block_hash = HashField(manifest, "block_hash");
  const std::optional<Uint256> state_root = HashField(manifest, "state_root");
  const std::optional<Uint256> config_hash = HashField(manifest, "config_hash");
  const std::optional<Uint256> file_sha256 = HashField(manifest, "safetensors_sha256");
  const json network = manifest.value("network", json());
  const json height = manifest.value("height", json());
  const json file_name = manifest.value("safetensors", json());
  const json sections = manifest.value("sections", json());
  if (!block_hash || !state_root || !config_hash || !file_sha256 || !network.is_string() ||
      !height.is_number_unsigned() || height.get<uint64_t>() > UINT32_MAX ||
      !file_name.is_string() || !sections.is_array())
    return Status::Corruption("manifest lacks a field or has a malformed one");
  // The tensor file must sit beside the manifest: a name, not a path.
  const fs::path name = file_name.get<std::string>();
  if (name.empty() || name != name.filename() || name == "." || name == "..")
    return Status::Corruption("manifest's safetensors is not a file name");
  result.network = network.get<std::string>();
  result.height = static_cast<uint32_t>(height.get<uint64_t>());
  result.block_hash = *block_hash;
  result.state_root = *state_root;
  result.config_hash = *config_hash;
  result.safetensors = manifest_path.parent_path() / name;
  if (result.config_hash != config.Hash())
    return Status::InvalidArgument("the export is of another model (config_hash " +
                                   result.config_hash.ToHex() + ")");

  compute::Partition partition;
  s = compute::PartitionModel(config, config.sections, &partition);
  if (!s.ok()) return s;
  if (sections.size() != partition.sections.size())
    return Status::Corruption("manifest has " + std::to_string(sections.size()) +
                              " sections, the model " +
                              std::to_string(partition.sections.size()));

  std::vector<uint8_t> tensors;
  const uint64_t expected_bytes = 8 + kMaxHeaderBytes + 4 * config.NumParams();
  s = ReadFileLimited(result.safetensors, expected_bytes, &tensors);
  if (!s.ok()) return s;
  if (Sha256Of(tensors) != *file_sha256)
    return Status::Corruption(result.safetensors.string() + " does not match safetensors_sha256");
  result.tensor_bytes = tensors.size();
  compute::ParamValues values;
  s = ParseSafetensors(tensors, compute::ModelParams(config), &values);
  if (!s.ok()) return s;

  std::vector<Uint256> leaves;
  for (uint32_t i = 0; i < partition.sections.size(); ++i) {
    const std::optional<Uint256> weights = HashField(sections[i], "weights_hash");
    const std::optional<Uint256> optimizer = HashField(sections[i], "optimizer_state_hash");
    if (!weights || !optimizer)
      return Status::Corruption("section " + std::to_string(i) + " lacks its hashes");
    if (SectionWeightsHash(config, partition.sections[i], values) != *weights)
      return Status::Corruption("section " + std::to_string(i) +
                                "'s weights do not hash to its weights_hash");
    leaves.push_back(compute::StateLeaf(i, *weights, *optimizer));
  }
  if (MerkleRoot(leaves) != result.state_root)
    return Status::Corruption("the sections do not make the manifest's state_root");
  *info = std::move(result);
  if (params) *params = std::move(values);
  return Status::OK();
}

}  // namespace cc
