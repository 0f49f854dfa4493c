// TokenBucket: the per-peer rate limit of unsolicited messages (Bitcoin Core's
// addr token bucket, m_addr_token_bucket, generalised).
//
// A bucket holds up to `capacity` tokens and gains `rate` tokens a second;
// each item a peer sends takes one, and an item finding the bucket empty is
// ignored. So a peer may send a burst of `capacity` items, then `rate` a
// second for ever, and a flooding peer costs us no more than that however
// fast it sends. Time is passed in, so tests step it.
//
// Thread safety: a value; the owner serialises access.

#ifndef COMPUTECOIN_NET_RATE_LIMIT_H
#define COMPUTECOIN_NET_RATE_LIMIT_H

#include <algorithm>
#include <chrono>

namespace cc::net {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  /** REQUIRES: rate >= 0, capacity >= initial >= 0. */
  TokenBucket(double rate, double capacity, double initial, Clock::time_point now)
      : rate_(rate), capacity_(capacity), tokens_(initial), last_(now) {}

  /** Takes one token if there is one at `now` (after refilling).
   *  Returns: true if the item may be processed; false if it is to be ignored. */
  bool Consume(Clock::time_point now) {
    Refill(now);
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

  /** Adds `n` tokens at once, up to the capacity (we asked for that many: Bitcoin
   *  Core adds MAX_ADDR_TO_SEND when it sends getaddr). */
  void Add(double n) { tokens_ = std::min(capacity_, tokens_ + n); }

  double tokens() const { return tokens_; }

 private:
  void Refill(Clock::time_point now) {
    if (now <= last_) return;
    const double seconds = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(capacity_, tokens_ + seconds * rate_);
    last_ = now;
  }

  double rate_;
  double capacity_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace cc::net

#endif  // COMPUTECOIN_NET_RATE_LIMIT_H
