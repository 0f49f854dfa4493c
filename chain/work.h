// Work records: the signed claim that a worker computed one unit of training
// work. Blocks carry them; chain/ only defines the data and its encoding —
// what a unit means is compute/'s business, whether a record is acceptable
// is consensus/'s.
//
// Wire format:
//   UnitId     = kind:u8 step:u64 lane:u32 section:u32 layer:u32 head_group:u32 query_segment:u32
//   WorkRecord = unit:UnitId inputs:vector<Uint256> outputs:vector<Uint256>
//                loss:float worker:[32] signature:[64]
// Fields a unit kind does not use must be zero (checked by consensus).
// Record hash (the work_root leaf) = TaggedHash(tags::kWorkRecord, encoding
// including the signature); the worker signs
// TaggedHash(tags::kWorkSig, encoding with the signature zeroed).

#ifndef COMPUTECOIN_CHAIN_WORK_H
#define COMPUTECOIN_CHAIN_WORK_H

#include <cstdint>
#include <vector>

#include "chain/serialize.h"
#include "chain/transaction.h"
#include "chain/uint256.h"

namespace cc {

enum class UnitKind : uint8_t {
  kForward = 1,    //!< (step, lane, section, layer = region): activations; the last stage also the loss
  kBackward = 2,   //!< (step, lane, section, layer = region): input and parameter gradients
  kAttention = 3,  //!< (step, lane, layer, head_group, query_segment): one attention slice
  kUpdate = 4,     //!< (step, section): new weights (and optimizer state) from the lanes' gradients
};

struct UnitId {
  UnitKind kind = UnitKind::kForward;
  uint64_t step = 0;
  uint32_t lane = 0;
  uint32_t section = 0;
  uint32_t layer = 0;
  uint32_t head_group = 0;
  uint32_t query_segment = 0;

  auto operator<=>(const UnitId&) const = default;
};
/// Decoding rejects unknown kinds ("bad-unit-kind").
void Put(Writer& w, const UnitId& id);
void Get(Reader& r, UnitId& id);

struct WorkRecord {
  UnitId unit;
  std::vector<Uint256> inputs;   //!< tensor hashes the unit consumed, in the unit's input order
  std::vector<Uint256> outputs;  //!< tensor hashes it produced, in the unit's output order
  float loss = 0.0f;             //!< mean loss of a last-section FORWARD unit; 0 otherwise
  XOnlyPubKeyBytes worker{};
  SchnorrSigBytes signature{};

  CC_SERIALIZE_METHODS(WorkRecord, obj) {
    ar(obj.unit, obj.inputs, obj.outputs, obj.loss, obj.worker, obj.signature);
  }
  bool operator==(const WorkRecord&) const = default;

  /// The work_root leaf: commits to everything, signature included.
  Uint256 Hash() const;
  /// What the worker signs: everything but the signature.
  Uint256 SigningHash() const;
};

}  // namespace cc

#endif  // COMPUTECOIN_CHAIN_WORK_H
