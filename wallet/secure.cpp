#include "wallet/secure.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace cc::wallet {

void GetStrongRandBytes(std::span<uint8_t> out) {
  size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = getrandom(out.data() + got, out.size() - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "fatal: getrandom failed; no secure randomness for the wallet\n");
      std::abort();
    }
    got += static_cast<size_t>(n);
  }
}

}  // namespace cc::wallet
