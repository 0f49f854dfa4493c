// DumpJson: amounts with exactly 8 decimals, everything else as
// json::dump writes it, compact and pretty.

#include "rpc/json_format.h"
#include "rpc/protocol.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace cc::rpc {
namespace {

double Coins(int64_t units) { return static_cast<double>(units) / 1e8; }

TEST(JsonFormatTest, AmountsHaveEightDecimals) {
  EXPECT_EQ(DumpJson(json(Coins(10'000'000))), "0.10000000");
  EXPECT_EQ(DumpJson(json(Coins(356))), "0.00000356");
  EXPECT_EQ(DumpJson(json(Coins(1))), "0.00000001");
  EXPECT_EQ(DumpJson(json(Coins(-150'000'000))), "-1.50000000");
  EXPECT_EQ(DumpJson(json(Coins(0))), "0.00000000");
  EXPECT_EQ(DumpJson(json(Coins(2'099'999'999'999'999))), "20999999.99999999");
}

TEST(JsonFormatTest, OtherFloatsKeepFullPrecision) {
  EXPECT_EQ(DumpJson(json(1.0 / 3.0)), json(1.0 / 3.0).dump());
  EXPECT_EQ(DumpJson(json(1e-9)), json(1e-9).dump());
  EXPECT_EQ(DumpJson(json(1e300)), json(1e300).dump());
}

TEST(JsonFormatTest, EveryAmountRoundTripsExactly) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> any(-2'100'000'000'000'000, 2'100'000'000'000'000);
  for (int i = 0; i < 200'000; ++i) {
    const int64_t units = i < 100'000 ? i : any(rng);
    int64_t back = 0;
    ASSERT_TRUE(UnitsOfCoinValue(Coins(units), &back)) << units;
    ASSERT_EQ(back, units);
    // The text parses back (as a client would) to the same double.
    const std::string text = DumpJson(json(Coins(units)));
    ASSERT_EQ(json::parse(text).get<double>(), Coins(units)) << text;
  }
}

TEST(JsonFormatTest, UnitsOfCoinValueRefusesSubUnitValues) {
  int64_t units = 42;
  EXPECT_FALSE(UnitsOfCoinValue(0.123456789, &units));
  EXPECT_FALSE(UnitsOfCoinValue(1e-9, &units));
  EXPECT_FALSE(UnitsOfCoinValue(1e17, &units));
  EXPECT_EQ(units, 42);
}

TEST(JsonFormatTest, MatchesDumpForEverythingElse) {
  const json value = json::parse(
      R"({"a":[1,-2,true,null,"x\u00e9"],"b":{},"c":[],"d":{"e":18446744073709551615}})");
  EXPECT_EQ(DumpJson(value), value.dump());
  EXPECT_EQ(DumpJson(value, 2), value.dump(2));
  EXPECT_EQ(DumpJson(json::array()), "[]");
}

TEST(JsonFormatTest, NestedAmountsPrettyPrinted) {
  const json value = {{"fee", Coins(1000)}, {"list", {Coins(250'000'000)}}};
  EXPECT_EQ(DumpJson(value), R"({"fee":0.00001000,"list":[2.50000000]})");
  EXPECT_EQ(DumpJson(value, 2), "{\n  \"fee\": 0.00001000,\n  \"list\": [\n    2.50000000\n  ]\n}");
}

// Strings and integers are written without json::dump where they need no
// escaping: the output must stay what dump writes, escapes and all.
TEST(JsonFormatTest, StringsAndIntegersMatchDump) {
  const json value = {{"plain", "abc0123 ~!"},
                      {"quote", "a\"b"},
                      {"backslash", "a\\b"},
                      {"control", std::string("a\x01\tb\n")},
                      {"del", std::string("a\x7f")},
                      {"utf8", "caf\u00e9 \u20ac"},
                      {"key \"quoted\"", 1},
                      {"ints", {0, -1, INT64_MIN, INT64_MAX, UINT64_MAX, 42u}},
                      {"flags", {true, false, nullptr}}};
  EXPECT_EQ(DumpJson(value), value.dump());
  EXPECT_EQ(DumpJson(value, 1), value.dump(1));
}

TEST(JsonFormatTest, InvalidUtf8IsReplacedNotThrown) {
  const json value = std::string("a\xff");
  EXPECT_EQ(DumpJson(value), value.dump(-1, ' ', false, json::error_handler_t::replace));
}

}  // namespace
}  // namespace cc::rpc

namespace cc::rpc {
namespace {

// FieldOr reads JSON from outside the process: another type or a value out
// of T's range gives the fallback, never an exception.
TEST(FieldOrTest, FallsBackOnAnotherTypeOrRange) {
  const json object = {{"s", "text"}, {"n", 7}, {"neg", -3}, {"big", uint64_t{1} << 40},
                       {"b", true},   {"f", 1.5}};
  EXPECT_EQ(FieldOr<std::string>(object, "s", "x"), "text");
  EXPECT_EQ(FieldOr<std::string>(object, "n", "x"), "x");
  EXPECT_EQ(FieldOr<std::string>(object, "missing", "x"), "x");
  EXPECT_EQ(FieldOr<int>(object, "n", -1), 7);
  EXPECT_EQ(FieldOr<int>(object, "neg", 0), -3);
  EXPECT_EQ(FieldOr<uint32_t>(object, "neg", 9), 9u);
  EXPECT_EQ(FieldOr<int>(object, "big", -1), -1);
  EXPECT_EQ(FieldOr<int64_t>(object, "big", -1), int64_t{1} << 40);
  EXPECT_EQ(FieldOr<int>(object, "f", -1), -1);
  EXPECT_EQ(FieldOr<int>(object, "s", -1), -1);
  EXPECT_EQ(FieldOr<bool>(object, "b", false), true);
  EXPECT_EQ(FieldOr<bool>(object, "n", false), false);
  EXPECT_EQ(FieldOr<int>(json::array({1}), "n", -1), -1);
  EXPECT_EQ(FieldOr<int>(json(), "n", -1), -1);
}

}  // namespace
}  // namespace cc::rpc

namespace cc::rpc {
namespace {

// The writer's text is DumpJson's text of the same document: commas,
// colons, escaping, the amount rule and integers alike.
TEST(JsonWriterTest, WritesWhatDumpJsonWritesForTheSameDocument) {
  const std::vector<uint8_t> bytes = {0x00, 0xab, 0xff};
  std::string text;
  JsonWriter out(&text);
  out.BeginObject();
  out.Key("s").String("quote \" back \\ tab \t é");
  out.Key("hex").Hex(bytes);
  out.Key("neg").Int(-5);
  out.Key("big").Uint(std::numeric_limits<uint64_t>::max());
  out.Key("amount").Amount(12'345'678'900);
  out.Key("ratio").Double(1.0 / 3);
  out.Key("empty").BeginArray().EndArray();
  out.Key("list").BeginArray().Bool(true).Null().BeginObject().Key("k").Int(1).EndObject();
  out.Value(json{{"nested", {1, 2}}}).EndArray();
  out.Key("o").BeginObject().EndObject();
  out.EndObject();

  const json tree = {{"s", "quote \" back \\ tab \t é"},
                     {"hex", "00abff"},
                     {"neg", -5},
                     {"big", std::numeric_limits<uint64_t>::max()},
                     {"amount", 123.456789},
                     {"ratio", 1.0 / 3},
                     {"empty", json::array()},
                     {"list", {true, nullptr, {{"k", 1}}, {{"nested", {1, 2}}}}},
                     {"o", json::object()}};
  // The tree's keys are sorted; the writer keeps the order it was given.
  EXPECT_EQ(json::parse(text), json::parse(DumpJson(tree)));
  EXPECT_NE(text.find("\"amount\":123.45678900,"), std::string::npos) << text;
  EXPECT_NE(text.find("\"list\":[true,null,{\"k\":1},{\"nested\":[1,2]}]"), std::string::npos)
      << text;
}

// Amounts a double cannot carry exactly (above 2^53 units) are written from
// the integer, digit for digit.
TEST(JsonWriterTest, AmountsBeyondDoublePrecisionAreExact) {
  std::string text;
  JsonWriter out(&text);
  out.BeginArray()
      .Amount((int64_t{1} << 53) + 1)
      .Amount(99'999'999'999'999'999)
      .Amount(-1)
      .Amount(std::numeric_limits<int64_t>::min())
      .EndArray();
  EXPECT_EQ(text,
            "[90071992.54740993,999999999.99999999,-0.00000001,-92233720368.54775808]");
}

// Members written by another writer join the object with the commas due.
TEST(JsonWriterTest, MembersJoinTheObjectBegun) {
  std::string members;
  JsonWriter inner(&members);
  inner.Key("b").Int(2).Key("c").BeginArray().Int(3).EndArray();

  std::string text;
  JsonWriter out(&text);
  out.BeginObject().Key("a").Int(1).Members(members).Members("").Key("d").Bool(true).EndObject();
  EXPECT_EQ(text, "{\"a\":1,\"b\":2,\"c\":[3],\"d\":true}");

  std::string first;
  JsonWriter lead(&first);
  lead.BeginObject().Members(members).EndObject();
  EXPECT_EQ(first, "{\"b\":2,\"c\":[3]}");
}

// A method's RawJson result is spliced into the reply as it was written.
TEST(JsonWriterTest, RawJsonIsWrittenVerbatim) {
  const json reply = {{"result", RawJson("{\"b\":1,\"a\":[2.50000000]}")}, {"id", 7}};
  EXPECT_EQ(DumpJson(reply), "{\"id\":7,\"result\":{\"b\":1,\"a\":[2.50000000]}}");
}

}  // namespace
}  // namespace cc::rpc
