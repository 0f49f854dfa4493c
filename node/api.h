// The inference API in the daemon (doc/inference.md, "HTTP API"): API keys
// that exist whether or not the API listens (createapikey works before
// -apiport is set), and with -apiport the HTTP listener of rpc/completions.h
// answering from the node's inference router (node/inference.h), so an API
// client gets exactly what `computecoin-cli infer` gets.
//
// Thread safety: Start/Stop from the init thread; the backend is called by
// the API server's handler threads.

#ifndef COMPUTECOIN_NODE_API_H
#define COMPUTECOIN_NODE_API_H

#include <memory>

#include "chain/status.h"
#include "rpc/api_keys.h"
#include "rpc/completions.h"
#include "rpc/http_server.h"

namespace cc {

class Config;        // node/common/config.h
struct NodeContext;  // node/context.h

/// The running listener and what it answers from (NodeContext::api).
struct ApiServer {
  std::unique_ptr<rpc::CompletionBackend> backend;
  std::unique_ptr<rpc::CompletionsService> service;
  std::unique_ptr<rpc::HttpServer> server;
};

/// Registers -apiport, -apibind, -apiallowip.
void AddApiArgs(Config* config);

/// Opens <network dir>/apikeys.json into node->api_keys and, with -apiport,
/// starts the API listener on it (after the inference router exists).
/// Returns InvalidArgument for a bad option, the key file's errors, and
/// "Unable to bind API on …".
Status StartApi(const Config& config, NodeContext* node);
/// Stops the listener (requests in flight finish first). Idempotent.
void StopApi(NodeContext* node);

}  // namespace cc

#endif  // COMPUTECOIN_NODE_API_H
