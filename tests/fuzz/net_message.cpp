// Fuzz target: P2P payload decoding (net/messages.h). The first byte picks
// the command, the rest is its payload. DecodeMessage must never throw or
// crash; a payload that decodes must be canonical: its encoding is the same
// bytes, under the same command.

#include <array>
#include <string_view>

#include "net/messages.h"
#include "tests/fuzz/fuzz.h"

namespace {

constexpr std::array<std::string_view, 29> kCommands = {
    cc::net::msgtype::kVersion,  cc::net::msgtype::kVerack,     cc::net::msgtype::kPing,
    cc::net::msgtype::kPong,     cc::net::msgtype::kAddr,       cc::net::msgtype::kGetAddr,
    cc::net::msgtype::kInv,      cc::net::msgtype::kGetData,    cc::net::msgtype::kNotFound,
    cc::net::msgtype::kGetHeaders, cc::net::msgtype::kHeaders,  cc::net::msgtype::kSendHeaders,
    cc::net::msgtype::kFeeFilter, cc::net::msgtype::kBlock,     cc::net::msgtype::kTx,
    cc::net::msgtype::kWorkRecord, cc::net::msgtype::kGetProof, cc::net::msgtype::kProof,
    cc::net::msgtype::kGetTensor, cc::net::msgtype::kTensor,    cc::net::msgtype::kRegWorker,
    cc::net::msgtype::kServeInfo, cc::net::msgtype::kInferStep, cc::net::msgtype::kInferResult,
    cc::net::msgtype::kFraudProof, cc::net::msgtype::kOnionStep, cc::net::msgtype::kOnionReply,
    cc::net::msgtype::kServeRelay, "unknown"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view command = kCommands[data[0] % kCommands.size()];
  const cc::ByteSpan payload(data + 1, size - 1);
  cc::net::Message message;
  const cc::Status s = cc::net::DecodeMessage(command, payload, &message);
  if (command == "unknown") CC_FUZZ_CHECK(s.IsNotSupported());
  if (!s.ok()) return 0;
  CC_FUZZ_CHECK(cc::net::CommandOf(message) == command);
  const std::vector<uint8_t> again = cc::net::EncodePayload(message);
  CC_FUZZ_CHECK(std::ranges::equal(again, payload));
  return 0;
}
