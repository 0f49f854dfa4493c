// The JSON-RPC server over real sockets on 127.0.0.1 with an ephemeral port.

#include "rpc/http_server.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "rpc/auth.h"
#include "rpc/client.h"
#include "rpc/method.h"
#include "rpc/table.h"
#include "tests/rpc/raw_http.h"

namespace cc::rpc {
namespace {

using test::PostRequest;
using test::RawConnection;
using test::RawReply;

constexpr const char* kUser = "alice";
constexpr const char* kPassword = "correct horse";

RpcMethod AddMethod() {
  return RpcMethod{"add",
                   "Returns a + b.",
                   {{"a", RpcType::kNumber, RpcArg::kRequired, "", "first"},
                    {"b", RpcType::kNumber, RpcArg::kOptional, "0", "second"}},
                   {{RpcType::kNumber, "", "the sum"}},
                   "",
                   [](const RpcMethod&, const RpcRequest& request) -> json {
                     const int64_t b = request.Arg(1).is_null() ? 0 : request.Arg(1).get<int64_t>();
                     return request.Arg(0).get<int64_t>() + b;
                   }};
}

RpcMethod WhoAmIMethod() {
  return RpcMethod{
      "whoami", "Returns the caller's user name.",
      {},       {{RpcType::kString, "", "the user"}},
      "",       [](const RpcMethod&, const RpcRequest& request) -> json { return request.user; }};
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(table_.Add("test", AddMethod()).ok());
    ASSERT_TRUE(table_.Add("test", WhoAmIMethod()).ok());
    ASSERT_TRUE(table_
                    .Add("test", RpcMethod{"block",
                                           "Waits until the test releases it.",
                                           {},
                                           {{RpcType::kString, "", ""}},
                                           "",
                                           [this](const RpcMethod&, const RpcRequest&) -> json {
                                             released_.wait();
                                             return "released";
                                           }})
                    .ok());
    released_ = release_.get_future().share();
    table_.SetWarmupFinished();
    auth_.AddUserPassword(kUser, kPassword);
    options_.auth_failure_delay = std::chrono::milliseconds(1);
    options_.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(log_mutex_);
      log_.push_back(line);
    };
  }

  void TearDown() override {
    if (!release_called_) release_.set_value();  // let blocked handlers finish
    server_.reset();                             // it logs into log_ until it has stopped
  }

  void Release() {
    release_called_ = true;
    release_.set_value();
  }

  // Sends "block" calls on new connections until one is refused with 503:
  // the handler threads and the work queue are then full until Release().
  // Returns the refused connection, kept alive; its 503 is the first logged.
  std::unique_ptr<RawConnection> FillWorkQueue() {
    for (int i = 0; i < 100; ++i) {
      auto connection = std::make_unique<RawConnection>(port_);
      EXPECT_TRUE(connection->Send(PostRequest(R"({"method":"block","id":1})", kUser, kPassword)));
      connection->SetReadTimeout(/*ms=*/200);  // a call taken in never answers before Release()
      const RawReply reply = connection->Read();
      if (reply.status == 503) {
        connection->SetReadTimeout(/*ms=*/10'000);
        return connection;
      }
      EXPECT_EQ(reply.status, 0);
      blocked_.push_back(std::move(connection));
    }
    ADD_FAILURE() << "the work queue never filled";
    return nullptr;
  }

  // Opens `n` connections that send nothing.
  std::vector<std::unique_ptr<RawConnection>> OpenIdle(size_t n) {
    std::vector<std::unique_ptr<RawConnection>> connections;
    for (size_t i = 0; i < n; ++i) {
      connections.push_back(std::make_unique<RawConnection>(port_));
      EXPECT_TRUE(connections.back()->connected());
    }
    return connections;
  }

  // Posts a call on a fresh connection; expects its answer within a second.
  void ExpectPromptAnswer() {
    const auto start = std::chrono::steady_clock::now();
    const RawReply reply = Post(R"({"method":"add","params":[1,2],"id":1})");
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(ParseBody(reply)["result"], 3);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  }

  // The log lines written so far that contain `text`.
  std::vector<std::string> LogLines(const std::string& text) {
    std::lock_guard<std::mutex> lock(log_mutex_);
    std::vector<std::string> lines;
    std::copy_if(log_.begin(), log_.end(), std::back_inserter(lines),
                 [&text](const std::string& line) { return line.find(text) != std::string::npos; });
    return lines;
  }

  void StartServer() {
    server_ = std::make_unique<HttpRpcServer>(table_, auth_, options_);
    ASSERT_TRUE(server_->Start().ok());
    port_ = server_->ports().at(0);
  }

  // One request on a fresh connection.
  RawReply Post(const std::string& body, const std::string& user = kUser,
                const std::string& password = kPassword) {
    RawConnection connection(port_);
    EXPECT_TRUE(connection.connected());
    EXPECT_TRUE(connection.Send(PostRequest(body, user, password)));
    return connection.Read();
  }

  static json ParseBody(const RawReply& reply) {
    return json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  }

  RpcTable table_;
  RpcAuthenticator auth_;
  HttpServerOptions options_;
  std::unique_ptr<HttpRpcServer> server_;
  uint16_t port_ = 0;

  std::promise<void> release_;
  std::shared_future<void> released_;
  bool release_called_ = false;
  std::vector<std::unique_ptr<RawConnection>> blocked_;  // calls waiting on release_

  std::mutex log_mutex_;
  std::vector<std::string> log_;  // guarded by log_mutex_
};

TEST_F(HttpServerTest, CallWithCorrectCredentials) {
  StartServer();
  const RawReply reply = Post(R"({"method":"add","params":[2,3],"id":7})");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.headers.at("content-type"), "application/json");
  const json body = ParseBody(reply);
  EXPECT_EQ(body["result"], 5);
  EXPECT_EQ(body["id"], 7);
}

TEST_F(HttpServerTest, WrongPasswordIsUnauthorized) {
  StartServer();
  const RawReply reply = Post(R"({"method":"add","params":[2,3],"id":1})", kUser, "wrong");
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(reply.headers.at("www-authenticate"), "Basic realm=\"jsonrpc\"");
  EXPECT_EQ(reply.body, "");
}

TEST_F(HttpServerTest, WrongUserIsUnauthorized) {
  StartServer();
  EXPECT_EQ(Post(R"({"method":"add","params":[2,3]})", "mallory", kPassword).status, 401);
}

TEST_F(HttpServerTest, MissingCredentialsAreUnauthorized) {
  StartServer();
  EXPECT_EQ(Post(R"({"method":"add","params":[2,3]})", "", "").status, 401);
}

TEST_F(HttpServerTest, MalformedAuthorizationIsUnauthorized) {
  StartServer();
  RawConnection connection(port_);
  ASSERT_TRUE(connection.Send(
      "POST / HTTP/1.1\r\nAuthorization: Basic !!!notbase64\r\nContent-Length: 2\r\n\r\n{}"));
  EXPECT_EQ(connection.Read().status, 401);
}

TEST_F(HttpServerTest, CookieAuthentication) {
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "cc_cookie_test";
  std::filesystem::create_directories(dir);
  const std::filesystem::path cookie = dir / ".cookie";
  std::string secret;
  ASSERT_TRUE(GenerateAuthCookie(cookie, &secret).ok());
  EXPECT_EQ(secret.size(), 64u);

  struct stat st {};
  ASSERT_EQ(::stat(cookie.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);  // only the node's user may read it

  std::string user;
  std::string password;
  ASSERT_TRUE(ReadAuthCookie(cookie, &user, &password).ok());
  EXPECT_EQ(user, "__cookie__");
  EXPECT_EQ(password, secret);

  auth_.AddUserPassword(user, password);
  StartServer();
  const RawReply reply = Post(R"({"method":"whoami","id":1})", user, password);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(ParseBody(reply)["result"], "__cookie__");

  DeleteAuthCookie(cookie);
  EXPECT_FALSE(std::filesystem::exists(cookie));
  EXPECT_TRUE(ReadAuthCookie(cookie, &user, &password).IsNotFound());
  std::filesystem::remove_all(dir);
}

TEST_F(HttpServerTest, SaltedRpcAuth) {
  const std::string salt = "cb77f0957de88ff388cf817ddbc7273";
  ASSERT_TRUE(auth_.AddRpcAuth("bob:" + salt + "$" + RpcAuthHmac(salt, "hunter2")).ok());
  StartServer();
  const RawReply ok = Post(R"({"method":"whoami","id":1})", "bob", "hunter2");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ParseBody(ok)["result"], "bob");
  EXPECT_EQ(Post(R"({"method":"whoami","id":1})", "bob", "hunter3").status, 401);
  EXPECT_EQ(Post(R"({"method":"whoami","id":1})", "bobby", "hunter2").status, 401);
}

TEST_F(HttpServerTest, JsonRpc1ReplyShape) {
  StartServer();
  const json body = ParseBody(Post(R"({"jsonrpc":"1.0","method":"add","params":[1],"id":"x"})"));
  EXPECT_EQ(body, (json{{"result", 1}, {"error", nullptr}, {"id", "x"}}));
}

TEST_F(HttpServerTest, JsonRpc2ReplyShape) {
  StartServer();
  const json body = ParseBody(Post(R"({"jsonrpc":"2.0","method":"add","params":[1,1],"id":3})"));
  EXPECT_EQ(body, (json{{"jsonrpc", "2.0"}, {"result", 2}, {"id", 3}}));
}

TEST_F(HttpServerTest, LegacyUnknownMethodIs404) {
  StartServer();
  const RawReply reply = Post(R"({"method":"nosuch","id":1})");
  EXPECT_EQ(reply.status, 404);
  EXPECT_EQ(ParseBody(reply)["error"]["code"], -32601);
  EXPECT_EQ(ParseBody(reply)["error"]["message"], "Method not found");
}

TEST_F(HttpServerTest, Version2ErrorsAreHttp200) {
  StartServer();
  const RawReply reply = Post(R"({"jsonrpc":"2.0","method":"nosuch","id":1})");
  EXPECT_EQ(reply.status, 200);
  const json body = ParseBody(reply);
  EXPECT_EQ(body["error"]["code"], -32601);
  EXPECT_FALSE(body.contains("result"));
}

TEST_F(HttpServerTest, ParseError) {
  StartServer();
  const RawReply reply = Post("{\"method\": \"add\", ");
  EXPECT_EQ(reply.status, 500);
  const json body = ParseBody(reply);
  EXPECT_EQ(body["error"]["code"], -32700);
  EXPECT_TRUE(body["id"].is_null());
}

TEST_F(HttpServerTest, DeeplyNestedBodyIsRefusedAndTheServerLivesOn) {
  StartServer();
  // The id is echoed into the reply: copying and dumping it recursed per level.
  const std::string deep = R"({"method":"add","params":[1],"id":)" + std::string(100'000, '[') +
                           std::string(100'000, ']') + "}";
  const RawReply reply = Post(deep);
  EXPECT_EQ(reply.status, 500);
  EXPECT_EQ(ParseBody(reply)["error"]["message"], "Parse error: JSON nested deeper than 64 levels");
  EXPECT_EQ(ParseBody(Post(R"({"method":"add","params":[1],"id":1})"))["result"], 1);
}

TEST_F(HttpServerTest, InvalidRequestObject) {
  StartServer();
  const RawReply reply = Post(R"({"method": 5, "id": 2})");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(ParseBody(reply)["error"]["code"], -32600);
  EXPECT_EQ(ParseBody(reply)["id"], 2);
}

TEST_F(HttpServerTest, BatchRepliesPerElementAndSkipsNotifications) {
  StartServer();
  const RawReply reply = Post(R"([{"method":"add","params":[1,2],"id":1},
                                 {"method":"nosuch","id":2},
                                 {"jsonrpc":"2.0","method":"add","params":[5]},
                                 7])");
  EXPECT_EQ(reply.status, 200);
  const json body = ParseBody(reply);
  ASSERT_TRUE(body.is_array());
  ASSERT_EQ(body.size(), 3u);
  EXPECT_EQ(body[0]["result"], 3);
  EXPECT_EQ(body[1]["error"]["code"], -32601);
  EXPECT_EQ(body[2]["error"]["code"], -32600);  // 7 is not a request object
}

TEST_F(HttpServerTest, BatchOverTheDefaultLimitIsRefused) {
  StartServer();
  json batch = json::array();
  for (int i = 0; i < 1001; ++i) batch.push_back({{"method", "add"}, {"params", {i}}, {"id", i}});
  const RawReply reply = Post(batch.dump());
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(ParseBody(reply)["error"]["message"],
            "Invalid Request: batch of 1001 requests exceeds the limit of 1000");
  batch.erase(1000);
  EXPECT_EQ(ParseBody(Post(batch.dump())).size(), 1000u);
}

TEST_F(HttpServerTest, ReplyOverTheLimitIsAnError) {
  options_.max_reply_bytes = 1000;
  StartServer();
  json batch = json::array();
  for (int i = 0; i < 100; ++i) batch.push_back({{"method", "add"}, {"params", {i}}, {"id", i}});
  const RawReply reply = Post(batch.dump());
  EXPECT_EQ(reply.status, 200);
  const json body = ParseBody(reply);
  ASSERT_EQ(body.size(), 100u);
  EXPECT_EQ(body[99]["error"]["message"],
            "Not run: the batch's reply exceeds the limit of 1000 bytes");
}

TEST_F(HttpServerTest, EmptyBatchIsInvalid) {
  StartServer();
  const RawReply reply = Post("[]");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(ParseBody(reply)["error"]["code"], -32600);
}

TEST_F(HttpServerTest, NotificationGetsNoContent) {
  StartServer();
  const RawReply reply = Post(R"({"jsonrpc":"2.0","method":"add","params":[1]})");
  EXPECT_EQ(reply.status, 204);
  EXPECT_EQ(reply.body, "");
}

TEST_F(HttpServerTest, NamedParams) {
  StartServer();
  EXPECT_EQ(ParseBody(Post(R"({"method":"add","params":{"b":10,"a":1},"id":1})"))["result"], 11);
  EXPECT_EQ(ParseBody(Post(R"({"method":"add","params":{"a":4},"id":1})"))["result"], 4);
  const json unknown =
      ParseBody(Post(R"({"jsonrpc":"2.0","method":"add","params":{"a":1,"c":2},"id":1})"));
  EXPECT_EQ(unknown["error"]["code"], -8);
  EXPECT_EQ(unknown["error"]["message"], "Unknown named parameter c");
}

TEST_F(HttpServerTest, ArgumentChecks) {
  StartServer();
  const json too_many =
      ParseBody(Post(R"({"jsonrpc":"2.0","method":"add","params":[1,2,3],"id":1})"));
  EXPECT_EQ(too_many["error"]["code"], -1);
  EXPECT_EQ(too_many["error"]["message"].get<std::string>().rfind("add a ( b )", 0),
            0u);  // the help text
  const json wrong_type =
      ParseBody(Post(R"({"jsonrpc":"2.0","method":"add","params":["1"],"id":1})"));
  EXPECT_EQ(wrong_type["error"]["code"], -3);
  EXPECT_EQ(wrong_type["error"]["message"],
            "JSON value of type string for argument a is not of expected type numeric");
}

TEST_F(HttpServerTest, WarmupRefusesCalls) {
  StartServer();
  table_.SetWarmupStatus("Loading block index...");
  const json body = ParseBody(Post(R"({"jsonrpc":"2.0","method":"add","params":[1],"id":1})"));
  EXPECT_EQ(body["error"]["code"], -28);
  EXPECT_EQ(body["error"]["message"], "Loading block index...");
  table_.SetWarmupFinished();
  EXPECT_EQ(ParseBody(Post(R"({"method":"add","params":[1],"id":1})"))["result"], 1);
}

TEST_F(HttpServerTest, OversizedBodyIsRefused) {
  options_.max_body_bytes = 1024;
  StartServer();
  const std::string big = R"({"method":"add","params":[1],"id":")" + std::string(2000, 'x') + "\"}";
  const RawReply reply = Post(big);
  EXPECT_EQ(reply.status, 413);
  EXPECT_EQ(reply.headers.at("connection"), "close");
  // A body just under the limit is served.
  const std::string small =
      R"({"method":"add","params":[1],"id":")" + std::string(900, 'x') + "\"}";
  EXPECT_EQ(Post(small).status, 200);
}

TEST_F(HttpServerTest, OversizedChunkedBodyIsRefused) {
  options_.max_body_bytes = 64;
  StartServer();
  RawConnection connection(port_);
  const std::string chunk(100, ' ');
  ASSERT_TRUE(
      connection.Send("POST / HTTP/1.1\r\nAuthorization: " + BasicAuthHeader(kUser, kPassword) +
                      "\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n" + chunk + "\r\n0\r\n\r\n"));
  EXPECT_EQ(connection.Read().status, 413);
}

// A body in a transfer coding other than chunked was read as empty and
// answered 500 "Parse error"; a broken chunk got no reply at all.
TEST_F(HttpServerTest, TransferCodingsOtherThanChunkedAreRefused) {
  StartServer();
  const std::string head = "POST / HTTP/1.1\r\nAuthorization: " +
                           BasicAuthHeader(kUser, kPassword) + "\r\nTransfer-Encoding: ";
  const std::string body = R"({"method":"add","params":[1],"id":1})";
  {
    RawConnection connection(port_);
    ASSERT_TRUE(connection.Send(head + "gzip\r\n\r\n" + body));
    EXPECT_EQ(connection.Read().status, 400);  // chunked not last: where the body ends is unknown
  }
  {
    RawConnection connection(port_);
    ASSERT_TRUE(connection.Send(head + "gzip, chunked\r\n\r\n0\r\n\r\n"));
    EXPECT_EQ(connection.Read().status, 501);
  }
  {
    RawConnection connection(port_);
    ASSERT_TRUE(connection.Send(head + "chunked\r\n\r\nzz\r\n" + body + "\r\n0\r\n\r\n"));
    EXPECT_EQ(connection.Read().status, 400);
  }
  // A well-formed chunked body is served.
  char size[20];
  std::snprintf(size, sizeof(size), "%zx", body.size());
  RawConnection connection(port_);
  ASSERT_TRUE(connection.Send(head + "chunked\r\n\r\n" + size + "\r\n" + body +
                              "\r\n0\r\n\r\n"));
  EXPECT_EQ(connection.Read().status, 200);
}

TEST_F(HttpServerTest, OnlyPost) {
  StartServer();
  RawConnection connection(port_);
  ASSERT_TRUE(connection.Send(
      "GET / HTTP/1.1\r\nAuthorization: " + BasicAuthHeader(kUser, kPassword) + "\r\n\r\n"));
  EXPECT_EQ(connection.Read().status, 405);
}

TEST_F(HttpServerTest, UnknownTargetIs404) {
  StartServer();
  RawConnection connection(port_);
  ASSERT_TRUE(connection.Send("POST /rest HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"));
  EXPECT_EQ(connection.Read().status, 404);
}

TEST_F(HttpServerTest, MalformedHttpIsBadRequest) {
  StartServer();
  RawConnection connection(port_);
  ASSERT_TRUE(connection.Send("this is not http\r\n\r\n"));
  EXPECT_EQ(connection.Read().status, 400);
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  StartServer();
  RawConnection connection(port_);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(connection.Send(PostRequest(
        R"({"method":"add","params":[)" + std::to_string(i) + "],\"id\":1}", kUser, kPassword)));
    const RawReply reply = connection.Read();
    ASSERT_EQ(reply.status, 200);
    EXPECT_EQ(ParseBody(reply)["result"], i);
  }
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  StartServer();
  RawConnection connection(port_);
  ASSERT_TRUE(
      connection.Send(PostRequest(R"({"method":"add","params":[1],"id":1})", kUser, kPassword,
                                  /*keep_alive=*/false)));
  EXPECT_EQ(connection.Read().status, 200);
  EXPECT_TRUE(connection.ReadsEof());
}

TEST_F(HttpServerTest, ExpectContinue) {
  StartServer();
  RawConnection connection(port_);
  const std::string body = R"({"method":"add","params":[2],"id":1})";
  ASSERT_TRUE(connection.Send(
      "POST / HTTP/1.1\r\nAuthorization: " + BasicAuthHeader(kUser, kPassword) +
      "\r\nExpect: 100-continue\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n"));
  EXPECT_EQ(connection.Read().status, 100);
  ASSERT_TRUE(connection.Send(body));
  const RawReply reply = connection.Read();
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(ParseBody(reply)["result"], 2);
}

// ---------------------------------------------------------------------------
// Connection slots and deadlines.

TEST_F(HttpServerTest, AuthenticatedSlotsFullIs503) {
  options_.max_connections = 1;
  StartServer();
  auto first = std::make_unique<RawConnection>(port_);
  ASSERT_TRUE(
      first->Send(PostRequest(R"({"method":"add","params":[1],"id":1})", kUser, kPassword)));
  ASSERT_EQ(first->Read().status, 200);  // kept alive: holds the one authenticated slot

  RawConnection second(port_);
  ASSERT_TRUE(
      second.Send(PostRequest(R"({"method":"add","params":[1],"id":1})", kUser, kPassword)));
  const RawReply refused = second.Read();
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.body, "Too many connections\n");

  first.reset();  // frees the slot
  for (int i = 0; i < 100; ++i) {
    const RawReply reply = Post(R"({"method":"add","params":[1],"id":1})");
    if (reply.status == 200) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "the freed slot was never reused";
}

TEST_F(HttpServerTest, IdleConnectionsDoNotLockOutAuthenticatedClients) {
  StartServer();  // default limits
  const auto idle = OpenIdle(200);
  for (int i = 0; i < 5; ++i) ExpectPromptAnswer();
}

TEST_F(HttpServerTest, TricklingConnectionsDoNotLockOutAuthenticatedClients) {
  StartServer();
  const auto trickling = OpenIdle(100);
  for (const auto& connection : trickling) {
    ASSERT_TRUE(connection->Send("POST / HTTP/1.1\r\nX-Pad: "));
  }
  std::jthread trickler([&](std::stop_token stop) {
    while (!stop.stop_requested()) {
      for (const auto& connection : trickling) connection->Send("a");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  for (int i = 0; i < 5; ++i) ExpectPromptAnswer();
}

TEST_F(HttpServerTest, OldestUnauthenticatedConnectionIsClosedWhenThePoolIsFull) {
  options_.max_unauthenticated_connections = 4;
  StartServer();
  auto idle = OpenIdle(5);
  EXPECT_TRUE(idle[0]->ReadsEof());
  idle[1]->SetReadTimeout(/*ms=*/200);
  EXPECT_FALSE(idle[1]->ReadsEof());  // still open
}

TEST_F(HttpServerTest, AuthenticatedConnectionIsNotEvicted) {
  options_.max_unauthenticated_connections = 4;
  StartServer();
  RawConnection keep(port_);
  ASSERT_TRUE(keep.Send(PostRequest(R"({"method":"add","params":[1],"id":1})", kUser, kPassword)));
  ASSERT_EQ(keep.Read().status, 200);
  const auto idle = OpenIdle(20);
  EXPECT_TRUE(idle[0]->ReadsEof());  // the pool did overflow
  ASSERT_TRUE(keep.Send(PostRequest(R"({"method":"add","params":[2],"id":1})", kUser, kPassword)));
  EXPECT_EQ(ParseBody(keep.Read())["result"], 2);
}

TEST_F(HttpServerTest, HeaderDeadlineIsNotExtendedByATrickle) {
  options_.header_timeout = std::chrono::milliseconds(300);
  StartServer();
  RawConnection connection(port_);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(connection.Send("POST / HTTP/1.1\r\nX-Pad: "));
  std::jthread trickler([&](std::stop_token stop) {
    while (!stop.stop_requested() && connection.Send("a")) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  EXPECT_TRUE(connection.ReadsEof());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  trickler.request_stop();
  EXPECT_GE(elapsed, std::chrono::milliseconds(250));
  EXPECT_LT(elapsed, std::chrono::seconds(3));
}

TEST_F(HttpServerTest, BodyDeadlineCountsFromTheRequestStart) {
  options_.header_timeout = std::chrono::milliseconds(1000);
  options_.body_timeout = std::chrono::milliseconds(600);
  StartServer();
  RawConnection connection(port_);
  const auto start = std::chrono::steady_clock::now();
  // The header takes 400 ms of the 600, then the body trickles.
  ASSERT_TRUE(
      connection.Send("POST / HTTP/1.1\r\nAuthorization: " + BasicAuthHeader(kUser, kPassword)));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  ASSERT_TRUE(connection.Send("\r\nContent-Length: 1000\r\n\r\n"));
  std::jthread trickler([&](std::stop_token stop) {
    while (!stop.stop_requested() && connection.Send(" ")) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  EXPECT_TRUE(connection.ReadsEof());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  trickler.request_stop();
  EXPECT_GE(elapsed, std::chrono::milliseconds(550));
  EXPECT_LT(elapsed, std::chrono::milliseconds(900));  // not 400 ms + a fresh 600
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosed) {
  options_.idle_timeout = std::chrono::milliseconds(200);
  StartServer();
  RawConnection connection(port_);
  ASSERT_TRUE(
      connection.Send(PostRequest(R"({"method":"add","params":[1],"id":1})", kUser, kPassword)));
  ASSERT_EQ(connection.Read().status, 200);
  EXPECT_TRUE(connection.ReadsEof());
}

TEST_F(HttpServerTest, IdleWaitIsNotTheHeaderDeadline) {
  // A kept-alive client may think for idle_timeout before its next request,
  // longer than a header may take once it has started.
  options_.idle_timeout = std::chrono::milliseconds(2000);
  options_.header_timeout = std::chrono::milliseconds(200);
  StartServer();
  RawConnection connection(port_);
  ASSERT_TRUE(
      connection.Send(PostRequest(R"({"method":"add","params":[1],"id":1})", kUser, kPassword)));
  ASSERT_EQ(connection.Read().status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_TRUE(
      connection.Send(PostRequest(R"({"method":"add","params":[2],"id":1})", kUser, kPassword)));
  EXPECT_EQ(ParseBody(connection.Read())["result"], 2);
}

TEST_F(HttpServerTest, FiftyKeepAliveClientsGetNo503WithDefaults) {
  // Issue 9 §8: 8.7% of getblockcount calls got 503 at 50 keep-alive clients.
  ASSERT_TRUE(table_
                  .Add("test", RpcMethod{"getblockcount",
                                         "Takes a millisecond, as a call that waits on a lock.",
                                         {},
                                         {{RpcType::kNumber, "", ""}},
                                         "",
                                         [](const RpcMethod&, const RpcRequest&) -> json {
                                           std::this_thread::sleep_for(
                                               std::chrono::milliseconds(1));
                                           return 7;
                                         }})
                  .ok());
  StartServer();
  constexpr int kClients = 50;
  constexpr int kCallsEach = 40;
  std::atomic<int> refused{0};
  std::atomic<int> answered{0};
  {
    std::vector<std::jthread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&] {
        RawConnection connection(port_);
        for (int i = 0; i < kCallsEach; ++i) {
          if (!connection.Send(
                  PostRequest(R"({"method":"getblockcount","id":1})", kUser, kPassword))) {
            return;
          }
          const int status = connection.Read().status;
          if (status == 503) ++refused;
          if (status == 200) ++answered;
        }
      });
    }
  }
  EXPECT_EQ(refused, 0);
  EXPECT_EQ(answered, kClients * kCallsEach);
}

TEST_F(HttpServerTest, FloodOf503sLogsOneLine) {
  options_.threads = 1;
  options_.work_queue = 1;
  StartServer();
  std::unique_ptr<RawConnection> flood = FillWorkQueue();  // got the first 503
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(
        flood->Send(PostRequest(R"({"method":"add","params":[1],"id":1})", kUser, kPassword)));
    ASSERT_EQ(flood->Read().status, 503);
  }
  EXPECT_EQ(LogLines("work queue depth exceeded"),
            std::vector<std::string>{"RPC: work queue depth exceeded"});
}

TEST_F(HttpServerTest, SuppressedCountIsLoggedAfterTheInterval) {
  options_.threads = 1;
  options_.work_queue = 1;
  options_.log_interval = std::chrono::milliseconds(1000);  // the flood fits, even under TSan
  StartServer();
  std::unique_ptr<RawConnection> flood = FillWorkQueue();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(
        flood->Send(PostRequest(R"({"method":"add","params":[1],"id":1})", kUser, kPassword)));
    ASSERT_EQ(flood->Read().status, 503);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  ASSERT_TRUE(
      flood->Send(PostRequest(R"({"method":"add","params":[1],"id":1})", kUser, kPassword)));
  ASSERT_EQ(flood->Read().status, 503);
  EXPECT_EQ(LogLines("work queue depth exceeded"),
            (std::vector<std::string>{
                "RPC: work queue depth exceeded",
                "RPC: work queue depth exceeded (50 similar messages suppressed)"}));
}

TEST_F(HttpServerTest, StopLogsTheCountStillPending) {
  options_.threads = 1;
  options_.work_queue = 1;
  StartServer();
  std::unique_ptr<RawConnection> flood = FillWorkQueue();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        flood->Send(PostRequest(R"({"method":"add","params":[1],"id":1})", kUser, kPassword)));
    ASSERT_EQ(flood->Read().status, 503);
  }
  Release();
  server_->Stop();
  EXPECT_EQ(
      LogLines("work queue depth exceeded"),
      (std::vector<std::string>{"RPC: work queue depth exceeded",
                                "RPC: work queue depth exceeded (5 similar messages suppressed)"}));
}

TEST_F(HttpServerTest, IdleConnectionIsClosed) {
  options_.idle_timeout = std::chrono::milliseconds(100);
  StartServer();
  RawConnection connection(port_);
  ASSERT_TRUE(connection.connected());
  EXPECT_TRUE(connection.ReadsEof());  // closed by the server, well before the 10 s read timeout
}

TEST_F(HttpServerTest, StopClosesIdleConnections) {
  StartServer();
  RawConnection connection(port_);
  ASSERT_TRUE(
      connection.Send(PostRequest(R"({"method":"add","params":[1],"id":1})", kUser, kPassword)));
  ASSERT_EQ(connection.Read().status, 200);
  server_->Stop();
  EXPECT_TRUE(connection.ReadsEof());
  RawConnection after(port_);
  EXPECT_FALSE(after.connected());
}

TEST_F(HttpServerTest, StopDeliversTheReplyOfARequestInFlight) {
  // As the `stop` RPC does: the request is being handled when Stop() begins.
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  ASSERT_TRUE(table_
                  .Add("test", RpcMethod{"slow",
                                         "Waits for the test.",
                                         {},
                                         {{RpcType::kString, "", ""}},
                                         "",
                                         [&](const RpcMethod&, const RpcRequest&) -> json {
                                           entered.set_value();
                                           released.wait();
                                           return "done";
                                         }})
                  .ok());
  StartServer();
  RawConnection connection(port_);
  ASSERT_TRUE(connection.Send(PostRequest(R"({"method":"slow","id":1})", kUser, kPassword)));
  entered.get_future().wait();

  std::thread stopper([this] { server_->Stop(); });
  // Stop() has begun once the listening socket is gone.
  for (int i = 0; i < 1000 && RawConnection(port_).connected(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  release.set_value();
  const RawReply reply = connection.Read();
  stopper.join();
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(ParseBody(reply)["result"], "done");
  EXPECT_EQ(reply.headers.at("connection"), "close");
  EXPECT_TRUE(connection.ReadsEof());
}

TEST_F(HttpServerTest, BadOptionsAreRejected) {
  options_.allow_ip = {"not-an-ip"};
  HttpRpcServer bad_allow(table_, auth_, options_);
  EXPECT_TRUE(bad_allow.Start().IsInvalidArgument());

  options_.allow_ip = {"10.0.0.0/8", "fd00::/8", "192.168.1.7"};
  options_.bind = {"127.0.0.1:notaport"};
  HttpRpcServer bad_bind(table_, auth_, options_);
  EXPECT_TRUE(bad_bind.Start().IsInvalidArgument());
}

TEST_F(HttpServerTest, PortInUseIsAnIoError) {
  StartServer();
  options_.port = port_;
  HttpRpcServer second(table_, auth_, options_);
  const Status s = second.Start();
  EXPECT_TRUE(s.IsIOError());
  EXPECT_NE(s.message().find("Unable to bind RPC on 127.0.0.1:" + std::to_string(port_)),
            std::string::npos);
}

// ---------------------------------------------------------------------------
// The cli's client against the real server.

TEST_F(HttpServerTest, ClientCall) {
  StartServer();
  RpcClientOptions options;
  options.port = port_;
  options.user = kUser;
  options.password = kPassword;
  options.timeout = std::chrono::seconds(10);
  RpcClient client(options);
  json reply;
  ASSERT_TRUE(client.Call("add", json::array({20, 22}), &reply).ok());
  EXPECT_EQ(reply["result"], 42);
  EXPECT_TRUE(reply["error"].is_null());

  ASSERT_TRUE(
      client.Call("nosuch", json::array(), &reply).ok());  // a method error is still a reply
  EXPECT_EQ(reply["error"]["code"], -32601);

  ASSERT_TRUE(
      client.Send(json::array({{{"method", "add"}, {"params", {1}}, {"id", 1}}}), &reply).ok());
  ASSERT_TRUE(reply.is_array());
  EXPECT_EQ(reply[0]["result"], 1);
}

TEST_F(HttpServerTest, ClientWrongPassword) {
  StartServer();
  RpcClientOptions options;
  options.port = port_;
  options.user = kUser;
  options.password = "nope";
  options.timeout = std::chrono::seconds(10);
  json reply;
  const Status s = RpcClient(options).Call("add", json::array({1}), &reply);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(s.message(), "Authorization failed: Incorrect rpcuser or rpcpassword");
}

TEST_F(HttpServerTest, ClientCannotConnect) {
  // A port bound but not listening: connecting is refused, and neither
  // another process nor a TCP self-connect can take it meanwhile.
  const int holder = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(holder, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t length = sizeof(addr);
  ASSERT_EQ(::getsockname(holder, reinterpret_cast<sockaddr*>(&addr), &length), 0);
  const uint16_t closed_port = ntohs(addr.sin_port);

  RpcClientOptions options;
  options.port = closed_port;
  options.timeout = std::chrono::seconds(10);
  json reply;
  const Status s = RpcClient(options).Call("add", json::array({1}), &reply);
  EXPECT_TRUE(s.IsIOError());
  EXPECT_EQ(s.message(),
            "Could not connect to the server 127.0.0.1:" + std::to_string(closed_port));
  ::close(holder);
}

}  // namespace
}  // namespace cc::rpc
