// Inbound eviction: when every inbound slot is taken, which peer gives its
// slot to a newcomer (Bitcoin Core's SelectNodeToEvict, simplified).
//
// An attacker who can open many connections must not be able to push out the
// peers that keep us honest. So peers that are hard to fake are protected
// first, and only among the rest is one evicted:
//   1. manual and explicitly protected peers are never candidates;
//   2. by_netgroup peers from distinct address groups (a keyed choice, so an
//      attacker cannot predict which group wins);
//   3. by_ping peers with the lowest minimum ping (hard to fake from afar);
//   4. by_tx and by_block peers that most recently sent us a new transaction /
//      block;
//   5. half of the rest, the longest connected.
// Then the address group with the most remaining connections is picked, and its
// youngest peer is evicted. If nothing is left, no one is evicted and the
// newcomer is refused.
//
// Thread safety: a pure function.

#ifndef COMPUTECOIN_NET_EVICTION_H
#define COMPUTECOIN_NET_EVICTION_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "net/peer.h"

namespace cc::net {

struct EvictionCandidate {
  PeerId id = -1;
  int64_t connected_time = 0;  //!< seconds; larger = younger
  int64_t min_ping_us = -1;    //!< -1 = unknown (sorts last)
  int64_t last_block_time = 0;
  int64_t last_tx_time = 0;
  uint64_t netgroup = 0;  //!< keyed hash of Service::Group()
  bool is_protected = false;
};

/** How many peers each rule of the file comment protects. */
struct EvictionProtection {
  size_t by_netgroup = 4;
  size_t by_ping = 8;
  size_t by_tx = 4;
  size_t by_block = 4;
  bool half_by_uptime = true;
};

/** The peer to evict, or nullopt if every candidate is protected. */
std::optional<PeerId> SelectPeerToEvict(std::vector<EvictionCandidate> candidates,
                                        const EvictionProtection& protect);

}  // namespace cc::net

#endif  // COMPUTECOIN_NET_EVICTION_H
