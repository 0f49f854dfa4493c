#include "consensus/assembler.h"

#include <algorithm>
#include <optional>

#include "consensus/schedule.h"

namespace cc {

Status ComputeAssigned(const PrivateKey& worker, const std::vector<XOnlyPubKeyBytes>& order,
                       uint32_t height, int64_t time, const BlockContext& ctx, size_t max,
                       InputResolver* resolver,
                       compute::StepPlan* plan, ConsensusState* working,
                       std::vector<WorkRecord>* out) {
  const XOnlyPubKeyBytes pub = worker.PublicKey();
  size_t made = 0;
  for (size_t index : AssignedUnits(*ctx.params, *working, order, *plan, pub, time)) {
    if (made >= max) break;
    const compute::PlannedUnit& unit = plan->units[index];
    WorkRecord record;
    record.unit = unit.id;
    std::vector<compute::EncodedTensor> inputs;
    Status s = resolver->Hashes(*working, unit, &record.inputs);
    if (s.ok()) s = resolver->Tensors(*working, unit, &inputs);
    compute::UnitResult result;
    if (s.ok()) s = ctx.engine->Execute(unit.id, inputs, record.inputs, &result);
    if (!s.ok()) return s;
    for (const compute::EncodedTensor& t : result.outputs) {
      const Uint256 hash = t.Hash();
      s = ctx.store(t, hash, unit.id.step);
      if (!s.ok()) return s;
      record.outputs.push_back(hash);
    }
    record.loss = unit.has_loss ? result.loss : 0.0f;
    record.worker = pub;
    record.signature = worker.Sign(record.SigningHash());
    const uint64_t step_before = working->step;
    AcceptRecord(record, height, time, *ctx.engine, plan, working);
    out->push_back(std::move(record));
    ++made;
    if (working->step != step_before) break;  // the indices were the old plan's
  }
  return Status::OK();
}

Status AssembleBlock(const ConsensusState& parent, const BlockContext& ctx,
                     const AssemblyRequest& request, Block* out) {
  const ChainParams& params = *ctx.params;
  if (request.time < parent.time)
    return Status::InvalidArgument("block time must not precede the parent's");
  const uint32_t height = parent.height + 1;

  const PrivateKey* producer = nullptr;
  const std::optional<XOnlyPubKeyBytes> slot =
      ScheduledProducer(params, parent, height, request.time);
  for (const PrivateKey& key : request.producers)
    if (!slot || key.PublicKey() == *slot) {
      producer = &key;
      break;
    }
  if (producer == nullptr) return Status::NotFound("no producer key holds this slot");

  Block block;
  ConsensusState working = parent;
  const std::vector<XOnlyPubKeyBytes>& order = parent.unit_order;
  compute::StepPlan plan = ctx.engine->Plan(working.step);
  InputResolver resolver(params, *ctx.dataset, ctx.fetch);

  for (const WorkRecord& record : request.records) {
    if (block.records.size() >= request.max_records) break;
    ValidationState state;
    if (CheckRecord(record, working, order, plan, request.time, ctx, &resolver, &state)) {
      AcceptRecord(record, height, request.time, *ctx.engine, &plan, &working);
      block.records.push_back(record);
    } else if (state.IsError()) {
      return Status::IOError("work record " + record.Hash().ToHex() + ": " + state.ToString());
    }
  }

  // Rounds until no local worker has a ready assigned unit left, or the
  // step completes: locally computed work stops at a step's completion, so
  // that each step's state root is committed by a header.
  bool progress = true;
  const uint64_t first_step = working.step;
  while (progress && working.step == first_step && block.records.size() < request.max_records) {
    progress = false;
    for (const PrivateKey& worker : request.workers) {
      if (working.step != first_step) break;
      const size_t before = block.records.size();
      Status s =
          ComputeAssigned(worker, order, height, request.time, ctx,
                          request.max_records - before, &resolver, &plan, &working, &block.records);
      if (!s.ok()) return s;
      progress = progress || block.records.size() > before;
    }
  }

  Transaction coinbase;
  coinbase.lock_height = height;
  for (const WorkRecord& r : block.records)
    coinbase.outputs.push_back(TxOut{kCoin, OutputKind::kPayToKeyHash, parent.PayoutOf(r.worker)});
  coinbase.outputs.push_back(
      TxOut{request.fees, OutputKind::kPayToKeyHash, parent.PayoutOf(producer->PublicKey())});
  for (const WorkerRegistration& reg : request.registrations) {
    // Owned by the payout: the worker's wallet spends it (deregisterworker).
    coinbase.outputs.push_back(TxOut{.value = 0,
                                     .kind = OutputKind::kWorkerBond,
                                     .lock = Uint256(reg.key),
                                     .owner = reg.payout});
    coinbase.outputs.push_back(TxOut{0, OutputKind::kWorkerPayout, reg.payout, reg.signature});
  }
  block.txs.push_back(std::move(coinbase));
  block.txs.insert(block.txs.end(), request.txs.begin(), request.txs.end());

  BlockHeader& h = block.header;
  h.height = height;
  h.prev = parent.block_hash;
  h.time = request.time;
  h.tx_root = block.ComputeTxRoot();
  h.work_root = block.ComputeWorkRoot();
  h.producer = producer->PublicKey();
  // The commitments are to the state the rules lead to, so the rules compute
  // them: every record was judged above (none is re-executed again), and a
  // time ahead of this node's clock is the caller's choice.
  BlockContext apply = ctx;
  apply.policy.sample = 0;
  apply.now = std::max(ctx.now, request.time);
  ConsensusState next;
  ValidationState state;
  if (!ApplyBlock(parent, block, apply, &next, &state))
    return state.IsError() ? Status::IOError("assembling: " + state.ToString())
                           : Status::InvalidArgument("assembled an invalid block: " + state.ToString());
  h.state_root = next.StateRoot();
  h.registry_root = next.RegistryRoot();
  h.accepted_work = next.accepted_work;
  h.signature = producer->Sign(h.SigningHash());
  *out = std::move(block);
  return Status::OK();
}

}  // namespace cc
