// The method table: registration rules, help generation, named arguments and
// the dispatcher's HTTP status rules (without sockets).

#include "rpc/table.h"

#include <gtest/gtest.h>

#include "rpc/dispatcher.h"
#include "rpc/method.h"

namespace cc::rpc {
namespace {

constexpr DispatchLimits kLimits{/*max_batch_size=*/1000, /*max_reply_bytes=*/1 << 20};

RpcMethod EchoMethod(std::vector<RpcArg> args) {
  return RpcMethod{
      "echo",
      "Returns its params.",
      std::move(args),
      {{RpcType::kArray, "", "the params"}},
      ExampleCli("echo", "1"),
      [](const RpcMethod&, const RpcRequest& request) -> json { return request.params; }};
}

class RpcTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(
        table_
            .Add("util",
                 EchoMethod({{"first", RpcType::kString, RpcArg::kRequired, "", "a string"},
                             {"second", RpcType::kNumber, RpcArg::kOptional, "1", "a number"},
                             {"third", RpcType::kBool, RpcArg::kOptional, "false", "a flag"}}))
            .ok());
    table_.SetWarmupFinished();
  }

  json Run(const json& params) { return table_.Execute("echo", params, "tester"); }

  RpcTable table_;
};

TEST_F(RpcTableTest, StartsInWarmupWithHelpOnly) {
  RpcTable fresh;
  std::string status;
  EXPECT_TRUE(fresh.InWarmup(&status));
  EXPECT_EQ(fresh.MethodNames(), std::vector<std::string>{"help"});
  try {
    fresh.Execute("help", json::array(), "");
    FAIL() << "expected a warm-up error";
  } catch (const RpcError& e) {
    EXPECT_EQ(e.code(), kRpcInWarmup);
  }
}

TEST_F(RpcTableTest, RefusesBadRegistrations) {
  EXPECT_TRUE(table_.Add("util", EchoMethod({})).IsInvalidArgument());  // name taken
  RpcTable other;
  EXPECT_TRUE(other
                  .Add("util", EchoMethod({{"a", RpcType::kString, RpcArg::kRequired, "", ""},
                                           {"a", RpcType::kString, RpcArg::kRequired, "", ""}}))
                  .IsInvalidArgument());
  EXPECT_TRUE(other
                  .Add("util", EchoMethod({{"a", RpcType::kString, RpcArg::kOptional, "", ""},
                                           {"b", RpcType::kString, RpcArg::kRequired, "", ""}}))
                  .IsInvalidArgument());
  EXPECT_EQ(other.Find("echo"), nullptr);
}

TEST_F(RpcTableTest, SignatureAndHelp) {
  const RpcMethod* echo = table_.Find("echo");
  ASSERT_NE(echo, nullptr);
  EXPECT_EQ(echo->Signature(), "echo \"first\" ( second third )");
  const std::string help = echo->Help();
  EXPECT_NE(help.find("1. first     (string, required) a string"), std::string::npos) << help;
  EXPECT_NE(help.find("2. second    (numeric, optional, default=1) a number"), std::string::npos)
      << help;
  EXPECT_NE(help.find("Result:\n[    (json array) the params\n  ...\n]\n"), std::string::npos)
      << help;
  EXPECT_NE(help.find("> computecoin-cli echo 1\n"), std::string::npos) << help;

  EXPECT_EQ(table_.HelpOverview(),
            "== Control ==\nhelp ( \"command\" )\n\n== Util ==\necho \"first\" ( second third )");
  EXPECT_EQ(table_.Execute("help", json::array({"echo"}), ""), help);
  EXPECT_EQ(table_.Execute("help", json::array({"nosuch"}), ""), "help: unknown command: nosuch");
  EXPECT_EQ(table_.CategoryOf("echo"), "util");
}

TEST_F(RpcTableTest, NamedArgumentsBecomePositional) {
  EXPECT_EQ(Run(json{{"first", "x"}}), json::array({"x"}));
  EXPECT_EQ(Run(json{{"third", true}, {"first", "x"}}), json::array({"x", nullptr, true}));
  try {
    Run(json{{"first", "x"}, {"fourth", 1}});
    FAIL() << "expected an unknown-name error";
  } catch (const RpcError& e) {
    EXPECT_EQ(e.code(), kRpcInvalidParameter);
    EXPECT_STREQ(e.what(), "Unknown named parameter fourth");
  }
}

TEST_F(RpcTableTest, ArgumentCountAndTypes) {
  EXPECT_EQ(Run(json::array({"x", nullptr, false})),
            json::array({"x", nullptr, false}));  // null: omitted
  auto code_of = [&](const json& params) {
    try {
      Run(params);
    } catch (const RpcError& e) {
      return e.code();
    }
    return 0;
  };
  EXPECT_EQ(code_of(json::array()), kRpcMiscError);                   // required missing
  EXPECT_EQ(code_of(json::array({"x", 1, true, 4})), kRpcMiscError);  // too many
  EXPECT_EQ(code_of(json::array({1})), kRpcTypeError);                // number for a string
  EXPECT_EQ(code_of(json::array({"x", "1"})), kRpcTypeError);         // string for a number
  EXPECT_EQ(code_of(json::array({nullptr})), kRpcTypeError);          // null for a required arg
}

TEST_F(RpcTableTest, UnknownMethod) {
  try {
    table_.Execute("nosuch", json::array(), "");
    FAIL();
  } catch (const RpcError& e) {
    EXPECT_EQ(e.code(), kRpcMethodNotFound);
  }
}

TEST_F(RpcTableTest, HandlerExceptionsBecomeMiscErrors) {
  ASSERT_TRUE(table_
                  .Add("util", RpcMethod{"boom",
                                         "Throws.",
                                         {},
                                         {},
                                         "",
                                         [](const RpcMethod&, const RpcRequest&) -> json {
                                           throw std::runtime_error("kaboom");
                                         }})
                  .ok());
  const HttpReply reply = DispatchJsonRpc(table_, R"({"method":"boom","id":1})", "", kLimits);
  EXPECT_EQ(reply.status, 500u);
  const json body = json::parse(reply.body);
  EXPECT_EQ(body["error"], (json{{"code", -1}, {"message", "kaboom"}}));
}

TEST_F(RpcTableTest, DispatcherStatusRules) {
  EXPECT_EQ(
      DispatchJsonRpc(table_, R"({"method":"echo","params":["a"],"id":1})", "", kLimits).status,
      200u);
  EXPECT_EQ(DispatchJsonRpc(table_, R"({"method":"echo","params":[],"id":1})", "", kLimits).status,
            500u);
  EXPECT_EQ(DispatchJsonRpc(table_, R"({"jsonrpc":"2.0","method":"echo","params":[],"id":1})", "",
                            kLimits)
                .status,
            200u);
  EXPECT_EQ(
      DispatchJsonRpc(table_, R"({"jsonrpc":"3.0","method":"echo","id":1})", "", kLimits).status,
      400u);
  EXPECT_EQ(DispatchJsonRpc(table_, R"({"params":[],"id":1})", "", kLimits).status, 400u);
  EXPECT_EQ(DispatchJsonRpc(table_, R"({"method":"echo","params":5,"id":1})", "", kLimits).status,
            400u);
  EXPECT_EQ(DispatchJsonRpc(table_, "17", "", kLimits).status, 500u);
  EXPECT_EQ(
      DispatchJsonRpc(table_, R"([{"jsonrpc":"2.0","method":"echo","params":["a"]}])", "", kLimits)
          .status,
      204u);
  const HttpReply ok =
      DispatchJsonRpc(table_, R"({"method":"echo","params":["a"],"id":1})", "", kLimits);
  EXPECT_EQ(ok.body.back(), '\n');
}

}  // namespace
}  // namespace cc::rpc
