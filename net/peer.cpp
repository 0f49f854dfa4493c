#include "net/peer.h"

namespace cc::net {

int64_t UnixTimeSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Peer::Peer(PeerId id, Service addr, bool inbound, bool manual, uint64_t local_nonce)
    : id_(id),
      addr_(addr),
      inbound_(inbound),
      manual_(manual),
      local_nonce_(local_nonce),
      connected_time_(UnixTimeSeconds()) {}

void Peer::SetVersionInfo(int32_t version, uint64_t services, std::string user_agent,
                          uint32_t starting_height) {
  std::lock_guard lock(mu_);
  version_ = version;
  services_ = services;
  user_agent_ = std::move(user_agent);
  starting_height_ = starting_height;
}

void Peer::AddPingSample(std::chrono::microseconds rtt) {
  const int64_t us = rtt.count();
  last_ping_us_ = us;
  int64_t prev = min_ping_us_.load();
  while ((prev < 0 || us < prev) && !min_ping_us_.compare_exchange_weak(prev, us)) {
  }
}

void Peer::MarkBlockReceived() { last_block_time_ = UnixTimeSeconds(); }
void Peer::MarkTxReceived() { last_tx_time_ = UnixTimeSeconds(); }

std::string Peer::disconnect_reason() const {
  std::lock_guard lock(mu_);
  return disconnect_reason_;
}

PeerStats Peer::GetStats() const {
  PeerStats s;
  s.id = id_;
  s.addr = addr_;
  s.inbound = inbound_;
  s.manual = manual_;
  s.connected_time = connected_time_;
  s.last_send = last_send_;
  s.last_recv = last_recv_;
  s.bytes_sent = bytes_sent_;
  s.bytes_recv = bytes_recv_;
  s.msgs_sent = msgs_sent_;
  s.msgs_recv = msgs_recv_;
  s.send_queue_bytes = send_queue_bytes_;
  s.handshake_complete = handshake_complete_;
  s.last_ping_us = last_ping_us_;
  s.min_ping_us = min_ping_us_;
  std::lock_guard lock(mu_);
  s.services = services_;
  s.version = version_;
  s.user_agent = user_agent_;
  s.starting_height = starting_height_;
  return s;
}

}  // namespace cc::net
