#include "net/serve_relay.h"

#include <algorithm>

namespace cc::net {
namespace {

// Everything but the load, the time and the signature.
bool SameOffer(const ServeInfoMsg& a, const ServeInfoMsg& b) {
  return a.state_root == b.state_root && a.section_begin == b.section_begin &&
         a.section_end == b.section_end && a.price == b.price &&
         a.max_sessions == b.max_sessions && a.payee == b.payee && a.links == b.links;
}

bool Expired(const ServeInfoMsg& info, int64_t now_ms) {
  return now_ms - info.time > kServeAnnouncementLifetime.count();
}

}  // namespace

std::string ServeTimeProblem(const ServeInfoMsg& info, int64_t now_ms) {
  if (Expired(info, now_ms)) return "serve-stale";
  if (info.time - now_ms > kServeAnnouncementMaxAhead.count()) return "serve-time-too-new";
  return "";
}

ServeAnnouncements::Outcome ServeAnnouncements::Add(const ServeInfoMsg& info, int64_t now_ms,
                                                    std::string* reason) {
  *reason = ServeTimeProblem(info, now_ms);
  if (!reason->empty()) return Outcome::kRefused;
  std::erase_if(entries_, [&](const auto& e) { return Expired(e.second.info, now_ms); });
  auto it = entries_.find(info.onion_key);
  if (it != entries_.end()) {
    Entry& e = it->second;
    if (e.info.time >= info.time) return Outcome::kKnown;
    const bool relay = !SameOffer(e.info, info) ||
                       info.time - e.relayed_time >= kServeRelayRefresh.count();
    e.info = info;
    if (!relay) return Outcome::kStored;
    e.relayed_time = info.time;
    return Outcome::kRelay;
  }
  if (entries_.size() >= kMaxServeAnnouncements) {
    auto oldest = std::min_element(entries_.begin(), entries_.end(), [](const auto& a,
                                                                       const auto& b) {
      return a.second.info.time < b.second.info.time;
    });
    if (oldest->second.info.time >= info.time) {
      *reason = "serve-table-full";
      return Outcome::kRefused;
    }
    entries_.erase(oldest);
  }
  entries_.emplace(info.onion_key, Entry{info, info.time});
  return Outcome::kRelay;
}

std::vector<ServeInfoMsg> ServeAnnouncements::All(int64_t now_ms) const {
  std::vector<ServeInfoMsg> out;
  for (const auto& [key, e] : entries_)
    if (!Expired(e.info, now_ms)) out.push_back(e.info);
  return out;
}

}  // namespace cc::net
