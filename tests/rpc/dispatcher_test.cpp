// DispatchJsonRpc's limits on what a request may make the node do: nesting
// depth of the parsed body, batch length and reply size. No sockets; the
// server tests (http_server_test.cpp) cover the same limits end to end.

#include "rpc/dispatcher.h"

#include <string>

#include <gtest/gtest.h>

#include "rpc/method.h"
#include "rpc/table.h"

namespace cc::rpc {
namespace {

// Returns its only argument, whatever JSON it is.
RpcMethod EchoMethod() {
  return RpcMethod{"echo",
                   "Returns its argument.",
                   {{"value", RpcType::kAny, RpcArg::kOptional, "", "anything"}},
                   {{RpcType::kAny, "", "the argument"}},
                   "",
                   [](const RpcMethod&, const RpcRequest& request) -> json {
                     return request.Arg(0);
                   }};
}

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(table_.Add("test", EchoMethod()).ok());
    table_.SetWarmupFinished();
  }

  HttpReply Dispatch(const std::string& body) { return DispatchJsonRpc(table_, body, "tester"); }

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
  EXPECT_EQ(Body(reply), (json{{"result", nullptr},
                               {"error",
                                {{"code", -32700},
                                 {"message", "Parse error: JSON nested deeper than 64 levels"}}},
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
  const std::string body = R"({"method":"echo","id":)" + std::string(100'000, '[') +
                           std::string(100'000, ']') + "}";
  EXPECT_EQ(Body(Dispatch(body))["error"]["code"], -32700);
}

TEST_F(DispatcherTest, UnclosedBracketsAreAParseError) {
  const HttpReply reply = Dispatch(std::string(100'000, '['));
  EXPECT_EQ(reply.status, 500u);
  EXPECT_EQ(Body(reply)["error"]["code"], -32700);
}

}  // namespace
}  // namespace cc::rpc
