#include "chain/file_io.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/util/test_util.h"

namespace cc {
namespace {

std::string Contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(FileIoTest, WriteReplacesWholeWithTheModeAskedAndNoTemporaryLeft) {
  test::TempDir dir;
  const std::string path = dir.Sub("secret");
  ASSERT_TRUE(WriteFileAtomically(path, std::string_view("first")).ok());
  ASSERT_TRUE(WriteFileAtomically(path, std::string_view("second, longer"), 0600).ok());
  EXPECT_EQ(Contents(path), "second, longer");
  struct stat st{};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);  // not the old file's 0644, whatever the umask
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(FileIoTest, FailedWriteNamesThePathAndLeavesNothing) {
  test::TempDir dir;
  const Status s = WriteFileAtomically(dir.Sub("missing/file"), std::string_view("x"));
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.ToString().find(dir.Sub("missing/file.tmp")), std::string::npos) << s.ToString();
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(FileIoTest, ReadIsBoundedAndRefusesWhatIsNotAFile) {
  test::TempDir dir;
  const std::string path = dir.Sub("data");
  ASSERT_TRUE(WriteFileAtomically(path, std::string_view("12345")).ok());
  std::vector<uint8_t> out;
  ASSERT_TRUE(ReadFileLimited(path, 5, &out).ok());
  EXPECT_EQ(std::string(out.begin(), out.end()), "12345");
  EXPECT_TRUE(ReadFileLimited(path, 4, &out).IsCorruption());
  EXPECT_TRUE(ReadFileLimited(dir.Sub("absent"), 5, &out).IsNotFound());
  const Status s = ReadFileLimited(dir.path(), 5, &out);
  EXPECT_TRUE(s.IsIOError());
  EXPECT_NE(s.ToString().find("not a regular file"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace cc
