#include "net/addrman.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <random>

#include "chain/hash.h"
#include "net/persist.h"

namespace cc::net {
namespace {

constexpr const char* kFileName = "peers.dat";
constexpr size_t kMaxEntries =
    (AddrMan::kNewBucketCount + AddrMan::kTriedBucketCount) * AddrMan::kBucketSize;
/** A stored entry is ~90 bytes; refuse files far larger than a full book. */
constexpr size_t kMaxFileSize = 32 + 5 + kMaxEntries * 128;
/** Seconds an address's claimed time may be ahead of ours before we distrust it. */
constexpr int64_t kMaxFutureSeconds = 10 * 60;
/** Age given to an entry whose claimed time is implausible. */
constexpr int64_t kPenaltySeconds = 5 * 24 * 3600;

/** One address and what we know about it; its table position is derived, not stored. */
struct Info {
  AddrEntry entry;
  Service source;
  int64_t last_try = 0;
  int64_t last_success = 0;
  int32_t attempts = 0;
  bool in_tried = false;
  CC_SERIALIZE_METHODS(Info, obj) {
    ar(obj.entry, obj.source, obj.last_try, obj.last_success, obj.attempts, obj.in_tried);
  }
};

struct Stored {
  Uint256 key;
  std::vector<Info> entries;
  CC_SERIALIZE_METHODS(Stored, obj) { ar(obj.key, obj.entries); }
};

}  // namespace

class AddrMan::Impl {
 public:
  Impl(std::filesystem::path dir, bool deterministic)
      : path_(std::move(dir) / kFileName), deterministic_(deterministic) {
    Reset();
  }

  void Reset() {
    if (deterministic_) {
      key_ = Uint256();
      rng_.seed(42);
    } else {
      std::random_device rd;
      for (size_t i = 0; i < Uint256::kSize; ++i) key_.data()[i] = static_cast<uint8_t>(rd());
      rng_.seed((uint64_t{rd()} << 32) ^ rd());
    }
    infos_.clear();
    by_addr_.clear();
    new_table_.assign(kNewBucketCount * kBucketSize, -1);
    tried_table_.assign(kTriedBucketCount * kBucketSize, -1);
    next_id_ = 0;
  }

  // --- Bucket positions (see the header comment). -----------------------------

  uint64_t KeyedHash(std::initializer_list<ByteSpan> parts) const {
    Sha256 h;
    h.Write(key_.span());
    for (ByteSpan p : parts) {
      const uint64_t len = p.size();
      h.Write(ByteSpan(reinterpret_cast<const uint8_t*>(&len), 8));
      h.Write(p);
    }
    const Uint256 d = h.Finalize();
    uint64_t out;
    std::memcpy(&out, d.data(), 8);
    return out;
  }
  static ByteSpan U64(const uint64_t& v) { return {reinterpret_cast<const uint8_t*>(&v), 8}; }
  static ByteSpan Bytes(const Service& s) {
    return {reinterpret_cast<const uint8_t*>(s.ip.data()), 16};
  }

  size_t NewBucket(const Service& addr, const Service& source) const {
    const auto src_group = source.Group();
    const auto addr_group = addr.Group();
    const uint64_t inner = KeyedHash({addr_group, src_group}) % kNewBucketsPerSourceGroup;
    return KeyedHash({src_group, U64(inner)}) % kNewBucketCount;
  }
  size_t TriedBucket(const Service& addr) const {
    const uint64_t port = addr.port;
    const uint64_t inner = KeyedHash({Bytes(addr), U64(port)}) % kTriedBucketsPerGroup;
    return KeyedHash({addr.Group(), U64(inner)}) % kTriedBucketCount;
  }
  size_t Slot(bool tried, size_t bucket, const Service& addr) const {
    const uint64_t t = tried ? 1 : 0, b = bucket, port = addr.port;
    return bucket * kBucketSize + KeyedHash({U64(t), U64(b), Bytes(addr), U64(port)}) % kBucketSize;
  }

  /** Port 0 and the unspecified addresses (:: and 0.0.0.0) are never stored. */
  static bool IsRoutable(const Service& addr) {
    if (addr.port == 0 || addr.ip == std::array<uint8_t, 16>{}) return false;
    return !(addr.IsIPv4() && addr.ip[12] == 0 && addr.ip[13] == 0 && addr.ip[14] == 0 &&
             addr.ip[15] == 0);
  }

  bool IsTerrible(const Info& info, int64_t now) const {
    if (info.last_try >= now - 60) return false;  // just tried: give it a chance
    if (info.entry.time > now + kMaxFutureSeconds) return true;
    if (info.entry.time == 0 || now - info.entry.time > kHorizonSeconds) return true;
    if (info.last_success == 0 && info.attempts >= 3) return true;
    return now - info.last_success > 7 * 24 * 3600 && info.attempts >= kMaxFailures;
  }

  void Delete(int id) {
    Info& info = infos_.at(id);
    const size_t slot = info.in_tried
                            ? Slot(true, TriedBucket(info.entry.addr), info.entry.addr)
                            : Slot(false, NewBucket(info.entry.addr, info.source), info.entry.addr);
    auto& table = info.in_tried ? tried_table_ : new_table_;
    if (table[slot] == id) table[slot] = -1;
    by_addr_.erase(info.entry.addr);
    infos_.erase(id);
  }

  /** Puts `info` in the new table if its slot is free or holds a terrible entry. */
  bool PlaceNew(Info info, int64_t now) {
    info.in_tried = false;
    const size_t slot = Slot(false, NewBucket(info.entry.addr, info.source), info.entry.addr);
    if (new_table_[slot] >= 0) {
      if (!IsTerrible(infos_.at(new_table_[slot]), now)) return false;
      Delete(new_table_[slot]);
    }
    const int id = next_id_++;
    by_addr_[info.entry.addr] = id;
    infos_[id] = std::move(info);
    new_table_[slot] = id;
    return true;
  }

  /** Moves the (existing) entry `id` into tried; a displaced occupant goes back to new. */
  void MakeTried(int id, int64_t now) {
    Info& info = infos_.at(id);
    if (info.in_tried) return;
    const size_t new_slot = Slot(false, NewBucket(info.entry.addr, info.source), info.entry.addr);
    if (new_table_[new_slot] == id) new_table_[new_slot] = -1;
    const size_t slot = Slot(true, TriedBucket(info.entry.addr), info.entry.addr);
    if (tried_table_[slot] >= 0) {
      const int old = tried_table_[slot];
      Info displaced = infos_.at(old);
      tried_table_[slot] = -1;
      by_addr_.erase(displaced.entry.addr);
      infos_.erase(old);
      PlaceNew(std::move(displaced), now);  // dropped if its new slot is taken
    }
    info.in_tried = true;
    tried_table_[slot] = id;
  }

  size_t Add(const std::vector<AddrEntry>& entries, const Service& source, int64_t now) {
    size_t added = 0;
    for (AddrEntry e : entries) {
      if (!IsRoutable(e.addr)) continue;
      if (e.time <= 100000000 || e.time > now + kMaxFutureSeconds) e.time = now - kPenaltySeconds;
      auto it = by_addr_.find(e.addr);
      if (it != by_addr_.end()) {
        Info& info = infos_.at(it->second);
        info.entry.time = std::max(info.entry.time, e.time);
        info.entry.services |= e.services;
        continue;
      }
      if (PlaceNew(Info{.entry = e, .source = source}, now)) ++added;
    }
    return added;
  }

  void Good(const Service& addr, int64_t now) {
    auto it = by_addr_.find(addr);
    if (it == by_addr_.end()) {
      if (!PlaceNew(Info{.entry = {.time = now, .services = 0, .addr = addr}, .source = addr},
                    now)) {
        return;
      }
      it = by_addr_.find(addr);
    }
    Info& info = infos_.at(it->second);
    info.last_success = info.last_try = info.entry.time = now;
    info.attempts = 0;
    MakeTried(it->second, now);
  }

  void Attempt(const Service& addr, int64_t now) {
    auto it = by_addr_.find(addr);
    if (it == by_addr_.end()) return;
    Info& info = infos_.at(it->second);
    info.last_try = now;
    ++info.attempts;
  }

  std::optional<AddrEntry> Select(bool new_only) {
    size_t tried = 0;
    for (const auto& [id, info] : infos_) tried += info.in_tried;
    const size_t fresh = infos_.size() - tried;
    if (fresh == 0 && (new_only || tried == 0)) return std::nullopt;
    const bool use_tried =
        !new_only && tried > 0 && (fresh == 0 || std::uniform_int_distribution<int>(0, 1)(rng_));
    const auto& table = use_tried ? tried_table_ : new_table_;
    double chance = 1.0;
    std::uniform_int_distribution<size_t> pick(0, table.size() - 1);
    std::uniform_real_distribution<double> coin(0.0, 1.0);
    for (;;) {  // terminates: the table has an entry and `chance` grows without bound
      const int id = table[pick(rng_)];
      if (id < 0) continue;
      const Info& info = infos_.at(id);
      const double factor = std::pow(0.66, std::min(info.attempts, 8));
      if (coin(rng_) < chance * factor) return info.entry;
      chance *= 1.2;
    }
  }

  std::vector<AddrEntry> GetAddr(size_t max_count, size_t max_pct, int64_t now) {
    std::vector<int> ids;
    ids.reserve(infos_.size());
    for (const auto& [id, info] : infos_) ids.push_back(id);
    std::shuffle(ids.begin(), ids.end(), rng_);
    const size_t n = std::min(max_count, infos_.size() * max_pct / 100);
    std::vector<AddrEntry> out;
    for (int id : ids) {
      if (out.size() >= n) break;
      const Info& info = infos_.at(id);
      if (!IsTerrible(info, now)) out.push_back(info.entry);
    }
    return out;
  }

  Status Save() const {
    Stored stored;
    stored.key = key_;
    for (const auto& [id, info] : infos_) stored.entries.push_back(info);
    return WriteSealedFile(path_, kFileVersion, Serialize(stored));
  }

  Status Load(int64_t now) {
    std::vector<uint8_t> body;
    Status s = ReadSealedFile(path_, kFileVersion, kMaxFileSize, &body);
    if (s.IsNotFound()) return s;
    Reset();
    if (!s.ok()) return s;
    Stored stored;
    s = Deserialize(body, &stored);
    if (!s.ok()) return Status::Corruption("corrupt-file: " + s.message());
    if (stored.entries.size() > kMaxEntries) return Status::Corruption("corrupt-file: too many");
    key_ = stored.key;
    for (Info& info : stored.entries) {
      if (by_addr_.contains(info.entry.addr)) {
        Reset();
        return Status::Corruption("corrupt-file: duplicate address");
      }
      const bool tried = info.in_tried;
      if (!PlaceNew(info, now)) continue;  // a collision under the stored key: drop it
      if (tried) MakeTried(by_addr_.at(info.entry.addr), now);
    }
    return Status::OK();
  }

  size_t CountTried() const {
    size_t n = 0;
    for (const auto& [id, info] : infos_) n += info.in_tried;
    return n;
  }

  mutable std::mutex mu;
  const std::filesystem::path path_;
  const bool deterministic_;
  Uint256 key_;                     // GUARDED_BY(mu)
  std::mt19937_64 rng_;             // GUARDED_BY(mu)
  std::map<int, Info> infos_;       // GUARDED_BY(mu)
  std::map<Service, int> by_addr_;  // GUARDED_BY(mu)
  std::vector<int> new_table_;      // GUARDED_BY(mu): id or -1 per slot
  std::vector<int> tried_table_;    // GUARDED_BY(mu)
  int next_id_ = 0;                 // GUARDED_BY(mu)
};

namespace {
int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

AddrMan::AddrMan(std::filesystem::path dir, bool deterministic)
    : impl_(std::make_unique<Impl>(std::move(dir), deterministic)) {}
AddrMan::~AddrMan() = default;

size_t AddrMan::Add(const std::vector<AddrEntry>& entries, const Service& source, int64_t now) {
  std::lock_guard lock(impl_->mu);
  return impl_->Add(entries, source, now);
}
void AddrMan::Good(const Service& addr, int64_t now) {
  std::lock_guard lock(impl_->mu);
  impl_->Good(addr, now);
}
void AddrMan::Attempt(const Service& addr, int64_t now) {
  std::lock_guard lock(impl_->mu);
  impl_->Attempt(addr, now);
}
std::optional<AddrEntry> AddrMan::Select(bool new_only) {
  std::lock_guard lock(impl_->mu);
  return impl_->Select(new_only);
}
std::vector<AddrEntry> AddrMan::GetAddr(size_t max_count, size_t max_pct) {
  std::lock_guard lock(impl_->mu);
  return impl_->GetAddr(max_count, max_pct, Now());
}
size_t AddrMan::size() const {
  std::lock_guard lock(impl_->mu);
  return impl_->infos_.size();
}
size_t AddrMan::tried_count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->CountTried();
}
size_t AddrMan::new_count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->infos_.size() - impl_->CountTried();
}
Status AddrMan::Save() const {
  std::lock_guard lock(impl_->mu);
  return impl_->Save();
}
Status AddrMan::Load() {
  std::lock_guard lock(impl_->mu);
  return impl_->Load(Now());
}

}  // namespace cc::net
