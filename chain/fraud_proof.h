// Fraud proofs: what lets a node that sampled (-verify=sample=P) and so
// accepted a block with a wrong work record learn that the block is invalid,
// from a node that re-executed the record (doc/consensus.md §7).
//
// A proof names one block by its header, one of its records, and the Merkle
// path of that record's hash to the header's work_root. Where the unit's
// inputs come from is the record itself: its `inputs` are the tensor ids the
// chain committed for the unit (a block whose record names others is refused
// by every node from hashes alone, CheckRecord's bad-work-input-hash), the
// batch inputs are derived from the training data, and every other input
// and output is a tensor any node fetches by id (net/tensor_transfer.h; the
// sender of a proof has them, it has just re-executed the unit). So the
// receiver re-executes exactly one unit: the record's wrong-work evidence
// (chain/evidence.h), judged by consensus/evidence.h's CheckEvidence.
//
// Wire format (canonical: one encoding per value; chain/serialize.h):
//   FraudProof = header:BlockHeader record:WorkRecord path:MerkleProof
// with record.inputs and record.outputs each at most kMaxFraudProofTensors
// hashes ("oversized-fraud-record") and path.path at most
// kMaxFraudProofDepth hashes ("oversized-fraud-path"); an encoding is at
// most kMaxFraudProofSize bytes.
//
// The proof id, TaggedHash("Computecoin/FraudProof", block id || record
// hash), names what the proof proves whatever its bytes (the header's
// signature is not part of the block id): nodes relay each id once.
//
// Thread safety: values and free functions with no shared state.

#ifndef COMPUTECOIN_CHAIN_FRAUD_PROOF_H
#define COMPUTECOIN_CHAIN_FRAUD_PROOF_H

#include <cstddef>
#include <cstdint>
#include <span>

#include "chain/block.h"
#include "chain/merkle.h"
#include "chain/serialize.h"
#include "chain/status.h"
#include "chain/uint256.h"
#include "chain/validation.h"
#include "chain/work.h"

namespace cc {

/// Most input (and, separately, output) hashes of the record in a proof:
/// far above any unit of the presets (an UPDATE reads its section's state and
/// one gradient per lane), far below what would make a proof costly to relay.
inline constexpr size_t kMaxFraudProofTensors = 4096;
/// Deepest Merkle path: a tree size is a u64, so 64 levels cover every tree.
inline constexpr size_t kMaxFraudProofDepth = 64;
/// Largest encoding: a header (kBlockHeaderSize), a record with both vectors full
/// (UnitId 29, two CompactSize-prefixed vectors, loss, key, signature) and a
/// full path (index, size, CompactSize, hashes): 264,628 bytes.
inline constexpr size_t kMaxFraudProofSize =
    kBlockHeaderSize + (29 + 2 * (5 + 32 * kMaxFraudProofTensors) + 4 + 32 + 64) +
    (8 + 8 + 1 + 32 * kMaxFraudProofDepth);

struct FraudProof {
  BlockHeader header;  //!< the block the record is in
  WorkRecord record;   //!< the record whose re-execution disagrees with it
  MerkleProof path;    //!< record.Hash() at path.leaf_index under header.work_root

  bool operator==(const FraudProof&) const = default;

  /// The proof id (file comment).
  Uint256 Id() const;
};
/// Hand-written codec with the caps of the file comment (DecodeError reasons
/// "oversized-fraud-record", "oversized-fraud-path").
void Put(Writer& w, const FraudProof& proof);
void Get(Reader& r, FraudProof& proof);

/// The proof that block `block`'s record at `index` is wrong.
/// Returns: OK with *out filled in; InvalidArgument if index is not below
///          block.records.size(). Out: out: REQUIRES: not null.
Status MakeFraudProof(const Block& block, size_t index, FraudProof* out);

/** Checks what a proof can be judged by alone (reasons all kConsensus: a
 *  proof failing them was made wrong, whoever relays it):
 *    bad-fraud-sig     the record's worker signature does not verify (nobody
 *                      is proven wrong by a record its worker did not sign)
 *    bad-fraud-merkle  the path does not lead from record.Hash() to
 *                      header.work_root
 *  Returns: true if both hold; false with *state Invalid.
 *  Out:     state: REQUIRES: not null.
 */
[[nodiscard]] bool CheckFraudProof(const FraudProof& proof, ValidationState* state);

/** Decodes a proof from `bytes` and checks it (CheckFraudProof).
 *    bad-fraud-encoding  the bytes are not one canonical FraudProof within
 *                        the caps (kConsensus)
 *  Returns: true with *out set; false with *state Invalid.
 *  Out:     out, state: REQUIRES: not null.
 */
[[nodiscard]] bool DecodeFraudProof(std::span<const uint8_t> bytes, FraudProof* out,
                                    ValidationState* state);

}  // namespace cc

#endif  // COMPUTECOIN_CHAIN_FRAUD_PROOF_H
