// Status: the result of an operation that can fail.
//
// A Status is either OK or carries an error code and a message. Fallible
// functions return a Status and hand results back through pointer arguments,
// so every caller branches on ok() (or on the specific code) explicitly.
// Not finding something is its own code (IsNotFound), distinct from
// corruption or I/O failure.
//
// Thread safety: a Status is a value; distinct objects may be used from
// different threads without synchronisation.

#ifndef COMPUTECOIN_CHAIN_STATUS_H
#define COMPUTECOIN_CHAIN_STATUS_H

#include <string>
#include <string_view>
#include <utility>

namespace cc {

class [[nodiscard]] Status {
 public:
  /// Success.
  Status() = default;

  static Status OK() { return Status(); }
  /// The requested key, block, tensor or file does not exist.
  static Status NotFound(std::string_view msg) { return Status(Code::kNotFound, msg); }
  /// Stored or received bytes do not decode, or fail an integrity check.
  static Status Corruption(std::string_view msg) { return Status(Code::kCorruption, msg); }
  /// The caller passed a value outside the function's contract.
  static Status InvalidArgument(std::string_view msg) { return Status(Code::kInvalidArgument, msg); }
  /// The operating system or a storage library reported a failure.
  static Status IOError(std::string_view msg) { return Status(Code::kIOError, msg); }
  /// The operation is valid but not supported in this build or state.
  static Status NotSupported(std::string_view msg) { return Status(Code::kNotSupported, msg); }
  /// A long operation stopped early because it was asked to (e.g. a shutdown
  /// request); what it did so far is kept and it can be resumed.
  static Status Interrupted(std::string_view msg) { return Status(Code::kInterrupted, msg); }

  bool ok() const { return code_ == Code::kOk; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsIOError() const { return code_ == Code::kIOError; }
  bool IsNotSupported() const { return code_ == Code::kNotSupported; }
  bool IsInterrupted() const { return code_ == Code::kInterrupted; }

  /// The message alone, without the code prefix; empty when ok().
  const std::string& message() const { return message_; }

  /// "OK", or "<Code>: <message>", e.g. "Corruption: trailing bytes".
  std::string ToString() const;

 private:
  enum class Code {
    kOk,
    kNotFound,
    kCorruption,
    kInvalidArgument,
    kIOError,
    kNotSupported,
    kInterrupted
  };

  Status(Code code, std::string_view msg) : code_(code), message_(msg) {}

  Code code_ = Code::kOk;
  std::string message_;
};

}  // namespace cc

#endif  // COMPUTECOIN_CHAIN_STATUS_H
