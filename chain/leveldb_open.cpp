#include "chain/leveldb_open.h"

#include <string>
#include <system_error>

#include "chain/store_format.h"

namespace cc {

bool HoldsLevelDbData(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return false;
  // A path we cannot list, or that is not a directory, counts as data: better
  // to refuse than to create over it.
  if (!std::filesystem::is_directory(dir, ec)) return true;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return true;
  for (const std::filesystem::directory_entry& entry : it) {
    const std::string name = entry.path().filename().string();
    if (name != "LOCK" && name != "LOG" && name != "LOG.old") return true;
  }
  return false;
}

Status OpenLevelDb(const std::filesystem::path& path, const leveldb::Options& options,
                   std::string_view what, std::unique_ptr<leveldb::DB>* out) {
  const bool existing = HoldsLevelDbData(path);
  leveldb::Options opts = options;
  if (existing) opts.create_if_missing = false;
  leveldb::DB* raw = nullptr;
  const leveldb::Status s = leveldb::DB::Open(opts, path.string(), &raw);
  if (s.ok()) {
    out->reset(raw);
    return Status::OK();
  }
  const std::string name = std::string(what) + " database " + path.string();
  if (!existing) return store::FromLevelDb(s, name);
  if (s.IsIOError()) return store::FromLevelDb(s, name);
  std::error_code ec;
  const std::string detail = std::filesystem::exists(path / "CURRENT", ec)
                                 ? s.ToString()
                                 : std::string("its CURRENT file is missing");
  return Status::Corruption(name + " is damaged (" + detail +
                            "); restart with -reindex to rebuild it from the stored blocks, or "
                            "restore it from a backup");
}

}  // namespace cc
