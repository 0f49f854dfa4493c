// Fuzz target: the tensor codec (compute/tensor.h), which decodes every
// tensor a peer sends. The first byte chooses the direction:
//   even: the rest is an EncodedTensor encoding. If it decodes: the form is
//     canonical (fuzz.h), CheckEncoding agrees, the hash is the tagged hash
//     of the bytes, and decoding the values and encoding them again with the
//     same codec gives the same tensor (tensor.h: "Decode→encode gives back
//     the same bytes for every codec"); float codecs decode to finite values.
//   odd: the rest is a codec byte, a row length byte and binary32 values
//     (non-finite ones replaced by 0). Encoding them gives a well-formed
//     tensor that round-trips through its encoding, decodes within the
//     codec's documented error, and re-encodes to itself.

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "chain/hash.h"
#include "compute/tensor.h"
#include "tests/fuzz/fuzz.h"

namespace {

using cc::compute::Codec;
using cc::compute::EncodedTensor;

bool IsFloatCodec(Codec c) { return c != Codec::kUInt8; }

// Decodes `t` and encodes the values again: must give `t` back.
void CheckReencodes(const EncodedTensor& t) {
  if (!IsFloatCodec(t.codec)) {
    std::vector<float> values;
    CC_FUZZ_CHECK(!cc::compute::DecodeFloats(t, &values).ok());
    CC_FUZZ_CHECK(cc::compute::EncodeBytes(t.payload, t.shape) == t);
    return;
  }
  std::vector<float> values;
  CC_FUZZ_CHECK(cc::compute::DecodeFloats(t, &values).ok());
  CC_FUZZ_CHECK(values.size() == t.NumElements());
  CC_FUZZ_CHECK(std::ranges::all_of(values, [](float v) { return std::isfinite(v); }));
  CC_FUZZ_CHECK(cc::compute::EncodeFloats(values, t.shape, t.codec) == t);
}

void Decode(cc::ByteSpan bytes) {
  EncodedTensor t;
  if (!cc::fuzz::DecodeCanonical(bytes, &t)) return;
  CC_FUZZ_CHECK(cc::compute::CheckEncoding(t).ok());
  CC_FUZZ_CHECK(t.Hash() == cc::TaggedHash(cc::tags::kTensor, bytes));
  CheckReencodes(t);
}

// The bound tensor.h promises for one element of a row whose largest
// magnitude is `row_max`.
double ErrorBound(Codec codec, float x, float row_max) {
  switch (codec) {
    case Codec::kFloat32:
      return 0;
    case Codec::kBFloat16:  // relative 2^-8; subnormals keep 7 bits less
      return std::ldexp(std::fabs(static_cast<double>(x)), -8) + FLT_MIN;
    case Codec::kInt8Rows:  // half a quantum, plus the scale's own rounding
      return (static_cast<double>(row_max) / 127) * 0.5001 + 127.0 * FLT_MIN;
    case Codec::kUInt8:
      break;
  }
  return 0;
}

void Encode(cc::ByteSpan bytes) {
  if (bytes.size() < 2) return;
  const Codec codec = static_cast<Codec>(bytes[0] % 3);  // the float codecs
  const uint64_t cols = 1 + bytes[1] % 16;
  bytes = bytes.subspan(2);
  std::vector<float> values(bytes.size() / 4);
  for (size_t i = 0; i < values.size(); ++i) {
    std::memcpy(&values[i], bytes.data() + 4 * i, 4);
    if (!std::isfinite(values[i])) values[i] = 0;
  }
  values.resize(values.size() / cols * cols);
  const std::vector<uint64_t> shape = {values.size() / cols, cols};

  const EncodedTensor t = cc::compute::EncodeFloats(values, shape, codec);
  CC_FUZZ_CHECK(cc::compute::CheckEncoding(t).ok());
  EncodedTensor again;
  CC_FUZZ_CHECK(cc::Deserialize(cc::Serialize(t), &again).ok() && again == t);
  CheckReencodes(t);

  std::vector<float> decoded;
  CC_FUZZ_CHECK(cc::compute::DecodeFloats(t, &decoded).ok());
  for (size_t row = 0; row < shape[0]; ++row) {
    float row_max = 0;
    for (size_t j = 0; j < cols; ++j)
      row_max = std::max(row_max, std::fabs(values[row * cols + j]));
    for (size_t j = 0; j < cols; ++j) {
      const size_t i = row * cols + j;
      const double error = std::fabs(static_cast<double>(values[i]) - decoded[i]);
      CC_FUZZ_CHECK(error <= ErrorBound(codec, values[i], row_max));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const cc::ByteSpan rest(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    Decode(rest);
  } else {
    Encode(rest);
  }
  return 0;
}
