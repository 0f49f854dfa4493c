// Consensus through a real chain: LevelDB ChainState and TensorStore in a
// temp dir, the libtorch engine on the regtest (`tiny`) model, in-process
// workers with their own keys. Blocks are built by AssembleBlock and judged
// by ConnectBlock; a block is connected to the ChainState only when valid,
// and the ConsensusState after each block is kept per block hash.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
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
#include "compute/model.h"
#include "compute/params.h"
#include "compute/partition.h"
#include "compute/tensor_store.h"
#include "consensus/assembler.h"
#include "consensus/connect.h"
#include "consensus/consensus_state.h"
#include "consensus/fork_choice.h"
#include "consensus/genesis.h"
#include "consensus/schedule.h"

namespace cc {
namespace {

PrivateKey KeyFromSeed(uint8_t seed) {
  std::array<uint8_t, 32> bytes{};
  bytes[31] = seed;
  bytes[0] = 0x42;
  return *PrivateKey::FromBytes(bytes);
}

double RelativeL2(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  const double norm = std::sqrt(std::max(na, nb));
  return norm == 0 ? 0 : std::sqrt(diff) / norm;
}

class Node {
 public:
  explicit Node(const std::string& dir) : params_(RegtestParams()) {
    std::filesystem::create_directories(dir);
    BlockStoreOptions options;
    options.sync = false;
    EXPECT_TRUE(ChainState::Open(dir + "/chainstate", options, &chain_).ok());
    compute::TensorStoreOptions topts;
    topts.sync = false;
    EXPECT_TRUE(compute::TensorStore::Open(dir + "/tensors", topts, &tensors_).ok());
    EXPECT_TRUE(compute::MakeTorchEngine(params_.model, {}, &engine_).ok());
    EXPECT_TRUE(TrainingDataset(params_, &dataset_).ok());
    const Block genesis = BuildGenesisBlock(params_);
    EXPECT_TRUE(chain_->ConnectTip(genesis).ok());
    std::vector<compute::EncodedTensor> initial;
    Status s = GenesisState(genesis, *engine_, &tip_, &initial);
    EXPECT_TRUE(s.ok()) << s.ToString();
    for (const compute::EncodedTensor& t : initial) EXPECT_TRUE(tensors_->Put(t, 0, nullptr).ok());
    states_[tip_.block_hash] = tip_;
  }

  BlockContext Context() {
    BlockContext ctx;
    ctx.params = &params_;
    ctx.engine = engine_.get();
    ctx.dataset = &dataset_;
    ctx.coins = chain_.get();
    ctx.fetch = [this](const Uint256& h, compute::EncodedTensor* t) { return tensors_->Get(h, t); };
    ctx.now = tip_.time + 1000;
    ctx.policy = policy_;
    return ctx;
  }
  TensorSink Sink() {
    return [this](const compute::EncodedTensor& t, uint64_t step, Uint256* h) {
      return tensors_->Put(t, step, h);
    };
  }

  // Builds a block on `parent` with the given workers computing.
  Status Build(const ConsensusState& parent, int64_t time, std::span<const PrivateKey> workers,
               std::span<const PrivateKey> producers, Block* out,
               std::vector<XOnlyPubKeyBytes> register_keys = {},
               std::vector<Transaction> txs = {}, Amount fees = 0) {
    AssemblyRequest request;
    request.time = time;
    request.workers = workers;
    request.producers = producers;
    request.register_keys = std::move(register_keys);
    request.txs = std::move(txs);
    request.fees = fees;
    return AssembleBlock(parent, Context(), Sink(), request, out);
  }

  // Validates `block` on the tip and connects it; the tip is unchanged on failure.
  bool Process(const Block& block, ValidationState* state) {
    ConsensusState next;
    if (!ConnectBlock(tip_, block, Context(), &next, state)) return false;
    const Status s = chain_->ConnectTip(block);
    if (!s.ok()) return state->Error(s.ToString());
    tip_ = next;
    states_[tip_.block_hash] = tip_;
    return true;
  }
  void MustProcess(const Block& block) {
    ValidationState state;
    ASSERT_TRUE(Process(block, &state)) << state.ToString();
  }

  // Back to `hash` (an ancestor on the main chain), reloading its snapshot.
  void RewindTo(const Uint256& hash) {
    Uint256 tip;
    uint32_t height;
    while (chain_->GetTip(&tip, &height).ok() && tip != hash) {
      ASSERT_TRUE(chain_->DisconnectTip(nullptr).ok());
    }
    tip_ = states_.at(hash);
  }

  std::vector<uint8_t> Utxo() const {
    std::vector<uint8_t> out;
    EXPECT_TRUE(chain_->utxo().SerializeCoins(&out).ok());
    return out;
  }

  const ChainParams& params_;
  std::unique_ptr<ChainState> chain_;
  std::unique_ptr<compute::TensorStore> tensors_;
  std::unique_ptr<compute::Engine> engine_;
  compute::Dataset dataset_;
  ConsensusState tip_;
  std::map<Uint256, ConsensusState> states_;
  VerifyPolicy policy_;
};

class ConsensusTest : public testing::Test {
 protected:
  ConsensusTest()
      : dir_(std::filesystem::temp_directory_path() /
             ("cc_consensus_" + std::to_string(getpid()) + "_" +
              testing::UnitTest::GetInstance()->current_test_info()->name())),
        workers_{KeyFromSeed(1), KeyFromSeed(2), KeyFromSeed(3)} {
    std::filesystem::remove_all(dir_);
    node_ = std::make_unique<Node>(dir_.string() + "/a");
  }
  ~ConsensusTest() override {
    node_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Block 1: the three workers register with zero-value bonds.
  void Register() {
    Block b;
    std::vector<XOnlyPubKeyBytes> keys;
    for (const PrivateKey& k : workers_) keys.push_back(k.PublicKey());
    ASSERT_TRUE(node_->Build(node_->tip_, node_->tip_.time + 1, {}, workers_, &b, keys).ok());
    node_->MustProcess(b);
    ASSERT_EQ(node_->tip_.workers.size(), 3u);
  }

  // One block at parent time + 1 with every worker computing.
  Block Next(int64_t dt = 1) {
    Block b;
    Status s = node_->Build(node_->tip_, node_->tip_.time + dt, workers_, workers_, &b);
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
    const std::vector<uint8_t> before = Serialize(node_->tip_);
    const std::vector<uint8_t> utxo = node_->Utxo();
    ValidationState state;
    EXPECT_FALSE(node_->Process(b, &state));
    EXPECT_EQ(state.reason(), reason) << state.ToString();
    EXPECT_EQ(Serialize(node_->tip_), before);
    EXPECT_EQ(node_->Utxo(), utxo);
  }

  std::filesystem::path dir_;
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

TEST(ScheduleTest, LongestWaitingFirstThenRotation) {
  ConsensusState parent;
  parent.block_hash = Uint256::FromHex(std::string(64, '7')).value();
  WorkerEntry a, b, c;
  a.key[0] = 0xa;
  a.registered_height = 1;
  a.has_work = true;
  a.last_work_height = 9;
  b.key[0] = 0xb;
  b.registered_height = 5;  // never worked: waiting since 5
  c.key[0] = 0xc;
  c.registered_height = 1;
  c.has_work = true;
  c.last_work_height = 7;
  parent.workers = {a, b, c};
  const std::vector<XOnlyPubKeyBytes> order = WorkerOrder(parent);
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order[0], b.key);
  EXPECT_EQ(order[1], c.key);
  EXPECT_EQ(order[2], a.key);

  EXPECT_EQ(Attempt(100, 100, 60), 0u);
  EXPECT_EQ(Attempt(100, 159, 60), 0u);
  EXPECT_EQ(Attempt(100, 160, 60), 1u);
  EXPECT_EQ(Attempt(100, 50, 60), 0u);
  EXPECT_EQ(*AssignedWorker(order, 4, 0), c.key);  // 4 mod 3 = 1
  EXPECT_EQ(*AssignedWorker(order, 4, 1), a.key);  // the next rank after a timeout
  EXPECT_FALSE(AssignedWorker({}, 0, 0).has_value());
}

TEST(VerifyPolicyTest, SampleIsAFractionAndDependsOnTheSalt) {
  VerifyPolicy all;
  VerifyPolicy half;
  half.sample = 0.5;
  half.salt.data()[0] = 1;
  VerifyPolicy other = half;
  other.salt.data()[0] = 2;
  int picked = 0, differ = 0;
  for (int i = 0; i < 1000; ++i) {
    const Uint256 h = Sha256Hash(AsBytes(std::to_string(i)));
    EXPECT_TRUE(all.ShouldVerify(h));
    picked += half.ShouldVerify(h);
    differ += half.ShouldVerify(h) != other.ShouldVerify(h);
    EXPECT_EQ(half.ShouldVerify(h), half.ShouldVerify(h));
  }
  EXPECT_GT(picked, 400);
  EXPECT_LT(picked, 600);
  EXPECT_GT(differ, 300);
}

TEST(ForkChoiceTest, MostWorkThenFirstSeen) {
  EXPECT_TRUE(IsBetterTip({10, 9}, {9, 1}));
  EXPECT_FALSE(IsBetterTip({9, 0}, {10, 5}));
  EXPECT_TRUE(IsBetterTip({10, 1}, {10, 2}));
  EXPECT_FALSE(IsBetterTip({10, 2}, {10, 1}));
}

// Twenty steps by three workers through the chain equal twenty monolithic
// libtorch steps within ε, and each worker is paid one coin per record.
TEST_F(ConsensusTest, ThreeWorkersTrainTwentyStepsLikeMonolithic) {
  constexpr uint64_t kSteps = 20;
  Register();
  std::map<XOnlyPubKeyBytes, uint64_t> records, coins;
  std::vector<Block> blocks;
  while (node_->tip_.step < kSteps) {
    const Block b = Next();
    ASSERT_FALSE(b.records.empty());
    node_->MustProcess(b);
    EXPECT_EQ(b.header.state_root, node_->tip_.StateRoot());
    for (const WorkRecord& r : b.records) ++records[r.worker];
    for (const TxOut& out : b.txs[0].outputs)
      for (const PrivateKey& k : workers_)
        if (out.lock == KeyHash(k.PublicKey()) && out.value == kCoin) ++coins[k.PublicKey()];
    ASSERT_LE(node_->tip_.height, kSteps + 2) << "one step per block";
  }
  ASSERT_EQ(node_->tip_.step, kSteps);

  // Every worker took part and is paid exactly one coin per accepted record.
  uint64_t total = 0;
  for (const PrivateKey& k : workers_) {
    const WorkerEntry* w = node_->tip_.FindWorker(k.PublicKey());
    ASSERT_NE(w, nullptr);
    EXPECT_GT(w->records, 0u);
    EXPECT_EQ(w->records, records[k.PublicKey()]);
    EXPECT_EQ(coins[k.PublicKey()], records[k.PublicKey()]);
    total += w->records;
  }
  EXPECT_EQ(total, node_->tip_.accepted_work);

  // The chain's weights against the monolithic reference.
  const compute::ModelConfig& config = node_->params_.model;
  compute::ReferenceTrainer reference(config, compute::InitialParams(config), "cpu");
  for (uint64_t t = 0; t < kSteps; ++t) {
    std::vector<compute::EncodedTensor> tokens, targets, masks;
    for (uint32_t lane = 0; lane < config.lanes; ++lane) {
      compute::EncodedBatch batch;
      ASSERT_TRUE(compute::LaneBatch(node_->dataset_, config, t, lane, &batch).ok());
      tokens.push_back(batch.inputs);
      targets.push_back(batch.targets);
      masks.push_back(batch.mask);
    }
    float loss = 0;
    ASSERT_TRUE(reference.Step(t, tokens, targets, masks, &loss).ok());
  }
  const compute::ParamValues expected = reference.Params();
  const compute::Partition& partition = node_->engine_->partition();
  for (uint32_t s = 0; s < partition.sections.size(); ++s) {
    compute::EncodedTensor weights;
    ASSERT_TRUE(node_->tensors_->Get(node_->tip_.sections[s].weights, &weights).ok());
    std::vector<float> flat;
    ASSERT_TRUE(compute::DecodeFloats(weights, &flat).ok());
    EXPECT_LE(RelativeL2(flat, compute::GatherSection(config, partition.sections[s], expected)),
              config.tolerance)
        << "section " << s;
  }
  EXPECT_GT(node_->tip_.last_loss, 0.0f);
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
    b.txs[0].outputs[0].lock = KeyHash(r.worker);
    Reseal(&b, producer);
    ExpectRejected(b, "bad-work-unassigned");
  }
  {  // The assigned worker commits an output that is not what the unit computes.
    Block b = good;
    WorkRecord& r = b.records[0];
    compute::EncodedTensor t;
    ASSERT_TRUE(node_->tensors_->Get(r.outputs[0], &t).ok());
    std::vector<float> values;
    ASSERT_TRUE(compute::DecodeFloats(t, &values).ok());
    for (float& v : values) v += 0.01f;
    Uint256 perturbed;
    ASSERT_TRUE(node_->tensors_->Put(compute::EncodeFloats(values, t.shape, t.codec), 1, &perturbed)
                    .ok());
    r.outputs[0] = perturbed;
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
    b.header.time = node_->tip_.time;
    Reseal(&b, producer);
    ExpectRejected(b, "time-too-old");
  }
  {
    Block b = good;
    b.header.time = node_->Context().now + node_->params_.max_future_time + 1;
    Reseal(&b, producer);
    ExpectRejected(b, "time-too-new");
  }
  {
    Block b = good;
    b.header.prev = Uint256();
    Reseal(&b, producer);
    ExpectRejected(b, "bad-prevblk");
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

// Coins need kCoinbaseMaturity blocks, so this chain has no workers: anyone
// may produce, and the producer's zero-fee output is the coin spent.
TEST_F(ConsensusTest, RejectsDoubleSpend) {
  const PrivateKey& key = workers_[0];
  std::vector<Block> blocks;
  for (uint32_t i = 0; i <= kCoinbaseMaturity; ++i) {
    Block b;
    ASSERT_TRUE(node_->Build(node_->tip_, node_->tip_.time + 1, {}, workers_, &b).ok());
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
  Block both;
  ASSERT_TRUE(node_->Build(node_->tip_, node_->tip_.time + 1, {}, workers_, &both, {},
                           {spend(1), spend(2)})
                  .ok());
  ExpectRejected(both, "bad-txns-inputs-missingorspent");

  Block once;
  ASSERT_TRUE(
      node_->Build(node_->tip_, node_->tip_.time + 1, {}, workers_, &once, {}, {spend(1)}).ok());
  node_->MustProcess(once);
  Block again;
  ASSERT_TRUE(
      node_->Build(node_->tip_, node_->tip_.time + 1, {}, workers_, &again, {}, {spend(2)}).ok());
  ExpectRejected(again, "bad-txns-inputs-missingorspent");
}

// What -verify=sample trades away: a node that does not re-execute a record
// accepts a wrong output in it; a node verifying all records refuses it.
TEST_F(ConsensusTest, SampledOutRecordIsNotReexecuted) {
  Register();
  Block b = Next();
  WorkRecord& r = b.records[0];
  compute::EncodedTensor t;
  ASSERT_TRUE(node_->tensors_->Get(r.outputs[0], &t).ok());
  std::vector<float> values;
  ASSERT_TRUE(compute::DecodeFloats(t, &values).ok());
  for (float& v : values) v *= 1.5f;
  ASSERT_TRUE(
      node_->tensors_->Put(compute::EncodeFloats(values, t.shape, t.codec), 0, &r.outputs[0]).ok());
  r.signature = Worker(r.worker).Sign(r.SigningHash());
  // Downstream records were computed from the honest output; keep only the
  // records that do not read it, i.e. the first one.
  b.records.resize(1);
  b.txs[0].outputs.erase(b.txs[0].outputs.begin() + 1,
                         b.txs[0].outputs.begin() + static_cast<long>(b.txs[0].outputs.size()) - 1);
  b.header.state_root = node_->tip_.StateRoot();
  Reseal(&b, Producer(b));
  ExpectRejected(b, "bad-work-output-mismatch");

  node_->policy_.sample = 1e-12;  // practically never re-execute
  ValidationState state;
  EXPECT_TRUE(node_->Process(b, &state)) << state.ToString();
}

TEST_F(ConsensusTest, ReorgRestoresForkPointAndConnectsOtherBranch) {
  Register();
  const ConsensusState fork = node_->tip_;
  const std::vector<uint8_t> fork_utxo = node_->Utxo();
  for (int i = 0; i < 3; ++i) node_->MustProcess(Next());
  const ConsensusState a_tip = node_->tip_;
  ASSERT_EQ(a_tip.step, 3u);

  // The other branch: four blocks at other times (other slots), built on the
  // fork point's snapshot.
  std::vector<Block> branch;
  ConsensusState parent = fork;
  for (int i = 0; i < 4; ++i) {
    Block b;
    ASSERT_TRUE(node_->Build(parent, parent.time + 2, workers_, workers_, &b).ok());
    ConsensusState next;
    ValidationState state;
    ASSERT_TRUE(ConnectBlock(parent, b, node_->Context(), &next, &state)) << state.ToString();
    ASSERT_TRUE(node_->chain_->StoreBlock(b).ok());
    branch.push_back(b);
    parent = next;
  }
  BlockIndexEntry a_entry, b_entry;
  ASSERT_TRUE(node_->chain_->ReadIndex(a_tip.block_hash, &a_entry).ok());
  ASSERT_TRUE(node_->chain_->ReadIndex(branch.back().Hash(), &b_entry).ok());
  ASSERT_TRUE(IsBetterTip({parent.accepted_work, b_entry.sequence},
                          {a_tip.accepted_work, a_entry.sequence}));

  Uint256 fork_hash;
  ASSERT_TRUE(node_->chain_->FindFork(branch.back().Hash(), &fork_hash).ok());
  ASSERT_EQ(fork_hash, fork.block_hash);
  node_->RewindTo(fork_hash);
  EXPECT_EQ(Serialize(node_->tip_), Serialize(fork));
  EXPECT_EQ(node_->Utxo(), fork_utxo);

  for (const Block& b : branch) node_->MustProcess(b);
  EXPECT_EQ(node_->tip_, parent);
  EXPECT_EQ(node_->tip_.step, 4u);
  EXPECT_NE(node_->tip_.StateRoot(), a_tip.StateRoot());
}

// Worker 3 never computes: its units pass to the next rank after the unit
// timeout, and the step completes without it.
TEST_F(ConsensusTest, SilentWorkerIsReplacedAfterTimeout) {
  Register();
  const std::vector<PrivateKey> alive{workers_[0], workers_[1]};
  const XOnlyPubKeyBytes silent = workers_[2].PublicKey();
  const int64_t timeout = node_->params_.unit_timeout;
  int blocks = 0;
  while (node_->tip_.step < 2) {
    ASSERT_LT(++blocks, 20) << "the step does not complete";
    Block b;
    // The block's time moves by a whole timeout, so units stuck with the
    // silent worker pass to the next rank; the slot may be the silent
    // worker's too, so try the fallback slots.
    Status s;
    for (int64_t dt = timeout; dt < timeout + 4 * node_->params_.slot_timeout; dt += 1) {
      s = node_->Build(node_->tip_, node_->tip_.time + dt, alive, alive, &b);
      if (!s.IsNotFound()) break;
    }
    ASSERT_TRUE(s.ok()) << s.ToString();
    for (const WorkRecord& r : b.records) EXPECT_NE(r.worker, silent);
    node_->MustProcess(b);
  }
  EXPECT_GT(blocks, 2) << "some unit must have waited for the silent worker";
  EXPECT_EQ(node_->tip_.FindWorker(silent)->records, 0u);
}

TEST_F(ConsensusTest, MissedSlotPassesToNextRank) {
  Register();
  const ChainParams& params = node_->params_;
  const int64_t t0 = node_->tip_.time + 1;
  const XOnlyPubKeyBytes first = *ScheduledProducer(params, node_->tip_, 2, t0);
  const XOnlyPubKeyBytes second =
      *ScheduledProducer(params, node_->tip_, 2, t0 + params.slot_timeout);
  ASSERT_NE(first, second);
  std::vector<PrivateKey> others;
  for (const PrivateKey& k : workers_)
    if (k.PublicKey() != first) others.push_back(k);

  Block b;
  EXPECT_TRUE(node_->Build(node_->tip_, t0, workers_, others, &b).IsNotFound());
  // Signed by the next rank before the slot passed to it.
  Block early = Next();
  Reseal(&early, Worker(second));
  ExpectRejected(early, "bad-producer");
  ASSERT_TRUE(node_->Build(node_->tip_, t0 + params.slot_timeout, workers_, others, &b).ok());
  EXPECT_EQ(b.header.producer, second);
  node_->MustProcess(b);
}

TEST_F(ConsensusTest, ReplayFromGenesisReproducesEveryState) {
  Register();
  for (int i = 0; i < 4; ++i) node_->MustProcess(Next());
  Uint256 tip;
  uint32_t height = 0;
  ASSERT_TRUE(node_->chain_->GetTip(&tip, &height).ok());

  Node fresh(dir_.string() + "/b");
  fresh.tensors_ = std::move(node_->tensors_);
  for (uint32_t h = 1; h <= height; ++h) {
    Uint256 hash;
    Block b;
    ASSERT_TRUE(node_->chain_->GetBlockHashAtHeight(h, &hash).ok());
    ASSERT_TRUE(node_->chain_->ReadBlock(hash, &b).ok());
    fresh.MustProcess(b);
    EXPECT_EQ(Serialize(fresh.tip_), Serialize(node_->states_.at(hash))) << "height " << h;
  }
  EXPECT_EQ(fresh.Utxo(), node_->Utxo());
}

}  // namespace
}  // namespace cc
