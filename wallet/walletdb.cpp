#include "wallet/walletdb.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <filesystem>
#include <vector>

#include "chain/hex.h"

namespace cc::wallet {
namespace {

std::string Key(std::string_view name, std::string_view suffix = {}) {
  std::string key(name);
  key.push_back('\0');
  key.append(suffix);
  return key;
}

std::string_view AsChars(const std::vector<uint8_t>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

template <typename T>
std::string Value(const T& value) {
  const std::vector<uint8_t> bytes = Serialize(value);
  return std::string(AsChars(bytes));
}

// A channel record's key suffix: its funding outpoint's encoding.
constexpr size_t kOutPointSize = Uint256::kSize + 4;
std::string ChannelKeySuffix(const OutPoint& funding) { return Value(funding); }

leveldb::Options DbOptions(bool create) {
  leveldb::Options options;
  options.create_if_missing = create;
  options.error_if_exists = create;
  options.paranoid_checks = true;
  return options;
}

// A printable form of a record key, for error messages.
std::string Printable(std::string_view key) {
  const size_t sep = key.find('\0');
  if (sep == std::string_view::npos) return "'" + HexStr(AsBytes(key)) + "'";
  const std::string_view suffix = key.substr(sep + 1);
  std::string out(key.substr(0, sep));
  if (!suffix.empty()) {
    out += "/";
    bool text = true;
    for (char c : suffix) text = text && c >= 32 && c < 127;
    out += text ? std::string(suffix) : HexStr(AsBytes(suffix));
  }
  return out;
}

}  // namespace

void Put(Writer& w, const ChannelRecord& record) {
  w(record.version, record.channel, static_cast<uint8_t>(record.role), record.best);
}

void Get(Reader& r, ChannelRecord& record) {
  uint8_t role = 0;
  r(record.version, record.channel, role, record.best);
  if (role > static_cast<uint8_t>(ChannelRole::kHolder)) throw DecodeError("bad channel role");
  record.role = static_cast<ChannelRole>(role);
}

// ---------------------------------------------------------------------------
// WalletDatabase

WalletDatabase::WalletDatabase(std::string path, std::unique_ptr<leveldb::DB> db)
    : path_(std::move(path)), db_(std::move(db)) {}

WalletDatabase::~WalletDatabase() = default;

Status WalletDatabase::Open(const std::string& path, bool create,
                            std::unique_ptr<WalletDatabase>* out) {
  std::error_code ec;
  if (!create && !std::filesystem::exists(path + "/CURRENT", ec)) {
    if (std::filesystem::exists(path, ec) && !std::filesystem::is_empty(path, ec)) {
      return Status::Corruption("wallet database " + path +
                                " is corrupted: its CURRENT file is missing; refusing to load "
                                "(restore a backup)");
    }
    return Status::NotFound("no wallet database at " + path);
  }
  if (create && std::filesystem::exists(path + "/CURRENT", ec)) {
    return Status::InvalidArgument("a wallet database already exists at " + path);
  }
  if (create) std::filesystem::create_directories(path, ec);
  leveldb::DB* raw = nullptr;
  const leveldb::Status s = leveldb::DB::Open(DbOptions(create), path, &raw);
  if (!s.ok()) {
    const std::string what = s.ToString();
    if (s.IsIOError() && what.find("lock") != std::string::npos) {
      return Status::IOError("wallet database " + path +
                             " is already in use (another process or this one has it open)");
    }
    if (s.IsCorruption()) {
      return Status::Corruption("wallet database " + path + " is corrupted: " + what +
                                "; refusing to load (restore a backup)");
    }
    if (s.IsInvalidArgument() && create) {
      return Status::InvalidArgument("a wallet database already exists at " + path);
    }
    return Status::IOError("cannot open wallet database " + path + ": " + what);
  }
  out->reset(new WalletDatabase(path, std::unique_ptr<leveldb::DB>(raw)));
  return Status::OK();
}

DBErrors WalletDatabase::Load(WalletRecords* out, std::string* error) {
  *out = WalletRecords();
  error->clear();
  DBErrors worst = DBErrors::kLoadOk;
  auto report = [&](DBErrors e, const std::string& what) {
    if (e > worst) {
      worst = e;
      *error = what;
    }
  };
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  ro.fill_cache = false;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(ro));
  bool have_version = false;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    const ByteSpan value(reinterpret_cast<const uint8_t*>(it->value().data()), it->value().size());
    const size_t sep = key.find('\0');
    const std::string_view name = key.substr(0, sep);
    const std::string_view suffix =
        sep == std::string_view::npos ? std::string_view() : key.substr(sep + 1);
    Status s;
    if (sep == std::string_view::npos) {
      report(DBErrors::kNoncriticalError, "unknown record " + Printable(key));
      continue;
    } else if (name == DBKeys::kVersion) {
      s = Deserialize(value, &out->version);
      have_version = s.ok();
    } else if (name == DBKeys::kSeed) {
      SeedRecord rec;
      s = Deserialize(value, &rec);
      if (s.ok() && rec.version != kSeedRecordVersion) s = Status::Corruption("unknown version");
      if (s.ok()) out->seed = std::move(rec);
    } else if (name == DBKeys::kMasterKey) {
      MasterKeyRecord rec;
      s = Deserialize(value, &rec);
      if (s.ok()) s = CheckKdfParams(rec.kdf);
      if (s.ok()) out->master_key = std::move(rec);
    } else if (name == DBKeys::kAccount) {
      AccountRecord rec;
      s = Deserialize(value, &rec);
      if (s.ok()) out->account = rec;
    } else if (name == DBKeys::kChainIndex) {
      uint32_t next = 0;
      s = suffix.size() == 1 ? Deserialize(value, &next) : Status::Corruption("bad key");
      if (s.ok()) out->chain_next[static_cast<uint8_t>(suffix[0])] = next;
    } else if (name == DBKeys::kLabel) {
      std::string label;
      s = Deserialize(value, &label);
      if (s.ok()) out->labels[std::string(suffix)] = std::move(label);
    } else if (name == DBKeys::kTx) {
      WalletTx wtx;
      s = suffix.size() == Uint256::kSize ? Deserialize(value, &wtx)
                                          : Status::Corruption("bad key");
      if (s.ok() && wtx.state > kMaxTxState) s = Status::Corruption("bad state");
      if (s.ok() && std::string_view(reinterpret_cast<const char*>(wtx.tx.Txid().data()),
                                     Uint256::kSize) != suffix) {
        s = Status::Corruption("txid does not match its key");
      }
      if (s.ok()) out->txs[wtx.tx.Txid()] = std::move(wtx);
    } else if (name == DBKeys::kChannel) {
      ChannelRecord rec;
      s = suffix.size() == kOutPointSize ? Deserialize(value, &rec) : Status::Corruption("bad key");
      if (s.ok() && rec.version != kChannelRecordVersion) s = Status::Corruption("unknown version");
      if (s.ok() && ChannelKeySuffix(rec.channel.funding) != suffix) {
        s = Status::Corruption("funding outpoint does not match its key");
      }
      if (s.ok()) out->channels[rec.channel.funding] = std::move(rec);
    } else if (name == DBKeys::kBestBlock) {
      BestBlockRecord rec;
      s = Deserialize(value, &rec);
      if (s.ok()) out->best_block = rec;
    } else {
      report(DBErrors::kNoncriticalError, "unknown record " + Printable(key));
      continue;
    }
    if (!s.ok())
      report(DBErrors::kCorrupt, "corrupt record " + Printable(key) + ": " + s.message());
  }
  if (!it->status().ok()) {
    report(DBErrors::kCorrupt, "wallet database " + path_ +
                                   " is corrupted: " + it->status().ToString() +
                                   "; refusing to load (restore a backup)");
  }
  if (worst == DBErrors::kCorrupt) return worst;
  if (!have_version) {
    report(DBErrors::kCorrupt, "wallet database " + path_ + " has no version record");
  } else if (out->version > kWalletDbVersion) {
    report(DBErrors::kTooNew, "wallet requires a newer version of this program (format " +
                                  std::to_string(out->version) + ")");
  } else if (!out->seed || !out->account) {
    report(DBErrors::kLoadFail, "wallet database " + path_ + " lacks its seed or account record");
  } else if (out->seed->encrypted != out->master_key.has_value()) {
    report(DBErrors::kCorrupt, "wallet database " + path_ +
                                   " has an encrypted seed without a master key or the reverse");
  }
  return worst;
}

Status WalletDatabase::Backup(const std::string& dest) {
  std::error_code ec;
  if (std::filesystem::exists(dest, ec)) {
    return Status::InvalidArgument("backup destination " + dest + " already exists");
  }
  leveldb::DB* raw = nullptr;
  leveldb::Status s = leveldb::DB::Open(DbOptions(/*create=*/true), dest, &raw);
  if (!s.ok()) return Status::IOError("cannot create backup " + dest + ": " + s.ToString());
  std::unique_ptr<leveldb::DB> copy(raw);
  const leveldb::Snapshot* snapshot = db_->GetSnapshot();
  leveldb::ReadOptions ro;
  ro.snapshot = snapshot;
  ro.verify_checksums = true;
  leveldb::WriteBatch batch;
  {
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(ro));
    for (it->SeekToFirst(); it->Valid(); it->Next()) batch.Put(it->key(), it->value());
    s = it->status();
  }
  db_->ReleaseSnapshot(snapshot);
  if (!s.ok()) return Status::Corruption("cannot read wallet for backup: " + s.ToString());
  leveldb::WriteOptions wo;
  wo.sync = true;
  s = copy->Write(wo, &batch);
  if (!s.ok()) return Status::IOError("cannot write backup " + dest + ": " + s.ToString());
  return Status::OK();
}

void WalletDatabase::Compact() { db_->CompactRange(nullptr, nullptr); }

// ---------------------------------------------------------------------------
// WalletBatch

WalletBatch::WalletBatch(WalletDatabase* db)
    : db_(db), batch_(std::make_unique<leveldb::WriteBatch>()) {}

WalletBatch::~WalletBatch() = default;

void WalletBatch::WriteVersion(uint32_t version) {
  batch_->Put(Key(DBKeys::kVersion), Value(version));
  ++count_;
}
void WalletBatch::WriteSeed(const SeedRecord& seed) {
  batch_->Put(Key(DBKeys::kSeed), Value(seed));
  ++count_;
}
void WalletBatch::WriteMasterKey(const MasterKeyRecord& mkey) {
  batch_->Put(Key(DBKeys::kMasterKey), Value(mkey));
  ++count_;
}
void WalletBatch::WriteAccount(const AccountRecord& account) {
  batch_->Put(Key(DBKeys::kAccount), Value(account));
  ++count_;
}
void WalletBatch::WriteChainIndex(uint8_t chain, uint32_t next) {
  batch_->Put(Key(DBKeys::kChainIndex, std::string(1, static_cast<char>(chain))), Value(next));
  ++count_;
}
void WalletBatch::WriteLabel(const std::string& address, const std::string& label) {
  batch_->Put(Key(DBKeys::kLabel, address), Value(label));
  ++count_;
}
void WalletBatch::EraseLabel(const std::string& address) {
  batch_->Delete(Key(DBKeys::kLabel, address));
  ++count_;
}
void WalletBatch::WriteTx(const WalletTx& wtx) {
  const Uint256 txid = wtx.tx.Txid();
  batch_->Put(Key(DBKeys::kTx,
                  std::string_view(reinterpret_cast<const char*>(txid.data()), Uint256::kSize)),
              Value(wtx));
  ++count_;
}
void WalletBatch::EraseTx(const Uint256& txid) {
  batch_->Delete(Key(DBKeys::kTx,
                     std::string_view(reinterpret_cast<const char*>(txid.data()), Uint256::kSize)));
  ++count_;
}
void WalletBatch::WriteBestBlock(const BestBlockRecord& best) {
  batch_->Put(Key(DBKeys::kBestBlock), Value(best));
  ++count_;
}

void WalletBatch::WriteChannel(const ChannelRecord& channel) {
  batch_->Put(Key(DBKeys::kChannel, ChannelKeySuffix(channel.channel.funding)), Value(channel));
  ++count_;
}

Status WalletBatch::Commit() {
  leveldb::WriteOptions wo;
  wo.sync = true;
  const leveldb::Status s = db_->db_->Write(wo, batch_.get());
  batch_->Clear();
  count_ = 0;
  if (!s.ok()) return Status::IOError("wallet database write failed: " + s.ToString());
  return Status::OK();
}

}  // namespace cc::wallet
