#include "chain/serialize.h"

namespace cc {

void Writer::WriteCompactSize(uint64_t n) {
  if (n < 0xfd) {
    Put(*this, static_cast<uint8_t>(n));
  } else if (n <= 0xffff) {
    Put(*this, static_cast<uint8_t>(0xfd));
    Put(*this, static_cast<uint16_t>(n));
  } else if (n <= 0xffffffff) {
    Put(*this, static_cast<uint8_t>(0xfe));
    Put(*this, static_cast<uint32_t>(n));
  } else {
    Put(*this, static_cast<uint8_t>(0xff));
    Put(*this, n);
  }
}

void Reader::ReadBytes(uint8_t* dst, size_t n) {
  const ByteSpan src = ReadSpan(n);
  if (n != 0) std::memcpy(dst, src.data(), n);
}

ByteSpan Reader::ReadSpan(size_t n) {
  if (n > remaining()) throw DecodeError("unexpected end of data");
  const ByteSpan out = in_.subspan(pos_, n);
  pos_ += n;
  return out;
}

uint64_t Reader::ReadCompactSize() {
  uint8_t first = 0;
  Get(*this, first);
  uint64_t n = first;
  uint64_t minimum = 0;
  if (first == 0xfd) {
    uint16_t v = 0;
    Get(*this, v);
    n = v;
    minimum = 0xfd;
  } else if (first == 0xfe) {
    uint32_t v = 0;
    Get(*this, v);
    n = v;
    minimum = 0x10000;
  } else if (first == 0xff) {
    Get(*this, n);
    minimum = 0x100000000;
  }
  if (n < minimum) throw DecodeError("non-canonical compact size");
  if (n > kMaxCompactSize) throw DecodeError("compact size too large");
  return n;
}

uint64_t Reader::ReadLength() {
  const uint64_t n = ReadCompactSize();
  if (n > remaining()) throw DecodeError("length exceeds remaining data");
  return n;
}

void Put(Writer& w, bool v) { Put(w, static_cast<uint8_t>(v ? 1 : 0)); }
void Get(Reader& r, bool& v) {
  uint8_t b = 0;
  Get(r, b);
  if (b > 1) throw DecodeError("non-canonical bool");
  v = b == 1;
}

void Put(Writer& w, float v) { Put(w, std::bit_cast<uint32_t>(v)); }
void Get(Reader& r, float& v) {
  uint32_t bits = 0;
  Get(r, bits);
  v = std::bit_cast<float>(bits);
}

void Put(Writer& w, const Uint256& v) { w.WriteBytes(v.span()); }
void Get(Reader& r, Uint256& v) { r.ReadBytes(v.data(), Uint256::kSize); }

void Put(Writer& w, const std::string& v) {
  w.WriteCompactSize(v.size());
  w.WriteBytes(AsBytes(v));
}
void Get(Reader& r, std::string& v) {
  const ByteSpan bytes = r.ReadSpan(r.ReadLength());
  v.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

void Put(Writer& w, const std::vector<uint8_t>& v) {
  w.WriteCompactSize(v.size());
  w.WriteBytes(v);
}
void Get(Reader& r, std::vector<uint8_t>& v) {
  const ByteSpan bytes = r.ReadSpan(r.ReadLength());
  v.assign(bytes.begin(), bytes.end());
}

}  // namespace cc
