// Framing: round trips and every fatal and non-fatal receive error.

#include "net/transport.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "net/messages.h"

namespace cc::net {
namespace {

constexpr MessageStart kMagic = {0xfa, 0xce, 0xb0, 0x0c};

class TransportTest : public ::testing::Test {
 protected:
  /** The frame for `msg`. */
  std::vector<uint8_t> Frame(const Message& msg) {
    std::vector<uint8_t> out;
    const std::vector<uint8_t> payload = EncodePayload(msg);
    EXPECT_TRUE(sender_.MakeFrame(CommandOf(msg), payload, &out).ok());
    return out;
  }
  /** Feeds bytes `step` at a time, collecting complete messages; returns the first error. */
  Status Feed(const std::vector<uint8_t>& bytes, size_t step = SIZE_MAX) {
    for (size_t pos = 0; pos < bytes.size();) {
      const size_t n = std::min(step, bytes.size() - pos);
      ByteSpan span(bytes.data() + pos, n);
      while (!span.empty()) {
        Status s = receiver_.ReceivedBytes(&span);
        if (!s.ok()) return s;
        if (receiver_.HaveCompleteMessage()) received_.push_back(receiver_.GetReceivedMessage());
      }
      pos += n;
    }
    return Status::OK();
  }
  /** Overwrites the 4-byte length field of a frame. */
  static void SetLength(std::vector<uint8_t>* frame, uint32_t length) {
    std::memcpy(frame->data() + kPayloadLengthOffset, &length, 4);
  }

  Transport sender_{kMagic};
  Transport receiver_{kMagic};
  std::vector<ReceivedMessage> received_;
};

TEST_F(TransportTest, RoundTripWholeAndByteByByte) {
  std::vector<uint8_t> bytes = Frame(PingMsg{.nonce = 5});
  const std::vector<uint8_t> verack = Frame(VerackMsg{});
  bytes.insert(bytes.end(), verack.begin(), verack.end());
  ASSERT_TRUE(Feed(bytes).ok());
  ASSERT_TRUE(Feed(bytes, 1).ok());
  ASSERT_EQ(received_.size(), 4u);
  for (size_t i = 0; i < 4; i += 2) {
    EXPECT_EQ(received_[i].command, "ping");
    EXPECT_EQ(received_[i].wire_size, kHeaderSize + 8);
    Message m;
    ASSERT_TRUE(DecodeMessage(received_[i].command, received_[i].payload, &m).ok());
    EXPECT_EQ(std::get<PingMsg>(m).nonce, 5u);
    EXPECT_EQ(received_[i + 1].command, "verack");
    EXPECT_TRUE(received_[i + 1].payload.empty());
  }
}

TEST_F(TransportTest, HeaderLayout) {
  const std::vector<uint8_t> f = Frame(PongMsg{.nonce = 1});
  ASSERT_EQ(f.size(), kHeaderSize + 8);
  EXPECT_EQ(std::memcmp(f.data(), kMagic.data(), 4), 0);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(f.data() + 4), 12),
            std::string("pong\0\0\0\0\0\0\0\0", 12));
  EXPECT_EQ(f[16], 8);
  EXPECT_EQ(f[17] | f[18] | f[19], 0);
  const auto checksum = PayloadChecksum(ByteSpan(f.data() + kHeaderSize, 8));
  EXPECT_EQ(std::memcmp(f.data() + 20, checksum.data(), 4), 0);
}

TEST_F(TransportTest, WrongMagicIsFatalAndSticky) {
  std::vector<uint8_t> f = Frame(VerackMsg{});
  f[0] ^= 1;
  EXPECT_EQ(Feed(f).message(), "bad-magic");
  EXPECT_EQ(Feed(Frame(VerackMsg{})).message(), "bad-magic");  // stays dead
  EXPECT_TRUE(received_.empty());
}

TEST_F(TransportTest, OversizeLengthIsFatalBeforeAnyPayload) {
  std::vector<uint8_t> f = Frame(PingMsg{});
  SetLength(&f, 9);       // ping allows 8
  f.resize(kHeaderSize);  // the verdict comes from the header alone
  EXPECT_EQ(Feed(f).message(), "oversized-message");
  Transport t(kMagic);
  std::vector<uint8_t> big = Frame(VerackMsg{});
  std::memcpy(big.data() + kCommandOffset, "block\0\0\0\0\0\0\0", 12);
  SetLength(&big, kMaxProtocolMessageLength + 1);
  ByteSpan span(big);
  EXPECT_EQ(t.ReceivedBytes(&span).message(), "oversized-message");
}

TEST_F(TransportTest, MalformedCommandIsFatal) {
  std::vector<uint8_t> f = Frame(PingMsg{});
  f[kCommandOffset + 5] = 'x';  // "ping\0x..." : a byte after the NUL
  EXPECT_EQ(Feed(f).message(), "bad-command");
  Transport t(kMagic);
  std::vector<uint8_t> g = Frame(PingMsg{});
  g[kCommandOffset] = 0x01;
  ByteSpan span(g);
  EXPECT_EQ(t.ReceivedBytes(&span).message(), "bad-command");
}

TEST_F(TransportTest, BadChecksumDropsOnlyThatMessage) {
  std::vector<uint8_t> bad = Frame(PingMsg{.nonce = 1});
  bad[kChecksumOffset] ^= 0xff;
  std::vector<uint8_t> bytes = bad;
  const std::vector<uint8_t> good = Frame(PingMsg{.nonce = 2});
  bytes.insert(bytes.end(), good.begin(), good.end());
  ASSERT_TRUE(Feed(bytes, 3).ok());
  ASSERT_EQ(received_.size(), 1u);
  Message m;
  ASSERT_TRUE(DecodeMessage(received_[0].command, received_[0].payload, &m).ok());
  EXPECT_EQ(std::get<PingMsg>(m).nonce, 2u);
  EXPECT_EQ(receiver_.bad_checksum_count(), 1u);
}

TEST_F(TransportTest, UnknownCommandIsFramedNotFatal) {
  std::vector<uint8_t> f;
  const std::vector<uint8_t> payload(100, 1);
  ASSERT_TRUE(sender_.MakeFrame("futurecmd", payload, &f).ok());
  ASSERT_TRUE(Feed(f).ok());
  ASSERT_EQ(received_.size(), 1u);
  EXPECT_EQ(received_[0].command, "futurecmd");
}

TEST_F(TransportTest, ReceiveBufferGrowsOnlyAheadOfArrivedBytes) {
  // Claim a 32 MiB block but send 1000 bytes: the buffer stays near what arrived.
  std::vector<uint8_t> f = Frame(VerackMsg{});
  std::memcpy(f.data() + kCommandOffset, "block\0\0\0\0\0\0\0", 12);
  SetLength(&f, kMaxProtocolMessageLength);
  f.resize(kHeaderSize + 1000, 0);
  ASSERT_TRUE(Feed(f).ok());
  EXPECT_FALSE(receiver_.HaveCompleteMessage());
  EXPECT_LE(receiver_.receive_buffer_capacity(), 1000 + Transport::kReceiveBufferStep);
}

TEST_F(TransportTest, MakeFrameRefusesBadInput) {
  std::vector<uint8_t> out;
  EXPECT_EQ(sender_.MakeFrame("", {}, &out).message(), "bad-command");
  EXPECT_EQ(sender_.MakeFrame("thirteen_char", {}, &out).message(), "bad-command");
  const std::vector<uint8_t> nine(9, 0);
  EXPECT_EQ(sender_.MakeFrame("ping", nine, &out).message(), "oversized-message");
}

}  // namespace
}  // namespace cc::net
