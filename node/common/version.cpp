#include "node/common/version.h"

namespace cc {

std::string FormatVersion() {
  return std::to_string(CC_VERSION_MAJOR) + "." + std::to_string(CC_VERSION_MINOR) + "." +
         std::to_string(CC_VERSION_PATCH);
}

int ClientVersion() { return CC_VERSION_MAJOR * 10000 + CC_VERSION_MINOR * 100 + CC_VERSION_PATCH; }

std::string UserAgent() { return "/Computecoin:" + FormatVersion() + "/"; }

}  // namespace cc
