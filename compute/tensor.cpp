#include "compute/tensor.h"

#include <algorithm>
#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include "chain/hash.h"

namespace cc::compute {
namespace {

// ---------------------------------------------------------------------------
// Shape arithmetic. Every product is computed with overflow checks, because
// the dims come straight off the wire.

// Product of the non-zero dims, saturated just above kMaxElements. Bounding
// this (not only the full product, which a single zero dim makes 0) keeps
// the int8 row count — the product of the leading dims — bounded too, so
// every size below fits in 64 bits.
uint64_t NonZeroProduct(std::span<const uint64_t> shape) {
  uint64_t product = 1;
  for (uint64_t d : shape) {
    if (d == 0) continue;
    if (d > kMaxElements || product > kMaxElements / d) return kMaxElements + 1;
    product *= d;
  }
  return product;
}

uint64_t Product(std::span<const uint64_t> shape) {
  for (uint64_t d : shape) {
    if (d == 0) return 0;
  }
  return NonZeroProduct(shape);
}

// kInt8Rows: a row is the last dimension; a rank-0 tensor is one row of one.
uint64_t RowLength(std::span<const uint64_t> shape) { return shape.empty() ? 1 : shape.back(); }
uint64_t RowCount(std::span<const uint64_t> shape) {
  return shape.empty() ? 1 : Product(shape.first(shape.size() - 1));
}

bool KnownCodec(uint8_t c) { return c <= static_cast<uint8_t>(Codec::kUInt8); }

}  // namespace

uint64_t PayloadLength(Codec codec, std::span<const uint64_t> shape) {
  const uint64_t n = Product(shape);
  switch (codec) {
    case Codec::kFloat32:
      return 4 * n;
    case Codec::kBFloat16:
      return 2 * n;
    case Codec::kInt8Rows:
      return RowCount(shape) * 4 + n;
    case Codec::kUInt8:
      return n;
  }
  return 0;
}

uint64_t EncodingLength(Codec codec, std::span<const uint64_t> shape) {
  const uint64_t payload = PayloadLength(codec, shape);
  return 1 + CompactSizeLength(shape.size()) + 8 * shape.size() + CompactSizeLength(payload) +
         payload;
}

namespace {

// ---------------------------------------------------------------------------
// Element codecs. All arithmetic is single IEEE binary32 operations (no
// fused or extended-precision steps), so every machine gets the same bits.

uint32_t LoadU32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
void StoreU32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }

// Largest finite bfloat16 (0x7f7f): finite values that round-to-nearest-even
// would carry to infinity saturate here instead, so an encoding of finite
// values is always decodable. That costs at most one bf16 ulp, within 2^-8.
constexpr uint16_t kBf16MaxFinite = 0x7f7f;

uint16_t ToBf16(float x) {
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  const uint32_t sign = bits & 0x80000000u;
  const uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude > 0x7f800000u)
    return static_cast<uint16_t>((bits >> 16) | 0x0040);                   // NaN stays NaN
  if (magnitude == 0x7f800000u) return static_cast<uint16_t>(bits >> 16);  // ±inf
  // Round to nearest, ties to even: add 0x7fff plus the lowest kept bit.
  uint32_t rounded = (magnitude + 0x7fffu + ((magnitude >> 16) & 1u)) >> 16;
  if (rounded > kBf16MaxFinite) rounded = kBf16MaxFinite;
  return static_cast<uint16_t>((sign >> 16) | rounded);
}

float FromBf16(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

// kInt8Rows canonical scales. Decoding a row gives x' = q·s, and re-encoding
// it gives s' = (127·s)/127 in binary32; for that to return s, the scale must
// satisfy this check. Exhaustive search over binary32 shows it holds for
// every s = max/127 the encoder computes from a normal max, except when
// max = FLT_MAX, where 127·s overflows; the encoder steps s down one ulp then.
bool CanonicalScale(float s) {
  if (!(s >= FLT_MIN) || !std::isfinite(s)) return false;
  const float back = 127.0f * s;
  return std::isfinite(back) && back / 127.0f == s;
}

int8_t Quantize(float x, float scale) {
  const float r = std::round(x / scale);
  // A NaN input (a REQUIRES violation) lands on 0 rather than undefined behaviour.
  if (!(r >= -127.0f)) return r < 0.0f ? -127 : 0;
  if (r > 127.0f) return 127;
  return static_cast<int8_t>(r);
}

void EncodeInt8Row(std::span<const float> row, uint8_t* out) {
  float max_abs = 0.0f;
  for (float x : row) max_abs = std::max(max_abs, std::fabs(x));
  float scale = max_abs / 127.0f;
  if (!(scale >= FLT_MIN)) {
    // All zeros, or so small that the scale would be subnormal (max|x| below
    // 127·FLT_MIN ≈ 1.5e-36): stored as a zero row, which is canonical.
    std::memset(out, 0, 4 + row.size());
    return;
  }
  if (!CanonicalScale(scale)) scale = std::nextafter(scale, 0.0f);
  StoreU32(out, std::bit_cast<uint32_t>(scale));
  for (size_t i = 0; i < row.size(); ++i)
    out[4 + i] = static_cast<uint8_t>(Quantize(row[i], scale));
}

// True if no binary32 in `payload` (whole 4-byte words) is an infinity or a
// NaN. Scanned in blocks with a branch-free OR per block, which the compiler
// vectorises: it runs at memory speed, so verifying a tensor costs far less
// than hashing it.
// (Integer tests only, so every instruction set gives the same answer; built
// for AVX2 too and picked at load time where the CPU has it. Not under
// ThreadSanitizer: the loader runs the clone's resolver before TSan's runtime
// is up, and the program dies before main.)
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
__attribute__((target_clones("avx2", "default")))
#endif
bool Float32Finite(ByteSpan payload) {
  constexpr size_t kBlock = 1024;  // words per early-exit check
  const size_t words = payload.size() / 4;
  const uint8_t* p = payload.data();
  for (size_t begin = 0; begin < words; begin += kBlock) {
    const size_t end = std::min(words, begin + kBlock);
    uint32_t bad = 0;
    for (size_t i = begin; i < end; ++i) bad |= (LoadU32(p + 4 * i) & 0x7f800000u) == 0x7f800000u;
    if (bad != 0) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Validation shared by Get (wire input) and DecodeFloats (any in-memory
// value). Returns the reject reason, or nullptr if `t` is well formed.

const char* ShapeError(const EncodedTensor& t) {
  if (!KnownCodec(static_cast<uint8_t>(t.codec))) return "bad-tensor-codec";
  if (t.shape.size() > kMaxRank) return "bad-tensor-rank";
  if (NonZeroProduct(t.shape) > kMaxElements) return "bad-tensor-size";
  return nullptr;
}

const char* PayloadError(Codec codec, std::span<const uint64_t> shape, ByteSpan payload) {
  switch (codec) {
    case Codec::kFloat32:
      return Float32Finite(payload) ? nullptr : "bad-tensor-nonfinite";
    case Codec::kBFloat16:
      for (size_t i = 0; i < payload.size(); i += 2) {
        if ((payload[i + 1] & 0x7f) == 0x7f && (payload[i] & 0x80) == 0x80)
          return "bad-tensor-nonfinite";
      }
      return nullptr;
    case Codec::kInt8Rows: {
      const uint64_t row_length = RowLength(shape);
      for (size_t offset = 0; offset < payload.size(); offset += 4 + row_length) {
        const uint32_t scale_bits = LoadU32(&payload[offset]);
        const ByteSpan q = payload.subspan(offset + 4, row_length);
        int max_abs = 0;
        for (uint8_t b : q) {
          const int v = static_cast<int8_t>(b);
          if (v == -128) return "bad-tensor-quant";
          max_abs = std::max(max_abs, v < 0 ? -v : v);
        }
        if (scale_bits == 0) {
          if (max_abs != 0) return "bad-tensor-quant";
        } else {
          if (!CanonicalScale(std::bit_cast<float>(scale_bits))) return "bad-tensor-scale";
          if (max_abs != 127) return "bad-tensor-quant";
        }
      }
      return nullptr;
    }
    case Codec::kUInt8:
      return nullptr;
  }
  return "bad-tensor-codec";
}

const char* TensorError(const EncodedTensor& t) {
  if (const char* e = ShapeError(t)) return e;
  if (t.payload.size() != PayloadLength(t.codec, t.shape)) return "bad-tensor-payload-length";
  return PayloadError(t.codec, t.shape, t.payload);
}

// The payload length prefix is a canonical CompactSize like any other, but
// not capped at kMaxCompactSize: tensors of the larger presets exceed 32 MiB,
// and the codec and shape already bound the length. It is checked against
// the expected length before any byte is read, so it never drives an
// allocation.
uint64_t ReadPayloadLength(Reader& r) {
  uint8_t first = 0;
  Get(r, first);
  uint64_t n = first;
  uint64_t minimum = 0;
  if (first == 0xfd) {
    uint16_t v = 0;
    Get(r, v);
    n = v;
    minimum = 0xfd;
  } else if (first == 0xfe) {
    uint32_t v = 0;
    Get(r, v);
    n = v;
    minimum = 0x10000;
  } else if (first == 0xff) {
    Get(r, n);
    minimum = 0x100000000;
  }
  if (n < minimum) throw DecodeError("non-canonical compact size");
  return n;
}

void PutHeader(Writer& w, const EncodedTensor& t) {
  w(static_cast<uint8_t>(t.codec));
  w.WriteCompactSize(t.shape.size());
  for (uint64_t d : t.shape) w(d);
  w.WriteCompactSize(t.payload.size());
}

}  // namespace

uint64_t EncodedTensor::NumElements() const {
  const uint64_t n = Product(shape);
  return n > kMaxElements ? std::numeric_limits<uint64_t>::max() : n;
}

Uint256 EncodedTensor::Hash() const {
  // Streams the header and the payload into the hasher: the same digest as
  // TaggedHash(kTensor, Serialize(*this)) without copying the payload.
  std::vector<uint8_t> header;
  header.reserve(16 + 8 * shape.size());
  Writer w(&header);
  PutHeader(w, *this);
  Sha256 hasher = Sha256::Tagged(tags::kTensor);
  hasher.Write(header);
  // Crypto++ compresses whole blocks straight from the caller's pointer, but
  // takes a ~25% slower path when that pointer is not 4-byte aligned — as it
  // is here whenever the header leaves the payload's first full block at an
  // odd offset. So complete the current block, then stream the rest through
  // an aligned buffer whose size is a multiple of the 64-byte block.
  ByteSpan rest = payload;
  const size_t fill =
      std::min(rest.size(), (64 - header.size() % 64) % 64);  // the tag prefix is 64 bytes
  hasher.Write(rest.first(fill));
  rest = rest.subspan(fill);
  if (reinterpret_cast<uintptr_t>(rest.data()) % 4 == 0) {
    hasher.Write(rest);
  } else {
    alignas(64) uint8_t staging[16384];
    while (!rest.empty()) {
      const size_t n = std::min(rest.size(), sizeof(staging));
      std::memcpy(staging, rest.data(), n);
      hasher.Write(ByteSpan(staging, n));
      rest = rest.subspan(n);
    }
  }
  return hasher.Finalize();
}

void Put(Writer& w, const EncodedTensor& t) {
  PutHeader(w, t);
  w.WriteBytes(t.payload);
}

void Get(Reader& r, EncodedTensor& t) {
  uint8_t codec = 0;
  Get(r, codec);
  if (!KnownCodec(codec)) throw DecodeError("bad-tensor-codec");
  t.codec = static_cast<Codec>(codec);

  const uint64_t rank = r.ReadCompactSize();
  if (rank > kMaxRank) throw DecodeError("bad-tensor-rank");
  t.shape.assign(rank, 0);
  for (uint64_t& d : t.shape) Get(r, d);
  if (NonZeroProduct(t.shape) > kMaxElements) throw DecodeError("bad-tensor-size");

  const uint64_t length = ReadPayloadLength(r);
  if (length != PayloadLength(t.codec, t.shape)) throw DecodeError("bad-tensor-payload-length");
  const ByteSpan payload = r.ReadSpan(length);
  if (const char* e = PayloadError(t.codec, t.shape, payload)) throw DecodeError(e);
  t.payload.assign(payload.begin(), payload.end());
}

EncodedTensor EncodeFloats(std::span<const float> values, std::span<const uint64_t> shape,
                           Codec codec) {
  EncodedTensor t;
  t.codec = codec;
  t.shape.assign(shape.begin(), shape.end());
  // REQUIRES violations below give a tensor the decoder rejects, never an
  // overrun or a huge allocation.
  if (shape.size() > kMaxRank || NonZeroProduct(shape) > kMaxElements) return t;
  switch (codec) {
    case Codec::kFloat32:
      // The floats' own bytes (serialize.h asserts a little-endian host).
      t.payload.resize(4 * values.size());
      if (!values.empty()) std::memcpy(t.payload.data(), values.data(), t.payload.size());
      break;
    case Codec::kBFloat16:
      t.payload.resize(2 * values.size());
      for (size_t i = 0; i < values.size(); ++i) {
        const uint16_t h = ToBf16(values[i]);
        t.payload[2 * i] = static_cast<uint8_t>(h);
        t.payload[2 * i + 1] = static_cast<uint8_t>(h >> 8);
      }
      break;
    case Codec::kInt8Rows: {
      // Only whole rows are encoded, so a values/shape mismatch is caught by
      // the payload length check.
      const uint64_t row_length = RowLength(shape);
      const uint64_t rows = row_length == 0 ? RowCount(shape) : values.size() / row_length;
      t.payload.resize(rows * (4 + row_length));
      for (uint64_t row = 0; row < rows; ++row) {
        EncodeInt8Row(values.subspan(row * row_length, row_length),
                      &t.payload[row * (4 + row_length)]);
      }
      break;
    }
    case Codec::kUInt8:
      // Float values have no kUInt8 encoding: the payload stays empty.
      break;
  }
  return t;
}

EncodedTensor EncodeBytes(std::span<const uint8_t> values, std::span<const uint64_t> shape) {
  EncodedTensor t;
  t.codec = Codec::kUInt8;
  t.shape.assign(shape.begin(), shape.end());
  t.payload.assign(values.begin(), values.end());
  return t;
}

Status CheckEncoding(const EncodedTensor& t) {
  if (const char* e = TensorError(t)) return Status::Corruption(e);
  return Status::OK();
}

Status DecodeFloats(const EncodedTensor& t, std::vector<float>* out) {
  if (const char* e = TensorError(t)) return Status::Corruption(e);
  const uint64_t n = Product(t.shape);
  out->resize(n);
  switch (t.codec) {
    case Codec::kFloat32:
      if (n != 0) std::memcpy(out->data(), t.payload.data(), 4 * n);
      return Status::OK();
    case Codec::kBFloat16:
      for (uint64_t i = 0; i < n; ++i) {
        (*out)[i] = FromBf16(static_cast<uint16_t>(t.payload[2 * i] | (t.payload[2 * i + 1] << 8)));
      }
      return Status::OK();
    case Codec::kInt8Rows: {
      const uint64_t row_length = RowLength(t.shape);
      const uint64_t rows = RowCount(t.shape);
      for (uint64_t row = 0; row < rows && row_length != 0; ++row) {
        const uint8_t* src = &t.payload[row * (4 + row_length)];
        const float scale = std::bit_cast<float>(LoadU32(src));
        for (uint64_t i = 0; i < row_length; ++i) {
          (*out)[row * row_length + i] =
              static_cast<float>(static_cast<int8_t>(src[4 + i])) * scale;
        }
      }
      return Status::OK();
    }
    case Codec::kUInt8:
      break;
  }
  out->clear();
  return Status::Corruption("bad-tensor-codec");
}

}  // namespace cc::compute
