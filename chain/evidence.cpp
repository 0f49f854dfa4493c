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

}  // namespace

void Put(Writer& w, const Evidence& ev) {
  w(static_cast<uint8_t>(ev.kind));
  if (ev.kind == EvidenceKind::kDoubleProduction) {
    w(ev.first, ev.second);
  } else {
    w(ev.record);
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
  } else {
    throw DecodeError("bad-evidence-kind");
  }
}

XOnlyPubKeyBytes Evidence::Offender() const {
  return kind == EvidenceKind::kDoubleProduction ? first.producer : record.worker;
}

Uint256 Evidence::OffenceId() const {
  std::vector<uint8_t> bytes;
  Writer w(&bytes);
  w(static_cast<uint8_t>(kind), Offender());
  if (kind == EvidenceKind::kDoubleProduction) {
    w(first.prev);
  } else {
    w(record.unit);
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
  if (!VerifySchnorr(out->record.worker, out->record.SigningHash(), out->record.signature))
    return Reject(state, "bad-evidence-sig");
  return true;
}

}  // namespace cc
