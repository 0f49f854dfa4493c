// ServeAnnouncements: the holders' announcements (serveinfo, net/messages.h)
// a node keeps and relays, so that a client learns holders it is not
// connected to (doc/inference.md "Relayed announcements"), as Bitcoin Core
// relays addresses.
//
// One entry per holder key (its onion key, which signs the announcement). A
// newer announcement (larger time) replaces an older one; one older than
// kServeAnnouncementLifetime is dropped, and one stamped more than
// kServeAnnouncementMaxAhead ahead of our clock is refused, so an entry
// cannot be pinned by a future time. Holders re-sign theirs every
// kServeRefreshInterval. At most kMaxServeAnnouncements entries: when full, a
// newer announcement of a new key evicts the entry with the oldest time.
//
// A replacement is relayed only when it changes more than the load
// (sessions), or kServeRelayRefresh after the key was last relayed: a busy
// holder's load changes with every session and would otherwise flood the
// network; the load its direct peers see stays current.
//
// The caller checks the signature (IsSignedServeInfo) before Add: nothing
// here trusts an entry's content beyond its own bounds.
//
// Thread safety: none; PeerManager calls it under its own lock.

#ifndef COMPUTECOIN_NET_SERVE_RELAY_H
#define COMPUTECOIN_NET_SERVE_RELAY_H

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "net/messages.h"

namespace cc::net {

using namespace std::chrono_literals;

inline constexpr size_t kMaxServeAnnouncements = 256;
inline constexpr std::chrono::milliseconds kServeAnnouncementLifetime = 1h;
inline constexpr std::chrono::milliseconds kServeAnnouncementMaxAhead = 10min;
/** A holder signs its announcement again at least this often. */
inline constexpr std::chrono::milliseconds kServeRefreshInterval = 20min;
/** A replacement that changes only the load is relayed once this long has passed. */
inline constexpr std::chrono::milliseconds kServeRelayRefresh = 10min;

/** Whether an announcement's time is fresh at now_ms: Returns "" when it is, or the
 *  reason it is not ("serve-stale", "serve-time-too-new"). Not the sender's fault. */
std::string ServeTimeProblem(const ServeInfoMsg& info, int64_t now_ms);

class ServeAnnouncements {
 public:
  enum class Outcome {
    kRelay,    //!< kept, new or changed: pass it on
    kStored,   //!< kept (a load change): do not pass it on yet
    kKnown,    //!< we hold this one or a newer one
    kRefused,  //!< stale, from the future, or the table is full of newer ones (*reason)
  };
  /** Keeps `info` if it is fresh at now_ms and newer than what we hold for its key
   *  (file comment). REQUIRES: IsSignedServeInfo(info). */
  Outcome Add(const ServeInfoMsg& info, int64_t now_ms, std::string* reason);
  /** The entries that have not expired at now_ms, by key. */
  std::vector<ServeInfoMsg> All(int64_t now_ms) const;
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    ServeInfoMsg info;
    int64_t relayed_time = 0;  //!< info.time when it was last relayed
  };
  std::map<XOnlyPubKeyBytes, Entry> entries_;
};

}  // namespace cc::net

#endif  // COMPUTECOIN_NET_SERVE_RELAY_H
