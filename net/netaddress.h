// Network addresses as the P2P layer sees them: an IP address (IPv4 or IPv6)
// plus a port (`Service`), and an address prefix (`SubNet`) for bans.
//
// Every address is kept as 16 bytes in IPv6 form; an IPv4 address a.b.c.d is
// the IPv4-mapped ::ffff:a.b.c.d. This is also the wire form:
//   Service = ip:[16] port:u16 (little-endian, like every integer in chain/serialize.h)
//
// The "group" of an address is what one operator is assumed to control
// cheaply: the /16 of an IPv4 address, the /32 of an IPv6 address. The
// address book and inbound eviction use it so that one group cannot fill them.
//
// Thread safety: values; no shared state.

#ifndef COMPUTECOIN_NET_NETADDRESS_H
#define COMPUTECOIN_NET_NETADDRESS_H

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chain/serialize.h"

namespace cc::net {

/// An IP address and port. The default value is [::]:0, "unspecified".
struct Service {
  std::array<uint8_t, 16> ip{};  //!< IPv6 form; IPv4 is ::ffff:a.b.c.d
  uint16_t port = 0;

  CC_SERIALIZE_METHODS(Service, obj) { ar(obj.ip, obj.port); }
  auto operator<=>(const Service&) const = default;

  /// Builds ::ffff:a.b.c.d from four octets.
  static Service FromIPv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port);
  /// Parses "1.2.3.4", "::1", "[::1]" (no port). Returns nullopt if it is not a numeric address.
  static std::optional<Service> ParseIp(std::string_view text, uint16_t port);
  /// Parses "host:port", "[v6]:port" or a bare numeric address (then `default_port`).
  /// Only numeric addresses; host names are resolved by the connection manager.
  static std::optional<Service> Parse(std::string_view text, uint16_t default_port);

  bool IsIPv4() const;
  /// 127.0.0.0/8 or ::1.
  bool IsLoopback() const;
  /// The IP alone: "1.2.3.4" or "2001:db8::1".
  std::string IpString() const;
  /// "1.2.3.4:8333" or "[2001:db8::1]:8333".
  std::string ToString() const;
  /// The group bytes (see file comment): 1 family byte + /16 (IPv4) or /32 (IPv6).
  std::vector<uint8_t> Group() const;
};

/// An address prefix: every address whose first `prefix_bits` bits (of the 16-byte
/// form) equal `network`'s. A single address is a /128 (IPv4: /32 written).
struct SubNet {
  std::array<uint8_t, 16> network{};
  uint8_t prefix_bits = 128;  //!< 0..128, over the 16-byte form

  CC_SERIALIZE_METHODS(SubNet, obj) { ar(obj.network, obj.prefix_bits); }
  auto operator<=>(const SubNet&) const = default;

  /// The /128 (IPv4: /32) holding exactly `ip`.
  static SubNet Single(const Service& addr);
  /// Parses "1.2.3.4", "1.2.3.0/24", "2001:db8::/32". IPv4 prefix lengths count
  /// IPv4 bits (0..32). Returns nullopt on malformed text.
  static std::optional<SubNet> Parse(std::string_view text);

  /// True if `addr`'s IP is inside this prefix (the port is ignored).
  bool Match(const Service& addr) const;
  /// "1.2.3.0/24", "2001:db8::/32".
  std::string ToString() const;
};

}  // namespace cc::net

#endif  // COMPUTECOIN_NET_NETADDRESS_H
