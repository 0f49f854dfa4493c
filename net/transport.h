// Transport: the framing of one connection (see net/protocol.h for the frame).
//
// Receiving turns a byte stream into whole messages; sending turns a command and
// payload into a frame. A Transport does not touch sockets.
//
//   receive state machine:
//
//     +--------+  24 header bytes,       +---------+  `length` bytes  +----------+
//     | HEADER | -----------------------> | PAYLOAD | ---------------> | COMPLETE |
//     +--------+  magic/command/length ok +---------+                  +----------+
//        ^   |                                 |  bad checksum: drop,      |
//        |   | bad magic, bad command,          |  count, back to HEADER    | GetReceived-
//        |   v oversize length                  v                          | Message()
//        |  +-------+                        HEADER <-----------------------+
//        |  | FATAL |  (sticky: the caller disconnects and punishes the peer)
//        |  +-------+
//
// Error handling: wrong magic, a malformed command or a length over the
// command's maximum are fatal (the stream cannot be trusted to resynchronise).
// A checksum mismatch costs only that message: it is dropped and counted, and
// the next frame is read normally.
//
// Memory: the payload buffer grows with the bytes that have arrived, at most
// kReceiveBufferStep beyond them, never to the claimed length in one go.
//
// Thread safety: none; one Transport belongs to one connection, used from that
// connection's strand only.

#ifndef COMPUTECOIN_NET_TRANSPORT_H
#define COMPUTECOIN_NET_TRANSPORT_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chain/hash.h"
#include "chain/status.h"
#include "net/protocol.h"

namespace cc::net {

/** A whole frame, checksum verified, payload not yet decoded. */
struct ReceivedMessage {
  std::string command;
  std::vector<uint8_t> payload;
  size_t wire_size = 0;  //!< header + payload bytes, for per-peer counters
};

class Transport {
 public:
  /** Most bytes the payload buffer may be allocated beyond what has arrived:
   *  Bitcoin Core's 256 KiB, so a claimed 32 MiB costs memory only as it arrives. */
  static constexpr size_t kReceiveBufferStep = 256 * 1024;

  explicit Transport(const MessageStart& magic) : magic_(magic) {}
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  /** Consumes bytes from the front of *bytes until they run out or one message is
   *  complete (then call GetReceivedMessage before feeding more).
   *  Returns: OK; Corruption("bad-magic" | "bad-command" | "oversized-message") when the
   *           stream is unusable: the state is then fatal and every later call fails the
   *           same way. REQUIRES: bytes not null; !HaveCompleteMessage(). */
  Status ReceivedBytes(ByteSpan* bytes);

  /** True when a message with a good checksum waits in GetReceivedMessage(). */
  bool HaveCompleteMessage() const { return state_ == State::kComplete; }

  /** Hands over the completed message and starts on the next header.
   *  REQUIRES: HaveCompleteMessage(). */
  ReceivedMessage GetReceivedMessage();

  /** Frames dropped because their checksum did not match. */
  uint64_t bad_checksum_count() const { return bad_checksums_; }
  /** Bytes currently allocated by the receive buffer (for tests of the growth bound). */
  size_t receive_buffer_capacity() const { return payload_.capacity(); }

  /** The frame carrying `payload` as `command`.
   *  Returns: OK with *out set to header + payload; InvalidArgument if the command is
   *           empty, longer than 12 or not printable ASCII, or the payload exceeds
   *           MaxPayloadLength(command). REQUIRES: out not null. */
  Status MakeFrame(std::string_view command, ByteSpan payload, std::vector<uint8_t>* out) const;

 private:
  enum class State { kHeader, kPayload, kComplete, kFatal };

  MessageStart magic_;
  State state_ = State::kHeader;
  std::string fatal_reason_;
  uint8_t header_bytes_[kHeaderSize] = {};
  size_t header_have_ = 0;
  MessageHeader header_;
  std::vector<uint8_t> payload_;
  uint64_t bad_checksums_ = 0;
};

}  // namespace cc::net

#endif  // COMPUTECOIN_NET_TRANSPORT_H
