#include "wallet/bech32.h"

#include <array>

namespace cc::wallet {
namespace {

constexpr char kCharset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr uint32_t kBech32Const = 1;
constexpr uint32_t kBech32mConst = 0x2bc830a3;
constexpr size_t kChecksumSize = 6;

// Maps an ASCII character to its 5-bit value, or -1.
constexpr std::array<int8_t, 128> MakeReverse() {
  std::array<int8_t, 128> rev{};
  for (auto& v : rev) v = -1;
  for (int i = 0; i < 32; ++i) {
    rev[static_cast<unsigned char>(kCharset[i])] = static_cast<int8_t>(i);
    const char c = kCharset[i];
    if (c >= 'a' && c <= 'z')
      rev[static_cast<unsigned char>(c - 'a' + 'A')] = static_cast<int8_t>(i);
  }
  return rev;
}
constexpr std::array<int8_t, 128> kReverse = MakeReverse();

// The BCH checksum's polynomial remainder over GF(32) (BIP173 "polymod").
uint32_t PolyMod(const std::vector<uint8_t>& values) {
  constexpr uint32_t kGen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
  uint32_t chk = 1;
  for (uint8_t v : values) {
    const uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; ++i) {
      if ((top >> i) & 1) chk ^= kGen[i];
    }
  }
  return chk;
}

// hrp expanded for the checksum: high bits of each char, 0, low bits of each.
std::vector<uint8_t> ExpandHrp(std::string_view hrp) {
  std::vector<uint8_t> out;
  out.reserve(hrp.size() * 2 + 1);
  for (char c : hrp) out.push_back(static_cast<uint8_t>(c) >> 5);
  out.push_back(0);
  for (char c : hrp) out.push_back(static_cast<uint8_t>(c) & 31);
  return out;
}

uint32_t ConstFor(Encoding e) { return e == Encoding::kBech32 ? kBech32Const : kBech32mConst; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

std::string Encode(Encoding encoding, std::string_view hrp, const std::vector<uint8_t>& data) {
  if (encoding == Encoding::kInvalid || hrp.empty()) return {};
  for (char c : hrp) {
    if (c < 33 || c > 126) return {};
  }
  for (uint8_t v : data) {
    if (v > 31) return {};
  }
  const std::string lhrp = Lower(hrp);
  std::vector<uint8_t> values = ExpandHrp(lhrp);
  values.insert(values.end(), data.begin(), data.end());
  values.resize(values.size() + kChecksumSize, 0);
  const uint32_t mod = PolyMod(values) ^ ConstFor(encoding);
  std::string out = lhrp + "1";
  for (uint8_t v : data) out += kCharset[v];
  for (size_t i = 0; i < kChecksumSize; ++i) out += kCharset[(mod >> (5 * (5 - i))) & 31];
  return out;
}

DecodeResult Decode(std::string_view str) {
  DecodeResult fail;
  if (str.size() > kMaxBech32Length) return fail;
  bool lower = false, upper = false;
  for (char c : str) {
    if (c < 33 || c > 126) return fail;
    if (c >= 'a' && c <= 'z') lower = true;
    if (c >= 'A' && c <= 'Z') upper = true;
  }
  if (lower && upper) return fail;
  const size_t sep = str.rfind('1');
  // The hrp is non-empty and the checksum alone takes 6 characters.
  if (sep == std::string_view::npos || sep == 0 || sep + 1 + kChecksumSize > str.size()) {
    return fail;
  }
  const std::string hrp = Lower(str.substr(0, sep));
  std::vector<uint8_t> values;
  values.reserve(str.size() - sep - 1);
  for (size_t i = sep + 1; i < str.size(); ++i) {
    const int8_t v = kReverse[static_cast<unsigned char>(str[i])];
    if (v < 0) return fail;
    values.push_back(static_cast<uint8_t>(v));
  }
  std::vector<uint8_t> all = ExpandHrp(hrp);
  all.insert(all.end(), values.begin(), values.end());
  const uint32_t mod = PolyMod(all);
  Encoding enc;
  if (mod == kBech32Const) {
    enc = Encoding::kBech32;
  } else if (mod == kBech32mConst) {
    enc = Encoding::kBech32m;
  } else {
    return fail;
  }
  values.resize(values.size() - kChecksumSize);
  return DecodeResult{enc, hrp, std::move(values)};
}

bool ConvertBits(int from_bits, int to_bits, bool pad, const std::vector<uint8_t>& in,
                 std::vector<uint8_t>* out) {
  out->clear();
  uint32_t acc = 0;
  int bits = 0;
  const uint32_t max_out = (1u << to_bits) - 1;
  const uint32_t max_acc = (1u << (from_bits + to_bits - 1)) - 1;
  for (uint8_t v : in) {
    if ((v >> from_bits) != 0) return false;
    acc = ((acc << from_bits) | v) & max_acc;
    bits += from_bits;
    while (bits >= to_bits) {
      bits -= to_bits;
      out->push_back(static_cast<uint8_t>((acc >> bits) & max_out));
    }
  }
  if (pad) {
    if (bits > 0) out->push_back(static_cast<uint8_t>((acc << (to_bits - bits)) & max_out));
  } else if (bits >= from_bits || ((acc << (to_bits - bits)) & max_out) != 0) {
    return false;
  }
  return true;
}

namespace {

bool ProgramSizeAllowed(uint8_t version, size_t size) {
  if (version == 0) return size == 20 || size == 32;
  return size >= 2 && size <= 40;
}

}  // namespace

std::string EncodeSegwitAddress(std::string_view hrp, uint8_t version,
                                const std::vector<uint8_t>& program) {
  if (version > 16 || !ProgramSizeAllowed(version, program.size())) return {};
  std::vector<uint8_t> data{version};
  std::vector<uint8_t> five;
  if (!ConvertBits(8, 5, /*pad=*/true, program, &five)) return {};
  data.insert(data.end(), five.begin(), five.end());
  return Encode(version == 0 ? Encoding::kBech32 : Encoding::kBech32m, hrp, data);
}

Status DecodeSegwitAddress(std::string_view hrp, std::string_view addr, uint8_t* version,
                           std::vector<uint8_t>* program) {
  const DecodeResult dec = Decode(addr);
  if (dec.encoding == Encoding::kInvalid) {
    return Status::InvalidArgument("invalid bech32 string (characters, case, length or checksum)");
  }
  if (dec.hrp != Lower(hrp)) {
    return Status::InvalidArgument("address is for another network (hrp '" + dec.hrp + "')");
  }
  if (dec.data.empty()) return Status::InvalidArgument("address has no version");
  const uint8_t v = dec.data[0];
  if (v > 16) return Status::InvalidArgument("invalid address version");
  const Encoding want = v == 0 ? Encoding::kBech32 : Encoding::kBech32m;
  if (dec.encoding != want) {
    return Status::InvalidArgument(v == 0 ? "version 0 address must use bech32, not bech32m"
                                          : "version 1+ address must use bech32m, not bech32");
  }
  std::vector<uint8_t> five(dec.data.begin() + 1, dec.data.end());
  if (!ConvertBits(5, 8, /*pad=*/false, five, program)) {
    return Status::InvalidArgument("invalid address padding");
  }
  if (!ProgramSizeAllowed(v, program->size())) {
    return Status::InvalidArgument("invalid address program length");
  }
  *version = v;
  return Status::OK();
}

std::string EncodeAddress(std::string_view hrp, const Uint256& key_hash) {
  return EncodeSegwitAddress(hrp, kAddressVersion,
                             std::vector<uint8_t>(key_hash.begin(), key_hash.end()));
}

Status DecodeAddress(std::string_view hrp, std::string_view addr, Uint256* key_hash) {
  uint8_t version = 0;
  std::vector<uint8_t> program;
  Status s = DecodeSegwitAddress(hrp, addr, &version, &program);
  if (!s.ok()) return s;
  if (version != kAddressVersion) {
    return Status::InvalidArgument("unsupported address version " + std::to_string(version));
  }
  if (program.size() != kAddressProgramSize) {
    return Status::InvalidArgument("address program must be 32 bytes");
  }
  *key_hash = Uint256(std::span<const uint8_t, 32>(program.data(), 32));
  return Status::OK();
}

}  // namespace cc::wallet
