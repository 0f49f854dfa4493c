// A deliberately plain HTTP/1.1 client over POSIX sockets for the server
// tests: it sends exactly the bytes a test writes (malformed, oversized or
// pipelined requests included) and parses just enough of the reply.

#ifndef COMPUTECOIN_TESTS_RPC_RAW_HTTP_H
#define COMPUTECOIN_TESTS_RPC_RAW_HTTP_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>

#include "rpc/auth.h"

namespace cc::rpc::test {

struct RawReply {
  int status = 0;                              //!< 0 if the connection closed before a full reply
  std::map<std::string, std::string> headers;  //!< names lower-cased
  std::string body;
};

class RawConnection {
 public:
  /// Connects to 127.0.0.1:port; reads time out after 10 s so a broken
  /// server fails the test instead of hanging it.
  explicit RawConnection(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }

  /// Makes reads give up after `ms` milliseconds (a Read() then returns
  /// status 0).
  void SetReadTimeout(int ms) {
    timeval timeout{ms / 1000, (ms % 1000) * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }

  bool Send(const std::string& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  /// Reads one reply (headers, then Content-Length bytes of body).
  RawReply Read() {
    RawReply reply = ReadHead();
    if (reply.status == 0) return reply;
    const size_t length =
        reply.headers.count("content-length") ? std::stoul(reply.headers["content-length"]) : 0;
    while (buffer_.size() < length) {
      if (!Fill()) return RawReply{};
    }
    reply.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return reply;
  }

  /// Reads a chunked reply to its last chunk: the body is the chunks' data
  /// joined (status 0 if the connection closed first).
  RawReply ReadChunked() {
    RawReply reply = ReadHead();
    if (reply.status == 0 || reply.headers["transfer-encoding"] != "chunked") return reply;
    for (;;) {
      size_t line_end;
      while ((line_end = buffer_.find("\r\n")) == std::string::npos) {
        if (!Fill()) return RawReply{};
      }
      const size_t size = std::stoul(buffer_.substr(0, line_end), nullptr, 16);
      while (buffer_.size() < line_end + 2 + size + 2) {
        if (!Fill()) return RawReply{};
      }
      reply.body += buffer_.substr(line_end + 2, size);
      buffer_.erase(0, line_end + 2 + size + 2);
      if (size == 0) return reply;
    }
  }

  /// True if the server closed the connection: end-of-file, or a reset,
  /// which is what a close sends while bytes we sent are still unread there
  /// (a client still trickling when its deadline closes it).
  bool ReadsEof() {
    char c;
    const ssize_t n = ::recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  // The status line and headers of a reply (status 0 if the connection closed first).
  RawReply ReadHead() {
    RawReply reply;
    size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return reply;
    }
    const std::string head = buffer_.substr(0, header_end);
    buffer_.erase(0, header_end + 4);
    size_t line_end = head.find("\r\n");
    const std::string status_line = head.substr(0, line_end);
    const size_t space = status_line.find(' ');
    if (space == std::string::npos) return reply;
    while (line_end != std::string::npos) {
      const size_t next = head.find("\r\n", line_end + 2);
      const std::string line = head.substr(
          line_end + 2, next == std::string::npos ? std::string::npos : next - line_end - 2);
      const size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        reply.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
      }
      line_end = next;
    }
    reply.status = std::atoi(status_line.c_str() + space + 1);
    return reply;
  }

  bool Fill() {
    char chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

/// A POST of `body` to "/" with Basic credentials (none if user is empty).
inline std::string PostRequest(const std::string& body, const std::string& user,
                               const std::string& password, bool keep_alive = true) {
  std::string request = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";
  if (!user.empty()) request += "Authorization: " + BasicAuthHeader(user, password) + "\r\n";
  if (!keep_alive) request += "Connection: close\r\n";
  request += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return request;
}

}  // namespace cc::rpc::test

#endif  // COMPUTECOIN_TESTS_RPC_RAW_HTTP_H
