// The data directory: resolution, per-network subdirectories and the lock.

#include "node/common/datadir.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "node/common/args.h"
#include "node/node_args.h"

namespace cc {
namespace {

class DataDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("cc_datadir_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
};

TEST_F(DataDirTest, LockIsExclusive) {
  std::unique_ptr<DirectoryLock> first;
  ASSERT_TRUE(DirectoryLock::Acquire(dir_, &first).ok());
  std::unique_ptr<DirectoryLock> second;
  const Status s = DirectoryLock::Acquire(dir_, &second);
  EXPECT_TRUE(s.IsIOError());
  EXPECT_EQ(s.message(), "Cannot obtain a lock on data directory " + dir_.string() +
                             ". Computecoin is probably already running.");
  EXPECT_EQ(second, nullptr);
  first.reset();  // released on destruction
  EXPECT_TRUE(DirectoryLock::Acquire(dir_, &second).ok());
}

TEST_F(DataDirTest, LocksOfDifferentDirectoriesAreIndependent) {
  std::filesystem::create_directories(dir_ / "a");
  std::filesystem::create_directories(dir_ / "b");
  std::unique_ptr<DirectoryLock> a;
  std::unique_ptr<DirectoryLock> b;
  EXPECT_TRUE(DirectoryLock::Acquire(dir_ / "a", &a).ok());
  EXPECT_TRUE(DirectoryLock::Acquire(dir_ / "b", &b).ok());
}

TEST_F(DataDirTest, MissingLockDirectoryIsAnError) {
  std::unique_ptr<DirectoryLock> lock;
  EXPECT_TRUE(DirectoryLock::Acquire(dir_ / "missing", &lock).IsIOError());
}

TEST_F(DataDirTest, NetworkSubdirectories) {
  std::filesystem::path path;
  ASSERT_TRUE(NetworkDataDir(dir_, RegtestParams(), &path).ok());
  EXPECT_EQ(path, dir_ / "regtest");
  EXPECT_TRUE(std::filesystem::is_directory(path));
  ASSERT_TRUE(NetworkDataDir(dir_, MainParams(), &path).ok());
  EXPECT_EQ(path, dir_);
}

TEST_F(DataDirTest, ExplicitDataDirMustExist) {
  Config config;
  AddNodeArgs(&config);
  const std::string arg = "-datadir=" + (dir_ / "nope").string();
  const char* argv[] = {"computecoind", arg.c_str()};
  ASSERT_TRUE(config.ParseCommandLine(2, argv).ok());
  std::filesystem::path datadir;
  const Status s = ResolveDataDir(config, &datadir);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(s.message(),
            "Specified data directory \"" + (dir_ / "nope").string() + "\" does not exist.");
}

TEST_F(DataDirTest, DataDirThatIsAFileIsNotADirectory) {
  const std::filesystem::path file = dir_ / "afile";
  std::ofstream(file) << "not a datadir\n";
  Config config;
  AddNodeArgs(&config);
  const std::string arg = "-datadir=" + file.string();
  const char* argv[] = {"computecoind", arg.c_str()};
  ASSERT_TRUE(config.ParseCommandLine(2, argv).ok());
  std::filesystem::path datadir;
  Status s = ResolveDataDir(config, &datadir);
  EXPECT_TRUE(s.IsInvalidArgument());
  const std::string expected =
      "Specified data directory \"" + file.string() + "\" is not a directory.";
  EXPECT_EQ(s.message(), expected);
  // LoadConfiguration passes it on unchanged: it is not a config file error.
  const ChainParams* params = nullptr;
  s = LoadConfiguration(&config, &params, &datadir);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(s.message(), expected);
}

TEST_F(DataDirTest, ConfThatIsADirectoryIsRefused) {
  std::filesystem::create_directories(dir_ / "confdir");
  Config config;
  AddNodeArgs(&config);
  const std::string datadir = "-datadir=" + dir_.string();
  const char* argv[] = {"computecoind", datadir.c_str(), "-conf=confdir"};
  ASSERT_TRUE(config.ParseCommandLine(3, argv).ok());
  const ChainParams* params = nullptr;
  std::filesystem::path network_dir;
  const Status s = LoadConfiguration(&config, &params, &network_dir);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(s.message(), "Config file \"" + (dir_ / "confdir").string() + "\" is a directory.");
}

TEST_F(DataDirTest, DefaultConfThatIsADirectoryIsRefused) {
  std::filesystem::create_directories(dir_ / "computecoin.conf");
  Config config;
  AddNodeArgs(&config);
  const std::string datadir = "-datadir=" + dir_.string();
  const char* argv[] = {"computecoind", datadir.c_str()};
  ASSERT_TRUE(config.ParseCommandLine(2, argv).ok());
  const ChainParams* params = nullptr;
  std::filesystem::path network_dir;
  const Status s = LoadConfiguration(&config, &params, &network_dir);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(s.message(),
            "Config file \"" + (dir_ / "computecoin.conf").string() + "\" is a directory.");
}

TEST_F(DataDirTest, LoadConfigurationReadsTheFileAndCreatesTheNetworkDir) {
  {
    std::ofstream conf(dir_ / "computecoin.conf");
    conf << "regtest=1\n[regtest]\nrpcuser=fromconf\n";
  }
  Config config;
  AddNodeArgs(&config);
  const std::string arg = "-datadir=" + dir_.string();
  const char* argv[] = {"computecoind", arg.c_str()};
  ASSERT_TRUE(config.ParseCommandLine(2, argv).ok());
  const ChainParams* params = nullptr;
  std::filesystem::path network_dir;
  ASSERT_TRUE(LoadConfiguration(&config, &params, &network_dir).ok());
  EXPECT_EQ(params->name, "regtest");
  EXPECT_EQ(network_dir, dir_ / "regtest");
  EXPECT_TRUE(std::filesystem::is_directory(network_dir));
  EXPECT_EQ(config.GetArg("rpcuser", ""), "fromconf");
}

TEST_F(DataDirTest, ExplicitConfMustExist) {
  Config config;
  AddNodeArgs(&config);
  const std::string datadir = "-datadir=" + dir_.string();
  const char* argv[] = {"computecoind", datadir.c_str(), "-conf=missing.conf"};
  ASSERT_TRUE(config.ParseCommandLine(3, argv).ok());
  const ChainParams* params = nullptr;
  std::filesystem::path network_dir;
  const Status s = LoadConfiguration(&config, &params, &network_dir);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(s.message(), "Error reading configuration file: specified config file " +
                             (dir_ / "missing.conf").string() + " could not be opened");
}

}  // namespace
}  // namespace cc
