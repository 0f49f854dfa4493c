// Inference over the network (doc/inference.md): this node as a section
// holder (-serve) and as a client that routes a prompt through holders.
//
// Holder. With -serve=<begin>:<end> (default: every section) the node serves
// sections [begin, end) of the tip's model: a compute::SectionServer over a
// copy of the tip's weights, checked by construction against the tip's state
// root (ChainManager::MakeSectionServer takes both under one lock). It
// announces (serveinfo) the range, that root, its price per token and its
// load to every peer, answers inferstep messages for that exact range and
// root, and rebuilds its server (dropping the sessions of the old weights)
// when a new tip changes the root.
//
// Client. Infer() finds holders among its peers' announcements for the tip's
// state root (and, for onion routing, among the announcements relayed to it:
// net/serve_relay.h), builds a route of hops whose ranges chain from section 0
// to the last (fewest hops, then lowest latency and load, then price), refuses a
// route whose worst-case cost is above the caller's max fee before sending
// anything, and decodes (compute/decode.h) by sending each step through the
// hops in turn. Each hop gets its own random session id, so holders see no
// common identifier. The client keeps what it sent each hop in the current
// window; when a hop fails (disconnects, times out, refuses, or answers with
// the wrong shape) it routes the rest of the model around it and replays the
// kept inputs to the replacement from position 0, so the output is the one an
// unbroken route gives. A hop that lost the session (unknown-session) gets
// its own inputs again. With -inferspotcheck a share of the hops is
// re-executed here step by step on this node's model at the same state root;
// a hop whose output lies farther than the model's ε fails (rerouted) and its
// holder is never routed through again by this process.
//
// Payment (doc/inference.md "Payment"). A holder with a price names a payee
// key of its wallet in serveinfo and serves a paid step only over a payment
// channel to that key whose client has paid for everything computed on the
// channel before this step (a holder is paid for each step by the next one,
// and for a request's last step by a step of no rows that only pays): it
// checks the update (Wallet::AcceptChannelUpdate) before computing and
// refuses with a reason otherwise, and answers each paid step with its
// signed running receipt for the session. The client pays from its wallet:
// before sending anything it finds, per charging hop, an open channel to the
// payee with room for the request's worst case, or opens one and returns
// (the holder takes only a confirmed funding); each update commits the
// receipts it pays for (ReceiptsRoot), and the receipts are kept in
// <network dir>/inference_receipts.dat for listreceipts and
// computecoin-light verifyreceipt. The holder settles a channel on its own
// -servesettleafter blocks after its first payment, and always
// kChannelExpiryMargin blocks before its timeout.
//
// Onion routing (doc/inference.md "Onion routing"; InferOptions::onion or
// -inferonion). The client sends each step to the route's first hop only,
// wrapped in one layer per hop (node/onion.h) holding that hop's session,
// range, position and payment and the next hop's onion key; a holder peels
// its layer, computes, forwards its output and the rest of the onion to the
// next hop (a peer whose serveinfo names that key), and returns that hop's
// sealed reply inside its own. The client keeps the window's tokens only, so
// a failed or forgetful hop costs a replay of the whole route from section 0.
//
// Thread safety: Infer and Info may be called from any thread (RPC workers);
// the InferenceHandler methods come from the message thread, which only
// queues steps: a serving thread computes them, so a long step never holds up
// the node's other P2P traffic, and after each block rebuilds the server for
// a new root and settles the channels that are due; ChainListener methods
// come from the chain manager's. mu_ guards the shared state; pay_mu_
// serialises paying Infer calls. Lock order: pay_mu_, then mu_; the tip and
// the wallets are read without mu_ held.

#ifndef COMPUTECOIN_NODE_INFERENCE_H
#define COMPUTECOIN_NODE_INFERENCE_H

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "chain/amount.h"
#include "chain/channel.h"
#include "chain/receipt.h"
#include "chain/status.h"
#include "chain/uint256.h"
#include "compute/decode.h"
#include "compute/model_config.h"
#include "compute/serve.h"
#include "net/connman.h"
#include "net/inference_handler.h"
#include "net/net_processing.h"
#include "node/onion.h"
#include "validation/chain_manager.h"
#include "wallet/wallet.h"

namespace cc {

class Config;  // node/common/config.h
struct NodeContext;

using namespace std::chrono_literals;

/** A hop that has not answered a step in this time has failed: the client reroutes. */
inline constexpr std::chrono::seconds kInferStepTimeout = 20s;
/** Steps waiting for the serving thread, over all peers and from one peer;
 *  beyond them a step is refused ("busy"): a peer cannot queue work without bound. */
inline constexpr size_t kMaxQueuedSteps = 64;
inline constexpr size_t kMaxQueuedStepsPerPeer = 4;
/** Onion steps a holder has passed on and awaits the next hop's reply for;
 *  beyond them an onion step is refused ("busy"). */
inline constexpr size_t kMaxOnionForwards = 64;
/** The longest a holder waits for the next hop (the client asks for less:
 *  kInferStepTimeout per hop after it). */
inline constexpr std::chrono::seconds kMaxOnionWait = kInferStepTimeout * 8;
/** What an onion route's hop that announcements do not show connected to the
 *  one before it adds to the route's cost, in hops (BuildRoute). */
inline constexpr double kUnlinkedHopCost = 10;
/** Hops replaced during one Infer call before it gives up. */
inline constexpr uint32_t kMaxReroutes = 4;
/** Longest prompt Infer takes, in bytes (tokens). */
inline constexpr size_t kMaxPromptBytes = 4096;
/** The max fee of an infer call that names none: 0.01 coins. */
inline constexpr Amount kDefaultInferMaxFee = kCoin / 100;
/** Most tokens one Infer call may ask for. */
inline constexpr uint32_t kMaxInferTokens = 1024;
/** The least capacity of a channel Infer opens (-inferchannelamount): 0.1 coins.
 *  A channel gets max(this, 10 × the request's worst case at that hop). */
inline constexpr Amount kDefaultInferChannelAmount = kCoin / 10;
/** Blocks after the tip at which a channel Infer opens may be refunded
 *  (-inferchanneltimeout): about a week of 10-minute blocks. */
inline constexpr uint32_t kDefaultInferChannelTimeout = 1008;
/** A holder settles a channel this many blocks after its first payment
 *  (-servesettleafter; 0: only before its timeout): about a day. */
inline constexpr uint32_t kDefaultServeSettleAfter = 144;
/** The file, in the network directory, where a client keeps its receipts. */
inline constexpr char kReceiptsFile[] = "inference_receipts.dat";

/// -serve and its companions, and the channel options of paying for
/// inference, read by ServeOptionsFromConfig.
struct ServeOptions {
  bool enabled = false;
  uint32_t begin = 0, end = 0;  //!< sections [begin, end)
  Amount price = 0;             //!< per token processed, base units
  compute::ServeLimits limits;
  /// Regtest test hook (-servestopafter): the process ends abruptly, as if
  /// killed, when asked for a step after answering this many. 0: never.
  uint64_t stop_after_steps = 0;
  uint32_t settle_after = kDefaultServeSettleAfter;        //!< -servesettleafter
  Amount channel_amount = kDefaultInferChannelAmount;      //!< -inferchannelamount
  uint32_t channel_timeout = kDefaultInferChannelTimeout;  //!< -inferchanneltimeout
  bool onion = false;  //!< -inferonion: route requests as onions unless asked otherwise
  /// -inferspotcheck: the share of a request's hops whose every step this
  /// node re-executes on its own copy of the model (when it holds the
  /// route's state root), failing a hop whose output is farther than the
  /// model's tolerance ε from its own. 0: none.
  double spot_check = 0;
  /// Regtest test hook (-perturbserve): a lying holder, which scales every
  /// output it serves by (1 + f) and signs receipts for what it sent.
  double perturb_outputs = 0;
};

/// Registers -serve, -serveprice, -servesessions, -servesessiontimeout,
/// -servestopafter, -servesettleafter, -inferchannelamount, -inferchanneltimeout,
/// -inferonion, -inferspotcheck, -perturbserve.
void AddInferenceArgs(Config* c);
/// Reads them for a model of `sections` sections. Returns InvalidArgument
/// naming the bad option (a range of partial atoms is caught later, by
/// InferenceService::Start).
Status ServeOptionsFromConfig(const Config& config, uint32_t sections, bool regtest,
                              ServeOptions* out);

struct InferOptions {
  compute::DecodeOptions decode;
  Amount max_fee = 0;  //!< the most the whole request may cost
  /// The wallet that pays holders; null: the node's DefaultWallet (channels.h).
  std::shared_ptr<wallet::Wallet> wallet;
  /// Route through onion layers (doc/inference.md "Onion routing");
  /// nullopt: -inferonion.
  std::optional<bool> onion;
};

/// One hop of a route.
struct RouteHop {
  net::PeerId peer = -1;
  std::string addr;
  uint32_t begin = 0, end = 0;
  Amount price = 0;
  XOnlyPubKeyBytes payee{};      //!< the key its channels name (serveinfo)
  XOnlyPubKeyBytes onion_key{};  //!< the key its onion layers are sealed to (serveinfo)
  /// A registered worker's pledge behind the payee's receipts (serveinfo),
  /// checked against the payee: what a wrong answer is slashed from.
  std::optional<HolderBond> bond;
};

/// What one request paid one holder (a hop of the route, or one replaced).
struct HopPayment {
  RouteHop hop;
  OutPoint funding;                //!< the channel it was paid over
  Amount paid = 0;                 //!< signed in this request
  std::optional<Receipt> receipt;  //!< the holder's last receipt for the request
};

struct InferResult {
  compute::DecodeResult decode;
  std::vector<RouteHop> route;  //!< the route at the end (after any reroute)
  Uint256 state_root;
  Amount cost = 0;  //!< Σ signed to holders in this request (their price × rows computed)
  uint64_t tokens_billed = 0;  //!< prompt bytes + generated tokens fed back
  uint32_t reroutes = 0;
  std::vector<HopPayment> payments;  //!< per paid holder
  bool onion = false;                //!< routed through onion layers
};

struct HolderInfo {
  net::PeerId peer = -1;  //!< -1: known from a relayed announcement only
  std::string addr;
  net::ServeInfoMsg info;
};

struct InferenceInfo {
  bool serving = false;
  uint32_t begin = 0, end = 0;
  Amount price = 0;
  Uint256 state_root;               //!< of the weights served (serving only)
  XOnlyPubKeyBytes onion_key{};     //!< onion layers to us are sealed to it (serving only)
  compute::ServeStats serve;        //!< sessions and positions served
  uint64_t steps_served = 0;        //!< inferstep answered OK
  uint64_t steps_refused = 0;       //!< inferstep and onion steps refused
  uint64_t onion_forwarded = 0;     //!< onion steps passed on to a next hop
  std::vector<HolderInfo> holders;  //!< announcements of connected peers
  /// Announcements relayed to us of holders that are not our peers.
  std::vector<HolderInfo> relayed_holders;
  uint64_t requests = 0;            //!< Infer calls that sent a step
  uint64_t tokens_generated = 0;    //!< by those calls
  // Holder, over the serving wallet's channels as holder:
  XOnlyPubKeyBytes payee{};  //!< the key it is paid to (price > 0)
  Amount earned = 0;         //!< paid by the best updates
  Amount settled = 0;        //!< of which in settlements (closing or closed)
  uint32_t holder_channels = 0;
  // Client, over the default wallet's channels as client:
  Amount spent = 0;  //!< paid by its updates
  uint32_t client_channels = 0;
  Amount request_costs = 0;  //!< Σ InferResult::cost of this process's requests
  // Client, spot checks (-inferspotcheck):
  uint64_t spot_checked_steps = 0;  //!< hop steps re-executed here
  uint64_t wrong_outputs = 0;       //!< of which farther than ε: the hop failed
  /// Onion keys of the holders caught: never routed through again by this process.
  std::vector<XOnlyPubKeyBytes> caught_holders;
  /// Slashing transactions this node submitted against the workers that
  /// vouched for caught holders (chain/evidence.h, wrong inference).
  uint64_t holders_slashed = 0;
  // Holder: the worker key whose bonds stand behind our receipts, if any.
  std::optional<XOnlyPubKeyBytes> bonded_by;
};

/// A client channel's receipts in the order its updates commit them.
struct ChannelReceipts {
  OutPoint funding;
  std::vector<Receipt> receipts;
};

class InferenceService final : public net::InferenceHandler, public ChainListener {
 public:
  /** REQUIRES: every pointer outlives the service; config is the chain's
   *  model. Registers nothing itself: the caller sets it as peerman's
   *  handler and chainman's listener. */
  InferenceService(NodeContext* node, ChainManager* chainman, net::PeerManager* peerman,
                   net::ConnMan* connman, const compute::ModelConfig& config, ServeOptions options);
  ~InferenceService() override;
  InferenceService(const InferenceService&) = delete;
  InferenceService& operator=(const InferenceService&) = delete;

  /** Loads the client's receipts (kReceiptsFile). With -serve: picks the
   *  payee key (a new key of the DefaultWallet) when the price is above 0,
   *  builds the server for the tip, announces it and starts the serving
   *  thread. Returns the chain manager's error (e.g. a range that splits an
   *  atom); InvalidArgument when a price is set and no wallet is loaded;
   *  Corruption for an unreadable receipts file. REQUIRES: called once,
   *  after the wallets are loaded. */
  Status Start();
  /** Ends the serving thread (queued steps are dropped unanswered).
   *  Idempotent; the destructor calls it. REQUIRES: ConnMan has stopped. */
  void Stop();

  /** Completes `prompt` through a route of holders (file comment). on_token
   *  (may be empty) gets each token as it is chosen; when it returns false
   *  (the reader left) no more steps are sent and the call returns OK with
   *  out->decode.cancelled, the steps computed paid for. Returns
   *  InvalidArgument for a bad prompt or options, "price above maxfee", no
   *  wallet to pay with, a locked wallet or insufficient funds (nothing sent
   *  or opened); Interrupted "channel opening, funding unconfirmed (txid …)"
   *  when a charging hop needs a channel that is not confirmed yet (opened
   *  now, or still opening: call again after a block); NotFound when no
   *  route covers the model for the tip's state root or a recent one
   *  (RouteForRecentRoot); IOError when hops keep failing past kMaxReroutes
   *  or a route cannot be rebuilt, or a holder could not be paid for its
   *  last step. *out holds what was generated before an error, and the
   *  payments made (the steps computed are paid for also after an error). */
  Status Infer(const std::string& prompt, const InferOptions& options,
               const std::function<bool(uint8_t)>& on_token, InferResult* out);

  /** The most a request of prompt_bytes and max_tokens can cost through the
   *  route Infer would take now: the route's price per token times the tokens
   *  it processes (the prompt and every generated token but the last), the
   *  amount Infer refuses above max_fee. Returns NotFound as Infer does. */
  Status Quote(size_t prompt_bytes, uint32_t max_tokens, Amount* max_cost) const;

  InferenceInfo Info() const;

  /** The receipts this node's requests got, per client channel, in the
   *  order its updates committed them (ReceiptsRoot of a channel's list is
   *  its last update's receipts_root once its last request ended). */
  std::vector<ChannelReceipts> Receipts() const;

  // net::InferenceHandler (message thread)
  void OnInferStep(net::PeerId from, const net::InferStepMsg& step) override;
  void OnServeInfo(net::PeerId from, const net::ServeInfoMsg& info) override;
  void OnInferResult(net::PeerId from, const net::InferResultMsg& result) override;
  void OnOnionStep(net::PeerId from, const net::OnionStepMsg& step) override;
  void OnOnionReply(net::PeerId from, const net::OnionReplyMsg& reply) override;
  void OnPeerGone(net::PeerId id) override;

  // ChainListener: a new tip may change the served weights.
  void BlockConnected(const Block& block, uint32_t height) override;
  void BlockDisconnected(const Block& block, uint32_t height) override;

 private:
  class Route;  // one Infer call's route and replay state (inference.cpp)
  /// A client channel in use: what the holder computed and is not yet paid
  /// for, and the receipts committed. GUARDED_BY(mu_).
  struct ClientChannel {
    Amount owed = 0;
    std::optional<Amount> acked;  //!< the best update the holder took (set at first use)
    std::vector<Receipt> receipts;
  };
  /// The holder's view of a paid channel. Serving thread only.
  struct HolderChannel {
    Amount charged = 0;              //!< price × rows computed over it, paid or not
    uint32_t first_paid_height = 0;  //!< wallet height at its first payment; 0 none yet
  };
  /// The running receipt of one session. Serving thread only.
  struct SessionReceipt {
    Receipt receipt;  //!< unsigned; tokens, amount and hashes so far
    Uint256 salt;
    uint64_t last_used = 0;
  };
  struct Pending {
    net::PeerId peer = -1;
    bool done = false;
    bool failed = false;  //!< the peer went away
    net::InferResultMsg result;     //!< the answer to an inferstep
    net::OnionReplyMsg onion_reply;  //!< the answer to an onionstep
  };
  /// A step waiting for the serving thread.
  struct QueuedStep {
    net::PeerId from = -1;
    std::variant<net::InferStepMsg, net::OnionStepMsg> step;
  };
  /// An onion step this holder computed and passed on: what to answer the
  /// previous hop once the next one replies (or fails, or times out).
  struct Forward {
    net::PeerId from = -1;    //!< the previous hop
    uint64_t request_id = 0;  //!< its request id
    net::PeerId next = -1;
    onion::HopKeys keys;          //!< to seal our reply
    net::OnionHopReply reply;     //!< ours, without the next hop's reply yet
    std::chrono::steady_clock::time_point deadline;
  };

  /** The serving thread: answers queued steps in arrival order. */
  void ServeLoop();
  /** Queues a step for the serving thread; false when full (the caller refuses "busy"). */
  bool Enqueue(net::PeerId from, std::variant<net::InferStepMsg, net::OnionStepMsg> step);
  /** Serves one onion step: peels it, refuses it with a reason or computes
   *  it, and answers or passes it on (a Forward). Serving thread; REQUIRES: !mu_. */
  void ServeOnion(net::PeerId from, const net::OnionStepMsg& step);
  /** Answers a Forward's previous hop with our sealed reply. REQUIRES: !mu_. */
  void ReturnForward(const Forward& forward);
  /** Answers each Forward past its deadline: the next hop failed. REQUIRES: !mu_. */
  void FailExpiredForwards();
  /** Runs one step on the server and fills *reply. REQUIRES: !mu_. */
  void Answer(net::PeerId from, const net::InferStepMsg& step, net::InferResultMsg* reply);
  /** The payment checks of a step before it is computed (doc/inference.md
   *  "Payment"): Returns OK with *channel (null for a free holder) and
   *  *payment, or the refusal reason. Serving thread; REQUIRES: !mu_. */
  Status CheckPayment(const net::InferStepMsg& step, net::InferPayment* payment,
                      HolderChannel** channel);
  /** Settles the serving wallet's channels that are due (file comment).
   *  Serving thread; REQUIRES: !mu_. */
  void SettleDue();
  /** Finds, for each charging hop, an open channel to its payee with room
   *  for `rows` rows at its price, opening those missing when may_open
   *  (Infer's errors; IOError when one is missing and !may_open).
   *  *channels: one per hop, nullopt for a free one. REQUIRES: pay_mu_
   *  held, !mu_. */
  Status PrepareChannels(const std::shared_ptr<wallet::Wallet>& w,
                         const std::vector<RouteHop>& hops, uint64_t rows,
                         std::vector<std::optional<Channel>>* channels, bool may_open);
  /** Appends a receipt that became final to kReceiptsFile. REQUIRES: mu_ held. */
  void KeepReceipt(const OutPoint& funding, const Receipt& receipt);
  /** Rebuilds the server when the tip's weights changed. REQUIRES: !mu_. */
  Status RefreshServer();
  /** The current announcement, signed with the onion key: a time after the
   *  last one's, and as links the onion keys of the holders among our peers.
   *  REQUIRES: mu_ held, server_ set. */
  net::ServeInfoMsg SignedServeInfoLocked();
  /** Signs and sends the current announcement to every peer (nothing when not
   *  serving). REQUIRES: !mu_. */
  void Announce();
  /** The onion keys of the holders among our peers, sorted, at most
   *  net::kMaxServeLinks. REQUIRES: mu_ held. */
  std::vector<XOnlyPubKeyBytes> LinksLocked() const;
  /** Sends `step` to `peer` and waits for its answer. Returns IOError when
   *  the peer is gone, does not answer within kInferStepTimeout or cannot
   *  be sent to; OK with *result otherwise. REQUIRES: !mu_. */
  Status Exchange(net::PeerId peer, net::InferStepMsg step, net::InferResultMsg* result);
  /** As Exchange for an onion step to a route's first hop, waiting up to
   *  `timeout` for the whole route's reply. */
  Status ExchangeOnion(net::PeerId peer, net::OnionStepMsg step, std::chrono::seconds timeout,
                       net::OnionReplyMsg* reply);
  /** Registers a Pending, calls send(request id) and waits for the answer
   *  (Exchange's errors). REQUIRES: !mu_. */
  Status Await(net::PeerId peer, std::chrono::seconds timeout,
               const std::function<bool(uint64_t)>& send, Pending* out);
  /** The cheapest chain of hops covering sections [from, sections_) for
   *  `root`, avoiding the holders whose onion keys are `excluded`; NotFound
   *  naming the first uncovered section. Direct routing uses our peers'
   *  announcements only; onion routing (`onion`) also the relayed ones, with
   *  a peer as the first hop, and counts kUnlinkedHopCost more for a hop
   *  that it and its predecessor do not both name as connected (links): the
   *  predecessor may not be able to forward there. */
  Status BuildRoute(uint32_t from, const Uint256& root, bool onion,
                    const std::vector<XOnlyPubKeyBytes>& excluded,
                    std::vector<RouteHop>* out) const;
  /** A route for the tip's state root if holders cover it, else for the
   *  newest recent main-chain root they cover: while training runs, holders
   *  serve a tip a block or two from this node's. Only roots this node's
   *  own chain committed are used. Returns BuildRoute's error for the tip. */
  Status RouteForRecentRoot(bool onion, Uint256* root, std::vector<RouteHop>* out) const;
  /** The route of a request that asked for `onion` (nullopt: -inferonion):
   *  RouteForRecentRoot's. When the request did not ask and direct routing
   *  finds no route over our peers, an onion route that reaches relayed
   *  holders is taken (*use_onion). */
  Status ChooseRoute(std::optional<bool> onion, Uint256* root, std::vector<RouteHop>* out,
                     bool* use_onion) const;
  /** Our own server of sections [begin, end) at `root`, for spot checks:
   *  made from the tip's model on first use and kept while the tip's root
   *  stays `root`. NotFound when our tip's root is another (a route may use
   *  a recent root) or the model is not loaded. */
  Status SpotChecker(const Uint256& root, uint32_t begin, uint32_t end,
                     std::shared_ptr<compute::SectionServer>* out);
  /** Puts `evidence` of a caught holder's wrong answer on chain: submits
   *  the slashing transaction of the worker that vouched for the holder,
   *  its reward paid to a new key of `wallet`. Logs the outcome; nothing is
   *  returned to the request, which reroutes whatever happens here. */
  void ReportWrongAnswer(WrongInference evidence, wallet::Wallet* wallet);

  NodeContext* const node_;
  ChainManager* const chainman_;
  net::PeerManager* const peerman_;
  net::ConnMan* const connman_;
  const compute::ModelConfig config_;
  const ServeOptions options_;
  std::atomic<bool> stale_{false};  // the tip moved since the server was built

  mutable std::mutex mu_;
  std::condition_variable answered_;  // a Pending completed
  std::condition_variable queued_;    // a step was queued, or stopping_ set
  std::deque<QueuedStep> queue_;                                 // GUARDED_BY(mu_)
  std::map<net::PeerId, size_t> queued_by_peer_;                 // GUARDED_BY(mu_)
  bool stopping_ = false;                                        // GUARDED_BY(mu_)
  std::shared_ptr<compute::SectionServer> server_;  // GUARDED_BY(mu_); steps run unlocked
  Uint256 served_root_;                             // GUARDED_BY(mu_)
  uint64_t steps_served_ = 0, steps_refused_ = 0;   // GUARDED_BY(mu_)
  uint64_t onion_forwarded_ = 0;                    // GUARDED_BY(mu_)
  std::map<uint64_t, Forward> forwards_;            // GUARDED_BY(mu_): by our request id
  std::optional<PrivateKey> onion_key_;             // set by Start with -serve; then read-only
  XOnlyPubKeyBytes onion_public_{};                 // its public key, announced
  uint64_t last_announced_sessions_ = 0;            // GUARDED_BY(mu_)
  int64_t last_serve_time_ = 0;                     // GUARDED_BY(mu_): our last announcement's
  std::chrono::steady_clock::time_point next_serve_refresh_;  // GUARDED_BY(mu_): sign it again
  std::map<net::PeerId, HolderInfo> holders_;       // GUARDED_BY(mu_)
  std::deque<Uint256> recent_roots_;  // GUARDED_BY(mu_): main-chain tips' roots, newest first
  std::map<uint64_t, Pending> pending_;             // GUARDED_BY(mu_): by request id
  uint64_t next_request_id_ = 1;                    // GUARDED_BY(mu_)
  uint64_t requests_ = 0, tokens_generated_ = 0;    // GUARDED_BY(mu_)
  std::thread serve_thread_;                        // runs ServeLoop with -serve; joined by Stop
  // Payment.
  std::shared_ptr<wallet::Wallet> serve_wallet_;        // set by Start when the price is above 0
  XOnlyPubKeyBytes payee_{};                            // its key that channels must name
  std::optional<HolderBond> bond_;  // set by Start on a worker node that charges; then read-only
  std::atomic<bool> settle_due_{false};                 // a block arrived: SettleDue
  std::map<OutPoint, HolderChannel> holder_channels_;   // serving thread only
  std::map<Uint256, SessionReceipt> session_receipts_;  // serving thread only; by SessionKey
  uint64_t receipt_clock_ = 0;                          // serving thread only
  std::mutex pay_mu_;  // serialises paying Infer calls: one update sequence per channel
  std::map<OutPoint, ClientChannel> client_channels_;  // GUARDED_BY(mu_)
  Amount request_costs_ = 0;                           // GUARDED_BY(mu_)
  // Spot checks.
  Uint256 checkers_root_;  // GUARDED_BY(mu_)
  std::map<std::pair<uint32_t, uint32_t>, std::shared_ptr<compute::SectionServer>>
      checkers_;                                       // GUARDED_BY(mu_): by section range
  std::set<XOnlyPubKeyBytes> caught_;                  // GUARDED_BY(mu_): payee keys
  uint64_t spot_checked_steps_ = 0, wrong_outputs_ = 0;  // GUARDED_BY(mu_)
  uint64_t holders_slashed_ = 0;                         // GUARDED_BY(mu_)
};

}  // namespace cc

#endif  // COMPUTECOIN_NODE_INFERENCE_H
