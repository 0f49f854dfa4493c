#include "net/request_tracker.h"

#include <algorithm>

namespace cc::net {

RequestTracker::RequestTracker(Clock::duration timeout) : timeout_(timeout) {}

bool RequestTracker::Announce(const Uint256& id, PeerId peer, bool preferred,
                              Clock::time_point now) {
  auto [it, added] = entries_.try_emplace(id);
  Entry& entry = it->second;
  if (added) {
    Ask(entry, peer, now);
    return true;
  }
  std::deque<Announcer>& waiting = entry.waiting;
  if (entry.asked == peer ||
      std::any_of(waiting.begin(), waiting.end(), [&](const Announcer& a) { return a.peer == peer; }))
    return false;
  if (waiting.size() >= kMaxAlternates) {
    if (!preferred) return false;
    auto other = std::find_if(waiting.rbegin(), waiting.rend(),
                              [](const Announcer& a) { return !a.preferred; });
    if (other == waiting.rend()) return false;
    waiting.erase(std::next(other).base());
  }
  waiting.push_back({peer, preferred});
  return false;
}

bool RequestTracker::IsAskedOf(const Uint256& id, PeerId peer) const {
  auto it = entries_.find(id);
  return it != entries_.end() && it->second.asked == peer;
}

size_t RequestTracker::AskedOf(PeerId peer) const {
  auto it = asked_count_.find(peer);
  return it == asked_count_.end() ? 0 : it->second;
}

void RequestTracker::Received(const Uint256& id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  Unask(it->second);
  entries_.erase(it);
}

void RequestTracker::NotFound(const Uint256& id, PeerId peer) {
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.asked != peer) return;
  Unask(it->second);
  next_due_ = Clock::time_point::min();
}

void RequestTracker::PeerGone(PeerId peer) {
  for (auto& [id, entry] : entries_) {
    std::erase_if(entry.waiting, [&](const Announcer& a) { return a.peer == peer; });
    if (entry.asked == peer) {
      Unask(entry);
      next_due_ = Clock::time_point::min();
    }
  }
  asked_count_.erase(peer);
}

std::vector<std::pair<Uint256, PeerId>> RequestTracker::Reassign(Clock::time_point now,
                                                                 std::vector<Uint256>* abandoned) {
  std::vector<std::pair<Uint256, PeerId>> ask;
  if (now < next_due_) return ask;
  next_due_ = Clock::time_point::max();
  for (auto it = entries_.begin(); it != entries_.end();) {
    Entry& entry = it->second;
    if (entry.asked != kNoPeer && now < entry.deadline) {
      next_due_ = std::min(next_due_, entry.deadline);
      ++it;
      continue;
    }
    Unask(entry);  // timed out, if it had not failed already
    if (entry.waiting.empty()) {
      abandoned->push_back(it->first);
      it = entries_.erase(it);
      continue;
    }
    auto chosen = std::find_if(entry.waiting.begin(), entry.waiting.end(),
                               [](const Announcer& a) { return a.preferred; });
    if (chosen == entry.waiting.end()) chosen = entry.waiting.begin();
    const PeerId next = chosen->peer;
    entry.waiting.erase(chosen);
    Ask(entry, next, now);
    next_due_ = std::min(next_due_, entry.deadline);
    ask.emplace_back(it->first, next);
    ++it;
  }
  return ask;
}

void RequestTracker::Ask(Entry& entry, PeerId peer, Clock::time_point now) {
  entry.asked = peer;
  entry.deadline = now + timeout_;
  ++asked_count_[peer];
  next_due_ = std::min(next_due_, entry.deadline);
}

void RequestTracker::Unask(Entry& entry) {
  if (entry.asked == kNoPeer) return;
  auto it = asked_count_.find(entry.asked);
  if (it != asked_count_.end() && --it->second == 0) asked_count_.erase(it);
  entry.asked = kNoPeer;
}

}  // namespace cc::net
