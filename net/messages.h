// One struct per P2P message, its payload encoding and the caps enforced while
// decoding it.
//
// Payloads use chain/serialize.h (little-endian integers, CompactSize-prefixed
// vectors and strings, canonical forms only, no trailing bytes). A message whose
// fields carry a peer-chosen count reads the count first and refuses it above the
// named cap before reserving anything; every element is then read from bytes that
// have already arrived, so decoding never allocates more than the payload's size.
//
// Wire formats (field:type, in order):
//   version     version:i32 services:u64 time:i64 addr_from:Service nonce:u64
//               user_agent:string(<=256) best_height:u32 relay:bool
//   verack, getaddr, sendheaders                      (empty)
//   ping, pong  nonce:u64
//   addr        vector<AddrEntry>(<=1000); AddrEntry = time:i64 services:u64 addr:Service
//   inv, getdata, notfound
//               vector<Inv>(<=50000);   Inv = type:u32 (1 tx, 2 block, 3 record, 4 tensor) hash
//   getheaders  locator:vector<Uint256>(<=101) stop:Uint256
//   headers     vector<BlockHeader>(<=2000)
//   feefilter   fee_rate:i64 (0..kMaxMoney, per 1000 bytes)
//   block       Block;  tx  Transaction;  workrecord  WorkRecord
//   getproof    kind:u8 (1 tx, 2 record, 3 registry) block_hash:Uint256
//               id:Uint256 (txid, record hash or worker key)
//   proof       kind:u8 block_hash:Uint256
//               object:(Transaction|WorkRecord|WorkerEntry by kind) proof:MerkleProof (path <= 64)
//   regworker   key:bytes32 payout:Uint256 signature:bytes64
//   serveinfo   state_root:Uint256 section_begin:u32 section_end:u32 price:i64 (0..kMaxMoney)
//               max_sessions:u32 sessions:u32 payee:bytes32 onion_key:bytes32 time:i64
//               links:vector<bytes32>(<= kMaxServeLinks) has_bond:bool [bond:HolderBond]
//               signature:bytes64
//               (doc/inference.md; signed by onion_key: ServeInfoSigningHash)
//   serverelay  the same payload: another holder's announcement, relayed
//   inferstep   request_id:u64 session:Uint256 state_root:Uint256 section_begin:u32
//               section_end:u32 position:u32 input:EncodedTensor(u8 rank 1 or fp32 rank 2,
//               <= kMaxInferTensorBytes) payment:bytes(<= kMaxPaymentUpdate; empty, or
//               one InferPayment: channel:Channel has_update:bool [update:ChannelUpdate]
//               salt:Uint256, read by the holder: DecodeInferPayment)
//   inferresult request_id:u64 code:u8 (0 ok, 1 refused, 2 unknown session)
//               reason:string(<= kMaxInferReason) [output:EncodedTensor(fp32, rank 1 or 2,
//               <= kMaxInferTensorBytes) has_receipt:bool [receipt:Receipt], only when
//               code is 0]
//   fraudproof  FraudProof (chain/fraud_proof.h: header:BlockHeader record:WorkRecord
//               path:MerkleProof; record inputs and outputs <= 4096 each, path <= 64;
//               <= kMaxFraudProofSize bytes)
//   onionstep   request_id:u64 input:EncodedTensor(as inferstep's) onion:bytes(<= kMaxOnionBytes)
//   onionreply  request_id:u64 code:u8 (0 sealed, 1 refused) reason:string(<= kMaxInferReason)
//               sealed:bytes(<= kMaxOnionReplyBytes)
//               (inside the onion, after decryption by node/onion.h: OnionHop and
//               OnionHopReply, below)
//   gettensor   hash:Uint256 offset:u64 length:u32(1..1 MiB)
//   tensor      hash:Uint256 total_size:u64(<=kMaxTensorSize) offset:u64
//               data:bytes(<=1 MiB), offset + data.size() <= total_size
//
// Decoding failures are Status::Corruption with a stable reason: the reasons of
// chain/serialize.h ("unexpected end of data", "trailing bytes", ...) or one of
// "oversized-user-agent", "oversized-addr", "oversized-inv", "bad-inv-type",
// "oversized-locator", "oversized-headers", "bad-feefilter", "bad-proof-kind",
// "oversized-proof", "bad-tensor-length", "oversized-tensor-chunk", "bad-tensor-range",
// "oversized-tensor", "bad-serve-range", "bad-serve-price", "oversized-serve-links", "bad-infer-tensor",
// "oversized-infer-tensor", "oversized-payment", "bad-infer-code", "oversized-infer-reason",
// "oversized-fraud-record", "oversized-fraud-path", "oversized-onion", "bad-onion-code",
// "oversized-onion-reply", "bad-onion-hop", "oversized-message"; an unknown command is
// NotSupported("unknown-command").
//
// Thread safety: values and pure functions.

#ifndef COMPUTECOIN_NET_MESSAGES_H
#define COMPUTECOIN_NET_MESSAGES_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "chain/amount.h"
#include "chain/block.h"
#include "chain/channel.h"
#include "chain/fraud_proof.h"
#include "chain/key.h"
#include "chain/merkle.h"
#include "chain/receipt.h"
#include "chain/serialize.h"
#include "chain/status.h"
#include "chain/transaction.h"
#include "chain/work.h"
#include "compute/tensor.h"
#include "consensus/consensus_state.h"
#include "net/netaddress.h"
#include "net/protocol.h"

namespace cc::net {

/** Longest user agent accepted in `version`: enough for "/computecoin:1.2.3(comment)/". */
inline constexpr size_t kMaxUserAgentLength = 256;
/** Most entries in one `addr`: Bitcoin Core's MAX_ADDR_TO_SEND, a few hundred kB at most. */
inline constexpr size_t kMaxAddrToSend = 1000;
/** Most entries in one inv/getdata/notfound: Bitcoin Core's MAX_INV_SZ (1.8 MB). */
inline constexpr size_t kMaxInvSize = 50000;
/** Most hashes in a locator: 10 recent + log2(height) steps suffice for 2^90 blocks. */
inline constexpr size_t kMaxLocatorSize = 101;
/** Most headers per `headers`: Bitcoin Core's MAX_HEADERS_RESULTS (480 kB of ours). */
inline constexpr size_t kMaxHeadersResults = 2000;
/** Deepest Merkle path: a tree size is a u64, so 64 levels cover every tree. */
inline constexpr size_t kMaxMerkleProofDepth = 64;
/** Largest tensor chunk asked or served at once: keeps one message well under the
 *  protocol cap and lets a transfer resume from another peer at a fine grain. */
inline constexpr uint32_t kMaxTensorChunk = 1024 * 1024;
/** Largest tensor a peer may announce: bounds what a TensorAssembler will hold. */
inline constexpr uint64_t kMaxTensorSize = uint64_t{1} << 30;
/** Largest hidden state (payload bytes) in one inference step: a whole window of
 *  gpt2-small's shape (T = 1024, C = 768, fp32) is 3 MiB. */
inline constexpr uint64_t kMaxInferTensorBytes = 8 * 1024 * 1024;
/** Most bytes of the payment riding on a step (an InferPayment is 293). */
inline constexpr size_t kMaxPaymentUpdate = 1024;
/** A Receipt's encoding (chain/receipt.h), fixed size. */
inline constexpr size_t kReceiptSize = 32 + 32 + 4 + 4 + 32 + 32 + 4 + 8 + 32 + 64;
/** Longest refusal reason in an inferresult. */
inline constexpr size_t kMaxInferReason = 111;
/** Most hops an onion route may have: a route covers each section once, and
 *  no preset has more sections than this. */
inline constexpr size_t kMaxOnionHops = 8;
/** Largest onion (every layer): kMaxOnionHops layers of one hop's instructions
 *  (OnionHop: 1,142 bytes at most, with the largest payment field) and 60 bytes of sealing each. */
inline constexpr size_t kMaxOnionBytes = 10 * 1024;
/** Largest sealed onion reply: the last hop's logits (the byte vocabulary: 256
 *  fp32, 1 KiB) under kMaxOnionHops layers of a reply (a receipt, a reason and
 *  sealing: under 450 bytes each). Replies never carry hidden states. */
inline constexpr size_t kMaxOnionReplyBytes = 8 * 1024;

// ---------------------------------------------------------------------------
// Handshake and keep-alive.

struct VersionMsg {
  static constexpr std::string_view kCommand = msgtype::kVersion;
  /** 4 + 8 + 8 + 18 + 8 + (3 + 256) + 4 + 1 bytes. */
  static constexpr uint32_t kMaxPayload = 4 + 8 + 8 + 18 + 8 + 3 + kMaxUserAgentLength + 4 + 1;

  int32_t version = kProtocolVersion;
  uint64_t services = kNodeNone;
  int64_t time = 0;    //!< sender's clock, seconds since the Unix epoch
  Service addr_from;   //!< the address the sender believes it is reachable at
  uint64_t nonce = 0;  //!< random per connection: receiving our own nonce = self-connection
  std::string user_agent;
  uint32_t best_height = 0;
  bool relay = true;  //!< false: do not announce transactions to me
  bool operator==(const VersionMsg&) const = default;
};
void Put(Writer& w, const VersionMsg& m);
void Get(Reader& r, VersionMsg& m);

struct VerackMsg {
  static constexpr std::string_view kCommand = msgtype::kVerack;
  CC_SERIALIZE_METHODS(VerackMsg, obj) { (void)obj, (void)ar; }
  bool operator==(const VerackMsg&) const = default;
};

struct PingMsg {
  static constexpr std::string_view kCommand = msgtype::kPing;
  uint64_t nonce = 0;
  CC_SERIALIZE_METHODS(PingMsg, obj) { ar(obj.nonce); }
  bool operator==(const PingMsg&) const = default;
};

struct PongMsg {
  static constexpr std::string_view kCommand = msgtype::kPong;
  uint64_t nonce = 0;  //!< the ping's nonce
  CC_SERIALIZE_METHODS(PongMsg, obj) { ar(obj.nonce); }
  bool operator==(const PongMsg&) const = default;
};

// ---------------------------------------------------------------------------
// Addresses.

struct AddrEntry {
  int64_t time = 0;  //!< last seen, seconds since the Unix epoch (untrusted)
  uint64_t services = kNodeNone;
  Service addr;
  CC_SERIALIZE_METHODS(AddrEntry, obj) { ar(obj.time, obj.services, obj.addr); }
  bool operator==(const AddrEntry&) const = default;
};

struct AddrMsg {
  static constexpr std::string_view kCommand = msgtype::kAddr;
  /** 3-byte count + 1000 entries of 34 bytes. */
  static constexpr uint32_t kMaxPayload = 3 + kMaxAddrToSend * 34;
  std::vector<AddrEntry> entries;
  bool operator==(const AddrMsg&) const = default;
};
void Put(Writer& w, const AddrMsg& m);
void Get(Reader& r, AddrMsg& m);

struct GetAddrMsg {
  static constexpr std::string_view kCommand = msgtype::kGetAddr;
  CC_SERIALIZE_METHODS(GetAddrMsg, obj) { (void)obj, (void)ar; }
  bool operator==(const GetAddrMsg&) const = default;
};

// ---------------------------------------------------------------------------
// Inventory.

enum class InvType : uint32_t {
  kTx = 1,          //!< a transaction, by txid
  kBlock = 2,       //!< a block, by block id
  kWorkRecord = 3,  //!< a work record, by record hash
  kTensor = 4,      //!< a tensor, by content hash (fetched with gettensor)
};

struct Inv {
  InvType type = InvType::kTx;
  Uint256 hash;
  bool operator==(const Inv&) const = default;
};
/** Decoding rejects unknown types ("bad-inv-type"). */
void Put(Writer& w, const Inv& inv);
void Get(Reader& r, Inv& inv);

/** 3-byte count (50000 < 2^16) + 50000 entries of 36 bytes. */
inline constexpr uint32_t kMaxInvPayload = 3 + kMaxInvSize * 36;

/** inv, getdata and notfound share a payload; the command makes them distinct types. */
template <const std::string_view& Command>
struct InvListMsg {
  static constexpr std::string_view kCommand = Command;
  std::vector<Inv> items;
  bool operator==(const InvListMsg&) const = default;
};
template <const std::string_view& Command>
void Put(Writer& w, const InvListMsg<Command>& m) {
  w(m.items);
}
void GetInvList(Reader& r, std::vector<Inv>* items);
template <const std::string_view& Command>
void Get(Reader& r, InvListMsg<Command>& m) {
  GetInvList(r, &m.items);
}
using InvMsg = InvListMsg<msgtype::kInv>;
using GetDataMsg = InvListMsg<msgtype::kGetData>;
using NotFoundMsg = InvListMsg<msgtype::kNotFound>;

// ---------------------------------------------------------------------------
// Headers and objects.

/** The heights a getheaders locator names for a chain whose tip is at
 *  `tip_height`: newest first, the last ten consecutive, then doubling steps
 *  back, always ending at genesis (0); at most kMaxLocatorSize entries. Full
 *  nodes and the light client both build their locators from it. */
std::vector<uint32_t> LocatorHeights(uint32_t tip_height);

struct GetHeadersMsg {
  static constexpr std::string_view kCommand = msgtype::kGetHeaders;
  /** 1-byte count (101 < 0xfd) + 101 hashes + the stop hash. */
  static constexpr uint32_t kMaxPayload = 1 + kMaxLocatorSize * 32 + 32;
  std::vector<Uint256> locator;  //!< newest first, exponentially spaced back to genesis
  Uint256 stop;                  //!< last header wanted; zero = as many as allowed
  bool operator==(const GetHeadersMsg&) const = default;
};
void Put(Writer& w, const GetHeadersMsg& m);
void Get(Reader& r, GetHeadersMsg& m);

struct HeadersMsg {
  static constexpr std::string_view kCommand = msgtype::kHeaders;
  /** 3-byte count + 2000 headers. */
  static constexpr uint32_t kMaxPayload = 3 + kMaxHeadersResults * kBlockHeaderSize;
  std::vector<BlockHeader> headers;
  bool operator==(const HeadersMsg&) const = default;
};
void Put(Writer& w, const HeadersMsg& m);
void Get(Reader& r, HeadersMsg& m);

struct SendHeadersMsg {
  static constexpr std::string_view kCommand = msgtype::kSendHeaders;
  CC_SERIALIZE_METHODS(SendHeadersMsg, obj) { (void)obj, (void)ar; }
  bool operator==(const SendHeadersMsg&) const = default;
};

struct FeeFilterMsg {
  static constexpr std::string_view kCommand = msgtype::kFeeFilter;
  Amount fee_rate = 0;  //!< per 1000 bytes; do not announce transactions paying less
  bool operator==(const FeeFilterMsg&) const = default;
};
/** Decoding rejects rates outside [0, kMaxMoney] ("bad-feefilter"). */
void Put(Writer& w, const FeeFilterMsg& m);
void Get(Reader& r, FeeFilterMsg& m);

struct BlockMsg {
  static constexpr std::string_view kCommand = msgtype::kBlock;
  Block block;
  CC_SERIALIZE_METHODS(BlockMsg, obj) { ar(obj.block); }
  bool operator==(const BlockMsg&) const = default;
};

struct TxMsg {
  static constexpr std::string_view kCommand = msgtype::kTx;
  Transaction tx;
  CC_SERIALIZE_METHODS(TxMsg, obj) { ar(obj.tx); }
  bool operator==(const TxMsg&) const = default;
};

struct WorkRecordMsg {
  static constexpr std::string_view kCommand = msgtype::kWorkRecord;
  WorkRecord record;
  CC_SERIALIZE_METHODS(WorkRecordMsg, obj) { ar(obj.record); }
  bool operator==(const WorkRecordMsg&) const = default;
};

// ---------------------------------------------------------------------------
// Merkle proofs for light clients.

enum class ProofKind : uint8_t {
  kTx = 1,        //!< a transaction: leaf = its wtxid in the header's tx_root
  kRecord = 2,    //!< a work record: leaf = its Hash() in the header's work_root
  kRegistry = 3,  //!< a registered worker: leaf = RegistryLeaf(entry) in registry_root
};

struct GetProofMsg {
  static constexpr std::string_view kCommand = msgtype::kGetProof;
  static constexpr uint32_t kMaxPayload = 1 + 32 + 32;
  ProofKind kind = ProofKind::kTx;
  Uint256 block_hash;
  Uint256 id;  //!< txid (kTx), record hash (kRecord) or worker key (kRegistry)
  bool operator==(const GetProofMsg&) const = default;
};
/** Decoding rejects unknown kinds ("bad-proof-kind"). */
void Put(Writer& w, const GetProofMsg& m);
void Get(Reader& r, GetProofMsg& m);

struct ProofMsg {
  static constexpr std::string_view kCommand = msgtype::kProof;
  ProofKind kind = ProofKind::kTx;
  Uint256 block_hash;
  Transaction tx;     //!< meaningful (and on the wire) only when kind == kTx
  WorkRecord record;  //!< meaningful (and on the wire) only when kind == kRecord
  WorkerEntry entry;  //!< meaningful (and on the wire) only when kind == kRegistry
  MerkleProof proof;  //!< path length <= kMaxMerkleProofDepth ("oversized-proof")
  bool operator==(const ProofMsg&) const = default;
};
void Put(Writer& w, const ProofMsg& m);
void Get(Reader& r, ProofMsg& m);

// ---------------------------------------------------------------------------
// Tensors by content hash, in chunks (see net/tensor_transfer.h).

struct GetTensorMsg {
  static constexpr std::string_view kCommand = msgtype::kGetTensor;
  static constexpr uint32_t kMaxPayload = 32 + 8 + 4;
  Uint256 hash;
  uint64_t offset = 0;
  uint32_t length = 0;  //!< 1..kMaxTensorChunk ("bad-tensor-length", "oversized-tensor-chunk")
  bool operator==(const GetTensorMsg&) const = default;
};
void Put(Writer& w, const GetTensorMsg& m);
void Get(Reader& r, GetTensorMsg& m);

struct TensorMsg {
  static constexpr std::string_view kCommand = msgtype::kTensor;
  static constexpr uint32_t kMaxPayload = 32 + 8 + 8 + 5 + kMaxTensorChunk;
  Uint256 hash;             //!< the content hash requested
  uint64_t total_size = 0;  //!< bytes of the whole tensor encoding
  uint64_t offset = 0;      //!< where `data` starts
  std::vector<uint8_t> data;
  bool operator==(const TensorMsg&) const = default;
};
void Put(Writer& w, const TensorMsg& m);
void Get(Reader& r, TensorMsg& m);

// ---------------------------------------------------------------------------
// Free registrations (networks whose worker bond is 0).

/** A worker asks the producers of a bond-0 network to register its key with
 *  a zero-value bond in their coinbase (doc/consensus.md §2); signed by the
 *  key, so nobody registers keys they do not hold. Relayed like a
 *  transaction; not consensus. */
struct RegWorkerMsg {
  static constexpr std::string_view kCommand = msgtype::kRegWorker;
  static constexpr uint32_t kMaxPayload = 32 + 32 + 64;
  XOnlyPubKeyBytes key{};
  Uint256 payout;  //!< the key hash its rewards go to (its kWorkerPayout output)
  /// The key's signature of PayoutSigningHash(genesis, key, payout)
  /// (chain/transaction.h): the kWorkerPayout output's payout_signature, so
  /// it is valid on one network only and nobody relaying it can change
  /// where the worker is paid.
  SchnorrSigBytes signature{};
  CC_SERIALIZE_METHODS(RegWorkerMsg, obj) { ar(obj.key, obj.payout, obj.signature); }
  bool operator==(const RegWorkerMsg&) const = default;
};

// ---------------------------------------------------------------------------
// Inference (doc/inference.md): holders announce what they serve; a client
// steps its sessions through them, one hop at a time.

/** Onion keys of holders one announcement may name as its peers. */
inline constexpr size_t kMaxServeLinks = 16;

/** A holder's signed offer. It sends it as `serveinfo` to each peer after the
 *  handshake and again when it changes; peers relay it to theirs as
 *  `serverelay` (net_processing.h), so a client learns holders it is not
 *  connected to. The signature by onion_key covers every other field, so no
 *  relayer can forge or alter one; the claims themselves stay untrusted: a
 *  client checks what a holder returns, not what it claims. */
struct ServeInfoMsg {
  static constexpr std::string_view kCommand = msgtype::kServeInfo;
  static constexpr uint32_t kMaxPayload =
      32 + 4 + 4 + 8 + 4 + 4 + 32 + 32 + 8 + (1 + 32 * kMaxServeLinks) + (1 + 32 + 64) + 64;
  Uint256 state_root;          //!< the model state whose weights it serves
  uint32_t section_begin = 0;  //!< sections [begin, end) of the partition; begin < end
  uint32_t section_end = 0;    //!<   ("bad-serve-range")
  Amount price = 0;            //!< per token processed, 0..kMaxMoney ("bad-serve-price")
  uint32_t max_sessions = 0;   //!< capacity
  uint32_t sessions = 0;       //!< held now: the load a router weighs
  /** The key payment channels to this holder must name (ChannelTerms::holder);
   *  all zero when it charges nothing. */
  XOnlyPubKeyBytes payee{};
  /** The key onion layers to this holder are sealed to (node/onion.h), drawn
   *  at each start; it names the holder (a route's next hop, the relay table's
   *  entry) and signs its announcements. */
  XOnlyPubKeyBytes onion_key{};
  /** Milliseconds since the epoch on the holder's clock, strictly increasing
   *  per key: a newer announcement replaces an older one, an old one expires
   *  (kServeAnnouncementLifetime). */
  int64_t time = 0;
  /** The onion keys of the holders it is connected to: the hops it can
   *  forward an onion to (a routing hint). At most kMaxServeLinks
   *  ("oversized-serve-links"). */
  std::vector<XOnlyPubKeyBytes> links;
  /** A registered worker's pledge of its bonds behind the payee's receipts
   *  (chain/receipt.h): what makes a wrong answer slashable. None on a
   *  holder that is not a worker, or charges nothing. A client checks it
   *  against the payee before it counts on it. */
  std::optional<HolderBond> bond;
  SchnorrSigBytes signature{};  //!< BIP340 by onion_key over ServeInfoSigningHash
  bool operator==(const ServeInfoMsg&) const = default;
};
void Put(Writer& w, const ServeInfoMsg& m);
void Get(Reader& r, ServeInfoMsg& m);

/** What an announcement's signature signs: TaggedHash("Computecoin/ServeInfo",
 *  its encoding without the signature). */
Uint256 ServeInfoSigningHash(const ServeInfoMsg& m);
/** Whether m.signature is onion_key's over ServeInfoSigningHash(m). */
bool IsSignedServeInfo(const ServeInfoMsg& m);

/** Another holder's announcement, passed on by a peer (net_processing.h):
 *  the same payload as serveinfo, which only the holder itself sends. */
struct ServeRelayMsg {
  static constexpr std::string_view kCommand = msgtype::kServeRelay;
  static constexpr uint32_t kMaxPayload = ServeInfoMsg::kMaxPayload;
  ServeInfoMsg info;
  bool operator==(const ServeRelayMsg&) const = default;
};
inline void Put(Writer& w, const ServeRelayMsg& m) { Put(w, m.info); }
inline void Get(Reader& r, ServeRelayMsg& m) { Get(r, m.info); }

/** One forward step of a session on one hop (compute/serve.h says what input is). */
struct InferStepMsg {
  static constexpr std::string_view kCommand = msgtype::kInferStep;
  static constexpr uint32_t kMaxPayload = 8 + 32 + 32 + 4 + 4 + 4 +
                                          (1 + 1 + 2 * 9 + 9 + kMaxInferTensorBytes) +
                                          (3 + kMaxPaymentUpdate);
  uint64_t request_id = 0;     //!< echoed in the result
  Uint256 session;             //!< drawn at random by the client, one per hop
  Uint256 state_root;          //!< the weights the client expects
  uint32_t section_begin = 0;  //!< the hop's range; must be the holder's
  uint32_t section_end = 0;
  uint32_t position = 0;  //!< of input's first row in the session
  compute::EncodedTensor input;
  /** Empty, or an InferPayment's encoding (doc/inference.md "Payment"); the
   *  holder decodes it (DecodeInferPayment), so a bad one is refused, not punished. */
  std::vector<uint8_t> payment;
  bool operator==(const InferStepMsg&) const = default;
};
void Put(Writer& w, const InferStepMsg& m);
void Get(Reader& r, InferStepMsg& m);

enum class InferCode : uint8_t {
  kOk = 0,
  kRefused = 1,         //!< reason says why; the session is unchanged
  kUnknownSession = 2,  //!< not held (evicted or expired): replay from position 0
};

struct InferResultMsg {
  static constexpr std::string_view kCommand = msgtype::kInferResult;
  static constexpr uint32_t kMaxPayload = 8 + 1 + (1 + kMaxInferReason) +
                                          (1 + 1 + 2 * 9 + 9 + kMaxInferTensorBytes) +
                                          (1 + kReceiptSize);
  uint64_t request_id = 0;
  InferCode code = InferCode::kOk;  //!< unknown codes: "bad-infer-code"
  std::string reason;               //!< empty when ok
  compute::EncodedTensor output;    //!< on the wire only when code is kOk
  /** A paid step's running receipt (doc/inference.md "Receipts"); on the wire
   *  only when code is kOk. */
  std::optional<Receipt> receipt;
  bool operator==(const InferResultMsg&) const = default;
};
void Put(Writer& w, const InferResultMsg& m);
void Get(Reader& r, InferResultMsg& m);

/** What a paying client puts in InferStepMsg::payment: the channel it pays
 *  over, the update that pays what it owes the holder (absent when it owes
 *  nothing: the holder is paid for each step by the next one, and for a
 *  request's last step by a step of no rows), and the request's receipt salt. */
struct InferPayment {
  Channel channel;
  std::optional<ChannelUpdate> update;
  Uint256 salt;  //!< salts the receipt's input and output hashes (receipt.h)
  bool operator==(const InferPayment&) const = default;
};
/** The encoding of `payment` (the file comment's InferPayment). */
std::vector<uint8_t> EncodeInferPayment(const InferPayment& payment);
/** Decodes InferStepMsg::payment. Returns: OK with *out; Corruption("bad-payment")
 *  for anything but one whole InferPayment. REQUIRES: out not null. */
Status DecodeInferPayment(ByteSpan bytes, InferPayment* out);

// ---------------------------------------------------------------------------
// Fraud proofs (doc/consensus.md §7): a block's wrong record, sent unasked to
// every peer by the node that re-executed it and relayed once by each node
// that checks it (net/net_processing.h).

struct FraudProofMsg {
  static constexpr std::string_view kCommand = msgtype::kFraudProof;
  static constexpr uint32_t kMaxPayload = static_cast<uint32_t>(kMaxFraudProofSize);
  FraudProof proof;  //!< its codec enforces the caps of chain/fraud_proof.h
  CC_SERIALIZE_METHODS(FraudProofMsg, obj) { ar(obj.proof); }
  bool operator==(const FraudProofMsg&) const = default;
};

// Onion-routed inference (doc/inference.md "Onion routing"): the client sends
// one onionstep to the route's first hop; each hop peels its layer
// (node/onion.h), computes, and passes its output and the rest of the onion
// to the next hop, whose onionreply it seals again and returns. A hop learns
// only its predecessor (the connection) and its successor (its layer).

/** A step and the onion of its route from this hop on. */
struct OnionStepMsg {
  static constexpr std::string_view kCommand = msgtype::kOnionStep;
  static constexpr uint32_t kMaxPayload =
      8 + (1 + 1 + 2 * 9 + 9 + kMaxInferTensorBytes) + (3 + kMaxOnionBytes);
  uint64_t request_id = 0;  //!< echoed in the reply; chosen per link, not per route
  /** The hop's input: the client's tokens at the first hop, the previous
   *  hop's output after it (as inferstep's input). */
  compute::EncodedTensor input;
  std::vector<uint8_t> onion;  //!< this hop's layer (node/onion.h), which holds the rest
  bool operator==(const OnionStepMsg&) const = default;
};
void Put(Writer& w, const OnionStepMsg& m);
void Get(Reader& r, OnionStepMsg& m);

enum class OnionReplyCode : uint8_t {
  kSealed = 0,   //!< sealed holds the hop's OnionHopReply, encrypted to the client
  kRefused = 1,  //!< the hop could not open its layer (or take a step at all): reason
};

struct OnionReplyMsg {
  static constexpr std::string_view kCommand = msgtype::kOnionReply;
  static constexpr uint32_t kMaxPayload =
      8 + 1 + (1 + kMaxInferReason) + (3 + kMaxOnionReplyBytes);
  uint64_t request_id = 0;
  OnionReplyCode code = OnionReplyCode::kSealed;  //!< unknown codes: "bad-onion-code"
  std::string reason;                             //!< empty when sealed
  std::vector<uint8_t> sealed;                    //!< empty when refused
  bool operator==(const OnionReplyMsg&) const = default;
};
void Put(Writer& w, const OnionReplyMsg& m);
void Get(Reader& r, OnionReplyMsg& m);

/** One hop's instructions, the plaintext of its onion layer:
 *    session:Uint256 state_root:Uint256 section_begin:u32 section_end:u32
 *    position:u32 payment:bytes(<= kMaxPaymentUpdate) wait_ms:u32
 *    next:bytes32 inner:bytes(<= kMaxOnionBytes)
 *  next is all zero at the last hop, which gets no inner onion; any other hop
 *  gets one. The fields are an inferstep's, for the hop alone. */
struct OnionHop {
  Uint256 session;
  Uint256 state_root;
  uint32_t section_begin = 0, section_end = 0;  //!< begin < end
  uint32_t position = 0;
  std::vector<uint8_t> payment;  //!< as InferStepMsg::payment
  uint32_t wait_ms = 0;          //!< how long to wait for the next hop's reply
  XOnlyPubKeyBytes next{};       //!< the next hop's onion key (serveinfo)
  std::vector<uint8_t> inner;    //!< the next hop's layer
  bool operator==(const OnionHop&) const = default;
};
std::vector<uint8_t> EncodeOnionHop(const OnionHop& hop);
/** Returns: OK with *out; Corruption("bad-onion-hop") for anything but one
 *  whole OnionHop within the caps (a next without an inner onion, or the
 *  reverse, included). REQUIRES: out not null. */
Status DecodeOnionHop(ByteSpan bytes, OnionHop* out);

enum class OnionHopCode : uint8_t {
  kOk = 0,              //!< computed; body: the next hop's sealed reply, or the output
  kRefused = 1,         //!< not computed: reason
  kUnknownSession = 2,  //!< not computed: replay from position 0
  kNextFailed = 3,      //!< computed, but the next hop failed: reason
};

/** One hop's reply, sealed to the client:
 *    code:u8 reason:string(<= kMaxInferReason) has_receipt:bool [receipt:Receipt]
 *    body:bytes(<= kMaxOnionReplyBytes)
 *  body is the next hop's sealed reply (a middle hop) or the encoded output
 *  tensor (the last hop), both only when code is kOk. */
struct OnionHopReply {
  OnionHopCode code = OnionHopCode::kOk;
  std::string reason;
  std::optional<Receipt> receipt;  //!< a paid step's running receipt
  std::vector<uint8_t> body;
  bool operator==(const OnionHopReply&) const = default;
};
std::vector<uint8_t> EncodeOnionHopReply(const OnionHopReply& reply);
/** Returns: OK with *out; Corruption("bad-onion-reply") for anything but one
 *  whole OnionHopReply within the caps. REQUIRES: out not null. */
Status DecodeOnionHopReply(ByteSpan bytes, OnionHopReply* out);

// ---------------------------------------------------------------------------
// Whole messages.

using Message =
    std::variant<VersionMsg, VerackMsg, PingMsg, PongMsg, AddrMsg, GetAddrMsg, InvMsg, GetDataMsg,
                 NotFoundMsg, GetHeadersMsg, HeadersMsg, SendHeadersMsg, FeeFilterMsg, BlockMsg,
                 TxMsg, WorkRecordMsg, GetProofMsg, ProofMsg, GetTensorMsg, TensorMsg, RegWorkerMsg,
                 ServeInfoMsg, InferStepMsg, InferResultMsg, FraudProofMsg,
                 OnionStepMsg, OnionReplyMsg, ServeRelayMsg>;

/** The command (message type name) of `msg`. */
std::string_view CommandOf(const Message& msg);

/** The payload encoding of `msg`. */
std::vector<uint8_t> EncodePayload(const Message& msg);

/** Decodes the payload of a `command` message into *out.
 *  Returns: OK; NotSupported("unknown-command") for a command this version does not
 *           know (ignore it); Corruption(reason) for a malformed payload (see the file
 *           comment), in which case *out is unspecified. Never throws; never allocates
 *           more than a small multiple of payload.size().
 *  REQUIRES: out not null. Safe on any input (a fuzz target's entry point). */
Status DecodeMessage(std::string_view command, ByteSpan payload, Message* out);

}  // namespace cc::net

#endif  // COMPUTECOIN_NET_MESSAGES_H
