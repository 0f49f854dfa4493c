// Slashing through a real chain (validation/chain_manager.h over LevelDB in
// a temp dir, the libtorch engine on regtest's `tiny`): a worker who signed
// a wrong record loses its bonds to a slashing transaction, the reporter is
// paid half, the registry drops it, one offence slashes once, and a
// reorganisation that drops the slashing block restores all of it exactly.
// Two blocks one producer signed on one parent become evidence too.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "chain/evidence.h"
#include "chain/key.h"
#include "chain/tx_sign.h"
#include "compute/tensor.h"
#include "compute/torch/torch_engine.h"
#include "consensus/connect.h"
#include "consensus/evidence.h"
#include "consensus/genesis.h"
#include "tests/chain/primitives_samples.h"
#include "tests/util/chain_harness.h"
#include "tests/util/test_util.h"
#include "validation/chain_manager.h"

namespace cc {
namespace {

ChainManagerOptions Options() {
  ChainManagerOptions options;
  options.engine_factory = compute::MakeTorchEngine;
  return options;
}

class SlashChainTest : public testing::Test {
 protected:
  SlashChainTest()
      : workers_{test::TestKey(1, 0x51), test::TestKey(2, 0x51)},
        chain_(std::filesystem::path(dir_.path()) / "a", Options()),
        manager_(*chain_.manager) {}

  const PrivateKey& liar() const { return workers_[0]; }
  // The liar's free registration bond (Start), owned by its payout.
  TxOut FreeBond() const {
    return TxOut{.value = 0,
                 .kind = OutputKind::kWorkerBond,
                 .lock = Uint256(liar().PublicKey()),
                 .owner = KeyHash(liar().PublicKey())};
  }
  // The payout output after a bond of `worker`'s, signed by it.
  static TxOut SignRegistrationOutput(const PrivateKey& worker, const Uint256& payout) {
    return TxOut{0, OutputKind::kWorkerPayout, payout,
                 SignRegistration(worker, GenesisHash(RegtestParams()), payout).signature};
  }
  const PrivateKey& reporter() const { return workers_[1]; }

  // A child of `parent` at parent time + dt, with `computing` computing.
  Block Build(const ConsensusState& parent, std::span<const PrivateKey> computing,
              std::vector<Transaction> txs = {}, std::vector<WorkerRegistration> reg = {},
              int64_t dt = 1) {
    AssemblyRequest request;
    request.time = parent.time + dt;
    request.workers = computing;
    request.producers = workers_;
    request.txs = std::move(txs);
    request.registrations = std::move(reg);
    Block b;
    const Status s = manager_.Assemble(parent.block_hash, request, &b);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return b;
  }
  // A child of `parent` carrying `invalid`, which the assembler would refuse
  // to put in a block: added to an empty valid block, which is signed again.
  Block BuildRefused(const ConsensusState& parent, std::vector<Transaction> invalid) {
    Block b = Build(parent, {});
    b.txs.insert(b.txs.end(), invalid.begin(), invalid.end());
    b.header.tx_root = b.ComputeTxRoot();
    for (const PrivateKey& k : workers_)
      if (k.PublicKey() == b.header.producer) b.header.signature = k.Sign(b.header.SigningHash());
    return b;
  }
  void MustProcess(const Block& b) {
    ValidationState state;
    ASSERT_TRUE(manager_.ProcessNewBlock(b, &state)) << state.ToString();
  }
  bool HaveCoin(const OutPoint& op) const {
    Coin coin;
    return chain_.chain->GetCoin(op, &coin).ok();
  }
  std::string CheckSlash(const Transaction& tx) {
    ValidationState state;
    return manager_.CheckSlash(tx, &state) ? "OK" : state.reason();
  }

  // Registers both workers (zero bonds, block 1) and has them compute one
  // block (block 2); returns block 2. Each is paid to its own KeyHash, so
  // that the liar's reward is spendable by the liar's key.
  Block Start() {
    std::vector<WorkerRegistration> keys;
    for (const PrivateKey& k : workers_)
      keys.push_back(SignRegistration(k, GenesisHash(RegtestParams()), KeyHash(k.PublicKey())));
    const Block reg = Build(manager_.Tip(), {}, {}, keys);
    MustProcess(reg);
    for (uint32_t i = 0; i < reg.txs[0].outputs.size(); ++i)
      if (reg.txs[0].outputs[i].kind == OutputKind::kWorkerBond &&
          reg.txs[0].outputs[i].lock == Uint256(liar().PublicKey()))
        free_bond_ = {reg.txs[0].Txid(), i};
    const Block work = Build(manager_.Tip(), workers_);
    MustProcess(work);
    return work;
  }

  // Matures the liar's 1-coin reward at `reward` (100 empty blocks) and
  // bonds it in a block; returns that transaction (output 0: the bond).
  Transaction BondReward(const OutPoint& reward) {
    for (int i = 0; i < 100; ++i) MustProcess(Build(manager_.Tip(), {}));
    Transaction bond;
    bond.inputs.resize(1);
    bond.inputs[0].prevout = reward;
    bond.inputs[0].pubkey = liar().PublicKey();
    const TxOut rewarded{kCoin, OutputKind::kPayToKeyHash, KeyHash(liar().PublicKey())};
    bond.outputs = {TxOut{.value = kCoin,
                          .kind = OutputKind::kWorkerBond,
                          .lock = Uint256(liar().PublicKey()),
                          .owner = KeyHash(liar().PublicKey())},
                    SignRegistrationOutput(liar(), KeyHash(liar().PublicKey()))};
    EXPECT_TRUE(SignInput(&bond, 0, rewarded, liar()).ok());
    MustProcess(Build(manager_.Tip(), {}, {bond}));
    return bond;
  }
  // The index of the liar's first record in `work`.
  size_t LiarRecordIndex(const Block& work) const {
    for (size_t i = 0; i < work.records.size(); ++i)
      if (work.records[i].worker == liar().PublicKey()) return i;
    ADD_FAILURE() << "the liar has no record";
    return 0;
  }
  static std::unique_ptr<compute::Engine> FreshEngine() {
    std::unique_ptr<compute::Engine> engine;
    EXPECT_TRUE(compute::MakeTorchEngine(RegtestParams().model, {}, &engine).ok());
    return engine;
  }
  // The liar's reward output in `work`'s coinbase.
  OutPoint LiarReward(const Block& work) const {
    for (uint32_t i = 0; i < work.records.size(); ++i)
      if (work.records[i].worker == liar().PublicKey()) return {work.txs[0].Txid(), i};
    ADD_FAILURE() << "the liar has no record";
    return {};
  }

  test::TempDir dir_;
  std::vector<PrivateKey> workers_;
  test::TestChain chain_;
  ChainManager& manager_;
  OutPoint free_bond_;
};

// `record` with its first output scaled by 1.01 (stored), re-signed by `key`.
WorkRecord Perturbed(ChainManager& manager, WorkRecord record, const PrivateKey& key) {
  compute::EncodedTensor t;
  EXPECT_TRUE(manager.GetTensor(record.outputs[0], &t).ok());
  std::vector<float> values;
  EXPECT_TRUE(compute::DecodeFloats(t, &values).ok());
  for (float& v : values) v = v * 1.01f + 0.01f;
  const compute::EncodedTensor bad = compute::EncodeFloats(values, t.shape, t.codec);
  EXPECT_TRUE(manager.PutTensor(bad, record.unit.step).ok());
  record.outputs[0] = bad.Hash();
  record.signature = key.Sign(record.SigningHash());
  return record;
}

TEST_F(SlashChainTest, WrongWorkForfeitsTheBondAndAReorgRestoresIt) {
  const Block work = Start();
  // The liar's 1-coin reward of block 2, matured by 100 empty blocks, then
  // bonded: it is registered by two bonds, the free one and 1 coin.
  OutPoint reward;
  const WorkRecord* honest = nullptr;
  for (uint32_t i = 0; i < work.records.size(); ++i)
    if (work.records[i].worker == liar().PublicKey()) {
      reward = {work.txs[0].Txid(), i};
      honest = &work.records[i];
    }
  ASSERT_NE(honest, nullptr);
  const Transaction bond = BondReward(reward);
  const OutPoint paid_bond{bond.Txid(), 0};
  ASSERT_EQ(manager_.Tip().FindWorker(liar().PublicKey())->bonds, 2u);

  const WorkRecord wrong = Perturbed(manager_, *honest, liar());
  const Evidence evidence = WrongWorkEvidence(wrong);
  const std::vector<std::pair<OutPoint, TxOut>> bonds = {
      {free_bond_, FreeBond()},
      {paid_bond, bond.outputs[0]}};
  const Transaction slash = MakeSlashTransaction(evidence, bonds, KeyHash(reporter().PublicKey()));
  EXPECT_EQ(slash.outputs[0].value, kCoin / 2);

  // Re-execution decides: the honest record is no evidence; one whose
  // tensors are not here cannot be checked yet.
  EXPECT_EQ(CheckSlash(slash), "OK");
  EXPECT_EQ(CheckSlash(MakeSlashTransaction(WrongWorkEvidence(*honest), bonds,
                                            KeyHash(reporter().PublicKey()))),
            "bad-evidence-work-correct");
  const Uint256 nobodys = Uint256::FromHex(std::string(64, 'a')).value();
  WorkRecord unknown_input = wrong;
  unknown_input.inputs[0] = nobodys;
  unknown_input.signature = liar().Sign(unknown_input.SigningHash());
  EXPECT_EQ(CheckSlash(MakeSlashTransaction(WrongWorkEvidence(unknown_input), bonds,
                                            KeyHash(reporter().PublicKey()))),
            "work-tensor-missing");
  // An output no one holds: an UPDATE's is recomputed, not fetched, so its
  // hash alone proves the record wrong; any other unit's must be fetched.
  WorkRecord unknown_output = wrong;
  unknown_output.outputs[0] = nobodys;
  unknown_output.signature = liar().Sign(unknown_output.SigningHash());
  EXPECT_EQ(CheckSlash(MakeSlashTransaction(WrongWorkEvidence(unknown_output), bonds,
                                            KeyHash(reporter().PublicKey()))),
            wrong.unit.kind == UnitKind::kUpdate ? "OK" : "work-tensor-missing");

  // Evidence the plan contradicts: a unit not in its step, a record with
  // another output count, a data input that is not the (step, lane) batch.
  const auto slash_of = [&](WorkRecord r) {
    r.signature = liar().Sign(r.SigningHash());
    return MakeSlashTransaction(WrongWorkEvidence(r), bonds, KeyHash(reporter().PublicKey()));
  };
  WorkRecord off_plan = wrong;
  off_plan.unit.lane = 999;
  EXPECT_EQ(CheckSlash(slash_of(off_plan)), "bad-evidence-unit");
  WorkRecord short_record = wrong;
  short_record.outputs.pop_back();
  EXPECT_EQ(CheckSlash(slash_of(short_record)), "bad-evidence-shape");
  // Any unit of the step, signed by the liar: the units it was assigned
  // depend on which sections it held (consensus.md §3), and those need not
  // include one that reads a batch.
  bool batch_seen = false;
  for (const WorkRecord& r : work.records) {
    for (size_t i = 0; i < r.inputs.size() && !batch_seen; ++i) {
      WorkRecord other = r;
      other.worker = liar().PublicKey();
      other.inputs[i] = Uint256::FromHex(std::string(64, 'b')).value();
      const std::string verdict = CheckSlash(slash_of(other));
      batch_seen = verdict == "bad-evidence-batch";
      if (!batch_seen) {
        EXPECT_EQ(verdict, "work-tensor-missing") << i;
      }
    }
  }
  EXPECT_TRUE(batch_seen) << "no record of the step reads a batch";

  // Every bond that registers the offender must go.
  const ConsensusState before = manager_.Tip();
  {
    const Transaction partial = MakeSlashTransaction(
        evidence, std::span(bonds).subspan(1), KeyHash(reporter().PublicKey()));
    ValidationState state;
    EXPECT_FALSE(manager_.ProcessNewBlock(BuildRefused(before, {partial}), &state));
    EXPECT_EQ(state.reason(), "bad-slash-incomplete") << state.ToString();
  }

  const Block slashing = Build(before, {}, {slash});
  MustProcess(slashing);
  const ConsensusState after = manager_.Tip();
  EXPECT_EQ(after.FindWorker(liar().PublicKey()), nullptr);
  EXPECT_NE(after.FindWorker(reporter().PublicKey()), nullptr);
  EXPECT_EQ(after.offences, std::vector<Uint256>{evidence.OffenceId()});
  EXPECT_EQ(after.slashed, std::vector<XOnlyPubKeyBytes>{liar().PublicKey()});
  EXPECT_FALSE(HaveCoin(free_bond_));
  EXPECT_FALSE(HaveCoin(paid_bond));
  Coin paid;
  ASSERT_TRUE(chain_.chain->GetCoin({slash.Txid(), 0}, &paid).ok());
  EXPECT_EQ(paid.out,
            (TxOut{kCoin / 2, OutputKind::kPayToKeyHash, KeyHash(reporter().PublicKey())}));
  // The burnt half is nobody's fee: the producer's fee output is 0.
  for (const TxOut& out : slashing.txs[0].outputs) {
    if (out.kind == OutputKind::kPayToKeyHash) {
      EXPECT_EQ(out.value, 0);
    }
  }
  // One offence slashes once, even against a new bond.
  EXPECT_EQ(CheckSlash(slash), "bad-slash-duplicate");

  // A heavier branch without the slashing block: all of it comes back.
  const Block branch = Build(before, workers_, {}, {}, 2);
  ASSERT_FALSE(branch.records.empty());
  MustProcess(branch);
  ASSERT_EQ(manager_.Tip().block_hash, branch.Hash());
  ConsensusState fork_point;
  ASSERT_TRUE(manager_.GetState(before.block_hash, &fork_point).ok());
  EXPECT_EQ(Serialize(fork_point), Serialize(before));
  EXPECT_TRUE(HaveCoin(free_bond_));
  EXPECT_TRUE(HaveCoin(paid_bond));
  EXPECT_FALSE(HaveCoin({slash.Txid(), 0}));
  EXPECT_TRUE(manager_.Tip().offences.empty());
  EXPECT_TRUE(manager_.Tip().slashed.empty());
  EXPECT_EQ(manager_.Tip().FindWorker(liar().PublicKey())->bonds, 2u);
  EXPECT_EQ(CheckSlash(slash), "OK");
}

// What a client that caught a holder puts on chain: the holder's running
// receipt after its answer to `steps`' last step, the steps, the answer,
// and the served sections' leaves under the tip's root; the liar's worker
// key vouches for the holder's payee key.
WrongInference CaughtAnswer(ChainManager& manager, const PrivateKey& worker,
                            const PrivateKey& holder, uint32_t begin, uint32_t end,
                            std::vector<InferenceStep> steps,
                            const compute::EncodedTensor& answer) {
  WrongInference ev;
  ev.salt = test::SampleHash(60);
  ev.steps = std::move(steps);
  ev.output = answer.payload;
  ev.prior_output_hash = test::SampleHash(61);
  Receipt& r = ev.receipt;
  r.request_id = test::SampleHash(62);
  r.state_root = manager.Tip().StateRoot();
  r.section_begin = begin;
  r.section_end = end;
  for (const InferenceStep& step : ev.steps) {
    r.input_hash = ChainedInputHash(ev.salt, r.input_hash, step.position, step.input);
    r.tokens += step.rows;
  }
  r.output_hash = ChainedOutputHash(ev.salt, ev.prior_output_hash, ev.output);
  r.amount = 10 * r.tokens;
  r.holder = holder.PublicKey();
  r.signature = holder.Sign(r.SigningHash());
  ev.bond = {worker.PublicKey(), worker.Sign(HolderBondSigningHash(holder.PublicKey()))};
  EXPECT_TRUE(manager.StateProof(r.state_root, begin, end, &ev.sections).ok());
  return ev;
}

// A holder's answer scaled by `factor`, as -perturbserve serves it.
compute::EncodedTensor Scaled(const compute::EncodedTensor& t, float factor) {
  std::vector<float> values;
  EXPECT_TRUE(compute::DecodeFloats(t, &values).ok());
  for (float& v : values) v *= factor;
  return compute::EncodeFloats(values, t.shape, t.codec);
}

// A holder whose payee key a registered worker vouched for answers wrongly:
// the evidence (its receipt, the session's steps, the answer, the served
// sections' leaves) forfeits the worker's bonds. The libtorch server's
// honest answer is not evidence, whatever hop; nor is a transcript that is
// not one session, or leaves not under the receipt's root.
TEST_F(SlashChainTest, AWrongInferenceAnswerForfeitsTheVouchingWorkersBond) {
  Start();
  const PrivateKey holder = test::TestKey(3, 0x51);
  const std::vector<std::pair<OutPoint, TxOut>> bonds = {{free_bond_, FreeBond()}};
  auto slash_of = [&](const WrongInference& ev) {
    return MakeSlashTransaction(WrongInferenceEvidence(ev), bonds, KeyHash(reporter().PublicKey()));
  };
  // The whole model, a prompt in two steps (5 + 2 positions): the last answer is logits.
  const std::string prompt = "12+34=5";
  std::unique_ptr<compute::SectionServer> whole, middle;
  Uint256 root;
  ASSERT_TRUE(manager_.MakeSectionServer(0, 3, {}, &whole, &root).ok());
  ASSERT_EQ(root, manager_.Tip().StateRoot());
  const std::vector<InferenceStep> steps = {
      {0, 5, std::vector<uint8_t>(prompt.begin(), prompt.begin() + 5)},
      {5, 2, std::vector<uint8_t>(prompt.begin() + 5, prompt.end())}};
  compute::EncodedTensor logits;
  for (const InferenceStep& step : steps)
    ASSERT_TRUE(whole
                    ->Step(test::SampleHash(1), step.position,
                           compute::EncodeBytes(step.input, std::vector<uint64_t>{step.rows}),
                           &logits)
                    .ok());
  const WrongInference honest = CaughtAnswer(manager_, liar(), holder, 0, 3, steps, logits);
  EXPECT_EQ(CheckSlash(slash_of(honest)), "bad-evidence-inference-correct");
  const WrongInference lie =
      CaughtAnswer(manager_, liar(), holder, 0, 3, steps, Scaled(logits, 1.05f));
  EXPECT_EQ(CheckSlash(slash_of(lie)), "OK");

  // A middle hop's honest stream answer (its input: the first hop's output).
  ASSERT_TRUE(manager_.MakeSectionServer(1, 2, {}, &middle, &root).ok());
  std::unique_ptr<compute::SectionServer> first;
  ASSERT_TRUE(manager_.MakeSectionServer(0, 1, {}, &first, &root).ok());
  compute::EncodedTensor stream, streamed;
  const std::vector<uint8_t> bytes(prompt.begin(), prompt.end());
  ASSERT_TRUE(first
                  ->Step(test::SampleHash(2), 0,
                         compute::EncodeBytes(bytes, std::vector<uint64_t>{bytes.size()}), &stream)
                  .ok());
  ASSERT_TRUE(middle->Step(test::SampleHash(2), 0, stream, &streamed).ok());
  const WrongInference honest_middle = CaughtAnswer(
      manager_, liar(), holder, 1, 2,
      {{0, static_cast<uint32_t>(bytes.size()), stream.payload}}, streamed);
  EXPECT_EQ(CheckSlash(slash_of(honest_middle)), "bad-evidence-inference-correct");
  EXPECT_EQ(CheckSlash(slash_of(CaughtAnswer(manager_, liar(), holder, 1, 2,
                                             {{0, static_cast<uint32_t>(bytes.size()),
                                               stream.payload}},
                                             Scaled(streamed, 1.05f)))),
            "OK");

  // What the evidence must show, beyond the hashes DecodeEvidence checks.
  WrongInference bad = lie;
  bad.sections[1].weights = test::SampleHash(63);
  EXPECT_EQ(CheckSlash(slash_of(bad)), "bad-evidence-state");
  bad = lie;
  std::swap(bad.sections[0], bad.sections[1]);
  EXPECT_EQ(CheckSlash(slash_of(bad)), "bad-evidence-state");
  // Steps that are not one session: a gap at position 6, none at position 0.
  std::vector<InferenceStep> gap = steps;
  gap[1].position = 6;
  EXPECT_EQ(CheckSlash(slash_of(CaughtAnswer(manager_, liar(), holder, 0, 3, gap,
                                             Scaled(logits, 1.05f)))),
            "bad-evidence-transcript");
  std::vector<InferenceStep> late = {steps[1]};
  EXPECT_EQ(CheckSlash(slash_of(CaughtAnswer(manager_, liar(), holder, 0, 3, late,
                                             Scaled(logits, 1.05f)))),
            "bad-evidence-transcript");
  // A range of partial atoms cannot be a hop.
  bad = lie;
  bad.receipt.section_begin = 5;
  bad.receipt.section_end = 6;
  bad.receipt.signature = holder.Sign(bad.receipt.SigningHash());
  EXPECT_EQ(CheckSlash(slash_of(bad)), "bad-evidence-sections");

  // Mined: the vouching worker's bond is forfeited and the worker leaves the registry.
  const Transaction slash = slash_of(lie);
  MustProcess(Build(manager_.Tip(), {}, {slash}));
  const ConsensusState after = manager_.Tip();
  EXPECT_EQ(after.FindWorker(liar().PublicKey()), nullptr);
  EXPECT_EQ(after.slashed, std::vector<XOnlyPubKeyBytes>{liar().PublicKey()});
  EXPECT_FALSE(HaveCoin(free_bond_));
  EXPECT_EQ(CheckSlash(slash), "bad-slash-duplicate");
}

// A block refused because a record's re-execution disagrees leaves evidence
// against that record's worker (not against the producer).
// A node syncing a slashing block needs the evidence's tensors to judge it
// (the wrong output exists only where the reporter made it): the block names
// them (TensorsToConnect), and connects once they are fetched. A node that
// syncs the same block beyond its retention below the best header (assumed
// valid, doc/consensus.md §6) judges the evidence as it does the records,
// without re-execution, and asks for none of them.
TEST_F(SlashChainTest, ASyncedSlashingBlockNamesTheEvidenceTensorsUnlessAssumedValid) {
  const Block work = Start();
  const WorkRecord wrong = Perturbed(manager_, work.records[LiarRecordIndex(work)], liar());
  const std::vector<std::pair<OutPoint, TxOut>> bonds = {{free_bond_, FreeBond()}};
  const Transaction slash =
      MakeSlashTransaction(WrongWorkEvidence(wrong), bonds, KeyHash(reporter().PublicKey()));
  MustProcess(Build(manager_.Tip(), {}, {slash}));
  for (int i = 0; i < 8; ++i) MustProcess(Build(manager_.Tip(), {&reporter(), 1}));
  ASSERT_GE(manager_.Tip().step, 8u);
  std::vector<Block> blocks;
  for (uint32_t h = 1; h <= manager_.Tip().height; ++h) {
    Uint256 hash;
    ASSERT_TRUE(chain_.chain->GetBlockHashAtHeight(h, &hash).ok());
    blocks.emplace_back();
    ASSERT_TRUE(chain_.chain->ReadBlock(hash, &blocks.back()).ok());
  }
  const std::vector<compute::TensorToFetch> evidence_tensors =
      EvidenceTensors(wrong, *FreshEngine());
  ASSERT_TRUE(std::any_of(evidence_tensors.begin(), evidence_tensors.end(),
                          [&](const compute::TensorToFetch& t) { return t.hash == wrong.outputs[0]; }));
  for (const compute::TensorToFetch& t : evidence_tensors) {  // each as long as its encoding
    compute::EncodedTensor tensor;
    ASSERT_TRUE(manager_.GetTensor(t.hash, &tensor).ok());
    EXPECT_EQ(t.length, Serialize(tensor).size());
  }

  for (const bool beyond_retention : {false, true}) {
    ChainManagerOptions options = Options();
    if (beyond_retention) options.keep_steps = 4;
    test::TestChain joiner(std::filesystem::path(dir_.path()) /
                               (beyond_retention ? "assuming" : "verifying"),
                           options);
    if (beyond_retention) {
      for (const Block& b : blocks) {
        ValidationState state;
        ASSERT_TRUE(joiner.manager->AcceptHeader(b.header, &state)) << state.ToString();
      }
    }
    bool asked_for_the_wrong_output = false;
    for (const Block& b : blocks) {
      for (const compute::TensorToFetch& want : joiner.manager->TensorsToConnect(b)) {
        asked_for_the_wrong_output = asked_for_the_wrong_output || want.hash == wrong.outputs[0];
        compute::EncodedTensor t;
        ASSERT_TRUE(manager_.GetTensor(want.hash, &t).ok());
        ASSERT_TRUE(joiner.manager->PutTensor(t, want.step).ok());
      }
      ValidationState state;
      ASSERT_TRUE(joiner.manager->ProcessNewBlock(b, &state))
          << "height " << b.header.height << ": " << state.ToString();
    }
    EXPECT_EQ(asked_for_the_wrong_output, !beyond_retention);
    EXPECT_EQ(Serialize(joiner.manager->Tip()), Serialize(manager_.Tip()));
  }
}

// A bond spent by its owner cannot be paid out: it moves to kUnbonding, the
// key leaves the registry when its last bond goes, and the value is
// spendable only unbonding_delay blocks later, by the owner alone. Here the
// liar's bonds are owned by KeyHash(liar) (it paid them to itself), so the
// worker key spends them as their owner.
TEST_F(SlashChainTest, ABondLeavesOnlyThroughTheUnbondingDelay) {
  const Transaction bond = BondReward(LiarReward(Start()));
  const uint32_t delay = chain_.params.unbonding_delay;
  ASSERT_EQ(delay, 10u);
  const TxOut free_out = FreeBond();
  auto withdraw = [&](OutputKind kind) {
    Transaction tx;
    tx.inputs = {TxIn{free_bond_, liar().PublicKey(), {}},
                 TxIn{{bond.Txid(), 0}, liar().PublicKey(), {}}};
    tx.outputs = {kind == OutputKind::kUnbonding
                      ? TxOut{.value = kCoin,
                              .kind = kind,
                              .lock = Uint256(liar().PublicKey()),
                              .owner = KeyHash(liar().PublicKey())}
                      : TxOut{kCoin, kind, KeyHash(liar().PublicKey())}};
    EXPECT_TRUE(SignInput(&tx, 0, free_out, liar()).ok());
    EXPECT_TRUE(SignInput(&tx, 1, bond.outputs[0], liar()).ok());
    return tx;
  };
  ValidationState state;
  EXPECT_FALSE(
      manager_.ProcessNewBlock(BuildRefused(manager_.Tip(), {withdraw(OutputKind::kPayToKeyHash)}),
                               &state));
  EXPECT_EQ(state.reason(), "bad-txns-unbonding-missing") << state.ToString();

  const Transaction unbond = withdraw(OutputKind::kUnbonding);
  MustProcess(Build(manager_.Tip(), {}, {unbond}));
  const uint32_t created = manager_.Tip().height;
  EXPECT_EQ(manager_.Tip().FindWorker(liar().PublicKey()), nullptr);  // its last bond left

  Transaction release;
  release.inputs = {TxIn{{unbond.Txid(), 0}, liar().PublicKey(), {}}};
  release.outputs = {TxOut{kCoin, OutputKind::kPayToKeyHash, KeyHash(liar().PublicKey())}};
  ASSERT_TRUE(SignInput(&release, 0, unbond.outputs[0], liar()).ok());
  while (manager_.Tip().height + 1 < created + delay - 1) MustProcess(Build(manager_.Tip(), {}));
  state = ValidationState();
  EXPECT_FALSE(manager_.ProcessNewBlock(BuildRefused(manager_.Tip(), {release}), &state));
  EXPECT_EQ(state.reason(), "bad-txns-unbonding-premature") << state.ToString();
  MustProcess(Build(manager_.Tip(), {}));
  ASSERT_EQ(manager_.Tip().height + 1, created + delay);
  MustProcess(Build(manager_.Tip(), {}, {release}));
  EXPECT_TRUE(HaveCoin({release.Txid(), 0}));
}

TEST_F(SlashChainTest, ARefusedBlocksWrongRecordIsEvidence) {
  Start();
  Block b = Build(manager_.Tip(), workers_);
  ASSERT_GE(b.records.size(), 2u);
  const size_t bad = b.records.size() - 1;
  const PrivateKey& worker =
      b.records[bad].worker == workers_[0].PublicKey() ? workers_[0] : workers_[1];
  b.records[bad] = Perturbed(manager_, b.records[bad], worker);
  b.header.work_root = b.ComputeWorkRoot();
  const PrivateKey& producer =
      b.header.producer == workers_[0].PublicKey() ? workers_[0] : workers_[1];
  b.header.signature = producer.Sign(b.header.SigningHash());
  ValidationState state;
  EXPECT_FALSE(manager_.ProcessNewBlock(b, &state));
  EXPECT_EQ(state.reason().rfind("bad-work-", 0), 0u) << state.ToString();
  const std::vector<Evidence> found = manager_.TakeEvidence();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].kind, EvidenceKind::kWrongWork);
  EXPECT_EQ(found[0].record, b.records[bad]);
}

TEST_F(SlashChainTest, TwoBlocksOnOneParentAreEvidence) {
  Start();
  const ConsensusState parent = manager_.Tip();
  const Block a = Build(parent, {}, {}, {}, 1);
  const Block b = Build(parent, {}, {}, {}, 2);  // same slot, same producer
  ASSERT_EQ(a.header.producer, b.header.producer);
  MustProcess(a);
  EXPECT_TRUE(manager_.TakeEvidence().empty());
  MustProcess(b);
  const std::vector<Evidence> found = manager_.TakeEvidence();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].Offender(), a.header.producer);
  EXPECT_TRUE(manager_.TakeEvidence().empty());  // taken
  ValidationState state;
  Evidence decoded;
  ASSERT_TRUE(DecodeEvidence(Serialize(found[0]), &decoded, &state)) << state.ToString();

  // The producer's free bond (block 1's coinbase), forfeited: it leaves the registry.
  const PrivateKey& producer =
      workers_[0].PublicKey() == a.header.producer ? workers_[0] : workers_[1];
  std::vector<std::pair<OutPoint, TxOut>> forfeited;
  ASSERT_TRUE(chain_.chain->utxo()
                  .ForEachCoin([&](const OutPoint& op, const Coin& c) {
                    if (c.out.kind == OutputKind::kWorkerBond &&
                        c.out.lock == Uint256(producer.PublicKey()))
                      forfeited.emplace_back(op, c.out);
                    return Status::OK();
                  })
                  .ok());
  ASSERT_EQ(forfeited.size(), 1u);
  const Transaction slash =
      MakeSlashTransaction(found[0], forfeited, KeyHash(workers_[1].PublicKey()));
  MustProcess(Build(manager_.Tip(), {}, {slash}));
  EXPECT_EQ(manager_.Tip().FindWorker(producer.PublicKey()), nullptr);
  EXPECT_EQ(manager_.Tip().offences.size(), 1u);
  EXPECT_EQ(manager_.Tip().slashed, std::vector<XOnlyPubKeyBytes>{producer.PublicKey()});
  // A slashed key never registers again: a free registration is a bond of
  // nothing, ignored by the registry.
  MustProcess(Build(manager_.Tip(), {}, {},
                    {SignRegistration(producer, GenesisHash(RegtestParams()), KeyHash(producer.PublicKey()))}));
  EXPECT_EQ(manager_.Tip().FindWorker(producer.PublicKey()), nullptr);
  EXPECT_EQ(manager_.Tip().workers.size(), 1u);
}

}  // namespace
}  // namespace cc
