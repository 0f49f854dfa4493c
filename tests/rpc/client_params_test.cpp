// The cli's conversion of command-line arguments to JSON-RPC params.

#include <gtest/gtest.h>

#include "rpc/client.h"

namespace cc::rpc {
namespace {

TEST(CliParamsTest, PositionalParamsFollowTheConversionTable) {
  json params;
  ASSERT_TRUE(CliPositionalParams("getblockhash", {"5"}, &params).ok());
  EXPECT_EQ(params, json::array({5}));
  ASSERT_TRUE(CliPositionalParams("getblockheader", {"00ff", "false"}, &params).ok());
  EXPECT_EQ(params, json::array({"00ff", false}));  // the hash stays a string
  ASSERT_TRUE(CliPositionalParams("help", {"getblock"}, &params).ok());
  EXPECT_EQ(params, json::array({"getblock"}));
  ASSERT_TRUE(CliPositionalParams("nosuchmethod", {"1", "true"}, &params).ok());
  EXPECT_EQ(params, json::array({"1", "true"}));  // unknown methods get strings
}

TEST(CliParamsTest, PositionalJsonThatDoesNotParse) {
  json params;
  const Status s = CliPositionalParams("getblockhash", {"ten"}, &params);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(s.message(), "Error parsing JSON: ten");
}

TEST(CliParamsTest, NamedParams) {
  json params;
  ASSERT_TRUE(CliNamedParams("getblockheader", {"blockhash=00ff", "verbose=false"}, &params).ok());
  EXPECT_EQ(params, (json{{"blockhash", "00ff"}, {"verbose", false}}));
  ASSERT_TRUE(CliNamedParams("getheaders", {"count=3", "start=1"}, &params).ok());
  EXPECT_EQ(params, (json{{"start", 1}, {"count", 3}}));
  ASSERT_TRUE(CliNamedParams("help", {"command=a=b"}, &params).ok());
  EXPECT_EQ(params, (json{{"command", "a=b"}}));  // only the first '=' separates
}

TEST(CliParamsTest, NamedParamsErrors) {
  json params;
  EXPECT_TRUE(CliNamedParams("getblockhash", {"5"}, &params).IsInvalidArgument());
  EXPECT_TRUE(CliNamedParams("getblockhash", {"=5"}, &params).IsInvalidArgument());
  EXPECT_TRUE(CliNamedParams("getblockhash", {"height=five"}, &params).IsInvalidArgument());
}

TEST(CliParamsTest, TableRowsAreUnique) {
  const auto rows = CliJsonParams();
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t j = i + 1; j < rows.size(); ++j) {
      const bool same_method = std::string(rows[i].method) == rows[j].method;
      EXPECT_FALSE(same_method && rows[i].index == rows[j].index) << rows[i].method;
      EXPECT_FALSE(same_method && std::string(rows[i].name) == rows[j].name) << rows[i].method;
    }
  }
}

}  // namespace
}  // namespace cc::rpc
