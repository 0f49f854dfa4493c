// Round trips of every P2P message and the rejection of each malformed payload kind.

#include "net/messages.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "chain/key.h"
#include "net/tensor_transfer.h"

namespace cc::net {
namespace {

Uint256 H(uint8_t b) {
  Uint256 h;
  h.data()[0] = b;
  h.data()[31] = static_cast<uint8_t>(~b);
  return h;
}

BlockHeader SampleHeader(uint32_t height) {
  BlockHeader h;
  h.height = height;
  h.prev = H(static_cast<uint8_t>(height));
  h.tx_root = H(2);
  h.work_root = H(3);
  h.state_root = H(4);
  h.registry_root = H(5);
  h.accepted_work = 1000 + height;
  h.time = 1700000000 + height;
  h.producer[0] = 7;
  h.signature[63] = 9;
  return h;
}

Transaction SampleTx() {
  Transaction tx;
  TxIn in;
  in.prevout.txid = H(5);
  in.prevout.index = 1;
  tx.inputs.push_back(in);
  TxOut out;
  out.value = 5000;
  tx.outputs.push_back(out);
  return tx;
}

WorkRecord SampleRecord() {
  WorkRecord r;
  r.unit.kind = UnitKind::kBackward;
  r.unit.step = 3;
  r.inputs = {H(8)};
  r.outputs = {H(9), H(10)};
  r.loss = 0.5f;
  return r;
}

/** Encodes, decodes under the message's own command and compares. */
void ExpectRoundTrip(const Message& msg) {
  const std::vector<uint8_t> payload = EncodePayload(msg);
  ASSERT_LE(payload.size(), MaxPayloadLength(CommandOf(msg))) << CommandOf(msg);
  Message back;
  Status s = DecodeMessage(CommandOf(msg), payload, &back);
  ASSERT_TRUE(s.ok()) << CommandOf(msg) << ": " << s.ToString();
  EXPECT_EQ(back.index(), msg.index());
  EXPECT_TRUE(back == msg) << CommandOf(msg);
}

/** The reason DecodeMessage gives for `payload` sent as `command`. */
std::string Reason(std::string_view command, const std::vector<uint8_t>& payload) {
  Message out;
  Status s = DecodeMessage(command, payload, &out);
  EXPECT_FALSE(s.ok()) << command;
  return s.message();
}

std::vector<uint8_t> CompactSize(uint64_t n) {
  std::vector<uint8_t> out;
  Writer(&out).WriteCompactSize(n);
  return out;
}

TEST(MessagesTest, VersionRoundTrip) {
  VersionMsg v;
  v.services = kNodeNetwork | kNodeWorker;
  v.time = 1700000000;
  v.addr_from = Service::FromIPv4(10, 0, 0, 1, 18444);
  v.nonce = 0x1122334455667788;
  v.user_agent = "/computecoin:0.1.0/";
  v.best_height = 42;
  v.relay = false;
  ExpectRoundTrip(v);
  v.user_agent = std::string(kMaxUserAgentLength, 'a');
  ExpectRoundTrip(v);
}

TEST(MessagesTest, EmptyMessagesRoundTrip) {
  ExpectRoundTrip(VerackMsg{});
  ExpectRoundTrip(GetAddrMsg{});
  ExpectRoundTrip(SendHeadersMsg{});
  EXPECT_TRUE(EncodePayload(VerackMsg{}).empty());
}

TEST(MessagesTest, PingPongRoundTrip) {
  ExpectRoundTrip(PingMsg{.nonce = 77});
  ExpectRoundTrip(PongMsg{.nonce = ~uint64_t{0}});
}

TEST(MessagesTest, AddrRoundTrip) {
  AddrMsg m;
  for (size_t i = 0; i < kMaxAddrToSend; ++i) {
    m.entries.push_back({.time = static_cast<int64_t>(i),
                         .services = kNodeNetwork,
                         .addr = Service::FromIPv4(1, 2, static_cast<uint8_t>(i >> 8),
                                                   static_cast<uint8_t>(i), 8333)});
  }
  m.entries[1].addr = *Service::Parse("[2001:db8::1]:9000", 0);
  ExpectRoundTrip(m);
  EXPECT_EQ(EncodePayload(m).size(), AddrMsg::kMaxPayload);
}

TEST(MessagesTest, InvFamilyRoundTrip) {
  InvMsg inv;
  inv.items = {{InvType::kTx, H(1)},
               {InvType::kBlock, H(2)},
               {InvType::kWorkRecord, H(3)},
               {InvType::kTensor, H(4)}};
  ExpectRoundTrip(inv);
  GetDataMsg gd;
  gd.items.assign(kMaxInvSize, Inv{InvType::kBlock, H(5)});
  ExpectRoundTrip(gd);
  EXPECT_EQ(EncodePayload(gd).size(), kMaxInvPayload);
  NotFoundMsg nf;
  nf.items = {{InvType::kTensor, H(6)}};
  ExpectRoundTrip(nf);
}

TEST(MessagesTest, HeadersRoundTrip) {
  GetHeadersMsg gh;
  gh.locator.assign(kMaxLocatorSize, H(1));
  gh.stop = H(2);
  ExpectRoundTrip(gh);
  EXPECT_EQ(EncodePayload(gh).size(), GetHeadersMsg::kMaxPayload);
  HeadersMsg hs;
  for (uint32_t i = 0; i < kMaxHeadersResults; ++i) hs.headers.push_back(SampleHeader(i));
  ExpectRoundTrip(hs);
  EXPECT_EQ(EncodePayload(hs).size(), HeadersMsg::kMaxPayload);
}

TEST(MessagesTest, ObjectsRoundTrip) {
  ExpectRoundTrip(FeeFilterMsg{.fee_rate = 1000});
  BlockMsg b;
  b.block.header = SampleHeader(5);
  b.block.txs = {SampleTx()};
  b.block.records = {SampleRecord()};
  ExpectRoundTrip(b);
  ExpectRoundTrip(TxMsg{.tx = SampleTx()});
  ExpectRoundTrip(WorkRecordMsg{.record = SampleRecord()});
}

// A registration request is valid on one network only: its signature
// commits to the genesis block.
TEST(MessagesTest, RegistrationSignatureCommitsToTheNetwork) {
  const PrivateKey key = PrivateKey::Generate();
  const Uint256 genesis = H(1);
  RegWorkerMsg msg{.key = key.PublicKey(),
                   .payout = H(3),
                   .signature = key.Sign(PayoutSigningHash(genesis, key.PublicKey(), H(3)))};
  ExpectRoundTrip(msg);
  EXPECT_TRUE(
      VerifySchnorr(msg.key, PayoutSigningHash(genesis, msg.key, H(3)), msg.signature));
  EXPECT_FALSE(
      VerifySchnorr(msg.key, PayoutSigningHash(H(2), msg.key, H(3)), msg.signature));
  // A relayer cannot redirect the worker's pay.
  EXPECT_FALSE(
      VerifySchnorr(msg.key, PayoutSigningHash(genesis, msg.key, H(4)), msg.signature));
  std::vector<uint8_t> oversized = EncodePayload(msg);
  oversized.push_back(0);
  Message out;
  EXPECT_EQ(DecodeMessage(msgtype::kRegWorker, oversized, &out).message(), "oversized-message");
}

TEST(MessagesTest, ProofRoundTrip) {
  ExpectRoundTrip(GetProofMsg{.kind = ProofKind::kRecord, .block_hash = H(1), .id = H(2)});
  std::vector<Uint256> leaves = {H(1), H(2), H(3), SampleTx().Wtxid()};
  ProofMsg p;
  p.kind = ProofKind::kTx;
  p.block_hash = H(9);
  p.tx = SampleTx();
  ASSERT_TRUE(MakeMerkleProof(leaves, 3, &p.proof).ok());
  ExpectRoundTrip(p);
  ProofMsg r;
  r.kind = ProofKind::kRecord;
  r.record = SampleRecord();
  r.proof.path.assign(kMaxMerkleProofDepth, H(3));
  ExpectRoundTrip(r);
  ProofMsg w;
  w.kind = ProofKind::kRegistry;
  w.block_hash = H(4);
  w.entry.key[0] = 7;
  w.entry.records = 12;
  w.proof.path = {H(5)};
  ExpectRoundTrip(w);
}

TEST(MessagesTest, TensorRoundTrip) {
  ExpectRoundTrip(GetTensorMsg{.hash = H(1), .offset = 4096, .length = kMaxTensorChunk});
  TensorMsg t;
  t.hash = H(1);
  t.total_size = 3 * kMaxTensorChunk;
  t.offset = kMaxTensorChunk;
  t.data.assign(kMaxTensorChunk, 0xab);
  ExpectRoundTrip(t);
  EXPECT_LE(EncodePayload(t).size(), TensorMsg::kMaxPayload);
}

// --- Malformed payloads: each kind with its exact reason. ---------------------

TEST(MessagesTest, RejectsTruncatedAndTrailing) {
  std::vector<uint8_t> ping = EncodePayload(PingMsg{.nonce = 1});
  ping.pop_back();
  EXPECT_EQ(Reason(msgtype::kPing, ping), "unexpected end of data");
  std::vector<uint8_t> inv = EncodePayload(InvMsg{.items = {{InvType::kTx, H(1)}}});
  inv.push_back(0);
  EXPECT_EQ(Reason(msgtype::kInv, inv), "trailing bytes");
  // Fixed-size messages: any extra byte is over the command's maximum.
  std::vector<uint8_t> pong = EncodePayload(PongMsg{.nonce = 1});
  pong.push_back(0);
  EXPECT_EQ(Reason(msgtype::kPong, pong), "oversized-message");
  EXPECT_EQ(Reason(msgtype::kVerack, {0}), "oversized-message");
  std::vector<uint8_t> hs = EncodePayload(HeadersMsg{.headers = {SampleHeader(1)}});
  hs.resize(hs.size() - 10);
  EXPECT_EQ(Reason(msgtype::kHeaders, hs), "unexpected end of data");
  std::vector<uint8_t> block = EncodePayload(BlockMsg{});
  block.push_back(1);
  EXPECT_EQ(Reason(msgtype::kBlock, block), "trailing bytes");
}

TEST(MessagesTest, RejectsOverCapCounts) {
  // A count one over the cap is refused before any element is read (none follow).
  EXPECT_EQ(Reason(msgtype::kAddr, CompactSize(kMaxAddrToSend + 1)), "oversized-addr");
  EXPECT_EQ(Reason(msgtype::kInv, CompactSize(kMaxInvSize + 1)), "oversized-inv");
  EXPECT_EQ(Reason(msgtype::kGetData, CompactSize(kMaxInvSize + 1)), "oversized-inv");
  EXPECT_EQ(Reason(msgtype::kNotFound, CompactSize(kMaxInvSize + 1)), "oversized-inv");
  std::vector<uint8_t> gh = CompactSize(kMaxLocatorSize + 1);
  EXPECT_EQ(Reason(msgtype::kGetHeaders, gh), "oversized-locator");
  EXPECT_EQ(Reason(msgtype::kHeaders, CompactSize(kMaxHeadersResults + 1)), "oversized-headers");
  // A huge claimed count with few bytes: still refused by the cap, nothing reserved.
  EXPECT_EQ(Reason(msgtype::kInv, CompactSize(kMaxCompactSize)), "oversized-inv");
  // Under the cap but more than the bytes present: truncation.
  EXPECT_EQ(Reason(msgtype::kInv, CompactSize(10)), "unexpected end of data");
}

TEST(MessagesTest, RejectsOversizedUserAgent) {
  VersionMsg v;
  v.user_agent = std::string(kMaxUserAgentLength + 1, 'x');
  std::vector<uint8_t> payload;
  Writer w(&payload);
  w(v.version, v.services, v.time, v.addr_from, v.nonce, v.user_agent, v.best_height, v.relay);
  // Too long for the per-command maximum as a whole, and for the field cap.
  EXPECT_EQ(Reason(msgtype::kVersion, payload), "oversized-message");
  payload.resize(4 + 8 + 8 + 18 + 8);
  const auto count = CompactSize(kMaxUserAgentLength + 1);
  payload.insert(payload.end(), count.begin(), count.end());
  EXPECT_EQ(Reason(msgtype::kVersion, payload), "oversized-user-agent");
}

TEST(MessagesTest, RejectsBadEnumsAndRanges) {
  std::vector<uint8_t> inv = EncodePayload(InvMsg{.items = {{InvType::kTx, H(1)}}});
  inv[1] = 5;  // type 5 is unknown
  EXPECT_EQ(Reason(msgtype::kInv, inv), "bad-inv-type");
  inv[1] = 0;
  EXPECT_EQ(Reason(msgtype::kInv, inv), "bad-inv-type");
  EXPECT_EQ(Reason(msgtype::kFeeFilter, EncodePayload(FeeFilterMsg{.fee_rate = -1})),
            "bad-feefilter");
  std::vector<uint8_t> gp = EncodePayload(GetProofMsg{});
  gp[0] = 4;
  EXPECT_EQ(Reason(msgtype::kGetProof, gp), "bad-proof-kind");
  ProofMsg p;
  p.proof.path.assign(kMaxMerkleProofDepth + 1, H(1));
  EXPECT_EQ(Reason(msgtype::kProof, EncodePayload(p)), "oversized-proof");
  EXPECT_EQ(Reason(msgtype::kGetTensor, EncodePayload(GetTensorMsg{.length = 0})),
            "bad-tensor-length");
  EXPECT_EQ(Reason(msgtype::kGetTensor, EncodePayload(GetTensorMsg{.length = kMaxTensorChunk + 1})),
            "oversized-tensor-chunk");
  TensorMsg t;
  t.total_size = 4;
  t.offset = 2;
  t.data = {1, 2, 3};
  EXPECT_EQ(Reason(msgtype::kTensor, EncodePayload(t)), "bad-tensor-range");
  t.total_size = kMaxTensorSize + 1;
  EXPECT_EQ(Reason(msgtype::kTensor, EncodePayload(t)), "oversized-tensor");
  std::vector<uint8_t> big;
  Writer wb(&big);
  wb(H(1), uint64_t{10}, uint64_t{0});
  const auto count = CompactSize(kMaxTensorChunk + 1);
  big.insert(big.end(), count.begin(), count.end());
  EXPECT_EQ(Reason(msgtype::kTensor, big), "oversized-tensor-chunk");
}

// --- Inference ------------------------------------------------------------------

ServeInfoMsg SampleServeInfo() {
  return ServeInfoMsg{.state_root = H(1),
                      .section_begin = 1,
                      .section_end = 3,
                      .price = 250,
                      .max_sessions = 64,
                      .sessions = 2,
                      .payee = XOnlyPubKeyBytes{7, 7, 7}};
}

InferStepMsg SampleStep() {
  InferStepMsg m;
  m.request_id = 77;
  m.session = H(2);
  m.state_root = H(3);
  m.section_begin = 0;
  m.section_end = 1;
  m.position = 5;
  const std::vector<uint8_t> tokens = {'1', '+', '2'};
  m.input = compute::EncodeBytes(tokens, std::vector<uint64_t>{3});
  m.payment = {1, 2, 3};
  return m;
}

InferResultMsg SampleResult() {
  InferResultMsg m;
  m.request_id = 77;
  const std::vector<float> stream(2 * 4, 0.25f);
  m.output = compute::EncodeFloats(stream, std::vector<uint64_t>{2, 4}, compute::Codec::kFloat32);
  return m;
}

TEST(MessagesTest, InferenceRoundTrips) {
  ExpectRoundTrip(SampleServeInfo());
  ExpectRoundTrip(SampleStep());
  ExpectRoundTrip(SampleResult());
  ExpectRoundTrip(InferResultMsg{
      .request_id = 9, .code = InferCode::kRefused, .reason = "bad-serve-range", .output = {}});
  ExpectRoundTrip(InferResultMsg{.request_id = 9, .code = InferCode::kUnknownSession});
  InferResultMsg with_receipt = SampleResult();
  with_receipt.receipt = Receipt{.request_id = H(4), .tokens = 3, .amount = 300};
  ExpectRoundTrip(with_receipt);
  EXPECT_LE(EncodePayload(with_receipt).size(), InferResultMsg::kMaxPayload);
  EXPECT_EQ(Serialize(*with_receipt.receipt).size(), kReceiptSize);
  // A whole gpt2-small window fits one step.
  InferStepMsg big = SampleStep();
  const std::vector<float> window(1024 * 768, 1.0f);
  big.input =
      compute::EncodeFloats(window, std::vector<uint64_t>{1024, 768}, compute::Codec::kFloat32);
  big.payment.assign(kMaxPaymentUpdate, 0xee);
  EXPECT_LE(EncodePayload(big).size(), InferStepMsg::kMaxPayload);
  ExpectRoundTrip(big);
}

TEST(MessagesTest, InferPaymentRoundTripsWithinItsField) {
  InferPayment payment;
  payment.channel.funding = OutPoint{H(5), 1};
  payment.channel.capacity = 1000;
  payment.salt = H(6);
  InferPayment decoded;
  ASSERT_TRUE(DecodeInferPayment(EncodeInferPayment(payment), &decoded).ok());
  EXPECT_EQ(decoded, payment);
  payment.update = ChannelUpdate{payment.channel.funding, 10, H(7), {}};
  const std::vector<uint8_t> bytes = EncodeInferPayment(payment);
  EXPECT_EQ(bytes.size(), 293u);
  EXPECT_LE(bytes.size(), kMaxPaymentUpdate);
  ASSERT_TRUE(DecodeInferPayment(bytes, &decoded).ok());
  EXPECT_EQ(decoded, payment);
  // Truncated, trailing, or a flag that is not a bool: one reason.
  std::vector<uint8_t> bad(bytes.begin(), bytes.end() - 1);
  EXPECT_EQ(DecodeInferPayment(bad, &decoded).message(), "bad-payment");
  bad = bytes;
  bad.push_back(0);
  EXPECT_EQ(DecodeInferPayment(bad, &decoded).message(), "bad-payment");
  bad = bytes;
  bad[120] = 2;  // has_update, after the 120-byte Channel
  EXPECT_EQ(DecodeInferPayment(bad, &decoded).message(), "bad-payment");
  EXPECT_EQ(DecodeInferPayment({}, &decoded).message(), "bad-payment");
}

TEST(MessagesTest, RejectsMalformedInference) {
  ServeInfoMsg info = SampleServeInfo();
  info.section_end = info.section_begin;
  EXPECT_EQ(Reason(msgtype::kServeInfo, EncodePayload(info)), "bad-serve-range");
  info = SampleServeInfo();
  info.price = -1;
  EXPECT_EQ(Reason(msgtype::kServeInfo, EncodePayload(info)), "bad-serve-price");
  info.price = kMaxMoney + 1;
  EXPECT_EQ(Reason(msgtype::kServeInfo, EncodePayload(info)), "bad-serve-price");

  InferStepMsg step = SampleStep();
  step.section_begin = 2;
  EXPECT_EQ(Reason(msgtype::kInferStep, EncodePayload(step)), "bad-serve-range");
  step = SampleStep();
  const std::vector<uint8_t> cube(8, 1);
  step.input = compute::EncodeBytes(cube, std::vector<uint64_t>{2, 2, 2});
  EXPECT_EQ(Reason(msgtype::kInferStep, EncodePayload(step)), "bad-infer-tensor");
  step = SampleStep();
  step.payment.assign(kMaxPaymentUpdate + 1, 0);
  EXPECT_EQ(Reason(msgtype::kInferStep, EncodePayload(step)), "oversized-payment");
  step = SampleStep();
  std::vector<uint8_t> payload = EncodePayload(step);
  payload.push_back(0);
  EXPECT_EQ(Reason(msgtype::kInferStep, payload), "trailing bytes");
  // A stream of more than kMaxInferTensorBytes: refused from its length
  // alone, before a byte of it is stored (protocol.h).
  EXPECT_EQ(Reason(msgtype::kInferStep, std::vector<uint8_t>(InferStepMsg::kMaxPayload + 1, 0)),
            "oversized-message");
  EXPECT_LT(MaxPayloadLength(msgtype::kInferStep), kMaxProtocolMessageLength);

  InferResultMsg result = SampleResult();
  payload = EncodePayload(result);
  payload[8] = 3;  // code
  EXPECT_EQ(Reason(msgtype::kInferResult, payload), "bad-infer-code");
  result.code = InferCode::kRefused;
  result.reason.assign(kMaxInferReason + 1, 'x');
  EXPECT_EQ(Reason(msgtype::kInferResult, EncodePayload(result)), "oversized-infer-reason");
  result = SampleResult();
  const std::vector<uint8_t> ids = {1, 2};
  result.output = compute::EncodeBytes(ids, std::vector<uint64_t>{2});  // token ids never come back
  EXPECT_EQ(Reason(msgtype::kInferResult, EncodePayload(result)), "bad-infer-tensor");
  result = SampleResult();
  payload = EncodePayload(result);
  payload.pop_back();
  EXPECT_EQ(Reason(msgtype::kInferResult, payload), "unexpected end of data");
}

TEST(MessagesTest, FraudProofRoundTripAndCaps) {
  FraudProofMsg m;
  m.proof.header = SampleHeader(4);
  m.proof.record = SampleRecord();
  m.proof.path.tree_size = 2;
  m.proof.path.path.assign(kMaxFraudProofDepth, H(3));
  ExpectRoundTrip(m);
  EXPECT_EQ(MaxPayloadLength(msgtype::kFraudProof), kMaxFraudProofSize);
  FraudProofMsg deep = m;
  deep.proof.path.path.push_back(H(4));
  EXPECT_EQ(Reason(msgtype::kFraudProof, EncodePayload(deep)), "oversized-fraud-path");
  FraudProofMsg wide = m;
  wide.proof.record.outputs.assign(kMaxFraudProofTensors + 1, H(5));
  EXPECT_EQ(Reason(msgtype::kFraudProof, EncodePayload(wide)), "oversized-fraud-record");
  EXPECT_EQ(Reason(msgtype::kFraudProof, std::vector<uint8_t>(kMaxFraudProofSize + 1, 0)),
            "oversized-message");
}

OnionHop SampleOnionHop() {
  OnionHop h;
  h.session = H(5);
  h.state_root = H(6);
  h.section_begin = 1;
  h.section_end = 2;
  h.position = 4;
  h.payment = {9, 9};
  h.wait_ms = 20000;
  h.next = XOnlyPubKeyBytes{3, 1, 4};
  h.inner = {1, 2, 3, 4};
  return h;
}

TEST(MessagesTest, ServeInfoCarriesLinksAndASignatureThatCoversThem) {
  const PrivateKey key = PrivateKey::Generate();
  ServeInfoMsg info = SampleServeInfo();
  info.onion_key = key.PublicKey();
  info.time = 1'700'000'000'123;
  info.links.assign(kMaxServeLinks, XOnlyPubKeyBytes{5});
  const PrivateKey worker = PrivateKey::Generate();
  info.bond = HolderBond{worker.PublicKey(), worker.Sign(HolderBondSigningHash(info.payee))};
  info.signature = key.Sign(ServeInfoSigningHash(info));
  EXPECT_TRUE(IsSignedServeInfo(info));
  EXPECT_TRUE(VerifyHolderBond(*info.bond, info.payee));
  // At the cap the payload is exactly the maximum the frame header is checked against.
  EXPECT_EQ(EncodePayload(info).size(), ServeInfoMsg::kMaxPayload);
  ExpectRoundTrip(info);
  ExpectRoundTrip(ServeRelayMsg{info});

  // Every field is signed: a relayer can change none of them.
  auto altered = [&](auto change) {
    ServeInfoMsg copy = info;
    change(copy);
    return IsSignedServeInfo(copy);
  };
  EXPECT_FALSE(altered([](ServeInfoMsg& m) { m.price += 1; }));
  EXPECT_FALSE(altered([](ServeInfoMsg& m) { m.sessions += 1; }));
  EXPECT_FALSE(altered([](ServeInfoMsg& m) { m.time += 1; }));
  EXPECT_FALSE(altered([](ServeInfoMsg& m) { m.payee[0] ^= 1; }));
  EXPECT_FALSE(altered([](ServeInfoMsg& m) { m.links.pop_back(); }));
  EXPECT_FALSE(altered([](ServeInfoMsg& m) { m.bond.reset(); }));
  EXPECT_FALSE(altered([](ServeInfoMsg& m) { m.signature[0] ^= 1; }));
  EXPECT_FALSE(altered([](ServeInfoMsg& m) { m.onion_key = PrivateKey::Generate().PublicKey(); }));

  // A count over the cap is refused from the count, before any link is read
  // (the frame's length alone would allow it: the payload is at the maximum).
  std::vector<uint8_t> payload = EncodePayload(info);
  constexpr size_t kLinkCount = 32 + 4 + 4 + 8 + 4 + 4 + 32 + 32 + 8;
  ASSERT_EQ(payload[kLinkCount], kMaxServeLinks);
  payload[kLinkCount] = kMaxServeLinks + 1;
  EXPECT_EQ(Reason(msgtype::kServeInfo, payload), "oversized-serve-links");
  EXPECT_EQ(Reason(msgtype::kServeRelay, payload), "oversized-serve-links");
  // One link more does not fit the frame.
  info.links.push_back(XOnlyPubKeyBytes{6});
  EXPECT_EQ(Reason(msgtype::kServeRelay, EncodePayload(ServeRelayMsg{info})),
            "oversized-message");
}

TEST(MessagesTest, OnionRoundTrips) {
  OnionStepMsg step;
  step.request_id = 5;
  step.input = SampleStep().input;
  step.onion.assign(kMaxOnionBytes, 0xab);
  ExpectRoundTrip(step);
  ExpectRoundTrip(OnionReplyMsg{.request_id = 6, .sealed = std::vector<uint8_t>(300, 1)});
  ExpectRoundTrip(
      OnionReplyMsg{.request_id = 6, .code = OnionReplyCode::kRefused, .reason = "busy"});
  ServeInfoMsg info = SampleServeInfo();
  info.onion_key = XOnlyPubKeyBytes{8, 8};
  ExpectRoundTrip(info);

  OnionHop hop = SampleOnionHop(), back;
  ASSERT_TRUE(DecodeOnionHop(EncodeOnionHop(hop), &back).ok());
  EXPECT_EQ(back, hop);
  OnionHopReply reply{.code = OnionHopCode::kNextFailed,
                      .reason = "onion-next-timeout",
                      .receipt = Receipt{.request_id = H(4), .tokens = 3},
                      .body = {7}},
      reply_back;
  ASSERT_TRUE(DecodeOnionHopReply(EncodeOnionHopReply(reply), &reply_back).ok());
  EXPECT_EQ(reply_back, reply);
}

TEST(MessagesTest, RejectsMalformedOnion) {
  OnionStepMsg step;
  step.input = SampleStep().input;
  step.onion.assign(kMaxOnionBytes + 1, 0);
  EXPECT_EQ(Reason(msgtype::kOnionStep, EncodePayload(step)), "oversized-onion");
  EXPECT_EQ(Reason(msgtype::kOnionStep, std::vector<uint8_t>(OnionStepMsg::kMaxPayload + 1, 0)),
            "oversized-message");
  OnionReplyMsg reply{.request_id = 1, .sealed = std::vector<uint8_t>(kMaxOnionReplyBytes + 1)};
  EXPECT_EQ(Reason(msgtype::kOnionReply, EncodePayload(reply)), "oversized-onion-reply");
  reply.sealed.clear();
  std::vector<uint8_t> payload = EncodePayload(reply);
  payload[8] = 2;  // code
  EXPECT_EQ(Reason(msgtype::kOnionReply, payload), "bad-onion-code");

  // Instructions: a next hop without an inner onion (or the reverse), a bad
  // range, oversized fields, trailing bytes.
  OnionHop hop = SampleOnionHop(), out;
  hop.inner.clear();
  EXPECT_EQ(DecodeOnionHop(EncodeOnionHop(hop), &out).message(), "bad-onion-hop");
  hop = SampleOnionHop();
  hop.next = {};
  EXPECT_EQ(DecodeOnionHop(EncodeOnionHop(hop), &out).message(), "bad-onion-hop");
  hop = SampleOnionHop();
  hop.section_end = hop.section_begin;
  EXPECT_EQ(DecodeOnionHop(EncodeOnionHop(hop), &out).message(), "bad-onion-hop");
  hop = SampleOnionHop();
  hop.payment.assign(kMaxPaymentUpdate + 1, 0);
  EXPECT_EQ(DecodeOnionHop(EncodeOnionHop(hop), &out).message(), "bad-onion-hop");
  hop = SampleOnionHop();
  hop.inner.assign(kMaxOnionBytes + 1, 0);
  EXPECT_EQ(DecodeOnionHop(EncodeOnionHop(hop), &out).message(), "bad-onion-hop");
  payload = EncodeOnionHop(SampleOnionHop());
  payload.push_back(0);
  EXPECT_EQ(DecodeOnionHop(payload, &out).message(), "bad-onion-hop");
  OnionHopReply r;
  payload = EncodeOnionHopReply(OnionHopReply{});
  payload[0] = 4;
  EXPECT_EQ(DecodeOnionHopReply(payload, &r).message(), "bad-onion-reply");
  EXPECT_EQ(DecodeOnionHopReply({}, &r).message(), "bad-onion-reply");
}

TEST(MessagesTest, RejectsNonCanonicalAndOversizedPayload) {
  EXPECT_EQ(Reason(msgtype::kInv, {0xfd, 0x01, 0x00}), "non-canonical compact size");
  EXPECT_EQ(Reason(msgtype::kPing, std::vector<uint8_t>(9, 0)), "oversized-message");
  std::vector<uint8_t> v = EncodePayload(VersionMsg{});
  v.back() = 2;  // relay flag must be 0 or 1
  EXPECT_EQ(Reason(msgtype::kVersion, v), "non-canonical bool");
}

TEST(MessagesTest, UnknownCommandIsNotSupported) {
  Message out;
  Status s = DecodeMessage("sendcmpct", {}, &out);
  EXPECT_TRUE(s.IsNotSupported());
  EXPECT_EQ(s.message(), "unknown-command");
}

// --- Hostile input: mutated payloads never crash or throw -----------------------

/** One valid sample of every message kind. */
std::vector<Message> Samples() {
  ProofMsg proof;
  proof.tx = SampleTx();
  proof.proof.path = {H(1), H(2)};
  return {
      VersionMsg{.user_agent = "/x/"},
      VerackMsg{},
      PingMsg{.nonce = 1},
      PongMsg{.nonce = 2},
      AddrMsg{.entries = {AddrEntry{.time = 5, .addr = Service::FromIPv4(1, 2, 3, 4, 5)}}},
      GetAddrMsg{},
      InvMsg{.items = {{InvType::kTx, H(1)}, {InvType::kBlock, H(2)}}},
      GetDataMsg{.items = {{InvType::kTensor, H(3)}}},
      NotFoundMsg{.items = {{InvType::kWorkRecord, H(4)}}},
      GetHeadersMsg{.locator = {H(1), H(2)}, .stop = H(3)},
      HeadersMsg{.headers = {SampleHeader(1), SampleHeader(2)}},
      SendHeadersMsg{},
      FeeFilterMsg{.fee_rate = 10},
      BlockMsg{
          .block = {.header = SampleHeader(3), .txs = {SampleTx()}, .records = {SampleRecord()}}},
      TxMsg{.tx = SampleTx()},
      WorkRecordMsg{.record = SampleRecord()},
      GetProofMsg{.block_hash = H(5), .id = H(6)},
      proof,
      GetTensorMsg{.hash = H(7), .offset = 0, .length = 100},
      TensorMsg{.hash = H(7), .total_size = 10, .offset = 2, .data = {1, 2, 3}},
      RegWorkerMsg{.key = {7}, .payout = H(8), .signature = {9}},
      SampleServeInfo(),
      SampleStep(),
      SampleResult(),
      FraudProofMsg{.proof = {.header = SampleHeader(5), .record = SampleRecord()}},
      OnionStepMsg{.request_id = 3, .input = SampleStep().input, .onion = {1, 2, 3}},
      OnionReplyMsg{.request_id = 4, .sealed = {5, 6}},
      ServeRelayMsg{SampleServeInfo()}};
}

TEST(MessagesTest, MutatedPayloadsAreHandled) {
  std::mt19937 rng(12345);
  const auto samples = Samples();
  ASSERT_EQ(samples.size(), std::variant_size_v<Message>);
  for (const Message& sample : samples) {
    const std::vector<uint8_t> valid = EncodePayload(sample);
    ExpectRoundTrip(sample);
    for (int round = 0; round < 500; ++round) {
      std::vector<uint8_t> bytes = valid;
      switch (rng() % 4) {
        case 0:  // flip a few bytes
          for (int k = 0; k < 3 && !bytes.empty(); ++k)
            bytes[rng() % bytes.size()] ^= 1 + rng() % 255;
          break;
        case 1:  // truncate
          bytes.resize(bytes.empty() ? 0 : rng() % bytes.size());
          break;
        case 2:  // extend with junk
          for (int k = 0; k < 1 + static_cast<int>(rng() % 8); ++k) bytes.push_back(rng());
          break;
        default:  // a huge CompactSize at a random place
          if (!bytes.empty()) {
            const size_t at = rng() % bytes.size();
            bytes[at] = 0xff;
          }
          break;
      }
      Message out;
      Status s;
      EXPECT_NO_THROW(s = DecodeMessage(CommandOf(sample), bytes, &out));
      if (s.ok()) {  // whatever decoded must re-encode to the same bytes (one encoding)
        EXPECT_EQ(EncodePayload(out), bytes) << CommandOf(sample);
      }
    }
  }
}

// --- TensorAssembler ------------------------------------------------------------

TensorMsg Chunk(const Uint256& id, const std::vector<uint8_t>& all, uint64_t off, size_t len) {
  TensorMsg m;
  m.hash = id;
  m.total_size = all.size();
  m.offset = off;
  m.data.assign(all.begin() + off, all.begin() + off + len);
  return m;
}

TEST(TensorAssemblerTest, OutOfOrderChunksVerifyAgainstHash) {
  std::vector<uint8_t> all(1000);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint8_t>(i * 7);
  const Uint256 id = Sha256Hash(all);
  TensorAssembler a(id, 4096);
  ASSERT_TRUE(a.AddChunk(Chunk(id, all, 600, 400)).ok());
  EXPECT_EQ(a.NextMissingOffset(), 0u);
  ASSERT_TRUE(a.AddChunk(Chunk(id, all, 0, 300)).ok());
  EXPECT_EQ(a.NextMissingOffset(), 300u);
  ASSERT_TRUE(a.AddChunk(Chunk(id, all, 200, 400)).ok());  // overlaps, then absorbs 600..1000
  ASSERT_TRUE(a.IsComplete());
  std::vector<uint8_t> out;
  ASSERT_TRUE(a.Finish(Sha256Hash, &out).ok());
  EXPECT_EQ(out, all);
}

TEST(TensorAssemblerTest, RefusesBadChunksAndWrongContent) {
  std::vector<uint8_t> all(100, 1);
  const Uint256 id = Sha256Hash(all);
  TensorAssembler a(id, 64);
  EXPECT_EQ(a.AddChunk(Chunk(id, all, 0, 10)).message(), "tensor-too-large");
  TensorAssembler b(id, 1000);
  EXPECT_EQ(b.AddChunk(Chunk(H(1), all, 0, 10)).message(), "tensor-wrong-hash");
  ASSERT_TRUE(b.AddChunk(Chunk(id, all, 0, 10)).ok());
  TensorMsg other = Chunk(id, all, 10, 10);
  other.total_size = 200;
  EXPECT_EQ(b.AddChunk(other).message(), "tensor-size-mismatch");
  std::vector<uint8_t> out;
  EXPECT_TRUE(b.Finish(Sha256Hash, &out).IsNotFound());
  std::vector<uint8_t> forged(100, 2);
  TensorAssembler c(id, 1000);
  ASSERT_TRUE(c.AddChunk(Chunk(id, forged, 0, 100)).ok());
  EXPECT_EQ(c.Finish(Sha256Hash, &out).message(), "tensor-hash-mismatch");
  EXPECT_EQ(c.NextMissingOffset(), 0u);  // start over from another peer
}

TEST(TensorAssemblerTest, PendingChunksAreBounded) {
  std::vector<uint8_t> all(1000, 3);
  const Uint256 id = Sha256Hash(all);
  TensorAssembler a(id, 1000);
  for (size_t i = 0; i < TensorAssembler::kMaxPendingChunks; ++i) {
    ASSERT_TRUE(a.AddChunk(Chunk(id, all, 10 + i * 10, 5)).ok());
  }
  EXPECT_EQ(a.AddChunk(Chunk(id, all, 900, 5)).message(), "tensor-too-many-pending");
}

}  // namespace
}  // namespace cc::net

namespace cc::net {
namespace {

TEST(LocatorHeightsTest, TenConsecutiveThenDoublingToGenesis) {
  EXPECT_EQ(LocatorHeights(0), (std::vector<uint32_t>{0}));
  EXPECT_EQ(LocatorHeights(3), (std::vector<uint32_t>{3, 2, 1, 0}));
  EXPECT_EQ(LocatorHeights(30),
            (std::vector<uint32_t>{30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 19, 15, 7, 0}));
  const std::vector<uint32_t> deep = LocatorHeights(4'000'000'000u);
  EXPECT_LE(deep.size(), kMaxLocatorSize);
  EXPECT_EQ(deep.back(), 0u);
  EXPECT_TRUE(std::is_sorted(deep.rbegin(), deep.rend()));
}

}  // namespace
}  // namespace cc::net
