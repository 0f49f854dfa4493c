#include "chain/status.h"

namespace cc {

std::string Status::ToString() const {
  const char* prefix = "OK";
  switch (code_) {
    case Code::kOk: return prefix;
    case Code::kNotFound: prefix = "NotFound"; break;
    case Code::kCorruption: prefix = "Corruption"; break;
    case Code::kInvalidArgument: prefix = "InvalidArgument"; break;
    case Code::kIOError: prefix = "IOError"; break;
    case Code::kNotSupported: prefix = "NotSupported"; break;
    case Code::kInterrupted: prefix = "Interrupted"; break;
  }
  return std::string(prefix) + ": " + message_;
}

}  // namespace cc
