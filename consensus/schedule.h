// Scheduling: who computes which unit, and who produces which block — the
// whitepaper's "longest-waiting party" (§4.1), with timed fallbacks so that
// neither a dead worker nor a dead producer stops the chain.
//
// All of it is a pure function of the parent block's ConsensusState and the
// new block's time, so every node computes the same answer:
//
//   ORDER.  The registered workers of the parent state, sorted by
//           (WaitingSince() ascending, H(parent hash ‖ key) ascending), where
//           H = TaggedHash(tags::kScheduleTie, …). n = number of workers.
//   UNITS.  Unit i (its index in the step's plan order) is ready when every
//           unit it reads from is accepted. Its ready time is the latest time
//           of the blocks that carried those units, or the step's start time
//           (the block that completed the previous step) if it reads none.
//           In a block of time t its attempt is a = ⌊(t − ready) / unit_timeout⌋
//           and it is assigned to U[(s + a) mod |U|], where U is the parent's
//           unit_order and s the unit's home section (PlannedUnit::
//           home_section: its own section, or for ATTENTION the section that
//           made its q). So at attempt 0 section s is held by U[s mod |U|]
//           for the whole step: that worker computes every unit of it, in
//           every lane — the whitepaper's holders — and a step crosses from
//           one worker to another only at section boundaries, not at nearly
//           every unit (a devnet lane runs ~20 units in a row). U is ranked
//           by waiting time each step, so the longest-waiting worker holds
//           section 0 and the load evens out over steps. The block may carry
//           a record of it by the worker of
//           attempt a or of any earlier attempt: a record made in its
//           worker's turn stays valid after the unit passes on, so work
//           relayed just before a timeout is not wasted and a late record
//           cannot be raced out by the clock. A unit made ready by an earlier
//           record of the same block has ready time t (a = 0).
//   UNIT ORDER. U is ORDER taken once per step, so that assignments do not
//           change with every block (ORDER does: waiting times and the
//           tie-break move): after each block, if the block changed the step,
//           or U is empty while workers are registered, U becomes the ORDER of
//           the state after the block (its own hash in the tie-break), less
//           the absent (ABSENCE). Within a step, members of U that left the
//           registry are dropped from it (if that empties it, U is taken
//           afresh). Workers registered during a step get units from the
//           next one.
//   ABSENCE. A worker is active in a step if it registered, had a record
//           accepted or produced a block in it (WorkerEntry::active_step).
//           When a block changes the step, the members of the old U at
//           positions below the number of sections (so each held a section
//           at attempt 0) that were not active in the step before the
//           new one are left out of the new U: a worker that stopped costs
//           one unit_timeout per unit for one step, not for every step. It
//           stays in ORDER, so it returns by producing a block in its slot,
//           which makes it active, and gets units from the next step on. If
//           every worker would be left out, nobody is.
//   SLOTS.  Block h with time t: a = ⌊(t − parent.time − 1) / slot_timeout⌋;
//           its producer must be ORDER[(h + a) mod n]. With no registered
//           worker any key may produce (bootstrap: the first registrations).
//
// Thread safety: free functions over values.

#ifndef COMPUTECOIN_CONSENSUS_SCHEDULE_H
#define COMPUTECOIN_CONSENSUS_SCHEDULE_H

#include <cstdint>
#include <optional>
#include <vector>

#include "chain/transaction.h"
#include "compute/plan.h"
#include "consensus/chainparams.h"
#include "consensus/consensus_state.h"

namespace cc {

/// ORDER (file comment) of the workers registered in `parent`.
std::vector<XOnlyPubKeyBytes> WorkerOrder(const ConsensusState& parent);

/// UNIT ORDER and ABSENCE (file comment): what `next`, the state after a
/// block whose parent was at step `parent_step`, assigns units by, where the
/// model has `sections` sections and next.unit_order still holds the
/// parent's U. ConnectBlock stores it in next.unit_order.
std::vector<XOnlyPubKeyBytes> NextUnitOrder(uint64_t parent_step, const ConsensusState& next,
                                            size_t sections);

/// True if every unit that `unit` reads from is in state.done.
[[nodiscard]] bool IsReady(const ConsensusState& state, const compute::PlannedUnit& unit);

/// The ready time of `unit` (file comment). REQUIRES: IsReady(state, unit).
int64_t ReadyTime(const ConsensusState& state, const compute::PlannedUnit& unit);

/// ⌊(time − since) / timeout⌋, 0 when time ≤ since. REQUIRES: timeout > 0.
uint64_t Attempt(int64_t since, int64_t time, int64_t timeout);

/// order[(position + attempt) mod |order|]: the worker of a unit whose home
/// section is `position` (UNITS), or of the block slot at height `position`
/// (SLOTS); nullopt if order is empty.
std::optional<XOnlyPubKeyBytes> AssignedWorker(const std::vector<XOnlyPubKeyBytes>& order,
                                               uint64_t position, uint64_t attempt);

/// True if a block in which `unit` is at `attempt` may carry a record of it
/// by `worker`: the worker of that attempt or of an earlier one (UNITS).
[[nodiscard]] bool MayCarry(const std::vector<XOnlyPubKeyBytes>& order,
                            const compute::PlannedUnit& unit, uint64_t attempt,
                            const XOnlyPubKeyBytes& worker);

/// The producer of a block at `height` and `time` on `parent` (SLOTS);
/// nullopt if nobody is registered (anyone may produce).
std::optional<XOnlyPubKeyBytes> ScheduledProducer(const ChainParams& params,
                                                  const ConsensusState& parent, uint32_t height,
                                                  int64_t time);

/// The plan indices of the units of `plan` that are not done, ready in
/// `state`, and assigned to `worker` in a block of `time` whose parent has
/// `order`. `state` may already hold records of the block being built.
/// REQUIRES: plan.step == state.step.
std::vector<size_t> AssignedUnits(const ChainParams& params, const ConsensusState& state,
                                  const std::vector<XOnlyPubKeyBytes>& order,
                                  const compute::StepPlan& plan, const XOnlyPubKeyBytes& worker,
                                  int64_t time);

}  // namespace cc

#endif  // COMPUTECOIN_CONSENSUS_SCHEDULE_H
