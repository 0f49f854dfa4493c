#include "compute/partition.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

namespace cc::compute {

std::vector<uint64_t> ParamSlice::Shape(const std::vector<ParamSpec>& specs) const {
  const ParamSpec& spec = specs[param];
  if (spec.shape.size() == 1) return {end - begin};
  if (axis == 0) return {end - begin, spec.cols()};
  return {spec.rows(), end - begin};
}

uint64_t ParamSlice::NumElements(const std::vector<ParamSpec>& specs) const {
  uint64_t n = 1;
  for (uint64_t d : Shape(specs)) n *= d;
  return n;
}

std::string Partition::ToString() const {
  std::ostringstream out;
  out << "k=" << sections.size() << " target=" << static_cast<uint64_t>(target)
      << " imbalance=" << imbalance << " sizes=[";
  for (size_t s = 0; s < sections.size(); ++s) out << (s ? " " : "") << sections[s].num_params;
  out << "]";
  return out.str();
}

std::vector<ParamSlice> PieceSlices(const ModelConfig& config, const Piece& piece) {
  const uint64_t c = config.d_model, hs = config.head_size();
  const uint8_t rows = 0, cols = 1;
  std::vector<ParamSlice> slices;
  switch (piece.kind) {
    case AtomKind::kEmbedding:
      slices.push_back({kParamWte, rows, piece.begin, piece.end});
      if (piece.begin == 0) slices.push_back({kParamWpe, rows, 0, config.context});
      break;
    case AtomKind::kAttention: {
      const uint64_t b = piece.begin * hs, e = piece.end * hs;
      const uint32_t w_qkv = BlockParamIndex(piece.layer, BlockParam::kAttnWQkv);
      const uint32_t b_qv = BlockParamIndex(piece.layer, BlockParam::kAttnBQv);
      for (uint64_t part = 0; part < 3; ++part) {  // q, k, v
        slices.push_back({w_qkv, rows, part * c + b, part * c + e});
      }
      for (uint64_t part = 0; part < 2; ++part) {  // q, v
        slices.push_back({b_qv, rows, part * c + b, part * c + e});
      }
      slices.push_back({BlockParamIndex(piece.layer, BlockParam::kAttnWProj), cols, b, e});
      if (piece.begin == 0) {
        slices.push_back({BlockParamIndex(piece.layer, BlockParam::kAttnBProj), rows, 0, c});
      }
      break;
    }
    case AtomKind::kMlp:
      slices.push_back(
          {BlockParamIndex(piece.layer, BlockParam::kMlpWFc), rows, piece.begin, piece.end});
      slices.push_back(
          {BlockParamIndex(piece.layer, BlockParam::kMlpBFc), rows, piece.begin, piece.end});
      slices.push_back(
          {BlockParamIndex(piece.layer, BlockParam::kMlpWProj), cols, piece.begin, piece.end});
      if (piece.begin == 0) {
        slices.push_back({BlockParamIndex(piece.layer, BlockParam::kMlpBProj), rows, 0, c});
      }
      break;
    case AtomKind::kHead:
      slices.push_back({HeadWeightIndex(config), rows, 0, kVocab});
      slices.push_back({HeadBiasIndex(config), rows, 0, kVocab});
      break;
  }
  return slices;
}

std::vector<Op> SectionOps(const ModelConfig& config, const Section& section) {
  const std::vector<ParamSpec> specs = ModelParams(config);
  std::vector<Op> ops;
  uint64_t offset = 0;
  auto add = [&](OpKind kind, uint32_t piece, uint32_t region, uint32_t first, uint32_t count,
                 const std::vector<ParamSlice>& slices) {
    uint64_t n = 0;
    for (uint32_t i = first; i < first + count; ++i) n += slices[i].NumElements(specs);
    ops.push_back({kind, piece, region, first, count, offset, n});
    offset += n;
  };
  for (uint32_t p = 0; p < section.pieces.size(); ++p) {
    const Piece& piece = section.pieces[p];
    const std::vector<ParamSlice> slices = PieceSlices(config, piece);
    const auto n = static_cast<uint32_t>(slices.size());
    switch (piece.kind) {
      case AtomKind::kEmbedding:
        add(OpKind::kEmbed, p, 0, 0, n, slices);
        break;
      case AtomKind::kAttention:
        add(OpKind::kAttnIn, p, piece.layer, 0, 5, slices);
        add(OpKind::kAttnOut, p, piece.layer + 1, 5, n - 5, slices);
        break;
      case AtomKind::kMlp:
        add(OpKind::kMlp, p, piece.layer + 1, 0, n, slices);
        break;
      case AtomKind::kHead:
        add(OpKind::kHead, p, config.n_layer, 0, n, slices);
        break;
    }
  }
  return ops;
}

namespace {

// The atoms in model order.
std::vector<Piece> Atoms(const ModelConfig& config) {
  std::vector<Piece> atoms;
  atoms.push_back({AtomKind::kEmbedding, 0, 0, 1, 0, kVocab});
  for (uint32_t l = 0; l < config.n_layer; ++l) {
    atoms.push_back({AtomKind::kAttention, l, 0, 1, 0, config.n_head});
    atoms.push_back({AtomKind::kMlp, l, 0, 1, 0, config.d_mlp});
  }
  atoms.push_back({AtomKind::kHead, 0, 0, 1, 0, kVocab});
  return atoms;
}

// How many shards an atom may be cut into: one per row, head or unit.
uint64_t MaxShards(const Piece& atom) { return atom.kind == AtomKind::kHead ? 1 : atom.end; }

Piece Shard(const Piece& atom, uint32_t g, uint32_t n) {
  Piece piece = atom;
  piece.shard = g;
  piece.shards = n;
  piece.begin = atom.end * g / n;
  piece.end = atom.end * (g + 1) / n;
  return piece;
}

uint64_t PieceParams(const ModelConfig& config, const std::vector<ParamSpec>& specs,
                     const Piece& piece) {
  uint64_t n = 0;
  for (const ParamSlice& slice : PieceSlices(config, piece)) n += slice.NumElements(specs);
  return n;
}

// Σ P_g² over the n equal shards of `atom`, in O(1): a shard of m rows (heads,
// units) holds m·per_row parameters, plus `extra` for the shard that starts
// at 0; the ⌊gR/n⌋ boundaries give R mod n shards of ⌈R/n⌉ and the rest ⌊R/n⌋,
// shard 0 being one of the short ones. Agrees with PieceParams by construction
// of PieceSlices (partition_test checks the result).
double ShardCost(const ModelConfig& config, const Piece& atom, uint64_t n) {
  const double c = config.d_model, hs = config.head_size();
  double per_row = 0, extra = 0;
  switch (atom.kind) {
    case AtomKind::kEmbedding:
      per_row = c;
      extra = config.context * c;
      break;
    case AtomKind::kAttention:
      per_row = 3 * hs * c + 2 * hs + c * hs;
      extra = c;
      break;
    case AtomKind::kMlp:
      per_row = 2 * c + 1;
      extra = c;
      break;
    case AtomKind::kHead:
      return 0;  // never sharded
  }
  const uint64_t rows = atom.end, q = rows / n, long_shards = rows % n;
  const double short_size = static_cast<double>(q) * per_row;
  const double long_size = short_size + per_row;
  const double first = short_size + extra;
  return first * first + static_cast<double>(n - 1 - long_shards) * short_size * short_size +
         static_cast<double>(long_shards) * long_size * long_size;
}

}  // namespace

Status PartitionModel(const ModelConfig& config, uint32_t k, Partition* out) {
  const std::vector<ParamSpec> specs = ModelParams(config);
  const std::vector<Piece> atoms = Atoms(config);
  const size_t num_atoms = atoms.size();
  uint64_t max_sections = 0;
  for (const Piece& atom : atoms) max_sections += MaxShards(atom);
  if (k == 0 || k > max_sections) {
    return Status::InvalidArgument("cannot cut the model into " + std::to_string(k) +
                                   " sections (at most " + std::to_string(max_sections) + ")");
  }

  std::vector<uint64_t> size(num_atoms);
  for (size_t a = 0; a < num_atoms; ++a) size[a] = PieceParams(config, specs, atoms[a]);

  // cost[i][j]: least Σ P_s² placing atoms [0, i) into j sections; how[i][j]
  // the last move: a run of whole atoms [from, i) (shards = 0), or atom i−1
  // cut into `shards` ≥ 2 pieces.
  struct Move {
    size_t from = 0;
    uint32_t shards = 0;
  };
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<std::vector<double>> cost(num_atoms + 1, std::vector<double>(k + 1, inf));
  std::vector<std::vector<Move>> how(num_atoms + 1, std::vector<Move>(k + 1));
  cost[0][0] = 0;
  for (size_t i = 0; i < num_atoms; ++i) {
    for (uint32_t j = 0; j < k; ++j) {
      if (cost[i][j] == inf) continue;
      double run = 0;
      for (size_t e = i + 1; e <= num_atoms; ++e) {
        run += static_cast<double>(size[e - 1]);
        const double c = cost[i][j] + run * run;
        if (c < cost[e][j + 1]) {
          cost[e][j + 1] = c;
          how[e][j + 1] = {i, 0};
        }
      }
      const uint64_t most = std::min<uint64_t>(MaxShards(atoms[i]), k - j);
      for (uint32_t n = 2; n <= most; ++n) {
        const double c = cost[i][j] + ShardCost(config, atoms[i], n);
        if (c < cost[i + 1][j + n]) {
          cost[i + 1][j + n] = c;
          how[i + 1][j + n] = {i, n};
        }
      }
    }
  }
  if (cost[num_atoms][k] == inf) {
    return Status::InvalidArgument("no partition into " + std::to_string(k) + " sections");
  }

  // Walk the moves back from (all atoms, k sections).
  std::vector<Section> reversed;
  for (size_t i = num_atoms, j = k; i > 0;) {
    const Move move = how[i][j];
    if (move.shards == 0) {
      Section section;
      for (size_t a = move.from; a < i; ++a) section.pieces.push_back(atoms[a]);
      reversed.push_back(std::move(section));
      j -= 1;
    } else {
      for (uint32_t g = move.shards; g-- > 0;) {
        reversed.push_back(Section{{Shard(atoms[move.from], g, move.shards)}, 0});
      }
      j -= move.shards;
    }
    i = move.from;
  }

  Partition partition;
  partition.sections.assign(reversed.rbegin(), reversed.rend());
  for (Section& section : partition.sections) {
    for (const Piece& piece : section.pieces)
      section.num_params += PieceParams(config, specs, piece);
    partition.total_params += section.num_params;
  }
  partition.target = static_cast<double>(partition.total_params) / k;
  for (const Section& section : partition.sections) {
    const double off = std::abs(static_cast<double>(section.num_params) - partition.target);
    partition.imbalance = std::max(partition.imbalance, off / partition.target);
  }
  *out = std::move(partition);
  return Status::OK();
}

namespace {

// Calls fn(flat_index, full_index) for every element of `slice`, in the
// slice's row-major order.
template <typename Fn>
void ForEachElement(const ParamSpec& spec, const ParamSlice& slice, Fn&& fn, uint64_t* flat) {
  const uint64_t cols = spec.cols();
  if (slice.axis == 0) {
    for (uint64_t i = slice.begin * cols; i < slice.end * cols; ++i) fn((*flat)++, i);
    return;
  }
  for (uint64_t r = 0; r < spec.rows(); ++r) {
    for (uint64_t col = slice.begin; col < slice.end; ++col) fn((*flat)++, r * cols + col);
  }
}

}  // namespace

std::vector<float> GatherSection(const ModelConfig& config, const Section& section,
                                 const ParamValues& full) {
  const std::vector<ParamSpec> specs = ModelParams(config);
  std::vector<float> flat(section.num_params);
  uint64_t at = 0;
  for (const Piece& piece : section.pieces) {
    for (const ParamSlice& slice : PieceSlices(config, piece)) {
      const std::vector<float>& src = full[slice.param];
      ForEachElement(
          specs[slice.param], slice, [&](uint64_t f, uint64_t i) { flat[f] = src[i]; }, &at);
    }
  }
  return flat;
}

void ScatterSection(const ModelConfig& config, const Section& section, std::span<const float> flat,
                    ParamValues* full) {
  const std::vector<ParamSpec> specs = ModelParams(config);
  uint64_t at = 0;
  for (const Piece& piece : section.pieces) {
    for (const ParamSlice& slice : PieceSlices(config, piece)) {
      std::vector<float>& dst = (*full)[slice.param];
      ForEachElement(
          specs[slice.param], slice, [&](uint64_t f, uint64_t i) { dst[i] = flat[f]; }, &at);
    }
  }
}

}  // namespace cc::compute
