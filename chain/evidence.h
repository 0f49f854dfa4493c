// Evidence: what proves that a worker broke the one slashing rule of the
// network (doc/consensus.md §2.2), carried by a slashing transaction
// (transaction.h, `evidence`) that forfeits the offender's bonds.
//
// Two offences, both things only the offender's key can sign:
//   double production  two different block headers for the same parent
//                       (same prev, same height), both signed by the same
//                       producer key: one producer, one slot, two blocks
//                       (an equivocation that splits honest nodes).
//   wrong work          a work record signed by its worker whose outputs are
//                       not what re-executing its unit on its own committed
//                       inputs gives (beyond the engine's tolerance). Only
//                       the signature is checked here; the re-execution is
//                       consensus/evidence.h's, which needs the tensors.
//
// Wire format (canonical: one encoding per value):
//   Evidence = kind:u8 body
//     kind 1 (double production): first:BlockHeader second:BlockHeader,
//                                 first.Hash() < second.Hash() (byte order)
//     kind 2 (wrong work):        record:WorkRecord
//
// The offence id says which offence the evidence proves, whatever the
// copy: TaggedHash("Computecoin/Offence", kind:u8 || offender:[32] || what),
// `what` being prev:Uint256 for double production (the slot: a third header
// for the same parent is the same offence) and the record's UnitId encoding
// for wrong work. Consensus keeps the ids of offences slashed, so one offence
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
#include "chain/uint256.h"
#include "chain/validation.h"
#include "chain/work.h"

namespace cc {

enum class EvidenceKind : uint8_t {
  kDoubleProduction = 1,
  kWrongWork = 2,
};

struct Evidence {
  EvidenceKind kind = EvidenceKind::kDoubleProduction;
  BlockHeader first;   //!< kDoubleProduction only
  BlockHeader second;  //!< kDoubleProduction only
  WorkRecord record;   //!< kWrongWork only

  bool operator==(const Evidence&) const = default;

  /// The key whose bonds the evidence forfeits: the producer, or the worker.
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
 *    bad-evidence-sig        a header's producer signature, or the record's
 *                            worker signature, does not verify
 *  Returns: true with *out set; false with *state Invalid.
 *  Out:     out, state: REQUIRES: not null.
 */
[[nodiscard]] bool DecodeEvidence(std::span<const uint8_t> bytes, Evidence* out,
                                  ValidationState* state);

}  // namespace cc

#endif  // COMPUTECOIN_CHAIN_EVIDENCE_H
