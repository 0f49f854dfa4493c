#include "chain/logging.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <span>

#include "chain/hex.h"

namespace cc {

std::string LogTimestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(micros / 1'000'000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(buf + n, sizeof(buf) - n, ".%06lldZ", static_cast<long long>(micros % 1'000'000));
  return buf;
}

Logger::~Logger() { Close(); }

Status Logger::OpenFile(const std::filesystem::path& path) {
  std::FILE* file = std::fopen(path.c_str(), "a");
  if (file == nullptr)
    return Status::IOError("cannot open " + path.string() + ": " + std::strerror(errno));
  std::lock_guard<std::mutex> lock(mu_);
  if (file_ != nullptr) std::fclose(file_);
  file_ = file;
  for (const std::string& line : buffered_) std::fputs(line.c_str(), file_);
  buffered_.clear();
  buffering_ = false;
  std::fflush(file_);
  return Status::OK();
}

void Logger::SetPrintToConsole(bool print) {
  std::lock_guard<std::mutex> lock(mu_);
  print_to_console_ = print;
}

void Logger::Log(std::string_view message) {
  if (!message.empty() && message.back() == '\n') message.remove_suffix(1);
  std::string line = LogTimestamp();
  line += ' ';
  // Messages quote what peers and users send (host names, user agents,
  // reasons): a newline there would forge a line, a NUL end this one.
  for (const char c : message) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      line += "\\x";
      AppendHex(std::span<const uint8_t>(&byte, 1), &line);
    } else {
      line += c;
    }
  }
  line += '\n';
  std::lock_guard<std::mutex> lock(mu_);
  if (print_to_console_) {
    std::fputs(line.c_str(), stdout);
    std::fflush(stdout);
  }
  if (file_ != nullptr) {
    std::fputs(line.c_str(), file_);
    std::fflush(file_);
  } else if (buffering_) {
    buffered_.push_back(std::move(line));
  }
}

void Logger::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
  buffering_ = false;
  buffered_.clear();
}

Logger& GetLogger() {
  static Logger logger;
  return logger;
}

void LogPrintf(std::string_view message) { GetLogger().Log(message); }

}  // namespace cc
