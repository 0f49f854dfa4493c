// The client's version, from the CMake project version.
//
// Thread safety: constants only.

#ifndef COMPUTECOIN_NODE_COMMON_VERSION_H
#define COMPUTECOIN_NODE_COMMON_VERSION_H

#include <string>

namespace cc {

/// "0.1.0".
std::string FormatVersion();
/// major * 10000 + minor * 100 + patch, as Bitcoin Core's CLIENT_VERSION: 100 for 0.1.0.
int ClientVersion();
/// The user agent, BIP14 style: "/Computecoin:0.1.0/".
std::string UserAgent();

}  // namespace cc

#endif  // COMPUTECOIN_NODE_COMMON_VERSION_H
