#include "chain/fraud_proof.h"

#include <vector>

#include "chain/hash.h"
#include "chain/key.h"

namespace cc {
namespace {

constexpr std::string_view kFraudProofTag = "Computecoin/FraudProof";

bool Reject(ValidationState* state, const char* reason) {
  return state->Invalid(ValidationResult::kConsensus, reason);
}

}  // namespace

void Put(Writer& w, const FraudProof& proof) { w(proof.header, proof.record, proof.path); }

void Get(Reader& r, FraudProof& proof) {
  // The record's and path's own codecs read from bytes already received
  // (serialize.h bounds every reservation), so the caps are checked after.
  r(proof.header, proof.record, proof.path);
  if (proof.record.inputs.size() > kMaxFraudProofTensors ||
      proof.record.outputs.size() > kMaxFraudProofTensors)
    throw DecodeError("oversized-fraud-record");
  if (proof.path.path.size() > kMaxFraudProofDepth) throw DecodeError("oversized-fraud-path");
}

Uint256 FraudProof::Id() const {
  std::vector<uint8_t> bytes;
  Writer w(&bytes);
  w(header.Hash(), record.Hash());
  return TaggedHash(kFraudProofTag, bytes);
}

Status MakeFraudProof(const Block& block, size_t index, FraudProof* out) {
  if (index >= block.records.size())
    return Status::InvalidArgument("record " + std::to_string(index) + " of " +
                                   std::to_string(block.records.size()));
  std::vector<Uint256> leaves;
  leaves.reserve(block.records.size());
  for (const WorkRecord& record : block.records) leaves.push_back(record.Hash());
  FraudProof proof;
  const Status s = MakeMerkleProof(leaves, index, &proof.path);
  if (!s.ok()) return s;
  proof.header = block.header;
  proof.record = block.records[index];
  *out = std::move(proof);
  return Status::OK();
}

bool CheckFraudProof(const FraudProof& proof, ValidationState* state) {
  const WorkRecord& record = proof.record;
  if (!VerifySchnorr(record.worker, record.SigningHash(), record.signature))
    return Reject(state, "bad-fraud-sig");
  if (!VerifyMerkleProof(record.Hash(), proof.path, proof.header.work_root))
    return Reject(state, "bad-fraud-merkle");
  return true;
}

bool DecodeFraudProof(std::span<const uint8_t> bytes, FraudProof* out, ValidationState* state) {
  if (bytes.size() > kMaxFraudProofSize || !Deserialize(bytes, out).ok())
    return Reject(state, "bad-fraud-encoding");
  return CheckFraudProof(*out, state);
}

}  // namespace cc
