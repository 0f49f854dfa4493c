// Fork choice: which of two valid chain tips a node follows.
//
// The chain with the most accepted work records wins (accepted_work of its
// tip's ConsensusState: every record is one verified unit of training); on
// a tie the tip seen first (ChainState's block index sequence number) stays.
// Unlike Bitcoin's proof of work, the work here is useful and verified, and
// a record can only be made by the worker the schedule assigned, so a
// private fork cannot outgrow the honest chain without its workers.
//
// Thread safety: a pure function.

#ifndef COMPUTECOIN_CONSENSUS_FORK_CHOICE_H
#define COMPUTECOIN_CONSENSUS_FORK_CHOICE_H

#include <cstdint>

namespace cc {

struct TipRank {
  uint64_t accepted_work = 0;  //!< ConsensusState::accepted_work of the tip
  uint64_t sequence = 0;       //!< BlockIndexEntry::sequence: first-seen order
};

/// True if `candidate` should replace `current` as the active tip.
[[nodiscard]] inline bool IsBetterTip(const TipRank& candidate, const TipRank& current) {
  if (candidate.accepted_work != current.accepted_work)
    return candidate.accepted_work > current.accepted_work;
  return candidate.sequence < current.sequence;
}

}  // namespace cc

#endif  // COMPUTECOIN_CONSENSUS_FORK_CHOICE_H
