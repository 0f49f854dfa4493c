#include "net/transport.h"

#include <algorithm>
#include <cstring>

namespace cc::net {

Status Transport::ReceivedBytes(ByteSpan* bytes) {
  while (!bytes->empty()) {
    switch (state_) {
      case State::kFatal:
        return Status::Corruption(fatal_reason_);
      case State::kComplete:
        return Status::OK();  // REQUIRES violated; consume nothing
      case State::kHeader: {
        const size_t take = std::min(kHeaderSize - header_have_, bytes->size());
        std::memcpy(header_bytes_ + header_have_, bytes->data(), take);
        header_have_ += take;
        *bytes = bytes->subspan(take);
        if (header_have_ < kHeaderSize) break;
        header_have_ = 0;
        if (std::memcmp(header_bytes_, magic_.data(), kMessageStartSize) != 0) {
          fatal_reason_ = "bad-magic";
          state_ = State::kFatal;
          return Status::Corruption(fatal_reason_);
        }
        Status s = ParseMessageHeader(ByteSpan(header_bytes_, kHeaderSize), &header_);
        if (!s.ok()) {
          fatal_reason_ = s.message();
          state_ = State::kFatal;
          return s;
        }
        if (header_.payload_length > MaxPayloadLength(header_.command)) {
          fatal_reason_ = "oversized-message";
          state_ = State::kFatal;
          return Status::Corruption(fatal_reason_);
        }
        payload_.clear();
        payload_.shrink_to_fit();
        state_ = State::kPayload;
        if (header_.payload_length == 0) {
          state_ = State::kComplete;
        }
        break;
      }
      case State::kPayload: {
        const size_t want = header_.payload_length - payload_.size();
        const size_t take = std::min(want, bytes->size());
        const size_t needed = payload_.size() + take;
        if (needed > payload_.capacity()) {
          payload_.reserve(std::min<size_t>(header_.payload_length, needed + kReceiveBufferStep));
        }
        payload_.insert(payload_.end(), bytes->begin(), bytes->begin() + take);
        *bytes = bytes->subspan(take);
        if (payload_.size() == header_.payload_length) state_ = State::kComplete;
        break;
      }
    }
    if (state_ == State::kComplete) {
      if (PayloadChecksum(payload_) == header_.checksum) return Status::OK();
      ++bad_checksums_;  // drop this message only; the stream is still in sync
      payload_.clear();
      state_ = State::kHeader;
    }
  }
  if (state_ == State::kFatal) return Status::Corruption(fatal_reason_);
  return Status::OK();
}

ReceivedMessage Transport::GetReceivedMessage() {
  ReceivedMessage msg;
  msg.command = std::move(header_.command);
  msg.payload = std::move(payload_);
  msg.wire_size = kHeaderSize + msg.payload.size();
  payload_ = {};
  state_ = State::kHeader;
  return msg;
}

Status Transport::MakeFrame(std::string_view command, ByteSpan payload,
                            std::vector<uint8_t>* out) const {
  if (command.empty() || command.size() > kCommandSize) {
    return Status::InvalidArgument("bad-command");
  }
  for (char c : command) {
    if (c < 0x20 || c > 0x7e) return Status::InvalidArgument("bad-command");
  }
  if (payload.size() > MaxPayloadLength(command)) {
    return Status::InvalidArgument("oversized-message");
  }
  out->clear();
  out->reserve(kHeaderSize + payload.size());
  WriteMessageHeader(magic_, command, payload, out);
  out->insert(out->end(), payload.begin(), payload.end());
  return Status::OK();
}

}  // namespace cc::net
