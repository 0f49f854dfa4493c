// Fuzz target: BlockHeader decoding (chain/block.h). Any input that decodes
// must be in canonical form; the block id must not depend on the signature.

#include "chain/block.h"
#include "tests/fuzz/fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cc::BlockHeader header;
  if (!cc::fuzz::DecodeCanonical(cc::ByteSpan(data, size), &header)) return 0;
  cc::BlockHeader resigned = header;
  resigned.signature[0] ^= 1;
  CC_FUZZ_CHECK(resigned.Hash() == header.Hash());
  CC_FUZZ_CHECK(resigned.SigningHash() == header.SigningHash());
  return 0;
}
