// Fuzz target: FraudProof decoding (chain/fraud_proof.h), which any peer may
// send unasked (`fraudproof`). Any input that decodes must be in canonical
// form within the caps; DecodeFraudProof's context-free checks must give a
// verdict without crashing, and a proof they accept must have a record
// committed under its header's work_root.

#include "chain/fraud_proof.h"

#include "tests/fuzz/fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cc::FraudProof proof;
  if (!cc::fuzz::DecodeCanonical(cc::ByteSpan(data, size), &proof)) return 0;
  CC_FUZZ_CHECK(proof.record.inputs.size() <= cc::kMaxFraudProofTensors);
  CC_FUZZ_CHECK(proof.path.path.size() <= cc::kMaxFraudProofDepth);
  (void)proof.Id();
  cc::ValidationState state;
  cc::FraudProof checked;
  if (cc::DecodeFraudProof(cc::ByteSpan(data, size), &checked, &state)) {
    CC_FUZZ_CHECK(checked == proof);
    CC_FUZZ_CHECK(cc::VerifyMerkleProof(checked.record.Hash(), checked.path,
                                        checked.header.work_root));
  } else {
    CC_FUZZ_CHECK(state.IsInvalid());
  }
  return 0;
}
