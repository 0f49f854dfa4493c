// Opening a LevelDB database without ever creating one over damaged data.
//
// LevelDB's create_if_missing tests for the CURRENT file only: if CURRENT is
// lost (a crash, a bad disk, a user's mistake) it starts a new, empty
// database in the same directory and then deletes the old tables and logs as
// obsolete, so a node would silently restart at height 0. OpenLevelDb is the
// one place every store of the node opens LevelDB; it creates a database only
// in a directory that is absent or holds no data, and otherwise opens the
// existing one or refuses.
//
// Thread safety: a free function, safe to call concurrently (LevelDB's own
// LOCK file keeps two opens of one directory apart).

#ifndef COMPUTECOIN_CHAIN_LEVELDB_OPEN_H
#define COMPUTECOIN_CHAIN_LEVELDB_OPEN_H

#include <filesystem>
#include <memory>
#include <string_view>

#include <leveldb/db.h>
#include <leveldb/options.h>

#include "chain/status.h"

namespace cc {

/// Whether `dir` holds LevelDB data: any entry other than LevelDB's own
/// LOCK, LOG and LOG.old, which an open writes before any data. An absent
/// directory holds none.
[[nodiscard]] bool HoldsLevelDbData(const std::filesystem::path& dir);

/// Opens the LevelDB database at `path` into *out. With
/// options.create_if_missing a new database is created only if
/// !HoldsLevelDbData(path); a directory that holds data is opened as an
/// existing database. If that fails for any reason but a lock or I/O error,
/// returns Corruption: "<what> database <path> is damaged (<detail>); restart
/// with -reindex to rebuild it from the stored blocks, or restore it from a
/// backup" (validation/reindex.h: -reindex salvages what it can), where
/// <detail> is "its CURRENT file is missing", "its table <name> is missing",
/// "its table <name> is truncated: <found> of <recorded> bytes" (checked at
/// every open of existing data: LevelDB itself notices only when a read
/// reaches the cut, as an unexplained I/O error) or LevelDB's error. Lock and I/O
/// errors, and every error where the directory held no data (e.g. absent
/// without create_if_missing), keep LevelDB's code: "<what> database <path>:
/// <LevelDB's message>". `what` names the store (e.g. "chain").
Status OpenLevelDb(const std::filesystem::path& path, const leveldb::Options& options,
                   std::string_view what, std::unique_ptr<leveldb::DB>* out);

}  // namespace cc

#endif  // COMPUTECOIN_CHAIN_LEVELDB_OPEN_H
