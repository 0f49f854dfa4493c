// Inference receipts: what a holder signs for each response it is paid for,
// and the proof that a settlement on chain paid for one (doc/channels.md).
//
// A receipt names what was computed (the model's state root and the section
// range served), over what (a salted hash of the input, one of the output),
// for how many tokens and how much, and by whom (the holder's key, which
// signs it). The client keeps its receipts; each payment update commits the
// Merkle root of the receipts it pays for (chain/channel.h), and the
// settlement that closes the channel carries that root in its kCommitment
// output. A receipt is then proven paid by: its holder's signature, its
// Merkle path to the settlement's root, and the settlement's path to a
// block's tx_root (chain/merkle.h, the same proof as gettxoutproof's).
//
// Salted hashes: input_hash = TaggedHash(tags::kReceiptSalt, salt32 || data)
// with a 32-byte salt the client draws for each request and shares only with
// the holder. A prompt such as "123+456=" has few enough candidates to be
// found from a plain hash by trying them all; without the salt a published
// receipt says nothing about what was asked.
//
// Reject reasons of VerifyReceiptCommitment (ValidationResult::kConsensus):
//   receipt-bad-sig         the holder's signature does not verify
//   receipt-not-settlement  the transaction is not a cooperative channel close
//                           with a commitment output (its last)
//   receipt-wrong-holder    the channel closed is not the receipt's holder's
//   receipt-not-committed   the Merkle path does not lead from the receipt's
//                           hash to the settlement's receipts root
//
// Wire formats (serialize.h):
//   Receipt      = request_id:Uint256 state_root:Uint256 section_begin:u32
//                  section_end:u32 input_hash:Uint256 output_hash:Uint256
//                  tokens:u32 amount:i64 holder:[32] signature:[64]
//   ReceiptProof = receipt:Receipt path:MerkleProof
// The signature signs TaggedHash(tags::kReceiptSig, encoding without it);
// the Merkle leaf is TaggedHash(tags::kReceipt, the full encoding).
//
// Thread safety: free functions and plain values.

#ifndef COMPUTECOIN_CHAIN_RECEIPT_H
#define COMPUTECOIN_CHAIN_RECEIPT_H

#include <cstdint>
#include <span>

#include "chain/amount.h"
#include "chain/hash.h"
#include "chain/key.h"
#include "chain/merkle.h"
#include "chain/serialize.h"
#include "chain/status.h"
#include "chain/transaction.h"
#include "chain/uint256.h"
#include "chain/validation.h"

namespace cc {

struct Receipt {
  Uint256 request_id;          //!< chosen by the client, unique per request
  Uint256 state_root;          //!< the model state served (a block's state_root)
  uint32_t section_begin = 0;  //!< first section served
  uint32_t section_end = 0;    //!< one past the last
  Uint256 input_hash;          //!< SaltedDataHash of what the holder received
  Uint256 output_hash;         //!< SaltedDataHash of what it returned
  uint32_t tokens = 0;
  Amount amount = 0;  //!< the price of this response
  XOnlyPubKeyBytes holder{};
  SchnorrSigBytes signature{};

  CC_SERIALIZE_METHODS(Receipt, obj) {
    ar(obj.request_id, obj.state_root, obj.section_begin, obj.section_end, obj.input_hash,
       obj.output_hash, obj.tokens, obj.amount, obj.holder, obj.signature);
  }
  bool operator==(const Receipt&) const = default;

  /// What the holder signs: the tagged hash of the encoding without the signature.
  Uint256 SigningHash() const;
  /// The Merkle leaf: the tagged hash of the full encoding.
  Uint256 Hash() const;
};

/// TaggedHash(tags::kReceiptSalt, salt32 || data): a receipt's input or output hash.
Uint256 SaltedDataHash(const Uint256& salt, ByteSpan data);

/// A running receipt's input hash after one more step: SaltedDataHash(salt,
/// previous32 || position:u32le || input), from a zero `previous` before the
/// first step. The position is committed with the input because the answer
/// depends on it: a step at position 0 starts the session again, so the
/// same inputs at other positions are another computation (and evidence of
/// a wrong answer, chain/evidence.h, could otherwise describe a session the
/// holder never ran). Holder, client and evidence all chain it.
Uint256 ChainedInputHash(const Uint256& salt, const Uint256& previous, uint32_t position,
                         ByteSpan input);
/// A running receipt's output hash after one more step: SaltedDataHash(salt,
/// previous32 || output), from a zero `previous`.
Uint256 ChainedOutputHash(const Uint256& salt, const Uint256& previous, ByteSpan output);

/// A registered worker key vouching for a holder's payee key: the worker's
/// bonds stand behind the receipts the payee signs, so a proven wrong output
/// under one of them forfeits those bonds (chain/evidence.h, kWrongInference).
/// The holder announces it (net/messages.h, serveinfo).
///   HolderBond = worker:[32] signature:[64]
/// signature: BIP340 by worker over HolderBondSigningHash(payee).
struct HolderBond {
  XOnlyPubKeyBytes worker{};
  SchnorrSigBytes signature{};

  CC_SERIALIZE_METHODS(HolderBond, obj) { ar(obj.worker, obj.signature); }
  bool operator==(const HolderBond&) const = default;
};

/// TaggedHash(tags::kHolderBond, payee32): what a holder bond signs.
Uint256 HolderBondSigningHash(const XOnlyPubKeyBytes& payee);
/// True if bond.signature is bond.worker's over HolderBondSigningHash(payee).
[[nodiscard]] bool VerifyHolderBond(const HolderBond& bond, const XOnlyPubKeyBytes& payee);

/// True if receipt.signature is the holder's over receipt.SigningHash().
[[nodiscard]] bool VerifyReceiptSignature(const Receipt& receipt);

/// MerkleRoot of the receipts' hashes, in order: what a payment update and
/// its settlement commit to. MerkleRoot({}) for none.
Uint256 ReceiptsRoot(std::span<const Receipt> receipts);

/// A receipt and its path to the receipts root of the settlement that paid it.
struct ReceiptProof {
  Receipt receipt;
  MerkleProof path;

  CC_SERIALIZE_METHODS(ReceiptProof, obj) { ar(obj.receipt, obj.path); }
  bool operator==(const ReceiptProof&) const = default;
};

/** Builds the proof for receipts[index] against ReceiptsRoot(receipts).
 *  Returns: OK with *out; InvalidArgument if index >= receipts.size().
 *  Out:     out: REQUIRES: not null.
 */
Status MakeReceiptProof(std::span<const Receipt> receipts, uint64_t index, ReceiptProof* out);

/** Checks that `settlement` paid for proof.receipt: the receipt's signature,
 *  the settlement's shape and holder, and the path to its receipts root
 *  (reasons in the file comment). Whether the settlement is in a block is
 *  the caller's check (its wtxid's path to a header's tx_root).
 *  Returns: true; false with *state.
 *  Out:     state: REQUIRES: not null.
 */
[[nodiscard]] bool VerifyReceiptCommitment(const ReceiptProof& proof, const Transaction& settlement,
                                           ValidationState* state);

}  // namespace cc

#endif  // COMPUTECOIN_CHAIN_RECEIPT_H
