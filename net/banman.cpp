#include "net/banman.h"

#include <algorithm>

#include "net/persist.h"

namespace cc::net {
namespace {

constexpr const char* kFileName = "banlist.dat";
/** A ban is ~41 bytes on disk; refuse files far beyond kMaxBans of them. */
constexpr size_t kMaxFileSize = 64 * BanMan::kMaxBans + 64;

}  // namespace

BanMan::BanMan(std::filesystem::path dir, Clock clock)
    : path_(std::move(dir) / kFileName), clock_(std::move(clock)) {
  std::vector<uint8_t> body;
  Status s = ReadSealedFile(path_, kFileVersion, kMaxFileSize, &body);
  if (s.IsNotFound()) return;
  if (!s.ok()) {
    load_status_ = s;
    return;
  }
  std::vector<BanEntry> entries;
  s = Deserialize(body, &entries);
  if (!s.ok() || entries.size() > kMaxBans) {
    load_status_ = Status::Corruption("corrupt-file");
    return;
  }
  for (const BanEntry& e : entries) bans_[e.subnet] = e;
}

Status BanMan::load_status() const {
  std::lock_guard lock(mu_);
  return load_status_;
}

int64_t BanMan::Now() const {
  if (clock_) return clock_();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void BanMan::SweepLocked() {
  const int64_t now = Now();
  std::erase_if(bans_, [now](const auto& kv) { return kv.second.until <= now; });
}

Status BanMan::SaveLocked() {
  std::vector<BanEntry> entries;
  entries.reserve(bans_.size());
  for (const auto& [subnet, entry] : bans_) entries.push_back(entry);
  return WriteSealedFile(path_, kFileVersion, Serialize(entries));
}

Status BanMan::Ban(const SubNet& subnet, std::chrono::seconds duration) {
  if (duration <= 0s) return Status::InvalidArgument("ban duration must be positive");
  std::lock_guard lock(mu_);
  SweepLocked();
  if (!bans_.contains(subnet) && bans_.size() >= kMaxBans) {
    return Status::InvalidArgument("too many bans");
  }
  const int64_t now = Now();
  bans_[subnet] = BanEntry{subnet, now, now + duration.count()};
  return SaveLocked();
}

Status BanMan::Unban(const SubNet& subnet) {
  std::lock_guard lock(mu_);
  if (bans_.erase(subnet) == 0) return Status::NotFound("not banned: " + subnet.ToString());
  return SaveLocked();
}

Status BanMan::ClearBanned() {
  std::lock_guard lock(mu_);
  bans_.clear();
  return SaveLocked();
}

std::vector<BanEntry> BanMan::GetBanned() {
  std::lock_guard lock(mu_);
  SweepLocked();
  std::vector<BanEntry> out;
  for (const auto& [subnet, entry] : bans_) out.push_back(entry);
  return out;
}

bool BanMan::IsBanned(const Service& addr) {
  std::lock_guard lock(mu_);
  const int64_t now = Now();
  return std::any_of(bans_.begin(), bans_.end(),
                     [&](const auto& kv) { return kv.second.until > now && kv.first.Match(addr); });
}

void BanMan::Discourage(const Service& addr) {
  std::lock_guard lock(mu_);
  if (!discouraged_.insert(addr.ip).second) return;
  discouraged_order_.push_back(addr.ip);
  if (discouraged_order_.size() > kMaxDiscouraged) {
    discouraged_.erase(discouraged_order_.front());
    discouraged_order_.pop_front();
  }
}

bool BanMan::IsDiscouraged(const Service& addr) const {
  std::lock_guard lock(mu_);
  return discouraged_.contains(addr.ip);
}

}  // namespace cc::net
