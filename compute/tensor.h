// EncodedTensor: a tensor as it is committed, stored and sent on the wire.
//
// Every tensor a block commits to (activations, gradients, weights, optimizer
// state, token batches) is referenced by the hash of its encoding, so the
// encoding must be canonical: one byte string per (codec, shape, values).
//
// Codecs (whitepaper §4.1: compressing activations):
//   kFloat32   little-endian IEEE binary32, 4 bytes per element.
//   kBFloat16  the upper 16 bits of binary32, rounded to nearest-even,
//              2 bytes per element (relative error ≤ 2^-8); finite values
//              that would round to infinity saturate to ±0x7f7f.
//   kInt8Rows  per row (last dimension) one binary32 scale = max|x|/127
//              followed by the row's int8 values round(x/scale) (half away
//              from zero); rows of zeros have scale 0. Error ≤ scale/2 per
//              element. Rows with max|x| < 127·FLT_MIN are stored as zeros.
//              Canonical: a non-zero scale s is normal with (127·s)/127 == s
//              in binary32 (the encoder steps s down one ulp where this fails,
//              only at max|x| = FLT_MAX), and its row has max|q| = 127; a
//              zero row has scale +0 and all q = 0; q = -128 never occurs.
//   kUInt8     raw bytes 0..255 (token ids of a batch), 1 byte per element.
// Decode→encode gives back the same bytes for every codec.
//
// Wire format:
//   EncodedTensor = codec:u8 rank:compact dims:u64[rank] payload:bytes
// The payload's length prefix is a canonical CompactSize that is not capped
// at kMaxCompactSize (the codec and shape bound it; large presets have
// tensors over 32 MiB). Decoding rejects, each with its own reason:
//   "bad-tensor-codec"           unknown codec
//   "bad-tensor-rank"            rank > kMaxRank
//   "bad-tensor-size"            product of the non-zero dims > kMaxElements
//   "bad-tensor-payload-length"  length does not match codec and shape
//   "bad-tensor-nonfinite"       (kBFloat16/kFloat32) an infinity or NaN
//   "bad-tensor-scale"           (kInt8Rows) a non-canonical scale
//   "bad-tensor-quant"           (kInt8Rows) non-canonical int8 values
// plus serialize.h's "unexpected end of data" for a truncated encoding and
// "trailing bytes" from Deserialize().
// Hash() = TaggedHash(tags::kTensor, encoding).
//
// Thread safety: values; no shared state.

#ifndef COMPUTECOIN_COMPUTE_TENSOR_H
#define COMPUTECOIN_COMPUTE_TENSOR_H

#include <cstdint>
#include <span>
#include <vector>

#include "chain/serialize.h"
#include "chain/status.h"
#include "chain/uint256.h"

namespace cc::compute {

enum class Codec : uint8_t {
  kFloat32 = 0,
  kBFloat16 = 1,
  kInt8Rows = 2,
  kUInt8 = 3,
};

inline constexpr size_t kMaxRank = 8;
inline constexpr uint64_t kMaxElements = uint64_t{1} << 31;

struct EncodedTensor {
  Codec codec = Codec::kFloat32;
  std::vector<uint64_t> shape;   //!< e.g. (B, T, C) = (64, 16, 128)
  std::vector<uint8_t> payload;  //!< layout fixed by `codec` (file comment)

  bool operator==(const EncodedTensor&) const = default;

  /// Product of the dims; UINT64_MAX if the shape exceeds kMaxElements.
  uint64_t NumElements() const;
  /// TaggedHash(tags::kTensor, Serialize(*this)): the committed id.
  Uint256 Hash() const;
};
/// Get validates everything the file comment lists and throws DecodeError
/// with that reason; Deserialize() turns it into Status::Corruption.
void Put(Writer& w, const EncodedTensor& t);
void Get(Reader& r, EncodedTensor& t);

/// Returns OK if `t` is well formed — everything Get checks, so Serialize(t)
/// decodes — else Corruption with the reason from the file comment.
/// For tensors built or received in memory before they are stored or committed.
Status CheckEncoding(const EncodedTensor& t);

/// The payload bytes of a tensor of `codec` and `shape`.
/// REQUIRES: the product of shape's non-zero dims is at most kMaxElements.
uint64_t PayloadLength(Codec codec, std::span<const uint64_t> shape);

/// The bytes of a whole encoding (Serialize(t).size()) of a tensor of
/// `codec` and `shape`: what a node fetching one expects (net/ sizes its
/// downloads by it, so a peer cannot make one longer than the tensor).
/// REQUIRES: as PayloadLength.
uint64_t EncodingLength(Codec codec, std::span<const uint64_t> shape);

/// Encodes `values` (row-major, `shape`) with a float codec.
/// REQUIRES: codec != kUInt8; values.size() == product(shape); values finite.
EncodedTensor EncodeFloats(std::span<const float> values, std::span<const uint64_t> shape,
                           Codec codec);
/// Encodes token bytes with kUInt8. REQUIRES: values.size() == product(shape).
EncodedTensor EncodeBytes(std::span<const uint8_t> values, std::span<const uint64_t> shape);

/// Decodes a float-codec tensor to binary32 values (row-major) in *out.
/// Returns Corruption if the tensor is malformed or its codec is kUInt8.
Status DecodeFloats(const EncodedTensor& t, std::vector<float>* out);

}  // namespace cc::compute

#endif  // COMPUTECOIN_COMPUTE_TENSOR_H
