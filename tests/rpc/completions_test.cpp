// The inference API's HTTP layer (rpc/completions.h) over a real server on
// 127.0.0.1 and real sockets. The backend here is the interface's simplest
// honest implementation (it completes a prompt with the prompt reversed, a
// byte at a time, at a fixed price), so that every byte a reply carries is
// known; the node's backend (the inference router) is tested end to end in
// tests/functional/interface_http_api.py.

#include "rpc/completions.h"

#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "tests/rpc/raw_http.h"
#include "tests/util/test_util.h"

namespace cc::rpc {
namespace {

constexpr Amount kPricePerToken = 1000;

class ReversingBackend final : public CompletionBackend {
 public:
  std::string ModelName() const override { return "test-model"; }
  Status Quote(const CompletionRequest& request, Amount* max_cost) override {
    *max_cost = kPricePerToken * request.max_tokens;
    return Status::OK();
  }
  Status Complete(const CompletionRequest& request,
                  const std::function<bool(std::string_view)>& on_text,
                  CompletionResult* out) override {
    ++calls;
    out->prompt_tokens = static_cast<uint32_t>(request.prompt.size());
    for (auto it = request.prompt.rbegin(); it != request.prompt.rend(); ++it) {
      if (out->completion_tokens == request.max_tokens) return Status::OK();
      out->text += *it;
      ++out->completion_tokens;
      out->cost += kPricePerToken;
      if (!on_text(std::string_view(&*it, 1))) return Status::OK();
    }
    out->stopped = true;
    return Status::OK();
  }
  std::atomic<int> calls{0};
};

class CompletionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ApiKeys::Open(dir_.Sub("apikeys.json"), &keys_).ok());
    ASSERT_TRUE(keys_->Create("alice", 10 * kPricePerToken, &key_).ok());
    service_ = std::make_unique<CompletionsService>(*keys_, backend_);
    HttpServerOptions options;
    options.name = "API";
    options.auth_failure_delay = std::chrono::milliseconds(1);
    server_ = std::make_unique<HttpServer>(*service_, options);
    ASSERT_TRUE(server_->Start().ok());
    port_ = server_->ports()[0];
  }

  std::string Request(const std::string& method, const std::string& target,
                      const std::string& body, const std::string& authorization) {
    std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (!authorization.empty()) request += "Authorization: " + authorization + "\r\n";
    request += "Content-Type: application/json\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body;
    return request;
  }
  test::RawReply Call(const std::string& method, const std::string& target,
                      const std::string& body, const std::string& authorization) {
    test::RawConnection connection(port_);
    EXPECT_TRUE(connection.Send(Request(method, target, body, authorization)));
    return connection.Read();
  }
  test::RawReply Complete(const std::string& body) {
    return Call("POST", "/v1/completions", body, "Bearer " + key_);
  }
  Amount Spent() { return keys_->List().at(0).spent; }

  cc::test::TempDir dir_;
  std::unique_ptr<ApiKeys> keys_;
  std::string key_;
  ReversingBackend backend_;
  std::unique_ptr<CompletionsService> service_;
  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
};

TEST_F(CompletionsTest, CompletionHasTheUsualShapeAndChargesWhatItServed) {
  const test::RawReply reply = Complete(R"({"model":"test-model","prompt":"abc","max_tokens":5})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.headers.at("content-type"), "application/json");
  const json body = json::parse(reply.body);
  EXPECT_EQ(body["object"], "text_completion");
  EXPECT_EQ(body["model"], "test-model");
  EXPECT_TRUE(body["id"].get<std::string>().starts_with("cmpl-"));
  EXPECT_EQ(body["choices"][0]["text"], "cba");
  EXPECT_EQ(body["choices"][0]["finish_reason"], "stop");
  EXPECT_TRUE(body["choices"][0]["logprobs"].is_null());
  EXPECT_EQ(body["usage"], json({{"prompt_tokens", 3}, {"completion_tokens", 3},
                                 {"total_tokens", 6}}));
  EXPECT_EQ(Spent(), 3 * kPricePerToken);  // charged 3 tokens, though 5 were reserved
  EXPECT_EQ(keys_->List().at(0).reserved, 0);

  const json cut = json::parse(Complete(R"({"prompt":"abcdef","max_tokens":2})").body);
  EXPECT_EQ(cut["choices"][0]["text"], "fe");
  EXPECT_EQ(cut["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(Spent(), 5 * kPricePerToken);
}

TEST_F(CompletionsTest, StreamSendsOneEventPerTokenThenDone) {
  test::RawConnection connection(port_);
  ASSERT_TRUE(connection.Send(Request("POST", "/v1/completions",
                                      R"({"prompt":"xyz","max_tokens":8,"stream":true})",
                                      "Bearer " + key_)));
  const test::RawReply reply = connection.ReadChunked();
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(reply.headers.at("content-type"), "text/event-stream");
  std::string text;
  std::vector<json> events;
  size_t at = 0;
  std::string last;
  while (at < reply.body.size()) {
    const size_t end = reply.body.find("\n\n", at);
    ASSERT_NE(end, std::string::npos) << reply.body;
    const std::string event = reply.body.substr(at, end - at);
    ASSERT_TRUE(event.starts_with("data: ")) << event;
    last = event.substr(6);
    if (last != "[DONE]") events.push_back(json::parse(last));
    at = end + 2;
  }
  EXPECT_EQ(last, "[DONE]");
  ASSERT_EQ(events.size(), 4u);  // three tokens, then the finish
  for (size_t i = 0; i < 3; ++i) {
    text += events[i]["choices"][0]["text"].get<std::string>();
    EXPECT_TRUE(events[i]["choices"][0]["finish_reason"].is_null());
    EXPECT_EQ(events[i]["id"], events[0]["id"]);
  }
  EXPECT_EQ(text, "zyx");
  EXPECT_EQ(events[3]["choices"][0]["finish_reason"], "stop");
  EXPECT_TRUE(connection.ReadsEof());
  EXPECT_EQ(Spent(), 3 * kPricePerToken);
}

TEST_F(CompletionsTest, KeysAreCheckedBeforeAnythingRuns) {
  for (const std::string& authorization :
       {std::string(), "Bearer ccapi-" + std::string(64, '0'), "Bearer " + key_ + "x",
        "Basic " + key_, "bearer " + key_}) {
    const test::RawReply reply =
        Call("POST", "/v1/completions", R"({"prompt":"a"})", authorization);
    EXPECT_EQ(reply.status, 401) << authorization;
    EXPECT_EQ(reply.headers.at("www-authenticate"), "Bearer");
    EXPECT_EQ(json::parse(reply.body)["error"]["code"], "invalid_api_key");
  }
  EXPECT_EQ(backend_.calls, 0);
}

TEST_F(CompletionsTest, OnlyTheTwoEndpointsExist) {
  EXPECT_EQ(Call("POST", "/", R"({"method":"getbalance"})", "Bearer " + key_).status, 404);
  EXPECT_EQ(Call("POST", "/wallet/w", "{}", "Bearer " + key_).status, 404);
  EXPECT_EQ(Call("POST", "/v1/chat/completions", "{}", "Bearer " + key_).status, 404);
  EXPECT_EQ(Call("GET", "/v1/completions", "", "Bearer " + key_).status, 405);
  EXPECT_EQ(Call("POST", "/v1/models", "", "Bearer " + key_).status, 405);
  const test::RawReply models = Call("GET", "/v1/models", "", "Bearer " + key_);
  ASSERT_EQ(models.status, 200);
  EXPECT_EQ(json::parse(models.body)["data"][0]["id"], "test-model");
}

TEST_F(CompletionsTest, OverTheCapIsRefusedBeforeAnythingIsComputed) {
  // Cap 10 tokens' worth: 11 may not even be reserved.
  const test::RawReply reply = Complete(R"({"prompt":"abc","max_tokens":11})");
  EXPECT_EQ(reply.status, 429);
  const json error = json::parse(reply.body)["error"];
  EXPECT_EQ(error["code"], "insufficient_quota");
  EXPECT_EQ(error["message"],
            "spending cap of 0.00010000 reached: 0.00000000 spent, 0.00000000 reserved, "
            "0.00011000 asked");
  EXPECT_EQ(backend_.calls, 0);
  ASSERT_EQ(Complete(R"({"prompt":"abcdefgh","max_tokens":8})").status, 200);
  EXPECT_EQ(Complete(R"({"prompt":"abc","max_tokens":3})").status, 429);  // 8 + 3 > 10
  EXPECT_EQ(Complete(R"({"prompt":"ab","max_tokens":2})").status, 200);   // 8 + 2 = 10
  EXPECT_EQ(Spent(), 10 * kPricePerToken);
}

TEST_F(CompletionsTest, MalformedRequestsGetTheReason) {
  const std::pair<const char*, const char*> cases[] = {
      {"[1]", "the body must be a JSON object"},
      {"{}", "prompt must be a string (or an array of one string)"},
      {R"({"prompt":["a","b"]})", "prompt must be a string (or an array of one string)"},
      {R"({"prompt":""})", "prompt must be 1 to 4096 bytes"},
      {R"({"prompt":"a","max_tokens":0})", "max_tokens must be an integer in [1, 1024]"},
      {R"({"prompt":"a","max_tokens":1.5})", "max_tokens must be an integer in [1, 1024]"},
      {R"({"prompt":"a","temperature":2.5})", "temperature must be a number in [0, 2]"},
      {R"({"prompt":"a","top_p":0})", "top_p must be a number in (0, 1]"},
      {R"({"prompt":"a","seed":-1})", "seed must be a non-negative integer"},
      {R"({"prompt":"a","stop":["1","2","3","4","5"]})",
       "stop must be a string or an array of at most 4 strings"},
      {R"({"prompt":"a","stop":[""]})", "each stop string must be 1 to 32 bytes"},
      {R"({"prompt":"a","n":2})", "n must be 1"},
      {R"({"prompt":"a","stream":"yes"})", "stream must be a boolean"},
  };
  for (const auto& [body, message] : cases) {
    const test::RawReply reply = Complete(body);
    EXPECT_EQ(reply.status, 400) << body;
    EXPECT_EQ(json::parse(reply.body)["error"]["message"], message) << body;
  }
  const test::RawReply deep = Complete(std::string(100000, '['));
  EXPECT_EQ(deep.status, 400);
  EXPECT_EQ(backend_.calls, 0);
  EXPECT_EQ(Complete(R"({"prompt":"ok","max_tokens":2,"logprobs":null,"user":"u"})").status, 200);
}

TEST(ApiKeysTest, FileKeepsDigestsAndSpendingAcrossRestarts) {
  cc::test::TempDir dir;
  const std::string path = dir.Sub("apikeys.json");
  std::string key, bob_key;
  {
    std::unique_ptr<ApiKeys> keys;
    ASSERT_TRUE(ApiKeys::Open(path, &keys).ok());
    ASSERT_TRUE(keys->Create("alice", 5000, &key).ok());
    ASSERT_TRUE(keys->Create("bob", 1, &bob_key).ok());
    EXPECT_TRUE(keys->Create("alice", 1, &key).IsInvalidArgument());  // label taken
    EXPECT_TRUE(keys->Create("", 1, &key).IsInvalidArgument());
    EXPECT_TRUE(keys->Create("c", kMaxMoney + 1, &key).IsInvalidArgument());
    ASSERT_TRUE(keys->Reserve("alice", 3000).ok());
    EXPECT_TRUE(keys->Reserve("alice", 2001).IsInvalidArgument());  // 3000 held
    ASSERT_TRUE(keys->Settle("alice", 3000, 1200).ok());
    ASSERT_TRUE(keys->Revoke("bob").ok());
    EXPECT_TRUE(keys->Revoke("bob").IsNotFound());
  }
  std::ifstream in(path);
  const std::string text(std::istreambuf_iterator<char>(in), {});
  EXPECT_EQ(text.find(key.substr(6)), std::string::npos);  // only its digest is stored
  struct stat st{};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  std::unique_ptr<ApiKeys> keys;
  ASSERT_TRUE(ApiKeys::Open(path, &keys).ok());
  std::string label;
  ASSERT_TRUE(keys->Authenticate("Bearer " + key, &label));
  EXPECT_EQ(label, "alice");
  EXPECT_FALSE(keys->Authenticate("Bearer " + bob_key, &label));  // revoked
  ASSERT_EQ(keys->List().size(), 1u);
  EXPECT_EQ(keys->List()[0].spent, 1200);
  EXPECT_TRUE(keys->Reserve("alice", 3801).IsInvalidArgument());
  EXPECT_TRUE(keys->Reserve("alice", 3800).ok());
}

TEST(ApiKeysTest, DamagedFileIsRefusedWithTheReason) {
  cc::test::TempDir dir;
  const std::string path = dir.Sub("apikeys.json");
  const std::pair<const char*, const char*> cases[] = {
      {"not json", "not an API key file"},
      {R"({"keys":[{"label":"a","sha256":"00","cap":1,"spent":0}]})", "malformed sha256"},
      {R"({"keys":[{"label":"a","sha256":"0000000000000000000000000000000000000000000000000000000000000000","cap":-1,"spent":0}]})",
       "malformed cap or spent"},
  };
  for (const auto& [contents, reason] : cases) {
    std::ofstream(path, std::ios::trunc) << contents;
    std::unique_ptr<ApiKeys> keys;
    const Status s = ApiKeys::Open(path, &keys);
    EXPECT_TRUE(s.IsCorruption()) << contents;
    EXPECT_NE(s.ToString().find(reason), std::string::npos) << s.ToString();
  }
}

}  // namespace
}  // namespace cc::rpc
