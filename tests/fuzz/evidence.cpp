// Fuzz target: Evidence decoding (chain/evidence.h), which a slashing
// transaction from any peer carries. Any input that decodes must be in
// canonical form; DecodeEvidence's context-free rules must give a verdict
// without crashing, and what they accept must name its offender consistently.

#include "chain/evidence.h"

#include "tests/fuzz/fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cc::Evidence evidence;
  if (!cc::fuzz::DecodeCanonical(cc::ByteSpan(data, size), &evidence)) return 0;
  (void)evidence.OffenceId();
  cc::ValidationState state;
  cc::Evidence checked;
  if (cc::DecodeEvidence(cc::ByteSpan(data, size), &checked, &state)) {
    CC_FUZZ_CHECK(checked == evidence);
    if (checked.kind == cc::EvidenceKind::kDoubleProduction) {
      CC_FUZZ_CHECK(checked.first.Hash() < checked.second.Hash());
      CC_FUZZ_CHECK(checked.first.producer == checked.second.producer);
    }
  } else {
    CC_FUZZ_CHECK(state.IsInvalid());
  }
  return 0;
}
