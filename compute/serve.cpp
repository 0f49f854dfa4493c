#include "compute/serve.h"

#include <string>

namespace cc::compute {

Status CheckServeRange(const Partition& partition, uint32_t begin, uint32_t end) {
  const size_t k = partition.sections.size();
  if (begin >= end || end > k) {
    return Status::InvalidArgument("bad-serve-range: [" + std::to_string(begin) + ", " +
                                   std::to_string(end) + ") is not a range of the " +
                                   std::to_string(k) + " sections");
  }
  const Piece& first = partition.sections[begin].pieces.front();
  const Piece& last = partition.sections[end - 1].pieces.back();
  if (first.shard != 0 || last.shard + 1 != last.shards) {
    return Status::InvalidArgument("bad-serve-range: [" + std::to_string(begin) + ", " +
                                   std::to_string(end) + ") splits a sharded atom");
  }
  return Status::OK();
}

Status LocalRoute::Logits(uint32_t position, std::span<const uint8_t> tokens,
                          std::vector<float>* logits) {
  EncodedTensor x = EncodeBytes(tokens, std::vector<uint64_t>{tokens.size()});
  for (SectionServer* hop : hops_) {
    EncodedTensor y;
    Status s = hop->Step(session_, position, x, &y);
    if (!s.ok()) return s;
    x = std::move(y);
  }
  return DecodeFloats(x, logits);
}

}  // namespace cc::compute
