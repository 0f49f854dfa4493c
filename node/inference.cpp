#include "node/inference.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <utility>

#include "chain/hash.h"
#include "chain/logging.h"
#include "compute/tensor.h"
#include "node/common/config.h"
#include "node/rpc_wallet_util.h"

namespace cc {
namespace {

constexpr const char* kInferenceCategory = "Inference options";

Uint256 RandomSessionId() {
  std::random_device rd;  // /dev/urandom: ids another peer cannot guess
  Uint256 id;
  for (size_t i = 0; i < id.size(); i += 4) {
    const uint32_t word = rd();
    std::memcpy(id.data() + i, &word, 4);
  }
  return id;
}

// The holder's key for a client's session: its id bound to the connection it
// came on, so that no other peer can step into (or reset) it.
Uint256 SessionKey(net::PeerId from, const Uint256& session) {
  std::vector<uint8_t> data(session.begin(), session.end());
  for (int i = 0; i < 8; ++i)
    data.push_back(static_cast<uint8_t>(static_cast<uint64_t>(from) >> (8 * i)));
  return Hash256(data);
}

// Bytes of one row (first-axis slice) of an inference tensor.
size_t RowBytes(const compute::EncodedTensor& x) {
  return x.shape.empty() || x.shape[0] == 0 ? 0 : x.payload.size() / x.shape[0];
}

// a's rows then b's. REQUIRES: same codec and row shape.
compute::EncodedTensor ConcatRows(const compute::EncodedTensor& a,
                                  const compute::EncodedTensor& b) {
  compute::EncodedTensor out = a;
  out.shape[0] += b.shape[0];
  out.payload.insert(out.payload.end(), b.payload.begin(), b.payload.end());
  return out;
}

// The last `rows` rows of x. REQUIRES: rows <= x.shape[0].
compute::EncodedTensor TailRows(const compute::EncodedTensor& x, uint64_t rows) {
  compute::EncodedTensor out = x;
  const size_t keep = rows * RowBytes(x);
  out.payload.erase(out.payload.begin(), out.payload.end() - static_cast<ptrdiff_t>(keep));
  out.shape[0] = rows;
  return out;
}

std::string RangeText(uint32_t begin, uint32_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + ")";
}

}  // namespace

// ---------------------------------------------------------------------------
// Options.

void AddInferenceArgs(Config* c) {
  c->AddArg("-serve=<begin>:<end>",
            "Serve inference for sections [begin, end) of the tip's model (-serve alone: every "
            "section); the range must cover whole atoms (doc/inference.md)",
            Config::kString, Config::kNone, kInferenceCategory);
  c->AddArg("-serveprice=<amt>",
            "Price per token processed that -serve advertises, in coins (default: 0)",
            Config::kString, Config::kNone, kInferenceCategory);
  c->AddArg("-servesessions=<n>",
            "Inference sessions held at once; more evict the least recently used (default: " +
                std::to_string(compute::ServeLimits{}.max_sessions) + ")",
            Config::kInt, Config::kNone, kInferenceCategory);
  c->AddArg("-servesessiontimeout=<ms>",
            "Drop an inference session idle this long (default: " +
                std::to_string(compute::ServeLimits{}.session_timeout.count()) +
                "; 0 keeps none between steps, so every step is replayed: for tests)",
            Config::kInt, Config::kNone, kInferenceCategory);
  c->AddArg("-servestopafter=<n>",
            "Exit abruptly, as if killed, when asked for an inference step after answering <n> "
            "(regtest only; for tests of rerouting)",
            Config::kInt, Config::kNone, kInferenceCategory);
}

Status ServeOptionsFromConfig(const Config& config, uint32_t sections, bool regtest,
                              ServeOptions* out) {
  ServeOptions o;
  if (config.IsSet("serve") && !config.IsNegated("serve")) {
    o.enabled = true;
    const std::string range = config.GetArg("serve", "");
    if (range.empty() || range == "1") {
      o.begin = 0;
      o.end = sections;
    } else {
      const size_t colon = range.find(':');
      char* end = nullptr;
      const std::string first = range.substr(0, colon);
      const unsigned long b = std::strtoul(first.c_str(), &end, 10);
      const bool b_ok = colon != std::string::npos && !first.empty() && *end == '\0';
      const std::string second = colon == std::string::npos ? "" : range.substr(colon + 1);
      const unsigned long e = std::strtoul(second.c_str(), &end, 10);
      if (!b_ok || second.empty() || *end != '\0' || b >= e || e > sections) {
        return Status::InvalidArgument("Invalid -serve=" + range +
                                       ": expected <begin>:<end> with " +
                                       "0 <= begin < end <= " + std::to_string(sections));
      }
      o.begin = static_cast<uint32_t>(b);
      o.end = static_cast<uint32_t>(e);
    }
  }
  if (config.IsSet("serveprice")) {
    try {
      o.price = AmountFromValue(rpc::json(config.GetArg("serveprice", "0")));
    } catch (const std::exception&) {
      return Status::InvalidArgument("Invalid -serveprice=" + config.GetArg("serveprice", ""));
    }
  }
  const int64_t max_sessions = config.GetIntArg("servesessions", o.limits.max_sessions);
  if (max_sessions < 1 || max_sessions > 1'000'000)
    return Status::InvalidArgument("-servesessions must be 1 to 1000000");
  o.limits.max_sessions = static_cast<uint32_t>(max_sessions);
  const int64_t timeout_ms =
      config.GetIntArg("servesessiontimeout", o.limits.session_timeout.count());
  if (timeout_ms < 0) return Status::InvalidArgument("-servesessiontimeout must be >= 0");
  o.limits.session_timeout = std::chrono::milliseconds(timeout_ms);
  if (config.IsSet("servestopafter")) {
    if (!regtest) return Status::InvalidArgument("-servestopafter is for regtest only");
    const int64_t n = config.GetIntArg("servestopafter", 0);
    if (n < 0) return Status::InvalidArgument("-servestopafter must be >= 0");
    o.stop_after_steps = static_cast<uint64_t>(n);
  }
  *out = o;
  return Status::OK();
}

// ---------------------------------------------------------------------------
// One Infer call: the route, what each hop was sent in the current window,
// rerouting and replay, and the bill.

class InferenceService::Route final : public compute::LogitsSource {
 public:
  Route(InferenceService* service, const Uint256& root, std::vector<RouteHop> hops,
        uint64_t prompt_tokens, uint64_t most_tokens, Amount max_fee, InferResult* result)
      : service_(*service),
        root_(root),
        prompt_tokens_(prompt_tokens),
        most_tokens_(most_tokens),
        max_fee_(max_fee),
        result_(*result) {
    for (RouteHop& hop : hops) hops_.push_back(Hop{std::move(hop), RandomSessionId(), {}});
  }

  std::vector<RouteHop> hops() const {
    std::vector<RouteHop> out;
    for (const Hop& hop : hops_) out.push_back(hop.hop);
    return out;
  }

  Status Logits(uint32_t position, std::span<const uint8_t> tokens,
                std::vector<float>* logits) override {
    compute::EncodedTensor x = compute::EncodeBytes(tokens, std::vector<uint64_t>{tokens.size()});
    uint32_t at = position;
    for (size_t j = 0; j < hops_.size();) {
      Hop& hop = hops_[j];
      hop.sent = at == 0 ? x : ConcatRows(hop.sent, x);
      compute::EncodedTensor y;
      Status s = Step(j, at, x, &y);
      if (s.IsNotFound()) {
        // The holder dropped the session (evicted or idle): replay its inputs.
        s = Step(j, 0, hop.sent, &y);
        if (s.ok() && j + 1 < hops_.size()) y = TailRows(y, x.shape[0]);
      }
      if (!s.ok()) {
        LogPrintf("infer: hop " + RangeText(hop.hop.begin, hop.hop.end) + " at peer=" +
                  std::to_string(hop.hop.peer) + " failed (" + s.message() + "); rerouting");
        size_t from = 0;
        s = Reroute(j, &from, &x);
        if (!s.ok()) return s;
        j = from;
        at = 0;  // the new hops start from the kept inputs
        continue;
      }
      x = std::move(y);
      ++j;
    }
    const uint64_t billed = first_call_ ? prompt_tokens_ : 1;
    first_call_ = false;
    result_.tokens_billed += billed;
    result_.cost += static_cast<Amount>(billed) * RoutePrice();
    return compute::DecodeFloats(x, logits);
  }

 private:
  struct Hop {
    RouteHop hop;
    Uint256 session;              // this hop's own random id
    compute::EncodedTensor sent;  // inputs of positions [0, n) of the current window
  };

  Amount RoutePrice() const {
    Amount sum = 0;
    for (const Hop& hop : hops_) sum += hop.hop.price;
    return sum;
  }

  // One step on hop j. NotFound: the holder lost the session; IOError: the
  // hop failed (gone, silent, refused, or answered with the wrong shape).
  Status Step(size_t j, uint32_t position, const compute::EncodedTensor& x,
              compute::EncodedTensor* y) {
    const Hop& hop = hops_[j];
    net::InferStepMsg step;
    step.session = hop.session;
    step.state_root = root_;
    step.section_begin = hop.hop.begin;
    step.section_end = hop.hop.end;
    step.position = position;
    step.input = x;
    net::InferResultMsg result;
    Status s = service_.Exchange(hop.hop.peer, std::move(step), &result);
    if (!s.ok()) return s;
    if (result.code == net::InferCode::kUnknownSession) return Status::NotFound("unknown-session");
    if (result.code != net::InferCode::kOk) return Status::IOError("refused: " + result.reason);
    const bool last = j + 1 == hops_.size();
    const std::vector<uint64_t> want =
        last ? std::vector<uint64_t>{compute::kVocab}
             : std::vector<uint64_t>{x.shape[0], service_.config_.d_model};
    if (result.output.shape != want) return Status::IOError("answer of the wrong shape");
    *y = std::move(result.output);
    return Status::OK();
  }

  // Routes around hop j: the rest of the model from the latest hop boundary
  // r ≤ j that holders can still reach, with hops_[r].sent replayed into it.
  // Sets *from = r and *replay to what hop r must be sent from position 0.
  Status Reroute(size_t j, size_t* from, compute::EncodedTensor* replay) {
    excluded_.push_back(hops_[j].hop.peer);
    if (++result_.reroutes > kMaxReroutes)
      return Status::IOError("inference failed: " + std::to_string(kMaxReroutes) +
                             " hops failed in one request");
    Status last;
    for (size_t r = j + 1; r-- > 0;) {
      std::vector<RouteHop> tail;
      last = service_.BuildRoute(hops_[r].hop.begin, root_, excluded_, &tail);
      if (!last.ok()) continue;
      Amount tail_price = 0;
      for (const RouteHop& hop : tail) tail_price += hop.price;
      for (size_t i = 0; i < r; ++i) tail_price += hops_[i].hop.price;
      const uint64_t left = prompt_tokens_ + most_tokens_ - 1 - result_.tokens_billed;
      if (result_.cost + static_cast<long double>(tail_price) * left > max_fee_)
        return Status::InvalidArgument("price above maxfee: no replacement route within it");
      *replay = std::move(hops_[r].sent);
      hops_.resize(r);
      for (RouteHop& hop : tail) hops_.push_back(Hop{std::move(hop), RandomSessionId(), {}});
      *from = r;
      return Status::OK();
    }
    return Status::IOError("inference failed: no route around the failed hop: " + last.message());
  }

  InferenceService& service_;
  const Uint256 root_;
  const uint64_t prompt_tokens_, most_tokens_;
  const Amount max_fee_;
  InferResult& result_;
  std::vector<Hop> hops_;
  std::vector<net::PeerId> excluded_;  // hops that failed in this request
  bool first_call_ = true;
};

// ---------------------------------------------------------------------------
// The service.

InferenceService::InferenceService(ChainManager* chainman, net::PeerManager* peerman,
                                   net::ConnMan* connman, const compute::ModelConfig& config,
                                   ServeOptions options)
    : chainman_(chainman),
      peerman_(peerman),
      connman_(connman),
      config_(config),
      options_(options) {}

InferenceService::~InferenceService() { Stop(); }

Status InferenceService::Start() {
  if (!options_.enabled) return Status::OK();
  Status s = RefreshServer();
  if (!s.ok()) return s;
  serve_thread_ = std::thread([this] { ServeLoop(); });
  return Status::OK();
}

void InferenceService::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    queue_.clear();
    queued_by_peer_.clear();
  }
  queued_.notify_all();
  if (serve_thread_.joinable()) serve_thread_.join();
}

Status InferenceService::RefreshServer() {
  std::unique_ptr<compute::SectionServer> fresh;
  Uint256 root;
  Status s =
      chainman_->MakeSectionServer(options_.begin, options_.end, options_.limits, &fresh, &root);
  if (!s.ok()) return s;
  net::ServeInfoMsg info;
  {
    std::lock_guard<std::mutex> lock(mu_);
    server_ = std::move(fresh);
    served_root_ = root;
    info = ServeInfoLocked();
  }
  peerman_->SetServeInfo(info);
  LogPrintf("Serving sections " + RangeText(options_.begin, options_.end) + " of state root " +
            root.ToHex());
  return Status::OK();
}

net::ServeInfoMsg InferenceService::ServeInfoLocked() const {
  net::ServeInfoMsg info;
  info.state_root = served_root_;
  info.section_begin = options_.begin;
  info.section_end = options_.end;
  info.price = options_.price;
  info.max_sessions = options_.limits.max_sessions;
  info.sessions = static_cast<uint32_t>(server_->Stats().sessions);
  return info;
}

void InferenceService::OnInferStep(net::PeerId from, const net::InferStepMsg& step) {
  net::InferResultMsg busy;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (serve_thread_.joinable() && !stopping_ && queue_.size() < kMaxQueuedSteps &&
        queued_by_peer_[from] < kMaxQueuedStepsPerPeer) {
      queue_.emplace_back(from, step);
      ++queued_by_peer_[from];
      queued_.notify_one();
      return;
    }
    ++steps_refused_;
  }
  busy.request_id = step.request_id;
  busy.code = net::InferCode::kRefused;
  busy.reason = options_.enabled ? "busy" : "not-serving";
  peerman_->SendInferResult(from, busy);
}

void InferenceService::ServeLoop() {
  while (true) {
    std::pair<net::PeerId, net::InferStepMsg> next;
    {
      std::unique_lock<std::mutex> lock(mu_);
      queued_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      next = std::move(queue_.front());
      queue_.pop_front();
      if (--queued_by_peer_[next.first] == 0) queued_by_peer_.erase(next.first);
    }
    net::InferResultMsg reply;
    reply.request_id = next.second.request_id;
    Answer(next.first, next.second, &reply);
    peerman_->SendInferResult(next.first, reply);
  }
}

void InferenceService::Answer(net::PeerId from, const net::InferStepMsg& step,
                              net::InferResultMsg* reply) {
  auto refuse = [&](std::string reason) {
    reply->code = net::InferCode::kRefused;
    if (reason.size() > net::kMaxInferReason) reason.resize(net::kMaxInferReason);
    reply->reason = std::move(reason);
    std::lock_guard<std::mutex> lock(mu_);
    ++steps_refused_;
  };
  if (options_.stop_after_steps != 0) {
    std::lock_guard<std::mutex> lock(mu_);
    if (steps_served_ >= options_.stop_after_steps) {
      LogPrintf("-servestopafter: exiting after " + std::to_string(steps_served_) + " steps");
      std::_Exit(1);
    }
  }
  if (stale_.exchange(false)) {
    const Status s = RefreshServer();
    if (!s.ok()) LogPrintf("Serving: cannot rebuild for the new tip: " + s.ToString());
  }
  std::shared_ptr<compute::SectionServer> server;
  Uint256 root;
  {
    std::lock_guard<std::mutex> lock(mu_);
    server = server_;
    root = served_root_;
  }
  if (server == nullptr) return refuse("not-serving");
  if (step.state_root != root) return refuse("wrong-state-root: serving " + root.ToHex());
  if (step.section_begin != options_.begin || step.section_end != options_.end)
    return refuse("bad-serve-range: serving " + RangeText(options_.begin, options_.end));
  const Status s =
      server->Step(SessionKey(from, step.session), step.position, step.input, &reply->output);
  if (s.IsNotFound()) {
    reply->code = net::InferCode::kUnknownSession;
    return;
  }
  if (!s.ok()) return refuse(s.message());
  reply->code = net::InferCode::kOk;
  std::optional<net::ServeInfoMsg> load_changed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++steps_served_;
    // A new session changes the load routers weigh: tell them.
    const net::ServeInfoMsg info = ServeInfoLocked();
    if (info.sessions != last_announced_sessions_) {
      last_announced_sessions_ = info.sessions;
      load_changed = info;
    }
  }
  if (load_changed) peerman_->SetServeInfo(*load_changed);
}

void InferenceService::OnServeInfo(net::PeerId from, const net::ServeInfoMsg& info) {
  const net::PeerRef peer = connman_->FindPeer(from);
  if (peer == nullptr) return;
  std::lock_guard<std::mutex> lock(mu_);
  holders_[from] = HolderInfo{from, peer->addr().ToString(), info};
}

void InferenceService::OnInferResult(net::PeerId from, const net::InferResultMsg& result) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pending_.find(result.request_id);
  if (it == pending_.end() || it->second.peer != from || it->second.done) return;  // not asked
  it->second.done = true;
  it->second.result = result;
  answered_.notify_all();
}

void InferenceService::OnPeerGone(net::PeerId id) {
  std::lock_guard<std::mutex> lock(mu_);
  holders_.erase(id);
  // Its queued steps would be answered to nobody.
  std::erase_if(queue_, [&](const auto& entry) { return entry.first == id; });
  queued_by_peer_.erase(id);
  for (auto& [request, pending] : pending_)
    if (pending.peer == id) pending.failed = true;
  answered_.notify_all();
}

// Roots of the last few tips a client may route for (RouteForRecentRoot).
constexpr size_t kRecentRoots = 16;

void InferenceService::BlockConnected(const Block& block, uint32_t) {
  stale_ = true;
  std::lock_guard<std::mutex> lock(mu_);
  recent_roots_.push_front(block.header.state_root);
  if (recent_roots_.size() > kRecentRoots) recent_roots_.pop_back();
}

void InferenceService::BlockDisconnected(const Block& block, uint32_t) {
  stale_ = true;
  std::lock_guard<std::mutex> lock(mu_);
  if (!recent_roots_.empty() && recent_roots_.front() == block.header.state_root)
    recent_roots_.pop_front();
}

Status InferenceService::RouteForRecentRoot(Uint256* root, std::vector<RouteHop>* out) const {
  const Uint256 tip = chainman_->Tip().StateRoot();
  const Status s = BuildRoute(0, tip, {}, out);
  if (s.ok()) {
    *root = tip;
    return s;
  }
  std::vector<Uint256> recent;
  {
    std::lock_guard<std::mutex> lock(mu_);
    recent.assign(recent_roots_.begin(), recent_roots_.end());
  }
  for (const Uint256& candidate : recent) {
    if (candidate != tip && BuildRoute(0, candidate, {}, out).ok()) {
      *root = candidate;
      return Status::OK();
    }
  }
  return s;
}

Status InferenceService::Exchange(net::PeerId peer, net::InferStepMsg step,
                                  net::InferResultMsg* result) {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t id = next_request_id_++;
  step.request_id = id;
  pending_[id] = Pending{peer, false, false, {}};
  lock.unlock();
  const bool sent = peerman_->SendInferStep(peer, step);
  lock.lock();
  const bool settled = sent && answered_.wait_for(lock, kInferStepTimeout, [&] {
    const Pending& p = pending_.at(id);
    return p.done || p.failed;
  });
  Pending p = std::move(pending_.at(id));
  pending_.erase(id);
  if (!sent) return Status::IOError("peer=" + std::to_string(peer) + " is not connected");
  if (!settled)
    return Status::IOError("no answer in " + std::to_string(kInferStepTimeout.count()) + " s");
  if (!p.done) return Status::IOError("peer=" + std::to_string(peer) + " disconnected");
  *result = std::move(p.result);
  return Status::OK();
}

Status InferenceService::BuildRoute(uint32_t from, const Uint256& root,
                                    const std::vector<net::PeerId>& excluded,
                                    std::vector<RouteHop>* out) const {
  std::map<net::PeerId, int64_t> ping_us;
  for (const net::PeerStats& stats : connman_->GetPeerStats())
    ping_us[stats.id] = stats.min_ping_us;
  std::vector<HolderInfo> candidates;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, holder] : holders_) {
      const net::ServeInfoMsg& info = holder.info;
      if (info.state_root != root || info.section_begin < from ||
          info.section_end > config_.sections)
        continue;
      if (std::find(excluded.begin(), excluded.end(), id) != excluded.end()) continue;
      candidates.push_back(holder);
    }
  }
  // A hop costs 1, plus its latency (100 ms = one more hop) and load (a full
  // holder = one more hop); price breaks what is left. Shortest path over
  // section boundaries, which only grow: one pass in order.
  auto hop_cost = [&](const HolderInfo& h) {
    const auto ping = ping_us.find(h.peer);
    const double latency = ping == ping_us.end() || ping->second < 0 ? 0.0 : ping->second / 1e5;
    const double load =
        static_cast<double>(h.info.sessions) / std::max<uint32_t>(1, h.info.max_sessions);
    return 1.0 + latency + load + static_cast<double>(h.info.price) / kCoin;
  };
  const uint32_t k = config_.sections;
  std::vector<double> best(k + 1, std::numeric_limits<double>::infinity());
  std::vector<const HolderInfo*> via(k + 1, nullptr);
  best[from] = 0;
  uint32_t reached = from;
  for (uint32_t b = from; b < k; ++b) {
    if (best[b] == std::numeric_limits<double>::infinity()) continue;
    for (const HolderInfo& h : candidates) {
      if (h.info.section_begin != b) continue;
      const double c = best[b] + hop_cost(h);
      const uint32_t e = h.info.section_end;
      if (c < best[e]) {
        best[e] = c;
        via[e] = &h;
        reached = std::max(reached, e);
      }
    }
  }
  if (via[k] == nullptr) {
    return Status::NotFound("no route: no holder of section " + std::to_string(reached) +
                            " for state root " + root.ToHex());
  }
  out->clear();
  for (uint32_t e = k; e != from; e = via[e]->info.section_begin) {
    const HolderInfo& h = *via[e];
    out->push_back(
        RouteHop{h.peer, h.addr, h.info.section_begin, h.info.section_end, h.info.price});
  }
  std::reverse(out->begin(), out->end());
  return Status::OK();
}

namespace {

// Tokens a request makes the route process: the prompt and every generated
// token but the last (which is never fed back).
uint64_t MostTokensProcessed(size_t prompt_bytes, uint32_t max_tokens) {
  return prompt_bytes + max_tokens - 1;
}

// The route's price per token: what its hops advertise, summed.
Amount RoutePrice(const std::vector<RouteHop>& hops) {
  Amount price = 0;
  for (const RouteHop& hop : hops) price += hop.price;
  return price;
}

}  // namespace

Status InferenceService::Quote(size_t prompt_bytes, uint32_t max_tokens, Amount* max_cost) const {
  std::vector<RouteHop> hops;
  Uint256 root;
  Status s = RouteForRecentRoot(&root, &hops);
  if (!s.ok()) return s;
  const long double worst = static_cast<long double>(RoutePrice(hops)) *
                           MostTokensProcessed(prompt_bytes, max_tokens);
  if (worst > static_cast<long double>(kMaxMoney))
    return Status::InvalidArgument("the route's price for this request is out of range");
  *max_cost = static_cast<Amount>(worst);
  return Status::OK();
}

Status InferenceService::Infer(const std::string& prompt, const InferOptions& options,
                               const std::function<void(uint8_t)>& on_token, InferResult* out) {
  *out = InferResult{};
  if (prompt.empty() || prompt.size() > kMaxPromptBytes)
    return Status::InvalidArgument("prompt must be 1 to " + std::to_string(kMaxPromptBytes) +
                                   " bytes");
  Status s = compute::CheckDecodeOptions(options.decode);
  if (!s.ok()) return s;
  if (options.decode.max_tokens > kMaxInferTokens)
    return Status::InvalidArgument("max_tokens must be 1 to " + std::to_string(kMaxInferTokens));
  if (!MoneyRange(options.max_fee)) return Status::InvalidArgument("maxfee out of range");
  Uint256 root;
  std::vector<RouteHop> hops;
  s = RouteForRecentRoot(&root, &hops);
  out->state_root = root;
  if (!s.ok()) return s;
  // The whole request at this route's price, checked before a byte is sent.
  const Amount price = RoutePrice(hops);
  const uint64_t most_tokens = MostTokensProcessed(prompt.size(), options.decode.max_tokens);
  const long double worst = static_cast<long double>(price) * most_tokens;
  if (worst > options.max_fee) {
    out->route = hops;
    return Status::InvalidArgument(
        "price above maxfee: the route charges " + std::to_string(price) +
        " units per token, up to " + std::to_string(static_cast<double>(worst)) + " for " +
        std::to_string(most_tokens) + " tokens, maxfee " + std::to_string(options.max_fee));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++requests_;
  }
  Route route(this, root, std::move(hops), prompt.size(), options.decode.max_tokens,
              options.max_fee, out);
  s = compute::Decode(config_.context, prompt, options.decode, &route, on_token, &out->decode);
  out->route = route.hops();
  std::lock_guard<std::mutex> lock(mu_);
  tokens_generated_ += out->decode.tokens.size();
  return s;
}

InferenceInfo InferenceService::Info() const {
  InferenceInfo info;
  std::shared_ptr<compute::SectionServer> server;
  {
    std::lock_guard<std::mutex> lock(mu_);
    server = server_;
  }
  // Outside mu_: Stats waits for a step in progress, and the message thread
  // must not wait behind it for mu_.
  if (server != nullptr) info.serve = server->Stats();
  std::lock_guard<std::mutex> lock(mu_);
  info.serving = server_ != nullptr;
  info.begin = options_.begin;
  info.end = options_.end;
  info.price = options_.price;
  info.state_root = served_root_;
  info.steps_served = steps_served_;
  info.steps_refused = steps_refused_;
  for (const auto& [id, holder] : holders_) info.holders.push_back(holder);
  info.requests = requests_;
  info.tokens_generated = tokens_generated_;
  return info;
}

}  // namespace cc
