#include "net/netaddress.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace cc::net {
namespace {

constexpr std::array<uint8_t, 12> kIPv4Prefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

std::optional<uint16_t> ParsePort(std::string_view text) {
  uint16_t port = 0;
  if (text.empty()) return std::nullopt;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return port;
}

}  // namespace

Service Service::FromIPv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) {
  Service s;
  std::memcpy(s.ip.data(), kIPv4Prefix.data(), kIPv4Prefix.size());
  s.ip[12] = a;
  s.ip[13] = b;
  s.ip[14] = c;
  s.ip[15] = d;
  s.port = port;
  return s;
}

std::optional<Service> Service::ParseIp(std::string_view text, uint16_t port) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  if (text.empty() || text.size() > 64) return std::nullopt;
  const std::string s(text);
  Service out;
  out.port = port;
  uint8_t v4[4];
  if (inet_pton(AF_INET, s.c_str(), v4) == 1) {
    return FromIPv4(v4[0], v4[1], v4[2], v4[3], port);
  }
  if (inet_pton(AF_INET6, s.c_str(), out.ip.data()) == 1) return out;
  return std::nullopt;
}

std::optional<Service> Service::Parse(std::string_view text, uint16_t default_port) {
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    uint16_t port = default_port;
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return std::nullopt;
      auto p = ParsePort(text.substr(close + 2));
      if (!p) return std::nullopt;
      port = *p;
    }
    return ParseIp(text.substr(0, close + 1), port);
  }
  const size_t colon = text.rfind(':');
  if (colon != std::string_view::npos && text.find(':') == colon) {  // one colon: v4:port
    auto p = ParsePort(text.substr(colon + 1));
    if (!p) return std::nullopt;
    return ParseIp(text.substr(0, colon), *p);
  }
  return ParseIp(text, default_port);
}

bool Service::IsIPv4() const {
  return std::memcmp(ip.data(), kIPv4Prefix.data(), kIPv4Prefix.size()) == 0;
}

bool Service::IsLoopback() const {
  if (IsIPv4()) return ip[12] == 127;
  static constexpr std::array<uint8_t, 16> kV6Loopback = {0, 0, 0, 0, 0, 0, 0, 0,
                                                          0, 0, 0, 0, 0, 0, 0, 1};
  return ip == kV6Loopback;
}

std::string Service::IpString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (IsIPv4()) {
    inet_ntop(AF_INET, ip.data() + 12, buf, sizeof(buf));
  } else {
    inet_ntop(AF_INET6, ip.data(), buf, sizeof(buf));
  }
  return buf;
}

std::string Service::ToString() const {
  if (IsIPv4()) return IpString() + ":" + std::to_string(port);
  return "[" + IpString() + "]:" + std::to_string(port);
}

std::vector<uint8_t> Service::Group() const {
  if (IsLoopback()) return {0};  // all local addresses are one group
  if (IsIPv4()) return {4, ip[12], ip[13]};
  return {6, ip[0], ip[1], ip[2], ip[3]};
}

SubNet SubNet::Single(const Service& addr) {
  SubNet s;
  s.network = addr.ip;
  s.prefix_bits = 128;
  return s;
}

std::optional<SubNet> SubNet::Parse(std::string_view text) {
  const size_t slash = text.find('/');
  auto base = Service::ParseIp(text.substr(0, slash), 0);
  if (!base) return std::nullopt;
  SubNet out;
  out.network = base->ip;
  if (slash == std::string_view::npos) return out;
  auto bits = ParsePort(text.substr(slash + 1));
  const unsigned max_bits = base->IsIPv4() ? 32 : 128;
  if (!bits || *bits > max_bits) return std::nullopt;
  out.prefix_bits = static_cast<uint8_t>(base->IsIPv4() ? *bits + 96 : *bits);
  // Clear the host bits so equal subnets compare equal.
  for (unsigned i = 0; i < 128; ++i) {
    if (i >= out.prefix_bits) out.network[i / 8] &= static_cast<uint8_t>(~(0x80u >> (i % 8)));
  }
  return out;
}

bool SubNet::Match(const Service& addr) const {
  for (unsigned i = 0; i < prefix_bits && i < 128; ++i) {
    const uint8_t mask = static_cast<uint8_t>(0x80u >> (i % 8));
    if ((addr.ip[i / 8] & mask) != (network[i / 8] & mask)) return false;
  }
  return true;
}

std::string SubNet::ToString() const {
  Service s;
  s.ip = network;
  if (s.IsIPv4() && prefix_bits >= 96) return s.IpString() + "/" + std::to_string(prefix_bits - 96);
  return s.IpString() + "/" + std::to_string(prefix_bits);
}

}  // namespace cc::net
