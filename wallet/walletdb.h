// The wallet's database: its own LevelDB in a directory the caller names
// (the node uses <datadir>/<network>/wallets/<name>/).
//
// Records (key = name, a 0x00 byte, then the suffix; value = the encoding):
//   version\0              u32                 DB format; refused if > kWalletDbVersion
//   hdseed\0               SeedRecord          the HD seed, plain or encrypted
//   mkey\0                 MasterKeyRecord     crypter.h; present iff encrypted
//   account\0              AccountRecord       the account's extended public key
//   hdindex\0 <chain:u8>   u32                 keys handed out on that chain
//   label\0 <address>      string              address book
//   tx\0 <txid:32>         WalletTx            wallet_tx.h
//   bestblock\0            BestBlockRecord     the block the wallet is synced to
//   channel\0 <outpoint:36> ChannelRecord      a payment channel (funding txid, index u32)
// The names are DBKeys below, in one place. Every struct record starts with
// its own version, so fields can be added later and read only when present.
// Locked coins are not stored (as in Bitcoin Core, they reset on restart).
//
// Consistency: every logical change (a new address, a connected block, an
// encryption) is one WalletBatch, written as one LevelDB WriteBatch with
// sync=true: after kill -9 either all of it is on disk or none of it.
// paranoid_checks is on and every read verifies checksums: a corrupted or
// truncated database is refused at open or load with a message saying so,
// never rebuilt; the user restores a backup.
//
// Exclusivity: LevelDB's LOCK file (fcntl) makes a second open of the same
// directory fail, from another process or this one; Open reports it as
// "already in use".
//
// Thread safety: WalletDatabase may be used from several threads (LevelDB
// is thread-safe); a WalletBatch belongs to one thread.

#ifndef COMPUTECOIN_WALLET_WALLETDB_H
#define COMPUTECOIN_WALLET_WALLETDB_H

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "chain/channel.h"
#include "chain/serialize.h"
#include "chain/status.h"
#include "wallet/crypter.h"
#include "wallet/hd.h"
#include "wallet/wallet_tx.h"

namespace leveldb {
class DB;
class WriteBatch;
}  // namespace leveldb

namespace cc::wallet {

inline constexpr uint32_t kWalletDbVersion = 1;

namespace DBKeys {
inline constexpr std::string_view kVersion = "version";
inline constexpr std::string_view kSeed = "hdseed";
inline constexpr std::string_view kMasterKey = "mkey";
inline constexpr std::string_view kAccount = "account";
inline constexpr std::string_view kChainIndex = "hdindex";
inline constexpr std::string_view kLabel = "label";
inline constexpr std::string_view kTx = "tx";
inline constexpr std::string_view kBestBlock = "bestblock";
inline constexpr std::string_view kChannel = "channel";
}  // namespace DBKeys

/// Load results, ordered by severity: a load reports the worst it met.
enum class DBErrors {
  kLoadOk,             //!< everything read
  kNoncriticalError,   //!< an unknown record was skipped (a newer version's extra)
  kTooNew,             //!< written by a newer version of this program
  kLoadFail,           //!< required records missing or I/O failure
  kCorrupt,            //!< a record or the store itself does not decode
};

inline constexpr uint32_t kSeedRecordVersion = 1;
struct SeedRecord {
  uint32_t version = kSeedRecordVersion;
  bool encrypted = false;
  std::vector<uint8_t> plain;  //!< the seed when !encrypted, else empty
  EncryptedSecret secret;      //!< under the master key when encrypted

  CC_SERIALIZE_METHODS(SeedRecord, obj) { ar(obj.version, obj.encrypted, obj.plain, obj.secret); }
};

inline constexpr uint32_t kAccountRecordVersion = 1;
struct AccountRecord {
  uint32_t version = kAccountRecordVersion;
  Fingerprint master_fingerprint{};
  uint32_t coin_type = 0;
  uint32_t account = 0;
  ExtPubKey xpub;  //!< m/86'/coin_type'/account'

  CC_SERIALIZE_METHODS(AccountRecord, obj) {
    ar(obj.version, obj.master_fingerprint, obj.coin_type, obj.account, obj.xpub);
  }
};

struct BestBlockRecord {
  uint32_t version = 1;
  Uint256 hash;
  uint32_t height = 0;

  CC_SERIALIZE_METHODS(BestBlockRecord, obj) { ar(obj.version, obj.hash, obj.height); }
  bool operator==(const BestBlockRecord&) const = default;
};

/// Which side of a payment channel the wallet is on.
enum class ChannelRole : uint8_t {
  kClient = 0,  //!< funded it and pays through it
  kHolder = 1,  //!< is paid through it
};

inline constexpr uint32_t kChannelRecordVersion = 1;
/// A payment channel (chain/channel.h) and the best payment made over it.
struct ChannelRecord {
  uint32_t version = kChannelRecordVersion;
  Channel channel;
  ChannelRole role = ChannelRole::kClient;
  /// Client: the last update signed; holder: the best update accepted.
  /// paid is 0 before any.
  ChannelUpdate best;
};
/// version:u32 channel:Channel role:u8 best:ChannelUpdate; decoding rejects unknown roles.
void Put(Writer& w, const ChannelRecord& record);
void Get(Reader& r, ChannelRecord& record);

/// Everything a load reads.
struct WalletRecords {
  uint32_t version = 0;
  std::optional<SeedRecord> seed;
  std::optional<MasterKeyRecord> master_key;
  std::optional<AccountRecord> account;
  std::map<uint8_t, uint32_t> chain_next;  //!< chain → keys handed out
  std::map<std::string, std::string> labels;
  std::map<Uint256, WalletTx> txs;
  std::optional<BestBlockRecord> best_block;
  std::map<OutPoint, ChannelRecord> channels;
};

class WalletBatch;

class WalletDatabase {
 public:
  /** Opens (or with create, creates) the database in directory `path`.
   *
   *  Returns: OK with *out; NotFound if !create and there is no database;
   *           InvalidArgument if create and one exists already;
   *           IOError("... already in use ...") if another opener holds it;
   *           Corruption("wallet database <path> is corrupted: ...") if
   *           LevelDB finds damage at open.
   *  Out:     out: REQUIRES: not null.
   */
  static Status Open(const std::string& path, bool create, std::unique_ptr<WalletDatabase>* out);

  ~WalletDatabase();
  WalletDatabase(const WalletDatabase&) = delete;
  WalletDatabase& operator=(const WalletDatabase&) = delete;

  /** Reads every record, verifying checksums.
   *
   *  Returns: the worst DBErrors met; *error describes anything but kLoadOk
   *           (e.g. "corrupt record tx\0<txid>: trailing bytes").
   *  Out:     out, error: REQUIRES: not null.
   */
  DBErrors Load(WalletRecords* out, std::string* error);

  /** Copies a consistent snapshot of every record into a new LevelDB at
   *  `dest` (which must not exist).
   *  Returns: OK; InvalidArgument if dest exists; IOError/Corruption from LevelDB.
   */
  Status Backup(const std::string& dest);

  /// Rewrites the store's files (after encryption, so superseded plaintext
  /// records are dropped from live files).
  void Compact();

  const std::string& path() const { return path_; }

 private:
  friend class WalletBatch;
  WalletDatabase(std::string path, std::unique_ptr<leveldb::DB> db);

  std::string path_;
  std::unique_ptr<leveldb::DB> db_;
};

/// Collects the writes of one logical change; Commit writes them atomically.
/// REQUIRES: the database outlives the batch.
class WalletBatch {
 public:
  explicit WalletBatch(WalletDatabase* db);
  ~WalletBatch();
  WalletBatch(const WalletBatch&) = delete;
  WalletBatch& operator=(const WalletBatch&) = delete;

  void WriteVersion(uint32_t version);
  void WriteSeed(const SeedRecord& seed);
  void WriteMasterKey(const MasterKeyRecord& mkey);
  void WriteAccount(const AccountRecord& account);
  void WriteChainIndex(uint8_t chain, uint32_t next);
  void WriteLabel(const std::string& address, const std::string& label);
  void EraseLabel(const std::string& address);
  void WriteTx(const WalletTx& wtx);
  void EraseTx(const Uint256& txid);
  void WriteBestBlock(const BestBlockRecord& best);
  void WriteChannel(const ChannelRecord& channel);

  /// True if nothing was written to the batch.
  bool empty() const { return count_ == 0; }

  /** Writes the batch with sync=true and clears it.
   *  Returns: OK, or the IOError LevelDB reports (nothing was written).
   */
  Status Commit();

 private:
  WalletDatabase* db_;
  std::unique_ptr<leveldb::WriteBatch> batch_;
  size_t count_ = 0;
};

}  // namespace cc::wallet

#endif  // COMPUTECOIN_WALLET_WALLETDB_H
