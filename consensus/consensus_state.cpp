#include "consensus/consensus_state.h"

#include <algorithm>

#include "chain/hash.h"
#include "chain/merkle.h"

namespace cc {

WorkerRegistration SignRegistration(const PrivateKey& worker, const Uint256& genesis_hash,
                                    const Uint256& payout) {
  const XOnlyPubKeyBytes key = worker.PublicKey();
  return WorkerRegistration{key, payout, worker.Sign(PayoutSigningHash(genesis_hash, key, payout))};
}

Uint256 ConsensusState::StateRoot() const {
  std::vector<Uint256> leaves;
  leaves.reserve(sections.size());
  for (uint32_t s = 0; s < sections.size(); ++s)
    leaves.push_back(compute::StateLeaf(s, sections[s].weights, sections[s].optimizer_state));
  return MerkleRoot(leaves);
}

Uint256 RegistryLeaf(const WorkerEntry& entry) {
  return TaggedHash(tags::kRegistryLeaf, Serialize(entry));
}

namespace {

std::vector<Uint256> RegistryLeaves(const std::vector<WorkerEntry>& workers) {
  std::vector<Uint256> leaves;
  leaves.reserve(workers.size());
  for (const WorkerEntry& w : workers) leaves.push_back(RegistryLeaf(w));
  return leaves;
}

}  // namespace

Uint256 ConsensusState::RegistryRoot() const { return MerkleRoot(RegistryLeaves(workers)); }

Status ConsensusState::RegistryProof(const XOnlyPubKeyBytes& key, WorkerEntry* entry,
                                     MerkleProof* proof) const {
  const WorkerEntry* found = FindWorker(key);
  if (found == nullptr) return Status::NotFound("not a registered worker");
  MerkleProof path;
  Status s = MakeMerkleProof(RegistryLeaves(workers), static_cast<uint64_t>(found - workers.data()),
                             &path);
  if (!s.ok()) return s;
  *entry = *found;
  *proof = std::move(path);
  return Status::OK();
}

const WorkerEntry* ConsensusState::FindWorker(const XOnlyPubKeyBytes& key) const {
  auto it = std::lower_bound(workers.begin(), workers.end(), key,
                             [](const WorkerEntry& w, const XOnlyPubKeyBytes& k) { return w.key < k; });
  return it != workers.end() && it->key == key ? &*it : nullptr;
}

WorkerEntry* ConsensusState::FindWorker(const XOnlyPubKeyBytes& key) {
  return const_cast<WorkerEntry*>(std::as_const(*this).FindWorker(key));
}

Uint256 ConsensusState::PayoutOf(const XOnlyPubKeyBytes& key) const {
  const WorkerEntry* w = FindWorker(key);
  return w != nullptr ? w->payout : KeyHash(key);
}

const UnitDone* ConsensusState::FindDone(const UnitId& unit) const {
  auto it = std::lower_bound(done.begin(), done.end(), unit,
                             [](const UnitDone& d, const UnitId& u) { return d.unit < u; });
  return it != done.end() && it->unit == unit ? &*it : nullptr;
}

void ConsensusState::AddDone(UnitDone d) {
  auto it = std::lower_bound(done.begin(), done.end(), d.unit,
                             [](const UnitDone& x, const UnitId& u) { return x.unit < u; });
  done.insert(it, std::move(d));
}

Status GenesisState(const Block& genesis, const compute::Engine& engine, ConsensusState* out,
                    std::vector<compute::EncodedTensor>* tensors) {
  ConsensusState state;
  state.block_hash = genesis.Hash();
  state.height = genesis.header.height;
  state.time = genesis.header.time;
  state.step_start_time = genesis.header.time;
  const uint32_t sections = static_cast<uint32_t>(engine.partition().sections.size());
  if (tensors != nullptr) tensors->clear();
  for (uint32_t s = 0; s < sections; ++s) {
    compute::EncodedTensor weights, optimizer_state;
    Status st = engine.ExportSection(s, &weights, &optimizer_state);
    if (!st.ok()) return st;
    state.sections.push_back(SectionState{weights.Hash(), optimizer_state.Hash()});
    if (tensors != nullptr) {
      tensors->push_back(std::move(weights));
      tensors->push_back(std::move(optimizer_state));
    }
  }
  if (state.StateRoot() != genesis.header.state_root)
    return Status::InvalidArgument("engine state root " + state.StateRoot().ToHex() +
                                   " is not genesis's " + genesis.header.state_root.ToHex());
  *out = std::move(state);
  return Status::OK();
}

}  // namespace cc
