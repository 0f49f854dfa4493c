#include "chain/work.h"

#include "chain/hash.h"

namespace cc {

void Put(Writer& w, const UnitId& id) {
  w(static_cast<uint8_t>(id.kind), id.step, id.lane, id.section, id.layer, id.head_group,
    id.query_segment);
}

void Get(Reader& r, UnitId& id) {
  uint8_t kind = 0;
  r(kind);
  if (kind < static_cast<uint8_t>(UnitKind::kForward) ||
      kind > static_cast<uint8_t>(UnitKind::kUpdate)) {
    throw DecodeError("bad-unit-kind");
  }
  id.kind = static_cast<UnitKind>(kind);
  r(id.step, id.lane, id.section, id.layer, id.head_group, id.query_segment);
}

Uint256 WorkRecord::Hash() const { return SerializeTaggedHash(tags::kWorkRecord, *this); }

Uint256 WorkRecord::SigningHash() const {
  WorkRecord unsigned_record = *this;
  unsigned_record.signature = {};
  return SerializeTaggedHash(tags::kWorkSig, unsigned_record);
}

}  // namespace cc
