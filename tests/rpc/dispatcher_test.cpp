// DispatchJsonRpc's limits on what a request may make the node do: nesting
// depth of the parsed body, batch length and reply size. No sockets; the
// server tests (http_server_test.cpp) cover the same limits end to end.

#include "rpc/dispatcher.h"

#include <atomic>
#include <string>

#include <gtest/gtest.h>

#include "rpc/method.h"
#include "rpc/table.h"

namespace cc::rpc {
namespace {

// Returns its only argument, whatever JSON it is.
RpcMethod EchoMethod() {
  return RpcMethod{
      "echo",
      "Returns its argument.",
      {{"value", RpcType::kAny, RpcArg::kOptional, "", "anything"}},
      {{RpcType::kAny, "", "the argument"}},
      "",
      [](const RpcMethod&, const RpcRequest& request) -> json { return request.Arg(0); }};
}

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(table_.Add("test", EchoMethod()).ok());
    ASSERT_TRUE(table_
                    .Add("test", RpcMethod{"count",
                                           "Counts its calls.",
                                           {},
                                           {{RpcType::kNumber, "", "calls so far"}},
                                           "",
                                           [this](const RpcMethod&, const RpcRequest&) -> json {
                                             return ++calls_;
                                           }})
                    .ok());
    table_.SetWarmupFinished();
  }

  HttpReply Dispatch(const std::string& body) {
    return DispatchJsonRpc(table_, body, "tester", limits_);
  }

  // A batch of `n` 2.0 calls of `method` with ids 0..n-1.
  static std::string Batch(size_t n, const std::string& method = "count") {
    json batch = json::array();
    for (size_t i = 0; i < n; ++i) {
      batch.push_back({{"jsonrpc", "2.0"}, {"method", method}, {"id", i}});
    }
    return batch.dump();
  }

  // A 2.0 call of echo whose body is `depth` levels deep in all: the request
  // object, the params array and depth - 2 arrays inside it.
  static std::string NestedCall(size_t depth) {
    const size_t inner = depth - 2;
    return R"({"jsonrpc":"2.0","method":"echo","id":1,"params":[)" + std::string(inner, '[') +
           std::string(inner, ']') + "]}";
  }

  static json Body(const HttpReply& reply) {
    return json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  }

  RpcTable table_;
  DispatchLimits limits_{/*max_batch_size=*/1000, /*max_reply_bytes=*/1 << 20};
  std::atomic<int> calls_{0};
};

// ---------------------------------------------------------------------------
// Nesting depth.

TEST_F(DispatcherTest, NestingAtTheLimitIsServed) {
  const HttpReply reply = Dispatch(NestedCall(kMaxJsonDepth));
  EXPECT_EQ(reply.status, 200u);
  EXPECT_TRUE(Body(reply)["result"].is_array());
}

TEST_F(DispatcherTest, NestingBeyondTheLimitIsAParseError) {
  const HttpReply reply = Dispatch(NestedCall(kMaxJsonDepth + 1));
  EXPECT_EQ(reply.status, 500u);
  EXPECT_EQ(
      Body(reply),
      (json{{"result", nullptr},
            {"error",
             {{"code", -32700}, {"message", "Parse error: JSON nested deeper than 64 levels"}}},
            {"id", nullptr}}));
}

TEST_F(DispatcherTest, HundredKilobytesOfBracketsIsAParseError) {
  // Once crashed the node: copying params this deep overflowed the stack.
  const HttpReply reply = Dispatch(NestedCall(100'000));
  EXPECT_EQ(reply.status, 500u);
  EXPECT_EQ(Body(reply)["error"]["message"], "Parse error: JSON nested deeper than 64 levels");
}

TEST_F(DispatcherTest, DeepIdIsAParseError) {
  // The id is echoed into the reply, so it is held to the same depth.
  const std::string body =
      R"({"method":"echo","id":)" + std::string(100'000, '[') + std::string(100'000, ']') + "}";
  EXPECT_EQ(Body(Dispatch(body))["error"]["code"], -32700);
}

// nlohmann::json kept a repeated name's last value: sendmany with
// {"A": 1, "A": 2} paid A once, 2 coins. A repeated name is now a parse
// error wherever it is; the same name in sibling objects is not repeated.
TEST_F(DispatcherTest, AnObjectThatRepeatsANameIsAParseError) {
  for (const std::string body : {
           R"({"method":"echo","params":[{"A":1,"A":2}],"id":1})",
           R"({"method":"echo","method":"echo","id":1})",
           R"({"method":"echo","params":[[{"x":{"y":1,"y":1}}]],"id":1})",
       }) {
    const HttpReply reply = Dispatch(body);
    EXPECT_EQ(reply.status, 500u) << body;
    EXPECT_EQ(Body(reply)["error"]["code"], -32700) << body;
    EXPECT_NE(Body(reply)["error"]["message"].get<std::string>().find("duplicate key"),
              std::string::npos)
        << body;
  }
  const HttpReply siblings =
      Dispatch(R"({"method":"echo","params":[[{"A":1},{"A":2,"B":{"A":3}}]],"id":1})");
  EXPECT_EQ(siblings.status, 200u);
}

TEST_F(DispatcherTest, UnclosedBracketsAreAParseError) {
  const HttpReply reply = Dispatch(std::string(100'000, '['));
  EXPECT_EQ(reply.status, 500u);
  EXPECT_EQ(Body(reply)["error"]["code"], -32700);
}

// ---------------------------------------------------------------------------
// Batch length.

TEST_F(DispatcherTest, BatchAtTheLimitIsServed) {
  limits_.max_batch_size = 3;
  const HttpReply reply = Dispatch(Batch(3));
  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(Body(reply).size(), 3u);
}

TEST_F(DispatcherTest, BatchOverTheLimitIsRefusedUnrun) {
  limits_.max_batch_size = 3;
  const HttpReply reply = Dispatch(Batch(4));
  EXPECT_EQ(reply.status, 400u);
  EXPECT_EQ(Body(reply),
            (json{{"result", nullptr},
                  {"error",
                   {{"code", -32600},
                    {"message", "Invalid Request: batch of 4 requests exceeds the limit of 3"}}},
                  {"id", nullptr}}));
  EXPECT_EQ(calls_, 0);
}

// ---------------------------------------------------------------------------
// Reply size.

TEST_F(DispatcherTest, ReplyOverTheLimitIsAnError) {
  limits_.max_reply_bytes = 100;
  const HttpReply reply =
      Dispatch(R"({"method":"echo","params":[")" + std::string(200, 'x') + R"("],"id":1})");
  EXPECT_EQ(reply.status, 500u);  // a legacy error other than -32600/-32601
  EXPECT_EQ(Body(reply),
            (json{{"result", nullptr},
                  {"error", {{"code", -7}, {"message", "Reply exceeds the limit of 100 bytes"}}},
                  {"id", 1}}));
}

TEST_F(DispatcherTest, ReplyAtTheLimitIsServed) {
  const std::string request = R"({"method":"echo","params":["xx"],"id":1})";
  const size_t size = Dispatch(request).body.size();
  limits_.max_reply_bytes = size;
  EXPECT_EQ(Dispatch(request).status, 200u);
  limits_.max_reply_bytes = size - 1;
  EXPECT_EQ(Dispatch(request).status, 500u);
}

TEST_F(DispatcherTest, BatchStopsRunningOnceTheReplyIsTooLarge) {
  // Each reply is {"id":i,"jsonrpc":"2.0","result":n}: 34 bytes, plus a comma
  // or bracket. Two fit in 80 bytes; the third ran but its reply does not fit.
  limits_.max_reply_bytes = 80;
  const HttpReply reply = Dispatch(Batch(5));
  EXPECT_EQ(reply.status, 200u);
  const json body = Body(reply);
  ASSERT_EQ(body.size(), 5u);
  EXPECT_EQ(body[0]["result"], 1);
  EXPECT_EQ(body[1]["result"], 2);
  EXPECT_EQ(body[2],
            (json{{"jsonrpc", "2.0"},
                  {"error", {{"code", -7}, {"message", "Reply exceeds the limit of 80 bytes"}}},
                  {"id", 2}}));
  EXPECT_EQ(body[3]["error"],
            (json{{"code", -7},
                  {"message", "Not run: the batch's reply exceeds the limit of 80 bytes"}}));
  EXPECT_EQ(body[4]["id"], 4);
  EXPECT_EQ(calls_, 3);  // the last two were not run
}

}  // namespace
}  // namespace cc::rpc
