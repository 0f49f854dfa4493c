#include "node/rendered_blocks.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace cc {
namespace {

Uint256 HashOf(uint8_t n) {
  Uint256 hash;
  hash.data()[0] = n;
  return hash;
}

TEST(RenderedBlocksTest, RendersOncePerBlockAndVerbosity) {
  RenderedBlocks cache(1000);
  int renders = 0;
  auto render = [&] {
    ++renders;
    return std::string("\"size\":") + std::to_string(renders);
  };
  EXPECT_EQ(*cache.Get(HashOf(1), 2, render), "\"size\":1");
  EXPECT_EQ(*cache.Get(HashOf(1), 2, render), "\"size\":1");
  EXPECT_EQ(*cache.Get(HashOf(1), 1, render), "\"size\":2");
  EXPECT_EQ(*cache.Get(HashOf(2), 2, render), "\"size\":3");
  EXPECT_EQ(renders, 3);
  EXPECT_EQ(cache.bytes(), 3 * std::string("\"size\":1").size());
}

TEST(RenderedBlocksTest, EvictsTheLeastRecentlyUsedBeyondItsBytes) {
  RenderedBlocks cache(400);  // texts of up to 100 bytes are kept
  int renders = 0;
  auto render = [&] {
    ++renders;
    return std::string(100, 'x');
  };
  for (uint8_t n = 0; n < 4; ++n) cache.Get(HashOf(n), 2, render);
  cache.Get(HashOf(0), 2, render);  // 0 becomes the most recent
  cache.Get(HashOf(4), 2, render);  // pushes out 1, the least recent
  EXPECT_EQ(renders, 5);
  EXPECT_EQ(cache.bytes(), 400u);
  cache.Get(HashOf(0), 2, render);
  EXPECT_EQ(renders, 5);
  cache.Get(HashOf(1), 2, render);
  EXPECT_EQ(renders, 6);
  EXPECT_EQ(cache.bytes(), 400u);
}

TEST(RenderedBlocksTest, KeepsNeitherAnOversizeTextNorAFailedRender) {
  RenderedBlocks cache(400);
  int renders = 0;
  auto big = [&] {
    ++renders;
    return std::string(101, 'x');
  };
  EXPECT_EQ(cache.Get(HashOf(1), 2, big)->size(), 101u);
  cache.Get(HashOf(1), 2, big);
  EXPECT_EQ(renders, 2);
  EXPECT_EQ(cache.bytes(), 0u);

  EXPECT_THROW(cache.Get(HashOf(2), 2, []() -> std::string { throw std::runtime_error("gone"); }),
               std::runtime_error);
  EXPECT_EQ(*cache.Get(HashOf(2), 2, [] { return std::string("ok"); }), "ok");
}

}  // namespace
}  // namespace cc
