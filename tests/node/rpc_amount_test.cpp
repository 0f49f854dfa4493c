// Amounts in and out of JSON (node/rpc_wallet_util.h): parsed exactly from
// strings, integers and floats; written with 8 decimals; the errors.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "node/rpc_wallet_util.h"
#include "rpc/json_format.h"
#include "rpc/protocol.h"

namespace cc {
namespace {

using rpc::json;

/// The code of the RpcError AmountFromValue throws; 0 if none.
int ErrorOf(const json& value, std::string* message = nullptr) {
  try {
    AmountFromValue(value);
  } catch (const rpc::RpcError& e) {
    if (message != nullptr) *message = e.what();
    return e.code();
  }
  return 0;
}

TEST(RpcAmountTest, ParsesDecimalsExactly) {
  EXPECT_EQ(AmountFromValue(json("0.1")), 10'000'000);
  EXPECT_EQ(AmountFromValue(json::parse("0.1")), 10'000'000);
  EXPECT_EQ(AmountFromValue(json::parse("0.29")), 29'000'000);  // 0.29 * 1e8 = 28999999.999...
  EXPECT_EQ(AmountFromValue(json::parse("1e-8")), 1);
  EXPECT_EQ(AmountFromValue(json("1e-8")), 1);
  EXPECT_EQ(AmountFromValue(json::parse("7")), 700'000'000);
  EXPECT_EQ(AmountFromValue(json::parse("20999999.99999999")), 2'099'999'999'999'999);
  EXPECT_EQ(AmountFromValue(json("20999999.99999999")), 2'099'999'999'999'999);
  EXPECT_EQ(AmountFromValue(json::parse("0.00000356")), 356);
}

TEST(RpcAmountTest, RoundTripsThroughTheReplyText) {
  for (Amount units : {Amount{0}, Amount{1}, Amount{356}, Amount{10'000'000}, Amount{29'000'000},
                       Amount{123'456'789}, Amount{2'099'999'999'999'999}}) {
    const std::string text = rpc::DumpJson(ValueFromAmount(units));
    EXPECT_EQ(AmountFromValue(json::parse(text)), units) << text;
    EXPECT_EQ(AmountFromValue(json(text)), units) << text;
  }
  EXPECT_EQ(rpc::DumpJson(ValueFromAmount(29'000'000)), "0.29000000");
}

TEST(RpcAmountTest, RefusesSubUnitsAndBadTypes) {
  std::string message;
  EXPECT_EQ(ErrorOf(json("0.000000001"), &message), rpc::kRpcTypeError);
  EXPECT_EQ(message, "Invalid amount");
  EXPECT_EQ(ErrorOf(json::parse("0.000000001")), rpc::kRpcTypeError);
  EXPECT_EQ(ErrorOf(json::parse("0.123456789")), rpc::kRpcTypeError);
  EXPECT_EQ(ErrorOf(json("abc")), rpc::kRpcTypeError);
  EXPECT_EQ(ErrorOf(json(true), &message), rpc::kRpcTypeError);
  EXPECT_EQ(message, "Amount is not a number or string");
  EXPECT_EQ(ErrorOf(json::parse("-1"), &message), rpc::kRpcTypeError);
  EXPECT_EQ(message, "Amount out of range");
  EXPECT_EQ(ErrorOf(json("1000000000.00000001"), &message), rpc::kRpcTypeError);
  EXPECT_EQ(message, "Amount out of range");
  // Above 2^53 units a float is read from its text (rpc_wallet_util.h).
  EXPECT_EQ(AmountFromValue(json::parse("100000000.5")), 10'000'000'050'000'000);
}

}  // namespace
}  // namespace cc
