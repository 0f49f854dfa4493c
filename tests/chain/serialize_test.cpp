// The canonical codec (serialize.h) and the wire formats of the chain types:
// every type round-trips, and every malformed encoding is refused with its
// exact reason: truncation, trailing bytes, oversize and non-canonical
// lengths, unknown enum values and non-0/1 bools.

#include "chain/serialize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "chain/block.h"
#include "chain/merkle.h"
#include "chain/transaction.h"
#include "chain/work.h"
#include "tests/chain/primitives_samples.h"

namespace cc {
namespace {

using test::Hex;
using test::SampleHash;

constexpr size_t kOutPointSize = 32 + 4;
constexpr size_t kTxInSize = kOutPointSize + 32 + 64;
constexpr size_t kTxOutSize = 8 + 1 + 32;
constexpr size_t kUnitIdSize = 1 + 8 + 5 * 4;
constexpr size_t kHeaderSize = 4 + 4 + 5 * 32 + 8 + 8 + 32 + 64;  // 280: doc/chain.md

// ---------------------------------------------------------------------------
// Per-type facts the typed tests need: a sample value; for types with a
// CompactSize length, where the first one sits; for types with a checked
// enum byte, where it sits and which values are unknown.

// clang-format off
template <typename T>
T Sample();
template <> uint8_t Sample() { return 0xab; }
template <> uint16_t Sample() { return 0xabcd; }
template <> uint32_t Sample() { return 0x89abcdefu; }
template <> uint64_t Sample() { return 0x0123456789abcdefull; }
template <> int32_t Sample() { return -123456789; }
template <> int64_t Sample() { return -1234567890123456789ll; }
template <> bool Sample() { return true; }
template <> float Sample() { return -1.5f; }
template <> Uint256 Sample() { return SampleHash(9); }
using Bytes7 = std::array<uint8_t, 7>;
template <> Bytes7 Sample() { return test::SampleBytes<7>(1); }
template <> std::string Sample() { return "computecoin"; }
template <> std::vector<uint8_t> Sample() { return {1, 2, 3, 4, 5}; }
template <> std::vector<Uint256> Sample() { return {SampleHash(1), SampleHash(2)}; }
template <> OutPoint Sample() { return test::SampleOutPoint(); }
template <> TxIn Sample() { return test::SampleTxIn(); }
template <> TxOut Sample() { return test::SampleTxOut(1, OutputKind::kWorkerBond); }
template <> Transaction Sample() { return test::SampleTransaction(); }
template <> UnitId Sample() { return test::SampleUnitId(); }
template <> WorkRecord Sample() { return test::SampleWorkRecord(); }
template <> BlockHeader Sample() { return test::SampleHeader(); }
template <> Block Sample() { return test::SampleBlock(); }
template <> MerkleProof Sample() { return test::SampleMerkleProof(); }
template <> ChannelTerms Sample() { return test::SampleChannelTerms(); }
template <> ChannelSpend Sample() { return test::SampleChannelSpend(); }

template <typename T>
size_t LengthOffset();
template <> size_t LengthOffset<std::string>() { return 0; }
template <> size_t LengthOffset<std::vector<uint8_t>>() { return 0; }
template <> size_t LengthOffset<std::vector<Uint256>>() { return 0; }
template <> size_t LengthOffset<Transaction>() { return 4; }  // after version
template <> size_t LengthOffset<WorkRecord>() { return kUnitIdSize; }
template <> size_t LengthOffset<Block>() { return kHeaderSize; }
template <> size_t LengthOffset<MerkleProof>() { return 16; }
// clang-format on

struct EnumField {
  size_t offset;
  std::vector<uint8_t> bad_values;
  const char* reason;
};

EnumField OutputKindAt(size_t offset) {
  std::vector<uint8_t> bad;
  for (int v = 6; v <= 255; ++v) bad.push_back(static_cast<uint8_t>(v));
  return {offset, bad, "Corruption: bad-output-kind"};
}

EnumField UnitKindAt(size_t offset) {
  std::vector<uint8_t> bad = {0};
  for (int v = 5; v <= 255; ++v) bad.push_back(static_cast<uint8_t>(v));
  return {offset, bad, "Corruption: bad-unit-kind"};
}

// clang-format off
template <typename T>
EnumField Enum();
template <> EnumField Enum<TxOut>() { return OutputKindAt(8); }
// input, holder, timeout, then the close kind.
template <> EnumField Enum<ChannelSpend>() {
  std::vector<uint8_t> bad;
  for (int v = 2; v <= 255; ++v) bad.push_back(static_cast<uint8_t>(v));
  return {4 + 32 + 4, bad, "Corruption: bad-channel-close"};
}
template <> EnumField Enum<UnitId>() { return UnitKindAt(0); }
template <> EnumField Enum<WorkRecord>() { return UnitKindAt(0); }
// version, input count, two inputs, output count, then the first TxOut.
template <> EnumField Enum<Transaction>() { return OutputKindAt(4 + 1 + 2 * kTxInSize + 1 + 8); }
// clang-format on
// The first record's unit kind, after the header and both transactions.
template <>
EnumField Enum<Block>() {
  const Block b = Sample<Block>();
  return UnitKindAt(kHeaderSize + 1 + Serialize(b.txs[0]).size() + Serialize(b.txs[1]).size() + 1);
}

// ---------------------------------------------------------------------------
// Typed tests: every serializable type, then those with a length, then those
// with an enum field.

template <typename T>
class CodecTest : public ::testing::Test {
 protected:
  static std::vector<uint8_t> Encoded() { return Serialize(Sample<T>()); }

  /// Decodes bytes as a T and returns the Status text ("OK" or the reason).
  static std::string Decode(const std::vector<uint8_t>& bytes) {
    T out{};
    return Deserialize(bytes, &out).ToString();
  }

  /// The encoding with its first (one-byte) length replaced by `prefix`.
  static std::vector<uint8_t> ReplaceLength(const std::vector<uint8_t>& prefix) {
    const auto offset = static_cast<ptrdiff_t>(LengthOffset<T>());
    std::vector<uint8_t> bytes = Encoded();
    bytes.erase(bytes.begin() + offset);
    bytes.insert(bytes.begin() + offset, prefix.begin(), prefix.end());
    return bytes;
  }

  static std::vector<uint8_t> CompactSize(uint64_t n) {
    std::vector<uint8_t> out;
    Writer(&out).WriteCompactSize(n);
    return out;
  }
};

using AllTypes =
    ::testing::Types<uint8_t, uint16_t, uint32_t, uint64_t, int32_t, int64_t, bool, float, Uint256,
                     Bytes7, std::string, std::vector<uint8_t>, std::vector<Uint256>, OutPoint,
                     TxIn, TxOut, Transaction, UnitId, WorkRecord, BlockHeader, Block, MerkleProof,
                     ChannelTerms, ChannelSpend>;
TYPED_TEST_SUITE(CodecTest, AllTypes);

TYPED_TEST(CodecTest, RoundTrips) {
  const std::vector<uint8_t> bytes = this->Encoded();
  TypeParam decoded{};
  ASSERT_TRUE(Deserialize(bytes, &decoded).ok());
  EXPECT_EQ(decoded, Sample<TypeParam>());
  EXPECT_EQ(Serialize(decoded), bytes);
}

TYPED_TEST(CodecTest, EveryTruncationIsRejected) {
  const std::vector<uint8_t> bytes = this->Encoded();
  for (size_t len = 0; len < bytes.size(); ++len) {
    const std::string status = this->Decode({bytes.begin(), bytes.begin() + len});
    // A cut inside a counted part leaves a count larger than what is left.
    EXPECT_TRUE(status == "Corruption: unexpected end of data" ||
                status == "Corruption: length exceeds remaining data")
        << "length " << len << ": " << status;
  }
}

TYPED_TEST(CodecTest, TrailingBytesAreRejected) {
  for (uint8_t extra : {0x00, 0x01, 0xff}) {
    std::vector<uint8_t> bytes = this->Encoded();
    bytes.push_back(extra);
    EXPECT_EQ(this->Decode(bytes), "Corruption: trailing bytes");
  }
}

template <typename T>
class CountedCodecTest : public CodecTest<T> {};
using CountedTypes = ::testing::Types<std::string, std::vector<uint8_t>, std::vector<Uint256>,
                                      Transaction, WorkRecord, Block, MerkleProof>;
TYPED_TEST_SUITE(CountedCodecTest, CountedTypes);

TYPED_TEST(CountedCodecTest, LengthBeyondTheInputIsRejected) {
  const size_t after = this->Encoded().size() - LengthOffset<TypeParam>() - 1;
  EXPECT_EQ(this->Decode(this->ReplaceLength(this->CompactSize(after + 1))),
            "Corruption: length exceeds remaining data");
  EXPECT_EQ(this->Decode(this->ReplaceLength(this->CompactSize(kMaxCompactSize))),
            "Corruption: length exceeds remaining data");
}

TYPED_TEST(CountedCodecTest, LengthOverTheLimitIsRejected) {
  EXPECT_EQ(this->Decode(this->ReplaceLength(this->CompactSize(kMaxCompactSize + 1))),
            "Corruption: compact size too large");
  EXPECT_EQ(this->Decode(this->ReplaceLength(this->CompactSize(~uint64_t{0}))),
            "Corruption: compact size too large");
}

TYPED_TEST(CountedCodecTest, NonCanonicalLengthIsRejected) {
  const uint8_t n = this->Encoded()[LengthOffset<TypeParam>()];
  ASSERT_LT(n, 0xfd);
  for (const std::vector<uint8_t>& longer :
       {std::vector<uint8_t>{0xfd, n, 0}, std::vector<uint8_t>{0xfe, n, 0, 0, 0},
        std::vector<uint8_t>{0xff, n, 0, 0, 0, 0, 0, 0, 0}}) {
    EXPECT_EQ(this->Decode(this->ReplaceLength(longer)), "Corruption: non-canonical compact size")
        << "prefix " << Hex(longer);
  }
}

template <typename T>
class EnumCodecTest : public CodecTest<T> {};
using EnumTypes = ::testing::Types<TxOut, Transaction, UnitId, WorkRecord, Block, ChannelSpend>;
TYPED_TEST_SUITE(EnumCodecTest, EnumTypes);

TYPED_TEST(EnumCodecTest, UnknownEnumValueIsRejected) {
  const EnumField field = Enum<TypeParam>();
  for (uint8_t bad : field.bad_values) {
    std::vector<uint8_t> bytes = this->Encoded();
    bytes[field.offset] = bad;
    EXPECT_EQ(this->Decode(bytes), field.reason) << "value " << int{bad};
  }
}

// ---------------------------------------------------------------------------
// Primitive encodings, byte for byte.

class SerializeTest : public ::testing::Test {
 protected:
  template <typename T>
  static std::string Encode(const T& v) {
    return Hex(Serialize(v));
  }
  template <typename T>
  static std::string Decode(const std::string& hex, T* out) {
    return Deserialize(test::FromHex(hex), out).ToString();
  }
  static std::string Join(std::initializer_list<std::string> parts) {
    std::string out;
    for (const std::string& p : parts) out += p;
    return out;
  }
  static std::string CompactSizeHex(uint64_t n) {
    std::vector<uint8_t> out;
    Writer(&out).WriteCompactSize(n);
    return Hex(out);
  }
  /// Reads one CompactSize; returns the Status text and the value via *n.
  static std::string ReadCompactSize(const std::string& hex, uint64_t* n) {
    const std::vector<uint8_t> bytes = test::FromHex(hex);
    try {
      Reader r(bytes);
      *n = r.ReadCompactSize();
      return r.remaining() == 0 ? "OK" : "trailing";
    } catch (const DecodeError& e) {
      return e.what();
    }
  }
};

TEST_F(SerializeTest, IntegersAreLittleEndian) {
  EXPECT_EQ(Encode(uint16_t{0x0102}), "0201");
  EXPECT_EQ(Encode(uint32_t{0x01020304}), "04030201");
  EXPECT_EQ(Encode(uint64_t{0x0102030405060708}), "0807060504030201");
  EXPECT_EQ(Encode(int32_t{-2}), "feffffff");
  EXPECT_EQ(Encode(int64_t{-1}), "ffffffffffffffff");
}

TEST_F(SerializeTest, BoolIsOneByteZeroOrOne) {
  EXPECT_EQ(Encode(false), "00");
  EXPECT_EQ(Encode(true), "01");
  bool b = false;
  EXPECT_EQ(Decode("01", &b), "OK");
  EXPECT_TRUE(b);
}

TEST_F(SerializeTest, BoolTwoIsRejected) {
  bool b = false;
  EXPECT_EQ(Decode("02", &b), "Corruption: non-canonical bool");
  EXPECT_EQ(Decode("ff", &b), "Corruption: non-canonical bool");
}

TEST_F(SerializeTest, FloatIsItsBitPattern) {
  EXPECT_EQ(Encode(2.5f), "00002040");
  EXPECT_EQ(Encode(-0.0f), "00000080");
}

TEST_F(SerializeTest, FloatNanPayloadSurvives) {
  const uint32_t bits = 0x7fc12345;  // a quiet NaN with a payload
  float nan_value = std::bit_cast<float>(bits);
  float decoded = 0;
  ASSERT_EQ(Decode(Encode(nan_value), &decoded), "OK");
  EXPECT_EQ(std::bit_cast<uint32_t>(decoded), bits);
}

TEST_F(SerializeTest, CompactSizeUsesTheShortestForm) {
  EXPECT_EQ(CompactSizeHex(0), "00");
  EXPECT_EQ(CompactSizeHex(0xfc), "fc");
  EXPECT_EQ(CompactSizeHex(0xfd), "fdfd00");
  EXPECT_EQ(CompactSizeHex(0xffff), "fdffff");
  EXPECT_EQ(CompactSizeHex(0x10000), "fe00000100");
  EXPECT_EQ(CompactSizeHex(0xffffffff), "feffffffff");
  EXPECT_EQ(CompactSizeHex(0x100000000), "ff0000000001000000");
}

TEST_F(SerializeTest, CompactSizeBoundariesDecode) {
  uint64_t n = 0;
  EXPECT_EQ(ReadCompactSize("fc", &n), "OK");
  EXPECT_EQ(n, 0xfcu);
  EXPECT_EQ(ReadCompactSize("fdfd00", &n), "OK");
  EXPECT_EQ(n, 0xfdu);
  EXPECT_EQ(ReadCompactSize("fe00000100", &n), "OK");
  EXPECT_EQ(n, 0x10000u);
  EXPECT_EQ(ReadCompactSize("fe00000002", &n), "OK");
  EXPECT_EQ(n, kMaxCompactSize);
}

TEST_F(SerializeTest, CompactSizeLongerFormThanNeededIsRejected) {
  uint64_t n = 0;
  EXPECT_EQ(ReadCompactSize("fdfc00", &n), "non-canonical compact size");
  EXPECT_EQ(ReadCompactSize("feffff0000", &n), "non-canonical compact size");
  EXPECT_EQ(ReadCompactSize("ffffffffff00000000", &n), "non-canonical compact size");
}

TEST_F(SerializeTest, CompactSizeOverTheLimitIsRejected) {
  uint64_t n = 0;
  EXPECT_EQ(ReadCompactSize("fe01000002", &n), "compact size too large");
  EXPECT_EQ(ReadCompactSize("ff0000000001000000", &n), "compact size too large");
}

TEST_F(SerializeTest, CompactSizeTruncatedIsRejected) {
  uint64_t n = 0;
  EXPECT_EQ(ReadCompactSize("", &n), "unexpected end of data");
  EXPECT_EQ(ReadCompactSize("fd00", &n), "unexpected end of data");
  EXPECT_EQ(ReadCompactSize("ff00000000", &n), "unexpected end of data");
}

TEST_F(SerializeTest, HugeCountWithFewBytesFailsBeforeAllocating) {
  // 2^25 - 1 elements announced, one byte present: refused on the count.
  std::vector<Uint256> v;
  EXPECT_EQ(Decode("feffffff0100", &v), "Corruption: length exceeds remaining data");
}

TEST_F(SerializeTest, CountBackedByBytesReservesAtMostTheBound) {
  // 2^20 work records announced and 2^20 bytes present, so the count passes
  // the bytes-left check, but the first record is malformed. Reserving the
  // announced count would take 2^20 · sizeof(WorkRecord), about 200 MB.
  std::vector<uint8_t> bytes;
  Writer(&bytes).WriteCompactSize(uint64_t{1} << 20);
  bytes.resize(bytes.size() + (size_t{1} << 20), 0x00);  // unit kind 0
  std::vector<WorkRecord> records;
  EXPECT_EQ(Deserialize(bytes, &records).ToString(), "Corruption: bad-unit-kind");
  EXPECT_LE(records.capacity() * sizeof(WorkRecord), kMaxReserveBytes);
}

// ---------------------------------------------------------------------------
// The chain types' wire formats, as their header comments state them.

TEST_F(SerializeTest, OutPointIsTxidThenIndex) {
  const OutPoint p{SampleHash(0), 0x01020304};
  EXPECT_EQ(Encode(p), SampleHash(0).ToHex() + "04030201");
}

TEST_F(SerializeTest, TxOutIsValueKindLock) {
  const TxOut out{0x0102030405060708, OutputKind::kPayToKeyHash, SampleHash(7)};
  EXPECT_EQ(Encode(out), Join({"0807060504030201", "00", SampleHash(7).ToHex()}));
  EXPECT_EQ(Serialize(out).size(), kTxOutSize);
  // A bond (and an unbonding output) adds its owner.
  const TxOut bond{.value = 0x0102030405060708,
                   .kind = OutputKind::kWorkerBond,
                   .lock = SampleHash(7),
                   .owner = SampleHash(8)};
  EXPECT_EQ(Encode(bond),
            Join({"0807060504030201", "01", SampleHash(7).ToHex(), SampleHash(8).ToHex()}));
}

TEST_F(SerializeTest, TransactionLayout) {
  Transaction tx;
  tx.version = 1;
  tx.inputs = {test::SampleTxIn()};
  tx.outputs = {test::SampleTxOut()};
  tx.lock_height = 0x0a0b0c0d;
  EXPECT_EQ(Encode(tx), Join({"01000000", "01", Encode(tx.inputs[0]), "01", Encode(tx.outputs[0]),
                              "0d0c0b0a"}));
  EXPECT_EQ(Serialize(tx.inputs[0]).size(), kTxInSize);
  EXPECT_EQ(Encode(tx.inputs[0]),
            Encode(tx.inputs[0].prevout) +
                Hex({tx.inputs[0].pubkey.begin(), tx.inputs[0].pubkey.end()}) +
                Hex({tx.inputs[0].signature.begin(), tx.inputs[0].signature.end()}));
}

TEST_F(SerializeTest, UnitIdLayout) {
  const UnitId id{UnitKind::kUpdate, 0x0102030405060708, 1, 2, 3, 4, 5};
  EXPECT_EQ(Encode(id), Join({"04", "0807060504030201", "01000000", "02000000", "03000000",
                              "04000000", "05000000"}));
}

TEST_F(SerializeTest, WorkRecordLayout) {
  const WorkRecord r = test::SampleWorkRecord();
  EXPECT_EQ(Encode(r), Encode(r.unit) + Encode(r.inputs) + Encode(r.outputs) + "00002040" +
                           Hex({r.worker.begin(), r.worker.end()}) +
                           Hex({r.signature.begin(), r.signature.end()}));
}

TEST_F(SerializeTest, BlockHeaderIsFixedSize) {
  const BlockHeader h = test::SampleHeader();
  const std::string hex = Encode(h);
  EXPECT_EQ(hex.size(), 2 * kHeaderSize);
  EXPECT_EQ(hex.substr(0, 16), Join({"03000000", "e8030000"}));  // version 3, height 1000
}

TEST_F(SerializeTest, MerkleProofLayout) {
  const MerkleProof p{5, 11, {SampleHash(1)}};
  EXPECT_EQ(Encode(p), Join({"0500000000000000", "0b00000000000000", "01", SampleHash(1).ToHex()}));
}

}  // namespace
}  // namespace cc
