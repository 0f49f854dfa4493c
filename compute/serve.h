// Serving: a contiguous run of the model's sections applied to inference
// sessions, each with its own key/value cache (Petals-style), so that a
// client decodes one token at a time through a chain of holders.
//
// A hop serves sections [begin, end) of the partition (compute/partition.h).
// Its range must cover whole atoms: all shards of a sharded atom sit in one
// hop (CheckServeRange), so a hop's output is the stream itself, never a
// shard's part of it that a client would have to sum.
//
// What crosses a hop, for t new positions [position, position + t):
//   input   begin == 0 (the hop embeds):  kUInt8 token ids, shape (t)
//           otherwise:                    kFloat32 stream, shape (t, C)
//   output  end == k (the hop has HEAD):  kFloat32 logits of the last position,
//   (V)
//           otherwise:                    kFloat32 stream, shape (t, C)
//
// Sessions. A session is named by a 32-byte id the client draws at random.
// A step at position 0 starts it (or starts it again, dropping its cache);
// a step at position p > 0 continues it and requires that exactly p
// positions are cached; position + t never exceeds the context T, since the
// learned position embedding has T rows. A holder keeps at most
// ServeLimits::max_sessions sessions: a new one evicts the least recently
// used, and a session idle for ServeLimits::session_timeout is dropped. A
// client whose session was dropped gets NotFound("unknown-session") and
// replays its prefix from position 0. Memory per session: for each served
// layer, keys and values of up to T positions, 2·T·C floats.
//
// Thread safety: a SectionServer may be used from several threads; its steps
// run one at a time.

#ifndef COMPUTECOIN_COMPUTE_SERVE_H
#define COMPUTECOIN_COMPUTE_SERVE_H

#include <chrono>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "chain/status.h"
#include "chain/uint256.h"
#include "compute/decode.h"
#include "compute/partition.h"
#include "compute/tensor.h"

namespace cc::compute {

/// Returns OK if [begin, end) is a non-empty range of partition's sections
/// whose first section starts an atom (shard 0) and whose last ends one (its
/// last shard); InvalidArgument with the reason otherwise.
Status CheckServeRange(const Partition& partition, uint32_t begin, uint32_t end);

struct ServeLimits {
  /// Sessions held at once; a new one evicts the least recently used.
  uint32_t max_sessions = 64;
  /// A session not stepped for this long is dropped (0: at the next step
  /// of any session, so none survives between steps).
  std::chrono::milliseconds session_timeout = std::chrono::minutes(5);
};

struct ServeStats {
  uint64_t sessions = 0;          //!< held now
  uint64_t sessions_started = 0;  //!< steps at position 0, ever
  uint64_t sessions_evicted = 0;  //!< dropped for room or by timeout, ever
  uint64_t positions = 0;         //!< positions computed, ever (replays included)
};

/// Runs one hop's sections on sessions (file comment). Made by
/// Engine::MakeSectionServer from the engine's weights at that moment; it
/// keeps its own copy, so training moving on does not change what it serves.
class SectionServer {
 public:
  virtual ~SectionServer() = default;

  virtual uint32_t begin() const = 0;
  virtual uint32_t end() const = 0;

  /// Runs the hop on `input` at positions [position, position + t) of
  /// `session`, writing the hop's output (file comment) to *out.
  /// Returns InvalidArgument("bad-serve-input: …") when input has the wrong
  /// codec, rank or width, t is 0, or position + t > T (nothing changes);
  /// NotFound("unknown-session") when position > 0 and the session is not
  /// held; InvalidArgument("bad-serve-position: …") when position > 0 is not
  /// the session's cached length; IOError when libtorch fails (the session is
  /// dropped). *out is unspecified unless OK.
  virtual Status Step(const Uint256& session, uint32_t position, const EncodedTensor& input,
                      EncodedTensor* out) = 0;

  /// Drops a session now; false if it was not held.
  virtual bool EndSession(const Uint256& session) = 0;

  virtual ServeStats Stats() const = 0;
};

/// One session through servers in this process, one hop after another: the
/// model as a LogitsSource (compute/decode.h) without a network. What the
/// router in node/inference.h does over P2P, for tests and benchmarks.
/// REQUIRES: hops chain from section 0 to the last; they outlive this.
class LocalRoute final : public LogitsSource {
 public:
  LocalRoute(std::vector<SectionServer*> hops, const Uint256& session)
      : hops_(std::move(hops)), session_(session) {}

  /// Returns the first hop's error, or Corruption if the last hop's output
  /// is not float logits.
  Status Logits(uint32_t position, std::span<const uint8_t> tokens,
                std::vector<float>* logits) override;

 private:
  std::vector<SectionServer*> hops_;
  Uint256 session_;
};

}  // namespace cc::compute

#endif  // COMPUTECOIN_COMPUTE_SERVE_H
