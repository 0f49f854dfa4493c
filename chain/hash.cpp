#include "chain/hash.h"

#include <cryptopp/sha.h>

#include <bit>
#include <cstring>

namespace cc {

struct Sha256::Impl {
  CryptoPP::SHA256 sha;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;

Sha256& Sha256::Write(ByteSpan data) {
  impl_->sha.Update(data.data(), data.size());
  return *this;
}

Uint256 Sha256::Finalize() {
  Uint256 out;
  impl_->sha.Final(out.data());
  return out;
}

Sha256 Sha256::Tagged(std::string_view tag) {
  const Uint256 tag_hash = Sha256Hash(AsBytes(tag));
  Sha256 hasher;
  hasher.Write(tag_hash.span()).Write(tag_hash.span());
  return hasher;
}

static_assert(sizeof(CryptoPP::word32) == sizeof(uint32_t));
static_assert(std::endian::native == std::endian::little, "Sha256Digest swaps bytes");

void Sha256Compress(Sha256State* state, const Sha256Block& block) {
  // Crypto++ takes the block as host-order words, as Sha256Block holds it,
  // and picks SHA-NI, ARMv8 or portable code at run time.
  CryptoPP::SHA256::Transform(state->h, block.w);
}

Uint256 Sha256Digest(const Sha256State& state) {
  Uint256 out;
  for (int i = 0; i < 8; ++i) {
    const uint32_t be = __builtin_bswap32(state.h[i]);
    std::memcpy(out.data() + 4 * i, &be, sizeof(be));
  }
  return out;
}

Uint256 Sha256Hash(ByteSpan data) {
  Uint256 out;
  CryptoPP::SHA256().CalculateDigest(out.data(), data.data(), data.size());
  return out;
}

Uint256 Hash256(ByteSpan data) {
  const Uint256 once = Sha256Hash(data);
  return Sha256Hash(once.span());
}

Uint256 TaggedHash(std::string_view tag, ByteSpan data) {
  return Sha256::Tagged(tag).Write(data).Finalize();
}

}  // namespace cc
