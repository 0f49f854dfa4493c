// P2P queries and control: one function per method, the registration table
// at the bottom. Shapes and error codes are Bitcoin Core's.

#include <chrono>
#include <cstdint>
#include <ctime>

#include "net/netaddress.h"
#include "node/common/version.h"
#include "node/context.h"
#include "node/network.h"
#include "node/rpc_register.h"
#include "rpc/method.h"
#include "rpc/util.h"

namespace cc {
namespace {

using rpc::ExampleCli;
using rpc::ExampleRpc;
using rpc::json;
using rpc::RpcArg;
using rpc::RpcError;
using rpc::RpcMethod;
using rpc::RpcRequest;
using rpc::RpcResult;
using rpc::RpcType;

net::ConnMan& ConnManOrThrow(NodeContext& node) {
  if (!node.connman || !node.peerman)
    throw RpcError(rpc::kRpcClientP2PDisabled,
                   "Error: Peer-to-peer functionality missing or disabled");
  return *node.connman;
}

net::BanMan& BanManOrThrow(NodeContext& node) {
  if (!node.banman) throw RpcError(rpc::kRpcDatabaseError, "Error: Ban database not loaded");
  return *node.banman;
}

// Service bits as getpeerinfo and getnetworkinfo show them: 16 hex digits.
std::string ServicesHex(uint64_t services) {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(services));
  return hex;
}

std::string ServicesNames(uint64_t services) {
  std::string out;
  auto add = [&out](const char* name) { out += (out.empty() ? "" : ",") + std::string(name); };
  if (services & net::kNodeNetwork) add("NETWORK");
  if (services & net::kNodeWorker) add("WORKER");
  if (services & net::kNodeLight) add("LIGHT");
  return out;
}

RpcMethod getconnectioncount(NodeContext& node) {
  return RpcMethod{"getconnectioncount",
                   "Returns the number of connections to other nodes.",
                   {},
                   {{RpcType::kNumber, "", "The connection count"}},
                   ExampleCli("getconnectioncount", "") + ExampleRpc("getconnectioncount", ""),
                   [&node](const RpcMethod&, const RpcRequest&) -> json {
                     return ConnManOrThrow(node).GetPeerCount(true, true);
                   }};
}

RpcMethod getpeerinfo(NodeContext& node) {
  return RpcMethod{
      "getpeerinfo",
      "Returns data about each connected network peer as a json array of objects.",
      {},
      {{RpcType::kArray,
        "",
        "",
        {{RpcType::kObject,
          "",
          "",
          {
              {RpcType::kNumber, "id", "Peer index"},
              {RpcType::kString, "addr", "(host:port) The IP address and port of the peer"},
              {RpcType::kHex, "services", "The services offered"},
              {RpcType::kString, "servicesnames", "the services offered, by name"},
              {RpcType::kNumber, "lastsend", "The time of the last send, Unix epoch seconds"},
              {RpcType::kNumber, "lastrecv", "The time of the last receive, Unix epoch seconds"},
              {RpcType::kNumber, "bytessent", "The total bytes sent"},
              {RpcType::kNumber, "bytesrecv", "The total bytes received"},
              {RpcType::kNumber, "conntime", "The time of the connection, Unix epoch seconds"},
              {RpcType::kNumber, "pingtime", "The last ping time in seconds, if any"},
              {RpcType::kNumber, "minping", "The minimum observed ping time in seconds, if any"},
              {RpcType::kNumber, "version", "The peer version"},
              {RpcType::kString, "subver", "The user agent"},
              {RpcType::kBool, "inbound", "Inbound (true) or Outbound (false)"},
              {RpcType::kBool, "manual", "Whether the connection was made by -connect/-addnode"},
              {RpcType::kNumber, "startingheight", "The starting height (block) of the peer"},
              {RpcType::kNumber, "synced_headers", "The last header we have in common, or -1"},
              {RpcType::kNumber, "synced_blocks", "The last block we have in common, or -1"},
              {RpcType::kNumber, "blocks_in_flight", "Blocks requested from the peer"},
              {RpcType::kNumber, "minfeefilter",
               "The peer's feefilter, base units per 1000 bytes (0: none)"},
              {RpcType::kNumber, "addr_processed", "Addresses taken from the peer"},
              {RpcType::kNumber, "addr_rate_limited",
               "Addresses from the peer ignored over the rate limit"},
              {RpcType::kNumber, "inv_rate_limited",
               "Transaction and record announcements ignored over the rate limit"},
              {RpcType::kNumber, "unsolicited_ignored",
               "Objects sent without a request, ignored over the rate limit"},
          }}}}},
      ExampleCli("getpeerinfo", "") + ExampleRpc("getpeerinfo", ""),
      [&node](const RpcMethod&, const RpcRequest&) -> json {
        net::ConnMan& connman = ConnManOrThrow(node);
        std::map<net::PeerId, net::PeerSyncStats> sync;
        for (const net::PeerSyncStats& s : node.peerman->GetSyncStats()) sync[s.id] = s;
        json out = json::array();
        for (const net::PeerStats& p : connman.GetPeerStats()) {
          json peer{{"id", p.id},
                    {"addr", p.addr.ToString()},
                    {"services", ServicesHex(p.services)},
                    {"servicesnames", ServicesNames(p.services)},
                    {"lastsend", p.last_send},
                    {"lastrecv", p.last_recv},
                    {"bytessent", p.bytes_sent},
                    {"bytesrecv", p.bytes_recv},
                    {"conntime", p.connected_time},
                    {"version", p.version},
                    {"subver", p.user_agent},
                    {"inbound", p.inbound},
                    {"manual", p.manual},
                    {"startingheight", p.starting_height}};
          if (p.last_ping_us >= 0) peer["pingtime"] = p.last_ping_us / 1e6;
          if (p.min_ping_us >= 0) peer["minping"] = p.min_ping_us / 1e6;
          const auto it = sync.find(p.id);
          peer["synced_headers"] = it == sync.end() ? -1 : it->second.synced_headers;
          peer["synced_blocks"] = it == sync.end() ? -1 : it->second.synced_blocks;
          peer["blocks_in_flight"] = it == sync.end() ? 0 : it->second.blocks_in_flight;
          const net::PeerSyncStats none;
          const net::PeerSyncStats& st = it == sync.end() ? none : it->second;
          peer["minfeefilter"] = st.fee_filter;
          peer["addr_processed"] = st.addr_processed;
          peer["addr_rate_limited"] = st.addr_rate_limited;
          peer["inv_rate_limited"] = st.inv_rate_limited;
          peer["unsolicited_ignored"] = st.unsolicited_ignored;
          out.push_back(std::move(peer));
        }
        return out;
      }};
}

RpcMethod getnetworkinfo(NodeContext& node) {
  return RpcMethod{
      "getnetworkinfo",
      "Returns an object containing various state info regarding P2P networking.",
      {},
      {{RpcType::kObject,
        "",
        "",
        {
            {RpcType::kNumber, "version", "the server version"},
            {RpcType::kString, "subversion", "the server subversion string"},
            {RpcType::kNumber, "protocolversion", "the protocol version"},
            {RpcType::kHex, "localservices", "the services we offer to the network"},
            {RpcType::kBool, "networkactive", "whether p2p networking is enabled"},
            {RpcType::kNumber, "connections", "the total number of connections"},
            {RpcType::kNumber, "connections_in", "the number of inbound connections"},
            {RpcType::kNumber, "connections_out", "the number of outbound connections"},
            {RpcType::kNumber, "port", "the port we listen on for P2P, 0 if not listening"},
            {RpcType::kNumber, "totalbytessent", "bytes sent to all peers"},
            {RpcType::kNumber, "totalbytesrecv", "bytes received from all peers"},
            {RpcType::kString, "warnings", "any network and blockchain warnings"},
        }}},
      ExampleCli("getnetworkinfo", "") + ExampleRpc("getnetworkinfo", ""),
      [&node](const RpcMethod&, const RpcRequest&) -> json {
        const bool active = node.connman != nullptr;
        json out{{"version", ClientVersion()},
                 {"subversion", UserAgent()},
                 {"protocolversion", net::kProtocolVersion},
                 {"networkactive", active},
                 {"warnings", ""}};
        out["localservices"] = ServicesHex(LocalServices(node));
        out["connections"] = active ? node.connman->GetPeerCount(true, true) : 0;
        out["connections_in"] = active ? node.connman->GetPeerCount(true, false) : 0;
        out["connections_out"] = active ? node.connman->GetPeerCount(false, true) : 0;
        out["port"] = active ? node.connman->GetListenPort() : 0;
        out["totalbytessent"] = active ? node.connman->total_bytes_sent() : 0;
        out["totalbytesrecv"] = active ? node.connman->total_bytes_recv() : 0;
        return out;
      }};
}

RpcMethod getnettotals(NodeContext& node) {
  return RpcMethod{
      "getnettotals",
      "Returns information about network traffic, including bytes in, bytes out,\n"
      "and current system time.",
      {},
      {{RpcType::kObject,
        "",
        "",
        {
            {RpcType::kNumber, "totalbytesrecv", "Total bytes received"},
            {RpcType::kNumber, "totalbytessent", "Total bytes sent"},
            {RpcType::kNumber, "timemillis", "Current system time in milliseconds since the epoch"},
            {RpcType::kObject,
             "uploadtarget",
             "",
             {
                 {RpcType::kNumber, "timeframe", "Length of the measuring timeframe in seconds"},
                 {RpcType::kNumber, "target", "Target in bytes (0: none)"},
                 {RpcType::kBool, "target_reached", "True if target is reached"},
                 {RpcType::kBool, "serve_historical_blocks",
                  "True if serving historical blocks"},
                 {RpcType::kNumber, "bytes_left_in_cycle",
                  "Bytes left in current time cycle"},
                 {RpcType::kNumber, "time_left_in_cycle",
                  "Seconds left in current time cycle"},
             }},
        }}},
      ExampleCli("getnettotals", "") + ExampleRpc("getnettotals", ""),
      [&node](const RpcMethod&, const RpcRequest&) -> json {
        net::ConnMan& connman = ConnManOrThrow(node);
        const net::UploadTargetStats up = connman.GetUploadTarget();
        const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now().time_since_epoch());
        return json{{"totalbytesrecv", connman.total_bytes_recv()},
                    {"totalbytessent", connman.total_bytes_sent()},
                    {"timemillis", millis.count()},
                    {"uploadtarget",
                     {{"timeframe", up.timeframe.count()},
                      {"target", up.target},
                      {"target_reached", up.target_reached},
                      {"serve_historical_blocks", up.serve_historical_blocks},
                      {"bytes_left_in_cycle", up.bytes_left_in_cycle},
                      {"time_left_in_cycle", up.time_left_in_cycle.count()}}}};
      }};
}

RpcMethod addnode(NodeContext& node) {
  return RpcMethod{
      "addnode",
      "Attempts to add or remove a node from the addnode list, or to try a connection to a "
      "node once.",
      {{"node", RpcType::kString, RpcArg::kRequired, "", "The address of the peer (host:port)"},
       {"command", RpcType::kString, RpcArg::kRequired, "",
        "'add' to add a node to the list, 'remove' to remove it, 'onetry' to try a connection "
        "once"}},
      {{RpcType::kNone, "", ""}},
      ExampleCli("addnode", "\"192.168.0.6:39444\" \"onetry\"") +
          ExampleRpc("addnode", "\"192.168.0.6:39444\", \"onetry\""),
      [&node](const RpcMethod& self, const RpcRequest& request) -> json {
        net::ConnMan& connman = ConnManOrThrow(node);
        const json& target = request.Arg(0);
        const json& command = request.Arg(1);
        if (!target.is_string() || !command.is_string())
          throw RpcError(rpc::kRpcMiscError, self.Help());
        const std::string name = target.get<std::string>(), what = command.get<std::string>();
        if (what == "onetry") {
          const Status s = connman.ConnectTo(name);
          if (!s.ok()) throw RpcError(rpc::kRpcInvalidParameter, s.message());
          return nullptr;
        }
        if (what == "add") {
          const Status s = connman.AddNode(name);
          if (s.IsInvalidArgument()) throw RpcError(rpc::kRpcInvalidParameter, s.message());
          if (!s.ok()) throw RpcError(rpc::kRpcClientNodeAlreadyAdded, "Error: Node already added");
          return nullptr;
        }
        if (what == "remove") {
          if (!connman.RemoveAddedNode(name))
            throw RpcError(rpc::kRpcClientNodeNotAdded,
                           "Error: Node could not be removed. It has not been added previously.");
          return nullptr;
        }
        throw RpcError(rpc::kRpcMiscError, self.Help());
      }};
}

RpcMethod disconnectnode(NodeContext& node) {
  return RpcMethod{
      "disconnectnode",
      "Immediately disconnects from the specified peer node.\n"
      "Strictly one out of 'address' and 'nodeid' can be provided to identify the node.",
      {{"address", RpcType::kString, RpcArg::kOptional, "", "The IP address/port of the node"},
       {"nodeid", RpcType::kNumber, RpcArg::kOptional, "",
        "The node ID (see getpeerinfo for node IDs)"}},
      {{RpcType::kNone, "", ""}},
      ExampleCli("disconnectnode", "\"192.168.0.6:39444\"") +
          ExampleRpc("disconnectnode", "\"\", 1"),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        net::ConnMan& connman = ConnManOrThrow(node);
        const json& address = request.Arg(0);
        const json& id = request.Arg(1);
        const bool by_address = address.is_string() && !address.get<std::string>().empty();
        const bool by_id = !id.is_null();
        bool found = false;
        if (by_address && !by_id) {
          const std::optional<net::Service> addr =
              net::Service::Parse(address.get<std::string>(), node.params->p2p_port);
          found = addr && connman.DisconnectPeer(*addr);
        } else if (by_id && (address.is_null() || address == "")) {
          const int64_t peer_id = rpc::ParseIntArg(id, "nodeid", 0, INT64_MAX,
                                                   "nodeid must be a peer id from getpeerinfo");
          found = connman.DisconnectPeer(peer_id, "disconnectnode");
        } else {
          throw RpcError(rpc::kRpcInvalidParameter,
                         "Only one of address and nodeid should be provided.");
        }
        if (!found)
          throw RpcError(rpc::kRpcClientNodeNotConnected, "Node not found in connected nodes");
        return nullptr;
      }};
}

RpcMethod setban(NodeContext& node) {
  return RpcMethod{
      "setban",
      "Attempts to add or remove an IP/Subnet from the banned list.",
      {{"subnet", RpcType::kString, RpcArg::kRequired, "",
        "The IP/Subnet (see getpeerinfo for nodes IP) with an optional netmask (default is /32 "
        "= single IP)"},
       {"command", RpcType::kString, RpcArg::kRequired, "",
        "'add' to add an IP/Subnet to the list, 'remove' to remove an IP/Subnet from the list"},
       {"bantime", RpcType::kNumber, RpcArg::kOptional, "0",
        "time in seconds how long (or until when if [absolute] is set) the IP is banned (0 or "
        "empty means using the default time of 24h which can also be overwritten by the "
        "-bantime startup argument)"},
       {"absolute", RpcType::kBool, RpcArg::kOptional, "false",
        "If set, the bantime must be an absolute timestamp expressed in UNIX epoch time"}},
      {{RpcType::kNone, "", ""}},
      ExampleCli("setban", "\"192.168.0.6\" \"add\" 86400") +
          ExampleRpc("setban", "\"192.168.0.6\", \"add\", 86400"),
      [&node](const RpcMethod& self, const RpcRequest& request) -> json {
        net::BanMan& banman = BanManOrThrow(node);
        const json& subnet_arg = request.Arg(0);
        const json& command = request.Arg(1);
        if (!subnet_arg.is_string() || !command.is_string() ||
            (command != "add" && command != "remove"))
          throw RpcError(rpc::kRpcMiscError, self.Help());
        const std::optional<net::SubNet> subnet = net::SubNet::Parse(subnet_arg.get<std::string>());
        if (!subnet) throw RpcError(rpc::kRpcClientInvalidIpOrSubnet, "Error: Invalid IP/Subnet");
        if (command == "remove") {
          if (!banman.Unban(*subnet).ok())
            throw RpcError(rpc::kRpcClientInvalidIpOrSubnet,
                           "Error: Unban failed. Requested address/subnet was not previously "
                           "manually banned.");
          return nullptr;
        }
        int64_t seconds = 0;
        if (!request.Arg(2).is_null())
          seconds = rpc::ParseIntArg(request.Arg(2), "bantime", 0,
                                     std::numeric_limits<int64_t>::max() / 2,
                                     "bantime must be non-negative");
        if (request.Arg(3).is_boolean() && request.Arg(3).get<bool>()) {
          seconds -= static_cast<int64_t>(std::time(nullptr));
          if (seconds <= 0)
            throw RpcError(rpc::kRpcInvalidParameter, "Error: Absolute timestamp is in the past");
        }
        if (seconds == 0) seconds = node.default_ban_time.count();
        for (const net::BanEntry& entry : banman.GetBanned())
          if (entry.subnet == *subnet)
            throw RpcError(rpc::kRpcClientNodeAlreadyAdded, "Error: IP/Subnet already banned");
        const Status s = banman.Ban(*subnet, std::chrono::seconds(seconds));
        if (!s.ok()) throw RpcError(rpc::kRpcDatabaseError, s.message());
        if (node.connman) {
          node.connman->ForEachPeer([&](const net::PeerRef& peer) {
            if (subnet->Match(peer->addr())) node.connman->DisconnectPeer(peer->id(), "banned");
          });
        }
        return nullptr;
      }};
}

RpcMethod listbanned(NodeContext& node) {
  return RpcMethod{
      "listbanned",
      "List all manually banned IPs/Subnets.",
      {},
      {{RpcType::kArray,
        "",
        "",
        {{RpcType::kObject,
          "",
          "",
          {{RpcType::kString, "address", "the banned IP/subnet"},
           {RpcType::kNumber, "ban_created", "the UNIX epoch time the ban was created"},
           {RpcType::kNumber, "banned_until", "the UNIX epoch time the ban expires"},
           {RpcType::kNumber, "ban_duration", "the ban duration, in seconds"},
           {RpcType::kNumber, "time_remaining", "the time remaining, in seconds"}}}}}},
      ExampleCli("listbanned", "") + ExampleRpc("listbanned", ""),
      [&node](const RpcMethod&, const RpcRequest&) -> json {
        const int64_t now = static_cast<int64_t>(std::time(nullptr));
        json out = json::array();
        for (const net::BanEntry& e : BanManOrThrow(node).GetBanned()) {
          out.push_back(json{{"address", e.subnet.ToString()},
                             {"ban_created", e.created},
                             {"banned_until", e.until},
                             {"ban_duration", e.until - e.created},
                             {"time_remaining", std::max<int64_t>(0, e.until - now)}});
        }
        return out;
      }};
}

RpcMethod clearbanned(NodeContext& node) {
  return RpcMethod{"clearbanned",
                   "Clear all banned IPs.",
                   {},
                   {{RpcType::kNone, "", ""}},
                   ExampleCli("clearbanned", "") + ExampleRpc("clearbanned", ""),
                   [&node](const RpcMethod&, const RpcRequest&) -> json {
                     const Status s = BanManOrThrow(node).ClearBanned();
                     if (!s.ok()) throw RpcError(rpc::kRpcDatabaseError, s.message());
                     return nullptr;
                   }};
}

}  // namespace

Status RegisterNetRpcs(rpc::RpcTable& table, NodeContext& node) {
  static const rpc::RpcCommand<NodeContext> kCommands[] = {
      {"network", &addnode},        {"network", &clearbanned},
      {"network", &disconnectnode}, {"network", &getconnectioncount},
      {"network", &getnetworkinfo}, {"network", &getpeerinfo},
      {"network", &listbanned},     {"network", &setban},
      {"network", &getnettotals},
  };
  return table.AddAll(kCommands, node);
}

}  // namespace cc
