// Evidence: what proves that a worker broke the one slashing rule of the
// network (doc/consensus.md §2.2), carried by a slashing transaction
// (transaction.h, `evidence`) that forfeits the offender's bonds.
//
// Three offences, each a thing only the offender's key can sign:
//   double production  two different block headers for the same parent
//                       (same prev, same height), both signed by the same
//                       producer key: one producer, one slot, two blocks
//                       (an equivocation that splits honest nodes).
//   wrong work          a work record signed by its worker whose outputs are
//                       not what re-executing its unit on its own committed
//                       inputs gives (beyond the engine's tolerance). Only
//                       the signature is checked here; the re-execution is
//                       consensus/evidence.h's, which needs the tensors.
//   wrong inference     an inference receipt (chain/receipt.h) signed by a
//                       holder whose payee key a registered worker vouched
//                       for (HolderBond), whose output is not what the
//                       served sections, with the weights the receipt's state
//                       root commits, give on the inputs the receipt's
//                       hashes commit (beyond the model's tolerance). The
//                       worker's bonds are forfeited. Checked here: both
//                       signatures and that the transcript and answer hash to
//                       the receipt's running hashes; the re-execution is
//                       consensus/evidence.h's.
//
// Wire format (canonical: one encoding per value):
//   Evidence = kind:u8 body
//     kind 1 (double production): first:BlockHeader second:BlockHeader,
//                                 first.Hash() < second.Hash() (byte order)
//     kind 2 (wrong work):        record:WorkRecord
//     kind 3 (wrong inference):   WrongInference
//   WrongInference = receipt:Receipt bond:HolderBond salt:Uint256
//                    sections:vector<SectionProof> steps:vector<InferenceStep>
//                    prior_output_hash:Uint256 output:bytes
//   SectionProof   = weights:Uint256 optimizer_state:Uint256 path:MerkleProof
//   InferenceStep  = position:u32 rows:u32 input:bytes
//
// The offence id says which offence the evidence proves, whatever the
// copy: TaggedHash("Computecoin/Offence", kind:u8 || offender:[32] || what),
// `what` being prev:Uint256 for double production (the slot: a third header
// for the same parent is the same offence), the record's UnitId encoding
// for wrong work, and the receipt's request_id for wrong inference (one
// hop of one request). Consensus keeps the ids of offences slashed, so one offence
// slashes once.
//
// Thread safety: values and free functions with no shared state.

#ifndef COMPUTECOIN_CHAIN_EVIDENCE_H
#define COMPUTECOIN_CHAIN_EVIDENCE_H

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "chain/block.h"
#include "chain/receipt.h"
#include "chain/uint256.h"
#include "chain/validation.h"
#include "chain/work.h"

namespace cc {

enum class EvidenceKind : uint8_t {
  kDoubleProduction = 1,
  kWrongWork = 2,
  kWrongInference = 3,
};

/// A served section's leaf of the state root: its weights and optimizer
/// state hashes (compute::StateLeaf) and the path to the receipt's root.
struct SectionProof {
  Uint256 weights;
  Uint256 optimizer_state;
  MerkleProof path;

  CC_SERIALIZE_METHODS(SectionProof, obj) { ar(obj.weights, obj.optimizer_state, obj.path); }
  bool operator==(const SectionProof&) const = default;
};

/// One step a holder was sent: `rows` positions from `position`, the
/// payload of its input tensor (compute/serve.h: token ids, or fp32 rows).
struct InferenceStep {
  uint32_t position = 0;
  uint32_t rows = 0;
  std::vector<uint8_t> input;

  CC_SERIALIZE_METHODS(InferenceStep, obj) { ar(obj.position, obj.rows, obj.input); }
  bool operator==(const InferenceStep&) const = default;
};

/// What proves a holder's answer wrong: the running receipt it signed after
/// the answer, every step of that hop's session up to it, and the answer.
struct WrongInference {
  Receipt receipt;
  HolderBond bond;  //!< a worker vouching for receipt.holder
  Uint256 salt;     //!< the request's, shared by client and holder only
  /// Sections [receipt.section_begin, section_end), in order.
  std::vector<SectionProof> sections;
  std::vector<InferenceStep> steps;  //!< every step the receipt counts, in order
  Uint256 prior_output_hash;         //!< the running output hash before the last step
  std::vector<uint8_t> output;       //!< the last step's answer (payload)

  CC_SERIALIZE_METHODS(WrongInference, obj) {
    ar(obj.receipt, obj.bond, obj.salt, obj.sections, obj.steps, obj.prior_output_hash,
       obj.output);
  }
  bool operator==(const WrongInference&) const = default;
};

struct Evidence {
  EvidenceKind kind = EvidenceKind::kDoubleProduction;
  BlockHeader first;   //!< kDoubleProduction only
  BlockHeader second;  //!< kDoubleProduction only
  WorkRecord record;   //!< kWrongWork only
  WrongInference inference;  //!< kWrongInference only

  bool operator==(const Evidence&) const = default;

  /// The key whose bonds the evidence forfeits: the producer, the worker, or
  /// the worker vouching for the holder.
  XOnlyPubKeyBytes Offender() const;
  /// The offence id (file comment).
  Uint256 OffenceId() const;
};
/// Hand-written codec: only the fields of its kind are on the wire, and
/// decoding rejects unknown kinds ("bad-evidence-kind").
void Put(Writer& w, const Evidence& ev);
void Get(Reader& r, Evidence& ev);

/// Evidence that two signed headers show `first`'s producer producing twice
/// for one parent, in canonical order.
Evidence DoubleProductionEvidence(const BlockHeader& a, const BlockHeader& b);
/// Evidence that `record`'s worker signed a wrong result.
Evidence WrongWorkEvidence(const WorkRecord& record);
/// Evidence that a bonded holder answered wrongly.
Evidence WrongInferenceEvidence(WrongInference inference);

/// The slashing transaction that forfeits `forfeited` (the offender's bond
/// and unbonding outputs) on `evidence`, paying the reporter's whole share
/// (half, rounded down: chain/tx_check.h) to `reward_lock` as kPayToKeyHash,
/// so no fee. REQUIRES: forfeited is not empty.
Transaction MakeSlashTransaction(const Evidence& evidence,
                                 std::span<const std::pair<OutPoint, TxOut>> forfeited,
                                 const Uint256& reward_lock);

/** Decodes the evidence a transaction carries and checks everything about it
 *  that needs neither the chain nor tensors (reasons all kConsensus):
 *    bad-evidence-encoding   the bytes are not one canonical Evidence
 *    bad-evidence-same       double production: the two headers are one block
 *    bad-evidence-order      double production: first.Hash() >= second.Hash()
 *    bad-evidence-slot       double production: different prev or height
 *    bad-evidence-producer   double production: different producers
 *    bad-evidence-sig        a header's producer signature, the record's
 *                            worker signature, the receipt's holder signature
 *                            or the holder bond's signature does not verify
 *    bad-evidence-transcript wrong inference: no steps, a step of no rows,
 *                            rows that do not sum to the receipt's tokens, or
 *                            a section count that is not the receipt's range
 *    bad-evidence-hash       wrong inference: the steps' inputs or the answer
 *                            do not chain to the receipt's input_hash or
 *                            output_hash (ChainedInputHash of each step's
 *                            position and input, ChainedOutputHash of the
 *                            answer, with the salt)
 *  Returns: true with *out set; false with *state Invalid.
 *  Out:     out, state: REQUIRES: not null.
 */
[[nodiscard]] bool DecodeEvidence(std::span<const uint8_t> bytes, Evidence* out,
                                  ValidationState* state);

}  // namespace cc

#endif  // COMPUTECOIN_CHAIN_EVIDENCE_H
