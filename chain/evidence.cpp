#include "chain/evidence.h"

#include <utility>

#include "chain/hash.h"
#include "chain/key.h"

namespace cc {
namespace {

constexpr std::string_view kOffenceTag = "Computecoin/Offence";

bool Reject(ValidationState* state, const char* reason) {
  return state->Invalid(ValidationResult::kConsensus, reason);
}

// The parts of wrong-inference evidence that need neither chain nor model.
bool CheckWrongInferenceHashes(const WrongInference& ev, ValidationState* state) {
  const Receipt& receipt = ev.receipt;
  if (!VerifyReceiptSignature(receipt) || !VerifyHolderBond(ev.bond, receipt.holder))
    return Reject(state, "bad-evidence-sig");
  uint64_t rows = 0;
  for (const InferenceStep& step : ev.steps) {
    if (step.rows == 0) return Reject(state, "bad-evidence-transcript");
    rows += step.rows;
  }
  if (ev.steps.empty() || rows != receipt.tokens || receipt.section_end <= receipt.section_begin ||
      ev.sections.size() != receipt.section_end - receipt.section_begin)
    return Reject(state, "bad-evidence-transcript");
  Uint256 input_hash;
  for (const InferenceStep& step : ev.steps)
    input_hash = ChainedInputHash(ev.salt, input_hash, step.position, step.input);
  if (input_hash != receipt.input_hash ||
      ChainedOutputHash(ev.salt, ev.prior_output_hash, ev.output) != receipt.output_hash)
    return Reject(state, "bad-evidence-hash");
  return true;
}

}  // namespace

void Put(Writer& w, const Evidence& ev) {
  w(static_cast<uint8_t>(ev.kind));
  switch (ev.kind) {
    case EvidenceKind::kDoubleProduction:
      w(ev.first, ev.second);
      break;
    case EvidenceKind::kWrongWork:
      w(ev.record);
      break;
    case EvidenceKind::kWrongInference:
      w(ev.inference);
      break;
  }
}

void Get(Reader& r, Evidence& ev) {
  uint8_t kind = 0;
  r(kind);
  ev = Evidence{};
  if (kind == static_cast<uint8_t>(EvidenceKind::kDoubleProduction)) {
    ev.kind = EvidenceKind::kDoubleProduction;
    r(ev.first, ev.second);
  } else if (kind == static_cast<uint8_t>(EvidenceKind::kWrongWork)) {
    ev.kind = EvidenceKind::kWrongWork;
    r(ev.record);
  } else if (kind == static_cast<uint8_t>(EvidenceKind::kWrongInference)) {
    ev.kind = EvidenceKind::kWrongInference;
    r(ev.inference);
  } else {
    throw DecodeError("bad-evidence-kind");
  }
}

XOnlyPubKeyBytes Evidence::Offender() const {
  switch (kind) {
    case EvidenceKind::kDoubleProduction:
      return first.producer;
    case EvidenceKind::kWrongWork:
      return record.worker;
    case EvidenceKind::kWrongInference:
      break;
  }
  return inference.bond.worker;
}

Uint256 Evidence::OffenceId() const {
  std::vector<uint8_t> bytes;
  Writer w(&bytes);
  w(static_cast<uint8_t>(kind), Offender());
  switch (kind) {
    case EvidenceKind::kDoubleProduction:
      w(first.prev);
      break;
    case EvidenceKind::kWrongWork:
      w(record.unit);
      break;
    case EvidenceKind::kWrongInference:
      w(inference.receipt.request_id);
      break;
  }
  return TaggedHash(kOffenceTag, bytes);
}

Evidence DoubleProductionEvidence(const BlockHeader& a, const BlockHeader& b) {
  Evidence ev;
  ev.kind = EvidenceKind::kDoubleProduction;
  const bool a_first = a.Hash() < b.Hash();
  ev.first = a_first ? a : b;
  ev.second = a_first ? b : a;
  return ev;
}

Evidence WrongWorkEvidence(const WorkRecord& record) {
  Evidence ev;
  ev.kind = EvidenceKind::kWrongWork;
  ev.record = record;
  return ev;
}

Evidence WrongInferenceEvidence(WrongInference inference) {
  Evidence ev;
  ev.kind = EvidenceKind::kWrongInference;
  ev.inference = std::move(inference);
  return ev;
}

Transaction MakeSlashTransaction(const Evidence& evidence,
                                 std::span<const std::pair<OutPoint, TxOut>> forfeited,
                                 const Uint256& reward_lock) {
  Transaction tx;
  tx.version = kSlashTxVersion;
  Amount total = 0;
  for (const auto& [outpoint, out] : forfeited) {
    TxIn in;
    in.prevout = outpoint;
    tx.inputs.push_back(in);
    total += out.value;
  }
  tx.outputs.push_back(TxOut{total / 2, OutputKind::kPayToKeyHash, reward_lock});
  tx.evidence = Serialize(evidence);
  return tx;
}

bool DecodeEvidence(std::span<const uint8_t> bytes, Evidence* out, ValidationState* state) {
  // Deserialize refuses trailing bytes and non-canonical sizes, and every
  // field has one encoding, so what decodes is the one encoding of *out.
  if (!Deserialize(bytes, out).ok()) return Reject(state, "bad-evidence-encoding");
  if (out->kind == EvidenceKind::kDoubleProduction) {
    const Uint256 a = out->first.Hash();
    const Uint256 b = out->second.Hash();
    if (a == b) return Reject(state, "bad-evidence-same");
    if (!(a < b)) return Reject(state, "bad-evidence-order");
    if (out->first.prev != out->second.prev || out->first.height != out->second.height)
      return Reject(state, "bad-evidence-slot");
    if (out->first.producer != out->second.producer) return Reject(state, "bad-evidence-producer");
    if (!VerifySchnorr(out->first.producer, out->first.SigningHash(), out->first.signature) ||
        !VerifySchnorr(out->second.producer, out->second.SigningHash(), out->second.signature))
      return Reject(state, "bad-evidence-sig");
    return true;
  }
  if (out->kind == EvidenceKind::kWrongInference) return CheckWrongInferenceHashes(out->inference, state);
  if (!VerifySchnorr(out->record.worker, out->record.SigningHash(), out->record.signature))
    return Reject(state, "bad-evidence-sig");
  return true;
}

}  // namespace cc
