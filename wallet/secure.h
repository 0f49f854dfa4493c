// Secret memory: containers whose storage is zeroed before it is freed.
//
// Seeds, master keys and passphrase-derived keys live in SecureBytes. Its
// allocator wipes every block it hands back (explicit_bzero, which the
// compiler may not drop as a dead store), so growing, shrinking, moving or
// destroying the vector never leaves a copy of a secret in freed heap
// memory. Pages are not locked in RAM (no mlock), so a secret may still
// reach swap; Bitcoin Core's secure_allocator locks them, we do not yet.
//
// Thread safety: as std::vector; GetStrongRandBytes may be called from any thread.

#ifndef COMPUTECOIN_WALLET_SECURE_H
#define COMPUTECOIN_WALLET_SECURE_H

#include <string.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace cc::wallet {

/// Zeroes len bytes at p in a way the optimiser keeps.
inline void Wipe(void* p, size_t len) { explicit_bzero(p, len); }

/// A std::allocator that zeroes memory before freeing it.
template <typename T>
struct SecureAllocator {
  using value_type = T;
  SecureAllocator() = default;
  template <typename U>
  SecureAllocator(const SecureAllocator<U>&) noexcept {}  // NOLINT: rebinding is implicit

  T* allocate(size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, size_t n) noexcept {
    if (p != nullptr) Wipe(p, n * sizeof(T));
    std::allocator<T>().deallocate(p, n);
  }
  template <typename U>
  bool operator==(const SecureAllocator<U>&) const noexcept {
    return true;
  }
};

/// Bytes of a secret; wiped when freed.
using SecureBytes = std::vector<uint8_t, SecureAllocator<uint8_t>>;

/// Fills `out` from the kernel's CSPRNG (getrandom(2)). Aborts the process
/// if the OS has no randomness to give (as PrivateKey::Generate does).
void GetStrongRandBytes(std::span<uint8_t> out);

}  // namespace cc::wallet

#endif  // COMPUTECOIN_WALLET_SECURE_H
