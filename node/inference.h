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
// state root, builds a route of hops whose ranges chain from section 0 to the
// last (fewest hops, then lowest latency and load, then price), refuses a
// route whose worst-case cost is above the caller's max fee before sending
// anything, and decodes (compute/decode.h) by sending each step through the
// hops in turn. Each hop gets its own random session id, so holders see no
// common identifier. The client keeps what it sent each hop in the current
// window; when a hop fails (disconnects, times out, refuses, or answers with
// the wrong shape) it routes the rest of the model around it and replays the
// kept inputs to the replacement from position 0, so the output is the one an
// unbroken route gives. A hop that lost the session (unknown-session) gets
// its own inputs again.
//
// Paying holders is not built yet: the price is advertised and the cost
// computed, and InferStepMsg::payment is where the payment update will ride.
//
// Thread safety: Infer and Info may be called from any thread (RPC workers);
// the InferenceHandler methods come from the message thread, which only
// queues steps: a serving thread computes them, so a long step never holds up
// the node's other P2P traffic; ChainListener methods come from the chain
// manager's. mu_ guards the shared state.

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
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "chain/amount.h"
#include "chain/status.h"
#include "chain/uint256.h"
#include "compute/decode.h"
#include "compute/model_config.h"
#include "compute/serve.h"
#include "net/connman.h"
#include "net/inference_handler.h"
#include "net/net_processing.h"
#include "validation/chain_manager.h"

namespace cc {

class Config;  // node/common/config.h

using namespace std::chrono_literals;

/** A hop that has not answered a step in this time has failed: the client reroutes. */
inline constexpr std::chrono::seconds kInferStepTimeout = 20s;
/** Steps waiting for the serving thread, over all peers and from one peer;
 *  beyond them a step is refused ("busy"): a peer cannot queue work without bound. */
inline constexpr size_t kMaxQueuedSteps = 64;
inline constexpr size_t kMaxQueuedStepsPerPeer = 4;
/** Hops replaced during one Infer call before it gives up. */
inline constexpr uint32_t kMaxReroutes = 4;
/** Longest prompt Infer takes, in bytes (tokens). */
inline constexpr size_t kMaxPromptBytes = 4096;
/** The max fee of an infer call that names none: 0.01 coins. */
inline constexpr Amount kDefaultInferMaxFee = kCoin / 100;
/** Most tokens one Infer call may ask for. */
inline constexpr uint32_t kMaxInferTokens = 1024;

/// -serve and its companions, read by ServeOptionsFromConfig.
struct ServeOptions {
  bool enabled = false;
  uint32_t begin = 0, end = 0;  //!< sections [begin, end)
  Amount price = 0;             //!< per token processed, base units
  compute::ServeLimits limits;
  /// Regtest test hook (-servestopafter): the process ends abruptly, as if
  /// killed, when asked for a step after answering this many. 0: never.
  uint64_t stop_after_steps = 0;
};

/// Registers -serve, -serveprice, -servesessions, -servesessiontimeout,
/// -servestopafter.
void AddInferenceArgs(Config* c);
/// Reads them for a model of `sections` sections. Returns InvalidArgument
/// naming the bad option (a range of partial atoms is caught later, by
/// InferenceService::Start).
Status ServeOptionsFromConfig(const Config& config, uint32_t sections, bool regtest,
                              ServeOptions* out);

struct InferOptions {
  compute::DecodeOptions decode;
  Amount max_fee = 0;  //!< the most the whole request may cost
};

/// One hop of a route.
struct RouteHop {
  net::PeerId peer = -1;
  std::string addr;
  uint32_t begin = 0, end = 0;
  Amount price = 0;
};

struct InferResult {
  compute::DecodeResult decode;
  std::vector<RouteHop> route;  //!< the route at the end (after any reroute)
  Uint256 state_root;
  Amount cost = 0;             //!< Σ over tokens processed of the route's summed price
  uint64_t tokens_billed = 0;  //!< prompt bytes + generated tokens fed back
  uint32_t reroutes = 0;
};

struct HolderInfo {
  net::PeerId peer = -1;
  std::string addr;
  net::ServeInfoMsg info;
};

struct InferenceInfo {
  bool serving = false;
  uint32_t begin = 0, end = 0;
  Amount price = 0;
  Uint256 state_root;               //!< of the weights served (serving only)
  compute::ServeStats serve;        //!< sessions and positions served
  uint64_t steps_served = 0;        //!< inferstep answered OK
  uint64_t steps_refused = 0;       //!< inferstep refused
  std::vector<HolderInfo> holders;  //!< announcements of connected peers
  uint64_t requests = 0;            //!< Infer calls that sent a step
  uint64_t tokens_generated = 0;    //!< by those calls
};

class InferenceService final : public net::InferenceHandler, public ChainListener {
 public:
  /** REQUIRES: every pointer outlives the service; config is the chain's
   *  model. Registers nothing itself: the caller sets it as peerman's
   *  handler and chainman's listener. */
  InferenceService(ChainManager* chainman, net::PeerManager* peerman, net::ConnMan* connman,
                   const compute::ModelConfig& config, ServeOptions options);
  ~InferenceService() override;
  InferenceService(const InferenceService&) = delete;
  InferenceService& operator=(const InferenceService&) = delete;

  /** With -serve: builds the server for the tip, announces it and starts the
   *  serving thread. Returns the chain manager's error (e.g. a range that
   *  splits an atom). REQUIRES: called once. */
  Status Start();
  /** Ends the serving thread (queued steps are dropped unanswered).
   *  Idempotent; the destructor calls it. REQUIRES: ConnMan has stopped. */
  void Stop();

  /** Completes `prompt` through a route of holders (file comment). on_token
   *  (may be empty) gets each token as it is chosen. Returns
   *  InvalidArgument for a bad prompt or options, or "price above maxfee"
   *  (nothing sent); NotFound when no route covers the model for the tip's
   *  state root or a recent one (RouteForRecentRoot); IOError when hops keep failing past
   *  kMaxReroutes or a route cannot be rebuilt. *out holds what was
   *  generated before an error. */
  Status Infer(const std::string& prompt, const InferOptions& options,
               const std::function<void(uint8_t)>& on_token, InferResult* out);

  /** The most a request of prompt_bytes and max_tokens can cost through the
   *  route Infer would take now: the route's price per token times the tokens
   *  it processes (the prompt and every generated token but the last), the
   *  amount Infer refuses above max_fee. Returns NotFound as Infer does. */
  Status Quote(size_t prompt_bytes, uint32_t max_tokens, Amount* max_cost) const;

  InferenceInfo Info() const;

  // net::InferenceHandler (message thread)
  void OnInferStep(net::PeerId from, const net::InferStepMsg& step) override;
  void OnServeInfo(net::PeerId from, const net::ServeInfoMsg& info) override;
  void OnInferResult(net::PeerId from, const net::InferResultMsg& result) override;
  void OnPeerGone(net::PeerId id) override;

  // ChainListener: a new tip may change the served weights.
  void BlockConnected(const Block& block, uint32_t height) override;
  void BlockDisconnected(const Block& block, uint32_t height) override;

 private:
  class Route;  // one Infer call's route and replay state (inference.cpp)
  struct Pending {
    net::PeerId peer = -1;
    bool done = false;
    bool failed = false;  //!< the peer went away
    net::InferResultMsg result;
  };

  /** The serving thread: answers queued steps in arrival order. */
  void ServeLoop();
  /** Runs one step on the server and fills *reply. REQUIRES: !mu_. */
  void Answer(net::PeerId from, const net::InferStepMsg& step, net::InferResultMsg* reply);
  /** Rebuilds the server when the tip's weights changed. REQUIRES: !mu_. */
  Status RefreshServer();
  /** The current announcement. REQUIRES: mu_ held, server_ set. */
  net::ServeInfoMsg ServeInfoLocked() const;
  /** Sends `step` to `peer` and waits for its answer. Returns IOError when
   *  the peer is gone, does not answer within kInferStepTimeout or cannot
   *  be sent to; OK with *result otherwise. REQUIRES: !mu_. */
  Status Exchange(net::PeerId peer, net::InferStepMsg step, net::InferResultMsg* result);
  /** The cheapest chain of hops covering sections [from, sections_) for
   *  `root`, avoiding `excluded`; NotFound naming the first uncovered section. */
  Status BuildRoute(uint32_t from, const Uint256& root, const std::vector<net::PeerId>& excluded,
                    std::vector<RouteHop>* out) const;
  /** A route for the tip's state root if holders cover it, else for the
   *  newest recent main-chain root they cover: while training runs, holders
   *  serve a tip a block or two from this node's. Only roots this node's
   *  own chain committed are used. Returns BuildRoute's error for the tip. */
  Status RouteForRecentRoot(Uint256* root, std::vector<RouteHop>* out) const;

  ChainManager* const chainman_;
  net::PeerManager* const peerman_;
  net::ConnMan* const connman_;
  const compute::ModelConfig config_;
  const ServeOptions options_;
  std::atomic<bool> stale_{false};  // the tip moved since the server was built

  mutable std::mutex mu_;
  std::condition_variable answered_;  // a Pending completed
  std::condition_variable queued_;    // a step was queued, or stopping_ set
  std::deque<std::pair<net::PeerId, net::InferStepMsg>> queue_;  // GUARDED_BY(mu_)
  std::map<net::PeerId, size_t> queued_by_peer_;                 // GUARDED_BY(mu_)
  bool stopping_ = false;                                        // GUARDED_BY(mu_)
  std::shared_ptr<compute::SectionServer> server_;  // GUARDED_BY(mu_); steps run unlocked
  Uint256 served_root_;                             // GUARDED_BY(mu_)
  uint64_t steps_served_ = 0, steps_refused_ = 0;   // GUARDED_BY(mu_)
  uint64_t last_announced_sessions_ = 0;            // GUARDED_BY(mu_)
  std::map<net::PeerId, HolderInfo> holders_;       // GUARDED_BY(mu_)
  std::deque<Uint256> recent_roots_;  // GUARDED_BY(mu_): main-chain tips' roots, newest first
  std::map<uint64_t, Pending> pending_;             // GUARDED_BY(mu_): by request id
  uint64_t next_request_id_ = 1;                    // GUARDED_BY(mu_)
  uint64_t requests_ = 0, tokens_generated_ = 0;    // GUARDED_BY(mu_)
  std::thread serve_thread_;                        // runs ServeLoop with -serve; joined by Stop
};

}  // namespace cc

#endif  // COMPUTECOIN_NODE_INFERENCE_H
