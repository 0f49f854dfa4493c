// ApiKeys: who may use the inference API (rpc/completions.h), and how much
// each may spend.
//
// A key is "ccapi-" followed by 64 hex digits (32 random bytes), shown once
// when made (createapikey) and sent by clients as "Authorization: Bearer
// <key>". The node keeps only SHA-256 of each key, with its label, spending
// cap and what it has spent, in one JSON file (<network dir>/apikeys.json,
// mode 0600, replaced atomically on every change: chain/file_io.h):
//   {"keys": [{"label", "sha256", "cap", "spent"}]}      amounts in base units
// so reading the file gives no key away. Lookup compares digests in time
// independent of where they differ.
//
// Spending. A request first Reserves the most it may cost (price × max
// tokens): refused unless spent + reserved + that ≤ cap, so concurrent
// requests cannot together go over the cap. When it is done it Settles the
// amount actually charged (≤ the reservation), which is added to `spent` and
// written before Settle returns; the rest of the reservation is released.
// A crash between Reserve and Settle loses only the reservation (the node
// charged nothing it did not write down).
//
// Thread safety: every method may be called concurrently.

#ifndef COMPUTECOIN_RPC_API_KEYS_H
#define COMPUTECOIN_RPC_API_KEYS_H

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "chain/amount.h"
#include "chain/status.h"
#include "chain/uint256.h"

namespace cc::rpc {

struct ApiKeyInfo {
  std::string label;
  Amount cap = 0;       //!< most the key may spend, in base units
  Amount spent = 0;     //!< settled so far
  Amount reserved = 0;  //!< held by requests in flight (not persisted)
};

class ApiKeys {
 public:
  /// Loads `path` (a missing file is an empty set). Returns Corruption naming
  /// the problem for a file that is not as the file comment says, and
  /// ReadFileLimited's errors. On success sets *out.
  static Status Open(const std::filesystem::path& path, std::unique_ptr<ApiKeys>* out);

  /// Makes a key for `label` with spending cap `cap` and sets *key to it.
  /// Returns InvalidArgument for an empty or taken label (1 to 64 printable
  /// characters) or a cap outside MoneyRange; the file's write errors.
  Status Create(const std::string& label, Amount cap, std::string* key);
  /// Forgets `label`'s key. Returns NotFound for an unknown label.
  Status Revoke(const std::string& label);
  /// Every key's label, cap and spending, by label.
  std::vector<ApiKeyInfo> List() const;

  /// The label of the key an Authorization header value ("Bearer <key>")
  /// carries, or false for a missing, malformed or unknown key.
  [[nodiscard]] bool Authenticate(std::string_view authorization, std::string* label) const;

  /// Holds `amount` of `label`'s cap for a request. Returns InvalidArgument
  /// ("spending cap of <cap> reached: <spent> spent, <reserved> reserved,
  /// <amount> asked") when it does not fit, NotFound if the key was revoked.
  Status Reserve(const std::string& label, Amount amount);
  /// Ends a reservation of `reserved`, charging `charged` (clamped to it).
  /// Returns the file's write errors (the charge is then kept in memory).
  Status Settle(const std::string& label, Amount reserved, Amount charged);

 private:
  struct Entry {
    ApiKeyInfo info;
    Uint256 digest;  //!< SHA-256 of the key
  };
  explicit ApiKeys(std::filesystem::path path) : path_(std::move(path)) {}
  Status SaveLocked() const;  // REQUIRES: mu_ held
  Entry* FindLocked(const std::string& label);

  const std::filesystem::path path_;
  mutable std::mutex mu_;
  std::vector<Entry> entries_;  // GUARDED_BY(mu_)
};

}  // namespace cc::rpc

#endif  // COMPUTECOIN_RPC_API_KEYS_H
