// Whole-file reads and writes that a crash cannot leave half done.
//
// WriteFileAtomically writes `path`.tmp, fsyncs it, renames it over `path`
// and fsyncs the folder, so after a crash at any instant `path` holds either
// its old contents or the new ones, and once it returns the new contents
// survive a power cut. For small files written whole: the RPC cookie, worker
// keys, API keys, model exports. (The tensor store and LevelDB have their own.)
//
// Thread safety: free functions; concurrent writers of one path must be
// serialised by the caller.

#ifndef COMPUTECOIN_CHAIN_FILE_IO_H
#define COMPUTECOIN_CHAIN_FILE_IO_H

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

#include "chain/status.h"

namespace cc {

/// Replaces `path` with `bytes` as the file comment says, the new file with
/// permissions `mode` (e.g. 0600 for secrets: the file never exists with
/// wider ones). Returns IOError naming the path and the system's reason;
/// `path` is then unchanged and no temporary file is left.
Status WriteFileAtomically(const std::filesystem::path& path, std::span<const uint8_t> bytes,
                           mode_t mode = 0644);
/// As above, for text.
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view text,
                           mode_t mode = 0644);

/// Reads the whole of `path` into *out. Returns NotFound if it does not
/// exist, Corruption if it is larger than max_bytes (nothing read: a file is
/// never trusted to be small), IOError for other failures.
Status ReadFileLimited(const std::filesystem::path& path, uint64_t max_bytes,
                       std::vector<uint8_t>* out);

}  // namespace cc

#endif  // COMPUTECOIN_CHAIN_FILE_IO_H
