#include "node/api.h"

#include <algorithm>
#include <random>
#include <string_view>

#include "chain/logging.h"
#include "compute/streamed_text.h"
#include "node/common/args.h"
#include "node/common/config.h"
#include "node/context.h"
#include "node/inference.h"

namespace cc {
namespace {

constexpr const char* kApiOptions = "Inference API options";
// The HTTP layer checks requests against its own bounds; the router must
// take whatever passes them.
static_assert(rpc::kMaxPromptBytes <= kMaxPromptBytes);
static_assert(rpc::kMaxCompletionTokens <= kMaxInferTokens);

// Completions from the node's inference router.
class RouterBackend final : public rpc::CompletionBackend {
 public:
  RouterBackend(InferenceService& router, std::string model)
      : router_(router), model_(std::move(model)) {}

  std::string ModelName() const override { return model_; }

  Status Quote(const rpc::CompletionRequest& request, Amount* max_cost) override {
    return router_.Quote(request.prompt.size(), request.max_tokens, max_cost);
  }

  Status Complete(const rpc::CompletionRequest& request,
                  const std::function<bool(std::string_view)>& on_text,
                  rpc::CompletionResult* out) override {
    InferOptions options;
    options.decode.max_tokens = request.max_tokens;
    options.decode.temperature = request.temperature;
    options.decode.top_p = request.top_p;
    options.decode.seed = request.seed ? *request.seed : std::random_device{}();
    options.decode.stop = request.stop;
    Status s = Quote(request, &options.max_fee);
    if (!s.ok()) return s;
    // Text is passed on only once no stop string can still begin in it, so
    // a streamed reply never shows the start of a stop string that ends it.
    compute::StreamedText streamed(request.stop);
    InferResult result;
    // A client that left stops the route at the next token (on_text false);
    // what was computed is charged as served.
    s = router_.Infer(
        request.prompt, options,
        [&](uint8_t token) {
          const std::string piece = streamed.Push(token);
          return piece.empty() || on_text(piece);
        },
        &result);
    out->text = result.decode.text;
    out->prompt_tokens = static_cast<uint32_t>(request.prompt.size());
    out->completion_tokens = static_cast<uint32_t>(result.decode.tokens.size());
    out->stopped = result.decode.stopped;
    out->cost = result.cost;
    // The rest: text held back as a stop string's possible start that was not one.
    if (const std::string rest = streamed.Rest(out->text); s.ok() && !rest.empty()) on_text(rest);
    return s;
  }

 private:
  InferenceService& router_;
  const std::string model_;
};

}  // namespace

void AddApiArgs(Config* c) {
  c->AddArg("-apiport=<port>",
            "Serve the inference API (POST /v1/completions, GET /v1/models; doc/inference.md) "
            "on <port>, for clients with a key from createapikey (default: off)",
            Config::kInt, Config::kNetworkOnly, kApiOptions);
  c->AddArg("-apibind=<addr>",
            "Bind the inference API to this address; may be given more than once (default: "
            "127.0.0.1). Without -apiallowip only loopback clients are accepted",
            Config::kString, Config::kMulti | Config::kNetworkOnly, kApiOptions);
  c->AddArg("-apiallowip=<ip>",
            "Allow inference API connections from this IP or subnet; may be given more than once",
            Config::kString, Config::kMulti, kApiOptions);
}

Status StartApi(const Config& config, NodeContext* node) {
  Status s = rpc::ApiKeys::Open(node->datadir / "apikeys.json", &node->api_keys);
  if (!s.ok() || !config.IsSet("apiport")) return s;
  if (!node->inference) return Status::InvalidArgument("-apiport needs the P2P network");
  const int64_t port = config.GetIntArg("apiport", 0);
  if (port <= 0 || port > 65535)
    return Status::InvalidArgument("Invalid -apiport=" + std::to_string(port));
  rpc::HttpServerOptions options;
  options.name = "API";
  options.port = static_cast<uint16_t>(port);
  options.allow_ip = config.GetArgs("apiallowip");
  const std::vector<std::string> binds = config.GetArgs("apibind");
  if (!binds.empty()) options.bind = binds;
  options.max_body_bytes = 64 << 10;  // a prompt and a few options
  options.log = [](const std::string& line) { LogPrintf(line); };
  auto api = std::make_unique<ApiServer>();
  api->backend = std::make_unique<RouterBackend>(*node->inference,
                                                 "computecoin-" + node->params->model.name);
  api->service = std::make_unique<rpc::CompletionsService>(*node->api_keys, *api->backend);
  api->server = std::make_unique<rpc::HttpServer>(*api->service, std::move(options));
  s = api->server->Start();
  if (!s.ok()) return s;
  LogPrintf("Inference API listening on port " + std::to_string(api->server->ports().front()));
  node->api = std::move(api);
  return Status::OK();
}

void StopApi(NodeContext* node) {
  if (node->api) node->api->server->Stop();
  node->api.reset();
}

}  // namespace cc
