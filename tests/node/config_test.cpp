// Config: command line, configuration file sections, negation, precedence,
// and the errors for everything it must refuse.

#include "node/common/config.h"

#include <sstream>

#include <gtest/gtest.h>

#include "node/common/args.h"
#include "node/node_args.h"

namespace cc {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { AddNodeArgs(&config_); }

  Status Parse(std::vector<const char*> args) {
    args.insert(args.begin(), "computecoind");
    return config_.ParseCommandLine(static_cast<int>(args.size()), args.data());
  }
  Status Read(const std::string& text) {
    std::istringstream in(text);
    return config_.ReadConfigStream(in, "computecoin.conf");
  }
  std::string Select() {
    const ChainParams* params = nullptr;
    Status s = config_.SelectNetwork(&params);
    return s.ok() ? params->name : s.ToString();
  }

  Config config_;
};

TEST_F(ConfigTest, CommandLineForms) {
  ASSERT_TRUE(Parse({"-rpcuser=alice", "--rpcport=1234", "-printtoconsole", "-noserver"}).ok());
  EXPECT_EQ(config_.GetArg("rpcuser", ""), "alice");
  EXPECT_EQ(config_.GetIntArg("rpcport", 0), 1234);
  EXPECT_TRUE(config_.GetBoolArg("printtoconsole", false));
  EXPECT_FALSE(config_.GetBoolArg("server", true));
  EXPECT_TRUE(config_.IsNegated("server"));
  EXPECT_FALSE(config_.IsSet("rpcpassword"));
  EXPECT_EQ(config_.GetArg("rpcpassword", "fallback"), "fallback");
}

TEST_F(ConfigTest, LastCommandLineValueWins) {
  ASSERT_TRUE(Parse({"-rpcport=1", "-rpcport=2"}).ok());
  EXPECT_EQ(config_.GetIntArg("rpcport", 0), 2);
}

TEST_F(ConfigTest, PositionalArgumentsEndTheOptions) {
  ASSERT_TRUE(Parse({"-regtest", "getblockhash", "-1"}).ok());
  EXPECT_EQ(config_.positional(), (std::vector<std::string>{"getblockhash", "-1"}));
}

TEST_F(ConfigTest, UnknownCommandLineOption) {
  const Status s = Parse({"-rpcprot=1234"});
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(s.message(), "Invalid parameter -rpcprot");
}

TEST_F(ConfigTest, TypedValuesAreChecked) {
  EXPECT_EQ(Parse({"-rpcport=abc"}).message(),
            "Invalid value for -rpcport=abc: expected an integer");
  EXPECT_EQ(Parse({"-rpcport=12x"}).message(),
            "Invalid value for -rpcport=12x: expected an integer");
  EXPECT_EQ(Parse({"-printtoconsole=yes"}).message(),
            "Invalid value for -printtoconsole=yes: expected 0 or 1");
  EXPECT_EQ(Parse({"-noprinttoconsole=2"}).message(),
            "negated option -noprinttoconsole takes no value other than 0 or 1, got '2'");
}

TEST_F(ConfigTest, DoubleNegation) {
  ASSERT_TRUE(Parse({"-noprinttoconsole=0"}).ok());
  EXPECT_TRUE(config_.GetBoolArg("printtoconsole", false));
}

TEST_F(ConfigTest, FileTopLevelAndSections) {
  ASSERT_TRUE(Read("# a comment\n"
                   "rpcuser = top   # trailing comment\n"
                   "rpcpassword=toppw\n"
                   "\n"
                   "[regtest]\n"
                   "rpcuser=reg\n"
                   "rpcport=5555\n"
                   "[test]\n"
                   "rpcuser=testuser\n"
                   "devnet.rpcuser=devuser\n")
                  .ok());
  ASSERT_TRUE(Parse({"-regtest"}).ok());
  EXPECT_EQ(Select(), "regtest");
  EXPECT_EQ(config_.GetArg("rpcuser", ""), "reg");        // section beats top level
  EXPECT_EQ(config_.GetArg("rpcpassword", ""), "toppw");  // top level applies to every network
  EXPECT_EQ(config_.GetIntArg("rpcport", 0), 5555);
}

TEST_F(ConfigTest, DottedSectionPrefix) {
  ASSERT_TRUE(Read("devnet.rpcuser=devuser\nrpcuser=top\n").ok());
  ASSERT_TRUE(Parse({"-devnet"}).ok());
  EXPECT_EQ(Select(), "devnet");
  EXPECT_EQ(config_.GetArg("rpcuser", ""), "devuser");
}

TEST_F(ConfigTest, CommandLineBeatsFile) {
  ASSERT_TRUE(Read("[regtest]\nrpcuser=fromfile\n").ok());
  ASSERT_TRUE(Parse({"-regtest", "-rpcuser=fromcli"}).ok());
  EXPECT_EQ(Select(), "regtest");
  EXPECT_EQ(config_.GetArg("rpcuser", ""), "fromcli");
}

TEST_F(ConfigTest, NetworkOnlyOptionsStayOutOfOtherNetworks) {
  ASSERT_TRUE(Read("rpcport=1111\n").ok());
  ASSERT_TRUE(Parse({"-regtest"}).ok());
  EXPECT_EQ(Select(), "regtest");
  EXPECT_FALSE(config_.IsSet("rpcport"));
  ASSERT_EQ(config_.Warnings().size(), 1u);
  EXPECT_NE(config_.Warnings()[0].find("-rpcport"), std::string::npos);
}

TEST_F(ConfigTest, NetworkOnlyOptionsApplyOnMain) {
  ASSERT_TRUE(Read("rpcport=1111\n").ok());
  EXPECT_EQ(Select(), "main");
  EXPECT_EQ(config_.GetIntArg("rpcport", 0), 1111);
  EXPECT_TRUE(config_.Warnings().empty());
}

TEST_F(ConfigTest, MultiValuesCollectAndNegationClears) {
  ASSERT_TRUE(Read("rpcauth=a:s$" + std::string(64, '0') + "\n[regtest]\nrpcauth=b:s$" +
                   std::string(64, '1') + "\n")
                  .ok());
  ASSERT_TRUE(Parse({"-regtest", "-rpcallowip=10.0.0.1", "-rpcallowip=10.0.0.2"}).ok());
  EXPECT_EQ(Select(), "regtest");
  EXPECT_EQ(config_.GetArgs("rpcauth").size(), 2u);  // section then top level
  EXPECT_EQ(config_.GetArgs("rpcallowip"), (std::vector<std::string>{"10.0.0.1", "10.0.0.2"}));

  Config negated;
  AddNodeArgs(&negated);
  std::istringstream in("rpcallowip=10.0.0.1\n");
  ASSERT_TRUE(negated.ReadConfigStream(in, "computecoin.conf").ok());
  const char* args[] = {"computecoind", "-norpcallowip", "-rpcallowip=10.0.0.9"};
  ASSERT_TRUE(negated.ParseCommandLine(3, args).ok());
  EXPECT_EQ(negated.GetArgs("rpcallowip"), std::vector<std::string>{"10.0.0.9"});
}

TEST_F(ConfigTest, NetworkSelection) {
  EXPECT_EQ(Select(), "main");
  ASSERT_TRUE(Parse({"-chain=test"}).ok());
  EXPECT_EQ(Select(), "test");
}

TEST_F(ConfigTest, NetworkSelectionFromFileTopLevel) {
  ASSERT_TRUE(Read("regtest=1\n").ok());
  EXPECT_EQ(Select(), "regtest");
}

TEST_F(ConfigTest, ConflictingNetworks) {
  ASSERT_TRUE(Parse({"-regtest", "-testnet"}).ok());
  EXPECT_EQ(Select(),
            "InvalidArgument: Invalid combination of -regtest, -testnet, -devnet and -chain. Can "
            "use at most one.");
}

TEST_F(ConfigTest, UnknownChainName) {
  ASSERT_TRUE(Parse({"-chain=mainnet"}).ok());
  EXPECT_EQ(Select(),
            "InvalidArgument: unknown chain 'mainnet' (-chain must be one of main, test, devnet, "
            "regtest)");
}

TEST_F(ConfigTest, FileUnknownOption) {
  const Status s = Read("rpcuser=a\nfoo=bar\n");
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(s.message(), "parse error on line 2 of computecoin.conf: unknown option 'foo'");
}

TEST_F(ConfigTest, FileLineWithoutEquals) {
  EXPECT_EQ(Read("rpcuser\n").message(),
            "parse error on line 1 of computecoin.conf: 'rpcuser' is not name=value");
  EXPECT_EQ(Read("noserver\n").message(),
            "parse error on line 1 of computecoin.conf: 'noserver' is not name=value; to negate an "
            "option write "
            "noserver=1");
}

TEST_F(ConfigTest, FileLeadingDash) {
  EXPECT_EQ(Read("-rpcuser=a\n").message(),
            "parse error on line 1 of computecoin.conf: '-rpcuser=a': options in the configuration "
            "file are "
            "written without a leading '-'");
}

TEST_F(ConfigTest, FileUnknownSection) {
  EXPECT_EQ(Read("[mainnet]\n").message(),
            "parse error on line 1 of computecoin.conf: unknown section [mainnet] (sections are "
            "[main], [test], "
            "[devnet], [regtest])");
  EXPECT_EQ(Read("[regtest\n").message(),
            "parse error on line 1 of computecoin.conf: unterminated section '[regtest'");
  EXPECT_TRUE(Read("foo.rpcuser=x\n").IsInvalidArgument());
}

TEST_F(ConfigTest, FileCannotSetCommandLineOnlyOptions) {
  EXPECT_EQ(Read("conf=other.conf\n").message(),
            "parse error on line 1 of computecoin.conf: -conf cannot be set in the configuration "
            "file, only on the "
            "command line");
}

TEST_F(ConfigTest, FileNegationAndBadValue) {
  ASSERT_TRUE(Read("noserver=1\n").ok());
  EXPECT_FALSE(config_.GetBoolArg("server", true));
  EXPECT_EQ(Read("rpcthreads=four\n").message(),
            "parse error on line 1 of computecoin.conf: Invalid value for -rpcthreads=four: "
            "expected an integer");
}

TEST_F(ConfigTest, OtherProgramsOptionsAreAcceptedOnlyInTheFile) {
  // One computecoin.conf serves the node, the cli and the light client.
  Config cli;
  AddCliArgs(&cli);
  std::istringstream in("rpcauth=a:b$" + std::string(64, '0') + "\nrpcthreads=2\nrpcwait=1\n");
  ASSERT_TRUE(cli.ReadConfigStream(in, "computecoin.conf").ok());
  ASSERT_EQ(cli.Warnings().size(), 2u);  // the node's options: skipped by the cli
  EXPECT_EQ(cli.Warnings()[0], "Ignoring unknown option 'rpcauth' on line 1 of computecoin.conf");
  const char* args[] = {"computecoin-cli", "-rpcthreads=2"};
  EXPECT_EQ(cli.ParseCommandLine(2, args).message(), "Invalid parameter -rpcthreads");
  EXPECT_EQ(cli.HelpMessage().find("-rpcthreads"), std::string::npos);
  EXPECT_NE(cli.HelpMessage().find("-rpcwait"), std::string::npos);

  ASSERT_TRUE(Read("rpcwait=1\nrpcconnect=127.0.0.1\n").ok());  // cli options in the node's view
  EXPECT_EQ(Parse({"-rpcwait"}).message(), "Invalid parameter -rpcwait");
}

TEST_F(ConfigTest, HelpListsEveryOption) {
  const std::string help = config_.HelpMessage();
  for (const char* option :
       {"-rpcport=<port>", "-rpcauth=<userpw>", "-regtest", "-datadir=<dir>", "-printtoconsole"}) {
    EXPECT_NE(help.find(option), std::string::npos) << option;
  }
}

}  // namespace
}  // namespace cc
