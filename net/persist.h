// Small files the network layer keeps in the data directory (ban list, address
// book), written so that a crash never leaves a half-written file behind.
//
// File format:
//   version:u8  body:bytes(rest - 4)  checksum:[4]
// checksum = first 4 bytes of Hash256(version || body). A reader refuses a file
// whose checksum does not match ("corrupt-file"), whose version it does not know
// ("unknown-file-version") or that is larger than the caller's bound.
//
// Writing goes to "<name>.new", is fsync'ed, renamed over "<name>", and the
// directory is fsync'ed, so the file is either the old or the new one in full.
//
// Thread safety: free functions; two writers of the same path must be serialised
// by their caller.

#ifndef COMPUTECOIN_NET_PERSIST_H
#define COMPUTECOIN_NET_PERSIST_H

#include <cstdint>
#include <filesystem>
#include <vector>

#include "chain/hash.h"
#include "chain/status.h"

namespace cc::net {

/** Writes version || body || checksum to `path` atomically (see file comment).
 *  Returns: OK; IOError with the failing step and errno text. */
Status WriteSealedFile(const std::filesystem::path& path, uint8_t version, ByteSpan body);

/** Reads a file written by WriteSealedFile.
 *  Returns: OK with *body set; NotFound if the file does not exist; IOError if it
 *           cannot be read; Corruption("file-too-large" | "corrupt-file" |
 *           "unknown-file-version") otherwise. REQUIRES: body not null. */
Status ReadSealedFile(const std::filesystem::path& path, uint8_t version, size_t max_size,
                      std::vector<uint8_t>* body);

}  // namespace cc::net

#endif  // COMPUTECOIN_NET_PERSIST_H
