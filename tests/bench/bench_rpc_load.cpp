// bench_rpc_load: how the node's JSON-RPC server holds up under concurrent
// keep-alive clients (issue 9 §8). Each of --clients threads opens one
// HTTP/1.1 connection and sends the same request back to back for
// --seconds, as a client library with a connection pool does; every reply is
// counted by status and, with --expect, checked against the expected result.
// Prints one JSON line: requests, requests/s, 503s, other failures, wrong
// answers, and latency percentiles. Exits 1 if any request failed or was
// answered wrongly, so a test can assert "all correct, none refused".
//
// Usage: bench_rpc_load --port=P --cookie=FILE | --user=U --password=W
//          --method=M [--params=JSON] [--path=/wallet/w] [--expect=JSON]
//          [--clients=N] [--seconds=S]
// tests/functional/bench_rpc.py runs it against a real node.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "rpc/auth.h"
#include "rpc/protocol.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using cc::rpc::json;
using Clock = std::chrono::steady_clock;

struct Options {
  uint16_t port = 0;
  std::string user, password, cookie;
  std::string method, params = "[]", path = "/", expect;
  int clients = 1;
  double seconds = 5;
};

struct Tally {
  uint64_t ok = 0, unavailable = 0, failed = 0, wrong = 0;
  std::vector<double> latency_ms;
};

bool ParseOptions(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos) return false;
    const std::string key = arg.substr(2, eq - 2), value = arg.substr(eq + 1);
    if (key == "port") o->port = static_cast<uint16_t>(std::stoul(value));
    else if (key == "user") o->user = value;
    else if (key == "password") o->password = value;
    else if (key == "cookie") o->cookie = value;
    else if (key == "method") o->method = value;
    else if (key == "params") o->params = value;
    else if (key == "path") o->path = value;
    else if (key == "expect") o->expect = value;
    else if (key == "clients") o->clients = std::stoi(value);
    else if (key == "seconds") o->seconds = std::stod(value);
    else return false;
  }
  if (!o->cookie.empty()) {
    std::ifstream in(o->cookie);
    std::string line;
    if (!std::getline(in, line) || line.find(':') == std::string::npos) return false;
    o->user = line.substr(0, line.find(':'));
    o->password = line.substr(line.find(':') + 1);
  }
  return o->port != 0 && !o->method.empty() && o->clients >= 1 && o->seconds > 0;
}

// One client: one keep-alive connection (reopened only if the server closes
// it), requests back to back until the deadline.
void RunClient(const Options& o, const std::string& body, const json* expected,
               Clock::time_point deadline, Tally* tally) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  const asio::ip::tcp::endpoint server(asio::ip::make_address("127.0.0.1"), o.port);
  beast::flat_buffer buffer;
  const std::string authorization = cc::rpc::BasicAuthHeader(o.user, o.password);
  // The last body found right: a reply with the same bytes is the same
  // answer, so only replies that differ are parsed. Parsing every 40 KB
  // block took the clients more CPU than the server on the same cores.
  std::string last_right;
  while (Clock::now() < deadline) {
    beast::error_code ec;
    if (!socket.is_open()) {
      socket.connect(server, ec);
      if (ec) {
        socket.close();
        ++tally->failed;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      buffer.clear();
    }
    http::request<http::string_body> request(http::verb::post, o.path, 11);
    request.set(http::field::host, "127.0.0.1");
    request.set(http::field::authorization, authorization);
    request.set(http::field::content_type, "application/json");
    request.keep_alive(true);
    request.body() = body;
    request.prepare_payload();
    const Clock::time_point start = Clock::now();
    http::write(socket, request, ec);
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    if (!ec) http::read(socket, buffer, parser, ec);
    if (ec) {
      ++tally->failed;
      socket.close();
      continue;
    }
    const auto& response = parser.get();
    tally->latency_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    if (response.result() == http::status::service_unavailable) {
      ++tally->unavailable;
    } else if (response.result() != http::status::ok) {
      ++tally->failed;
    } else if (!last_right.empty() && response.body() == last_right) {
      ++tally->ok;
    } else {
      json reply;
      const bool parsed = cc::rpc::ParseJsonBody(response.body(), &reply).ok() &&
                          reply.is_object() && reply.contains("result") &&
                          reply["error"].is_null();
      if (!parsed || (expected != nullptr && reply["result"] != *expected)) {
        ++tally->wrong;
      } else {
        ++tally->ok;
        last_right = response.body();
      }
    }
    if (!response.keep_alive()) socket.close();
  }
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseOptions(argc, argv, &o)) {
    std::fprintf(stderr,
                 "usage: %s --port=P (--cookie=FILE | --user=U --password=W) --method=M "
                 "[--params=JSON] [--path=/wallet/w] [--expect=JSON] [--clients=N] "
                 "[--seconds=S]\n",
                 argv[0]);
    return 2;
  }
  json params, expected;
  if (!cc::rpc::ParseJsonBody(o.params, &params).ok() ||
      (!o.expect.empty() && !cc::rpc::ParseJsonBody(o.expect, &expected).ok())) {
    std::fprintf(stderr, "--params and --expect must be JSON\n");
    return 2;
  }
  const std::string body =
      json{{"jsonrpc", "1.0"}, {"id", 1}, {"method", o.method}, {"params", params}}.dump();
  std::vector<Tally> tallies(static_cast<size_t>(o.clients));
  std::vector<std::thread> threads;
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  for (Tally& tally : tallies) {
    threads.emplace_back(RunClient, std::cref(o), std::cref(body),
                         o.expect.empty() ? nullptr : &expected, deadline, &tally);
  }
  for (std::thread& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  Tally all;
  for (Tally& t : tallies) {
    all.ok += t.ok;
    all.unavailable += t.unavailable;
    all.failed += t.failed;
    all.wrong += t.wrong;
    all.latency_ms.insert(all.latency_ms.end(), t.latency_ms.begin(), t.latency_ms.end());
  }
  const uint64_t requests = all.ok + all.unavailable + all.failed + all.wrong;
  const json report = {{"method", o.method},
                       {"clients", o.clients},
                       {"seconds", elapsed},
                       {"requests", requests},
                       {"per_second", static_cast<double>(requests) / elapsed},
                       {"ok", all.ok},
                       {"unavailable_503", all.unavailable},
                       {"failed", all.failed},
                       {"wrong", all.wrong},
                       {"p50_ms", Percentile(all.latency_ms, 0.50)},
                       {"p99_ms", Percentile(all.latency_ms, 0.99)},
                       {"max_ms", Percentile(all.latency_ms, 1.0)}};
  std::cout << report.dump() << std::endl;
  return all.unavailable + all.failed + all.wrong == 0 && all.ok > 0 ? 0 : 1;
}
