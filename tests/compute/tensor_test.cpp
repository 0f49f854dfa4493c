#include "compute/tensor.h"

#include <gtest/gtest.h>

#include <bit>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "chain/hash.h"
#include "chain/serialize.h"

namespace cc::compute {
namespace {

// Deterministic test values spanning many binades, both signs, and zeros.
std::vector<float> Values(size_t n, uint32_t salt = 0) {
  std::vector<float> v(n);
  uint32_t x = 0x9e3779b9u ^ salt;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    const float mantissa = static_cast<float>(x >> 8) / static_cast<float>(1u << 24);  // [0, 1)
    const int exponent = static_cast<int>((x >> 3) % 24) - 12;
    v[i] = std::ldexp(mantissa + 0.5f, exponent) * ((x & 1) ? -1.0f : 1.0f);
    if (i % 17 == 0) v[i] = 0.0f;
  }
  return v;
}

class TensorTest : public ::testing::Test {
 protected:
  // Encoding of `t` on the wire.
  static std::vector<uint8_t> Wire(const EncodedTensor& t) { return Serialize(t); }

  // Decodes `bytes`; returns "" on success or the Corruption message.
  static std::string Reject(const std::vector<uint8_t>& bytes) {
    EncodedTensor t;
    const Status s = Deserialize(bytes, &t);
    if (s.ok()) return "";
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    return s.message();
  }

  static std::vector<float> Decode(const EncodedTensor& t) {
    std::vector<float> out;
    const Status s = DecodeFloats(t, &out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  // Builds a wire encoding by hand: codec, dims, then a payload of `length`
  // bytes announced with a prefix of `announced` bytes.
  static std::vector<uint8_t> Raw(uint8_t codec, const std::vector<uint64_t>& dims,
                                  uint64_t announced, size_t length) {
    std::vector<uint8_t> out;
    Writer w(&out);
    w(codec);
    w.WriteCompactSize(dims.size());
    for (uint64_t d : dims) w(d);
    w.WriteCompactSize(announced);
    out.resize(out.size() + length, 0);
    return out;
  }
};

TEST_F(TensorTest, Float32RoundTripIsExact) {
  const std::vector<float> v = Values(6 * 7);
  const std::vector<uint64_t> shape = {6, 7};
  const EncodedTensor t = EncodeFloats(v, shape, Codec::kFloat32);
  EXPECT_EQ(t.payload.size(), 4u * v.size());
  EXPECT_EQ(t.NumElements(), 42u);
  const std::vector<float> back = Decode(t);
  ASSERT_EQ(back.size(), v.size());
  for (size_t i = 0; i < v.size(); ++i)
    EXPECT_EQ(std::bit_cast<uint32_t>(back[i]), std::bit_cast<uint32_t>(v[i]));
}

TEST_F(TensorTest, Float32PayloadIsLittleEndianBinary32) {
  const float one = 1.0f;
  const std::vector<uint64_t> shape = {1};
  const EncodedTensor t = EncodeFloats({&one, 1}, shape, Codec::kFloat32);
  EXPECT_EQ(t.payload, (std::vector<uint8_t>{0x00, 0x00, 0x80, 0x3f}));
  // codec 0, rank 1, dim 1 (u64), length 4, payload.
  EXPECT_EQ(Wire(t),
            (std::vector<uint8_t>{0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 4, 0x00, 0x00, 0x80, 0x3f}));
}

// An SGD section's optimizer state: fp32 of shape (0), as doc/compute.md §4
// gives it byte for byte with its hash.
TEST_F(TensorTest, EmptySgdOptimizerStateEncoding) {
  const std::vector<uint64_t> shape = {0};
  const EncodedTensor t = EncodeFloats({}, shape, Codec::kFloat32);
  // codec 0, rank 1, dim 0 (u64), length 0, no payload.
  EXPECT_EQ(Wire(t), (std::vector<uint8_t>{0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(t.Hash().ToHex(), "3092204c7e55ef82c1785ddb233647886a3d5060d43cc4648e5df08d63bb2680");
}

TEST_F(TensorTest, BFloat16RelativeErrorWithin2ToMinus8) {
  const std::vector<float> v = Values(4096);
  const std::vector<uint64_t> shape = {64, 64};
  const EncodedTensor t = EncodeFloats(v, shape, Codec::kBFloat16);
  EXPECT_EQ(t.payload.size(), 2u * v.size());
  const std::vector<float> back = Decode(t);
  for (size_t i = 0; i < v.size(); ++i) {
    EXPECT_LE(std::fabs(back[i] - v[i]), std::ldexp(std::fabs(v[i]), -8)) << i;
  }
}

TEST_F(TensorTest, BFloat16RoundsToNearestEven) {
  // 1 + 2^-8 lies exactly between bf16 1.0 and 1 + 2^-7: ties go to the even 1.0.
  // 1 + 3·2^-8 lies between 1 + 2^-7 and 1 + 2^-6: ties go to the even 1 + 2^-6.
  // Just above a tie rounds up.
  const std::vector<float> v = {1.0f + 0x1p-8f, 1.0f + 3 * 0x1p-8f, 1.0f + 0x1p-8f + 0x1p-20f};
  const std::vector<uint64_t> shape = {3};
  const std::vector<float> back = Decode(EncodeFloats(v, shape, Codec::kBFloat16));
  EXPECT_EQ(back[0], 1.0f);
  EXPECT_EQ(back[1], 1.0f + 0x1p-6f);
  EXPECT_EQ(back[2], 1.0f + 0x1p-7f);
}

TEST_F(TensorTest, BFloat16SaturatesInsteadOfOverflowing) {
  const std::vector<float> v = {FLT_MAX, -FLT_MAX};
  const std::vector<uint64_t> shape = {2};
  const EncodedTensor t = EncodeFloats(v, shape, Codec::kBFloat16);
  EncodedTensor decoded;
  ASSERT_TRUE(Deserialize(Wire(t), &decoded).ok());
  const std::vector<float> back = Decode(t);
  EXPECT_TRUE(std::isfinite(back[0]));
  EXPECT_LE(std::fabs(back[0] - v[0]), std::ldexp(FLT_MAX, -8));
  EXPECT_EQ(back[1], -back[0]);
}

TEST_F(TensorTest, Int8ErrorWithinHalfScalePerRow) {
  const size_t rows = 16, cols = 33;
  const std::vector<float> v = Values(rows * cols, 7);
  const std::vector<uint64_t> shape = {rows, cols};
  const EncodedTensor t = EncodeFloats(v, shape, Codec::kInt8Rows);
  ASSERT_EQ(t.payload.size(), rows * (4 + cols));
  const std::vector<float> back = Decode(t);
  for (size_t r = 0; r < rows; ++r) {
    float max_abs = 0;
    for (size_t c = 0; c < cols; ++c) max_abs = std::max(max_abs, std::fabs(v[r * cols + c]));
    float scale;
    std::memcpy(&scale, &t.payload[r * (4 + cols)], 4);
    EXPECT_EQ(scale, max_abs / 127.0f) << r;
    for (size_t c = 0; c < cols; ++c) {
      EXPECT_LE(std::fabs(back[r * cols + c] - v[r * cols + c]), scale / 2 * (1 + 0x1p-20f))
          << r << "," << c;
    }
  }
}

TEST_F(TensorTest, Int8ZeroRowsHaveZeroScale) {
  const std::vector<float> v = {0, 0, 0, 1, -2, 0.5f};
  const std::vector<uint64_t> shape = {2, 3};
  const EncodedTensor t = EncodeFloats(v, shape, Codec::kInt8Rows);
  EXPECT_EQ(std::vector<uint8_t>(t.payload.begin(), t.payload.begin() + 7),
            std::vector<uint8_t>(7, 0));
  const std::vector<float> back = Decode(t);
  EXPECT_EQ(back[0], 0.0f);
  EXPECT_EQ(back[4], -2.0f);  // the row's maximum is exact: 127 · (2/127)
}

TEST_F(TensorTest, Int8ExtremesStayCanonical) {
  // max|x| = FLT_MAX makes 127·(max/127) overflow; the encoder steps the
  // scale down. Tiny rows flush to zero instead of using a subnormal scale.
  const std::vector<float> v = {FLT_MAX, -1.0f, 1e-38f, -1e-37f};
  const std::vector<uint64_t> shape = {2, 2};
  const EncodedTensor t = EncodeFloats(v, shape, Codec::kInt8Rows);
  EncodedTensor decoded;
  ASSERT_TRUE(Deserialize(Wire(t), &decoded).ok());
  const std::vector<float> back = Decode(t);
  EXPECT_TRUE(std::isfinite(back[0]));
  EXPECT_LE(std::fabs(back[0] - FLT_MAX), std::ldexp(FLT_MAX, -7));
  EXPECT_EQ(back[2], 0.0f);
  EXPECT_EQ(back[3], 0.0f);
  EXPECT_EQ(Wire(EncodeFloats(back, shape, Codec::kInt8Rows)), Wire(t));
}

TEST_F(TensorTest, DecodeThenEncodeGivesTheSameBytes) {
  const std::vector<uint64_t> shape = {3, 5, 8};
  const std::vector<float> v = Values(120, 3);
  for (Codec codec : {Codec::kFloat32, Codec::kBFloat16, Codec::kInt8Rows}) {
    const EncodedTensor t = EncodeFloats(v, shape, codec);
    const EncodedTensor again = EncodeFloats(Decode(t), shape, codec);
    EXPECT_EQ(Wire(again), Wire(t)) << static_cast<int>(codec);
    EXPECT_EQ(again.Hash(), t.Hash());
  }
}

TEST_F(TensorTest, WireRoundTripForEveryCodecAndRank) {
  const std::vector<std::vector<uint64_t>> shapes = {
      {}, {0}, {4}, {2, 0}, {0, 3}, {2, 3, 4}, {1, 1, 1, 1, 1, 1, 1, 2}};
  for (const auto& shape : shapes) {
    uint64_t n = 1;
    for (uint64_t d : shape) n *= d;
    const std::vector<float> v = Values(n, static_cast<uint32_t>(shape.size()));
    std::vector<uint8_t> bytes(n);
    for (size_t i = 0; i < n; ++i) bytes[i] = static_cast<uint8_t>(i * 37);
    for (const EncodedTensor& t :
         {EncodeFloats(v, shape, Codec::kFloat32), EncodeFloats(v, shape, Codec::kBFloat16),
          EncodeFloats(v, shape, Codec::kInt8Rows), EncodeBytes(bytes, shape)}) {
      EncodedTensor back;
      const Status s = Deserialize(Wire(t), &back);
      ASSERT_TRUE(s.ok()) << s.ToString() << " codec " << static_cast<int>(t.codec) << " rank "
                          << shape.size();
      EXPECT_EQ(back, t);
      EXPECT_EQ(back.NumElements(), n);
    }
  }
}

TEST_F(TensorTest, HashIsTaggedHashOfTheEncoding) {
  const std::vector<uint64_t> shape = {2, 3};
  const EncodedTensor t = EncodeFloats(Values(6), shape, Codec::kBFloat16);
  EXPECT_EQ(t.Hash(), TaggedHash(tags::kTensor, Wire(t)));
  // Same values, different shape or codec: different ids.
  const std::vector<uint64_t> flat = {6};
  EXPECT_NE(EncodeFloats(Values(6), flat, Codec::kBFloat16).Hash(), t.Hash());
  EXPECT_NE(EncodeFloats(Values(6), shape, Codec::kFloat32).Hash(), t.Hash());
}

TEST_F(TensorTest, HashOfLargeTensorsMatchesTheEncodingForEveryHeaderLength) {
  // Hash() streams the payload in aligned pieces; the digest must not depend
  // on where the header leaves the payload relative to SHA-256's blocks.
  const std::vector<float> v = Values(3 * 10007);
  for (const std::vector<uint64_t>& shape :
       std::vector<std::vector<uint64_t>>{{30021}, {3, 10007}, {1, 3, 10007}}) {
    for (Codec codec : {Codec::kFloat32, Codec::kBFloat16, Codec::kInt8Rows}) {
      const EncodedTensor t = EncodeFloats(v, shape, codec);
      EXPECT_EQ(t.Hash(), TaggedHash(tags::kTensor, Wire(t)))
          << shape.size() << " " << static_cast<int>(codec);
    }
  }
}

// What a node bounds a download by (net/): it must be the encoding's
// length exactly, for every codec and each size of the payload's prefix.
TEST_F(TensorTest, EncodingLengthIsTheWireLength) {
  for (const std::vector<uint64_t>& shape : std::vector<std::vector<uint64_t>>{
           {}, {0}, {4}, {2, 0}, {2, 3, 4}, {1, 1, 1, 1, 1, 1, 1, 2}, {3, 10007}, {70000}}) {
    uint64_t n = 1;
    for (uint64_t d : shape) n *= d;
    const std::vector<float> v = Values(n);
    const std::vector<uint8_t> bytes(n, 7);
    for (const EncodedTensor& t :
         {EncodeFloats(v, shape, Codec::kFloat32), EncodeFloats(v, shape, Codec::kBFloat16),
          EncodeFloats(v, shape, Codec::kInt8Rows), EncodeBytes(bytes, shape)})
      EXPECT_EQ(EncodingLength(t.codec, t.shape), Wire(t).size())
          << "codec " << static_cast<int>(t.codec) << " rank " << shape.size() << " n " << n;
  }
}

TEST_F(TensorTest, UInt8TensorsDoNotDecodeAsFloats) {
  const std::vector<uint8_t> tokens = {'1', '+', '2'};
  const std::vector<uint64_t> shape = {1, 3};
  const EncodedTensor t = EncodeBytes(tokens, shape);
  EXPECT_EQ(t.payload, tokens);
  std::vector<float> out;
  const Status s = DecodeFloats(t, &out);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_EQ(s.message(), "bad-tensor-codec");
}

// ---------------------------------------------------------------------------
// Malformed encodings: each is rejected with its own reason.

TEST_F(TensorTest, RejectsTruncatedEncoding) {
  const std::vector<uint64_t> shape = {4, 4};
  std::vector<uint8_t> bytes = Wire(EncodeFloats(Values(16), shape, Codec::kFloat32));
  for (size_t cut : {size_t{1}, size_t{5}, bytes.size() - 1}) {
    EXPECT_EQ(Reject(std::vector<uint8_t>(bytes.begin(), bytes.begin() + static_cast<long>(cut))),
              "unexpected end of data")
        << cut;
  }
  EXPECT_EQ(Reject({}), "unexpected end of data");
}

TEST_F(TensorTest, RejectsTrailingBytes) {
  const std::vector<uint64_t> shape = {2};
  std::vector<uint8_t> bytes = Wire(EncodeFloats(Values(2), shape, Codec::kFloat32));
  bytes.push_back(0);
  EXPECT_EQ(Reject(bytes), "trailing bytes");
}

TEST_F(TensorTest, RejectsUnknownCodec) {
  EXPECT_EQ(Reject(Raw(4, {1}, 1, 1)), "bad-tensor-codec");
  EXPECT_EQ(Reject(Raw(0xff, {1}, 1, 1)), "bad-tensor-codec");
}

TEST_F(TensorTest, RejectsRankAboveMax) {
  EXPECT_EQ(Reject(Raw(3, std::vector<uint64_t>(kMaxRank + 1, 1), 1, 1)), "bad-tensor-rank");
  EXPECT_EQ(Reject(Raw(3, std::vector<uint64_t>(kMaxRank, 1), 1, 1)), "");
}

TEST_F(TensorTest, RejectsElementCountOverflow) {
  // Each dim alone is fine; the product wraps 64 bits.
  EXPECT_EQ(Reject(Raw(3, {uint64_t{1} << 32, uint64_t{1} << 32}, 0, 0)), "bad-tensor-size");
  EXPECT_EQ(Reject(Raw(3, {kMaxElements + 1}, 0, 0)), "bad-tensor-size");
  // A zero dim does not hide a huge one: int8 would need a scale per row.
  EXPECT_EQ(Reject(Raw(2, {uint64_t{1} << 40, 0}, 0, 0)), "bad-tensor-size");
  EXPECT_EQ(Reject(Raw(3, {kMaxElements, 0}, 0, 0)), "");
}

TEST_F(TensorTest, RejectsPayloadLengthMismatch) {
  EXPECT_EQ(Reject(Raw(0, {3}, 11, 11)), "bad-tensor-payload-length");
  EXPECT_EQ(Reject(Raw(0, {3}, 13, 13)), "bad-tensor-payload-length");
  EXPECT_EQ(Reject(Raw(1, {3}, 3, 3)), "bad-tensor-payload-length");
  EXPECT_EQ(Reject(Raw(2, {2, 3}, 6, 6)), "bad-tensor-payload-length");  // scales missing
  // A huge announced length is rejected before anything is read or allocated.
  EXPECT_EQ(Reject(Raw(3, {3}, uint64_t{1} << 40, 3)), "bad-tensor-payload-length");
  // In memory, DecodeFloats applies the same check.
  EncodedTensor t = EncodeFloats(Values(3), std::vector<uint64_t>{3}, Codec::kFloat32);
  t.payload.pop_back();
  std::vector<float> out;
  EXPECT_EQ(DecodeFloats(t, &out).message(), "bad-tensor-payload-length");
}

TEST_F(TensorTest, RejectsNonCanonicalPayloadLengthPrefix) {
  std::vector<uint8_t> bytes = {3, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0xfd, 2, 0, 'a', 'b'};
  EXPECT_EQ(Reject(bytes), "non-canonical compact size");
}

TEST_F(TensorTest, AcceptsPayloadsOverMaxCompactSize) {
  const uint64_t n = kMaxCompactSize + 1;
  std::vector<uint8_t> tokens(n, 7);
  const EncodedTensor t = EncodeBytes(tokens, std::vector<uint64_t>{n});
  EncodedTensor back;
  ASSERT_TRUE(Deserialize(Wire(t), &back).ok());
  EXPECT_EQ(back.payload.size(), n);
}

TEST_F(TensorTest, RejectsNonFiniteFloats) {
  const std::vector<uint64_t> shape = {3};
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                    -std::numeric_limits<float>::infinity()}) {
    const std::vector<float> v = {1.0f, bad, 2.0f};
    EXPECT_EQ(Reject(Wire(EncodeFloats(v, shape, Codec::kFloat32))), "bad-tensor-nonfinite");
    EXPECT_EQ(Reject(Wire(EncodeFloats(v, shape, Codec::kBFloat16))), "bad-tensor-nonfinite");
    std::vector<float> out;
    EXPECT_EQ(DecodeFloats(EncodeFloats(v, shape, Codec::kFloat32), &out).message(),
              "bad-tensor-nonfinite");
  }
}

TEST_F(TensorTest, RejectsNonCanonicalInt8Rows) {
  const std::vector<uint64_t> shape = {1, 2};
  const std::vector<float> v = {1.0f, -0.5f};
  const EncodedTensor good = EncodeFloats(v, shape, Codec::kInt8Rows);
  ASSERT_EQ(Reject(Wire(good)), "");

  auto with = [&](auto edit) {
    EncodedTensor t = good;
    edit(t.payload);
    return Reject(Wire(t));
  };
  auto set_scale = [](std::vector<uint8_t>& p, float s) { std::memcpy(p.data(), &s, 4); };
  EXPECT_EQ(with([&](auto& p) { set_scale(p, -1.0f / 127); }), "bad-tensor-scale");
  EXPECT_EQ(with([&](auto& p) { set_scale(p, std::numeric_limits<float>::infinity()); }),
            "bad-tensor-scale");
  EXPECT_EQ(with([&](auto& p) { set_scale(p, std::numeric_limits<float>::quiet_NaN()); }),
            "bad-tensor-scale");
  EXPECT_EQ(with([&](auto& p) { set_scale(p, 1e-40f); }), "bad-tensor-scale");  // subnormal
  EXPECT_EQ(with([&](auto& p) { set_scale(p, -0.0f); }), "bad-tensor-scale");
  EXPECT_EQ(with([](auto& p) { p[4] = 100; }), "bad-tensor-quant");   // max|q| != 127
  EXPECT_EQ(with([](auto& p) { p[5] = 0x80; }), "bad-tensor-quant");  // q = -128
  EXPECT_EQ(with([](auto& p) { std::fill(p.begin(), p.begin() + 4, 0); }),
            "bad-tensor-quant");  // scale 0, q != 0
  // A scale for which 127·s/127 != s would not survive decode→encode.
  float odd = 0;
  for (uint32_t bits = std::bit_cast<uint32_t>(1.0f);; ++bits) {
    const float s = std::bit_cast<float>(bits);
    if ((127.0f * s) / 127.0f != s) {
      odd = s;
      break;
    }
  }
  EXPECT_EQ(with([&](auto& p) { set_scale(p, odd); }), "bad-tensor-scale");
}

}  // namespace
}  // namespace cc::compute
