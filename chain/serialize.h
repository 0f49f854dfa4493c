// Canonical binary serialization.
//
// Wire format (every value has exactly one encoding):
//   - Fixed-width integers are little-endian: uint8/16/32/64, int32/64.
//   - bool is one byte, 0 or 1; any other byte is rejected.
//   - float is its IEEE-754 binary32 bit pattern as a little-endian uint32.
//   - Uint256 and std::array<uint8_t, N> are their raw bytes.
//   - A CompactSize prefixes every variable-length value: n < 0xfd is one
//     byte; else 0xfd + uint16, 0xfe + uint32, 0xff + uint64. Decoding rejects
//     a longer form than needed ("non-canonical compact size") and values over
//     kMaxCompactSize.
//   - std::string and std::vector<uint8_t> are CompactSize length + bytes.
//   - std::vector<T> is CompactSize count + each element.
//   - A struct is its fields in the order its CC_SERIALIZE_METHODS lists them.
//
// Decoding bounds every length before allocating: a length or element count
// may not exceed the bytes left in the input (every element is at least one
// byte), so a few hostile bytes can never make us reserve gigabytes. An
// element takes far more memory than that one byte (a WorkRecord ~190
// bytes), so a vector reserves at most kMaxReserveBytes before its elements
// have decoded and then grows as they do: memory follows what the input
// really holds, not what its counts claim. Deserialize() rejects trailing
// bytes.
//
// Adding a type: list its fields once, beside them, in wire order:
//   struct OutPoint {
//     Uint256 txid;
//     uint32_t index = 0;
//     CC_SERIALIZE_METHODS(OutPoint, obj) { ar(obj.txid, obj.index); }
//   };
// A type that needs checks while decoding (e.g. enum ranges) defines free
// functions `void Put(Writer&, const T&)` and `void Get(Reader&, T&)` instead;
// Get throws DecodeError with a short reason.

#ifndef COMPUTECOIN_CHAIN_SERIALIZE_H
#define COMPUTECOIN_CHAIN_SERIALIZE_H

#include <algorithm>
#include <array>
#include <bit>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "chain/hash.h"
#include "chain/status.h"
#include "chain/uint256.h"

namespace cc {

static_assert(std::endian::native == std::endian::little,
              "serialization copies integers directly; big-endian hosts are not supported");

/// Largest length or count a CompactSize may carry (32 MiB).
inline constexpr uint64_t kMaxCompactSize = 0x02000000;

/// Bytes Writer::WriteCompactSize(n) writes: 1, 3, 5 or 9.
constexpr uint64_t CompactSizeLength(uint64_t n) {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : n <= 0xffffffff ? 5 : 9;
}

/// Most bytes a vector decoder reserves ahead of its decoded elements.
inline constexpr size_t kMaxReserveBytes = size_t{1} << 20;

/// Thrown by Reader on malformed input; turned into Status by Deserialize().
class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Appends encodings to a byte vector it does not own.
/// REQUIRES: *out outlives the Writer.
class Writer {
 public:
  explicit Writer(std::vector<uint8_t>* out) : out_(out) {}

  void WriteBytes(ByteSpan bytes) { out_->insert(out_->end(), bytes.begin(), bytes.end()); }
  void WriteCompactSize(uint64_t n);

  template <typename... T>
  Writer& operator()(const T&... values);

 private:
  std::vector<uint8_t>* out_;
};

/// Parses encodings from a byte span it does not own, advancing as it goes.
/// Every failure throws DecodeError. REQUIRES: the bytes outlive the Reader.
class Reader {
 public:
  explicit Reader(ByteSpan in) : in_(in) {}

  /// Copies the next n bytes to dst; throws "unexpected end of data" if fewer remain.
  void ReadBytes(uint8_t* dst, size_t n);
  /// Returns a view of the next n bytes and advances past them.
  ByteSpan ReadSpan(size_t n);
  uint64_t ReadCompactSize();
  /// A CompactSize that will be used as an element count or length: also
  /// checked against the bytes left (each element is at least one byte).
  uint64_t ReadLength();

  size_t remaining() const { return in_.size() - pos_; }

  template <typename... T>
  Reader& operator()(T&... values);

 private:
  ByteSpan in_;
  size_t pos_ = 0;
};

// ---------------------------------------------------------------------------
// Struct support: CC_SERIALIZE_METHODS(Type, obj) { ar(obj.a, obj.b, ...); }

#define CC_SERIALIZE_METHODS(cls, obj)                                            \
  void SerializeTo(::cc::Writer& ar) const { SerializationOps(*this, ar); }      \
  void DeserializeFrom(::cc::Reader& ar) { SerializationOps(*this, ar); }        \
  template <typename Ar, typename Obj>                                           \
  static void SerializationOps(Obj& obj, Ar& ar)

template <typename T>
concept HasSerializeMethods = requires(const T& c, T& m, Writer& w, Reader& r) {
  c.SerializeTo(w);
  m.DeserializeFrom(r);
};

// ---------------------------------------------------------------------------
// Primitive encoders.

template <typename T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
void Put(Writer& w, T v) {
  uint8_t buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  w.WriteBytes(buf);
}
template <typename T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
void Get(Reader& r, T& v) {
  uint8_t buf[sizeof(T)];
  r.ReadBytes(buf, sizeof(T));
  std::memcpy(&v, buf, sizeof(T));
}

void Put(Writer& w, bool v);
void Get(Reader& r, bool& v);
void Put(Writer& w, float v);
void Get(Reader& r, float& v);
void Put(Writer& w, const Uint256& v);
void Get(Reader& r, Uint256& v);
void Put(Writer& w, const std::string& v);
void Get(Reader& r, std::string& v);
void Put(Writer& w, const std::vector<uint8_t>& v);
void Get(Reader& r, std::vector<uint8_t>& v);

template <size_t N>
void Put(Writer& w, const std::array<uint8_t, N>& v) {
  w.WriteBytes(v);
}
template <size_t N>
void Get(Reader& r, std::array<uint8_t, N>& v) {
  r.ReadBytes(v.data(), N);
}

template <typename T>
  requires(!std::is_same_v<T, uint8_t>)
void Put(Writer& w, const std::vector<T>& v) {
  w.WriteCompactSize(v.size());
  for (const T& item : v) w(item);
}
template <typename T>
  requires(!std::is_same_v<T, uint8_t>)
void Get(Reader& r, std::vector<T>& v) {
  const uint64_t count = r.ReadLength();
  v.clear();
  v.reserve(std::min<uint64_t>(count, kMaxReserveBytes / sizeof(T)));
  for (uint64_t i = 0; i < count; ++i) {
    T item{};
    r(item);
    v.push_back(std::move(item));
  }
}

template <HasSerializeMethods T>
void Put(Writer& w, const T& v) {
  v.SerializeTo(w);
}
template <HasSerializeMethods T>
void Get(Reader& r, T& v) {
  v.DeserializeFrom(r);
}

template <typename... T>
Writer& Writer::operator()(const T&... values) {
  (Put(*this, values), ...);
  return *this;
}

template <typename... T>
Reader& Reader::operator()(T&... values) {
  (Get(*this, values), ...);
  return *this;
}

// ---------------------------------------------------------------------------
// Whole-value entry points.

/// The canonical encoding of `value`.
template <typename T>
std::vector<uint8_t> Serialize(const T& value) {
  std::vector<uint8_t> out;
  Writer w(&out);
  w(value);
  return out;
}

/// Decodes exactly one T from `bytes` into *out.
/// Returns Corruption with the reason ("unexpected end of data", "trailing
/// bytes", "non-canonical compact size", ...) on malformed input, in which
/// case *out is unspecified.
template <typename T>
Status Deserialize(ByteSpan bytes, T* out) {
  try {
    Reader r(bytes);
    r(*out);
    if (r.remaining() != 0) return Status::Corruption("trailing bytes");
    return Status::OK();
  } catch (const DecodeError& e) {
    return Status::Corruption(e.what());
  }
}

/// Hash256 of the canonical encoding: the id of a serialized object.
template <typename T>
Uint256 SerializeHash(const T& value) {
  return Hash256(Serialize(value));
}

/// TaggedHash(tag, canonical encoding).
template <typename T>
Uint256 SerializeTaggedHash(std::string_view tag, const T& value) {
  return TaggedHash(tag, Serialize(value));
}

}  // namespace cc

#endif  // COMPUTECOIN_CHAIN_SERIALIZE_H
