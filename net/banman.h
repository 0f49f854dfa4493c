// BanMan: who may not connect to us.
//
// Two mechanisms, kept apart on purpose (Bitcoin Core's banman.h):
//   - Manual bans, set by the operator (setban): a subnet or single address with
//     an expiry time, persisted in "<dir>/banlist.dat" (net/persist.h format,
//     written atomically on every change), listable and clearable. The list is
//     only ever filled by the operator, but it is still bounded (kMaxBans).
//   - Discouragement, set automatically when a peer misbehaves: the address goes
//     into a bounded rolling set (the oldest entry leaves when it is full), is
//     not persisted and cannot be listed. A misbehaving peer can only make us
//     forget an older misbehaving peer, never grow our memory, and an honest
//     address that shared an IP with a bad one recovers at restart.
//
// Thread safety: every public method takes the internal mutex; callable from
// any thread.

#ifndef COMPUTECOIN_NET_BANMAN_H
#define COMPUTECOIN_NET_BANMAN_H

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "chain/serialize.h"
#include "chain/status.h"
#include "net/netaddress.h"

namespace cc::net {

using namespace std::chrono_literals;

/** One manual ban. Wire/file form: subnet:SubNet created:i64 until:i64. */
struct BanEntry {
  SubNet subnet;
  int64_t created = 0;  //!< seconds since the Unix epoch
  int64_t until = 0;    //!< the ban ends at this time
  CC_SERIALIZE_METHODS(BanEntry, obj) { ar(obj.subnet, obj.created, obj.until); }
  bool operator==(const BanEntry&) const = default;
};

class BanMan {
 public:
  /** Default duration of a manual ban (-bantime). */
  static constexpr std::chrono::seconds kDefaultBanTime = 24h;
  /** Most manual bans kept: far beyond any operator's list, keeps the file small. */
  static constexpr size_t kMaxBans = 100000;
  /** Addresses remembered as discouraged: Bitcoin Core's rolling filter holds 50k. */
  static constexpr size_t kMaxDiscouraged = 50000;
  /** File format version of banlist.dat. */
  static constexpr uint8_t kFileVersion = 1;

  using Clock = std::function<int64_t()>;  //!< seconds since the Unix epoch

  /** Reads "<dir>/banlist.dat" if it exists. A missing file is an empty list; an
   *  unreadable or corrupt one is reported by load_status() and ignored.
   *  `clock` may be empty (system clock); tests pass their own. */
  explicit BanMan(std::filesystem::path dir, Clock clock = {});
  BanMan(const BanMan&) = delete;
  BanMan& operator=(const BanMan&) = delete;

  /** The result of reading the file at construction. */
  Status load_status() const;

  /** Bans `subnet` for `duration` from now (replacing an existing ban of it) and saves.
   *  Returns: OK; InvalidArgument if duration <= 0 or kMaxBans is reached; the
   *           IOError of saving (the ban still applies in memory). */
  Status Ban(const SubNet& subnet, std::chrono::seconds duration = kDefaultBanTime);
  /** Lifts the ban of exactly `subnet` and saves. Returns: OK; NotFound if it was not banned. */
  Status Unban(const SubNet& subnet);
  /** Lifts every ban and saves. */
  Status ClearBanned();
  /** The current bans (expired ones are swept first), ordered by subnet. */
  std::vector<BanEntry> GetBanned();

  /** True if a live ban's subnet contains `addr`. */
  bool IsBanned(const Service& addr);

  /** Remembers `addr`'s IP as discouraged (see file comment). */
  void Discourage(const Service& addr);
  /** True if `addr`'s IP is in the discouragement set. */
  bool IsDiscouraged(const Service& addr) const;

 private:
  int64_t Now() const;
  void SweepLocked();   // REQUIRES: mu_ held
  Status SaveLocked();  // REQUIRES: mu_ held

  const std::filesystem::path path_;
  const Clock clock_;
  mutable std::mutex mu_;
  Status load_status_;                                     // GUARDED_BY(mu_)
  std::map<SubNet, BanEntry> bans_;                        // GUARDED_BY(mu_)
  std::set<std::array<uint8_t, 16>> discouraged_;          // GUARDED_BY(mu_)
  std::deque<std::array<uint8_t, 16>> discouraged_order_;  // GUARDED_BY(mu_), oldest first
};

}  // namespace cc::net

#endif  // COMPUTECOIN_NET_BANMAN_H
