// Datasets: what the model trains on, derived identically by every node.
//
// Two kinds:
//   kAddition  n-digit addition generated from a seed, one problem per line:
//              operands zero-padded to n digits, the sum without padding,
//              e.g. "123+456=579\n", "007+045=52\n", "999+999=1998\n".
//              Nothing is stored: the manifest names the generator.
//   kText      the bytes of any file (-dataset=PATH), at most kMaxTextBytes.
//
// Chunks and manifest (whitepaper §3.3: the dataset in a distributed store).
// A kText dataset is cut into kChunkSize-byte chunks (the last may be
// shorter); chunk id = TaggedHash(tags::kDataChunk, chunk bytes).
//   DatasetManifest = kind:u8 digits:u32 size:u64 chunks:vector<Uint256>
// kAddition has digits in [1, kMaxAdditionDigits], size 0 and no chunks; kText
// has digits 0, size in [1, kMaxTextBytes] and ceil(size / kChunkSize) chunks.
// Decoding rejects anything else ("bad-dataset-kind", "bad-dataset-manifest").
//   Root() = MerkleRoot([TaggedHash(kDataManifestTag, kind‖digits‖size),
//                        chunk 0, chunk 1, ...])          (chain/merkle.h)
// Genesis commits to Root(); a chunk fetched from any peer is checked with the
// Merkle proof of leaf i+1 against it.
//
// Batches. The batch of (step, lane) is a pure function of the dataset's
// content and BatchSpec{seed, step, lane, rows B, context T}: B rows of T+1
// bytes; inputs are bytes [0, T) of a row, targets bytes [1, T+1), and the
// mask is 1 where a target's loss counts. With the counter hash
//   D(tag, fields...) = first 8 bytes, little-endian, of TaggedHash(tag, fields
//                       serialized as listed: u64 or u32 little-endian)
// row r is built as follows.
//   kAddition: problems are appended to the row until it holds T+1 bytes,
//     and the row is cut there. Problem k of row r is drawn as
//       h = TaggedHash(kDataSampleTag, seed:u64 step:u64 lane:u32 r:u32 k:u32 j:u32)
//       a = LE64(h[0..8)) mod 10^n,  b = LE64(h[8..16)) mod 10^n
//     for j = 0, 1, ... until (a, b) is not held out. The mask is 1 where the
//     target is an answer token: a sum digit or the newline after it.
//   kText: the row is the T+1 bytes at offset
//       D(kDataSampleTag, seed:u64 step:u64 lane:u32 r:u32) mod (size − T)
//     and the mask is all ones.
//
// Held-out split (kAddition). Problem (a, b) of n digits is held out iff
//   D(kDataSplitTag, n:u32 a:u64 b:u64) mod kHeldOutOneIn == 0,
// independent of the seed, so no training batch of any run contains it.
// HeldOutProblems(n, count, seed) draws candidates i = 0, 1, ... as
//   h = TaggedHash(kDataEvalTag, seed:u64 n:u32 i:u64), a and b as above,
// keeping held-out ones not already kept.
//
// Thread safety: values; a const Dataset may be shared between threads.

#ifndef COMPUTECOIN_COMPUTE_DATASET_H
#define COMPUTECOIN_COMPUTE_DATASET_H

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chain/serialize.h"
#include "chain/status.h"
#include "chain/uint256.h"
#include "compute/tensor.h"

namespace cc::compute {

// Tags of the hashes above (chain/hash.h keeps the chain's own; these are
// the data's).
inline constexpr std::string_view kDataManifestTag = "Computecoin/DataManifest";
inline constexpr std::string_view kDataSampleTag = "Computecoin/DataSample";
inline constexpr std::string_view kDataSplitTag = "Computecoin/DataSplit";
inline constexpr std::string_view kDataEvalTag = "Computecoin/DataEval";

inline constexpr uint64_t kChunkSize = 64 * 1024;
inline constexpr uint64_t kMaxTextBytes = uint64_t{1} << 30;
/// n ≤ 9 keeps a + b far from overflow and a line within 31 bytes.
inline constexpr uint32_t kMaxAdditionDigits = 9;
/// One problem in kHeldOutOneIn is reserved for evaluation (~31k of 10^6 at n = 3).
inline constexpr uint64_t kHeldOutOneIn = 32;
/// Most problems one HeldOutProblems call returns.
inline constexpr uint64_t kMaxHeldOutProblems = uint64_t{1} << 20;
/// Largest B·T a batch may have.
inline constexpr uint64_t kMaxBatchTokens = uint64_t{1} << 24;

enum class DatasetKind : uint8_t {
  kAddition = 1,
  kText = 2,
};

struct DatasetManifest {
  DatasetKind kind = DatasetKind::kAddition;
  uint32_t digits = 0;          //!< kAddition: operand digits n, e.g. 3; kText: 0
  uint64_t size = 0;            //!< kText: total bytes; kAddition: 0
  std::vector<Uint256> chunks;  //!< kText: chunk ids in order; kAddition: empty

  bool operator==(const DatasetManifest&) const = default;

  /// The root genesis commits to (file comment).
  Uint256 Root() const;
};
/// Get checks the rules in the file comment and throws DecodeError on failure.
void Put(Writer& w, const DatasetManifest& m);
void Get(Reader& r, DatasetManifest& m);

/// Which rows of which step a lane trains on, and their shape.
struct BatchSpec {
  uint64_t seed = 0;  //!< the model configuration's seed
  uint64_t step = 0;
  uint32_t lane = 0;
  uint32_t rows = 0;     //!< B, e.g. 64
  uint32_t context = 0;  //!< T, e.g. 16
};

struct Batch {
  uint32_t rows = 0;             //!< B
  uint32_t context = 0;          //!< T
  std::vector<uint8_t> inputs;   //!< (B, T) token ids, row-major
  std::vector<uint8_t> targets;  //!< (B, T) the next token after each input
  std::vector<uint8_t> mask;     //!< (B, T) 1 where the loss counts, else 0
};

/// A batch as committed tensors: each kUInt8 with shape (B, T).
struct EncodedBatch {
  EncodedTensor inputs;
  EncodedTensor targets;
  EncodedTensor mask;
};
EncodedBatch EncodeBatch(const Batch& batch);

class Dataset {
 public:
  /// An empty dataset whose MakeBatch fails; use the factories below.
  Dataset() = default;

  /// The n-digit addition task. Returns InvalidArgument unless
  /// 1 ≤ digits ≤ kMaxAdditionDigits.
  static Status Addition(uint32_t digits, Dataset* out);
  /// A text dataset of `bytes`. Returns InvalidArgument if it is empty or
  /// over kMaxTextBytes.
  static Status FromText(std::vector<uint8_t> bytes, Dataset* out);
  /// FromText on the contents of the file at `path`; IOError if unreadable.
  static Status LoadTextFile(const std::string& path, Dataset* out);
  /// Reassembles a kText dataset from chunks fetched from peers.
  /// Returns InvalidArgument if the manifest is not a valid kText manifest or
  /// the chunk count differs; Corruption naming the first chunk whose size or
  /// id does not match the manifest.
  static Status FromChunks(const DatasetManifest& manifest,
                           std::span<const std::vector<uint8_t>> chunks, Dataset* out);

  const DatasetManifest& manifest() const { return manifest_; }

  /// The bytes of chunk `index`, to serve to a peer; a view into this
  /// Dataset, valid while it lives. Returns NotFound if index is past the end.
  Status Chunk(uint64_t index, ByteSpan* out) const;

  /// Fills *out with the batch the file comment defines for `spec`.
  /// Returns InvalidArgument if B or T is 0, B·T > kMaxBatchTokens, T + 1
  /// exceeds a kText dataset's size, or (kAddition) T + 1 is shorter than
  /// the longest line (3n + 4 bytes).
  Status MakeBatch(const BatchSpec& spec, Batch* out) const;

 private:
  DatasetManifest manifest_;
  std::vector<uint8_t> bytes_;  //!< kText contents; empty for kAddition
};

// ---------------------------------------------------------------------------
// Addition problems and evaluation.

struct AdditionProblem {
  uint64_t a = 0;
  uint64_t b = 0;
  std::string prompt;  //!< e.g. "123+456="
  std::string answer;  //!< e.g. "579"

  /// True if `continuation` (what a model generated after the prompt) is the
  /// answer followed by '\n': generate at least MaxAnswerTokens(n) tokens.
  [[nodiscard]] bool IsCorrect(std::string_view continuation) const;
};

/// The problem a + b. REQUIRES: 1 ≤ digits ≤ kMaxAdditionDigits; a, b < 10^digits.
AdditionProblem MakeAdditionProblem(uint32_t digits, uint64_t a, uint64_t b);

/// Whether a + b is reserved for evaluation (file comment).
/// REQUIRES: as MakeAdditionProblem.
[[nodiscard]] bool IsHeldOut(uint32_t digits, uint64_t a, uint64_t b);

/// Tokens a model must generate to give any n-digit answer: n + 1 digits and '\n'.
inline uint32_t MaxAnswerTokens(uint32_t digits) { return digits + 2; }

/// Fills *out with `count` distinct held-out problems chosen by `seed`
/// (file comment). Returns InvalidArgument if digits is out of range, count
/// exceeds kMaxHeldOutProblems, or fewer than `count` are found within
/// 64·count + 4096 draws (only when count approaches the size of the
/// held-out set, e.g. for n = 1).
Status HeldOutProblems(uint32_t digits, uint64_t count, uint64_t seed,
                       std::vector<AdditionProblem>* out);

}  // namespace cc::compute

#endif  // COMPUTECOIN_COMPUTE_DATASET_H
