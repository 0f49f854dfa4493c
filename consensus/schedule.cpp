#include "consensus/schedule.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "chain/hash.h"

namespace cc {
namespace {

// Tag of the tie-break hash; consensus-critical (changing it reorders workers).
constexpr std::string_view kScheduleTieTag = "Computecoin/ScheduleTie";

Uint256 TieBreak(const Uint256& parent_hash, const XOnlyPubKeyBytes& key) {
  std::vector<uint8_t> data(parent_hash.begin(), parent_hash.end());
  data.insert(data.end(), key.begin(), key.end());
  return TaggedHash(kScheduleTieTag, data);
}

}  // namespace

std::vector<XOnlyPubKeyBytes> WorkerOrder(const ConsensusState& parent) {
  std::vector<std::tuple<uint32_t, Uint256, XOnlyPubKeyBytes>> ranked;
  ranked.reserve(parent.workers.size());
  for (const WorkerEntry& w : parent.workers)
    ranked.emplace_back(w.WaitingSince(), TieBreak(parent.block_hash, w.key), w.key);
  std::sort(ranked.begin(), ranked.end());
  std::vector<XOnlyPubKeyBytes> order;
  order.reserve(ranked.size());
  for (const auto& r : ranked) order.push_back(std::get<2>(r));
  return order;
}

std::vector<XOnlyPubKeyBytes> NextUnitOrder(uint64_t parent_step, const ConsensusState& next,
                                            size_t sections) {
  const std::vector<XOnlyPubKeyBytes>& old_order = next.unit_order;
  if (next.step == parent_step) {
    std::vector<XOnlyPubKeyBytes> kept;
    for (const XOnlyPubKeyBytes& key : old_order)
      if (next.FindWorker(key) != nullptr) kept.push_back(key);
    if (!kept.empty() || next.workers.empty()) return kept;
    return WorkerOrder(next);
  }
  std::set<XOnlyPubKeyBytes> absent;
  for (size_t p = 0; p < std::min(old_order.size(), sections); ++p) {
    const WorkerEntry* w = next.FindWorker(old_order[p]);
    if (w != nullptr && w->active_step + 1 < next.step) absent.insert(w->key);
  }
  std::vector<XOnlyPubKeyBytes> order = WorkerOrder(next);
  if (absent.size() == order.size()) return order;
  std::erase_if(order, [&](const XOnlyPubKeyBytes& key) { return absent.contains(key); });
  return order;
}

bool IsReady(const ConsensusState& state, const compute::PlannedUnit& unit) {
  for (const UnitId& dep : unit.Dependencies())
    if (state.FindDone(dep) == nullptr) return false;
  return true;
}

int64_t ReadyTime(const ConsensusState& state, const compute::PlannedUnit& unit) {
  const std::vector<UnitId> deps = unit.Dependencies();
  if (deps.empty()) return state.step_start_time;
  int64_t ready = 0;
  for (const UnitId& dep : deps) ready = std::max(ready, state.FindDone(dep)->time);
  return ready;
}

uint64_t Attempt(int64_t since, int64_t time, int64_t timeout) {
  if (time <= since) return 0;
  return static_cast<uint64_t>((time - since) / timeout);
}

std::optional<XOnlyPubKeyBytes> AssignedWorker(const std::vector<XOnlyPubKeyBytes>& order,
                                               uint64_t position, uint64_t attempt) {
  if (order.empty()) return std::nullopt;
  return order[(position % order.size() + attempt % order.size()) % order.size()];
}

bool MayCarry(const std::vector<XOnlyPubKeyBytes>& order, const compute::PlannedUnit& unit,
              uint64_t attempt, const XOnlyPubKeyBytes& worker) {
  if (order.empty()) return false;
  // Attempts cycle through the order, so past |order| − 1 every worker has had a turn.
  const uint64_t turns = std::min<uint64_t>(attempt, order.size() - 1);
  for (uint64_t earlier = 0; earlier <= turns; ++earlier)
    if (*AssignedWorker(order, unit.home_section, attempt - earlier) == worker) return true;
  return false;
}

std::optional<XOnlyPubKeyBytes> ScheduledProducer(const ChainParams& params,
                                                  const ConsensusState& parent, uint32_t height,
                                                  int64_t time) {
  const std::vector<XOnlyPubKeyBytes> order = WorkerOrder(parent);
  // The first second after the parent is attempt 0, so a producer that
  // answers at once (time ≤ parent.time + 1) always holds the slot.
  return AssignedWorker(order, height, Attempt(parent.time + 1, time, params.slot_timeout));
}

std::vector<size_t> AssignedUnits(const ChainParams& params, const ConsensusState& state,
                                  const std::vector<XOnlyPubKeyBytes>& order,
                                  const compute::StepPlan& plan, const XOnlyPubKeyBytes& worker,
                                  int64_t time) {
  std::vector<size_t> mine;
  for (size_t i = 0; i < plan.units.size(); ++i) {
    const compute::PlannedUnit& unit = plan.units[i];
    if (state.FindDone(unit.id) != nullptr || !IsReady(state, unit)) continue;
    const uint64_t attempt = Attempt(ReadyTime(state, unit), time, params.unit_timeout);
    const std::optional<XOnlyPubKeyBytes> assigned =
        AssignedWorker(order, unit.home_section, attempt);
    if (assigned && *assigned == worker) mine.push_back(i);
  }
  return mine;
}

}  // namespace cc
