// PeerManager over real loopback sockets: two in-process nodes (ConnMan +
// PeerManager + ChainManager, LevelDB stores in temporary directories,
// ephemeral ports on 127.0.0.1) sync and relay; a raw peer speaking the
// framing by hand checks the DoS rules. Chains are regtest blocks without
// work records (consensus assembler, as bench_p2p_sync builds them), so no
// unit is computed and the suite runs in seconds.

#include "net/net_processing.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "chain/evidence.h"
#include "chain/fraud_proof.h"
#include "compute/partition.h"
#include "compute/plan.h"
#include "consensus/genesis.h"
#include "tests/net/raw_peer.h"
#include "tests/net_processing/in_process_node.h"
#include "tests/util/test_util.h"

namespace cc::net {
namespace {

using cc::test::RawPeer;
using cc::test::RegtestMagic;
using cc::test::WaitFor;

/** An in-process node with its log kept, and short verbs for the tests. */
class Node {
 public:
  /** `options`: the test's; the user agent and log sink are the Node's. */
  explicit Node(const std::string& dir, cc::test::InProcessNode::Options options = {}) {
    options.peer.user_agent = "/peerman_test/";
    options.peer.log = [this](const std::string& line) {
      std::lock_guard lock(log_mu_);
      log_.push_back(line);
    };
    const Status s = cc::test::InProcessNode::Open(dir, std::move(options), &node_);
    if (!s.ok()) throw std::runtime_error(s.ToString());  // fails the test that made it
  }

  /** Assembles a block without records on our tip, signed by `producer`, registering
   *  `registrations`; not connected. */
  Block Assemble(const PrivateKey& producer,
                 std::vector<WorkerRegistration> registrations = {}) const {
    AssemblyRequest request;
    request.registrations = std::move(registrations);
    // One second past the tip: time must not run ahead of the clock, and a short chain
    // built from genesis stays well behind it.
    request.time = Tip().time + 1;
    request.producers = std::span<const PrivateKey>(&producer, 1);
    Block block;
    Status s = node_->manager().Assemble(Tip().block_hash, request, &block);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return block;
  }
  /** Connects `block` on our tip. */
  void Connect(const Block& block) {
    ValidationState state;
    ASSERT_TRUE(node_->manager().ProcessNewBlock(block, &state)) << state.ToString();
  }
  /** Assembles and connects `n` blocks on our tip. */
  void Generate(uint32_t n, const PrivateKey& producer) {
    for (uint32_t i = 0; i < n; ++i) {
      ValidationState state;
      ASSERT_TRUE(node_->manager().ProcessNewBlock(Assemble(producer), &state))
          << state.ToString();
    }
  }
  /** Index of the first log line containing `text`, or -1. */
  int LogIndex(const std::string& text) {
    std::lock_guard lock(log_mu_);
    for (size_t i = 0; i < log_.size(); ++i)
      if (log_[i].find(text) != std::string::npos) return static_cast<int>(i);
    return -1;
  }
  bool LogHas(const std::string& text) { return LogIndex(text) >= 0; }
  /** How many log lines contain `text`. */
  size_t LogCount(const std::string& text) {
    std::lock_guard lock(log_mu_);
    return static_cast<size_t>(std::count_if(log_.begin(), log_.end(), [&](const std::string& l) {
      return l.find(text) != std::string::npos;
    }));
  }
  std::string Address() const { return node_->Address(); }

  ConsensusState Tip() const { return node_->manager().Tip(); }
  ConnMan& connman() { return node_->connman(); }
  PeerManager& peerman() { return node_->peerman(); }
  BanMan& banman() { return node_->banman(); }

 private:
  std::mutex log_mu_;
  std::vector<std::string> log_;
  std::unique_ptr<cc::test::InProcessNode> node_;  // last: stopped before the log goes
};

/** Options of a node whose waiting blocks, records and proofs expire after `expiry`. */
cc::test::InProcessNode::Options Expiring(std::chrono::milliseconds expiry) {
  cc::test::InProcessNode::Options options;
  options.peer.pending_block_expiry = expiry;
  return options;
}

/** True once `b`'s tip is `a`'s: same block and same model state root. */
bool SameTip(const Node& a, const Node& b) {
  const ConsensusState ta = a.Tip(), tb = b.Tip();
  return ta.block_hash == tb.block_hash && ta.StateRoot() == tb.StateRoot();
}

/** Completes the version/verack handshake as an inbound raw peer. */
void Handshake(RawPeer& raw) {
  VersionMsg version;
  version.services = kNodeNone;
  version.nonce = 0x5eed;
  version.user_agent = "/raw/";
  raw.SendMessage(version);
  ASSERT_TRUE(raw.WaitMessage("verack"));
  raw.SendMessage(VerackMsg{});
}

constexpr uint32_t kChainLength = 30;

TEST(PeerManagerTest, FreshNodeSyncsHeadersFirstToTheSameTipAndStateRoot) {
  cc::test::TempDir dir;
  Node a(dir.Sub("a"));
  a.Generate(kChainLength, cc::test::TestKey(1));
  ASSERT_EQ(a.Tip().height, kChainLength);
  Node b(dir.Sub("b"), {.connect = {a.Address()}});
  ASSERT_TRUE(WaitFor([&] { return SameTip(a, b); }))
      << "b at height " << b.Tip().height << ", best header " << b.peerman().BestHeaderHeight();
  EXPECT_EQ(b.peerman().BestHeaderHeight(), kChainLength);
  EXPECT_FALSE(b.peerman().IsInitialBlockDownload());
  // Headers first: B knew the whole header chain before it connected block 1.
  const int headers = b.LogIndex("Headers: best " + std::to_string(kChainLength) + " ");
  const int first_block = b.LogIndex("Sync: height 1 of " + std::to_string(kChainLength));
  ASSERT_GE(headers, 0);
  ASSERT_GE(first_block, 0);
  EXPECT_LT(headers, first_block);
  const auto stats = b.peerman().GetSyncStats();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].synced_headers, kChainLength);
  EXPECT_FALSE(stats[0].misbehaving);
}

TEST(PeerManagerTest, BlockMadeAfterConnectionIsAnnouncedAndReachesThePeer) {
  cc::test::TempDir dir;
  Node a(dir.Sub("a"));
  a.Generate(3, cc::test::TestKey(1));
  Node b(dir.Sub("b"), {.connect = {a.Address()}});
  ASSERT_TRUE(WaitFor([&] { return SameTip(a, b); }));
  a.Generate(1, cc::test::TestKey(1));
  EXPECT_EQ(a.Tip().height, 4u);
  EXPECT_TRUE(WaitFor([&] { return SameTip(a, b); })) << "b at height " << b.Tip().height;
  // And the other way: B's block reaches A over the same connection.
  b.Generate(1, cc::test::TestKey(2));
  EXPECT_TRUE(WaitFor([&] { return SameTip(a, b); })) << "a at height " << a.Tip().height;
  EXPECT_EQ(a.Tip().height, 5u);
}

TEST(PeerManagerTest, BadChecksumCostsOnlyThatMessage) {
  cc::test::TempDir dir;
  Node a(dir.Sub("a"));
  RawPeer raw(RegtestMagic(), a.connman().GetListenPort());
  ASSERT_TRUE(raw.connected());
  Handshake(raw);
  std::vector<uint8_t> bad;
  Transport framer(RegtestMagic());
  ASSERT_TRUE(framer.MakeFrame("ping", EncodePayload(PingMsg{.nonce = 1}), &bad).ok());
  bad[kChecksumOffset] ^= 1;
  raw.Send(bad);
  raw.SendMessage(PingMsg{.nonce = 2});
  EXPECT_TRUE(raw.WaitMessage("pong"));
  EXPECT_EQ(a.connman().GetPeerCount(true, false), 1u);
  ASSERT_EQ(a.peerman().GetSyncStats().size(), 1u);
  EXPECT_FALSE(a.peerman().GetSyncStats()[0].misbehaving);
  EXPECT_FALSE(a.banman().IsDiscouraged(*Service::Parse("127.0.0.1", 0)));
}

// kMinPeerProtocolVersion was declared but never checked: a version -1
// peer was served. It is now disconnected, without being discouraged.
TEST(PeerManagerTest, PeerBelowTheMinimumProtocolVersionIsDisconnected) {
  cc::test::TempDir dir;
  Node a(dir.Sub("a"));
  RawPeer raw(RegtestMagic(), a.connman().GetListenPort());
  ASSERT_TRUE(raw.connected());
  VersionMsg version;
  version.version = -1;
  version.services = kNodeNone;
  version.nonce = 0x5eed;
  raw.SendMessage(version);
  EXPECT_TRUE(raw.WaitClosed());
  EXPECT_TRUE(a.LogHas("speaks protocol version -1, below 1; disconnecting"));
  EXPECT_FALSE(a.banman().IsDiscouraged(*Service::Parse("127.0.0.1", 0)));
}

TEST(PeerManagerTest, GarbageAndOversizeLengthDisconnectWhileAnHonestPeerStaysSynced) {
  cc::test::TempDir dir;
  Node a(dir.Sub("a"));
  Node b(dir.Sub("b"), {.connect = {a.Address()}});
  ASSERT_TRUE(WaitFor([&] { return a.connman().GetPeerCount(true, false) == 1; }));
  // From 127.0.0.2, so that discouraging the sender's address spares the honest peer.
  RawPeer garbage(RegtestMagic(), a.connman().GetListenPort(), 0, 0x7f000002);
  ASSERT_TRUE(garbage.connected());
  garbage.Send(std::vector<uint8_t>(64, 0x42));  // wrong magic
  EXPECT_TRUE(garbage.WaitClosed());
  // A fresh address: 127.0.0.2 is discouraged now and would be refused at accept.
  RawPeer oversize(RegtestMagic(), a.connman().GetListenPort(), 0, 0x7f000003);
  ASSERT_TRUE(oversize.connected());
  Handshake(oversize);
  std::vector<uint8_t> header(kHeaderSize, 0);
  const MessageStart magic = RegtestMagic();
  std::memcpy(header.data(), magic.data(), kMessageStartSize);
  std::memcpy(header.data() + kCommandOffset, "ping", 4);
  const uint32_t len = 1'000'000;  // ping's payload is 8 bytes
  std::memcpy(header.data() + kPayloadLengthOffset, &len, 4);
  oversize.Send(header);
  EXPECT_TRUE(oversize.WaitClosed());
  EXPECT_TRUE(a.banman().IsDiscouraged(*Service::Parse("127.0.0.2", 0)));
  EXPECT_TRUE(a.banman().IsDiscouraged(*Service::Parse("127.0.0.3", 0)));
  EXPECT_FALSE(a.banman().IsDiscouraged(*Service::Parse("127.0.0.1", 0)));
  // The honest peer is still served: a block made now reaches it.
  a.Generate(1, cc::test::TestKey(1));
  EXPECT_TRUE(WaitFor([&] { return SameTip(a, b); }));
  EXPECT_EQ(a.connman().GetPeerCount(true, false), 1u);
}

TEST(PeerManagerTest, InvalidBlockDiscouragesItsSenderWithTheReason) {
  cc::test::TempDir dir;
  Node a(dir.Sub("a"));
  Node maker(dir.Sub("maker"));  // makes a valid block that A does not have yet
  const PrivateKey producer = cc::test::TestKey(3);
  const Block valid = maker.Assemble(producer);
  // Consensus-invalid, not merely mutated: the producer signed a wrong state root.
  Block invalid = valid;
  invalid.header.state_root = invalid.header.tx_root;
  invalid.header.signature = producer.Sign(invalid.header.SigningHash());
  RawPeer raw(RegtestMagic(), a.connman().GetListenPort(), 0, 0x7f000002);
  ASSERT_TRUE(raw.connected());
  Handshake(raw);
  raw.SendMessage(BlockMsg{.block = invalid});
  EXPECT_TRUE(raw.WaitClosed());
  EXPECT_TRUE(a.banman().IsDiscouraged(*Service::Parse("127.0.0.2", 0)));
  EXPECT_FALSE(a.banman().IsDiscouraged(*Service::Parse("127.0.0.1", 0)));
  EXPECT_TRUE(a.LogHas("Misbehaving: peer=0 bad-stateroot")) << "the reason is logged";
  EXPECT_EQ(a.Tip().height, 0u);
  // The valid block is accepted from an honest peer.
  RawPeer honest(RegtestMagic(), a.connman().GetListenPort());
  Handshake(honest);
  honest.SendMessage(BlockMsg{.block = valid});
  EXPECT_TRUE(WaitFor([&] { return a.Tip().block_hash == valid.Hash(); }));
}

// Headers-first: what a header claims is judged against its parent's header
// before any block is asked: a header claiming more accepted work than its
// block could hold is refused, and its sender discouraged, with the reason.
TEST(PeerManagerTest, HeaderClaimingImpossibleWorkDiscouragesItsSender) {
  cc::test::TempDir dir;
  Node a(dir.Sub("a"));
  Node maker(dir.Sub("maker"));
  const PrivateKey producer = cc::test::TestKey(3);
  Block block = maker.Assemble(producer);
  block.header.accepted_work = kMaxBlockRecords + 1;  // the parent (genesis) has 0
  block.header.signature = producer.Sign(block.header.SigningHash());
  RawPeer raw(RegtestMagic(), a.connman().GetListenPort(), 0, 0x7f000002);
  ASSERT_TRUE(raw.connected());
  Handshake(raw);
  raw.SendMessage(HeadersMsg{.headers = {block.header}});
  EXPECT_TRUE(raw.WaitClosed());
  EXPECT_TRUE(a.banman().IsDiscouraged(*Service::Parse("127.0.0.2", 0)));
  EXPECT_TRUE(a.LogHas("Misbehaving: peer=0 bad-accepted-work")) << "the reason is logged";
  EXPECT_EQ(a.peerman().BestHeaderHeight(), 0u) << "not taken as a best header";
}

// A block whose records' outputs no peer serves (pruned beyond the peers'
// retention: a node joining that late cannot sync) waits, and the node says
// so once every peer has answered notfound, naming the blocks that wait.
// Before, it waited in silence.
// A tensor id nobody has, and a block on `maker`'s tip whose one record
// outputs it (the block waits for it before it is judged, so it needs no
// validity).
Uint256 UnservedTensor(uint8_t tag) {
  Uint256 id;
  id.data()[0] = tag;
  return id;
}
// The regtest model's first unit of `step` with a single output (an
// ATTENTION): a node fetches only outputs its plan has a slot for.
compute::PlannedUnit OneOutputUnit(uint64_t step) {
  const compute::ModelConfig& model = RegtestParams().model;
  compute::Partition partition;
  EXPECT_TRUE(compute::PartitionModel(model, model.sections, &partition).ok());
  for (const compute::PlannedUnit& unit : compute::BuildStepPlan(model, partition, step).units)
    if (unit.outputs.size() == 1) return unit;
  ADD_FAILURE() << "no unit with one output";
  return {};
}
Block BlockWithUnservedOutput(const Node& maker, uint64_t step, const Uint256& tensor,
                              const PrivateKey& producer = cc::test::TestKey(3)) {
  Block block = maker.Assemble(producer);
  const PrivateKey worker = cc::test::TestKey(9);
  const compute::PlannedUnit unit = OneOutputUnit(step);
  WorkRecord record;
  record.unit = unit.id;
  record.inputs.resize(unit.inputs.size());
  record.outputs = {tensor};
  record.worker = worker.PublicKey();
  record.signature = worker.Sign(record.SigningHash());
  block.records.push_back(record);
  // Well-formed and signed (a node checks that before it fetches anything);
  // on genesis any key may produce.
  block.header.work_root = block.ComputeWorkRoot();
  block.header.signature = producer.Sign(block.header.SigningHash());
  return block;
}

TEST(PeerManagerTest, TensorNoPeerServesIsReportedWithTheBlocksWaitingForIt) {
  cc::test::TempDir dir;
  Node a(dir.Sub("a"));
  Node maker(dir.Sub("maker"));
  const Uint256 pruned = UnservedTensor(0x42);
  const Block block = BlockWithUnservedOutput(maker, 7, pruned);
  RawPeer raw(RegtestMagic(), a.connman().GetListenPort());
  ASSERT_TRUE(raw.connected());
  Handshake(raw);
  raw.SendMessage(BlockMsg{.block = block});
  ASSERT_TRUE(raw.WaitMessage("gettensor"));
  EXPECT_FALSE(a.LogHas("is not served by any of our")) << "not before every peer answered";
  raw.SendMessage(NotFoundMsg{.items = {Inv{InvType::kTensor, pruned}}});
  EXPECT_TRUE(WaitFor([&] {
    return a.LogHas("Tensor " + pruned.ToHex() +
                    " of step 7 is not served by any of our 1 peers (pruned beyond their "
                    "retention?); blocks at height 1 wait for it");
  }));
  EXPECT_EQ(a.Tip().height, 0u);
}

// A block whose tensors are withheld does not wait for good: it is dropped
// after the expiry with its download, so that the same block sent again is
// fetched afresh. Before, it kept one of the 256 places and its tensor was
// asked for until the node stopped.
TEST(PeerManagerTest, BlockWaitingForAWithheldTensorIsDroppedAfterTheExpiry) {
  cc::test::TempDir dir;
  Node a(dir.Sub("a"), Expiring(std::chrono::milliseconds(300)));
  Node maker(dir.Sub("maker"));
  const Block block = BlockWithUnservedOutput(maker, 1, UnservedTensor(0x43));
  RawPeer raw(RegtestMagic(), a.connman().GetListenPort());
  ASSERT_TRUE(raw.connected());
  Handshake(raw);
  raw.SendMessage(BlockMsg{.block = block});
  ASSERT_TRUE(raw.WaitMessage("gettensor"));
  const std::string name = "Block " + block.Hash().ToHex() + " (height 1) ";
  EXPECT_TRUE(WaitFor([&] { return a.LogHas(name + "waits for 1 tensors"); }));
  EXPECT_TRUE(WaitFor([&] { return a.LogHas(name + "dropped after waiting 0 s for 1 tensors"); }));
  EXPECT_EQ(raw.CountMessages("gettensor"), 1u);
  raw.SendMessage(BlockMsg{.block = block});
  EXPECT_TRUE(raw.WaitMessage("gettensor", 2)) << "the download was dropped with the block";
  EXPECT_EQ(a.Tip().height, 0u);
}

// A block on our tip by a key without the slot, naming outputs nobody
// has, made the node ask its sender for each before judging anything. The
// producer's slot is now checked first: nothing is fetched, and the sender
// (a consensus-invalid block) is discouraged.
TEST(PeerManagerTest, BlockByAKeyWithoutTheSlotFetchesNothing) {
  cc::test::TempDir dir;
  Node a(dir.Sub("a"));
  const PrivateKey registered = cc::test::TestKey(4);
  a.Connect(a.Assemble(registered, {SignRegistration(registered, GenesisHash(RegtestParams()),
                                                     KeyHash(registered.PublicKey()))}));
  ASSERT_EQ(a.Tip().workers.size(), 1u);
  Block block = BlockWithUnservedOutput(a, 1, UnservedTensor(0x46), registered);
  const PrivateKey impostor = cc::test::TestKey(3);  // not registered: the slot is not its
  block.header.producer = impostor.PublicKey();
  block.header.signature = impostor.Sign(block.header.SigningHash());
  RawPeer raw(RegtestMagic(), a.connman().GetListenPort(), 0, 0x7f000002);
  ASSERT_TRUE(raw.connected());
  Handshake(raw);
  raw.SendMessage(BlockMsg{.block = block});
  EXPECT_TRUE(raw.WaitClosed());
  EXPECT_FALSE(raw.HasMessage("gettensor"));
  EXPECT_TRUE(a.LogHas("Block " + block.Hash().ToHex() + " from peer=0 refused: bad-producer"));
  EXPECT_TRUE(a.banman().IsDiscouraged(*Service::Parse("127.0.0.2", 0)));
}

// A download that moved to another peer went on from where the first left
// off: a peer that sent one chunk with a made-up total size (or wrong
// bytes) and then notfound got the next peer asked for the rest, and that
// peer blamed (discouraged) for the mismatch, or asked for offsets beyond
// its tensor. It now starts again from offset 0.
TEST(PeerManagerTest, TensorDownloadMovingToAnotherPeerStartsFromZero) {
  cc::test::TempDir dir;
  Node a(dir.Sub("a"));
  Node maker(dir.Sub("maker"));
  const Uint256 tensor = UnservedTensor(0x44);
  const Block block = BlockWithUnservedOutput(maker, 1, tensor);
  RawPeer liar(RegtestMagic(), a.connman().GetListenPort(), 0, 0x7f000002);
  RawPeer honest(RegtestMagic(), a.connman().GetListenPort(), 0, 0x7f000003);
  ASSERT_TRUE(liar.connected() && honest.connected());
  Handshake(liar);
  Handshake(honest);
  liar.SendMessage(BlockMsg{.block = block});
  ASSERT_TRUE(liar.WaitMessage("gettensor"));
  liar.SendMessage(TensorMsg{
      .hash = tensor, .total_size = 3000, .offset = 0, .data = std::vector<uint8_t>(1000, 7)});
  ASSERT_TRUE(liar.WaitMessage("gettensor", 2));  // the rest of its made-up size
  liar.SendMessage(NotFoundMsg{.items = {Inv{InvType::kTensor, tensor}}});
  ASSERT_TRUE(honest.WaitMessage("gettensor"));
  Message asked;
  ASSERT_TRUE(DecodeMessage("gettensor", honest.Payloads("gettensor").front(), &asked).ok());
  EXPECT_EQ(std::get<GetTensorMsg>(asked).offset, 0u);
  EXPECT_EQ(std::get<GetTensorMsg>(asked).hash, tensor);
}

// A download was bounded by 1 GiB whatever the tensor: a peer serving a
// block (or record) that names its own made-up output could make the node
// hold up to that much of it. The plan gives the output's encoding a
// length; a peer that claims more is not serving it (and, since a liar may
// have named an honest peer's tensor in a shorter slot, is not blamed).
TEST(PeerManagerTest, TensorDownloadIsBoundedByTheLengthOfItsSlot) {
  cc::test::TempDir dir;
  Node a(dir.Sub("a"));
  Node maker(dir.Sub("maker"));
  const Uint256 tensor = UnservedTensor(0x47);
  const Block block = BlockWithUnservedOutput(maker, 1, tensor);
  const uint64_t length = OneOutputUnit(1).outputs[0].EncodingLength();
  ASSERT_GT(length, 100u);
  RawPeer raw(RegtestMagic(), a.connman().GetListenPort(), 0, 0x7f000002);
  ASSERT_TRUE(raw.connected());
  Handshake(raw);
  raw.SendMessage(BlockMsg{.block = block});
  ASSERT_TRUE(raw.WaitMessage("gettensor"));
  Message asked;
  ASSERT_TRUE(DecodeMessage("gettensor", raw.Payloads("gettensor").front(), &asked).ok());
  EXPECT_EQ(std::get<GetTensorMsg>(asked).length, std::min<uint64_t>(length, kTensorChunk));
  raw.SendMessage(TensorMsg{
      .hash = tensor, .total_size = length + 1, .offset = 0, .data = std::vector<uint8_t>(100, 7)});
  EXPECT_TRUE(WaitFor([&] {
    return a.LogHas("Tensor " + tensor.ToHex() + " from peer=0 is " + std::to_string(length + 1) +
                    " bytes, more than the " + std::to_string(length) +
                    " its slot gives it: not taken");
  }));
  EXPECT_TRUE(WaitFor([&] { return a.LogHas("is not served by any of our 1 peers"); }));
  EXPECT_EQ(raw.CountMessages("gettensor"), 1u) << "nothing more is asked of it";
  EXPECT_FALSE(a.banman().IsDiscouraged(*Service::Parse("127.0.0.2", 0)));
  // Its slot's length is taken, and the rest asked for.
  RawPeer second(RegtestMagic(), a.connman().GetListenPort(), 0, 0x7f000003);
  ASSERT_TRUE(second.connected());
  Handshake(second);
  ASSERT_TRUE(second.WaitMessage("gettensor"));
  second.SendMessage(TensorMsg{
      .hash = tensor, .total_size = length, .offset = 0, .data = std::vector<uint8_t>(100, 7)});
  ASSERT_TRUE(second.WaitMessage("gettensor", 2));
  ASSERT_TRUE(DecodeMessage("gettensor", second.Payloads("gettensor").back(), &asked).ok());
  EXPECT_EQ(std::get<GetTensorMsg>(asked).offset, 100u);
}

// Announce-and-withhold: a transaction or record was asked of its first
// announcer only, once, so a peer that announced it and never delivered
// kept it from the node (and the other announcers were ignored). After the
// request timeout the next announcer is asked; the withholder's late
// answer is then unasked.
TEST(PeerManagerTest, AnAnnouncerThatWithholdsOnlyDelaysTheObject) {
  cc::test::TempDir dir;
  cc::test::InProcessNode::Options options;
  options.work_pool = true;
  options.peer.request_timeout = std::chrono::milliseconds(300);
  Node a(dir.Sub("a"), std::move(options));
  RawPeer withholder(RegtestMagic(), a.connman().GetListenPort(), 0, 0x7f000002);
  RawPeer honest(RegtestMagic(), a.connman().GetListenPort(), 0, 0x7f000003);
  ASSERT_TRUE(withholder.connected() && honest.connected());
  Handshake(withholder);
  Handshake(honest);
  const InvMsg inv{.items = {Inv{InvType::kTx, UnservedTensor(0x50)},
                             Inv{InvType::kWorkRecord, UnservedTensor(0x51)}}};
  withholder.SendMessage(inv);
  ASSERT_TRUE(withholder.WaitMessage("getdata"));
  honest.SendMessage(inv);
  ASSERT_TRUE(honest.WaitMessage("getdata")) << "asked of the next announcer after the timeout";
  Message asked;
  ASSERT_TRUE(DecodeMessage("getdata", honest.Payloads("getdata").front(), &asked).ok());
  EXPECT_EQ(std::get<GetDataMsg>(asked).items.size(), 2u);
  EXPECT_TRUE(a.LogHas("Asking peer=1 for 2 transactions or records another announcer did not "
                       "deliver"));
  EXPECT_EQ(withholder.CountMessages("getdata"), 1u);
}

// A fraud proof about a block that never comes (a made-up header) kept one
// of the 64 places for good, so 64 of them shut out every real proof, and a
// proof turned away when they were full was remembered as judged. Waiting
// proofs are now dropped after the pending expiry and forgotten, so the
// same proof sent again is taken again.
TEST(PeerManagerTest, FraudProofWaitingForABlockThatNeverComesIsDropped) {
  cc::test::TempDir dir;
  Node a(dir.Sub("a"), Expiring(std::chrono::milliseconds(300)));
  Node maker(dir.Sub("maker"));
  const Block block = BlockWithUnservedOutput(maker, 1, UnservedTensor(0x45));
  FraudProof proof;
  ASSERT_TRUE(MakeFraudProof(block, 0, &proof).ok());
  RawPeer raw(RegtestMagic(), a.connman().GetListenPort());
  ASSERT_TRUE(raw.connected());
  Handshake(raw);
  raw.SendMessage(FraudProofMsg{.proof = proof});
  const std::string name = "Fraud proof " + proof.Id().ToHex();
  EXPECT_TRUE(WaitFor([&] { return a.LogCount(name) > 0 && a.LogHas(" waits: "); }));
  EXPECT_TRUE(WaitFor([&] { return a.LogHas(name + " dropped after waiting 0 s"); }));
  raw.SendMessage(FraudProofMsg{.proof = proof});
  EXPECT_TRUE(WaitFor([&] { return a.LogCount(" waits: ") == 2; }));
}

// One unsigned work record naming many output ids made the node open a
// download for each (a million in the attack, with every later peer sent
// a million gettensor and disconnected for its send queue). A record is now
// checked before anything is fetched for it: this one marks its sender.
TEST(PeerManagerTest, UnsignedWorkRecordIsRefusedBeforeAnyTensorIsFetched) {
  cc::test::TempDir dir;
  Node a(dir.Sub("a"), {.work_pool = true});
  WorkRecord record;
  record.worker = cc::test::TestKey(9).PublicKey();
  for (uint8_t i = 0; i < 200; ++i) record.outputs.push_back(UnservedTensor(i));
  RawPeer raw(RegtestMagic(), a.connman().GetListenPort(), 0, 0x7f000002);
  ASSERT_TRUE(raw.connected());
  Handshake(raw);
  raw.SendMessage(WorkRecordMsg{.record = record});
  EXPECT_TRUE(raw.WaitClosed());
  EXPECT_FALSE(raw.HasMessage("gettensor"));
  EXPECT_TRUE(a.LogHas("bad-work-sig"));
  EXPECT_TRUE(a.banman().IsDiscouraged(*Service::Parse("127.0.0.2", 0)));
}

// Blocks waiting for their parent were bounded in number only: 256 of the
// wire's 32 MiB, unsigned junk on made-up parents, would hold 8 GiB. They
// are now bounded in bytes too (kMaxPendingBlockBytes, 128 MiB; here 4 MiB).
TEST(PeerManagerTest, BlocksWaitingForTheirParentAreBoundedInBytes) {
  cc::test::TempDir dir;
  const size_t cap = 4u << 20;
  cc::test::InProcessNode::Options options;
  options.peer.max_pending_block_bytes = cap;
  Node a(dir.Sub("a"), std::move(options));
  Node maker(dir.Sub("maker"));
  RawPeer raw(RegtestMagic(), a.connman().GetListenPort());
  ASSERT_TRUE(raw.connected());
  Handshake(raw);
  const size_t per_block = 900u << 10;
  const size_t fit = cap / per_block;  // 4
  for (size_t i = 0; i <= fit; ++i) {
    Block block = maker.Assemble(cc::test::TestKey(3));
    block.header.prev = UnservedTensor(static_cast<uint8_t>(0x60 + i));  // a parent nobody has
    WorkRecord record;
    record.inputs.resize(per_block / Uint256::kSize);
    record.worker = cc::test::TestKey(9).PublicKey();
    record.signature = cc::test::TestKey(9).Sign(record.SigningHash());
    block.records.push_back(record);
    block.header.work_root = block.ComputeWorkRoot();
    block.header.signature = cc::test::TestKey(3).Sign(block.header.SigningHash());
    raw.SendMessage(BlockMsg{.block = block});
    const std::string name = "Block " + block.Hash().ToHex();
    EXPECT_TRUE(WaitFor([&] {
      return i < fit ? a.LogHas(name + " (height 1) waits for its parent")
                     : a.LogHas(name + " from peer=0 not kept: the blocks waiting already hold");
    })) << i;
  }
}

// The table of registration requests (regtest and devnet register
// bond-free) kept keys a block had registered since, so 256 requests
// filled it for good and later ones were dropped. Registered keys now make
// room.
TEST(PeerManagerTest, RegisteredKeysMakeRoomForNewRegistrationRequests) {
  cc::test::TempDir dir;
  Node a(dir.Sub("a"));
  RawPeer raw(RegtestMagic(), a.connman().GetListenPort());
  ASSERT_TRUE(raw.connected());
  Handshake(raw);
  const Uint256 genesis = GenesisHash(RegtestParams());
  std::vector<WorkerRegistration> first;
  for (uint32_t i = 0; i < kMaxPendingRegistrations; ++i) {
    const PrivateKey key = cc::test::TestKey(static_cast<uint8_t>(i), 0x55);
    first.push_back(SignRegistration(key, genesis, KeyHash(key.PublicKey())));
    raw.SendMessage(RegWorkerMsg{first.back().key, first.back().payout, first.back().signature});
  }
  ASSERT_TRUE(WaitFor([&] {
    return a.peerman().PendingRegistrations(a.Tip()).size() == kMaxPendingRegistrations;
  }));
  a.Connect(a.Assemble(cc::test::TestKey(3), first));  // a block registers them all
  const PrivateKey late = cc::test::TestKey(0, 0x56);
  const WorkerRegistration reg = SignRegistration(late, genesis, KeyHash(late.PublicKey()));
  raw.SendMessage(RegWorkerMsg{reg.key, reg.payout, reg.signature});
  EXPECT_TRUE(WaitFor([&] {
    const std::vector<WorkerRegistration> pending = a.peerman().PendingRegistrations(a.Tip());
    return pending.size() == 1 && pending[0].key == late.PublicKey();
  }));
}

// A slashing transaction whose wrong-work evidence names tensors the node
// lacks waits while they are fetched from its sender (the mempool cannot
// judge it before). Before, it went to the orphan pool, which asked the
// sender for "parents" that were in the chain all along.
TEST(PeerManagerTest, SlashingTxWaitsForItsEvidenceTensorsFromItsSender) {
  cc::test::TempDir dir;
  Node a(dir.Sub("a"));
  const PrivateKey liar = cc::test::TestKey(5);
  const Block registration = a.Assemble(
      cc::test::TestKey(3),
      {SignRegistration(liar, GenesisHash(RegtestParams()), KeyHash(liar.PublicKey()))});
  a.Connect(registration);
  std::vector<std::pair<OutPoint, TxOut>> bonds;
  const Transaction& coinbase = registration.txs[0];
  for (uint32_t i = 0; i < coinbase.outputs.size(); ++i)
    if (coinbase.outputs[i].kind == OutputKind::kWorkerBond)
      bonds.emplace_back(OutPoint{coinbase.Txid(), i}, coinbase.outputs[i]);
  ASSERT_EQ(bonds.size(), 1u);

  // A record of a unit that reads no training data, with made-up tensors.
  std::unique_ptr<compute::Engine> engine;
  ASSERT_TRUE(compute::MakeTorchEngine(RegtestParams().model, {}, &engine).ok());
  const compute::StepPlan plan = engine->Plan(0);
  const auto unit = std::find_if(plan.units.begin(), plan.units.end(), [](const auto& u) {
    return std::none_of(u.inputs.begin(), u.inputs.end(), [](const compute::UnitInput& in) {
      return in.source.kind == compute::Source::Kind::kBatch;
    });
  });
  ASSERT_NE(unit, plan.units.end());
  WorkRecord record;
  record.unit = unit->id;
  record.worker = liar.PublicKey();
  for (size_t i = 0; i < unit->inputs.size() + unit->outputs.size(); ++i) {
    Uint256 h;
    h.data()[0] = 0x60;
    h.data()[1] = static_cast<uint8_t>(i);
    (i < unit->inputs.size() ? record.inputs : record.outputs).push_back(h);
  }
  record.signature = liar.Sign(record.SigningHash());
  const Transaction slash =
      MakeSlashTransaction(WrongWorkEvidence(record), bonds, KeyHash(cc::test::TestKey(3).PublicKey()));

  RawPeer raw(RegtestMagic(), a.connman().GetListenPort());
  ASSERT_TRUE(raw.connected());
  Handshake(raw);
  raw.SendMessage(TxMsg{.tx = slash});
  ASSERT_TRUE(raw.WaitMessage("gettensor")) << "the evidence's tensors are asked of the sender";
  EXPECT_TRUE(WaitFor([&] {
    return a.LogHas("Slashing tx " + slash.Txid().ToHex() + " from peer=0 waits for " +
                    std::to_string(record.inputs.size() + record.outputs.size()) +
                    " evidence tensors");
  }));
  EXPECT_FALSE(a.LogHas("Orphan tx"));
}

TEST(PeerManagerTest, MutatedBlockIsRefusedWithoutPunishingItsRelayer) {
  // A block whose producer signature does not verify may be a relayer's
  // tampering (ValidationResult::kMutated): refused, its hash not remembered
  // as invalid, and the sender kept.
  cc::test::TempDir dir;
  Node a(dir.Sub("a"));
  Node maker(dir.Sub("maker"));
  Block block = maker.Assemble(cc::test::TestKey(3));
  block.header.signature[0] ^= 1;
  RawPeer raw(RegtestMagic(), a.connman().GetListenPort(), 0, 0x7f000002);
  ASSERT_TRUE(raw.connected());
  Handshake(raw);
  raw.SendMessage(BlockMsg{.block = block});
  ASSERT_TRUE(WaitFor([&] { return a.LogHas("refused: bad-blk-sig"); }));
  raw.SendMessage(PingMsg{.nonce = 7});
  EXPECT_TRUE(raw.WaitMessage("pong"));
  EXPECT_EQ(a.Tip().height, 0u);
  EXPECT_FALSE(a.banman().IsDiscouraged(*Service::Parse("127.0.0.2", 0)));
  // The same block with its signature intact, from the same peer, connects.
  block.header.signature[0] ^= 1;
  raw.SendMessage(BlockMsg{.block = block});
  EXPECT_TRUE(WaitFor([&] { return a.Tip().block_hash == block.Hash(); }));
  EXPECT_EQ(a.connman().GetPeerCount(true, false), 1u);
}

}  // namespace
}  // namespace cc::net
