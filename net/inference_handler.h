// InferenceHandler: what PeerManager hands inference messages to
// (doc/inference.md). The node implements it (node/inference.h): as a holder
// it answers steps, as a client it learns holders and collects answers.
// PeerManager decodes and bounds every message first; a payload that does not
// decode never reaches the handler (the sender is marked misbehaving).
//
// Thread safety: every method is called on ConnMan's message thread, one at a
// time; an implementation shares state with its other threads under its own lock.
// PeerManager calls none of them once ConnMan has stopped.

#ifndef COMPUTECOIN_NET_INFERENCE_HANDLER_H
#define COMPUTECOIN_NET_INFERENCE_HANDLER_H

#include "net/messages.h"
#include "net/peer.h"

namespace cc::net {

class InferenceHandler {
 public:
  virtual ~InferenceHandler() = default;

  /** A step for a hop we serve. The handler answers it, now or later from its
   *  own thread, with exactly one PeerManager::SendInferResult carrying the
   *  step's request_id; it must not compute here, on the message thread. */
  virtual void OnInferStep(PeerId from, const InferStepMsg& step) = 0;
  /** A peer's own announcement (serveinfo), its signature checked and its
   *  time fresh, replacing any earlier one from it. Relayed announcements do
   *  not come here: PeerManager::ServeAnnouncements holds them. */
  virtual void OnServeInfo(PeerId from, const ServeInfoMsg& info) = 0;
  /** A holder's answer to a step we sent. */
  virtual void OnInferResult(PeerId from, const InferResultMsg& result) = 0;
  /** An onion-routed step (doc/inference.md "Onion routing"), answered as
   *  OnInferStep's, with exactly one PeerManager::SendOnionReply carrying its
   *  request_id, after the rest of the route answered or failed. */
  virtual void OnOnionStep(PeerId from, const OnionStepMsg& step) = 0;
  /** A next hop's (or, at the client, the first hop's) answer to an onion step. */
  virtual void OnOnionReply(PeerId from, const OnionReplyMsg& reply) = 0;
  /** The peer disconnected: its announcement is void, its answers will not come. */
  virtual void OnPeerGone(PeerId id) = 0;
};

}  // namespace cc::net

#endif  // COMPUTECOIN_NET_INFERENCE_HANDLER_H
