#include "net/protocol.h"

#include <cstring>

#include "chain/hash.h"
#include "net/messages.h"

namespace cc::net {

uint32_t MaxPayloadLength(std::string_view command) {
  if (command == msgtype::kVersion) return VersionMsg::kMaxPayload;
  if (command == msgtype::kVerack) return 0;
  if (command == msgtype::kPing) return 8;
  if (command == msgtype::kPong) return 8;
  if (command == msgtype::kAddr) return AddrMsg::kMaxPayload;
  if (command == msgtype::kGetAddr) return 0;
  if (command == msgtype::kInv) return kMaxInvPayload;
  if (command == msgtype::kGetData) return kMaxInvPayload;
  if (command == msgtype::kNotFound) return kMaxInvPayload;
  if (command == msgtype::kGetHeaders) return GetHeadersMsg::kMaxPayload;
  if (command == msgtype::kHeaders) return HeadersMsg::kMaxPayload;
  if (command == msgtype::kSendHeaders) return 0;
  if (command == msgtype::kFeeFilter) return 8;
  if (command == msgtype::kBlock) return kMaxProtocolMessageLength;
  if (command == msgtype::kTx) return kMaxProtocolMessageLength;
  if (command == msgtype::kWorkRecord) return kMaxProtocolMessageLength;
  if (command == msgtype::kGetProof) return GetProofMsg::kMaxPayload;
  if (command == msgtype::kProof) return kMaxProtocolMessageLength;
  if (command == msgtype::kGetTensor) return GetTensorMsg::kMaxPayload;
  if (command == msgtype::kTensor) return TensorMsg::kMaxPayload;
  if (command == msgtype::kRegWorker) return RegWorkerMsg::kMaxPayload;
  if (command == msgtype::kServeInfo) return ServeInfoMsg::kMaxPayload;
  if (command == msgtype::kInferStep) return InferStepMsg::kMaxPayload;
  if (command == msgtype::kInferResult) return InferResultMsg::kMaxPayload;
  if (command == msgtype::kFraudProof) return FraudProofMsg::kMaxPayload;
  if (command == msgtype::kOnionStep) return OnionStepMsg::kMaxPayload;
  if (command == msgtype::kOnionReply) return OnionReplyMsg::kMaxPayload;
  if (command == msgtype::kServeRelay) return ServeRelayMsg::kMaxPayload;
  return kMaxUnknownPayloadLength;
}

std::array<uint8_t, kChecksumSize> PayloadChecksum(ByteSpan payload) {
  const Uint256 h = Hash256(payload);
  std::array<uint8_t, kChecksumSize> out;
  std::memcpy(out.data(), h.data(), kChecksumSize);
  return out;
}

Status ParseMessageHeader(ByteSpan bytes, MessageHeader* out) {
  std::memcpy(out->magic.data(), bytes.data(), kMessageStartSize);
  const uint8_t* cmd = bytes.data() + kCommandOffset;
  size_t len = 0;
  while (len < kCommandSize && cmd[len] != 0) {
    if (cmd[len] < 0x20 || cmd[len] > 0x7e) return Status::Corruption("bad-command");
    ++len;
  }
  if (len == 0) return Status::Corruption("bad-command");
  for (size_t i = len; i < kCommandSize; ++i) {
    if (cmd[i] != 0) return Status::Corruption("bad-command");
  }
  out->command.assign(reinterpret_cast<const char*>(cmd), len);
  uint32_t length;
  std::memcpy(&length, bytes.data() + kPayloadLengthOffset, sizeof(length));
  out->payload_length = length;
  std::memcpy(out->checksum.data(), bytes.data() + kChecksumOffset, kChecksumSize);
  return Status::OK();
}

void WriteMessageHeader(const MessageStart& magic, std::string_view command, ByteSpan payload,
                        std::vector<uint8_t>* out) {
  out->insert(out->end(), magic.begin(), magic.end());
  std::array<uint8_t, kCommandSize> cmd{};
  std::memcpy(cmd.data(), command.data(), std::min(command.size(), kCommandSize));
  out->insert(out->end(), cmd.begin(), cmd.end());
  const uint32_t length = static_cast<uint32_t>(payload.size());
  uint8_t len_bytes[4];
  std::memcpy(len_bytes, &length, 4);
  out->insert(out->end(), len_bytes, len_bytes + 4);
  const auto checksum = PayloadChecksum(payload);
  out->insert(out->end(), checksum.begin(), checksum.end());
}

}  // namespace cc::net
