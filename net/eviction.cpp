#include "net/eviction.h"

#include <algorithm>
#include <map>

namespace cc::net {
namespace {

/** Sorts so the best `k` are last, then drops them from the candidates. */
template <typename Better>
void ProtectBest(std::vector<EvictionCandidate>* c, size_t k, Better better) {
  std::sort(c->begin(), c->end(), [&](const auto& a, const auto& b) { return better(b, a); });
  c->resize(c->size() - std::min(k, c->size()));
}

}  // namespace

std::optional<PeerId> SelectPeerToEvict(std::vector<EvictionCandidate> c,
                                        const EvictionProtection& protect) {
  std::erase_if(c, [](const EvictionCandidate& e) { return e.is_protected; });
  // 2. One per distinct group, the lowest keyed group values first.
  {
    std::sort(c.begin(), c.end(), [](const auto& a, const auto& b) {
      return a.netgroup != b.netgroup ? a.netgroup < b.netgroup
                                      : a.connected_time < b.connected_time;
    });
    std::vector<PeerId> keep;
    for (size_t i = 0; i < c.size() && keep.size() < protect.by_netgroup; ++i) {
      if (i == 0 || c[i].netgroup != c[i - 1].netgroup) keep.push_back(c[i].id);  // group's oldest
    }
    std::erase_if(c, [&](const EvictionCandidate& e) {
      return std::find(keep.begin(), keep.end(), e.id) != keep.end();
    });
  }
  ProtectBest(&c, protect.by_ping, [](const auto& a, const auto& b) {
    if ((a.min_ping_us < 0) != (b.min_ping_us < 0)) return a.min_ping_us >= 0;
    return a.min_ping_us < b.min_ping_us;
  });
  ProtectBest(&c, protect.by_tx,
              [](const auto& a, const auto& b) { return a.last_tx_time > b.last_tx_time; });
  ProtectBest(&c, protect.by_block,
              [](const auto& a, const auto& b) { return a.last_block_time > b.last_block_time; });
  if (protect.half_by_uptime) {
    ProtectBest(&c, c.size() / 2,
                [](const auto& a, const auto& b) { return a.connected_time < b.connected_time; });
  }
  if (c.empty()) return std::nullopt;
  std::map<uint64_t, std::vector<const EvictionCandidate*>> groups;
  for (const auto& e : c) groups[e.netgroup].push_back(&e);
  const auto& biggest = *std::max_element(
      groups.begin(), groups.end(),
      [](const auto& a, const auto& b) { return a.second.size() < b.second.size(); });
  const EvictionCandidate* youngest = *std::max_element(
      biggest.second.begin(), biggest.second.end(), [](const auto* a, const auto* b) {
        return a->connected_time != b->connected_time ? a->connected_time < b->connected_time
                                                      : a->id < b->id;
      });
  return youngest->id;
}

}  // namespace cc::net
