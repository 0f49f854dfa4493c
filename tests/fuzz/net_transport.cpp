// Fuzz target: the P2P framing (net/transport.h) over an arbitrary byte
// stream delivered in arbitrary pieces. The transport must never crash, must
// stay fatal once fatal, must never hold a receive buffer much larger than
// what arrived, and every message it hands out must re-frame to the bytes
// that carried it.

#include <algorithm>

#include "net/transport.h"
#include "tests/fuzz/fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The first bytes choose the piece size; the stream starts with a fixed magic
  // so that most inputs get past the header check.
  if (size < 1) return 0;
  const size_t piece = 1 + data[0] % 64;
  const cc::net::MessageStart magic{0xfa, 0xbf, 0xb5, 0xda};
  cc::net::Transport transport(magic);
  size_t fed = 0;
  cc::ByteSpan rest(data + 1, size - 1);
  bool fatal = false;
  while (!rest.empty()) {
    cc::ByteSpan chunk = rest.first(std::min(piece, rest.size()));
    const size_t before = chunk.size();
    const cc::Status s = transport.ReceivedBytes(&chunk);
    if (!s.ok()) {
      fatal = true;
      break;
    }
    const size_t used = before - chunk.size();
    fed += used;
    rest = rest.subspan(used);
    CC_FUZZ_CHECK(transport.receive_buffer_capacity() <= fed + (1u << 20));
    if (transport.HaveCompleteMessage()) {
      const cc::net::ReceivedMessage msg = transport.GetReceivedMessage();
      std::vector<uint8_t> frame;
      CC_FUZZ_CHECK(transport.MakeFrame(msg.command, msg.payload, &frame).ok());
      CC_FUZZ_CHECK(frame.size() == msg.wire_size);
    }
  }
  if (fatal) {
    cc::ByteSpan more(data, size);
    CC_FUZZ_CHECK(!transport.ReceivedBytes(&more).ok());
  }
  return 0;
}
