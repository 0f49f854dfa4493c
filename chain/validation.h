// ValidationState: why a transaction, block, record or message was refused.
//
// Every check takes a ValidationState* and, on failure, fills in a category
// (ValidationResult), a short machine-stable reject reason such as
// "bad-txns-vout-empty" and an optional debug detail, then returns false:
//
//   if (tx.outputs.empty())
//     return state->Invalid(ValidationResult::kConsensus, "bad-txns-vout-empty");
//
// The category decides what the caller does about the sender (punish a peer,
// keep an orphan, ask another peer, log our own failure); the reason string
// is what tests assert and what a reject message or RPC error carries. Keep
// data that is invalid (someone else's fault) apart from internal errors
// (ours): the latter go through Error().
//
// Thread safety: a ValidationState is a value; do not share one between
// threads without synchronisation.

#ifndef COMPUTECOIN_CHAIN_VALIDATION_H
#define COMPUTECOIN_CHAIN_VALIDATION_H

#include <string>
#include <utility>

namespace cc {

enum class ValidationResult {
  kValid,          //!< nothing has failed (the initial state)
  kConsensus,      //!< invalid by consensus rules; the sender's fault
  kMutated,        //!< bytes do not match the commitment they came with (root, id or producer
                   //!< signature): possibly the relayer's tampering, so the id must not be
                   //!< remembered as invalid
  kMissingInputs,  //!< spends outputs we do not know (yet): an orphan, not a fault
  kMissingPrev,    //!< the parent block is unknown: fetch it, not a fault
  kPremature,      //!< spends a coinbase output before maturity; valid later, not a fault
                   //!< outside a block
  kConflict,       //!< spends an output another accepted transaction already spends
  kTimeFuture,     //!< timestamp too far ahead of our clock; may become valid later
  kPolicy,         //!< valid, but not what our mempool relays (not standard, fee too low)
  kInternal,       //!< our own failure (I/O, database); says nothing about the data
};

class ValidationState {
 public:
  /// Records that the data is invalid (or refused) and returns false.
  /// REQUIRES: result is neither kValid nor kInternal (use Error()).
  bool Invalid(ValidationResult result, std::string reject_reason, std::string debug = {}) {
    result_ = result;
    reason_ = std::move(reject_reason);
    debug_ = std::move(debug);
    return false;
  }

  /// Records an internal error (result kInternal) and returns false.
  bool Error(std::string reject_reason) {
    result_ = ValidationResult::kInternal;
    reason_ = std::move(reject_reason);
    debug_.clear();
    return false;
  }

  bool IsValid() const { return result_ == ValidationResult::kValid; }
  bool IsInvalid() const { return !IsValid() && !IsError(); }
  bool IsError() const { return result_ == ValidationResult::kInternal; }

  ValidationResult result() const { return result_; }
  /// The reject reason; empty while IsValid().
  const std::string& reason() const { return reason_; }
  /// Optional detail for logs (e.g. "input 2"); may be empty.
  const std::string& debug() const { return debug_; }

  /// "Valid", "<reason>", or "<reason>, <debug>" when there is a detail.
  std::string ToString() const {
    if (IsValid()) return "Valid";
    return debug_.empty() ? reason_ : reason_ + ", " + debug_;
  }

 private:
  ValidationResult result_ = ValidationResult::kValid;
  std::string reason_;
  std::string debug_;
};

}  // namespace cc

#endif  // COMPUTECOIN_CHAIN_VALIDATION_H
