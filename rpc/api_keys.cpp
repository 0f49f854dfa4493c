#include "rpc/api_keys.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <cryptopp/misc.h>
#include <cryptopp/osrng.h>

#include "chain/file_io.h"
#include "chain/hash.h"
#include "chain/hex.h"
#include "rpc/protocol.h"

namespace cc::rpc {
namespace {

constexpr std::string_view kKeyPrefix = "ccapi-";
constexpr std::string_view kBearer = "Bearer ";
constexpr uint64_t kMaxFileBytes = 16 << 20;
constexpr size_t kMaxLabel = 64;

Uint256 Digest(std::string_view key) {
  Sha256 hasher;
  hasher.Write(std::span(reinterpret_cast<const uint8_t*>(key.data()), key.size()));
  return hasher.Finalize();
}

bool ValidLabel(const std::string& label) {
  return !label.empty() && label.size() <= kMaxLabel &&
         std::all_of(label.begin(), label.end(),
                     [](unsigned char c) { return std::isprint(c) != 0; });
}

std::string CoinText(Amount amount) {
  return std::to_string(amount / kCoin) + "." +
         std::to_string(kCoin + amount % kCoin).substr(1);
}

}  // namespace

Status ApiKeys::Open(const std::filesystem::path& path, std::unique_ptr<ApiKeys>* out) {
  std::unique_ptr<ApiKeys> keys(new ApiKeys(path));
  std::vector<uint8_t> bytes;
  Status s = ReadFileLimited(path, kMaxFileBytes, &bytes);
  if (s.IsNotFound()) {
    *out = std::move(keys);
    return Status::OK();
  }
  if (!s.ok()) return s;
  json doc;
  const auto corrupt = [&path](const std::string& what) {
    return Status::Corruption(path.string() + ": " + what);
  };
  if (!ParseJsonBody(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                     &doc)
           .ok() ||
      !doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array())
    return corrupt("not an API key file");
  for (const json& item : doc["keys"]) {
    if (!item.is_object()) return corrupt("a key entry is not an object");
    Entry entry;
    const json label = item.value("label", json()), digest = item.value("sha256", json());
    const json cap = item.value("cap", json()), spent = item.value("spent", json());
    if (!label.is_string() || !ValidLabel(label.get<std::string>()))
      return corrupt("a key entry has a malformed label");
    entry.info.label = label.get<std::string>();
    const std::optional<Uint256> parsed =
        digest.is_string() ? Uint256::FromHex(digest.get<std::string>()) : std::nullopt;
    if (!parsed) return corrupt("key " + entry.info.label + " has a malformed sha256");
    entry.digest = *parsed;
    if (!cap.is_number_integer() || !spent.is_number_integer() ||
        !MoneyRange(cap.get<Amount>()) || !MoneyRange(spent.get<Amount>()))
      return corrupt("key " + entry.info.label + " has a malformed cap or spent");
    entry.info.cap = cap.get<Amount>();
    entry.info.spent = spent.get<Amount>();
    if (keys->FindLocked(entry.info.label)) return corrupt("label " + entry.info.label + " twice");
    keys->entries_.push_back(std::move(entry));
  }
  *out = std::move(keys);
  return Status::OK();
}

ApiKeys::Entry* ApiKeys::FindLocked(const std::string& label) {
  for (Entry& entry : entries_) {
    if (entry.info.label == label) return &entry;
  }
  return nullptr;
}

Status ApiKeys::SaveLocked() const {
  json keys = json::array();
  for (const Entry& entry : entries_) {
    keys.push_back({{"label", entry.info.label},
                    {"sha256", entry.digest.ToHex()},
                    {"cap", entry.info.cap},
                    {"spent", entry.info.spent}});
  }
  return WriteFileAtomically(path_, json{{"keys", std::move(keys)}}.dump(1) + "\n", 0600);
}

Status ApiKeys::Create(const std::string& label, Amount cap, std::string* key) {
  if (!ValidLabel(label))
    return Status::InvalidArgument("label must be 1 to 64 printable characters");
  if (!MoneyRange(cap)) return Status::InvalidArgument("cap out of range");
  std::array<uint8_t, 32> secret{};
  CryptoPP::OS_GenerateRandomBlock(/*blocking=*/false, secret.data(), secret.size());
  const std::string made = std::string(kKeyPrefix) + HexStr(secret);
  std::lock_guard<std::mutex> lock(mu_);
  if (FindLocked(label)) return Status::InvalidArgument("label " + label + " is taken");
  entries_.push_back(Entry{{label, cap, 0, 0}, Digest(made)});
  const Status s = SaveLocked();
  if (!s.ok()) {
    entries_.pop_back();
    return s;
  }
  *key = made;
  return Status::OK();
}

Status ApiKeys::Revoke(const std::string& label) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = std::find_if(entries_.begin(), entries_.end(),
                               [&](const Entry& e) { return e.info.label == label; });
  if (it == entries_.end()) return Status::NotFound("no API key labelled " + label);
  const Entry removed = *it;
  entries_.erase(it);
  const Status s = SaveLocked();
  if (!s.ok()) entries_.push_back(removed);
  return s;
}

std::vector<ApiKeyInfo> ApiKeys::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ApiKeyInfo> out;
  for (const Entry& entry : entries_) out.push_back(entry.info);
  std::sort(out.begin(), out.end(),
            [](const ApiKeyInfo& a, const ApiKeyInfo& b) { return a.label < b.label; });
  return out;
}

bool ApiKeys::Authenticate(std::string_view authorization, std::string* label) const {
  if (!authorization.starts_with(kBearer)) return false;
  const std::string_view key = authorization.substr(kBearer.size());
  if (!key.starts_with(kKeyPrefix)) return false;
  const Uint256 digest = Digest(key);
  std::lock_guard<std::mutex> lock(mu_);
  bool found = false;
  // Every entry is compared, each in constant time: how long this takes
  // says nothing about how close a guess came.
  for (const Entry& entry : entries_) {
    if (CryptoPP::VerifyBufsEqual(entry.digest.data(), digest.data(), Uint256::kSize) && !found) {
      *label = entry.info.label;
      found = true;
    }
  }
  return found;
}

Status ApiKeys::Reserve(const std::string& label, Amount amount) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry* entry = FindLocked(label);
  if (!entry) return Status::NotFound("API key " + label + " was revoked");
  const ApiKeyInfo& info = entry->info;
  // Each term is in MoneyRange, so the sum cannot overflow.
  if (!MoneyRange(amount) || info.spent + info.reserved + amount > info.cap) {
    return Status::InvalidArgument("spending cap of " + CoinText(info.cap) + " reached: " +
                                   CoinText(info.spent) + " spent, " + CoinText(info.reserved) +
                                   " reserved, " + CoinText(amount) + " asked");
  }
  entry->info.reserved += amount;
  return Status::OK();
}

Status ApiKeys::Settle(const std::string& label, Amount reserved, Amount charged) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry* entry = FindLocked(label);
  if (!entry) return Status::OK();  // revoked meanwhile: nothing left to charge
  entry->info.reserved -= reserved;
  entry->info.spent += std::clamp<Amount>(charged, 0, reserved);
  return charged > 0 ? SaveLocked() : Status::OK();
}

}  // namespace cc::rpc
