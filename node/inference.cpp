#include "node/inference.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <utility>

#include "chain/hash.h"
#include "chain/hex.h"
#include "chain/logging.h"
#include "chain/tx_check.h"
#include "compute/reference_backend.h"
#include "compute/tensor.h"
#include "net/serve_relay.h"
#include "node/channels.h"
#include "node/common/config.h"
#include "node/context.h"
#include "node/rpc_wallet_util.h"
#include "node/transaction.h"

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

// Rows a request makes each hop compute at most, replays aside, as
// compute::Decode feeds them: the prompt's last `context` bytes, then one
// row per generated token fed back (every one but the last) while the
// sequence fits the context, and the whole window once it slides.
uint64_t MostRowsProcessed(uint32_t context, size_t prompt_bytes, uint32_t max_tokens) {
  uint64_t rows = std::min<uint64_t>(prompt_bytes, context);
  uint64_t length = prompt_bytes;
  for (uint32_t i = 1; i < max_tokens; ++i) rows += ++length > context ? context : 1;
  return rows;
}

// The route's price per token: what its hops advertise, summed.
Amount RoutePrice(const std::vector<RouteHop>& hops) {
  Amount price = 0;
  for (const RouteHop& hop : hops) price += hop.price;
  return price;
}

// A line of the receipts file: the channel and a receipt of its list.
struct KeptReceipt {
  OutPoint funding;
  Receipt receipt;
  CC_SERIALIZE_METHODS(KeptReceipt, obj) { ar(obj.funding, obj.receipt); }
};

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
  c->AddArg("-servesettleafter=<n>",
            "Settle a paid inference channel on chain <n> blocks after its first payment; it is "
            "always settled " +
                std::to_string(wallet::kChannelExpiryMargin) +
                " blocks before its timeout (default: " + std::to_string(kDefaultServeSettleAfter) +
                "; 0: only then)",
            Config::kInt, Config::kNone, kInferenceCategory);
  c->AddArg("-inferchannelamount=<amt>",
            "The least capacity, in coins, of a payment channel infer opens to a holder; it gets "
            "at least 10 times the request's most cost at that holder (default: " +
                ValueFromAmount(kDefaultInferChannelAmount).dump() + ")",
            Config::kString, Config::kNone, kInferenceCategory);
  c->AddArg("-inferspotcheck=<p>",
            "Re-execute on this node's own model every step of a share p (0 to 1) of each "
            "inference request's hops, failing and never again using a holder whose output is "
            "farther than the model's tolerance from ours (direct routes only; default: 0)",
            Config::kString, Config::kNone, kInferenceCategory);
  c->AddArg("-perturbserve=<f>",
            "Serve wrong outputs: scale each by (1 + f), f in (-1, 1) (regtest only; for tests of "
            "spot checks)",
            Config::kString, Config::kNone, kInferenceCategory);
  c->AddArg("-inferonion",
            "Route inference requests through onion layers, so that only the first holder of a "
            "route sees this node as the one asking (doc/inference.md; infer's \"onion\" option "
            "overrides it; default: 0)",
            Config::kBool, Config::kNone, kInferenceCategory);
  c->AddArg(
      "-inferchanneltimeout=<n>",
      "Blocks after the tip from which a channel infer opens can be refunded to us (default: " +
          std::to_string(kDefaultInferChannelTimeout) + ")",
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
  const int64_t settle_after = config.GetIntArg("servesettleafter", o.settle_after);
  if (settle_after < 0 || settle_after > 1'000'000)
    return Status::InvalidArgument("-servesettleafter must be 0 to 1000000");
  o.settle_after = static_cast<uint32_t>(settle_after);
  if (config.IsSet("inferchannelamount")) {
    try {
      o.channel_amount = AmountFromValue(rpc::json(config.GetArg("inferchannelamount", "0")));
    } catch (const std::exception&) {
      o.channel_amount = 0;
    }
    if (o.channel_amount <= 0)
      return Status::InvalidArgument("Invalid -inferchannelamount=" +
                                     config.GetArg("inferchannelamount", ""));
  }
  const int64_t timeout = config.GetIntArg("inferchanneltimeout", o.channel_timeout);
  if (timeout <= static_cast<int64_t>(wallet::kChannelExpiryMargin) + 1 || timeout > 1'000'000)
    return Status::InvalidArgument("-inferchanneltimeout must be " +
                                   std::to_string(wallet::kChannelExpiryMargin + 2) +
                                   " to 1000000");
  o.channel_timeout = static_cast<uint32_t>(timeout);
  o.onion = config.GetBoolArg("inferonion", false);
  // A real number from its text, all of it; false if it is not one.
  auto parse_double = [](const std::string& text, double* value) {
    char* end = nullptr;
    *value = std::strtod(text.c_str(), &end);
    return !text.empty() && end != nullptr && *end == '\0' && std::isfinite(*value);
  };
  if (config.IsSet("inferspotcheck")) {
    const std::string text = config.GetArg("inferspotcheck", "");
    if (!parse_double(text, &o.spot_check) || o.spot_check < 0 || o.spot_check > 1)
      return Status::InvalidArgument("-inferspotcheck=" + text + ": must be a number from 0 to 1");
  }
  if (config.IsSet("perturbserve")) {
    if (!regtest) return Status::InvalidArgument("-perturbserve is for regtest only");
    const std::string text = config.GetArg("perturbserve", "");
    if (!parse_double(text, &o.perturb_outputs) || o.perturb_outputs <= -1 ||
        o.perturb_outputs >= 1 || o.perturb_outputs == 0)
      return Status::InvalidArgument("-perturbserve=" + text + ": must be a number in (-1, 1), not 0");
  }
  *out = o;
  return Status::OK();
}

// ---------------------------------------------------------------------------
// One Infer call: the route, what each hop was sent in the current window,
// rerouting and replay, and paying each charging hop over its channel.

class InferenceService::Route final : public compute::LogitsSource {
 public:
  Route(InferenceService* service, const Uint256& root, std::vector<RouteHop> hops,
        std::vector<std::optional<Channel>> channels, std::shared_ptr<wallet::Wallet> payer,
        uint64_t most_rows, Amount max_fee, uint64_t prompt_tokens, bool onion,
        InferResult* result)
      : service_(*service),
        root_(root),
        payer_(std::move(payer)),
        most_rows_(most_rows),
        max_fee_(max_fee),
        prompt_tokens_(prompt_tokens),
        onion_(onion),
        result_(*result) {
    for (size_t i = 0; i < hops.size(); ++i) AddHop(std::move(hops[i]), std::move(channels[i]));
  }

  std::vector<RouteHop> hops() const {
    std::vector<RouteHop> out;
    for (const Hop& hop : hops_) out.push_back(hop.hop);
    return out;
  }

  Status Logits(uint32_t position, std::span<const uint8_t> tokens,
                std::vector<float>* logits) override {
    if (onion_) return OnionLogits(position, tokens, logits);
    compute::EncodedTensor x = compute::EncodeBytes(tokens, std::vector<uint64_t>{tokens.size()});
    rows_done_ += tokens.size();
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
      if (s.IsInvalidArgument()) return s;  // over maxfee, or we cannot pay: not the hop's fault
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
    result_.tokens_billed += first_call_ ? prompt_tokens_ : 1;
    first_call_ = false;
    return compute::DecodeFloats(x, logits);
  }

  /** Pays each live charging hop what it is still owed with a step of no
   *  rows, so that the last update of each channel commits every receipt of
   *  this request; records the receipts and the payments in the result.
   *  Returns the first failure (the rest are still tried). */
  Status Finish() {
    Status first;
    if (onion_) {
      // One step of no rows through the live route carries every update
      // inside its layers (a middle hop is never contacted directly). A
      // replaced hop is not paid here: what it is owed stays on its channel,
      // paid at the channel's next use (or by the live route's hop on it).
      bool owed = false;
      for (const Hop& hop : hops_) owed = owed || (hop.channel && Owed(hop) > 0);
      if (owed) {
        compute::EncodedTensor none = compute::EncodeBytes({}, std::vector<uint64_t>{0});
        compute::EncodedTensor ignored;
        size_t failed = 0;
        const Status s = OnionStep(0, none, &ignored, &failed);
        if (!s.ok())
          first = Status::IOError("paying holders over the onion route failed: " + s.message());
      }
    }
    for (std::vector<Hop>* list : {&hops_, &dropped_}) {
      for (Hop& hop : *list) {
        if (!hop.channel) continue;
        const bool failed =
            std::find(excluded_.begin(), excluded_.end(), hop.hop.onion_key) != excluded_.end();
        Status s;
        if (!onion_ && !failed && Owed(hop) > 0) {
          const bool floats = hop.hop.begin != 0;
          compute::EncodedTensor none =
              floats ? compute::EncodeFloats({}, std::vector<uint64_t>{0, service_.config_.d_model},
                                             compute::Codec::kFloat32)
                     : compute::EncodeBytes({}, std::vector<uint64_t>{0});
          compute::EncodedTensor ignored;
          s = Step(hop, 0, none, /*last=*/false, &ignored);
          if (!s.ok() && first.ok())
            first = Status::IOError("paying holder peer=" + std::to_string(hop.hop.peer) +
                                    " failed: " + s.message());
        }
        KeepCommitted(hop);
        result_.payments.push_back(
            HopPayment{hop.hop, hop.channel->funding, hop.paid, hop.receipt});
      }
    }
    return first;
  }

 private:
  struct Hop {
    RouteHop hop;
    Uint256 session;              // this hop's own random id
    compute::EncodedTensor sent;  // inputs of positions [0, n) of the current window
    // Payment, when the hop charges:
    std::optional<Channel> channel;
    Uint256 salt;                      // of this request's receipt at this hop
    Receipt expected;                  // the running receipt, unsigned, as we compute it
    std::optional<Receipt> receipt;    // the holder's latest, checked
    std::optional<Receipt> committed;  // the one our last update committed
    Amount paid = 0;                   // signed in this request
    std::optional<onion::LayerKey> layer;  // onion routing: this hop's keys for the route
    // Spot check (ServeOptions::spot_check): our own session of the hop's sections.
    bool checked = false;
    Uint256 check_session;
    // Evidence, when a checked hop charges and a worker vouched for it:
    // every step its running receipt counts, and the output hash before the last.
    std::vector<InferenceStep> transcript;
    uint64_t transcript_bytes = 0;
    bool provable = false;  // the transcript is whole (cleared once too large for a transaction)
    Uint256 prior_output_hash;
    std::vector<SectionProof> sections;  // the served sections' leaves under root_
  };

  void AddHop(RouteHop hop, std::optional<Channel> channel) {
    Hop h;
    h.hop = std::move(hop);
    h.session = RandomSessionId();
    h.check_session = RandomSessionId();
    // onion routes send each step to the first hop only: no hop's output comes back to check
    const Uint256 draw = RandomSessionId();
    uint64_t bits = 0;
    std::memcpy(&bits, draw.data(), sizeof(bits));
    h.checked = !onion_ && static_cast<double>(bits >> 11) * 0x1.0p-53 <
                               service_.options_.spot_check;
    h.channel = std::move(channel);
    // The leaves are taken now, while root_ is most likely our tip's: the
    // tip moves on as training does, and the evidence must name root_'s.
    h.provable = h.checked && h.channel && h.hop.bond &&
                 service_.chainman_->StateProof(root_, h.hop.begin, h.hop.end, &h.sections).ok();
    h.salt = RandomSessionId();  // as unguessable as a session id
    h.expected.request_id = h.session;
    h.expected.state_root = root_;
    h.expected.section_begin = h.hop.begin;
    h.expected.section_end = h.hop.end;
    h.expected.holder = h.hop.payee;
    if (onion_) {
      onion::LayerKey layer;
      // A holder without a valid onion key fails its first step (rerouted).
      if (onion::MakeLayerKey(h.hop.onion_key, &layer).ok()) h.layer = layer;
    }
    hops_.push_back(std::move(h));
  }

  // What the holder computed over the hop's channel and is not paid for.
  Amount Owed(const Hop& hop) const {
    std::lock_guard<std::mutex> lock(service_.mu_);
    auto it = service_.client_channels_.find(hop.channel->funding);
    return it == service_.client_channels_.end() ? 0 : it->second.owed;
  }

  // The hop's receipt that our channel's last update committed joins the
  // channel's list (and the receipts file): later updates commit it too.
  void KeepCommitted(Hop& hop) {
    if (!hop.committed) return;
    std::lock_guard<std::mutex> lock(service_.mu_);
    service_.client_channels_[hop.channel->funding].receipts.push_back(*hop.committed);
    service_.KeepReceipt(hop.channel->funding, *hop.committed);
    hop.committed.reset();
  }

  // The payment field of the hop's next step: the update paying what the
  // holder is owed (committing the channel's receipts and the hop's latest),
  // or, when it is owed nothing, our best update if the holder may not have
  // it. Sets *sent_paid to the update's paid (0: none). InvalidArgument
  // when the wallet cannot sign (the request stops: no holder is at fault).
  Status Pay(Hop& hop, std::vector<uint8_t>* payment, Amount* sent_paid) {
    const OutPoint& funding = hop.channel->funding;
    wallet::ChannelInfo info;
    Status s = payer_->GetChannel(funding, &info);
    if (!s.ok()) return Status::InvalidArgument("cannot pay: " + s.message());
    ChannelUpdate best = info.record.best;
    Amount owed = 0, acked = 0;
    std::vector<Receipt> receipts;
    {
      std::lock_guard<std::mutex> lock(service_.mu_);
      InferenceService::ClientChannel& c = service_.client_channels_[funding];
      if (!c.acked) c.acked = best.paid;  // first use in this process: the holder has it
      owed = c.owed;
      acked = *c.acked;
      receipts = c.receipts;
    }
    if (owed > 0) {
      if (hop.receipt) receipts.push_back(*hop.receipt);
      s = payer_->SignChannelUpdate(funding, best.paid + owed, ReceiptsRoot(receipts), &best);
      if (!s.ok()) return Status::InvalidArgument("cannot pay holder: " + s.message());
      {
        std::lock_guard<std::mutex> lock(service_.mu_);
        service_.client_channels_[funding].owed -= owed;
      }
      hop.paid += owed;
      hop.committed = hop.receipt;
      result_.cost += owed;
    }
    net::InferPayment p{*hop.channel, std::nullopt, hop.salt};
    if (best.paid > acked) p.update = best;
    *sent_paid = p.update ? p.update->paid : 0;
    *payment = net::EncodeInferPayment(p);
    return Status::OK();
  }

  // Adds a step the receipt now counts to the hop's transcript, while the
  // evidence it could become still fits in a transaction.
  void Keep(Hop& hop, uint32_t position, const compute::EncodedTensor& x,
            const Uint256& prior_output_hash) {
    if (!hop.provable) return;
    hop.transcript_bytes += x.payload.size();
    if (hop.transcript_bytes > kMaxTxSize / 2) {
      hop.provable = false;
      hop.transcript.clear();
      return;
    }
    hop.transcript.push_back(
        InferenceStep{position, static_cast<uint32_t>(x.shape[0]), x.payload});
    hop.prior_output_hash = prior_output_hash;
  }

  // Runs the hop's step again on our own server of its sections and
  // compares (ServeOptions::spot_check). IOError, the holder remembered as
  // caught, when its output is farther than ε from ours. A hop whose root is
  // not our tip's goes unchecked from then on.
  Status SpotCheck(Hop& hop, uint32_t position, const compute::EncodedTensor& x, bool last,
                   const compute::EncodedTensor& output) {
    std::shared_ptr<compute::SectionServer> checker;
    if (!service_.SpotChecker(root_, hop.hop.begin, hop.hop.end, &checker).ok()) {
      hop.checked = false;
      return Status::OK();
    }
    compute::EncodedTensor mine;
    Status s = checker->Step(hop.check_session, position, x, &mine);
    if (s.IsNotFound()) {  // our session was dropped: replay what the hop was sent
      s = checker->Step(hop.check_session, 0, hop.sent, &mine);
      if (s.ok() && !last) mine = TailRows(mine, x.shape[0]);
    }
    if (!s.ok()) {
      hop.checked = false;
      LogPrintf("infer: cannot spot-check hop " + RangeText(hop.hop.begin, hop.hop.end) + ": " +
                s.ToString());
      return Status::OK();
    }
    const double distance = mine.shape == output.shape && mine.codec == output.codec
                                ? compute::RelativeL2(mine, output)
                                : std::numeric_limits<double>::infinity();
    const bool within = distance <= service_.config_.tolerance;  // false for NaN
    {
      std::lock_guard<std::mutex> lock(service_.mu_);
      ++service_.spot_checked_steps_;
      if (!within) {
        ++service_.wrong_outputs_;
        service_.caught_.insert(hop.hop.onion_key);
      }
    }
    if (within) return Status::OK();
    LogPrintf("infer: holder " + HexStr(hop.hop.onion_key) + " at peer=" +
              std::to_string(hop.hop.peer) + " served a wrong output for sections " +
              RangeText(hop.hop.begin, hop.hop.end) + " at position " + std::to_string(position) +
              ": distance " + std::to_string(distance) + " from ours, above the tolerance " +
              std::to_string(service_.config_.tolerance) + "; it is not used again");
    if (hop.provable && hop.receipt) {
      WrongInference evidence;
      evidence.receipt = *hop.receipt;
      evidence.bond = *hop.hop.bond;
      evidence.salt = hop.salt;
      evidence.steps = std::move(hop.transcript);
      evidence.prior_output_hash = hop.prior_output_hash;
      evidence.output = output.payload;
      evidence.sections = hop.sections;
      hop.provable = false;
      service_.ReportWrongAnswer(std::move(evidence), payer_.get());
    }
    return Status::IOError("wrong output (spot check)");
  }

  Status Step(size_t j, uint32_t position, const compute::EncodedTensor& x,
              compute::EncodedTensor* y) {
    return Step(hops_[j], position, x, j + 1 == hops_.size(), y);
  }

  // One step on `hop`. NotFound: the holder lost the session; IOError: the
  // hop failed (gone, silent, refused, answered with the wrong shape or a
  // wrong receipt); InvalidArgument: over max_fee or unpayable. A step of no
  // rows only pays (Finish).
  Status Step(Hop& hop, uint32_t position, const compute::EncodedTensor& x, bool last,
              compute::EncodedTensor* y) {
    const uint64_t rows = x.shape[0];
    Amount charge = 0;
    net::InferStepMsg step;
    Amount sent_paid = 0;
    if (hop.channel) {
      const long double cost = static_cast<long double>(hop.hop.price) * rows;
      if (charged_ + cost > max_fee_)
        return Status::InvalidArgument("price above maxfee: " + std::to_string(charged_) +
                                       " units charged and the next step costs " +
                                       std::to_string(static_cast<double>(cost)) + ", maxfee " +
                                       std::to_string(max_fee_));
      charge = static_cast<Amount>(cost);
      Status s = Pay(hop, &step.payment, &sent_paid);
      if (!s.ok()) return s;
    }
    step.session = hop.session;
    step.state_root = root_;
    step.section_begin = hop.hop.begin;
    step.section_end = hop.hop.end;
    step.position = position;
    step.input = x;
    net::InferResultMsg result;
    Status s = service_.Exchange(hop.hop.peer, std::move(step), &result);
    if (!s.ok()) return s;
    const bool paid_up = result.code == net::InferCode::kOk ||
                         result.code == net::InferCode::kUnknownSession;  // checked before
    Account(hop, paid_up, result.code == net::InferCode::kOk, sent_paid, charge);
    if (result.code == net::InferCode::kUnknownSession) return Status::NotFound("unknown-session");
    if (result.code != net::InferCode::kOk) return Status::IOError("refused: " + result.reason);
    if (rows == 0) return Status::OK();
    const std::vector<uint64_t> want =
        last ? std::vector<uint64_t>{compute::kVocab}
             : std::vector<uint64_t>{x.shape[0], service_.config_.d_model};
    if (result.output.shape != want) return Status::IOError("answer of the wrong shape");
    if (hop.channel) {
      const Uint256 prior_output_hash = hop.expected.output_hash;
      s = CheckReceipt(hop, position, rows, charge, &x.payload, &result.output.payload,
                       result.receipt);
      if (!s.ok()) return s;
      Keep(hop, position, x, prior_output_hash);
    }
    if (hop.checked) {
      s = SpotCheck(hop, position, x, last, result.output);
      if (!s.ok()) return s;
    }
    *y = std::move(result.output);
    return Status::OK();
  }

  // After a hop answered a step: the update it carried was taken (paid_up),
  // and what the hop computed is owed, whatever we make of the answer.
  void Account(const Hop& hop, bool paid_up, bool computed, Amount sent_paid, Amount charge) {
    if (!hop.channel || !paid_up) return;
    std::lock_guard<std::mutex> lock(service_.mu_);
    InferenceService::ClientChannel& c = service_.client_channels_[hop.channel->funding];
    if (sent_paid > 0) c.acked = sent_paid;
    if (computed) {
      c.owed += charge;
      charged_ += charge;
    }
  }

  // Checks the hop's running receipt after a computed step of `rows` rows
  // against the one we compute. A null input or output is data this client
  // never saw (a middle hop of an onion route): its hash is the holder's word.
  Status CheckReceipt(Hop& hop, uint32_t position, uint64_t rows, Amount charge,
                      const std::vector<uint8_t>* input,
                      const std::vector<uint8_t>* output, const std::optional<Receipt>& got) {
    Receipt& e = hop.expected;
    e.tokens += static_cast<uint32_t>(rows);
    e.amount += charge;
    if (!got || !VerifyReceiptSignature(*got)) return Status::IOError("no valid receipt");
    e.input_hash =
        input ? ChainedInputHash(hop.salt, e.input_hash, position, *input) : got->input_hash;
    e.output_hash = output ? ChainedOutputHash(hop.salt, e.output_hash, *output) : got->output_hash;
    Receipt unsigned_copy = *got;
    unsigned_copy.signature = {};
    if (unsigned_copy != e) return Status::IOError("a receipt that does not match the step");
    hop.receipt = got;
    return Status::OK();
  }

  // Logits for the next tokens over the onion route (doc/inference.md "Onion
  // routing"). Only the window's tokens are kept, so a hop that lost its
  // session makes every hop start again from them, and a failed hop a new
  // route from section 0 that replays them.
  Status OnionLogits(uint32_t position, std::span<const uint8_t> tokens,
                     std::vector<float>* logits) {
    compute::EncodedTensor x = compute::EncodeBytes(tokens, std::vector<uint64_t>{tokens.size()});
    rows_done_ += tokens.size();
    uint32_t at = position;
    compute::EncodedTensor y;
    for (bool replayed = false;;) {
      hops_[0].sent = at == 0 ? x : ConcatRows(hops_[0].sent, x);
      size_t failed = 0;
      Status s = OnionStep(at, x, &y, &failed);
      if (s.IsNotFound() && !replayed) {
        replayed = true;
        x = hops_[0].sent;
        at = 0;
        continue;
      }
      if (s.IsNotFound()) s = Status::IOError("unknown-session again after a replay");
      if (s.IsInvalidArgument()) return s;  // over maxfee, or we cannot pay
      if (s.ok()) break;
      const Hop& hop = hops_[failed];
      LogPrintf("infer: onion hop " + RangeText(hop.hop.begin, hop.hop.end) + " at peer=" +
                std::to_string(hop.hop.peer) + " failed (" + s.message() + "); rerouting");
      size_t from = 0;
      s = Reroute(failed, &from, &x);
      if (!s.ok()) return s;
      at = 0;
    }
    result_.tokens_billed += first_call_ ? prompt_tokens_ : 1;
    first_call_ = false;
    return compute::DecodeFloats(y, logits);
  }

  // One step through the whole route as one onion. Sets *failed to the hop
  // at fault when it returns NotFound (that hop lost its session) or IOError
  // (it failed: gone, silent, refused, a reply that does not open, a wrong
  // shape or receipt); InvalidArgument: over max_fee or unpayable. A step of
  // no rows only pays (Finish): hops owed nothing get no payment and pass it on.
  Status OnionStep(uint32_t position, const compute::EncodedTensor& x, compute::EncodedTensor* y,
                   size_t* failed) {
    const uint64_t rows = x.shape[0];
    const size_t n = hops_.size();
    *failed = 0;
    long double cost = 0;
    for (const Hop& hop : hops_)
      if (hop.channel) cost += static_cast<long double>(hop.hop.price) * rows;
    if (charged_ + cost > max_fee_)
      return Status::InvalidArgument("price above maxfee: " + std::to_string(charged_) +
                                     " units charged and the next step costs " +
                                     std::to_string(static_cast<double>(cost)) + ", maxfee " +
                                     std::to_string(max_fee_));
    std::vector<net::OnionHop> layers(n);
    std::vector<onion::LayerKey> keys;
    std::vector<Amount> sent_paid(n, 0), charges(n, 0);
    for (size_t i = 0; i < n; ++i) {
      Hop& hop = hops_[i];
      if (!hop.layer) {
        *failed = i;
        return Status::IOError("the holder announced no valid onion key");
      }
      keys.push_back(*hop.layer);
      if (hop.channel && (rows > 0 || Owed(hop) > 0)) {
        charges[i] = static_cast<Amount>(static_cast<long double>(hop.hop.price) * rows);
        Status s = Pay(hop, &layers[i].payment, &sent_paid[i]);
        if (!s.ok()) return s;
      }
      net::OnionHop& layer = layers[i];
      layer.session = hop.session;
      layer.state_root = root_;
      layer.section_begin = hop.hop.begin;
      layer.section_end = hop.hop.end;
      layer.position = position;
      // Each hop waits for the rest of the route, which waits for its own rest.
      layer.wait_ms = static_cast<uint32_t>(
          std::chrono::milliseconds(kInferStepTimeout).count() * (n - 1 - i));
    }
    std::vector<uint8_t> packet;
    Status s = onion::BuildOnion(keys, std::move(layers), &packet);
    if (!s.ok()) return Status::InvalidArgument(s.message());
    net::OnionStepMsg step;
    step.input = x;
    step.onion = std::move(packet);
    net::OnionReplyMsg reply;
    s = service_.ExchangeOnion(hops_[0].hop.peer, std::move(step),
                               kInferStepTimeout * static_cast<int>(n + 1), &reply);
    if (!s.ok()) return s;
    if (reply.code != net::OnionReplyCode::kSealed) return Status::IOError("refused: " + reply.reason);
    std::vector<uint8_t> sealed = std::move(reply.sealed);
    for (size_t i = 0; i < n; ++i) {
      *failed = i;
      Hop& hop = hops_[i];
      const bool last = i + 1 == n;
      net::OnionHopReply r;
      s = onion::OpenReply(hop.layer->keys, sealed, &r);
      if (!s.ok()) return Status::IOError(s.message());
      const bool computed =
          r.code == net::OnionHopCode::kOk || r.code == net::OnionHopCode::kNextFailed;
      Account(hop, computed || r.code == net::OnionHopCode::kUnknownSession, computed,
              sent_paid[i], charges[i]);
      if (r.code == net::OnionHopCode::kUnknownSession) return Status::NotFound("unknown-session");
      if (r.code == net::OnionHopCode::kRefused) return Status::IOError("refused: " + r.reason);
      compute::EncodedTensor out;
      if (last && rows > 0) {
        if (!Deserialize(r.body, &out).ok() ||
            out.shape != std::vector<uint64_t>{compute::kVocab})
          return Status::IOError("answer of the wrong shape");
      }
      if (hop.channel && rows > 0) {
        s = CheckReceipt(hop, position, rows, charges[i], i == 0 ? &x.payload : nullptr,
                         last ? &out.payload : nullptr, r.receipt);
        if (!s.ok()) return s;
      }
      if (r.code == net::OnionHopCode::kNextFailed) {
        *failed = last ? i : i + 1;
        return Status::IOError("the next hop failed: " + r.reason);
      }
      if (!last) {
        sealed = std::move(r.body);
        continue;
      }
      *y = std::move(out);
    }
    return Status::OK();
  }

  // Routes around hop j: the rest of the model from the latest hop boundary
  // r ≤ j that holders can still reach, with hops_[r].sent replayed into it.
  // Sets *from = r and *replay to what hop r must be sent from position 0.
  // A replacement that charges needs an open channel already (none is
  // opened mid-request: its funding would need a block).
  Status Reroute(size_t j, size_t* from, compute::EncodedTensor* replay) {
    excluded_.push_back(hops_[j].hop.onion_key);
    if (++result_.reroutes > kMaxReroutes)
      return Status::IOError("inference failed: " + std::to_string(kMaxReroutes) +
                             " hops failed in one request");
    Status last;
    // Onion routing keeps only the first hop's inputs (the tokens): the new
    // route starts at section 0.
    for (size_t r = onion_ ? 1 : j + 1; r-- > 0;) {
      std::vector<RouteHop> tail;
      last = service_.BuildRoute(hops_[r].hop.begin, root_, onion_, excluded_, &tail);
      if (!last.ok()) continue;
      const uint64_t left = most_rows_ > rows_done_ ? most_rows_ - rows_done_ : 0;
      const long double worst =
          charged_ + static_cast<long double>(RoutePrice(tail)) * (hops_[r].sent.shape[0] + left);
      if (worst > max_fee_)
        return Status::InvalidArgument("price above maxfee: no replacement route within it");
      std::vector<std::optional<Channel>> channels;
      last = service_.PrepareChannels(payer_, tail, hops_[r].sent.shape[0] + left, &channels,
                                      /*may_open=*/false);
      if (!last.ok()) continue;
      *replay = std::move(hops_[r].sent);
      for (size_t i = r; i < hops_.size(); ++i) dropped_.push_back(std::move(hops_[i]));
      hops_.resize(r);
      for (size_t i = 0; i < tail.size(); ++i) AddHop(std::move(tail[i]), std::move(channels[i]));
      *from = r;
      return Status::OK();
    }
    return Status::IOError("inference failed: no route around the failed hop: " + last.message());
  }

  InferenceService& service_;
  const Uint256 root_;
  const std::shared_ptr<wallet::Wallet> payer_;  // null when no hop charges
  const uint64_t most_rows_;                     // the worst case at each hop
  const Amount max_fee_;
  const uint64_t prompt_tokens_;
  const bool onion_;
  InferResult& result_;
  std::vector<Hop> hops_;
  std::vector<Hop> dropped_;           // hops replaced by a reroute
  std::vector<XOnlyPubKeyBytes> excluded_;  // onion keys of hops that failed in this request
  uint64_t rows_done_ = 0;             // rows sent through the route, replays aside
  Amount charged_ = 0;                 // price × rows computed by the hops in this request
  bool first_call_ = true;
};

// ---------------------------------------------------------------------------
// The service.

InferenceService::InferenceService(NodeContext* node, ChainManager* chainman,
                                   net::PeerManager* peerman, net::ConnMan* connman,
                                   const compute::ModelConfig& config, ServeOptions options)
    : node_(node),
      chainman_(chainman),
      peerman_(peerman),
      connman_(connman),
      config_(config),
      options_(options) {}

InferenceService::~InferenceService() { Stop(); }

Status InferenceService::Start() {
  // The receipts our requests got, so that later updates keep committing them.
  const std::filesystem::path path = node_->datadir / kReceiptsFile;
  std::ifstream file(path);
  std::string line;
  for (size_t number = 1; std::getline(file, line); ++number) {
    std::vector<uint8_t> bytes;
    KeptReceipt kept;
    if (!ParseHex(line, &bytes) || !Deserialize(bytes, &kept).ok())
      return Status::Corruption(path.string() + ": line " + std::to_string(number) +
                                " is not a receipt");
    std::lock_guard<std::mutex> lock(mu_);
    client_channels_[kept.funding].receipts.push_back(kept.receipt);
  }
  if (!options_.enabled) return Status::OK();
  // Drawn at each start: it names this holder only while this process runs.
  onion_key_ = PrivateKey::Generate();
  onion_public_ = onion_key_->PublicKey();
  if (options_.price > 0) {
    serve_wallet_ = DefaultWallet(*node_);
    if (serve_wallet_ == nullptr)
      return Status::InvalidArgument(
          "-serveprice needs a wallet to be paid to (-wallet=<name>, created beforehand)");
    std::string address;
    wallet::AddressInfo info;
    Status s = serve_wallet_->GetNewAddress("inference payee", &address);
    if (s.ok()) s = serve_wallet_->GetAddressInfo(address, &info);
    if (!s.ok()) return s;
    payee_ = info.pubkey;
    // A worker node pledges its first worker key's bonds behind the
    // receipts its payee signs: a wrong answer then forfeits them.
    if (!node_->workers.empty()) {
      const PrivateKey& worker = node_->workers.front();
      bond_ = HolderBond{worker.PublicKey(), worker.Sign(HolderBondSigningHash(payee_))};
    }
  }
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
  {
    // The root commits the weights: a block that kept it changes nothing
    // served. (The tip is read outside mu_: chain callbacks take mu_.)
    const Uint256 tip_root = chainman_->Tip().StateRoot();
    std::lock_guard<std::mutex> lock(mu_);
    if (server_ != nullptr && tip_root == served_root_) return Status::OK();
  }
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
    last_announced_sessions_ = 0;
    info = SignedServeInfoLocked();
  }
  peerman_->SetServeInfo(info);
  LogPrintf("Serving sections " + RangeText(options_.begin, options_.end) + " of state root " +
            root.ToHex());
  return Status::OK();
}

std::vector<XOnlyPubKeyBytes> InferenceService::LinksLocked() const {
  std::vector<XOnlyPubKeyBytes> links;
  for (const auto& [id, holder] : holders_) links.push_back(holder.info.onion_key);
  std::sort(links.begin(), links.end());
  links.erase(std::unique(links.begin(), links.end()), links.end());
  if (links.size() > net::kMaxServeLinks) links.resize(net::kMaxServeLinks);
  return links;
}

void InferenceService::Announce() {
  net::ServeInfoMsg info;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (server_ == nullptr) return;
    info = SignedServeInfoLocked();
  }
  peerman_->SetServeInfo(info);
}

net::ServeInfoMsg InferenceService::SignedServeInfoLocked() {
  net::ServeInfoMsg info;
  info.state_root = served_root_;
  info.section_begin = options_.begin;
  info.section_end = options_.end;
  info.price = options_.price;
  info.max_sessions = options_.limits.max_sessions;
  // The count the serving thread last saw: Stats would wait for a step in
  // progress, and the message thread announces too.
  info.sessions = static_cast<uint32_t>(last_announced_sessions_);
  info.payee = payee_;
  info.onion_key = onion_public_;
  // Strictly later than the last, so that peers take it as newer.
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  last_serve_time_ = info.time = std::max(now_ms, last_serve_time_ + 1);
  info.links = LinksLocked();
  info.bond = bond_;
  info.signature = onion_key_->Sign(net::ServeInfoSigningHash(info));
  next_serve_refresh_ = std::chrono::steady_clock::now() + net::kServeRefreshInterval;
  return info;
}

bool InferenceService::Enqueue(net::PeerId from,
                               std::variant<net::InferStepMsg, net::OnionStepMsg> step) {
  std::lock_guard<std::mutex> lock(mu_);
  if (serve_thread_.joinable() && !stopping_ && queue_.size() < kMaxQueuedSteps &&
      queued_by_peer_[from] < kMaxQueuedStepsPerPeer) {
    queue_.push_back(QueuedStep{from, std::move(step)});
    ++queued_by_peer_[from];
    queued_.notify_one();
    return true;
  }
  ++steps_refused_;
  return false;
}

void InferenceService::OnInferStep(net::PeerId from, const net::InferStepMsg& step) {
  if (Enqueue(from, step)) return;
  net::InferResultMsg busy;
  busy.request_id = step.request_id;
  busy.code = net::InferCode::kRefused;
  busy.reason = options_.enabled ? "busy" : "not-serving";
  peerman_->SendInferResult(from, busy);
}

void InferenceService::OnOnionStep(net::PeerId from, const net::OnionStepMsg& step) {
  if (Enqueue(from, step)) return;
  net::OnionReplyMsg busy;
  busy.request_id = step.request_id;
  busy.code = net::OnionReplyCode::kRefused;
  busy.reason = options_.enabled ? "busy" : "not-serving";
  peerman_->SendOnionReply(from, busy);
}

// How often the serving thread looks for onion steps whose next hop is late.
constexpr auto kForwardCheckInterval = 1s;

void InferenceService::ServeLoop() {
  while (true) {
    std::optional<QueuedStep> next;
    bool refresh = false;  // our announcement is due to be signed again (kServeRefreshInterval)
    {
      std::unique_lock<std::mutex> lock(mu_);
      queued_.wait_for(lock, kForwardCheckInterval,
                       [&] { return stopping_ || !queue_.empty() || settle_due_ || stale_; });
      if (stopping_) return;
      if (stale_ || settle_due_) {
        // A new tip: serve and announce its weights now rather than at the
        // next step (a router picks holders by the root they announce), and
        // settle the channels that came due.
        lock.unlock();
        if (stale_.exchange(false)) {
          const Status s = RefreshServer();
          if (!s.ok()) LogPrintf("Serving: cannot rebuild for the new tip: " + s.ToString());
        }
        if (settle_due_.exchange(false)) SettleDue();
        continue;
      }
      refresh = server_ != nullptr && std::chrono::steady_clock::now() >= next_serve_refresh_;
      if (!queue_.empty()) {
        next = std::move(queue_.front());
        queue_.pop_front();
        if (--queued_by_peer_[next->from] == 0) queued_by_peer_.erase(next->from);
      }
    }
    FailExpiredForwards();
    if (refresh) Announce();
    if (!next) continue;
    if (const auto* onion = std::get_if<net::OnionStepMsg>(&next->step)) {
      ServeOnion(next->from, *onion);
      continue;
    }
    const auto& step = std::get<net::InferStepMsg>(next->step);
    net::InferResultMsg reply;
    reply.request_id = step.request_id;
    Answer(next->from, step, &reply);
    peerman_->SendInferResult(next->from, reply);
  }
}

namespace {

std::string PeerText(const net::ConnMan& connman, net::PeerId id) {
  const net::PeerRef peer = connman.FindPeer(id);
  return "peer=" + std::to_string(id) + " (" + (peer ? peer->addr().ToString() : "gone") + ")";
}

std::string Truncated(std::string reason) {
  if (reason.size() > net::kMaxInferReason) reason.resize(net::kMaxInferReason);
  return reason;
}

net::OnionHopCode OnionCode(net::InferCode code) {
  switch (code) {
    case net::InferCode::kOk:
      return net::OnionHopCode::kOk;
    case net::InferCode::kRefused:
      return net::OnionHopCode::kRefused;
    case net::InferCode::kUnknownSession:
      return net::OnionHopCode::kUnknownSession;
  }
  return net::OnionHopCode::kRefused;
}

}  // namespace

void InferenceService::ServeOnion(net::PeerId from, const net::OnionStepMsg& step) {
  net::OnionReplyMsg out;
  out.request_id = step.request_id;
  // A layer we cannot open leaves no key to seal with: refused in clear.
  auto refuse_clear = [&](const std::string& reason) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++steps_refused_;
    }
    LogPrintf("onion: refused a step from " + PeerText(*connman_, from) + ": " + reason);
    out.code = net::OnionReplyCode::kRefused;
    out.reason = Truncated(reason);
    out.sealed.clear();
    peerman_->SendOnionReply(from, out);
  };
  net::OnionHop hop;
  onion::HopKeys keys;
  const Status peeled = onion::PeelLayer(*onion_key_, step.onion, &hop, &keys);
  if (!peeled.ok()) return refuse_clear(peeled.message());
  Forward forward;
  forward.from = from;
  forward.request_id = step.request_id;
  forward.keys = keys;
  net::OnionHopReply& reply = forward.reply;
  auto refuse = [&](const std::string& reason) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++steps_refused_;
    }
    LogPrintf("onion: refused a step from " + PeerText(*connman_, from) + ": " + reason);
    reply.code = net::OnionHopCode::kRefused;
    reply.reason = Truncated(reason);
    ReturnForward(forward);
  };
  // Where the step goes next, checked before anything is computed or paid.
  const bool last = hop.next == XOnlyPubKeyBytes{};
  if (!last) {
    if (hop.next == onion_public_) return refuse("onion-loop: asked to forward to itself");
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, holder] : holders_)
      if (holder.info.onion_key == hop.next) forward.next = id;
  }
  if (!last) {
    if (forward.next < 0) return refuse("onion-next-unreachable: not a peer of this holder");
    if (forward.next == from)
      return refuse("onion-loop: asked to forward back to the previous hop");
    std::lock_guard<std::mutex> lock(mu_);
    if (forwards_.size() >= kMaxOnionForwards) {
      ++steps_refused_;
      reply.code = net::OnionHopCode::kRefused;
      reply.reason = "busy";
    }
  }
  if (reply.code == net::OnionHopCode::kRefused) return ReturnForward(forward);
  const uint64_t rows = step.input.shape[0];
  net::InferResultMsg result;
  if (rows == 0 && hop.payment.empty()) {
    // Only carries later hops' payments (the client's last step): pass it on.
    result.code = net::InferCode::kOk;
    result.output = compute::EncodeFloats({}, std::vector<uint64_t>{0}, compute::Codec::kFloat32);
  } else {
    net::InferStepMsg local;
    local.request_id = step.request_id;
    local.session = hop.session;
    local.state_root = hop.state_root;
    local.section_begin = hop.section_begin;
    local.section_end = hop.section_end;
    local.position = hop.position;
    local.input = step.input;
    local.payment = hop.payment;
    Answer(from, local, &result);
  }
  reply.code = OnionCode(result.code);
  reply.reason = result.reason;
  reply.receipt = result.receipt;
  if (rows > 0 && hop.position == 0) {
    // A session's start: the only line a hop keeps of a request, and it
    // names the two neighbours and nothing else (what tests check).
    const std::string ephemeral = HexStr(std::span<const uint8_t>(step.onion.data(), 4));
    LogPrintf("onion: hop " + RangeText(hop.section_begin, hop.section_end) + " session " +
              hop.session.ToHex().substr(0, 16) + " key " + ephemeral + ": from " +
              PeerText(*connman_, from) + ", " +
              (last ? std::string("last hop") : "forwarding to " + PeerText(*connman_, forward.next)) +
              (reply.code == net::OnionHopCode::kOk ? "" : " (" + reply.reason + ")"));
  }
  if (reply.code != net::OnionHopCode::kOk || last) {
    if (reply.code == net::OnionHopCode::kOk) reply.body = Serialize(result.output);
    return ReturnForward(forward);
  }
  net::OnionStepMsg onward;
  onward.input = std::move(result.output);
  onward.onion = std::move(hop.inner);
  forward.deadline = std::chrono::steady_clock::now() +
                     std::min<std::chrono::milliseconds>(std::chrono::milliseconds(hop.wait_ms),
                                                         kMaxOnionWait);
  {
    std::lock_guard<std::mutex> lock(mu_);
    onward.request_id = next_request_id_++;
    forwards_[onward.request_id] = forward;
    ++onion_forwarded_;
  }
  if (peerman_->SendOnionStep(forward.next, onward)) return;
  std::unique_lock<std::mutex> lock(mu_);
  auto it = forwards_.find(onward.request_id);
  if (it == forwards_.end()) return;  // OnPeerGone answered it already
  Forward failed = std::move(it->second);
  forwards_.erase(it);
  lock.unlock();
  failed.reply.code = net::OnionHopCode::kNextFailed;
  failed.reply.reason = "onion-next-unreachable: not connected";
  ReturnForward(failed);
}

void InferenceService::ReturnForward(const Forward& forward) {
  net::OnionReplyMsg out;
  out.request_id = forward.request_id;
  const Status s = onion::SealReply(forward.keys, forward.reply, &out.sealed);
  if (!s.ok()) {
    out.code = net::OnionReplyCode::kRefused;
    out.reason = Truncated(s.message());
    out.sealed.clear();
  }
  peerman_->SendOnionReply(forward.from, out);
}

void InferenceService::FailExpiredForwards() {
  std::vector<Forward> expired;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    for (auto it = forwards_.begin(); it != forwards_.end();) {
      if (it->second.deadline > now) {
        ++it;
        continue;
      }
      expired.push_back(std::move(it->second));
      it = forwards_.erase(it);
    }
  }
  for (Forward& f : expired) {
    f.reply.code = net::OnionHopCode::kNextFailed;
    f.reply.reason = "onion-next-timeout";
    ReturnForward(f);
  }
}

void InferenceService::OnOnionReply(net::PeerId from, const net::OnionReplyMsg& reply) {
  Forward forward;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto pending = pending_.find(reply.request_id);
    if (pending != pending_.end()) {
      if (pending->second.peer != from || pending->second.done) return;  // not asked
      pending->second.done = true;
      pending->second.onion_reply = reply;
      answered_.notify_all();
      return;
    }
    auto it = forwards_.find(reply.request_id);
    if (it == forwards_.end() || it->second.next != from) return;  // not asked
    forward = std::move(it->second);
    forwards_.erase(it);
  }
  if (reply.code == net::OnionReplyCode::kSealed) {
    forward.reply.body = reply.sealed;
  } else {
    forward.reply.code = net::OnionHopCode::kNextFailed;
    forward.reply.reason = Truncated("onion-next-refused: " + reply.reason);
  }
  ReturnForward(forward);
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
  const uint64_t rows = step.input.shape[0];
  net::InferPayment payment;
  HolderChannel* channel = nullptr;
  if (rows == 0) {  // pays for what was computed; computes nothing
    if (options_.price == 0) return refuse("bad-serve-input: no rows");
    const Status p = CheckPayment(step, &payment, &channel);
    if (!p.ok()) return refuse(p.message());
    if (!payment.update) return refuse("payment-missing: a step of no rows only pays");
    reply->code = net::InferCode::kOk;
    reply->output = compute::EncodeFloats({}, std::vector<uint64_t>{0}, compute::Codec::kFloat32);
    return;
  }
  if (step.state_root != root) return refuse("wrong-state-root: serving " + root.ToHex());
  if (step.section_begin != options_.begin || step.section_end != options_.end)
    return refuse("bad-serve-range: serving " + RangeText(options_.begin, options_.end));
  const Status p = CheckPayment(step, &payment, &channel);
  if (!p.ok()) return refuse(p.message());
  const Uint256 key = SessionKey(from, step.session);
  const Status s = server->Step(key, step.position, step.input, &reply->output);
  if (s.IsNotFound()) {
    reply->code = net::InferCode::kUnknownSession;
    return;
  }
  if (!s.ok()) return refuse(s.message());
  if (options_.perturb_outputs != 0) {
    std::vector<float> values;
    if (compute::DecodeFloats(reply->output, &values).ok()) {
      for (float& v : values) v *= static_cast<float>(1 + options_.perturb_outputs);
      reply->output = compute::EncodeFloats(values, reply->output.shape, compute::Codec::kFloat32);
    }
  }
  reply->code = net::InferCode::kOk;
  if (channel != nullptr) {
    // Computed: charged, and the session's running receipt says so.
    const Amount charge = options_.price * static_cast<Amount>(rows);  // CheckPayment bounded it
    channel->charged += charge;
    auto [it, fresh] = session_receipts_.try_emplace(key);
    SessionReceipt& running = it->second;
    if (fresh) {
      running.receipt.request_id = step.session;
      running.receipt.state_root = root;
      running.receipt.section_begin = options_.begin;
      running.receipt.section_end = options_.end;
      running.receipt.holder = payee_;
      running.salt = payment.salt;
    }
    running.last_used = ++receipt_clock_;
    Receipt& r = running.receipt;
    r.tokens += static_cast<uint32_t>(rows);
    r.amount += charge;
    r.input_hash = ChainedInputHash(running.salt, r.input_hash, step.position, step.input.payload);
    r.output_hash = ChainedOutputHash(running.salt, r.output_hash, reply->output.payload);
    Receipt signed_receipt = r;
    if (serve_wallet_->SignHash(payee_, r.SigningHash(), &signed_receipt.signature).ok())
      reply->receipt = signed_receipt;
    // As many running receipts as sessions, and a few more: the least
    // recently used goes (its session is most likely gone too).
    if (session_receipts_.size() > uint64_t{options_.limits.max_sessions} * 2) {
      auto oldest = session_receipts_.begin();
      for (auto i = session_receipts_.begin(); i != session_receipts_.end(); ++i)
        if (i->second.last_used < oldest->second.last_used) oldest = i;
      session_receipts_.erase(oldest);
    }
  }
  std::optional<net::ServeInfoMsg> load_changed;
  const uint64_t sessions = server->Stats().sessions;  // outside mu_ (Info's comment)
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++steps_served_;
    // A new session changes the load routers weigh: tell them.
    if (sessions != last_announced_sessions_) {
      last_announced_sessions_ = sessions;
      load_changed = SignedServeInfoLocked();
    }
  }
  if (load_changed) peerman_->SetServeInfo(*load_changed);
}

Status InferenceService::CheckPayment(const net::InferStepMsg& step, net::InferPayment* payment,
                                      HolderChannel** channel) {
  *channel = nullptr;
  if (options_.price == 0) return Status::OK();  // free: a payment is ignored
  if (step.payment.empty()) return Status::InvalidArgument("payment-missing");
  if (!net::DecodeInferPayment(step.payment, payment).ok())
    return Status::InvalidArgument("bad-payment");
  const Channel& c = payment->channel;
  if (c.terms.holder != payee_) return Status::InvalidArgument("payment-wrong-payee");
  ValidationState state;
  if (!CheckChannel(c, &state)) return Status::InvalidArgument(state.reason());
  if (serve_wallet_->IsLocked()) return Status::InvalidArgument("holder-wallet-locked");
  wallet::ChannelInfo known;
  const bool is_known = serve_wallet_->GetChannel(c.funding, &known).ok();
  if (is_known) {
    if (known.record.channel != c) return Status::InvalidArgument("channel-update-wrong-channel");
    if (known.state != wallet::ChannelState::kOpen)
      return Status::InvalidArgument("channel-closed");
  } else {
    const Status funded = CheckChannelFunded(*node_, c);
    if (!funded.ok()) return Status::InvalidArgument(funded.message());
  }
  const uint32_t height = serve_wallet_->GetBestBlock().height;
  if (uint64_t{height} + wallet::kChannelExpiryMargin >= c.terms.timeout_height)
    return Status::InvalidArgument("channel-update-expiring");
  Amount best = is_known ? known.record.best.paid : 0;
  // The update we hold already, sent again by a client that did not see us
  // take it (a refusal after the payment checks): it pays nothing new.
  if (is_known && payment->update && *payment->update == known.record.best) payment->update.reset();
  auto [it, fresh] = holder_channels_.try_emplace(c.funding);
  HolderChannel& h = it->second;
  if (fresh) h.charged = best;  // after a restart: what the best update paid
  if (payment->update) {
    // It must pay exactly what was computed over the channel so far: an
    // older or replayed update pays less, and more is refused too.
    const Amount paid = payment->update->paid;
    if (paid < h.charged)
      return Status::InvalidArgument("payment-too-low: owed " + std::to_string(h.charged));
    if (paid > h.charged)
      return Status::InvalidArgument("payment-too-high: owed " + std::to_string(h.charged));
    const Status accepted = serve_wallet_->AcceptChannelUpdate(c, *payment->update);
    if (!accepted.ok()) return accepted;  // CheckUpdate's reasons: not-increasing, bad-sig, ...
    if (h.first_paid_height == 0) h.first_paid_height = std::max<uint32_t>(height, 1);
    best = paid;
  } else if (h.charged > best) {
    return Status::InvalidArgument("payment-too-low: owed " + std::to_string(h.charged));
  }
  const long double charge = static_cast<long double>(options_.price) * step.input.shape[0];
  if (charge > c.MaxPaid() - h.charged) return Status::InvalidArgument("channel-exhausted");
  *channel = &h;
  return Status::OK();
}

void InferenceService::SettleDue() {
  if (serve_wallet_ == nullptr) return;
  const uint32_t height = serve_wallet_->GetBestBlock().height;
  for (const wallet::ChannelInfo& info : serve_wallet_->ListChannels()) {
    const Channel& c = info.record.channel;
    if (info.record.role != wallet::ChannelRole::kHolder ||
        info.state != wallet::ChannelState::kOpen || info.record.best.paid == 0)
      continue;
    HolderChannel& h = holder_channels_[c.funding];
    if (h.first_paid_height == 0) h.first_paid_height = std::max<uint32_t>(height, 1);
    const bool expiring = uint64_t{height} + wallet::kChannelExpiryMargin >= c.terms.timeout_height;
    const bool old =
        options_.settle_after != 0 && height >= h.first_paid_height + options_.settle_after;
    if (!expiring && !old) continue;
    Uint256 txid;
    const Status s = CloseChannel(*node_, *serve_wallet_, c.funding, &txid);
    LogPrintf("Serving: settling channel " + c.funding.txid.ToHex() + ":" +
              std::to_string(c.funding.index) + " paying " +
              ValueFromAmount(info.record.best.paid).dump() +
              " coins: " + (s.ok() ? "txid " + txid.ToHex() : s.ToString()));
  }
}

void InferenceService::OnServeInfo(net::PeerId from, const net::ServeInfoMsg& info) {
  const net::PeerRef peer = connman_->FindPeer(from);
  if (peer == nullptr) return;
  bool links_changed = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const std::vector<XOnlyPubKeyBytes> before = LinksLocked();
    holders_[from] = HolderInfo{from, peer->addr().ToString(), info};
    links_changed = LinksLocked() != before;
  }
  // Our announcement names the holders we can forward onions to.
  if (links_changed) Announce();
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
  std::unique_lock<std::mutex> lock(mu_);
  const std::vector<XOnlyPubKeyBytes> links = LinksLocked();
  holders_.erase(id);
  const bool links_changed = LinksLocked() != links;
  // Its queued steps would be answered to nobody.
  std::erase_if(queue_, [&](const QueuedStep& entry) { return entry.from == id; });
  queued_by_peer_.erase(id);
  for (auto& [request, pending] : pending_)
    if (pending.peer == id) pending.failed = true;
  answered_.notify_all();
  // Onion steps it passed on go unanswered; those it was to answer fail.
  std::vector<Forward> failed;
  for (auto it = forwards_.begin(); it != forwards_.end();) {
    if (it->second.from == id) {
      it = forwards_.erase(it);
    } else if (it->second.next == id) {
      failed.push_back(std::move(it->second));
      it = forwards_.erase(it);
    } else {
      ++it;
    }
  }
  lock.unlock();
  for (Forward& f : failed) {
    f.reply.code = net::OnionHopCode::kNextFailed;
    f.reply.reason = "onion-next-disconnected";
    ReturnForward(f);
  }
  if (links_changed) Announce();
}

// Roots of the last few tips a client may route for (RouteForRecentRoot).
constexpr size_t kRecentRoots = 16;

void InferenceService::BlockConnected(const Block& block, uint32_t) {
  std::lock_guard<std::mutex> lock(mu_);
  stale_ = true;
  recent_roots_.push_front(block.header.state_root);
  if (recent_roots_.size() > kRecentRoots) recent_roots_.pop_back();
  if (serve_wallet_ != nullptr) settle_due_ = true;
  queued_.notify_one();  // the serving thread rebuilds and settles
}

void InferenceService::BlockDisconnected(const Block& block, uint32_t) {
  std::lock_guard<std::mutex> lock(mu_);
  stale_ = true;
  queued_.notify_one();
  if (!recent_roots_.empty() && recent_roots_.front() == block.header.state_root)
    recent_roots_.pop_front();
}

Status InferenceService::RouteForRecentRoot(bool onion, Uint256* root,
                                            std::vector<RouteHop>* out) const {
  const Uint256 tip = chainman_->Tip().StateRoot();
  const Status s = BuildRoute(0, tip, onion, {}, out);
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
    if (candidate != tip && BuildRoute(0, candidate, onion, {}, out).ok()) {
      *root = candidate;
      return Status::OK();
    }
  }
  return s;
}

Status InferenceService::ChooseRoute(std::optional<bool> onion, Uint256* root,
                                     std::vector<RouteHop>* out, bool* use_onion) const {
  *use_onion = onion.value_or(options_.onion);
  const Status s = RouteForRecentRoot(*use_onion, root, out);
  if (s.ok() || *use_onion || onion.has_value()) return s;
  // Holders we know from relayed announcements only are reached through
  // the onion: each hop forwards to the next.
  if (!RouteForRecentRoot(true, root, out).ok()) return s;
  *use_onion = true;
  return Status::OK();
}

Status InferenceService::Await(net::PeerId peer, std::chrono::seconds timeout,
                               const std::function<bool(uint64_t)>& send, Pending* out) {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t id = next_request_id_++;
  pending_[id] = Pending{peer, false, false, {}, {}};
  lock.unlock();
  const bool sent = send(id);
  lock.lock();
  const bool settled = sent && answered_.wait_for(lock, timeout, [&] {
    const Pending& p = pending_.at(id);
    return p.done || p.failed;
  });
  *out = std::move(pending_.at(id));
  pending_.erase(id);
  if (!sent) return Status::IOError("peer=" + std::to_string(peer) + " is not connected");
  if (!settled) return Status::IOError("no answer in " + std::to_string(timeout.count()) + " s");
  if (!out->done) return Status::IOError("peer=" + std::to_string(peer) + " disconnected");
  return Status::OK();
}

Status InferenceService::Exchange(net::PeerId peer, net::InferStepMsg step,
                                  net::InferResultMsg* result) {
  Pending p;
  const Status s = Await(peer, kInferStepTimeout, [&](uint64_t id) {
    step.request_id = id;
    return peerman_->SendInferStep(peer, step);
  }, &p);
  if (s.ok()) *result = std::move(p.result);
  return s;
}

Status InferenceService::ExchangeOnion(net::PeerId peer, net::OnionStepMsg step,
                                       std::chrono::seconds timeout, net::OnionReplyMsg* reply) {
  Pending p;
  const Status s = Await(peer, timeout, [&](uint64_t id) {
    step.request_id = id;
    return peerman_->SendOnionStep(peer, step);
  }, &p);
  if (s.ok()) *reply = std::move(p.onion_reply);
  return s;
}

Status InferenceService::BuildRoute(uint32_t from, const Uint256& root, bool onion,
                                    const std::vector<XOnlyPubKeyBytes>& excluded,
                                    std::vector<RouteHop>* out) const {
  std::map<net::PeerId, int64_t> ping_us;
  for (const net::PeerStats& stats : connman_->GetPeerStats())
    ping_us[stats.id] = stats.min_ping_us;
  std::set<XOnlyPubKeyBytes> caught;
  {
    std::lock_guard<std::mutex> lock(mu_);
    caught = caught_;
  }
  auto usable = [&](const net::ServeInfoMsg& info) {
    return info.state_root == root && info.section_begin >= from &&
           info.section_end <= config_.sections && !caught.contains(info.onion_key) &&
           std::find(excluded.begin(), excluded.end(), info.onion_key) == excluded.end();
  };
  // Read before mu_: PeerManager's lock is never taken under ours.
  const std::vector<net::ServeInfoMsg> relayed =
      onion ? peerman_->ServeAnnouncements() : std::vector<net::ServeInfoMsg>{};
  std::vector<HolderInfo> candidates;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, holder] : holders_)
      if (usable(holder.info)) candidates.push_back(holder);
  }
  for (const net::ServeInfoMsg& info : relayed) {
    const bool peer = std::any_of(candidates.begin(), candidates.end(), [&](const HolderInfo& h) {
      return h.peer >= 0 && h.info.onion_key == info.onion_key;
    });
    if (!peer && usable(info)) candidates.push_back(HolderInfo{-1, "relayed", info});
  }
  // A hop costs 1, plus its latency (100 ms = one more hop; unknown for a
  // holder that is not our peer) and load (a full holder = one more hop);
  // price breaks what is left.
  auto hop_cost = [&](const HolderInfo& h) {
    const auto ping = ping_us.find(h.peer);
    const double latency = ping == ping_us.end() || ping->second < 0 ? 0.0 : ping->second / 1e5;
    const double load =
        static_cast<double>(h.info.sessions) / std::max<uint32_t>(1, h.info.max_sessions);
    return 1.0 + latency + load + static_cast<double>(h.info.price) / kCoin;
  };
  auto names = [](const HolderInfo& a, const HolderInfo& b) {
    return std::find(a.info.links.begin(), a.info.links.end(), b.info.onion_key) !=
           a.info.links.end();
  };
  // Shortest path over holders in the order of their first section (a hop's
  // predecessors end where it begins, so they come first). An onion route
  // starts at a peer (we send it the step) and each hop forwards to the next.
  const size_t n = candidates.size();
  constexpr double kNone = std::numeric_limits<double>::infinity();
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return candidates[a].info.section_begin < candidates[b].info.section_begin;
  });
  std::vector<double> best(n, kNone);
  std::vector<size_t> prev(n, n);
  uint32_t reached = from;
  for (size_t i : order) {
    const HolderInfo& h = candidates[i];
    if (h.info.section_begin == from && (!onion || h.peer >= 0)) best[i] = hop_cost(h);
    for (size_t j = 0; j < n; ++j) {
      const HolderInfo& p = candidates[j];
      if (best[j] == kNone || p.info.section_end != h.info.section_begin) continue;
      // Both sides name each other when both announcements are current; a
      // restarted holder's stale entry still names its old neighbours.
      const bool linked = names(p, h) && names(h, p);
      const double c = best[j] + hop_cost(h) + (onion && !linked ? kUnlinkedHopCost : 0.0);
      if (c < best[i]) {
        best[i] = c;
        prev[i] = j;
      }
    }
    if (best[i] != kNone) reached = std::max(reached, h.info.section_end);
  }
  size_t last = n;
  for (size_t i = 0; i < n; ++i)
    if (candidates[i].info.section_end == config_.sections && best[i] != kNone &&
        (last == n || best[i] < best[last]))
      last = i;
  if (last == n) {
    return Status::NotFound("no route: no holder of section " + std::to_string(reached) +
                            " for state root " + root.ToHex());
  }
  out->clear();
  for (size_t i = last; i != n; i = prev[i]) {
    const HolderInfo& h = candidates[i];
    std::optional<HolderBond> bond;
    if (h.info.bond && VerifyHolderBond(*h.info.bond, h.info.payee)) bond = h.info.bond;
    out->push_back(RouteHop{h.peer, h.addr, h.info.section_begin, h.info.section_end, h.info.price,
                            h.info.payee, h.info.onion_key, bond});
  }
  std::reverse(out->begin(), out->end());
  return Status::OK();
}

Status InferenceService::Quote(size_t prompt_bytes, uint32_t max_tokens, Amount* max_cost) const {
  std::vector<RouteHop> hops;
  Uint256 root;
  bool onion = false;
  Status s = ChooseRoute(std::nullopt, &root, &hops, &onion);
  if (!s.ok()) return s;
  const long double worst = static_cast<long double>(RoutePrice(hops)) *
                            MostRowsProcessed(config_.context, prompt_bytes, max_tokens);
  if (worst > static_cast<long double>(kMaxMoney))
    return Status::InvalidArgument("the route's price for this request is out of range");
  *max_cost = static_cast<Amount>(worst);
  return Status::OK();
}

Status InferenceService::Infer(const std::string& prompt, const InferOptions& options,
                               const std::function<bool(uint8_t)>& on_token, InferResult* out) {
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
  s = ChooseRoute(options.onion, &root, &hops, &out->onion);
  out->state_root = root;
  if (!s.ok()) return s;
  // The whole request at this route's price, checked before a byte is sent
  // or a channel opened.
  const Amount price = RoutePrice(hops);
  const uint64_t most_rows =
      MostRowsProcessed(config_.context, prompt.size(), options.decode.max_tokens);
  const long double worst = static_cast<long double>(price) * most_rows;
  if (worst > options.max_fee) {
    out->route = hops;
    return Status::InvalidArgument(
        "price above maxfee: the route charges " + std::to_string(price) +
        " units per token, up to " + std::to_string(static_cast<double>(worst)) + " for " +
        std::to_string(most_rows) + " tokens, maxfee " + std::to_string(options.max_fee));
  }
  // One paying request at a time: each channel's updates form one sequence.
  std::unique_lock<std::mutex> pay_lock(pay_mu_, std::defer_lock);
  std::shared_ptr<wallet::Wallet> payer;
  std::vector<std::optional<Channel>> channels(hops.size());
  if (price > 0) {
    pay_lock.lock();
    payer = options.wallet ? options.wallet : DefaultWallet(*node_);
    s = PrepareChannels(payer, hops, most_rows, &channels, /*may_open=*/true);
    if (!s.ok()) {
      out->route = hops;
      return s;
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++requests_;
  }
  Route route(this, root, std::move(hops), std::move(channels), payer, most_rows, options.max_fee,
              prompt.size(), out->onion, out);
  s = compute::Decode(config_.context, prompt, options.decode, &route, on_token, &out->decode);
  if (out->decode.cancelled)
    LogPrintf("infer: the reader left after " + std::to_string(out->decode.tokens.size()) +
              " tokens; no more are computed");
  out->route = route.hops();
  // Pay for the last steps also after a failure: they were computed.
  const Status paid = route.Finish();
  if (s.ok()) s = paid;
  std::lock_guard<std::mutex> lock(mu_);
  tokens_generated_ += out->decode.tokens.size();
  request_costs_ += out->cost;
  return s;
}

Status InferenceService::PrepareChannels(const std::shared_ptr<wallet::Wallet>& w,
                                         const std::vector<RouteHop>& hops, uint64_t rows,
                                         std::vector<std::optional<Channel>>* channels,
                                         bool may_open) {
  channels->assign(hops.size(), std::nullopt);
  if (RoutePrice(hops) == 0) return Status::OK();
  if (w == nullptr)
    return Status::InvalidArgument(
        "paying holders needs a wallet: none is loaded (createwallet, or -wallet=<name>)");
  if (w->IsLocked())
    return Status::InvalidArgument(
        "the wallet is locked: unlock it with walletpassphrase to pay holders");
  const uint32_t height = w->GetBestBlock().height;
  const std::vector<wallet::ChannelInfo> known = w->ListChannels();
  std::vector<OutPoint> taken;  // a channel pays one hop of a route
  std::vector<std::pair<size_t, Amount>> to_open;
  std::string opening;
  for (size_t i = 0; i < hops.size(); ++i) {
    const RouteHop& hop = hops[i];
    if (hop.price == 0) continue;
    const std::string who = "holder peer=" + std::to_string(hop.peer) + " (" + hop.addr + ")";
    if (!IsValidXOnlyPubKey(hop.payee))
      return Status::InvalidArgument(who + " charges but names no valid payee key");
    const long double need_exact = static_cast<long double>(hop.price) * rows;
    if (need_exact > kMaxMoney) return Status::InvalidArgument(who + ": price out of range");
    const Amount need = static_cast<Amount>(need_exact);
    const wallet::ChannelInfo* open = nullptr;
    const wallet::ChannelInfo* pending = nullptr;
    for (const wallet::ChannelInfo& info : known) {
      const Channel& c = info.record.channel;
      if (info.record.role != wallet::ChannelRole::kClient || c.terms.holder != hop.payee ||
          std::find(taken.begin(), taken.end(), c.funding) != taken.end() ||
          uint64_t{height} + wallet::kChannelExpiryMargin + 1 >= c.terms.timeout_height)
        continue;
      Amount owed = 0;
      {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = client_channels_.find(c.funding);
        if (it != client_channels_.end()) owed = it->second.owed;
      }
      if (c.MaxPaid() - info.record.best.paid - owed < need) continue;
      if (info.state == wallet::ChannelState::kOpen) {
        open = &info;
        break;
      }
      if (info.state == wallet::ChannelState::kOpening) pending = &info;
    }
    if (open != nullptr) {
      (*channels)[i] = open->record.channel;
      taken.push_back(open->record.channel.funding);
    } else if (pending != nullptr) {
      opening += (opening.empty() ? "" : ", ") + pending->record.channel.funding.txid.ToHex();
      taken.push_back(pending->record.channel.funding);
    } else if (!may_open) {
      return Status::IOError("no open payment channel to " + who);
    } else {
      to_open.emplace_back(i, std::max<Amount>(options_.channel_amount,
                                               need > kMaxMoney / 10 ? kMaxMoney : need * 10));
    }
  }
  if (!to_open.empty()) {
    Amount total = 0;
    for (const auto& [i, capacity] : to_open) total += capacity;
    const Amount spendable = w->GetBalances().trusted;
    if (spendable < total)
      return Status::InvalidArgument(std::string(wallet::kInsufficientFundsError) +
                                     ": paying these holders opens channels of " +
                                     ValueFromAmount(total).dump() + " coins; the wallet has " +
                                     ValueFromAmount(spendable).dump() + " to spend");
    for (const auto& [i, capacity] : to_open) {
      Channel c;
      Uint256 txid;
      const Status s =
          OpenChannel(*node_, *w, hops[i].payee, capacity, options_.channel_timeout, &c, &txid);
      if (!s.ok()) return s;
      LogPrintf("infer: opened a payment channel of " + ValueFromAmount(capacity).dump() +
                " coins to holder peer=" + std::to_string(hops[i].peer) + " (txid " + txid.ToHex() +
                ")");
      opening += (opening.empty() ? "" : ", ") + txid.ToHex();
    }
  }
  if (!opening.empty())
    return Status::Interrupted("channel opening, funding unconfirmed (txid " + opening +
                               "): call again once it is in a block");
  return Status::OK();
}

void InferenceService::KeepReceipt(const OutPoint& funding, const Receipt& receipt) {
  const std::filesystem::path path = node_->datadir / kReceiptsFile;
  std::ofstream file(path, std::ios::app);
  file << HexStr(Serialize(KeptReceipt{funding, receipt})) << "\n";
  file.flush();
  if (!file) LogPrintf("infer: cannot write " + path.string() + "; the receipt is kept in memory");
}

std::vector<ChannelReceipts> InferenceService::Receipts() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ChannelReceipts> out;
  for (const auto& [funding, channel] : client_channels_)
    if (!channel.receipts.empty()) out.push_back(ChannelReceipts{funding, channel.receipts});
  return out;
}

void InferenceService::ReportWrongAnswer(WrongInference evidence, wallet::Wallet* wallet) {
  const std::string worker = HexStr(evidence.bond.worker);
  std::string address;
  wallet::AddressInfo info;
  Status s = wallet->GetNewAddress("slashing reward", &address);
  if (s.ok()) s = wallet->GetAddressInfo(address, &info);
  Uint256 txid;
  if (s.ok())
    s = SubmitSlash(*node_, WrongInferenceEvidence(std::move(evidence)), KeyHash(info.pubkey),
                    &txid);
  if (!s.ok()) {
    LogPrintf("infer: cannot slash worker " + worker + " behind the holder: " + s.ToString());
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++holders_slashed_;
  }
  LogPrintf("infer: slashing worker " + worker + ", which vouched for the holder, in " +
            txid.ToHex() + " (reward to " + address + ")");
}

Status InferenceService::SpotChecker(const Uint256& root, uint32_t begin, uint32_t end,
                                     std::shared_ptr<compute::SectionServer>* out) {
  // The tip is read outside mu_: chain callbacks take mu_.
  if (chainman_->Tip().StateRoot() != root) return Status::NotFound("not our tip's state root");
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = checkers_.find({begin, end});
    if (checkers_root_ == root && it != checkers_.end()) {
      *out = it->second;
      return Status::OK();
    }
  }
  std::unique_ptr<compute::SectionServer> fresh;
  Uint256 made;
  Status s = chainman_->MakeSectionServer(begin, end, options_.limits, &fresh, &made);
  if (!s.ok()) return s;
  if (made != root) return Status::NotFound("the tip moved");
  std::lock_guard<std::mutex> lock(mu_);
  if (checkers_root_ != root) {
    checkers_.clear();
    checkers_root_ = root;
  }
  std::shared_ptr<compute::SectionServer>& kept = checkers_[{begin, end}];
  if (kept == nullptr) kept = std::move(fresh);
  *out = kept;
  return Status::OK();
}

InferenceInfo InferenceService::Info() const {
  InferenceInfo info;
  const std::vector<net::ServeInfoMsg> relayed = peerman_->ServeAnnouncements();
  std::shared_ptr<compute::SectionServer> server;
  {
    std::lock_guard<std::mutex> lock(mu_);
    server = server_;
  }
  // Outside mu_: Stats waits for a step in progress, and the message thread
  // must not wait behind it for mu_.
  if (server != nullptr) info.serve = server->Stats();
  std::unique_lock<std::mutex> lock(mu_);
  info.serving = server_ != nullptr;
  info.begin = options_.begin;
  info.end = options_.end;
  info.price = options_.price;
  info.state_root = served_root_;
  info.steps_served = steps_served_;
  info.steps_refused = steps_refused_;
  info.onion_forwarded = onion_forwarded_;
  info.onion_key = onion_public_;
  for (const auto& [id, holder] : holders_) info.holders.push_back(holder);
  for (const net::ServeInfoMsg& a : relayed) {
    const bool peer = std::any_of(info.holders.begin(), info.holders.end(), [&](const HolderInfo& h) {
      return h.info.onion_key == a.onion_key;
    });
    if (!peer) info.relayed_holders.push_back(HolderInfo{-1, "relayed", a});
  }
  info.requests = requests_;
  info.tokens_generated = tokens_generated_;
  info.request_costs = request_costs_;
  info.payee = payee_;
  info.spot_checked_steps = spot_checked_steps_;
  info.wrong_outputs = wrong_outputs_;
  info.caught_holders.assign(caught_.begin(), caught_.end());
  info.holders_slashed = holders_slashed_;
  if (bond_) info.bonded_by = bond_->worker;
  lock.unlock();
  // Earnings and spending, from the wallets' channels (outside mu_).
  if (serve_wallet_ != nullptr) {
    for (const wallet::ChannelInfo& c : serve_wallet_->ListChannels()) {
      if (c.record.role != wallet::ChannelRole::kHolder) continue;
      ++info.holder_channels;
      info.earned += c.record.best.paid;
      if (c.state == wallet::ChannelState::kClosing || c.state == wallet::ChannelState::kClosed)
        info.settled += c.record.best.paid;
    }
  }
  if (const std::shared_ptr<wallet::Wallet> w = DefaultWallet(*node_)) {
    for (const wallet::ChannelInfo& c : w->ListChannels()) {
      if (c.record.role != wallet::ChannelRole::kClient) continue;
      ++info.client_channels;
      info.spent += c.record.best.paid;
    }
  }
  return info;
}

}  // namespace cc
