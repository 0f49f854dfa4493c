// Consensus through a real chain: the node's ChainManager (validation/) over
// LevelDB stores in a temp dir, the libtorch engine on the regtest (`tiny`)
// model, in-process workers with their own keys. Blocks are assembled on a
// validated parent and judged by ProcessNewBlock, exactly as in computecoind.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "chain/chain_state.h"
#include "chain/key.h"
#include "chain/tx_sign.h"
#include "compute/engine.h"
#include "compute/local_step.h"
#include "compute/params.h"
#include "compute/partition.h"
#include "compute/plan.h"
#include "compute/tensor_store.h"
#include "compute/torch/model.h"
#include "compute/torch/torch_engine.h"
#include "consensus/assembler.h"
#include "consensus/connect.h"
#include "consensus/consensus_state.h"
#include "consensus/fork_choice.h"
#include "consensus/genesis.h"
#include "consensus/schedule.h"
#include "tests/util/chain_harness.h"
#include "tests/util/test_util.h"
#include "validation/chain_manager.h"

namespace cc {
namespace {

PrivateKey KeyFromSeed(uint8_t seed) { return test::TestKey(seed, 0x42); }

// A node's validated chain (validation/chain_manager.h) and the few helpers
// these tests need around it. The same code validates, reorganises and
// stores snapshots as in computecoind.
class Node {
 public:
  explicit Node(const std::filesystem::path& dir)
      : chain_(dir, Options()), params_(chain_.params), manager_(*chain_.manager) {}

  static ChainManagerOptions Options() {
    ChainManagerOptions options;
    options.engine_factory = compute::MakeTorchEngine;
    return options;
  }

  ConsensusState Tip() const { return manager_.Tip(); }
  ConsensusState State(const Uint256& hash) const {
    ConsensusState state;
    EXPECT_TRUE(manager_.GetState(hash, &state).ok());
    return state;
  }

  // Builds a block on `parent` (a validated block) with the given workers computing.
  Status Build(const ConsensusState& parent, int64_t time, std::span<const PrivateKey> workers,
               std::span<const PrivateKey> producers, Block* out,
               std::vector<WorkerRegistration> registrations = {},
               std::vector<Transaction> txs = {},
               Amount fees = 0, size_t max_records = kMaxBlockRecords) {
    AssemblyRequest request;
    request.time = time;
    request.workers = workers;
    request.producers = producers;
    request.registrations = std::move(registrations);
    request.txs = std::move(txs);
    request.fees = fees;
    request.max_records = static_cast<uint32_t>(max_records);
    return manager_.Assemble(parent.block_hash, request, out);
  }

  bool Process(const Block& block, ValidationState* state) {
    return manager_.ProcessNewBlock(block, state);
  }
  void MustProcess(const Block& block) {
    ValidationState state;
    ASSERT_TRUE(Process(block, &state)) << state.ToString();
  }

  compute::EncodedTensor Tensor(const Uint256& hash) const {
    compute::EncodedTensor t;
    EXPECT_TRUE(manager_.GetTensor(hash, &t).ok()) << hash.ToHex();
    return t;
  }
  // Stores `t` (as a worker's output of `step`) and returns its id.
  Uint256 Put(const compute::EncodedTensor& t, uint64_t step) {
    EXPECT_TRUE(manager_.PutTensor(t, step).ok());
    return t.Hash();
  }
  // Gives this node the outputs of `block`'s records from `from`, as peers would.
  void FetchTensors(const Node& from, const Block& block) {
    for (const WorkRecord& r : block.records)
      for (const Uint256& h : r.outputs) Put(from.Tensor(h), r.unit.step);
  }

  std::vector<uint8_t> Utxo() const { return chain_.Utxo(); }
  void SetVerifyPolicy(const VerifyPolicy& policy) { manager_.SetVerifyPolicy(policy); }
  ChainState& chain() { return *chain_.chain; }

  test::TestChain chain_;
  const ChainParams& params_;
  ChainManager& manager_;
};

class ConsensusTest : public testing::Test {
 protected:
  ConsensusTest()
      : workers_{KeyFromSeed(1), KeyFromSeed(2), KeyFromSeed(3)},
        node_(std::make_unique<Node>(Dir("a"))) {}

  std::filesystem::path Dir(const std::string& name) const {
    return std::filesystem::path(dir_.path()) / name;
  }

  // Where worker i is paid: a key of "its wallet", not its signing key.
  static Uint256 Payout(size_t i) {
    return KeyHash(test::TestKey(static_cast<uint8_t>(i + 1), 0x77).PublicKey());
  }

  // Block 1: the three workers register with zero-value bonds, each paying
  // to Payout(i).
  void Register() {
    Block b;
    std::vector<WorkerRegistration> regs;
    for (size_t i = 0; i < workers_.size(); ++i)
      regs.push_back(SignRegistration(workers_[i], GenesisHash(RegtestParams()), Payout(i)));
    ASSERT_TRUE(node_->Build(node_->Tip(), node_->Tip().time + 1, {}, workers_, &b, regs).ok());
    node_->MustProcess(b);
    ASSERT_EQ(node_->Tip().workers.size(), 3u);
  }

  // One block at parent time + 1 with every worker computing.
  Block Next(int64_t dt = 1) {
    Block b;
    Status s = node_->Build(node_->Tip(), node_->Tip().time + dt, workers_, workers_, &b);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return b;
  }

  // Re-commits the roots and re-signs `b` as `producer` after a mutation.
  void Reseal(Block* b, const PrivateKey& producer) {
    b->header.tx_root = b->ComputeTxRoot();
    b->header.work_root = b->ComputeWorkRoot();
    b->header.producer = producer.PublicKey();
    b->header.signature = producer.Sign(b->header.SigningHash());
  }
  const PrivateKey& Producer(const Block& b) {
    for (const PrivateKey& k : workers_)
      if (k.PublicKey() == b.header.producer) return k;
    return workers_[0];
  }
  const PrivateKey& Worker(const XOnlyPubKeyBytes& pub) {
    for (const PrivateKey& k : workers_)
      if (k.PublicKey() == pub) return k;
    return workers_[0];
  }

  // Expects `b` rejected with `reason` and nothing changed.
  void ExpectRejected(const Block& b, const std::string& reason) {
    const std::vector<uint8_t> before = Serialize(node_->Tip());
    const std::vector<uint8_t> utxo = node_->Utxo();
    ValidationState state;
    EXPECT_FALSE(node_->Process(b, &state));
    EXPECT_EQ(state.reason(), reason) << state.ToString();
    EXPECT_EQ(Serialize(node_->Tip()), before);
    EXPECT_EQ(node_->Utxo(), utxo);
  }

  test::TempDir dir_;
  std::vector<PrivateKey> workers_;
  std::unique_ptr<Node> node_;
};

TEST(GenesisStateTest, GoldenStateRootsAreTheEngines) {
  for (Network network : {Network::kDevnet, Network::kRegtest}) {
    const ChainParams& params = ParamsFor(network);
    std::unique_ptr<compute::Engine> engine;
    ASSERT_TRUE(compute::MakeTorchEngine(params.model, {}, &engine).ok());
    EXPECT_EQ(engine->StateRoot().ToHex(), params.genesis_state_root.ToHex()) << params.name;
    ConsensusState state;
    EXPECT_TRUE(GenesisState(BuildGenesisBlock(params), *engine, &state).ok());
    EXPECT_EQ(state.StateRoot(), params.genesis_state_root);
  }
}

// Twenty steps by three workers through the chain equal twenty monolithic
// libtorch steps within ε, and each worker is paid one coin per record.
TEST_F(ConsensusTest, ThreeWorkersTrainTwentyStepsLikeMonolithic) {
  constexpr uint64_t kSteps = 20;
  Register();
  std::map<XOnlyPubKeyBytes, uint64_t> records, coins;
  std::vector<Block> blocks;
  while (node_->Tip().step < kSteps) {
    const Block b = Next();
    ASSERT_FALSE(b.records.empty());
    node_->MustProcess(b);
    EXPECT_EQ(b.header.state_root, node_->Tip().StateRoot());
    for (const WorkRecord& r : b.records) ++records[r.worker];
    for (const TxOut& out : b.txs[0].outputs)
      for (size_t i = 0; i < workers_.size(); ++i)
        if (out.lock == Payout(i) && out.value == kCoin) ++coins[workers_[i].PublicKey()];
    ASSERT_LE(node_->Tip().height, kSteps + 2) << "one step per block";
  }
  ASSERT_EQ(node_->Tip().step, kSteps);

  // Every worker took part and is paid exactly one coin per accepted record.
  uint64_t total = 0;
  const ConsensusState tip = node_->Tip();  // a copy: FindWorker points into it
  for (const PrivateKey& k : workers_) {
    const WorkerEntry* w = tip.FindWorker(k.PublicKey());
    ASSERT_NE(w, nullptr);
    EXPECT_GT(w->records, 0u);
    EXPECT_EQ(w->records, records[k.PublicKey()]);
    EXPECT_EQ(coins[k.PublicKey()], records[k.PublicKey()]);
    total += w->records;
  }
  EXPECT_EQ(total, tip.accepted_work);

  // The chain's weights against the monolithic reference.
  const compute::ModelConfig& config = node_->params_.model;
  compute::Dataset dataset;
  ASSERT_TRUE(TrainingDataset(node_->params_, &dataset).ok());
  compute::ReferenceTrainer reference(config, compute::InitialParams(config), "cpu");
  for (uint64_t t = 0; t < kSteps; ++t) {
    std::vector<compute::EncodedTensor> tokens, targets, masks;
    for (uint32_t lane = 0; lane < config.lanes; ++lane) {
      compute::EncodedBatch batch;
      ASSERT_TRUE(compute::LaneBatch(dataset, config, t, lane, &batch).ok());
      tokens.push_back(batch.inputs);
      targets.push_back(batch.targets);
      masks.push_back(batch.mask);
    }
    float loss = 0;
    ASSERT_TRUE(reference.Step(t, tokens, targets, masks, &loss).ok());
  }
  const compute::ParamValues expected = reference.Params();
  compute::Partition partition;
  ASSERT_TRUE(compute::PartitionModel(config, config.sections, &partition).ok());
  for (uint32_t s = 0; s < partition.sections.size(); ++s) {
    const compute::EncodedTensor weights = node_->Tensor(tip.sections[s].weights);
    std::vector<float> flat;
    ASSERT_TRUE(compute::DecodeFloats(weights, &flat).ok());
    EXPECT_LE(
        test::RelativeL2(flat, compute::GatherSection(config, partition.sections[s], expected)),
        config.tolerance)
        << "section " << s;
  }
  EXPECT_GT(tip.last_loss, 0.0f);
}

TEST_F(ConsensusTest, RejectsInvalidBlocksWithTheirReasons) {
  Register();
  node_->MustProcess(Next());  // step 0 complete: records of step 1 follow
  const Block good = Next();
  ASSERT_GE(good.records.size(), 2u);
  const PrivateKey& producer = Producer(good);

  {
    Block b = good;
    b.header.signature[5] ^= 1;
    ExpectRejected(b, "bad-blk-sig");
  }
  {
    Block b = good;
    for (const PrivateKey& k : workers_)
      if (k.PublicKey() != good.header.producer) {
        Reseal(&b, k);
        break;
      }
    ExpectRejected(b, "bad-producer");
  }
  {
    Block b = good;
    b.header.state_root = Uint256();
    Reseal(&b, producer);
    ExpectRejected(b, "bad-stateroot");
  }
  {
    Block b = good;
    b.header.registry_root = Uint256();
    Reseal(&b, producer);
    ExpectRejected(b, "bad-registryroot");
  }
  {
    Block b = good;  // within the bound a header alone can check, yet not the chain's
    b.header.accepted_work -= 1;
    Reseal(&b, producer);
    ExpectRejected(b, "bad-accepted-work");
  }
  {
    Block b = good;  // past what the parent's header allows
    b.header.accepted_work = node_->Tip().accepted_work + kMaxBlockRecords + 1;
    Reseal(&b, producer);
    ExpectRejected(b, "bad-accepted-work");
  }
  {
    Block b = good;
    b.header.tx_root = Uint256();
    b.header.signature = producer.Sign(b.header.SigningHash());
    ExpectRejected(b, "bad-txnmrklroot");
  }
  {
    Block b = good;
    b.header.work_root = Uint256();
    b.header.signature = producer.Sign(b.header.SigningHash());
    ExpectRejected(b, "bad-workroot");
  }
  {
    Block b = good;
    b.records.push_back(b.records[0]);
    b.txs[0].outputs.insert(b.txs[0].outputs.begin() + 1, b.txs[0].outputs[0]);
    Reseal(&b, producer);
    ExpectRejected(b, "bad-work-duplicate");
  }
  {
    Block b = good;
    b.txs[0].outputs[0].value = 2 * kCoin;
    Reseal(&b, producer);
    ExpectRejected(b, "bad-cb-amount");
  }
  {
    Block b = good;
    b.records[0].signature[0] ^= 1;
    Reseal(&b, producer);
    ExpectRejected(b, "bad-work-sig");
  }
  {  // A registered worker signs a unit that was not assigned to it.
    Block b = good;
    WorkRecord& r = b.records[0];
    for (const PrivateKey& k : workers_)
      if (k.PublicKey() != r.worker) {
        r.worker = k.PublicKey();
        r.signature = k.Sign(r.SigningHash());
        break;
      }
    b.txs[0].outputs[0].lock = node_->Tip().PayoutOf(r.worker);
    Reseal(&b, producer);
    ExpectRejected(b, "bad-work-unassigned");
  }
  {  // The assigned worker commits an output that is not what the unit computes.
    Block b = good;
    WorkRecord& r = b.records[0];
    const compute::EncodedTensor t = node_->Tensor(r.outputs[0]);
    std::vector<float> values;
    ASSERT_TRUE(compute::DecodeFloats(t, &values).ok());
    for (float& v : values) v += 0.01f;
    r.outputs[0] = node_->Put(compute::EncodeFloats(values, t.shape, t.codec), 1);
    r.signature = Worker(r.worker).Sign(r.SigningHash());
    Reseal(&b, producer);
    ExpectRejected(b, "bad-work-output-mismatch");
  }
  {  // A record whose inputs are produced later in the block.
    Block b = good;
    std::swap(b.records[0], b.records.back());
    std::swap(b.txs[0].outputs[0], b.txs[0].outputs[b.records.size() - 1]);
    Reseal(&b, producer);
    ExpectRejected(b, "bad-work-not-ready");
  }
  {
    Block b = good;
    b.header.time = node_->Tip().time - 1;
    Reseal(&b, producer);
    ExpectRejected(b, "time-too-old");
  }
  {
    Block b = good;
    // Past the future bound of the node's clock, with a margin for the
    // clock moving during the test.
    b.header.time = std::time(nullptr) + node_->params_.max_future_time + 5;
    Reseal(&b, producer);
    ExpectRejected(b, "time-too-new");
  }
  {
    Block b = good;
    b.header.prev = Uint256();
    Reseal(&b, producer);
    ExpectRejected(b, "prev-blk-not-found");
  }
  {
    Block b = good;
    b.txs[0].lock_height += 1;
    Reseal(&b, producer);
    ExpectRejected(b, "bad-cb-height");
  }
  {
    Block b = good;
    b.txs.erase(b.txs.begin());
    Reseal(&b, producer);
    ExpectRejected(b, "bad-cb-missing");
  }
  ValidationState state;
  EXPECT_TRUE(node_->Process(good, &state)) << state.ToString();
}

// Rewards and fees go to the payout each worker registered with, never to
// the key that signs its records (doc/consensus.md §2.3).
TEST_F(ConsensusTest, RewardsArePaidToTheRegisteredPayout) {
  Register();
  auto payout_of = [&](const XOnlyPubKeyBytes& key) {
    for (size_t i = 0; i < workers_.size(); ++i)
      if (workers_[i].PublicKey() == key) return Payout(i);
    ADD_FAILURE() << "not a worker";
    return Uint256();
  };
  for (const PrivateKey& k : workers_)
    EXPECT_EQ(node_->Tip().FindWorker(k.PublicKey())->payout, payout_of(k.PublicKey()));
  const Block good = Next();
  ASSERT_GE(good.records.size(), 1u);
  const size_t n = good.records.size();
  for (size_t i = 0; i < n; ++i)
    EXPECT_EQ(good.txs[0].outputs[i],
              (TxOut{kCoin, OutputKind::kPayToKeyHash, payout_of(good.records[i].worker)}));
  EXPECT_EQ(good.txs[0].outputs[n].lock, payout_of(good.header.producer));
  const PrivateKey& producer = Producer(good);
  {
    Block b = good;  // the reward paid to the signing key, as before payouts
    b.txs[0].outputs[0].lock = KeyHash(good.records[0].worker);
    Reseal(&b, producer);
    ExpectRejected(b, "bad-cb-amount");
  }
  {
    Block b = good;  // the (zero) fees paid to the producer's signing key
    b.txs[0].outputs[n].lock = KeyHash(good.header.producer);
    Reseal(&b, producer);
    ExpectRejected(b, "bad-cb-amount");
  }
  node_->MustProcess(good);
}

// A registered key keeps the payout of its first bond: a bond somebody else
// pays to a live worker's key, naming another payout, cannot redirect its
// pay (and is not refused, so no transaction in a mempool can make a block
// invalid by its payout).
TEST_F(ConsensusTest, ALaterBondKeepsTheFirstPayout) {
  Register();
  const XOnlyPubKeyBytes key = workers_[0].PublicKey();
  Block same;
  ASSERT_TRUE(node_
                  ->Build(node_->Tip(), node_->Tip().time + 1, {}, workers_, &same,
                          {SignRegistration(workers_[0], GenesisHash(RegtestParams()), Payout(1))})
                  .ok());
  node_->MustProcess(same);
  EXPECT_EQ(node_->Tip().FindWorker(key)->bonds, 2u);
  EXPECT_EQ(node_->Tip().FindWorker(key)->payout, Payout(0));
  const Block next = Next();
  for (size_t i = 0; i < next.records.size(); ++i) {
    if (next.records[i].worker == key) {
      EXPECT_EQ(next.txs[0].outputs[i].lock, Payout(0));
    }
  }
  // The payout output never becomes a coin.
  Coin coin;
  EXPECT_TRUE(node_->chain().utxo().GetCoin(OutPoint{same.txs[0].Txid(), 1}, &coin).ok());
  EXPECT_TRUE(
      node_->chain().utxo().GetCoin(OutPoint{same.txs[0].Txid(), 2}, &coin).IsNotFound());
}

// A free registration names a payout only with the worker key's signature
// for this network: a producer cannot register somebody else's key paying
// to itself (doc/consensus.md §2.0).
TEST_F(ConsensusTest, AFreeRegistrationNeedsTheWorkerKeysPayoutSignature) {
  const PrivateKey& worker = workers_[0];
  const PrivateKey& producer = workers_[1];
  Block b;
  ASSERT_TRUE(node_
                  ->Build(node_->Tip(), node_->Tip().time + 1, {}, {&producer, 1}, &b,
                          {SignRegistration(worker, GenesisHash(RegtestParams()), Payout(0))})
                  .ok());
  const size_t payout = b.txs[0].outputs.size() - 1;
  ASSERT_EQ(b.txs[0].outputs[payout].kind, OutputKind::kWorkerPayout);
  const Block good = b;
  b.txs[0].outputs[payout].lock = Payout(1);  // the producer's wallet instead
  Reseal(&b, producer);
  ExpectRejected(b, "bad-txns-payout-sig");
  b = good;  // signed by the producer, not the worker
  b.txs[0].outputs[payout].payout_signature =
      SignRegistration(producer, GenesisHash(RegtestParams()), Payout(0)).signature;
  Reseal(&b, producer);
  ExpectRejected(b, "bad-txns-payout-sig");
  b = good;  // signed by the worker for another network
  b.txs[0].outputs[payout].payout_signature =
      SignRegistration(worker, GenesisHash(TestParams()), Payout(0)).signature;
  Reseal(&b, producer);
  ExpectRejected(b, "bad-txns-payout-sig");
  node_->MustProcess(good);
  EXPECT_EQ(node_->Tip().FindWorker(worker.PublicKey())->payout, Payout(0));
}

// Coins need kCoinbaseMaturity blocks, so this chain has no workers: anyone
// may produce, and the producer's zero-fee output is the coin spent.
TEST_F(ConsensusTest, RejectsDoubleSpend) {
  const PrivateKey& key = workers_[0];
  std::vector<Block> blocks;
  for (uint32_t i = 0; i <= kCoinbaseMaturity; ++i) {
    Block b;
    ASSERT_TRUE(node_->Build(node_->Tip(), node_->Tip().time + 1, {}, workers_, &b).ok());
    node_->MustProcess(b);
    blocks.push_back(b);
  }
  const OutPoint coin{blocks[0].txs[0].Txid(), 0};
  const TxOut spent = blocks[0].txs[0].outputs[0];
  auto spend = [&](uint8_t tag) {
    Transaction tx;
    tx.inputs.push_back(TxIn{coin, key.PublicKey(), {}});
    Uint256 lock;
    lock.data()[0] = tag;
    tx.outputs.push_back(TxOut{0, OutputKind::kPayToKeyHash, lock});
    EXPECT_TRUE(SignInput(&tx, 0, spent, key).ok());
    return tx;
  };
  // The assembler builds only valid blocks: the second spend goes in after.
  Block both;
  ASSERT_TRUE(
      node_->Build(node_->Tip(), node_->Tip().time + 1, {}, workers_, &both, {}, {spend(1)}).ok());
  both.txs.push_back(spend(2));
  Reseal(&both, Producer(both));
  ExpectRejected(both, "bad-txns-inputs-missingorspent");

  Block once;
  ASSERT_TRUE(
      node_->Build(node_->Tip(), node_->Tip().time + 1, {}, workers_, &once, {}, {spend(1)}).ok());
  node_->MustProcess(once);
  Block again;
  ASSERT_TRUE(node_->Build(node_->Tip(), node_->Tip().time + 1, {}, workers_, &again).ok());
  again.txs.push_back(spend(2));
  Reseal(&again, Producer(again));
  ExpectRejected(again, "bad-txns-inputs-missingorspent");
}

// What -verify=sample trades away: a node that does not re-execute a record
// accepts a wrong output in it; a node verifying all records refuses it.
TEST_F(ConsensusTest, SampledOutRecordIsNotReexecuted) {
  Register();
  // One record (that no other reads), its output then altered: the header's
  // commitments do not depend on output values until the step completes.
  Block b;
  ASSERT_TRUE(node_->Build(node_->Tip(), node_->Tip().time + 1, workers_, workers_, &b, {}, {}, 0,
                           /*max_records=*/1)
                  .ok());
  ASSERT_EQ(b.records.size(), 1u);
  WorkRecord& r = b.records[0];
  const compute::EncodedTensor t = node_->Tensor(r.outputs[0]);
  std::vector<float> values;
  ASSERT_TRUE(compute::DecodeFloats(t, &values).ok());
  for (float& v : values) v *= 1.5f;
  r.outputs[0] = node_->Put(compute::EncodeFloats(values, t.shape, t.codec), 0);
  r.signature = Worker(r.worker).Sign(r.SigningHash());
  Reseal(&b, Producer(b));
  ExpectRejected(b, "bad-work-output-mismatch");

  // A node that samples (practically never re-executes) accepts the same block.
  Node sampler(Dir("sampler"));
  VerifyPolicy sampling;
  sampling.sample = 1e-12;
  sampler.SetVerifyPolicy(sampling);
  Block registration;
  ASSERT_TRUE(node_->chain().ReadBlock(node_->Tip().block_hash, &registration).ok());
  sampler.MustProcess(registration);
  sampler.FetchTensors(*node_, b);
  ValidationState state;
  EXPECT_TRUE(sampler.Process(b, &state)) << state.ToString();
}

// Node a mines three blocks past the registration; node b, from the same
// fork point, four at other times (other slots). Given b's blocks and their
// tensors, a switches to b's branch on the fourth: its consensus state and
// UTXO set become exactly b's, although a never ran b's branch on its own.
TEST_F(ConsensusTest, ReorgRestoresForkPointAndConnectsOtherBranch) {
  Register();
  const ConsensusState fork = node_->Tip();
  Node other(Dir("b"));
  Block registration;
  ASSERT_TRUE(node_->chain().ReadBlock(fork.block_hash, &registration).ok());
  other.MustProcess(registration);
  ASSERT_EQ(other.Tip(), fork);

  for (int i = 0; i < 3; ++i) node_->MustProcess(Next());
  const ConsensusState a_tip = node_->Tip();
  ASSERT_EQ(a_tip.step, 3u);

  std::vector<Block> branch;
  for (int i = 0; i < 4; ++i) {
    Block b;
    const ConsensusState parent = other.Tip();
    ASSERT_TRUE(other.Build(parent, parent.time + 2, workers_, workers_, &b).ok());
    other.MustProcess(b);
    branch.push_back(b);
  }
  const ConsensusState b_tip = other.Tip();
  ASSERT_GT(b_tip.accepted_work, a_tip.accepted_work);

  for (size_t i = 0; i < branch.size(); ++i) {
    node_->FetchTensors(other, branch[i]);
    node_->MustProcess(branch[i]);
    // Less or equal work: stored, not switched to.
    if (i + 1 < branch.size()) {
      EXPECT_EQ(node_->Tip().block_hash, a_tip.block_hash);
    }
  }
  EXPECT_EQ(Serialize(node_->Tip()), Serialize(b_tip));
  EXPECT_EQ(node_->Utxo(), other.Utxo());
  EXPECT_EQ(node_->Tip().step, 4u);
  EXPECT_NE(node_->Tip().StateRoot(), a_tip.StateRoot());
}

// Worker 3 never computes: its units pass to the next rank after the unit
// timeout, and the step completes without it.
TEST_F(ConsensusTest, SilentWorkerIsReplacedAfterTimeout) {
  Register();
  const std::vector<PrivateKey> alive{workers_[0], workers_[1]};
  const XOnlyPubKeyBytes silent = workers_[2].PublicKey();
  const int64_t timeout = node_->params_.unit_timeout;
  int blocks = 0;
  while (node_->Tip().step < 2) {
    ASSERT_LT(++blocks, 20) << "the step does not complete";
    Block b;
    // The block's time moves by a whole timeout, so units stuck with the
    // silent worker pass to the next rank; the slot may be the silent
    // worker's too, so try the fallback slots.
    Status s;
    for (int64_t dt = timeout; dt < timeout + 4 * node_->params_.slot_timeout; dt += 1) {
      s = node_->Build(node_->Tip(), node_->Tip().time + dt, alive, alive, &b);
      if (!s.IsNotFound()) break;
    }
    ASSERT_TRUE(s.ok()) << s.ToString();
    for (const WorkRecord& r : b.records) EXPECT_NE(r.worker, silent);
    node_->MustProcess(b);
  }
  EXPECT_GT(blocks, 2) << "some unit must have waited for the silent worker";
  EXPECT_EQ(node_->Tip().FindWorker(silent)->records, 0u);
}

// A record made in its worker's turn stays valid after the unit passes on:
// records computed at one attempt are carried by a block a whole timeout
// later, when every unit ready since the step's start has moved to the next
// rank. (Before, such a block dropped them: relayed work that missed its
// window was wasted, and under load a dead worker's units could cycle
// through windows that each closed before a block carried their record.)
TEST_F(ConsensusTest, RecordOfAnEarlierAttemptIsCarriedLater) {
  Register();
  const int64_t timeout = node_->params_.unit_timeout;
  const ConsensusState tip = node_->Tip();
  // Every worker computes: which of them holds a unit at an attempt depends
  // on the registration block's hash, which the random auxiliary data of its
  // payout signatures changes from run to run.
  Block first;
  ASSERT_TRUE(node_->Build(tip, tip.time + timeout, workers_, workers_, &first).ok());
  ASSERT_FALSE(first.records.empty());

  AssemblyRequest later;
  later.time = first.header.time + timeout;
  later.records = first.records;
  later.producers = workers_;
  Block carried;
  ASSERT_TRUE(node_->manager_.Assemble(tip.block_hash, later, &carried).ok());
  EXPECT_EQ(carried.records, first.records);
  node_->MustProcess(carried);
  EXPECT_EQ(node_->Tip().accepted_work, tip.accepted_work + first.records.size());
}

// A registered worker that stops computing costs one unit_timeout per unit
// for one step only: the step after it gets no units (ABSENCE,
// consensus/schedule.h), so the others' units never wait for it; producing
// a block in its slot brings it back from the next step on.
TEST_F(ConsensusTest, AbsentWorkerGetsNoUnitsUntilItProducesAgain) {
  Register();
  const ChainParams& params = node_->params_;
  const XOnlyPubKeyBytes dead = workers_[2].PublicKey();
  const std::vector<PrivateKey> alive{workers_[0], workers_[1]};
  // Blocks by `producers`, each unit_timeout after its parent so that units
  // of a silent worker pass on, until the chain reaches `step`.
  auto run_to_step = [&](uint64_t step, std::span<const PrivateKey> producers) {
    for (int blocks = 0; node_->Tip().step < step; ++blocks) {
      ASSERT_LT(blocks, 100) << "stuck at step " << node_->Tip().step;
      const ConsensusState tip = node_->Tip();
      Block b;
      Status s = node_->Build(tip, tip.time + params.unit_timeout, alive, producers, &b);
      if (s.IsNotFound())  // the slot is a silent key's: the next rank's comes
        s = node_->Build(tip, tip.time + params.unit_timeout + params.slot_timeout, alive,
                         producers, &b);
      ASSERT_TRUE(s.ok()) << s.ToString();
      node_->MustProcess(b);
    }
  };

  // Step 1: the dead worker is still given units, which pass on.
  run_to_step(1, alive);
  ASSERT_EQ(node_->Tip().unit_order.size(), 3u);
  run_to_step(2, alive);
  // Step 2: it did nothing in step 1, so it is left out.
  const std::vector<XOnlyPubKeyBytes> without = node_->Tip().unit_order;
  EXPECT_EQ(without.size(), 2u);
  EXPECT_EQ(std::count(without.begin(), without.end(), dead), 0);
  // Nothing of step 2 waits for it: one block at parent time + 1 (attempt 0
  // everywhere) carries every unit ready at the step's start.
  {
    const ConsensusState tip = node_->Tip();
    compute::Partition partition;
    ASSERT_TRUE(compute::PartitionModel(params.model, params.model.sections, &partition).ok());
    const compute::StepPlan plan = compute::BuildStepPlan(params.model, partition, tip.step);
    size_t ready = 0;
    for (const compute::PlannedUnit& unit : plan.units) ready += IsReady(tip, unit) ? 1 : 0;
    Block b;
    Status s = node_->Build(tip, tip.time + 1, alive, workers_, &b);
    if (s.IsNotFound()) s = node_->Build(tip, tip.time + 1 + params.slot_timeout, alive, workers_, &b);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_GE(b.records.size(), ready);
    node_->MustProcess(b);
  }

  // It produces a block in its slot (computing nothing) and returns at step 3.
  {
    const ConsensusState tip = node_->Tip();
    int64_t t = tip.time + 1;
    while (*ScheduledProducer(params, tip, tip.height + 1, t) != dead) t += params.slot_timeout;
    Block b;
    const std::vector<PrivateKey> only_dead{workers_[2]};
    ASSERT_TRUE(node_->Build(tip, t, alive, only_dead, &b).ok());
    node_->MustProcess(b);
    EXPECT_EQ(node_->Tip().FindWorker(dead)->active_step, node_->Tip().step);
  }
  run_to_step(3, alive);
  EXPECT_EQ(node_->Tip().unit_order.size(), 3u);
}

TEST_F(ConsensusTest, MissedSlotPassesToNextRank) {
  Register();
  const ChainParams& params = node_->params_;
  const int64_t t0 = node_->Tip().time + 1;
  const XOnlyPubKeyBytes first = *ScheduledProducer(params, node_->Tip(), 2, t0);
  const XOnlyPubKeyBytes second =
      *ScheduledProducer(params, node_->Tip(), 2, t0 + params.slot_timeout);
  ASSERT_NE(first, second);
  std::vector<PrivateKey> others;
  for (const PrivateKey& k : workers_)
    if (k.PublicKey() != first) others.push_back(k);

  Block b;
  EXPECT_TRUE(node_->Build(node_->Tip(), t0, workers_, others, &b).IsNotFound());
  // Signed by the next rank before the slot passed to it.
  Block early = Next();
  Reseal(&early, Worker(second));
  ExpectRejected(early, "bad-producer");
  ASSERT_TRUE(node_->Build(node_->Tip(), t0 + params.slot_timeout, workers_, others, &b).ok());
  EXPECT_EQ(b.header.producer, second);
  node_->MustProcess(b);
}

// Block time picks the producer's slot and every unit's attempt, so a
// producer who moves it ahead could take the next rank's slot or pass an
// honest worker's units to the next rank. On a live chain (the tip's time
// is now) both need a time past max_future_time and are refused.
TEST_F(ConsensusTest, GrindingTimeCannotTakeASlotOrReassignUnits) {
  const ChainParams& params = node_->params_;
  const int64_t now = std::time(nullptr);
  {
    Block b;
    std::vector<WorkerRegistration> regs;
    for (size_t i = 0; i < workers_.size(); ++i)
      regs.push_back(SignRegistration(workers_[i], GenesisHash(RegtestParams()), Payout(i)));
    ASSERT_TRUE(node_->Build(node_->Tip(), now, {}, workers_, &b, regs).ok());
    node_->MustProcess(b);
  }
  const ConsensusState tip = node_->Tip();
  const XOnlyPubKeyBytes holder = *ScheduledProducer(params, tip, tip.height + 1, tip.time);
  std::vector<PrivateKey> others;
  for (const PrivateKey& k : workers_)
    if (k.PublicKey() != holder) others.push_back(k);

  // The next rank's slot starts slot_timeout after the parent: beyond reach.
  const int64_t next_slot = tip.time + 1 + params.slot_timeout;
  ASSERT_GT(next_slot, now + params.max_future_time);
  Block slot_thief;
  ASSERT_TRUE(node_->Build(tip, next_slot, workers_, others, &slot_thief).ok());
  ExpectRejected(slot_thief, "time-too-new");

  // A unit made ready by a block of time `now` stays with its attempt-0
  // worker until now + unit_timeout: passing it on needs that time, beyond
  // reach as well.
  Block honest;
  ASSERT_TRUE(node_->Build(tip, now, workers_, workers_, &honest).ok());
  ASSERT_FALSE(honest.records.empty());
  const int64_t reassign = honest.header.time + params.unit_timeout;
  ASSERT_GT(reassign, now + params.max_future_time);
  Block thief;
  ASSERT_TRUE(node_->Build(tip, reassign, workers_, workers_, &thief).ok());
  ExpectRejected(thief, "time-too-new");
  // At a time within reach the honest block is accepted.
  node_->MustProcess(honest);
}

// A second node given the same blocks (and their tensors, as peers would
// serve them) reaches the same state after every block.
TEST_F(ConsensusTest, ReplayFromGenesisReproducesEveryState) {
  Register();
  for (int i = 0; i < 4; ++i) node_->MustProcess(Next());
  Uint256 tip;
  uint32_t height = 0;
  ASSERT_TRUE(node_->chain().GetTip(&tip, &height).ok());

  Node fresh(Dir("b"));
  for (uint32_t h = 1; h <= height; ++h) {
    Uint256 hash;
    Block b;
    ASSERT_TRUE(node_->chain().GetBlockHashAtHeight(h, &hash).ok());
    ASSERT_TRUE(node_->chain().ReadBlock(hash, &b).ok());
    fresh.FetchTensors(*node_, b);
    fresh.MustProcess(b);
    EXPECT_EQ(Serialize(fresh.Tip()), Serialize(node_->State(hash))) << "height " << h;
  }
  EXPECT_EQ(fresh.Utxo(), node_->Utxo());
}

}  // namespace
}  // namespace cc
