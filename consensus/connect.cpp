#include "consensus/connect.h"

#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "chain/evidence.h"
#include "chain/hash.h"
#include "chain/hex.h"
#include "chain/key.h"
#include "chain/tx_check.h"
#include "compute/local_step.h"
#include "consensus/evidence.h"
#include "consensus/genesis.h"
#include "consensus/schedule.h"

namespace cc {
namespace {

using compute::PlannedUnit;
using compute::Source;
using compute::TensorRole;

constexpr std::string_view kVerifySampleTag = "Computecoin/VerifySample";

bool Fail(ValidationState* state, std::string reason, std::string debug = {}) {
  return state->Invalid(ValidationResult::kConsensus, std::move(reason), std::move(debug));
}

// The reason the engine would give for input `i` not being what the chain
// says (compute/engine.h), so that sampled and re-executed records are
// refused with the same reasons.
std::string InputMismatchReason(const PlannedUnit& unit, size_t i) {
  switch (unit.inputs[i].source.kind) {
    case Source::Kind::kState:
      return "bad-work-weights";
    case Source::Kind::kBatch:
      return "bad-work-batch";
    case Source::Kind::kUnit:
      break;
  }
  return "bad-work-input-hash";
}

// Everything about a record that needs no tensor bytes.
bool CheckRecordShape(const WorkRecord& record, const PlannedUnit& unit,
                      const std::vector<Uint256>& expected, ValidationState* state) {
  const std::string name = compute::UnitName(unit.id);
  if (record.inputs.size() != expected.size()) return Fail(state, "bad-work-input-count", name);
  for (size_t i = 0; i < expected.size(); ++i)
    if (record.inputs[i] != expected[i])
      return Fail(state, InputMismatchReason(unit, i), name + " input " + std::to_string(i));
  if (record.outputs.size() != unit.outputs.size())
    return Fail(state, "bad-work-output-count", name);
  if ((!unit.has_loss && record.loss != 0.0f) || !std::isfinite(record.loss))
    return Fail(state, "bad-work-loss", name);
  return true;
}

bool FetchAll(const TensorFetcher& fetch, const std::vector<Uint256>& hashes,
              std::vector<compute::EncodedTensor>* out, ValidationState* state) {
  out->resize(hashes.size());
  for (size_t i = 0; i < hashes.size(); ++i) {
    const Status s = fetch(hashes[i], &(*out)[i]);
    if (!s.ok())
      return state->Invalid(ValidationResult::kMissingInputs, "work-tensor-missing",
                            hashes[i].ToHex() + ": " + s.ToString());
  }
  return true;
}

// The UTXO set at the parent with the block's own changes on top.
class BlockCoins final : public CoinsView {
 public:
  explicit BlockCoins(const CoinsView& base) : base_(base) {}

  Status GetCoin(const OutPoint& op, Coin* coin) const override {
    if (spent_.count(op) != 0) return Status::NotFound("spent in this block");
    auto it = created_.find(op);
    if (it == created_.end()) return base_.GetCoin(op, coin);
    *coin = it->second;
    return Status::OK();
  }

  // Marks what `tx` spends as spent and adds its outputs.
  void Apply(const Transaction& tx, const Uint256& txid, uint32_t height) {
    for (const TxIn& in : tx.inputs) spent_.insert(in.prevout);
    for (uint32_t i = 0; i < tx.outputs.size(); ++i)
      if (EntersUtxoSet(tx.outputs[i]))
        created_[OutPoint{txid, i}] = Coin{tx.outputs[i], height, tx.IsCoinbase()};
  }

 private:
  const CoinsView& base_;
  std::map<OutPoint, Coin> created_;
  std::set<OutPoint> spent_;
};

// Registers `key` with `payout`, or counts another bond if it is registered
// already: then the payout of its first bond stays (doc/consensus.md §2.0),
// so a bond somebody else pays to a live worker's key cannot redirect its
// rewards, and no bond is ever refused for its payout.
void Register(const XOnlyPubKeyBytes& key, const Uint256& payout, uint32_t height,
              ConsensusState* next) {
  if (next->IsSlashed(key)) return;  // never again (ConsensusState::slashed)
  if (WorkerEntry* w = next->FindWorker(key)) {
    ++w->bonds;
    return;
  }
  WorkerEntry entry;
  entry.key = key;
  entry.registered_height = height;
  entry.bonds = 1;
  entry.payout = payout;
  entry.active_step = next->step;
  auto it =
      std::lower_bound(next->workers.begin(), next->workers.end(), key,
                       [](const WorkerEntry& e, const XOnlyPubKeyBytes& k) { return e.key < k; });
  next->workers.insert(it, entry);
}

void Deregister(const XOnlyPubKeyBytes& key, ConsensusState* next) {
  WorkerEntry* w = next->FindWorker(key);
  if (w == nullptr) return;
  if (--w->bonds == 0) next->workers.erase(next->workers.begin() + (w - next->workers.data()));
}

bool IsRegistration(const ChainParams& params, const TxOut& out) {
  return out.kind == OutputKind::kWorkerBond && out.value >= params.worker_bond;
}

XOnlyPubKeyBytes BondKey(const TxOut& out) {
  XOnlyPubKeyBytes key;
  std::copy(out.lock.begin(), out.lock.end(), key.begin());
  return key;
}

// A slashing transaction's evidence, judged in *next (the parent's state
// with the block's earlier slashings); on success returns the evidence.
bool CheckSlashEvidence(const Transaction& tx, const BlockContext& ctx, const ConsensusState& next,
                        Evidence* evidence, ValidationState* state) {
  if (!Deserialize(tx.evidence, evidence).ok()) return Fail(state, "bad-evidence-encoding");
  return CheckEvidence(*evidence, next, ctx, state);
}

// The transactions after the coinbase: inputs exist, are unspent and
// mature, signatures, value, slashing evidence. Sets *fees; updates the
// registry for bonds and records each slashed offence.
bool ConnectTransactions(const Block& block, const BlockContext& ctx, ConsensusState* next,
                         Amount* fees, ValidationState* state) {
  const ChainParams& params = *ctx.params;
  const uint32_t height = block.header.height;
  BlockCoins coins(*ctx.coins);
  *fees = 0;
  const Uint256 genesis = GenesisHash(params);
  for (size_t t = 0; t < block.txs.size(); ++t) {
    const Transaction& tx = block.txs[t];
    const Uint256 txid = tx.Txid();
    const std::string where = "tx " + std::to_string(t);
    if (!CheckPayoutSignatures(tx, genesis, state))
      return Fail(state, state->reason(), where + " " + state->debug());
    if (!tx.IsCoinbase()) {
      Evidence evidence;
      if (tx.IsSlash() && !CheckSlashEvidence(tx, ctx, *next, &evidence, state)) {
        if (state->IsError()) return false;
        return state->Invalid(state->result(), state->reason(), where + " " + state->debug());
      }
      std::vector<TxOut> spent;
      Amount fee = 0;
      // Whatever CheckTxInputs' category, a block with such a transaction is invalid.
      if (!CheckTxInputs(tx, coins, height, params.unbonding_delay, &spent, &fee, state) ||
          !CheckInputSignatures(tx, spent, state)) {
        if (state->IsError()) return false;
        return Fail(state, state->reason(), where + " " + state->debug());
      }
      *fees += fee;
      if (!MoneyRange(*fees)) return Fail(state, "bad-txns-fee-outofrange");
      for (const TxOut& s : spent)
        if (IsRegistration(params, s)) Deregister(BondKey(s), next);
      if (tx.IsSlash()) {
        // The registry drops the offender: every bond that registers it
        // must be forfeited (its unbonding outputs no longer register it).
        if (next->FindWorker(evidence.Offender()) != nullptr)
          return Fail(state, "bad-slash-incomplete", where);
        const Uint256 id = evidence.OffenceId();
        next->offences.insert(
            std::lower_bound(next->offences.begin(), next->offences.end(), id), id);
        const XOnlyPubKeyBytes key = evidence.Offender();
        if (!next->IsSlashed(key))
          next->slashed.insert(std::lower_bound(next->slashed.begin(), next->slashed.end(), key),
                               key);
      }
    }
    // CheckTransaction put a kWorkerPayout right after every bond.
    for (size_t i = 0; i < tx.outputs.size(); ++i)
      if (IsRegistration(params, tx.outputs[i]))
        Register(BondKey(tx.outputs[i]), tx.outputs[i + 1].lock, height, next);
    coins.Apply(tx, txid, height);
  }
  return true;
}

// The coinbase: one kCoin to the worker's payout per record, in record
// order; then the fees to the producer's payout (required when fees > 0);
// then, on a network whose bond is 0 only, free registrations: zero-value
// bond outputs, each followed by its payout. Payouts are `parent`'s
// (ConsensusState::PayoutOf): a record's worker is registered there.
bool CheckCoinbase(const Block& block, const ConsensusState& parent, const ChainParams& params,
                   Amount fees, ValidationState* state) {
  const Transaction& cb = block.txs[0];
  const std::vector<WorkRecord>& records = block.records;
  if (cb.outputs.size() < records.size())
    return Fail(state, "bad-cb-amount", "fewer outputs than records");
  for (size_t i = 0; i < records.size(); ++i) {
    const TxOut expected{kCoin, OutputKind::kPayToKeyHash, parent.PayoutOf(records[i].worker)};
    if (cb.outputs[i] != expected)
      return Fail(state, "bad-cb-amount", "reward " + std::to_string(i));
  }
  size_t i = records.size();
  const TxOut fee_out{fees, OutputKind::kPayToKeyHash, parent.PayoutOf(block.header.producer)};
  if (i < cb.outputs.size() && cb.outputs[i] == fee_out) {
    ++i;
  } else if (fees > 0) {
    return Fail(state, "bad-cb-amount", "fees not paid to the producer");
  }
  for (; i < cb.outputs.size(); ++i) {
    const TxOut& out = cb.outputs[i];
    // The payout after a bond is CheckTransaction's to place; it pays nothing.
    if (out.kind == OutputKind::kWorkerPayout) continue;
    if (out.kind != OutputKind::kWorkerBond || out.value != 0 || params.worker_bond != 0)
      return Fail(state, "bad-cb-amount", "vout " + std::to_string(i));
  }
  return true;
}

// Step completion: every unit of the plan accepted.
void CompleteStep(const compute::StepPlan& plan, int64_t time, ConsensusState* next) {
  double loss_sum = 0;
  uint32_t losses = 0;
  for (const PlannedUnit& unit : plan.units) {
    const UnitDone* d = next->FindDone(unit.id);
    if (unit.has_loss) {
      loss_sum += d->loss;
      ++losses;
    }
    if (unit.id.kind == UnitKind::kUpdate)
      next->sections[unit.id.section] = SectionState{d->outputs[0], d->outputs[1]};
  }
  next->last_loss = losses == 0 ? 0.0f : static_cast<float>(loss_sum / losses);
  next->done.clear();
  ++next->step;
  next->step_start_time = time;
}

}  // namespace

bool VerifyPolicy::ShouldVerify(const Uint256& record_hash) const {
  if (sample >= 1.0) return true;
  if (sample <= 0.0) return false;
  std::vector<uint8_t> data(record_hash.begin(), record_hash.end());
  data.insert(data.end(), salt.begin(), salt.end());
  const Uint256 h = TaggedHash(kVerifySampleTag, data);
  uint64_t top = 0;  // the first 8 bytes as a big-endian fraction of 2^64
  for (int i = 0; i < 8; ++i) top = (top << 8) | h.data()[i];
  return static_cast<double>(top) < sample * 18446744073709551616.0;
}

InputResolver::InputResolver(const ChainParams& params, const compute::Dataset& dataset,
                             TensorFetcher fetch)
    : fetch_(std::move(fetch)), batches_(dataset, params.model) {}

Status InputResolver::Hashes(const ConsensusState& state, const PlannedUnit& unit,
                             std::vector<Uint256>* out) {
  out->clear();
  for (const compute::UnitInput& input : unit.inputs) {
    const Source& src = input.source;
    switch (src.kind) {
      case Source::Kind::kState: {
        if (unit.id.section >= state.sections.size())
          return Status::InvalidArgument("no section " + std::to_string(unit.id.section));
        const SectionState& s = state.sections[unit.id.section];
        out->push_back(input.slot.role == TensorRole::kWeights ? s.weights : s.optimizer_state);
        break;
      }
      case Source::Kind::kBatch: {
        compute::EncodedTensor* tensor = nullptr;
        const Uint256* hash = nullptr;
        Status s = batches_.Get(unit.id.step, unit.id.lane, input.slot.role, &tensor, &hash);
        if (!s.ok()) return s;
        out->push_back(*hash);
        break;
      }
      case Source::Kind::kUnit: {
        const UnitDone* d = state.FindDone(src.unit);
        if (d == nullptr) return Status::NotFound(compute::UnitName(src.unit) + " is not done");
        if (src.output >= d->outputs.size())
          return Status::InvalidArgument(compute::UnitName(src.unit) + " has no output " +
                                         std::to_string(src.output));
        out->push_back(d->outputs[src.output]);
        break;
      }
    }
  }
  return Status::OK();
}

Status InputResolver::Tensors(const ConsensusState& state, const PlannedUnit& unit,
                              std::vector<compute::EncodedTensor>* out) {
  std::vector<Uint256> hashes;
  Status s = Hashes(state, unit, &hashes);
  if (!s.ok()) return s;
  out->resize(hashes.size());
  for (size_t i = 0; i < hashes.size(); ++i) {
    const compute::UnitInput& input = unit.inputs[i];
    if (input.source.kind == Source::Kind::kBatch) {
      compute::EncodedTensor* tensor = nullptr;
      const Uint256* hash = nullptr;
      s = batches_.Get(unit.id.step, unit.id.lane, input.slot.role, &tensor, &hash);
      if (s.ok()) (*out)[i] = *tensor;
    } else {
      s = fetch_(hashes[i], &(*out)[i]);
    }
    if (!s.ok()) return s;
  }
  return Status::OK();
}

void AcceptRecord(const WorkRecord& record, uint32_t height, int64_t time,
                  const compute::Engine& engine, compute::StepPlan* plan, ConsensusState* next) {
  next->AddDone(UnitDone{record.unit, record.outputs, time, record.loss});
  if (WorkerEntry* w = next->FindWorker(record.worker)) {
    w->has_work = true;
    w->last_work_height = height;
    w->active_step = record.unit.step;
    ++w->records;
  }
  ++next->accepted_work;
  if (next->done.size() == plan->units.size()) {
    CompleteStep(*plan, time, next);
    *plan = engine.Plan(next->step);
  }
}

bool CheckRecordSignature(const WorkRecord& record, ValidationState* state) {
  if (VerifySchnorr(record.worker, record.SigningHash(), record.signature)) return true;
  return Fail(state, "bad-work-sig", compute::UnitName(record.unit));
}

bool CheckRecord(const WorkRecord& record, const ConsensusState& working,
                 const std::vector<XOnlyPubKeyBytes>& order, const compute::StepPlan& plan,
                 int64_t time, const BlockContext& ctx, InputResolver* resolver,
                 ValidationState* state) {
  const std::string name = compute::UnitName(record.unit);
  if (record.unit.step != working.step) return Fail(state, "bad-work-step", name);
  const PlannedUnit* unit = plan.Find(record.unit);
  if (unit == nullptr) return Fail(state, "bad-work-unit", name);
  if (working.FindDone(record.unit) != nullptr) return Fail(state, "bad-work-duplicate", name);
  if (!IsReady(working, *unit)) return Fail(state, "bad-work-not-ready", name);
  const uint64_t attempt = Attempt(ReadyTime(working, *unit), time, ctx.params->unit_timeout);
  if (!MayCarry(order, *unit, attempt, record.worker))
    return Fail(state, "bad-work-unassigned", name + " by " + HexStr(record.worker));

  std::vector<Uint256> expected;
  Status s = resolver->Hashes(working, *unit, &expected);
  if (!s.ok()) return state->Error("work-inputs: " + s.ToString());
  if (!CheckRecordShape(record, *unit, expected, state)) return false;

  const Uint256 record_hash = record.Hash();
  const bool recompute = OutputsAreRecomputed(record.unit.kind) && ctx.policy.sample > 0.0;
  if (record.unit.step < ctx.assume_valid_below_step ||
      !(recompute || ctx.policy.ShouldVerify(record_hash)) ||
      (ctx.verified && ctx.verified(record_hash)))
    return true;
  compute::WorkClaim claim;
  claim.unit = record.unit;
  claim.input_hashes = record.inputs;
  claim.output_hashes = record.outputs;
  claim.loss = record.loss;
  // Fetched tensors are hash-checked and decoded (TensorFetcher), batches
  // derived here, and CheckRecordShape matched the record's hashes to the
  // expected ones: the engine need not hash or scan them again.
  claim.hashes_checked = true;
  s = resolver->Tensors(working, *unit, &claim.inputs);
  if (!s.ok())
    return state->Invalid(ValidationResult::kMissingInputs, "work-tensor-missing",
                          name + ": " + s.ToString());
  ValidationState verdict;
  compute::UnitResult recomputed;
  if (recompute) {
    s = ctx.engine->Recompute(claim, expected, &verdict, &recomputed);
  } else {
    if (!FetchAll(ctx.fetch, record.outputs, &claim.outputs, state)) return false;
    s = ctx.engine->Verify(claim, expected, &verdict);
  }
  if (!s.ok()) return state->Error("work-verify: " + s.ToString());
  if (!verdict.IsValid()) return Fail(state, verdict.reason(), name + ": " + verdict.debug());
  // Recompute matched each output's hash with the record's: no need to hash it again.
  for (size_t i = 0; ctx.store && i < recomputed.outputs.size(); ++i) {
    s = ctx.store(recomputed.outputs[i], record.outputs[i], record.unit.step);
    if (!s.ok()) return state->Error("work-store: " + s.ToString());
  }
  return true;
}

bool IsWorkersFault(const ValidationState& state) {
  if (state.result() != ValidationResult::kConsensus) return false;
  const std::string& r = state.reason();
  return r != "bad-work-step" && r != "bad-work-duplicate" && r != "bad-work-not-ready" &&
         r != "bad-work-unassigned" && r != "bad-work-sig";
}

namespace {

// CheckBlock but the producer's signature.
bool CheckBlockContents(const Block& block, ValidationState* state) {
  const BlockHeader& h = block.header;
  if (block.txs.size() > kMaxBlockTxs || block.records.size() > kMaxBlockRecords)
    return Fail(state, "bad-blk-length");
  if (block.ComputeTxRoot() != h.tx_root)
    return state->Invalid(ValidationResult::kMutated, "bad-txnmrklroot");
  if (block.ComputeWorkRoot() != h.work_root)
    return state->Invalid(ValidationResult::kMutated, "bad-workroot");
  if (block.txs.empty() || !block.txs[0].IsCoinbase()) return Fail(state, "bad-cb-missing");
  if (block.txs[0].lock_height != h.height) return Fail(state, "bad-cb-height");
  std::set<Uint256> txids;
  for (size_t t = 0; t < block.txs.size(); ++t) {
    const Transaction& tx = block.txs[t];
    if (t > 0 && tx.IsCoinbase()) return Fail(state, "bad-cb-multiple", "tx " + std::to_string(t));
    if (!CheckTransaction(tx, state)) return false;
    if (!txids.insert(tx.Txid()).second) return Fail(state, "bad-txns-duplicate");
  }
  std::set<UnitId> units;
  for (size_t i = 0; i < block.records.size(); ++i) {
    const WorkRecord& r = block.records[i];
    if (!CheckRecordSignature(r, state)) return false;
    if (!units.insert(r.unit).second)
      return Fail(state, "bad-work-duplicate", compute::UnitName(r.unit));
  }
  return true;
}

// CheckHeaderContext's rules but the claimed work, which ApplyBlock's
// callers have not set yet (the assembler) or check exactly (ConnectBlock).
bool CheckHeightAndTime(const BlockHeader& header, uint32_t parent_height, int64_t parent_time,
                        ValidationState* state) {
  if (header.height != parent_height + 1) return Fail(state, "bad-height");
  if (header.time < parent_time) return Fail(state, "time-too-old");
  return true;
}

// ApplyBlock once CheckBlockContents passed.
bool ApplyCheckedBlock(const ConsensusState& parent, const Block& block, const BlockContext& ctx,
                       ConsensusState* next, ValidationState* state) {
  const ChainParams& params = *ctx.params;
  const BlockHeader& h = block.header;
  if (!CheckHeaderAgainstParent(parent, h, params, ctx.now, state)) return false;

  *next = parent;
  next->block_hash = block.Hash();
  next->height = h.height;
  next->time = h.time;

  // Transactions, then the coinbase that pays their fees.
  Amount fees = 0;
  if (!ConnectTransactions(block, ctx, next, &fees, state)) return false;
  if (!CheckCoinbase(block, parent, params, fees, state)) return false;

  // Work records, in block order, against the parent's unit order. The
  // registry changes of this block's transactions take effect from the next
  // block, so records are judged against `parent`'s workers.
  compute::StepPlan plan = ctx.engine->Plan(next->step);
  InputResolver resolver(params, *ctx.dataset, ctx.fetch);
  for (const WorkRecord& record : block.records) {
    if (!CheckRecord(record, *next, parent.unit_order, plan, h.time, ctx, &resolver, state))
      return false;
    AcceptRecord(record, h.height, h.time, *ctx.engine, &plan, next);
  }
  // Producing shows the key alive, so an absent worker returns by its slot.
  if (WorkerEntry* w = next->FindWorker(h.producer)) w->active_step = next->step;
  next->unit_order = NextUnitOrder(parent.step, *next, ctx.engine->partition().sections.size());
  return true;
}

}  // namespace

bool CheckHeaderSignature(const BlockHeader& header, ValidationState* state) {
  if (VerifySchnorr(header.producer, header.SigningHash(), header.signature)) return true;
  return state->Invalid(ValidationResult::kMutated, "bad-blk-sig");
}

bool CheckBlock(const Block& block, ValidationState* state) {
  return CheckHeaderSignature(block.header, state) && CheckBlockContents(block, state);
}

bool CheckHeaderAgainstParent(const ConsensusState& parent, const BlockHeader& header,
                              const ChainParams& params, int64_t now, ValidationState* state) {
  if (header.prev != parent.block_hash) return Fail(state, "bad-prevblk");
  if (!CheckHeightAndTime(header, parent.height, parent.time, state)) return false;
  if (header.time > now + params.max_future_time)
    return state->Invalid(ValidationResult::kTimeFuture, "time-too-new");
  const std::optional<XOnlyPubKeyBytes> producer =
      ScheduledProducer(params, parent, header.height, header.time);
  if (producer && *producer != header.producer) return Fail(state, "bad-producer");
  return true;
}

bool CheckHeaderContext(const BlockHeader& header, uint32_t parent_height, int64_t parent_time,
                        uint64_t parent_work, ValidationState* state) {
  if (!CheckHeightAndTime(header, parent_height, parent_time, state)) return false;
  if (header.accepted_work < parent_work || header.accepted_work - parent_work > kMaxBlockRecords)
    return Fail(state, "bad-accepted-work", "claims " + std::to_string(header.accepted_work) +
                                                " after the parent's " + std::to_string(parent_work));
  return true;
}

bool ApplyBlock(const ConsensusState& parent, const Block& block, const BlockContext& ctx,
                ConsensusState* next, ValidationState* state) {
  return CheckBlockContents(block, state) && ApplyCheckedBlock(parent, block, ctx, next, state);
}

bool ConnectBlock(const ConsensusState& parent, const Block& block, const BlockContext& ctx,
                  ConsensusState* next, ValidationState* state) {
  const BlockHeader& h = block.header;
  if (!CheckBlock(block, state) || !ApplyCheckedBlock(parent, block, ctx, next, state))
    return false;
  // What the header commits about the state after the block.
  if (h.state_root != next->StateRoot()) return Fail(state, "bad-stateroot");
  if (h.registry_root != next->RegistryRoot()) return Fail(state, "bad-registryroot");
  if (h.accepted_work != next->accepted_work)
    return Fail(state, "bad-accepted-work", "claims " + std::to_string(h.accepted_work) + ", is " +
                                                std::to_string(next->accepted_work));
  return true;
}

}  // namespace cc
