// The one slashing rule (doc/consensus.md §2.2): whether a piece of evidence
// (chain/evidence.h) proves its offender wrong against a chain, so that a
// slashing transaction carrying it may forfeit the offender's bonds.
// Block validation (ConnectBlock), the mempool (through the node's
// ChainManager) and the node that reports an offence all judge it here; the
// inference issue reuses it for wrong inference outputs.
//
// Thread safety: reentrant; the engine in the context is not thread-safe
// (compute/engine.h), so one call per engine at a time.

#ifndef COMPUTECOIN_CONSENSUS_EVIDENCE_H
#define COMPUTECOIN_CONSENSUS_EVIDENCE_H

#include <vector>

#include "chain/evidence.h"
#include "chain/fraud_proof.h"
#include "chain/validation.h"
#include "consensus/connect.h"
#include "consensus/consensus_state.h"

namespace cc {

/** Checks `evidence` (already through DecodeEvidence) against `state`, the
 *  state the slashing transaction is judged in (its block's parent with the
 *  block's earlier slashings applied, or the tip for the mempool):
 *    bad-slash-duplicate        kConsensus: the offence was slashed already
 *    bad-evidence-unit          kConsensus: wrong work: the record's unit is
 *                               not in its step's plan
 *    bad-evidence-shape         kConsensus: wrong work: input or output count
 *                               is not the unit's
 *    bad-evidence-batch         kConsensus: wrong work: an input the plan
 *                               derives from the data is not that batch (such a
 *                               record is refused by everyone without
 *                               re-execution; it is not slashable)
 *    work-tensor-missing        kMissingInputs: wrong work: an input or output
 *                               tensor is not available here (not yet
 *                               checkable, nobody's fault; also what replay
 *                               and -reindex treat as pruned)
 *    bad-evidence-work-correct  kConsensus: re-executing the unit on the
 *                               record's inputs agrees with its outputs
 *    bad-evidence-sections      kConsensus: wrong inference: the receipt's
 *                               sections are not whole atoms of the partition
 *    bad-evidence-state         kConsensus: wrong inference: a section's
 *                               leaf is not at its place under the receipt's
 *                               state root
 *    bad-evidence-transcript    kConsensus: wrong inference: the steps do not
 *                               end in one session (a start at position 0,
 *                               each next step where the last ended), a
 *                               step's input is not its rows' size, or the
 *                               session is not a valid hop input
 *    bad-evidence-inference-correct  kConsensus: the answer lies within the
 *                               model's tolerance ε (relative L2) of the
 *                               reference recomputation
 *  Double production needs nothing beyond DecodeEvidence. Wrong inference
 *  is recomputed with ctx.engine->JudgeAnswer from the weights the
 *  sections' leaves name (ctx.fetch; work-tensor-missing when absent): by
 *  libtorch, and near ε by the reference arithmetic, which gives every node
 *  the same bits, so no honest nodes disagree on a verdict near ε (an
 *  honest holder's libtorch answer lies within ~1e-6 of it). It is taken on
 *  trust where wrong work would be:
 *  ctx.policy samples nothing, or `state`'s step is below
 *  ctx.assume_valid_below_step. Wrong work is
 *  re-executed with ctx.engine (Verify, the path every record takes) unless
 *  ctx.policy re-executes nothing (sample = 0: replay of the node's own
 *  chain) or the record's step is below ctx.assume_valid_below_step (a
 *  checkpointed or assumed-valid block: its tensors are pruned everywhere),
 *  where it is taken on trust as records are.
 *  Returns: true if the evidence holds; false with *state set, or
 *           Error("evidence-verify: ...") for the engine's own failure.
 *  In:      ctx: params, engine, dataset, fetch, policy and
 *           assume_valid_below_step are read.
 *  Out:     state: REQUIRES: not null.
 */
[[nodiscard]] bool CheckEvidence(const Evidence& evidence, const ConsensusState& state,
                                 const BlockContext& ctx, ValidationState* out_state);

/** Whether a block refused with `state` was refused for a re-execution's
 *  verdict on one of its records (the record's outputs or loss disagree with
 *  its unit run on its inputs): the refusals wrong-work evidence and fraud
 *  proofs are made of. The other faults of a record (wrong input hashes, output
 *  counts) are seen from its hashes alone, by every node whatever its -verify
 *  policy, so they need no proof and are not slashable.
 */
[[nodiscard]] bool IsWrongWorkVerdict(const ValidationState& state);

/** The tensors CheckEvidence fetches (ctx.fetch) to judge wrong-work
 *  evidence on `record`: its inputs that `engine`'s plan does not derive from
 *  the training data, then its outputs (none for a unit whose outputs are
 *  recomputed, OutputsAreRecomputed); what a node lacking them asks its
 *  peers for, each of the record's step and with the length its slot fixes.
 *  Empty when the record's unit is not in its step's plan or its input or
 *  output count is not the unit's (CheckEvidence refuses those without
 *  fetching anything).
 */
std::vector<compute::TensorToFetch> EvidenceTensors(const WorkRecord& record,
                                                    const compute::Engine& engine);

/** Whether fraud proof `proof` (CheckFraudProof passed) shows its block
 *  invalid: CheckEvidence on the record's wrong-work evidence, against
 *  `parent`, the state after the block's parent, re-executing the record
 *  whatever ctx.policy says (a proof costs its receiver one unit, and a node
 *  that samples nothing must still be able to learn that it accepted a wrong
 *  block). Sound whatever the record's inputs: a block whose record reads
 *  inputs other than those the chain committed is invalid anyway
 *  (bad-work-input-hash), and one whose record re-executes wrong on the
 *  committed inputs is invalid by the verdict.
 *  Returns: true if the record is wrong; false with CheckEvidence's reasons
 *           (bad-evidence-work-correct: the record is right, the proof bogus;
 *           work-tensor-missing: fetch EvidenceTensors and try again).
 *  In:      ctx: params, engine, dataset and fetch are read.
 *  Out:     state: REQUIRES: not null.
 */
[[nodiscard]] bool CheckFraudProofWork(const FraudProof& proof, const ConsensusState& parent,
                                       const BlockContext& ctx, ValidationState* state);

}  // namespace cc

#endif  // COMPUTECOIN_CONSENSUS_EVIDENCE_H
