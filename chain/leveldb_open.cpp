#include "chain/leveldb_open.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
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

namespace {

// A table shorter than the size LevelDB recorded for it (cut off by a crash
// on a filesystem that does not order writes, or by a bad copy) fails only
// when a read reaches its end, as an I/O error "Invalid argument" naming the
// file: say at open which table is short. Returns "" when every table is
// whole. The sizes come from the "leveldb.sstables" property, one line per
// live table: " <number>:<size>[<smallest key> .. <largest key>]".
std::string ShortTable(leveldb::DB& db, const std::filesystem::path& path) {
  std::string tables;
  if (!db.GetProperty("leveldb.sstables", &tables)) return "";
  size_t at = 0;
  while (at < tables.size()) {
    const size_t end = std::min(tables.find('\n', at), tables.size());
    const std::string_view line(tables.data() + at, end - at);
    at = end + 1;
    uint64_t number = 0, size = 0;
    const char* const line_end = line.data() + line.size();
    if (line.size() < 2 || line[0] != ' ') continue;
    auto [colon, ec] = std::from_chars(line.data() + 1, line_end, number);
    if (ec != std::errc() || colon == line_end || *colon != ':') continue;
    auto [bracket, ec2] = std::from_chars(colon + 1, line_end, size);
    if (ec2 != std::errc()) continue;
    char name[32];
    std::snprintf(name, sizeof(name), "%06llu.ldb", static_cast<unsigned long long>(number));
    std::error_code fs_ec;
    uint64_t found = std::filesystem::file_size(path / name, fs_ec);
    if (fs_ec) {  // LevelDB still opens tables under their old suffix
      std::snprintf(name, sizeof(name), "%06llu.sst", static_cast<unsigned long long>(number));
      found = std::filesystem::file_size(path / name, fs_ec);
    }
    if (fs_ec) return std::string("its table ") + name + " is missing";
    if (found < size) {
      return std::string("its table ") + name + " is truncated: " + std::to_string(found) +
             " of " + std::to_string(size) + " bytes";
    }
  }
  return "";
}

}  // namespace

Status OpenLevelDb(const std::filesystem::path& path, const leveldb::Options& options,
                   std::string_view what, std::unique_ptr<leveldb::DB>* out) {
  const bool existing = HoldsLevelDbData(path);
  leveldb::Options opts = options;
  if (existing) opts.create_if_missing = false;
  leveldb::DB* raw = nullptr;
  const leveldb::Status s = leveldb::DB::Open(opts, path.string(), &raw);
  const std::string name = std::string(what) + " database " + path.string();
  const auto damaged = [&name](const std::string& detail) {
    return Status::Corruption(name + " is damaged (" + detail +
                              "); restart with -reindex to rebuild it from the stored blocks, "
                              "or restore it from a backup");
  };
  if (s.ok()) {
    std::unique_ptr<leveldb::DB> db(raw);
    if (existing) {
      if (const std::string short_table = ShortTable(*db, path); !short_table.empty())
        return damaged(short_table);
    }
    *out = std::move(db);
    return Status::OK();
  }
  if (!existing) return store::FromLevelDb(s, name);
  if (s.IsIOError()) return store::FromLevelDb(s, name);
  std::error_code ec;
  return damaged(std::filesystem::exists(path / "CURRENT", ec) ? s.ToString()
                                                                : "its CURRENT file is missing");
}

}  // namespace cc
