// Fuzz target: the hex codec (chain/hex.h). The input is read two ways:
//   as text: if ParseHex accepts it, HexStr gives it back in lower case, and
//            ParseHexInto agrees;
//   as bytes: HexStr of them parses back to the same bytes.

#include "chain/hex.h"

#include <cctype>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tests/fuzz/fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<uint8_t> bytes = {0xaa};  // ParseHex leaves it alone on failure
  if (cc::ParseHex(text, &bytes)) {
    std::string lower(text);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    CC_FUZZ_CHECK(cc::HexStr(bytes) == lower);
    std::vector<uint8_t> into(bytes.size());
    CC_FUZZ_CHECK(cc::ParseHexInto(text, into) && into == bytes);
  } else {
    CC_FUZZ_CHECK(bytes == std::vector<uint8_t>{0xaa});
    std::vector<uint8_t> into(size / 2);
    CC_FUZZ_CHECK(!cc::ParseHexInto(text, into));
  }

  const std::string hex = cc::HexStr(std::span(data, size));
  CC_FUZZ_CHECK(hex.size() == 2 * size);
  std::vector<uint8_t> back;
  CC_FUZZ_CHECK(cc::ParseHex(hex, &back));
  CC_FUZZ_CHECK(std::ranges::equal(back, std::span(data, size)));
  return 0;
}
