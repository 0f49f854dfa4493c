#include "chain/receipt.h"

#include <vector>

namespace cc {

Uint256 Receipt::SigningHash() const {
  std::vector<uint8_t> bytes;
  Writer w(&bytes);
  w(request_id, state_root, section_begin, section_end, input_hash, output_hash, tokens, amount,
    holder);
  return TaggedHash(tags::kReceiptSig, bytes);
}

Uint256 Receipt::Hash() const { return SerializeTaggedHash(tags::kReceipt, *this); }

Uint256 SaltedDataHash(const Uint256& salt, ByteSpan data) {
  std::vector<uint8_t> bytes(salt.begin(), salt.end());
  bytes.insert(bytes.end(), data.begin(), data.end());
  return TaggedHash(tags::kReceiptSalt, bytes);
}

Uint256 ChainedInputHash(const Uint256& salt, const Uint256& previous, uint32_t position,
                         ByteSpan input) {
  std::vector<uint8_t> bytes;
  Writer w(&bytes);
  w(previous, position);
  bytes.insert(bytes.end(), input.begin(), input.end());
  return SaltedDataHash(salt, bytes);
}

Uint256 ChainedOutputHash(const Uint256& salt, const Uint256& previous, ByteSpan output) {
  std::vector<uint8_t> bytes(previous.begin(), previous.end());
  bytes.insert(bytes.end(), output.begin(), output.end());
  return SaltedDataHash(salt, bytes);
}

Uint256 HolderBondSigningHash(const XOnlyPubKeyBytes& payee) {
  return TaggedHash(tags::kHolderBond, payee);
}

bool VerifyHolderBond(const HolderBond& bond, const XOnlyPubKeyBytes& payee) {
  return VerifySchnorr(bond.worker, HolderBondSigningHash(payee), bond.signature);
}

bool VerifyReceiptSignature(const Receipt& receipt) {
  return VerifySchnorr(receipt.holder, receipt.SigningHash(), receipt.signature);
}

namespace {

std::vector<Uint256> Leaves(std::span<const Receipt> receipts) {
  std::vector<Uint256> leaves;
  leaves.reserve(receipts.size());
  for (const Receipt& r : receipts) leaves.push_back(r.Hash());
  return leaves;
}

bool Reject(ValidationState* state, const char* reason) {
  return state->Invalid(ValidationResult::kConsensus, reason);
}

}  // namespace

Uint256 ReceiptsRoot(std::span<const Receipt> receipts) { return MerkleRoot(Leaves(receipts)); }

Status MakeReceiptProof(std::span<const Receipt> receipts, uint64_t index, ReceiptProof* out) {
  if (index >= receipts.size()) return Status::InvalidArgument("receipt index out of range");
  out->receipt = receipts[index];
  return MakeMerkleProof(Leaves(receipts), index, &out->path);
}

bool VerifyReceiptCommitment(const ReceiptProof& proof, const Transaction& settlement,
                             ValidationState* state) {
  if (!VerifyReceiptSignature(proof.receipt)) return Reject(state, "receipt-bad-sig");
  // The shape MakeSettlement (chain/channel.h) gives: one channel input closed
  // cooperatively, the commitment last.
  if (settlement.channel_spends.size() != 1 || settlement.inputs.size() != 1 ||
      settlement.channel_spends[0].close != ChannelClose::kCooperative ||
      settlement.outputs.empty() || settlement.outputs.back().kind != OutputKind::kCommitment) {
    return Reject(state, "receipt-not-settlement");
  }
  if (settlement.channel_spends[0].holder != proof.receipt.holder) {
    return Reject(state, "receipt-wrong-holder");
  }
  if (!VerifyMerkleProof(proof.receipt.Hash(), proof.path, settlement.outputs.back().lock)) {
    return Reject(state, "receipt-not-committed");
  }
  return true;
}

}  // namespace cc
