#include "net/messages.h"

#include <algorithm>
#include <exception>

#include "chain/hash.h"

namespace cc::net {
namespace {

/** Reads a count and refuses it above `max` (with `reason`) before anything is reserved.
 *  An element is at least one byte, so a count above the bytes left is truncation. */
uint64_t ReadBoundedCount(Reader& r, size_t max, const char* reason) {
  const uint64_t count = r.ReadCompactSize();
  if (count > max) throw DecodeError(reason);
  if (count > r.remaining()) throw DecodeError("unexpected end of data");
  return count;
}

template <typename T>
void GetBoundedVector(Reader& r, std::vector<T>* out, size_t max, const char* reason) {
  const uint64_t count = ReadBoundedCount(r, max, reason);
  out->clear();
  out->reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    T item{};
    r(item);
    out->push_back(std::move(item));
  }
}

template <typename T>
Status DecodeAs(ByteSpan payload, Message* out) {
  T msg{};
  Status s = Deserialize(payload, &msg);
  if (!s.ok()) return s;
  *out = std::move(msg);
  return Status::OK();
}

using Decoder = Status (*)(ByteSpan, Message*);

template <typename T>
constexpr std::pair<std::string_view, Decoder> Entry() {
  return {T::kCommand, &DecodeAs<T>};
}

}  // namespace

void Put(Writer& w, const VersionMsg& m) {
  w(m.version, m.services, m.time, m.addr_from, m.nonce, m.user_agent, m.best_height, m.relay);
}
void Get(Reader& r, VersionMsg& m) {
  r(m.version, m.services, m.time, m.addr_from, m.nonce);
  const uint64_t len = ReadBoundedCount(r, kMaxUserAgentLength, "oversized-user-agent");
  const ByteSpan ua = r.ReadSpan(len);
  m.user_agent.assign(ua.begin(), ua.end());
  r(m.best_height, m.relay);
}

void Put(Writer& w, const AddrMsg& m) { w(m.entries); }
void Get(Reader& r, AddrMsg& m) {
  GetBoundedVector(r, &m.entries, kMaxAddrToSend, "oversized-addr");
}

void Put(Writer& w, const Inv& inv) { w(static_cast<uint32_t>(inv.type), inv.hash); }
void Get(Reader& r, Inv& inv) {
  uint32_t type = 0;
  r(type);
  if (type < static_cast<uint32_t>(InvType::kTx) ||
      type > static_cast<uint32_t>(InvType::kTensor)) {
    throw DecodeError("bad-inv-type");
  }
  inv.type = static_cast<InvType>(type);
  r(inv.hash);
}
void GetInvList(Reader& r, std::vector<Inv>* items) {
  GetBoundedVector(r, items, kMaxInvSize, "oversized-inv");
}

void Put(Writer& w, const GetHeadersMsg& m) { w(m.locator, m.stop); }
void Get(Reader& r, GetHeadersMsg& m) {
  GetBoundedVector(r, &m.locator, kMaxLocatorSize, "oversized-locator");
  r(m.stop);
}

void Put(Writer& w, const HeadersMsg& m) { w(m.headers); }
void Get(Reader& r, HeadersMsg& m) {
  GetBoundedVector(r, &m.headers, kMaxHeadersResults, "oversized-headers");
}

void Put(Writer& w, const FeeFilterMsg& m) { w(m.fee_rate); }
void Get(Reader& r, FeeFilterMsg& m) {
  r(m.fee_rate);
  if (!MoneyRange(m.fee_rate)) throw DecodeError("bad-feefilter");
}

namespace {
ProofKind GetProofKind(Reader& r) {
  uint8_t kind = 0;
  r(kind);
  if (kind != static_cast<uint8_t>(ProofKind::kTx) &&
      kind != static_cast<uint8_t>(ProofKind::kRecord) &&
      kind != static_cast<uint8_t>(ProofKind::kRegistry)) {
    throw DecodeError("bad-proof-kind");
  }
  return static_cast<ProofKind>(kind);
}
}  // namespace

void Put(Writer& w, const GetProofMsg& m) { w(static_cast<uint8_t>(m.kind), m.block_hash, m.id); }
void Get(Reader& r, GetProofMsg& m) {
  m.kind = GetProofKind(r);
  r(m.block_hash, m.id);
}

void Put(Writer& w, const ProofMsg& m) {
  w(static_cast<uint8_t>(m.kind), m.block_hash);
  switch (m.kind) {
    case ProofKind::kTx:
      w(m.tx);
      break;
    case ProofKind::kRecord:
      w(m.record);
      break;
    case ProofKind::kRegistry:
      w(m.entry);
      break;
  }
  w(m.proof);
}
void Get(Reader& r, ProofMsg& m) {
  m.kind = GetProofKind(r);
  r(m.block_hash);
  switch (m.kind) {
    case ProofKind::kTx:
      r(m.tx);
      break;
    case ProofKind::kRecord:
      r(m.record);
      break;
    case ProofKind::kRegistry:
      r(m.entry);
      break;
  }
  r(m.proof.leaf_index, m.proof.tree_size);
  GetBoundedVector(r, &m.proof.path, kMaxMerkleProofDepth, "oversized-proof");
}

void Put(Writer& w, const GetTensorMsg& m) { w(m.hash, m.offset, m.length); }
void Get(Reader& r, GetTensorMsg& m) {
  r(m.hash, m.offset, m.length);
  if (m.length == 0) throw DecodeError("bad-tensor-length");
  if (m.length > kMaxTensorChunk) throw DecodeError("oversized-tensor-chunk");
}

void Put(Writer& w, const TensorMsg& m) { w(m.hash, m.total_size, m.offset, m.data); }
void Get(Reader& r, TensorMsg& m) {
  r(m.hash, m.total_size, m.offset);
  if (m.total_size > kMaxTensorSize) throw DecodeError("oversized-tensor");
  const uint64_t len = ReadBoundedCount(r, kMaxTensorChunk, "oversized-tensor-chunk");
  const ByteSpan data = r.ReadSpan(len);
  m.data.assign(data.begin(), data.end());
  if (m.offset > m.total_size || m.data.size() > m.total_size - m.offset) {
    throw DecodeError("bad-tensor-range");
  }
}

namespace {

// The tag of ServeInfoSigningHash, here beside its only user (not a consensus hash).
constexpr std::string_view kServeInfoTag = "Computecoin/ServeInfo";

void PutUnsignedServeInfo(Writer& w, const ServeInfoMsg& m) {
  w(m.state_root, m.section_begin, m.section_end, m.price, m.max_sessions, m.sessions, m.payee,
    m.onion_key, m.time, m.links, m.bond.has_value());
  if (m.bond) w(*m.bond);
}

}  // namespace

void Put(Writer& w, const ServeInfoMsg& m) {
  PutUnsignedServeInfo(w, m);
  w(m.signature);
}
void Get(Reader& r, ServeInfoMsg& m) {
  r(m.state_root, m.section_begin, m.section_end, m.price, m.max_sessions, m.sessions, m.payee,
    m.onion_key, m.time);
  if (m.section_begin >= m.section_end) throw DecodeError("bad-serve-range");
  if (!MoneyRange(m.price)) throw DecodeError("bad-serve-price");
  const uint64_t links = ReadBoundedCount(r, kMaxServeLinks, "oversized-serve-links");
  m.links.resize(links);
  for (XOnlyPubKeyBytes& key : m.links) r(key);
  bool has_bond = false;
  r(has_bond);
  m.bond.reset();
  if (has_bond) r(m.bond.emplace());
  r(m.signature);
}

Uint256 ServeInfoSigningHash(const ServeInfoMsg& m) {
  std::vector<uint8_t> data;
  Writer w(&data);
  PutUnsignedServeInfo(w, m);
  return TaggedHash(kServeInfoTag, data);
}

bool IsSignedServeInfo(const ServeInfoMsg& m) {
  return VerifySchnorr(m.onion_key, ServeInfoSigningHash(m), m.signature);
}

namespace {

/** An inference tensor: token ids (u8, rank 1) or a float32 stream (rank 1 for logits,
 *  2 for hidden states), its payload within kMaxInferTensorBytes. The tensor's decoder
 *  allocates only bytes that have arrived, which the message's cap bounds. */
void GetInferTensor(Reader& r, compute::EncodedTensor* t, bool tokens_allowed) {
  r(*t);
  const bool tokens = t->codec == compute::Codec::kUInt8 && t->shape.size() == 1;
  const bool floats =
      t->codec == compute::Codec::kFloat32 && (t->shape.size() == 1 || t->shape.size() == 2);
  if (!(floats || (tokens && tokens_allowed))) throw DecodeError("bad-infer-tensor");
  if (t->payload.size() > kMaxInferTensorBytes) throw DecodeError("oversized-infer-tensor");
}

}  // namespace

void Put(Writer& w, const InferStepMsg& m) {
  w(m.request_id, m.session, m.state_root, m.section_begin, m.section_end, m.position, m.input,
    m.payment);
}
void Get(Reader& r, InferStepMsg& m) {
  r(m.request_id, m.session, m.state_root, m.section_begin, m.section_end, m.position);
  if (m.section_begin >= m.section_end) throw DecodeError("bad-serve-range");
  GetInferTensor(r, &m.input, /*tokens_allowed=*/true);
  const uint64_t len = ReadBoundedCount(r, kMaxPaymentUpdate, "oversized-payment");
  const ByteSpan payment = r.ReadSpan(len);
  m.payment.assign(payment.begin(), payment.end());
}

void Put(Writer& w, const InferResultMsg& m) {
  w(m.request_id, static_cast<uint8_t>(m.code), m.reason);
  if (m.code != InferCode::kOk) return;
  w(m.output, m.receipt.has_value());
  if (m.receipt) w(*m.receipt);
}
void Get(Reader& r, InferResultMsg& m) {
  uint8_t code = 0;
  r(m.request_id, code);
  if (code > static_cast<uint8_t>(InferCode::kUnknownSession)) throw DecodeError("bad-infer-code");
  m.code = static_cast<InferCode>(code);
  const uint64_t len = ReadBoundedCount(r, kMaxInferReason, "oversized-infer-reason");
  const ByteSpan reason = r.ReadSpan(len);
  m.reason.assign(reason.begin(), reason.end());
  if (m.code != InferCode::kOk) return;
  GetInferTensor(r, &m.output, /*tokens_allowed=*/false);
  bool has_receipt = false;
  r(has_receipt);
  if (has_receipt) {
    m.receipt.emplace();
    r(*m.receipt);
  }
}

std::vector<uint8_t> EncodeInferPayment(const InferPayment& payment) {
  std::vector<uint8_t> out;
  Writer w(&out);
  w(payment.channel, payment.update.has_value());
  if (payment.update) w(*payment.update);
  w(payment.salt);
  return out;
}

Status DecodeInferPayment(ByteSpan bytes, InferPayment* out) {
  try {
    Reader r(bytes);
    InferPayment p;
    bool has_update = false;
    r(p.channel, has_update);
    if (has_update) {
      p.update.emplace();
      r(*p.update);
    }
    r(p.salt);
    if (r.remaining() != 0) return Status::Corruption("bad-payment");
    *out = std::move(p);
    return Status::OK();
  } catch (const std::exception&) {
    return Status::Corruption("bad-payment");
  }
}

// ---------------------------------------------------------------------------
// Onion-routed inference.

namespace {

// A length-prefixed byte string of at most `max` bytes, read without
// allocating beyond what has arrived.
void GetBoundedBytes(Reader& r, std::vector<uint8_t>* out, size_t max, const char* reason) {
  const uint64_t len = ReadBoundedCount(r, max, reason);
  const ByteSpan bytes = r.ReadSpan(len);
  out->assign(bytes.begin(), bytes.end());
}

void GetBoundedString(Reader& r, std::string* out, size_t max, const char* reason) {
  const uint64_t len = ReadBoundedCount(r, max, reason);
  const ByteSpan bytes = r.ReadSpan(len);
  out->assign(bytes.begin(), bytes.end());
}

}  // namespace

void Put(Writer& w, const OnionStepMsg& m) { w(m.request_id, m.input, m.onion); }
void Get(Reader& r, OnionStepMsg& m) {
  r(m.request_id);
  GetInferTensor(r, &m.input, /*tokens_allowed=*/true);
  GetBoundedBytes(r, &m.onion, kMaxOnionBytes, "oversized-onion");
}

void Put(Writer& w, const OnionReplyMsg& m) {
  w(m.request_id, static_cast<uint8_t>(m.code), m.reason, m.sealed);
}
void Get(Reader& r, OnionReplyMsg& m) {
  uint8_t code = 0;
  r(m.request_id, code);
  if (code > static_cast<uint8_t>(OnionReplyCode::kRefused)) throw DecodeError("bad-onion-code");
  m.code = static_cast<OnionReplyCode>(code);
  GetBoundedString(r, &m.reason, kMaxInferReason, "oversized-infer-reason");
  GetBoundedBytes(r, &m.sealed, kMaxOnionReplyBytes, "oversized-onion-reply");
}

std::vector<uint8_t> EncodeOnionHop(const OnionHop& hop) {
  std::vector<uint8_t> out;
  Writer w(&out);
  w(hop.session, hop.state_root, hop.section_begin, hop.section_end, hop.position, hop.payment,
    hop.wait_ms, hop.next, hop.inner);
  return out;
}

Status DecodeOnionHop(ByteSpan bytes, OnionHop* out) {
  try {
    Reader r(bytes);
    OnionHop h;
    r(h.session, h.state_root, h.section_begin, h.section_end, h.position);
    GetBoundedBytes(r, &h.payment, kMaxPaymentUpdate, "bad-onion-hop");
    r(h.wait_ms, h.next);
    GetBoundedBytes(r, &h.inner, kMaxOnionBytes, "bad-onion-hop");
    const bool last = h.next == XOnlyPubKeyBytes{};
    if (r.remaining() != 0 || h.section_begin >= h.section_end || last != h.inner.empty())
      return Status::Corruption("bad-onion-hop");
    *out = std::move(h);
    return Status::OK();
  } catch (const std::exception&) {
    return Status::Corruption("bad-onion-hop");
  }
}

std::vector<uint8_t> EncodeOnionHopReply(const OnionHopReply& reply) {
  std::vector<uint8_t> out;
  Writer w(&out);
  w(static_cast<uint8_t>(reply.code), reply.reason, reply.receipt.has_value());
  if (reply.receipt) w(*reply.receipt);
  w(reply.body);
  return out;
}

Status DecodeOnionHopReply(ByteSpan bytes, OnionHopReply* out) {
  try {
    Reader r(bytes);
    OnionHopReply h;
    uint8_t code = 0;
    r(code);
    if (code > static_cast<uint8_t>(OnionHopCode::kNextFailed))
      return Status::Corruption("bad-onion-reply");
    h.code = static_cast<OnionHopCode>(code);
    GetBoundedString(r, &h.reason, kMaxInferReason, "bad-onion-reply");
    bool has_receipt = false;
    r(has_receipt);
    if (has_receipt) {
      h.receipt.emplace();
      r(*h.receipt);
    }
    GetBoundedBytes(r, &h.body, kMaxOnionReplyBytes, "bad-onion-reply");
    if (r.remaining() != 0) return Status::Corruption("bad-onion-reply");
    *out = std::move(h);
    return Status::OK();
  } catch (const std::exception&) {
    return Status::Corruption("bad-onion-reply");
  }
}

std::string_view CommandOf(const Message& msg) {
  return std::visit([](const auto& m) { return std::decay_t<decltype(m)>::kCommand; }, msg);
}

std::vector<uint8_t> EncodePayload(const Message& msg) {
  return std::visit([](const auto& m) { return Serialize(m); }, msg);
}

Status DecodeMessage(std::string_view command, ByteSpan payload, Message* out) {
  static constexpr std::pair<std::string_view, Decoder> kDecoders[] = {
      Entry<VersionMsg>(),   Entry<VerackMsg>(),     Entry<PingMsg>(),      Entry<PongMsg>(),
      Entry<AddrMsg>(),      Entry<GetAddrMsg>(),    Entry<InvMsg>(),       Entry<GetDataMsg>(),
      Entry<NotFoundMsg>(),  Entry<GetHeadersMsg>(), Entry<HeadersMsg>(),   Entry<SendHeadersMsg>(),
      Entry<FeeFilterMsg>(), Entry<BlockMsg>(),      Entry<TxMsg>(),        Entry<WorkRecordMsg>(),
      Entry<GetProofMsg>(),  Entry<ProofMsg>(),      Entry<GetTensorMsg>(), Entry<TensorMsg>(),
      Entry<RegWorkerMsg>(), Entry<ServeInfoMsg>(),  Entry<InferStepMsg>(), Entry<InferResultMsg>(),
      Entry<FraudProofMsg>(),
      Entry<OnionStepMsg>(), Entry<OnionReplyMsg>(), Entry<ServeRelayMsg>(),
  };
  static_assert(std::size(kDecoders) == std::variant_size_v<Message>);
  for (const auto& [name, decode] : kDecoders) {
    if (name != command) continue;
    if (payload.size() > MaxPayloadLength(command)) return Status::Corruption("oversized-message");
    try {
      return decode(payload, out);
    } catch (const std::exception& e) {
      // Deserialize() turns DecodeError into a Status; anything else (bad_alloc) lands here.
      return Status::Corruption(e.what());
    }
  }
  return Status::NotSupported("unknown-command");
}

std::vector<uint32_t> LocatorHeights(uint32_t tip_height) {
  std::vector<uint32_t> heights;
  uint32_t height = tip_height;
  uint32_t step = 1;
  while (true) {
    heights.push_back(height);
    if (height == 0) break;
    if (heights.size() == kMaxLocatorSize - 1) {
      heights.push_back(0);
      break;
    }
    if (heights.size() >= 10) step *= 2;
    height = height > step ? height - step : 0;
  }
  return heights;
}

}  // namespace cc::net
