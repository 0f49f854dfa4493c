// LightPeer: computecoin-light's one P2P connection to a full node
// (doc/protocol.md): a blocking TCP socket with a deadline per reply, the
// version/verack handshake as a light client (services kNodeLight, relay
// off), then request/response: getheaders → headers, getproof → proof.
// Pings are answered while waiting; every other message is skipped. A
// peer that is silent past the deadline, sends a frame the transport
// refuses, or a payload that does not decode, is an error.
//
// Thread safety: one thread.

#ifndef COMPUTECOIN_NODE_CLIENT_LIGHT_PEER_H
#define COMPUTECOIN_NODE_CLIENT_LIGHT_PEER_H

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "chain/block.h"
#include "chain/status.h"
#include "consensus/chainparams.h"
#include "net/messages.h"

namespace cc {

class LightPeer {
 public:
  /// How long one reply may take before the peer counts as silent.
  static constexpr std::chrono::seconds kReplyTimeout{30};

  /// Connects to "host:port" and completes the handshake. Every reply
  /// (each message awaited, the handshake's included) must arrive whole
  /// within `reply_timeout`. Returns IOError if the peer cannot be reached
  /// or goes silent, Corruption if it breaks the protocol.
  static Status Connect(const ChainParams& params, const std::string& host_port,
                        std::unique_ptr<LightPeer>* out,
                        std::chrono::milliseconds reply_timeout = kReplyTimeout);
  ~LightPeer();
  LightPeer(const LightPeer&) = delete;
  LightPeer& operator=(const LightPeer&) = delete;

  /// The headers after the first `locator` hash on the peer's main chain
  /// (at most 2,000).
  Status GetHeaders(const std::vector<Uint256>& locator, std::vector<BlockHeader>* out);

  /// The peer's proof that object `id` (a txid or a record hash) is in block
  /// `block_hash`. Returns NotFound if the peer answers notfound.
  Status GetProof(net::ProofKind kind, const Uint256& block_hash, const Uint256& id,
                  net::ProofMsg* out);

 private:
  class Impl;
  explicit LightPeer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cc

#endif  // COMPUTECOIN_NODE_CLIENT_LIGHT_PEER_H
