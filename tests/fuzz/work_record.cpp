// Fuzz target: WorkRecord decoding (chain/work.h). Any input that decodes
// must be in canonical form (unknown unit kinds are refused); the record
// hash must commit to the signature and the signing hash must not.

#include "chain/work.h"
#include "tests/fuzz/fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cc::WorkRecord record;
  if (!cc::fuzz::DecodeCanonical(cc::ByteSpan(data, size), &record)) return 0;
  const uint8_t kind = static_cast<uint8_t>(record.unit.kind);
  CC_FUZZ_CHECK(kind >= 1 && kind <= 4);
  cc::WorkRecord resigned = record;
  resigned.signature[63] ^= 0x80;
  CC_FUZZ_CHECK(resigned.SigningHash() == record.SigningHash());
  CC_FUZZ_CHECK(resigned.Hash() != record.Hash());
  return 0;
}
