// The log file: one line per message, whatever the message holds.

#include "chain/logging.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/util/test_util.h"

namespace cc {
namespace {

using namespace std::string_literals;

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A host name from `addnode` or a peer's user agent quoted in a message
// could forge a line with a newline or cut one with a NUL before; control
// bytes are now escaped.
TEST(LoggerTest, ControlBytesInAMessageCannotMakeOrCutALine) {
  test::TempDir dir;
  const std::filesystem::path path = std::filesystem::path(dir.path()) / "debug.log";
  {
    Logger logger;
    ASSERT_TRUE(logger.OpenFile(path).ok());
    logger.Log("cannot resolve evil\n2026-01-01T00:00:00.000000Z forged\x1b[2J"s);
    logger.Log("cut\0here"s);
    logger.Log("a trailing newline is not doubled\n");
  }
  const std::string text = ReadAll(path);
  std::istringstream lines(text);
  std::string line;
  std::vector<std::string> got;
  while (std::getline(lines, line)) got.push_back(line.substr(line.find(' ') + 1));
  ASSERT_EQ(got.size(), 3u) << text;
  EXPECT_EQ(got[0], "cannot resolve evil\\x0a2026-01-01T00:00:00.000000Z forged\\x1b[2J");
  EXPECT_EQ(got[1], "cut\\x00here");
  EXPECT_EQ(got[2], "a trailing newline is not doubled");
}

}  // namespace
}  // namespace cc
