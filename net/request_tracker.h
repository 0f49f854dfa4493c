// RequestTracker: which peer each announced object (a transaction, a work
// record) is being asked of, so that a peer that announces an object and
// then withholds it only delays it (Bitcoin Core's TxRequestTracker, reduced
// to what the relay here needs).
//
// The first peer to announce an id is asked for it at once. Later
// announcers are remembered (at most kMaxAlternates per id). When the
// request is answered `notfound`, is not answered within the timeout, or its
// peer disconnects, the next announcer is asked (Reassign): the first
// preferred one (a peer we connected to, which an attacker cannot multiply
// as it can inbound connections) in the order they announced, else the
// first other. A preferred announcer takes the place of the latest other
// one when the list is full, so inbound withholders cannot crowd out our
// outbound peers. Once the object arrives, from anyone, the caller says
// Received and the id is forgotten; an id no announcer is left for is
// forgotten too (Reassign lists it), so that a later announcement is taken
// afresh.
//
// Bounds: at most kMaxAlternates + 1 peers per id; the number of ids is the
// caller's (each announcement it passes here costs the peer a token of its
// announcement rate, and AskedOf bounds what one peer is asked at once).
//
// Thread safety: none; the message layer calls it under its own lock.

#ifndef COMPUTECOIN_NET_REQUEST_TRACKER_H
#define COMPUTECOIN_NET_REQUEST_TRACKER_H

#include <chrono>
#include <cstddef>
#include <deque>
#include <unordered_map>
#include <utility>
#include <vector>

#include "chain/uint256.h"
#include "net/peer.h"

namespace cc::net {

class RequestTracker {
 public:
  using Clock = std::chrono::steady_clock;

  /** Later announcers remembered per id: enough honest peers to outlast
   *  several withholders, few enough that an id costs little. */
  static constexpr size_t kMaxAlternates = 8;

  /** timeout: how long a request may go unanswered before the next
   *  announcer is asked. REQUIRES: > 0. */
  explicit RequestTracker(Clock::duration timeout);

  /** Records that `peer` announced `id` at `now`; `preferred`: an outbound
   *  or manual peer (file comment).
   *  Returns: true if `id` is to be asked of `peer` now (nobody was being
   *           asked); false if `peer` is remembered as a later announcer, or
   *           is one already, or kMaxAlternates are (and it is not preferred
   *           over one of them). */
  bool Announce(const Uint256& id, PeerId peer, bool preferred, Clock::time_point now);

  /** Whether `id` is being asked of someone. */
  bool Contains(const Uint256& id) const { return entries_.contains(id); }

  /** Whether `id` is being asked of `peer`: what it sends for `id` was asked for. */
  bool IsAskedOf(const Uint256& id, PeerId peer) const;

  /** How many ids `peer` is being asked for. */
  size_t AskedOf(PeerId peer) const;

  /** `id` arrived (from whoever): nothing more is asked for it. */
  void Received(const Uint256& id);

  /** `peer` answered that it does not have `id`: if it was the one asked,
   *  the next announcer is (at the next Reassign). */
  void NotFound(const Uint256& id, PeerId peer);

  /** `peer` disconnected: what it was asked for goes to the next
   *  announcers (at the next Reassign), and it is no longer one. */
  void PeerGone(PeerId peer);

  /** Moves every request that failed (NotFound, PeerGone) or went
   *  unanswered past the timeout by `now` to its next announcer.
   *  Returns: the (id, peer) pairs to ask now. Ids no announcer is left for
   *           are forgotten and appended to *abandoned.
   *  REQUIRES: abandoned not null. */
  std::vector<std::pair<Uint256, PeerId>> Reassign(Clock::time_point now,
                                                   std::vector<Uint256>* abandoned);

  /** Ids tracked. */
  size_t size() const { return entries_.size(); }

 private:
  struct Announcer {
    PeerId peer;
    bool preferred;
  };
  struct Entry {
    PeerId asked = kNoPeer;          // kNoPeer: the request failed; reassign
    Clock::time_point deadline;      // when the request times out
    std::deque<Announcer> waiting;   // later announcers, in order
  };
  static constexpr PeerId kNoPeer = -1;

  // Asks `peer` for the entry's id from `now`.
  void Ask(Entry& entry, PeerId peer, Clock::time_point now);
  void Unask(Entry& entry);

  const Clock::duration timeout_;
  std::unordered_map<Uint256, Entry, Uint256Hasher> entries_;
  std::unordered_map<PeerId, size_t> asked_count_;
  // Nothing can be due before this (the earliest deadline, or now after a
  // failure): Reassign returns at once until then.
  Clock::time_point next_due_ = Clock::time_point::max();
};

}  // namespace cc::net

#endif  // COMPUTECOIN_NET_REQUEST_TRACKER_H
