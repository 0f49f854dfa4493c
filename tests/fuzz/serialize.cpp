// Fuzz target: the serialize.h primitives (integers, bool, float, CompactSize,
// lengths, strings, byte vectors, Uint256 and vectors of them).
//
// The input is read as a stream of items, each a selector byte naming a
// primitive followed by that primitive's encoding, until the input ends or
// an item is malformed. Every item that decodes is encoded again; the result
// must equal the input up to the end of the last good item (every value has
// exactly one encoding). The whole input is also decoded as a string, a
// byte vector and a vector of Uint256, each of which must be canonical.

#include "chain/serialize.h"

#include <string>
#include <vector>

#include "tests/fuzz/fuzz.h"

namespace {

enum Primitive : uint8_t {
  kU8,
  kU16,
  kU32,
  kU64,
  kI64,
  kBool,
  kFloat,
  kCompactSize,
  kLength,
  kString,
  kBytes,
  kUint256,
  kUint256Vector,
  kPrimitiveCount
};

/// Decodes one T, then writes the selector and T's encoding.
template <typename T>
void RoundTrip(uint8_t selector, cc::Reader& r, cc::Writer& w) {
  T value{};
  r(value);
  w(selector, value);
}

/// Decodes the item `selector` names and writes it back; throws DecodeError
/// (having written nothing) if it is malformed.
void RoundTripItem(uint8_t selector, cc::Reader& r, cc::Writer& w) {
  switch (selector % kPrimitiveCount) {
    case kU8:
      return RoundTrip<uint8_t>(selector, r, w);
    case kU16:
      return RoundTrip<uint16_t>(selector, r, w);
    case kU32:
      return RoundTrip<uint32_t>(selector, r, w);
    case kU64:
      return RoundTrip<uint64_t>(selector, r, w);
    case kI64:
      return RoundTrip<int64_t>(selector, r, w);
    case kBool:
      return RoundTrip<bool>(selector, r, w);
    case kFloat:
      return RoundTrip<float>(selector, r, w);
    case kCompactSize: {
      const uint64_t n = r.ReadCompactSize();
      CC_FUZZ_CHECK(n <= cc::kMaxCompactSize);
      w(selector);
      return w.WriteCompactSize(n);
    }
    case kLength: {
      const uint64_t n = r.ReadLength();
      CC_FUZZ_CHECK(n <= r.remaining());
      w(selector);
      return w.WriteCompactSize(n);
    }
    case kString:
      return RoundTrip<std::string>(selector, r, w);
    case kBytes:
      return RoundTrip<std::vector<uint8_t>>(selector, r, w);
    case kUint256:
      return RoundTrip<cc::Uint256>(selector, r, w);
    case kUint256Vector:
      return RoundTrip<std::vector<cc::Uint256>>(selector, r, w);
  }
  cc::fuzz::Fail("unreachable selector", __FILE__, __LINE__);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const cc::ByteSpan in(data, size);
  cc::Reader reader(in);
  std::vector<uint8_t> again;
  cc::Writer writer(&again);
  size_t good = 0;  // bytes of `in` up to the end of the last good item
  try {
    while (reader.remaining() > 0) {
      uint8_t selector = 0;
      reader(selector);
      RoundTripItem(selector, reader, writer);
      good = size - reader.remaining();
    }
  } catch (const cc::DecodeError&) {
    // The item after `good` is malformed; everything before it still counts.
  }
  CC_FUZZ_CHECK(std::ranges::equal(again, in.first(good)));

  std::string text;
  cc::fuzz::DecodeCanonical(in, &text);
  std::vector<uint8_t> bytes;
  cc::fuzz::DecodeCanonical(in, &bytes);
  std::vector<cc::Uint256> hashes;
  cc::fuzz::DecodeCanonical(in, &hashes);
  return 0;
}
