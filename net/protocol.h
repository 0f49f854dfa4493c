// The P2P wire frame, message type names, service flags and size limits.
//
// Every message on a connection is one frame:
//
//   offset  bytes  field
//   0       4      magic      network magic (given by the chain parameters; the
//                             connection manager is told it, net/ does not link consensus/)
//   4       12     command    ASCII message type, NUL-padded; after the first NUL
//                             every byte must be NUL
//   16      4      length     payload length, u32 little-endian
//   20      4      checksum   first 4 bytes of Hash256(payload) (double SHA-256)
//   24      length payload    the message, encoded by chain/serialize.h
//
// A receiver checks the magic, the command's form and the length against the
// command's own maximum (MaxPayloadLength) from the 24 header bytes alone,
// before it stores a single payload byte. Payload fields are untrusted, flags
// included: a peer may claim any service.
//
// Thread safety: constants and pure functions only.

#ifndef COMPUTECOIN_NET_PROTOCOL_H
#define COMPUTECOIN_NET_PROTOCOL_H

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "chain/serialize.h"
#include "chain/status.h"

namespace cc::net {

/** Bytes of the network magic. */
inline constexpr size_t kMessageStartSize = 4;
/** Bytes of the NUL-padded command. */
inline constexpr size_t kCommandSize = 12;
/** Bytes of the payload length field. */
inline constexpr size_t kPayloadLengthSize = 4;
/** Bytes of the checksum field. */
inline constexpr size_t kChecksumSize = 4;
/** Offsets of each header field. */
inline constexpr size_t kCommandOffset = kMessageStartSize;
inline constexpr size_t kPayloadLengthOffset = kCommandOffset + kCommandSize;
inline constexpr size_t kChecksumOffset = kPayloadLengthOffset + kPayloadLengthSize;
/** Bytes of the whole header: 4 + 12 + 4 + 4. */
inline constexpr size_t kHeaderSize = kChecksumOffset + kChecksumSize;
static_assert(kHeaderSize == 24);

using MessageStart = std::array<uint8_t, kMessageStartSize>;

/** Largest payload of any message (a block, a proof carrying a transaction). Consensus puts
 *  no byte cap on blocks; the wire does, so a block above it cannot be relayed. */
inline constexpr uint32_t kMaxProtocolMessageLength = 32 * 1024 * 1024;
static_assert(kMaxProtocolMessageLength <= kMaxCompactSize);

/** The protocol version this code speaks, sent in `version`. */
inline constexpr int32_t kProtocolVersion = 1;
/** Oldest peer version we talk to. */
inline constexpr int32_t kMinPeerProtocolVersion = 1;

/** Message type names (the command field). */
namespace msgtype {
inline constexpr std::string_view kVersion = "version";          //!< handshake: who we are
inline constexpr std::string_view kVerack = "verack";            //!< handshake: version accepted
inline constexpr std::string_view kPing = "ping";                //!< keep-alive, latency
inline constexpr std::string_view kPong = "pong";                //!< reply to ping, same nonce
inline constexpr std::string_view kAddr = "addr";                //!< addresses of other nodes
inline constexpr std::string_view kGetAddr = "getaddr";          //!< ask for addr
inline constexpr std::string_view kInv = "inv";                  //!< announce objects by hash
inline constexpr std::string_view kGetData = "getdata";          //!< request announced objects
inline constexpr std::string_view kNotFound = "notfound";        //!< requested objects we lack
inline constexpr std::string_view kGetHeaders = "getheaders";    //!< locator → headers
inline constexpr std::string_view kHeaders = "headers";          //!< up to 2000 headers
inline constexpr std::string_view kSendHeaders = "sendheaders";  //!< announce blocks by header
inline constexpr std::string_view kFeeFilter = "feefilter";      //!< min fee rate to relay
inline constexpr std::string_view kBlock = "block";              //!< a full block
inline constexpr std::string_view kTx = "tx";                    //!< a transaction
inline constexpr std::string_view kWorkRecord = "workrecord";    //!< a work record
inline constexpr std::string_view kGetProof = "getproof";        //!< ask a Merkle proof
inline constexpr std::string_view kProof = "proof";              //!< object + Merkle proof
inline constexpr std::string_view kGetTensor = "gettensor";      //!< ask a tensor chunk
inline constexpr std::string_view kTensor = "tensor";            //!< a tensor chunk
inline constexpr std::string_view kRegWorker = "regworker";      //!< ask a free registration
inline constexpr std::string_view kServeInfo = "serveinfo";      //!< sections a holder serves
inline constexpr std::string_view kInferStep = "inferstep";      //!< one forward step of a session
inline constexpr std::string_view kInferResult = "inferresult";  //!< a holder's answer to it
inline constexpr std::string_view kFraudProof = "fraudproof";    //!< a block's wrong record, proven
inline constexpr std::string_view kOnionStep = "onionstep";      //!< a step wrapped in onion layers
inline constexpr std::string_view kOnionReply = "onionreply";    //!< its answer, sealed per hop
inline constexpr std::string_view kServeRelay = "serverelay";    //!< a holder's serveinfo, relayed
}  // namespace msgtype

/** What a node serves, as claimed in `version` and `addr` (untrusted). */
enum ServiceFlags : uint64_t {
  kNodeNone = 0,
  kNodeNetwork = 1 << 0,  //!< full node: serves headers, blocks, transactions and proofs
  kNodeWorker = 1 << 1,   //!< registered worker: serves the tensors it computed
  kNodeLight = 1 << 2,    //!< light client: follows headers only, serves nothing
};

/** Largest payload a message of type `command` may have; checked from the header
 *  before any payload byte is stored. Unknown commands (ignored by receivers, for
 *  forward compatibility) get kMaxUnknownPayloadLength. */
uint32_t MaxPayloadLength(std::string_view command);
/** Payload cap for a command this version does not know. */
inline constexpr uint32_t kMaxUnknownPayloadLength = 1024 * 1024;

/** The first 4 bytes of Hash256(payload). */
std::array<uint8_t, kChecksumSize> PayloadChecksum(ByteSpan payload);

/** A decoded frame header. */
struct MessageHeader {
  MessageStart magic{};
  std::string command;  //!< without the NUL padding
  uint32_t payload_length = 0;
  std::array<uint8_t, kChecksumSize> checksum{};
};

/** Parses the 24 header bytes.
 *  Returns: OK with *out filled; Corruption("bad-command") if the command has a byte
 *           outside printable ASCII, a non-NUL after a NUL, or is empty.
 *  REQUIRES: bytes.size() == kHeaderSize; out not null. Checks neither magic nor length. */
Status ParseMessageHeader(ByteSpan bytes, MessageHeader* out);

/** Appends the 24 header bytes for `payload` sent as `command` to *out.
 *  REQUIRES: 0 < command.size() <= kCommandSize, printable ASCII; out not null. */
void WriteMessageHeader(const MessageStart& magic, std::string_view command, ByteSpan payload,
                        std::vector<uint8_t>* out);

}  // namespace cc::net

#endif  // COMPUTECOIN_NET_PROTOCOL_H
