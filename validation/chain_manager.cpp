#include "validation/chain_manager.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>

#include <algorithm>
#include <ctime>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include "chain/fraud_proof.h"
#include "chain/hex.h"
#include "chain/key.h"
#include "chain/leveldb_open.h"
#include "chain/logging.h"
#include "consensus/evidence.h"
#include "consensus/fork_choice.h"
#include "consensus/genesis.h"

namespace cc {
namespace {

// The consensus rules and snapshot encoding a data directory was written
// under, kept in the snapshot database under kFormatKey. Raised with every
// change that makes stored snapshots undecodable or stored blocks invalid
// (doc/consensus.md, "Rule versions"); 1 is every database without the key.
constexpr uint32_t kRulesVersion = 4;  // 4: units assigned by home section (doc/consensus.md §8a)
const char kFormatKey[] = "v";

// An assume-valid line below which every record lies: a checkpointed block's.
constexpr uint64_t kAllSteps = std::numeric_limits<uint64_t>::max();
// A tip older than this is still catching up, however close it is to the
// best header seen (that may be a lagging peer's): Bitcoin Core's 24 h.
constexpr int64_t kMaxTipAgeSeconds = 24 * 60 * 60;

// Refuses a database written under other rules, with what to do about it;
// marks a new one (no snapshot yet) as ours.
Status CheckRulesVersion(leveldb::DB* db, const std::filesystem::path& datadir) {
  std::string value;
  leveldb::Status ls = db->Get(leveldb::ReadOptions(), kFormatKey, &value);
  uint32_t version = 0;
  if (ls.ok()) {
    if (value.size() != 4) return Status::Corruption("consensus snapshot: bad rules version");
    for (int i = 3; i >= 0; --i) version = version << 8 | static_cast<uint8_t>(value[i]);
  } else if (ls.IsNotFound()) {
    std::unique_ptr<leveldb::Iterator> it(db->NewIterator(leveldb::ReadOptions()));
    it->SeekToFirst();
    if (!it->status().ok()) return Status::IOError("consensus snapshot: " + it->status().ToString());
    if (!it->Valid()) {  // new: ours
      for (int i = 0; i < 4; ++i) value.push_back(static_cast<char>(kRulesVersion >> (8 * i)));
      leveldb::WriteOptions wo;
      wo.sync = true;
      ls = db->Put(wo, kFormatKey, value);
      if (!ls.ok()) return Status::IOError("consensus snapshot: " + ls.ToString());
      return Status::OK();
    }
    version = 1;
  } else {
    return Status::IOError("consensus snapshot: " + ls.ToString());
  }
  if (version == kRulesVersion) return Status::OK();
  return Status::NotSupported(
      "the chain in " + datadir.string() + " was made under consensus rules version " +
      std::to_string(version) + ", and this program implements version " +
      std::to_string(kRulesVersion) +
      " (doc/consensus.md, \"Rule versions\"): its blocks may not be valid under these rules. "
      "Test networks restart after such a change: move that directory away or use another "
      "-datadir");
}

std::string StateKey(const Uint256& hash) {
  std::string key = "s";
  key.append(reinterpret_cast<const char*>(hash.data()), 32);
  return key;
}

// Appends to *out every stored block that descends from `entry`, parents
// before children (invalidateblock and reconsiderblock mark or clear them).
Status AppendStoredDescendants(const ChainState& chain, const BlockIndexEntry& entry,
                               std::vector<Uint256>* out) {
  std::vector<BlockIndexEntry> later;
  Status s = chain.store().ForEachIndexEntry([&](const BlockIndexEntry& e) {
    if (e.height() > entry.height()) later.push_back(e);
    return Status::OK();
  });
  if (!s.ok()) return s;
  std::sort(later.begin(), later.end(), [](const BlockIndexEntry& a, const BlockIndexEntry& b) {
    return a.height() < b.height();
  });
  std::set<Uint256> below = {entry.header.Hash()};
  for (const BlockIndexEntry& e : later) {
    if (!below.contains(e.header.prev)) continue;
    below.insert(e.header.Hash());
    out->push_back(e.header.Hash());
  }
  return Status::OK();
}

}  // namespace

Status BootstrapGenesis(const ChainParams& params, ChainState* chain) {
  const Block genesis = BuildGenesisBlock(params);
  Uint256 tip;
  uint32_t height = 0;
  Status s = chain->GetTip(&tip, &height);
  if (s.IsNotFound()) {
    s = chain->ConnectTip(genesis);
    if (s.ok()) LogPrintf("Wrote the " + params.name + " genesis block " + genesis.Hash().ToHex());
    return s;
  }
  if (!s.ok()) return s;
  Uint256 first;
  s = chain->GetBlockHashAtHeight(0, &first);
  if (!s.ok()) return s;
  if (first != genesis.Hash())
    return Status::Corruption("Incorrect or no genesis block found. Wrong datadir for network?");
  return Status::OK();
}

ChainManager::ChainManager(const ChainParams& params, ChainState* chain,
                           const ChainManagerOptions& options)
    : params_(params),
      chain_(chain),
      options_(options),
      keep_steps_(options.keep_steps.value_or(params.tensor_retention_steps)) {}

ChainManager::~ChainManager() = default;

Status ChainManager::Open(const ChainParams& params, ChainState* chain,
                          const std::filesystem::path& datadir, const ChainManagerOptions& options,
                          std::unique_ptr<ChainManager>* out) {
  if (!options.engine_factory) return Status::InvalidArgument("no engine factory");
  std::unique_ptr<ChainManager> m(new ChainManager(params, chain, options));
  compute::TensorStoreOptions topts;
  topts.sync = options.sync;
  Status s = compute::TensorStore::Open((datadir / "tensors").string(), topts, &m->tensors_);
  if (!s.ok()) return s;
  // An absent (or empty) directory is rebuilt by Replay below; a damaged one
  // is refused rather than silently recreated.
  leveldb::Options dbopts;
  dbopts.create_if_missing = true;
  s = OpenLevelDb(datadir / "consensus", dbopts, "consensus snapshot", &m->states_db_);
  if (s.ok()) s = CheckRulesVersion(m->states_db_.get(), datadir);
  if (!s.ok()) return s;
  s = TrainingDataset(params, &m->dataset_);
  if (!s.ok()) return s;
  s = options.engine_factory(params.model, options.engine, &m->engine_);
  if (!s.ok()) return s;
  m->plan_ = m->engine_->Plan(0);
  m->units_per_step_ = std::max<uint64_t>(1, m->plan_.units.size());

  std::lock_guard<std::mutex> lock(m->mu_);
  const Block genesis = BuildGenesisBlock(params);
  ConsensusState genesis_state;
  std::vector<compute::EncodedTensor> initial;
  s = GenesisState(genesis, *m->engine_, &genesis_state, &initial);
  for (size_t i = 0; s.ok() && i < initial.size(); ++i)
    s = m->tensors_->Put(initial[i], 0, nullptr);
  if (s.ok()) s = m->PutState(genesis_state);
  if (!s.ok()) return s;

  s = BootstrapGenesis(params, chain);
  if (!s.ok()) return s;
  Uint256 tip;
  uint32_t height = 0;
  s = chain->GetTip(&tip, &height);
  if (s.ok() && height == 0) s = m->CheckChainNotLost(tip);
  if (!s.ok()) return s;
  s = m->GetStateLocked(tip, &m->tip_);
  if (s.IsNotFound()) s = m->Replay();
  if (s.ok()) s = m->ResumeReorganization();
  if (s.ok()) s = m->LoadEngine(m->tip_);
  if (!s.ok()) return s;
  *out = std::move(m);
  return Status::OK();
}

Status ChainManager::PutState(const ConsensusState& state) {
  const std::vector<uint8_t> bytes = Serialize(state);
  leveldb::WriteOptions wo;
  wo.sync = options_.sync;
  const leveldb::Status s =
      states_db_->Put(wo, StateKey(state.block_hash),
                      leveldb::Slice(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  return s.ok() ? Status::OK() : Status::IOError("consensus snapshot: " + s.ToString());
}

Status ChainManager::GetStateLocked(const Uint256& hash, ConsensusState* out) const {
  std::string value;
  const leveldb::Status s = states_db_->Get(leveldb::ReadOptions(), StateKey(hash), &value);
  if (s.IsNotFound()) return Status::NotFound("no consensus state for " + hash.ToHex());
  if (!s.ok()) return Status::IOError("consensus snapshot: " + s.ToString());
  const std::vector<uint8_t> bytes(value.begin(), value.end());
  return Deserialize(bytes, out);
}

Status ChainManager::GetState(const Uint256& hash, ConsensusState* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  return GetStateLocked(hash, out);
}

bool ChainManager::HaveTensor(const Uint256& hash) const { return tensors_->Has(hash); }

Status ChainManager::GetTensor(const Uint256& hash, compute::EncodedTensor* out) const {
  return tensors_->Get(hash, out);
}

Status ChainManager::PutTensor(const compute::EncodedTensor& tensor, uint64_t step,
                               Uint256* hash) {
  // Two fsyncs per output on every hop of a step were on the critical path
  // of training across processes (doc/benchmarks.md); see the header.
  const Uint256 id = tensor.Hash();
  if (hash != nullptr) *hash = id;
  return PutTensorHashed(tensor, id, step);
}

Status ChainManager::PutTensorHashed(const compute::EncodedTensor& tensor, const Uint256& hash,
                                     uint64_t step) {
  return tensors_->PutHashed(tensor, hash, step, /*sync=*/false);
}

Status ChainManager::Complete(std::span<const std::string> prompts, uint32_t max_tokens,
                              std::vector<std::string>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  Status s = CheckModelLoaded();
  return s.ok() ? engine_->Generate(prompts, max_tokens, out) : s;
}

Status ChainManager::ExportModel(ConsensusState* tip, compute::ParamValues* params) const {
  std::lock_guard<std::mutex> lock(mu_);
  Status s = CheckModelLoaded();
  if (!s.ok()) return s;
  *tip = tip_;
  return engine_->ExportParams(params);
}

Status ChainManager::MakeSectionServer(uint32_t begin, uint32_t end,
                                       const compute::ServeLimits& limits,
                                       std::unique_ptr<compute::SectionServer>* out,
                                       Uint256* state_root) {
  std::lock_guard<std::mutex> lock(mu_);
  Status s = CheckModelLoaded();
  if (s.ok()) s = engine_->MakeSectionServer(begin, end, limits, out);
  if (s.ok()) *state_root = tip_.StateRoot();
  return s;
}

Status ChainManager::StateProof(const Uint256& state_root, uint32_t begin, uint32_t end,
                                std::vector<SectionProof>* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (tip_.StateRoot() != state_root)
    return Status::NotFound("state root " + state_root.ToHex() + " is not the tip's");
  if (begin >= end || end > tip_.sections.size())
    return Status::InvalidArgument("sections [" + std::to_string(begin) + ", " +
                                   std::to_string(end) + ") are not a range of the model's " +
                                   std::to_string(tip_.sections.size()));
  std::vector<Uint256> leaves;
  for (uint32_t s = 0; s < tip_.sections.size(); ++s)
    leaves.push_back(
        compute::StateLeaf(s, tip_.sections[s].weights, tip_.sections[s].optimizer_state));
  out->clear();
  for (uint32_t s = begin; s < end; ++s) {
    SectionProof proof{tip_.sections[s].weights, tip_.sections[s].optimizer_state, {}};
    const Status st = MakeMerkleProof(leaves, s, &proof.path);
    if (!st.ok()) return st;
    out->push_back(std::move(proof));
  }
  return Status::OK();
}

Status ChainManager::Evaluate(uint64_t count, uint64_t seed, compute::Evaluation* out) {
  if (params_.dataset.kind != compute::DatasetKind::kAddition)
    return Status::NotSupported("evaluation needs an addition dataset");
  std::lock_guard<std::mutex> lock(mu_);
  Status s = CheckModelLoaded();
  return s.ok() ? compute::EvaluateAddition(engine_.get(), params_.dataset.digits, count, seed, out)
                : s;
}

bool ChainManager::ModelLoaded() const {
  std::lock_guard<std::mutex> lock(mu_);
  return model_loaded_;
}

Status ChainManager::CheckModelLoaded() const {
  if (model_loaded_) return Status::OK();
  return Status::NotFound("no model is loaded: the weights of the tip (step " +
                          std::to_string(tip_.step) +
                          ") are not stored; they come once the node has caught up with the "
                          "network (assumed-valid history, doc/consensus.md §6)");
}

ConsensusState ChainManager::Tip() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tip_;
}

BlockContext ChainManager::Context() {
  BlockContext ctx;
  ctx.params = &params_;
  ctx.engine = engine_.get();
  ctx.dataset = &dataset_;
  ctx.coins = chain_;
  ctx.fetch = [this](const Uint256& h, compute::EncodedTensor* t) { return tensors_->Get(h, t); };
  ctx.store = [this](const compute::EncodedTensor& t, const Uint256& hash, uint64_t step) {
    return PutTensorHashed(t, hash, step);
  };
  ctx.policy = options_.policy;
  if (options_.verified != nullptr)
    ctx.verified = [v = options_.verified](const Uint256& h) { return v->Contains(h); };
  ctx.now = static_cast<int64_t>(std::time(nullptr));
  return ctx;
}

void ChainManager::WatchSlot(const BlockHeader& header) {
  const auto slot = std::make_pair(header.prev, header.producer);
  auto it = slots_.find(slot);
  if (it == slots_.end()) {
    // Not checked yet: a forged first header is replaced below when a
    // genuine one arrives, so it cannot hide an equivocation.
    slots_.emplace(slot, header);
    slot_order_.push_back(slot);
    if (slot_order_.size() > kMaxWatchedSlots) {
      slots_.erase(slot_order_.front());
      slot_order_.pop_front();
    }
    return;
  }
  if (it->second.Hash() == header.Hash() || offenders_.contains(header.producer)) return;
  if (!VerifySchnorr(header.producer, header.SigningHash(), header.signature)) return;
  const BlockHeader& first = it->second;
  if (!VerifySchnorr(first.producer, first.SigningHash(), first.signature)) {
    it->second = header;
    return;
  }
  LogPrintf("Producer " + HexStr(header.producer) + " signed two blocks on " +
            header.prev.ToHex() + ": " + first.Hash().ToHex() + " and " + header.Hash().ToHex());
  KeepEvidence(DoubleProductionEvidence(first, header));
}

void ChainManager::FindWrongRecord(const Block& block, const ValidationState& state) {
  if (!IsWrongWorkVerdict(state)) return;
  BlockContext ctx = Context();
  ctx.policy.sample = 1.0;
  // Bounded by the block's own validation, which already re-executed up to
  // the bad record: a refused block costs at most twice. Every block gets
  // its proof, also one more block by an offender already found.
  for (size_t i = 0; i < block.records.size(); ++i) {
    const WorkRecord& record = block.records[i];
    Evidence evidence = WrongWorkEvidence(record);
    ValidationState verdict;
    if (!CheckEvidence(evidence, tip_, ctx, &verdict)) continue;
    LogPrintf("Worker " + HexStr(record.worker) + " signed a wrong " +
              compute::UnitName(record.unit) + " in block " + block.Hash().ToHex());
    FraudProof proof;
    if (fraud_proofs_.size() < kMaxPendingEvidence && MakeFraudProof(block, i, &proof).ok())
      fraud_proofs_.push_back(std::move(proof));
    KeepEvidence(std::move(evidence));
    return;
  }
}

std::vector<FraudProof> ChainManager::TakeFraudProofs() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::exchange(fraud_proofs_, {});
}

bool ChainManager::ProcessFraudProof(const FraudProof& proof, ValidationState* state,
                                     std::vector<compute::TensorToFetch>* missing) {
  return ChangeAndNotify([&] { return ProcessFraudProofLocked(proof, state, missing); });
}

bool ChainManager::ProcessFraudProofLocked(const FraudProof& proof, ValidationState* state,
                                           std::vector<compute::TensorToFetch>* missing) {
  if (!CheckFraudProof(proof, state)) return false;
  const Uint256 hash = proof.header.Hash();
  // The id commits to work_root, so the stored header's root is the proof's.
  BlockIndexEntry entry;
  if (!chain_->ReadIndex(hash, &entry).ok())
    return state->Invalid(ValidationResult::kMissingPrev, "fraud-block-unknown", hash.ToHex());
  if (entry.Has(kBlockFailed))
    return state->Invalid(ValidationResult::kConflict, "fraud-block-known-invalid", hash.ToHex());
  ConsensusState parent;
  if (!GetStateLocked(entry.header.prev, &parent).ok())
    return state->Invalid(ValidationResult::kMissingPrev, "fraud-block-unknown",
                          "parent of " + hash.ToHex() + " not validated");
  if (!CheckFraudProofWork(proof, parent, Context(), state)) {
    if (state->result() == ValidationResult::kMissingInputs)
      for (const compute::TensorToFetch& t : EvidenceTensors(proof.record, *engine_))
        if (!tensors_->Has(t.hash)) missing->push_back(t);
    return false;
  }
  LogPrintf("Fraud proof: worker " + HexStr(proof.record.worker) + " signed a wrong " +
            compute::UnitName(proof.record.unit) + " in block " + hash.ToHex() + " (height " +
            std::to_string(entry.height()) + "): its re-execution disagrees with its outputs " +
            "(wrong-work), the block and its descendants are invalid");
  KeepEvidence(WrongWorkEvidence(proof.record));
  const Status s = InvalidateLocked(hash);
  return s.ok() || state->Error("invalidate: " + s.ToString());
}

Status ChainManager::InvalidateBlock(const Uint256& hash) {
  return ChangeAndNotify([&] { return InvalidateLocked(hash); });
}

Status ChainManager::ReconsiderBlock(const Uint256& hash) {
  return ChangeAndNotify([&] { return ReconsiderLocked(hash); });
}

Status ChainManager::ReconsiderLocked(const Uint256& hash) {
  BlockIndexEntry entry;
  Status s = chain_->ReadIndex(hash, &entry);
  if (!s.ok()) return s;
  // Its ancestors: a block is only as valid as its parent.
  std::vector<Uint256> cleared;
  for (BlockIndexEntry e = entry; e.height() > 0;) {
    cleared.push_back(e.header.Hash());
    const Uint256 parent = e.header.prev;  // ReadIndex overwrites e
    s = chain_->ReadIndex(parent, &e);
    if (!s.ok()) return s;
  }
  const size_t ancestors = cleared.size();
  s = AppendStoredDescendants(*chain_, entry, &cleared);
  if (!s.ok()) return s;
  for (const Uint256& h : cleared) {
    s = chain_->ClearFailed(h);
    if (!s.ok()) return s;
  }
  LogPrintf("Reconsidering block " + hash.ToHex() + " with its ancestors and " +
            std::to_string(cleared.size() - ancestors) + " descendants");
  return ActivateBestChain();
}

Status ChainManager::EraseState(const Uint256& hash) {
  leveldb::WriteOptions wo;
  wo.sync = options_.sync;
  const leveldb::Status s = states_db_->Delete(wo, StateKey(hash));
  return s.ok() ? Status::OK() : Status::IOError("consensus snapshot: " + s.ToString());
}

Status ChainManager::InvalidateLocked(const Uint256& hash) {
  BlockIndexEntry entry;
  Status s = chain_->ReadIndex(hash, &entry);
  if (!s.ok()) return s;
  if (entry.height() == 0) return Status::InvalidArgument("the genesis block cannot be invalid");
  // Down to its parent if it is on the main chain. A crash before the mark
  // below leaves the node at a lower tip, the block unmarked: it is judged
  // again when it (or its proof) comes back.
  Uint256 at_height;
  if (chain_->GetBlockHashAtHeight(entry.height(), &at_height).ok() && at_height == hash) {
    while (tip_.block_hash != entry.header.prev) {
      Block b;
      const uint32_t height = tip_.height;
      s = chain_->DisconnectTip(&b);
      if (s.ok()) s = GetStateLocked(b.header.prev, &tip_);
      if (!s.ok()) return s;
      pending_.push_back(ChainEvent{false, std::move(b), height});
    }
  }
  // The block and every descendant: marked failed, and their snapshots
  // erased, so that nothing treats them as validated again (the side-branch
  // walk of ProcessNewBlock stops at the first block that has a snapshot).
  std::vector<Uint256> failed = {hash};
  s = AppendStoredDescendants(*chain_, entry, &failed);
  if (!s.ok()) return s;
  for (const Uint256& h : failed) {
    s = chain_->MarkFailed(h);
    if (s.ok()) s = EraseState(h);
    if (!s.ok()) return s;
  }
  LogPrintf("Invalidated block " + hash.ToHex() + " and " + std::to_string(failed.size() - 1) +
            " descendants");
  return ActivateBestChain();
}

Status ChainManager::ActivateBestChain() {
  // Each try either switches or marks a block of the branch it tried failed
  // (Reorganize), so the candidates shrink; bounded all the same.
  for (int attempt = 0; attempt < 16; ++attempt) {
    BlockIndexEntry tip_entry;
    Status s = chain_->ReadIndex(tip_.block_hash, &tip_entry);
    if (!s.ok()) return s;
    TipRank best{tip_.accepted_work, tip_entry.sequence};
    Uint256 best_hash;
    uint32_t best_height = 0;
    s = chain_->store().ForEachIndexEntry([&](const BlockIndexEntry& e) {
      if (!e.Has(kBlockHaveData) || e.Has(kBlockFailed)) return Status::OK();
      // The tip's own ancestors are no candidates (one with as much work and
      // seen earlier, a block without records, would win the tie-break).
      Uint256 at_height;
      if (chain_->GetBlockHashAtHeight(e.height(), &at_height).ok() &&
          at_height == e.header.Hash())
        return Status::OK();
      // No candidate above a failed block; ranked by the work its header
      // commits (checked when it connects), as ProcessNewBlock ranks it.
      ConsensusState validated;
      BlockIndexEntry walk = e;
      for (;;) {
        if (GetStateLocked(walk.header.Hash(), &validated).ok()) break;
        if (walk.Has(kBlockFailed)) return Status::OK();
        if (!walk.Has(kBlockHaveData)) return Status::OK();  // a lost block below: not yet
        const Uint256 prev = walk.header.prev;  // ReadIndex overwrites walk
        Status r = chain_->ReadIndex(prev, &walk);
        if (!r.ok()) return r;
      }
      const TipRank candidate{e.header.accepted_work, e.sequence};
      if (!IsBetterTip(candidate, best)) return Status::OK();
      // Deeper than retention: not re-verifiable here (ProcessNewBlock's rule).
      Uint256 fork;
      ConsensusState fork_state;
      if (!chain_->FindFork(e.header.Hash(), &fork).ok() ||
          !GetStateLocked(fork, &fork_state).ok() ||
          tip_.step > fork_state.step + keep_steps_)
        return Status::OK();
      best = candidate;
      best_hash = e.header.Hash();
      best_height = e.height();
      return Status::OK();
    });
    if (!s.ok()) return s;
    if (best_hash.IsZero()) break;
    ValidationState state;
    if (ReorganizeRecorded(best_hash, best_height, &state)) return Status::OK();
    if (state.IsError()) return Status::IOError(state.ToString());
  }
  return LoadEngine(tip_);
}

void ChainManager::KeepEvidence(Evidence evidence) {
  if (evidence_.size() >= kMaxPendingEvidence || offenders_.contains(evidence.Offender())) return;
  offenders_.insert(evidence.Offender());
  evidence_.push_back(std::move(evidence));
}

std::vector<Evidence> ChainManager::TakeEvidence() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::exchange(evidence_, {});
}

bool ChainManager::CheckSlash(const Transaction& tx, ValidationState* state) {
  Evidence evidence;
  if (!Deserialize(tx.evidence, &evidence).ok())
    return state->Invalid(ValidationResult::kConsensus, "bad-evidence-encoding");
  std::lock_guard<std::mutex> lock(mu_);
  BlockContext ctx = Context();
  ctx.policy.sample = 1.0;
  return CheckEvidence(evidence, tip_, ctx, state);
}

Status ChainManager::LoadEngine(const ConsensusState& state) {
  if (model_loaded_ && loaded_sections_ == state.sections) return Status::OK();
  model_loaded_ = false;  // until every section is in: the engine may hold a mix
  for (uint32_t s = 0; s < state.sections.size(); ++s) {
    compute::EncodedTensor weights, optimizer_state;
    Status st = tensors_->Get(state.sections[s].weights, &weights);
    if (st.ok()) st = tensors_->Get(state.sections[s].optimizer_state, &optimizer_state);
    if (st.IsNotFound()) {
      // Assumed-valid history: the weights come with the first state whose
      // tensors peers keep (TensorsToConnect fetches them).
      if (!reported_unloaded_)
        LogPrintf("The weights of the tip (step " + std::to_string(state.step) +
                  ") are not stored (assumed-valid history, or a damaged tensor store): no "
                  "model is loaded until a tip's are");
      reported_unloaded_ = true;
      return Status::OK();
    }
    if (st.ok()) st = engine_->ImportSection(s, weights, optimizer_state);
    if (!st.ok()) return st;
  }
  if (reported_unloaded_)
    LogPrintf("Loaded the model of the tip (step " + std::to_string(state.step) + ")");
  reported_unloaded_ = false;
  loaded_sections_ = state.sections;
  model_loaded_ = true;
  return Status::OK();
}

Status ChainManager::MaybePrune() {
  // Every eighth of the retention: the store then holds at most 9/8 of it,
  // and a prune (one pass over the store's index) stays rare.
  const uint64_t every = std::max<uint64_t>(1, keep_steps_ / 8);
  if (tip_.step <= keep_steps_ || tip_.step < pruned_at_step_ + every) return Status::OK();
  pruned_at_step_ = tip_.step;
  std::set<Uint256> keep;
  for (const SectionState& s : tip_.sections) {
    keep.insert(s.weights);
    keep.insert(s.optimizer_state);
  }
  return tensors_->Prune(tip_.step - keep_steps_, keep, nullptr);
}

bool ChainManager::ConnectOnTip(const Block& block, ValidationState* state,
                                const VerifyPolicy* policy, uint64_t assume_valid_below_step) {
  ConsensusState next;
  BlockContext ctx = Context();
  if (policy != nullptr) ctx.policy = *policy;
  ctx.assume_valid_below_step = assume_valid_below_step;
  if (!ConnectBlock(tip_, block, ctx, &next, state)) return false;
  // A restart loads the tip's section tensors (LoadEngine), which were
  // stored unsynced as record outputs (PutTensor): durable before the
  // snapshot that names them. Other outputs a crash loses are fetched again.
  // One not stored (pruned work connected on trust) has nothing to sync.
  Status s = Status::OK();
  for (size_t i = 0; s.ok() && i < next.sections.size(); ++i) {
    if (i < tip_.sections.size() && next.sections[i] == tip_.sections[i]) continue;
    for (const Uint256& h : {next.sections[i].weights, next.sections[i].optimizer_state}) {
      if (s.ok()) s = tensors_->Sync(h);
      if (s.IsNotFound()) s = Status::OK();
    }
  }
  if (s.ok()) s = chain_->ConnectTip(block);
  if (s.ok()) s = PutState(next);
  if (!s.ok()) return state->Error("connect: " + s.ToString());
  tip_ = std::move(next);
  pending_.push_back(ChainEvent{true, block, tip_.height});
  return true;
}

bool ChainManager::CheckCheckpoints(const BlockHeader& header, ValidationState* state) const {
  const std::map<uint32_t, Uint256>& checkpoints = params_.checkpoints;
  if (checkpoints.empty()) return true;
  const Uint256 hash = header.Hash();
  if (auto it = checkpoints.find(header.height); it != checkpoints.end() && it->second != hash)
    return state->Invalid(ValidationResult::kConsensus, "checkpoint-mismatch",
                          "height " + std::to_string(header.height));
  BlockIndexEntry entry;
  if (chain_->ReadIndex(hash, &entry).ok()) return true;  // known: not a new fork
  for (auto it = checkpoints.rbegin(); it != checkpoints.rend(); ++it) {
    if (!chain_->ReadIndex(it->second, &entry).ok()) continue;
    if (header.height < it->first)
      return state->Invalid(ValidationResult::kConsensus, "bad-fork-prior-to-checkpoint",
                            "height " + std::to_string(header.height) + " below checkpoint " +
                                std::to_string(it->first));
    break;
  }
  return true;
}

bool ChainManager::IsCheckpointed(const BlockHeader& header) {
  if (params_.checkpoints.empty()) return false;
  const auto& [last_height, last_hash] = *params_.checkpoints.rbegin();
  if (header.height > last_height) return false;
  if (checkpointed_.empty()) {
    // Once: walk down from the checkpoint (a header-first sync has its
    // header before any block below it arrives).
    std::vector<Uint256> chain(last_height + 1);
    Uint256 hash = last_hash;
    for (int64_t h = last_height; h >= 0; --h) {
      BlockIndexEntry entry;
      if (!chain_->ReadIndex(hash, &entry).ok() || entry.height() != h) return false;
      chain[static_cast<size_t>(h)] = hash;
      hash = entry.header.prev;
    }
    checkpointed_ = std::move(chain);
    LogPrintf("Checkpoint " + last_hash.ToHex() + " at height " + std::to_string(last_height) +
              ": its ancestors' work records are accepted without re-execution");
  }
  return checkpointed_[header.height] == header.Hash();
}

bool ChainManager::AcceptHeader(const BlockHeader& header, ValidationState* state) {
  if (!CheckCheckpoints(header, state)) return false;
  const Status s = chain_->StoreHeader(header);
  if (!s.ok()) return state->Invalid(ValidationResult::kConsensus, "bad-header", s.message());
  const Uint256 hash = header.Hash();
  std::lock_guard<std::mutex> lock(best_mu_);
  if (best_header_ && (header.accepted_work < best_header_->accepted_work ||
                       (header.accepted_work == best_header_->accepted_work &&
                        header.height <= best_header_->height)))
    return true;
  best_header_ = header;
  // The new best's ancestors by height, down to where they agree with the
  // old best's: nothing to read when it extends the old best (header sync).
  const bool extends = header.height == best_chain_.size() && !best_chain_.empty() &&
                       best_chain_.back() == header.prev;
  best_chain_.resize(header.height + 1);
  best_chain_[header.height] = hash;
  for (Uint256 h = header.prev; !extends && !h.IsZero();) {
    BlockIndexEntry entry;
    if (!chain_->ReadIndex(h, &entry).ok()) break;  // stored above: the parent is indexed
    if (best_chain_[entry.height()] == h) break;
    best_chain_[entry.height()] = h;
    h = entry.header.prev;
  }
  return true;
}

uint64_t ChainManager::AssumeValidBelowStep(const BlockHeader& header) {
  if (IsCheckpointed(header)) return kAllSteps;
  if (!options_.assume_valid || !initial_download_) return 0;
  std::lock_guard<std::mutex> lock(best_mu_);
  if (!best_header_) return 0;
  // Half the retention below the best header: its peers still keep those
  // steps' tensors when our tip reaches them, so re-execution can start.
  const uint64_t margin = std::max<uint64_t>(1, keep_steps_ / 2);
  const uint64_t best_step = best_header_->accepted_work / units_per_step_;
  if (tip_.step + margin >= best_step) {
    // Caught up, for good once the tip is recent: every later block is
    // re-executed, whatever heavier headers a peer shows.
    if (tip_.time >= static_cast<int64_t>(std::time(nullptr)) - kMaxTipAgeSeconds)
      initial_download_ = false;
    return 0;
  }
  if (header.height >= best_chain_.size() || best_chain_[header.height] != header.Hash()) return 0;
  return best_step - margin;
}

std::vector<compute::TensorToFetch> ChainManager::TensorsToConnect(const Block& block) {
  std::lock_guard<std::mutex> lock(mu_);
  ConsensusState known;
  if (GetStateLocked(block.Hash(), &known).ok()) return {};  // connected already
  const uint64_t line = AssumeValidBelowStep(block.header);
  TensorWants want;
  // The outputs of `unit`, with their slots' lengths. A unit the plan has no
  // place for makes its block invalid at connection, before any is read.
  const auto want_outputs = [&](const UnitId& unit, const std::vector<Uint256>& outputs) {
    const compute::PlannedUnit* planned = plan_.FindIgnoringStep(unit);
    if (planned == nullptr || planned->outputs.size() != outputs.size()) return;
    for (size_t i = 0; i < outputs.size(); ++i)
      Want({outputs[i], unit.step, planned->outputs[i].EncodingLength()}, &want);
  };
  bool executes = false;  // some record is re-executed
  for (const WorkRecord& r : block.records) {
    const bool feeds_line =
        line != 0 && r.unit.kind == UnitKind::kUpdate && r.unit.step + 1 == line;
    if (r.unit.step >= line) executes = true;
    // Re-executed, an UPDATE's outputs are recomputed from its inputs.
    const bool recomputed = r.unit.step >= line && OutputsAreRecomputed(r.unit.kind);
    if ((r.unit.step >= line && !recomputed) || feeds_line) want_outputs(r.unit, r.outputs);
  }
  // For a child of the tip that re-executes, the inputs the tip's state
  // names that assumed-valid records made: the sections (the previous
  // step's UPDATE outputs) and the outputs of the step in progress.
  if (executes && block.header.prev == tip_.block_hash && tip_.step + 1 >= line) {
    if (tip_.step >= line && tip_.step > 0) {
      for (uint32_t i = 0; i < tip_.sections.size(); ++i) {
        const compute::PlannedUnit* update = SectionUpdate(i);
        if (update == nullptr) break;  // the state is ours: never
        const SectionState& section = tip_.sections[i];
        Want({section.weights, tip_.step - 1, update->outputs[0].EncodingLength()}, &want);
        Want({section.optimizer_state, tip_.step - 1, update->outputs[1].EncodingLength()}, &want);
      }
    }
    for (const UnitDone& d : tip_.done)
      if (tip_.step >= line || d.unit.kind == UnitKind::kUpdate) want_outputs(d.unit, d.outputs);
  }
  if (options_.policy.sample > 0.0)
    for (const Transaction& tx : block.txs) AddEvidenceTensors(tx, line, &want);
  return Missing(want);
}

bool ChainManager::CheckBeforeFetch(const Block& block, ValidationState* state) {
  // The header only: the slot's producer answers for what it signs, and
  // the contents (every record's signature) are checked once, at connection.
  if (!CheckHeaderSignature(block.header, state)) return false;
  std::lock_guard<std::mutex> lock(mu_);
  ConsensusState parent;
  if (block.header.prev == tip_.block_hash) {
    parent = tip_;
  } else if (!GetStateLocked(block.header.prev, &parent).ok()) {
    return true;
  }
  return CheckHeaderAgainstParent(parent, block.header, params_,
                                  static_cast<int64_t>(std::time(nullptr)), state);
}

std::vector<compute::TensorToFetch> ChainManager::TensorsToCheck(const Transaction& tx) {
  std::lock_guard<std::mutex> lock(mu_);
  TensorWants want;
  AddEvidenceTensors(tx, 0, &want);  // the mempool re-executes every evidence (CheckSlash)
  return Missing(want);
}

void ChainManager::AddEvidenceTensors(const Transaction& tx, uint64_t line,
                                      TensorWants* want) const {
  Evidence evidence;
  if (!tx.IsSlash() || !Deserialize(tx.evidence, &evidence).ok()) return;
  if (evidence.kind == EvidenceKind::kWrongInference) {
    // Judged in the block's parent state (near the tip): on trust below the line.
    if (line > 0 && tip_.step < line) return;
    for (uint32_t i = 0; i < evidence.inference.sections.size(); ++i) {
      const compute::PlannedUnit* update = SectionUpdate(i);
      if (update == nullptr) return;  // more sections than the model: refused unfetched
      Want({evidence.inference.sections[i].weights, tip_.step, update->outputs[0].EncodingLength()},
           want);
    }
    return;
  }
  if (evidence.kind != EvidenceKind::kWrongWork || evidence.record.unit.step < line) return;
  for (const compute::TensorToFetch& t : EvidenceTensors(evidence.record, *engine_)) Want(t, want);
}

void ChainManager::Want(const compute::TensorToFetch& tensor, TensorWants* want) {
  auto [it, added] = want->try_emplace(tensor.hash, tensor);
  if (!added) it->second.length = std::max(it->second.length, tensor.length);
}

const compute::PlannedUnit* ChainManager::SectionUpdate(uint32_t section) const {
  UnitId id;
  id.kind = UnitKind::kUpdate;
  id.section = section;
  return plan_.FindIgnoringStep(id);
}

std::vector<compute::TensorToFetch> ChainManager::Missing(const TensorWants& want) const {
  std::vector<compute::TensorToFetch> missing;
  for (const auto& [hash, tensor] : want)
    if (!tensors_->Has(hash)) missing.push_back(tensor);
  return missing;
}

bool ChainManager::ProcessNewBlock(const Block& block, ValidationState* state) {
  return ChangeAndNotify([&] { return ProcessNewBlockLocked(block, state); });
}

void ChainManager::Notify() {
  std::vector<ChainEvent> events;
  {
    std::lock_guard<std::mutex> lock(mu_);
    events.swap(pending_);
  }
  for (const ChainEvent& e : events) {
    for (ChainListener* listener : listeners_) {
      if (e.connected) {
        listener->BlockConnected(e.block, e.height);
      } else {
        listener->BlockDisconnected(e.block, e.height);
      }
    }
  }
}

void ChainManager::AddListener(ChainListener* listener) {
  std::lock_guard<std::mutex> lock(notify_mu_);
  listeners_.push_back(listener);
}

void ChainManager::RemoveListener(ChainListener* listener) {
  std::lock_guard<std::mutex> lock(notify_mu_);
  listeners_.erase(std::remove(listeners_.begin(), listeners_.end(), listener), listeners_.end());
}

bool ChainManager::ProcessNewBlockLocked(const Block& block, ValidationState* state) {
  const Uint256 hash = block.Hash();
  ConsensusState known;
  if (GetStateLocked(hash, &known).ok()) return true;
  // Refused before (or proven wrong by a fraud proof): not judged again.
  BlockIndexEntry self;
  if (chain_->ReadIndex(hash, &self).ok() && self.Has(kBlockFailed))
    return state->Invalid(ValidationResult::kConsensus, "bad-blk-known-invalid");
  if (!chain_->HaveBlock(block.header.prev))
    return state->Invalid(ValidationResult::kMissingPrev, "prev-blk-not-found");
  if (!CheckCheckpoints(block.header, state)) return false;
  WatchSlot(block.header);

  if (block.header.prev == tip_.block_hash) {
    // Only here, on the way up during the initial download: a reorganisation
    // (below) re-executes every branch it switches to.
    if (!ConnectOnTip(block, state, nullptr, AssumeValidBelowStep(block.header))) {
      FindWrongRecord(block, *state);
      if (state->result() == ValidationResult::kConsensus && chain_->StoreBlock(block).ok())
        (void)chain_->MarkFailed(hash);  // best effort: the block is refused either way
      return false;
    }
    Status s = LoadEngine(tip_);
    if (!s.ok()) return state->Error("engine: " + s.ToString());
    s = MaybePrune();  // the block stays valid and connected either way
    if (!s.ok()) LogPrintf("Pruning the tensor store: " + s.ToString());
    if (lost_below_stored_.erase(hash) != 0) {
      // A block a reindex found lost is back: the stored ones above it follow.
      s = ActivateBestChain();
      if (!s.ok()) LogPrintf("Connecting the blocks stored above " + hash.ToHex() + ": " +
                             s.ToString());
    }
    return true;
  }

  // A side branch: store it; switch only if it may carry more work.
  if (!CheckBlock(block, state)) return false;
  Status s = chain_->StoreBlock(block);
  if (!s.ok()) return state->Error("store: " + s.ToString());
  // Not above a failed block; ranked by the work the header commits (the
  // chain's if all of it is valid, which connecting it checks).
  ConsensusState validated;
  BlockIndexEntry entry;
  for (Uint256 h = hash; s.ok();) {
    if (GetStateLocked(h, &validated).ok()) break;
    s = chain_->ReadIndex(h, &entry);
    if (entry.Has(kBlockFailed)) return state->Invalid(ValidationResult::kConsensus, "bad-prevblk");
    h = entry.header.prev;
  }
  BlockIndexEntry tip_entry;
  if (s.ok()) s = chain_->ReadIndex(hash, &entry);
  if (s.ok()) s = chain_->ReadIndex(tip_.block_hash, &tip_entry);
  if (!s.ok()) return state->Error("index: " + s.ToString());
  const TipRank candidate{block.header.accepted_work, entry.sequence};
  if (!IsBetterTip(candidate, {tip_.accepted_work, tip_entry.sequence})) return true;
  // The fork point's weights and the branch's inputs are only kept for
  // keep_steps steps: a branch forking further back cannot be re-verified
  // here, so it is never switched to (the maximum reorganisation depth).
  Uint256 fork;
  ConsensusState fork_state;
  s = chain_->FindFork(hash, &fork);
  if (s.ok()) s = GetStateLocked(fork, &fork_state);
  if (!s.ok()) return state->Error("fork: " + s.ToString());
  if (tip_.step > fork_state.step + keep_steps_) {
    LogPrintf("Not reorganising to " + hash.ToHex() + ": it forks at height " +
              std::to_string(fork_state.height) + ", " +
              std::to_string(tip_.step - fork_state.step) +
              " training steps back, deeper than the " + std::to_string(keep_steps_) +
              " steps whose tensors are kept");
    return true;
  }
  return ReorganizeRecorded(hash, entry.height(), state);
}

bool ChainManager::ReorganizeRecorded(const Uint256& new_tip, uint32_t height,
                                      ValidationState* state) {
  // Recorded first, so a crash halfway through is finished on restart
  // (ResumeReorganization) instead of leaving the node at the fork point.
  const Uint256 old_tip = tip_.block_hash;
  LogPrintf("Reorganising from " + old_tip.ToHex() + " (height " + std::to_string(tip_.height) +
            ") to " + new_tip.ToHex() + " (height " + std::to_string(height) + ")");
  Status s = PutReorgMarker(old_tip, new_tip);
  if (!s.ok()) return state->Error("reorg: " + s.ToString());
  const bool switched = Reorganize(new_tip, state);
  // Erased only once the tip is one whole branch again; after an internal
  // error halfway, the next start finishes the job.
  if (tip_.block_hash == new_tip || tip_.block_hash == old_tip) {
    s = EraseReorgMarker();
    if (!s.ok()) LogPrintf("Erasing the reorganisation marker: " + s.ToString());
  }
  return switched;
}

bool ChainManager::Reorganize(const Uint256& new_tip, ValidationState* state) {
  Uint256 fork;
  Status s = chain_->FindFork(new_tip, &fork);
  std::vector<Uint256> branch;  // fork (exclusive) → new_tip
  for (Uint256 h = new_tip; s.ok() && h != fork;) {
    branch.push_back(h);
    BlockHeader header;
    s = chain_->ReadHeader(h, &header);
    h = header.prev;
  }
  if (!s.ok()) return state->Error("reorg: " + s.ToString());
  std::reverse(branch.begin(), branch.end());

  std::vector<Block> old_branch;  // tip → fork (exclusive)
  const ConsensusState old_tip = tip_;
  const size_t pending_before = pending_.size();
  while (tip_.block_hash != fork) {
    Block b;
    const uint32_t height = tip_.height;
    s = chain_->DisconnectTip(&b);
    if (s.ok()) s = GetStateLocked(b.header.prev, &tip_);
    if (!s.ok()) return state->Error("reorg: " + s.ToString());
    pending_.push_back(ChainEvent{false, b, height});
    old_branch.push_back(std::move(b));
  }

  for (const Uint256& h : branch) {
    Block b;
    s = chain_->ReadBlock(h, &b);
    if (!s.ok()) return state->Error("reorg: " + s.ToString());
    const uint64_t trusted_below = IsCheckpointed(b.header) ? kAllSteps : 0;
    if (ConnectOnTip(b, state, nullptr, trusted_below)) continue;
    FindWrongRecord(b, *state);  // judged on tip_, its parent
    // Invalid branch: refuse it for good and put the old branch back.
    if (state->result() == ValidationResult::kConsensus) (void)chain_->MarkFailed(h);
    Uint256 t;
    uint32_t height = 0;
    while ((s = chain_->GetTip(&t, &height)).ok() && t != fork)
      if (!(s = chain_->DisconnectTip(nullptr)).ok()) break;
    if (!s.ok()) return state->Error("reorg: cannot undo the bad branch: " + s.ToString());
    for (auto it = old_branch.rbegin(); it != old_branch.rend(); ++it)
      if (!chain_->ConnectTip(*it).ok()) return state->Error("reorg: cannot restore old branch");
    tip_ = old_tip;
    pending_.resize(pending_before);  // nothing changed after all
    (void)LoadEngine(tip_);
    return false;
  }
  s = LoadEngine(tip_);
  return s.ok() || state->Error("engine: " + s.ToString());
}

Status ChainManager::AssembleOn(const ConsensusState& parent, const AssemblyRequest& request,
                                Block* out) {
  return AssembleBlock(parent, Context(), request, out);
}

Status ChainManager::Assemble(const Uint256& parent, const AssemblyRequest& request, Block* out) {
  std::lock_guard<std::mutex> lock(mu_);
  ConsensusState state;
  Status s = GetStateLocked(parent, &state);
  if (!s.ok()) return s;
  return AssembleOn(state, request, out);
}

void ChainManager::SetVerifyPolicy(const VerifyPolicy& policy) {
  std::lock_guard<std::mutex> lock(mu_);
  options_.policy = policy;
}

Status ChainManager::Generate(uint32_t count, const std::vector<PrivateKey>& workers, int64_t now,
                              std::vector<Uint256>* hashes, const TxSelector& select_txs,
                              const PayoutFor& payout_of) {
  if (workers.empty()) return Status::InvalidArgument("no workers to generate with");
  if (params_.worker_bond != 0)
    return Status::InvalidArgument("generate registers workers with zero bonds: not on " +
                                   params_.name);
  // Two generate calls would assemble on one tip and report blocks that
  // one of them made stale.
  std::lock_guard<std::mutex> generate_lock(generate_mu_);
  const Uint256 genesis = GenesisHash(params_);
  // The tip may still move between assembly and connection (a peer's block,
  // invalidateblock): the block is then made again on the new tip, a few
  // times at most, so that every hash returned is of a block on the chain.
  constexpr int kMaxTipMoves = 8;
  int tip_moves = 0;
  for (uint32_t i = 0; i < count;) {
    Block block;
    std::vector<Transaction> txs;
    Amount fees = 0;
    if (select_txs) select_txs(&txs, &fees);  // before mu_: the selector may read the chain
    std::vector<Uint256> payouts;  // before mu_ too: payout_of may ask a wallet
    for (const PrivateKey& k : workers)
      payouts.push_back(payout_of ? payout_of(k.PublicKey()) : KeyHash(k.PublicKey()));
    {
      std::lock_guard<std::mutex> lock(mu_);
      // Without the tip's weights no unit can run: say so, rather than let
      // the failed assembly read as a slot held by another key.
      if (Status s = CheckModelLoaded(); !s.ok()) return s;
      AssemblyRequest request;
      request.txs = std::move(txs);
      request.fees = fees;
      request.workers = workers;
      request.producers = workers;
      for (size_t w = 0; w < workers.size(); ++w) {
        if (tip_.FindWorker(workers[w].PublicKey()) == nullptr)
          request.registrations.push_back(SignRegistration(workers[w], genesis, payouts[w]));
      }
      request.time = std::max(now, tip_.time);
      // A later slot may be ours, but only as far ahead as peers accept.
      const int64_t latest = std::max(now, tip_.time) + params_.max_future_time;
      Status s = AssembleOn(tip_, request, &block);
      while (s.IsNotFound() && request.time < latest) {
        request.time = std::min(latest, request.time + params_.slot_timeout);
        s = AssembleOn(tip_, request, &block);
      }
      if (s.IsNotFound())
        return Status::NotFound("the slot for block " + std::to_string(tip_.height + 1) +
                                " is held by a worker key this node lacks");
      if (!s.ok()) return s;
    }
    ValidationState state;
    const bool accepted = ProcessNewBlock(block, &state);
    bool on_tip = false;
    bool tip_moved = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      on_tip = tip_.block_hash == block.Hash();
      tip_moved = !on_tip && tip_.block_hash != block.header.prev;
    }
    if (on_tip) {
      if (hashes != nullptr) hashes->push_back(block.Hash());
      ++i;
      continue;
    }
    if (tip_moved && ++tip_moves <= kMaxTipMoves) continue;
    if (!accepted) return Status::Corruption("generated block refused: " + state.ToString());
    return Status::Interrupted("generated block " + block.Hash().ToHex() +
                           " did not become the tip: the chain kept moving under it");
  }
  return Status::OK();
}

}  // namespace cc
