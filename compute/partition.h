// Partition: the model's parameters cut into k sections of ≈ P_total/k each
// (whitepaper eq. 3–4), deterministically from the configuration.
//
// The model is a chain of atoms, each a residual function of the stream h:
//   EMB, ATT(0), MLP(0), ATT(1), MLP(1), …, ATT(L−1), MLP(L−1), HEAD
// A section is either a run of consecutive whole atoms, or one parallel shard
// of a single atom that is split because it is large next to P_total/k:
//   EMB  by vocabulary rows   shard g: wte rows [v0, v1) (+ wpe if v0 = 0)
//   ATT  by heads             shard g: q, k, v rows and w_proj columns of its
//                             heads (+ b_proj if it holds head 0)
//   MLP  by hidden units      shard g: w_fc rows and w_proj columns of its
//                             units (+ b_proj if it holds unit 0)
//   HEAD is never split: its softmax couples every vocabulary row.
// Shard ranges are equal splits: shard g of n over R gets [⌊gR/n⌋, ⌊(g+1)R/n⌋).
// Shards of an atom sum to the whole: each adds its part of the atom's output
// to the stream (shard 0 also carries the stream itself), and the parts
// together are exactly the whole atom's output.
//
// Among all such partitions into exactly k sections, PartitionModel picks the
// one with the least Σ P_s² (the most even), found by dynamic programming over
// (atoms placed, sections used); ties go to the first found in a fixed order,
// so every node computes the same partition.
//
// A section's weights are one flat vector: its pieces in order, each piece's
// parameter slices (PieceSlices) row-major, one after another. Ops (SectionOps)
// list the computations of a section in order, each owning a contiguous range
// of that vector.
//
// Thread safety: values and free functions without shared state.

#ifndef COMPUTECOIN_COMPUTE_PARTITION_H
#define COMPUTECOIN_COMPUTE_PARTITION_H

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "chain/status.h"
#include "compute/model_config.h"
#include "compute/params.h"

namespace cc::compute {

enum class AtomKind : uint8_t { kEmbedding = 0, kAttention = 1, kMlp = 2, kHead = 3 };

/// One atom, or one shard of it.
struct Piece {
  AtomKind kind = AtomKind::kEmbedding;
  uint32_t layer = 0;   //!< ATT/MLP: the block; 0 otherwise
  uint32_t shard = 0;   //!< 0 .. shards−1
  uint32_t shards = 1;  //!< 1 for a whole atom
  uint64_t begin = 0;   //!< owned range of vocabulary rows (EMB), heads (ATT) or
  uint64_t end = 0;     //!<   hidden units (MLP); [0, V) for HEAD

  bool operator==(const Piece&) const = default;
};

/// A block of one model parameter: rows [begin, end) (axis 0) or columns
/// [begin, end) (axis 1, rank-2 parameters only).
struct ParamSlice {
  uint32_t param = 0;  //!< index into ModelParams()
  uint8_t axis = 0;
  uint64_t begin = 0;
  uint64_t end = 0;

  /// The slice's shape: (end−begin, cols), (rows, end−begin) or (end−begin).
  std::vector<uint64_t> Shape(const std::vector<ParamSpec>& specs) const;
  uint64_t NumElements(const std::vector<ParamSpec>& specs) const;
};

struct Section {
  std::vector<Piece> pieces;  //!< consecutive whole atoms, or one shard
  uint64_t num_params = 0;    //!< P_s
};

struct Partition {
  std::vector<Section> sections;  //!< k sections in model order
  uint64_t total_params = 0;      //!< P_total
  double target = 0;              //!< P_total / k
  double imbalance = 0;           //!< max_s |P_s − target| / target

  /// e.g. "k=3 target=14101 imbalance=0.21 sizes=[13056 16896 12352]"
  std::string ToString() const;
};

/// Cuts the model `config` describes into exactly k sections (file comment).
/// Returns InvalidArgument when k is 0 or larger than the model can be cut
/// into (every atom split as far as its granularity allows), with *out unchanged.
/// REQUIRES: config.Validate().ok().
Status PartitionModel(const ModelConfig& config, uint32_t k, Partition* out);

/// The parameter slices of one piece, in the order they sit in the section:
///   EMB  wte rows [v0,v1); wpe (if v0 = 0)
///   ATT  w_qkv rows of its heads' q, k, v (3 slices); b_qv rows of q, v (2);
///        w_proj columns of its heads; b_proj (if it holds head 0)
///   MLP  w_fc rows; b_fc range; w_proj columns; b_proj (if it holds unit 0)
///   HEAD head.w; head.b
std::vector<ParamSlice> PieceSlices(const ModelConfig& config, const Piece& piece);

/// The computations of a section, in order. Region r is the part of the
/// network between the attention of layer r−1 and that of layer r (region 0
/// ends at layer 0's attention, region L follows the last one).
enum class OpKind : uint8_t {
  kEmbed = 0,    //!< region 0: tokens → stream
  kAttnIn = 1,   //!< region l: stream → LN → q, k, v of layer l (its heads)
  kAttnOut = 2,  //!< region l+1: stream + attention output → stream (projection)
  kMlp = 3,      //!< region l+1: stream → stream + MLP(LN(stream))
  kHead = 4,     //!< region L: stream → LN → logits → loss
};
struct Op {
  OpKind kind = OpKind::kEmbed;
  uint32_t piece = 0;  //!< index into the section's pieces
  uint32_t region = 0;
  uint32_t first_slice = 0;  //!< into PieceSlices(piece)
  uint32_t num_slices = 0;
  uint64_t param_offset = 0;  //!< into the section's flat weight vector
  uint64_t param_count = 0;
};
std::vector<Op> SectionOps(const ModelConfig& config, const Section& section);

/// Section s's flat weight vector, gathered from whole-model values.
/// REQUIRES: full holds every parameter of ModelParams(config).
std::vector<float> GatherSection(const ModelConfig& config, const Section& section,
                                 const ParamValues& full);
/// Writes a section's flat vector back into whole-model values.
/// REQUIRES: flat.size() == section.num_params; *full shaped as ModelParams(config).
void ScatterSection(const ModelConfig& config, const Section& section, std::span<const float> flat,
                    ParamValues* full);

}  // namespace cc::compute

#endif  // COMPUTECOIN_COMPUTE_PARTITION_H
