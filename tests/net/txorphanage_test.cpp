// TxOrphanage: the bounds (size, count, bytes, per peer), expiry, removal by
// peer and by block, and finding children by parent. TokenBucket: burst, refill,
// cap.

#include "net/txorphanage.h"

#include <gtest/gtest.h>

#include "chain/serialize.h"
#include "net/rate_limit.h"

namespace cc::net {
namespace {

using Clock = TxOrphanage::Clock;

Uint256 Hash(uint8_t tag) {
  Uint256 h;
  h.data()[0] = tag;
  h.data()[1] = 0x5a;
  return h;
}

/** A transaction spending `prevouts`, made distinct by `salt`. */
Transaction Spending(std::vector<OutPoint> prevouts, uint32_t salt = 0) {
  Transaction tx;
  for (const OutPoint& p : prevouts) {
    TxIn in;
    in.prevout = p;
    tx.inputs.push_back(in);
  }
  tx.outputs.push_back(TxOut{});
  tx.lock_height = salt;
  return tx;
}

size_t Size(const Transaction& tx) { return Serialize(tx).size(); }

TEST(TxOrphanageTest, FindsChildrenByParentOldestFirst) {
  TxOrphanage orphans;
  const Clock::time_point now = Clock::now();
  const Transaction a = Spending({{Hash(1), 1}}, 1);
  const Transaction b = Spending({{Hash(1), 0}, {Hash(2), 0}}, 2);
  const Transaction c = Spending({{Hash(3), 0}}, 3);
  ASSERT_TRUE(orphans.Add(a, Size(a), 7, now));
  ASSERT_TRUE(orphans.Add(b, Size(b), 7, now));
  ASSERT_TRUE(orphans.Add(c, Size(c), 8, now));
  EXPECT_FALSE(orphans.Add(a, Size(a), 8, now)) << "a duplicate is not kept twice";
  EXPECT_EQ(orphans.ChildrenOf(Hash(1)), (std::vector<Uint256>{a.Txid(), b.Txid()}));
  EXPECT_EQ(orphans.ChildrenOf(Hash(2)), (std::vector<Uint256>{b.Txid()}));
  EXPECT_TRUE(orphans.ChildrenOf(Hash(4)).empty());
  Transaction got;
  PeerId from = -1;
  ASSERT_TRUE(orphans.Get(c.Txid(), &got, &from));
  EXPECT_EQ(got, c);
  EXPECT_EQ(from, 8);
  EXPECT_EQ(orphans.bytes(), Size(a) + Size(b) + Size(c));
  EXPECT_TRUE(orphans.Erase(b.Txid()));
  EXPECT_FALSE(orphans.Erase(b.Txid()));
  EXPECT_EQ(orphans.ChildrenOf(Hash(1)), (std::vector<Uint256>{a.Txid()}));
  EXPECT_TRUE(orphans.ChildrenOf(Hash(2)).empty());
  EXPECT_EQ(orphans.bytes(), Size(a) + Size(c));
}

TEST(TxOrphanageTest, RefusesOversizedOrphans) {
  TxOrphanage orphans;
  const Transaction tx = Spending({{Hash(1), 0}});
  EXPECT_FALSE(orphans.Add(tx, kMaxOrphanTxSize + 1, 1, Clock::now()));
  EXPECT_EQ(orphans.size(), 0u);
  EXPECT_TRUE(orphans.Add(tx, kMaxOrphanTxSize, 1, Clock::now()));
}

TEST(TxOrphanageTest, CountCapEvictsAtRandom) {
  OrphanLimits limits;
  limits.max_count = 10;
  TxOrphanage orphans(limits, /*rng_seed=*/42);
  const Clock::time_point now = Clock::now();
  std::vector<Uint256> added;
  for (uint32_t i = 0; i < 50; ++i) {
    const Transaction tx = Spending({{Hash(1), i}}, i);
    orphans.Add(tx, Size(tx), /*from=*/i % 5, now);
    added.push_back(tx.Txid());
    EXPECT_LE(orphans.size(), 10u);
  }
  EXPECT_EQ(orphans.size(), 10u);
  // Random, not oldest-first nor newest-first: survivors are spread over the arrivals.
  size_t early = 0;
  for (size_t i = 0; i < 40; ++i) early += orphans.Have(added[i]);
  EXPECT_GT(early, 0u) << "eviction is not newest-kept";
  size_t last_ten = 0;
  for (size_t i = 40; i < 50; ++i) last_ten += orphans.Have(added[i]);
  EXPECT_LT(last_ten, 10u) << "eviction is not oldest-first";
  EXPECT_EQ(orphans.ChildrenOf(Hash(1)).size(), 10u);
}

TEST(TxOrphanageTest, ByteCapsHoldOverallAndPerPeer) {
  OrphanLimits limits;
  limits.max_bytes = 10'000;
  limits.max_bytes_per_peer = 3'000;
  TxOrphanage orphans(limits, 7);
  const Clock::time_point now = Clock::now();
  // One peer sending 1000-byte orphans keeps its newest three.
  std::vector<Uint256> mine;
  for (uint32_t i = 0; i < 6; ++i) {
    const Transaction tx = Spending({{Hash(2), i}}, i);
    orphans.Add(tx, 1000, /*from=*/1, now);
    mine.push_back(tx.Txid());
  }
  EXPECT_EQ(orphans.PeerBytes(1), 3000u);
  EXPECT_FALSE(orphans.Have(mine[2]));
  EXPECT_TRUE(orphans.Have(mine[3]) && orphans.Have(mine[4]) && orphans.Have(mine[5]));
  // Many peers together stay under the overall cap.
  for (uint32_t i = 0; i < 40; ++i) {
    const Transaction tx = Spending({{Hash(3), i}}, 100 + i);
    orphans.Add(tx, 1000, /*from=*/10 + i, now);
    EXPECT_LE(orphans.bytes(), 10'000u);
  }
  EXPECT_EQ(orphans.bytes(), 10'000u);
}

TEST(TxOrphanageTest, ErasesByPeerBlockAndExpiry) {
  TxOrphanage orphans;
  const Clock::time_point now = Clock::now();
  const Transaction from_a = Spending({{Hash(1), 0}}, 1);
  const Transaction from_b = Spending({{Hash(2), 0}}, 2);
  const Transaction confirmed = Spending({{Hash(3), 0}}, 3);
  const Transaction conflicting = Spending({{Hash(4), 0}}, 4);
  const Transaction later = Spending({{Hash(5), 0}}, 5);
  for (const Transaction* tx : {&from_a, &from_b, &confirmed, &conflicting})
    ASSERT_TRUE(orphans.Add(*tx, Size(*tx), tx == &from_a ? 1 : 2, now));
  ASSERT_TRUE(orphans.Add(later, Size(later), 2, now + 10min));

  EXPECT_EQ(orphans.EraseForPeer(1), 1u);
  EXPECT_FALSE(orphans.Have(from_a.Txid()));
  EXPECT_EQ(orphans.EraseForPeer(1), 0u);

  // A block carrying one orphan and spending another's input removes both.
  Block block;
  block.txs.push_back(Transaction{});  // coinbase
  block.txs.push_back(confirmed);
  block.txs.push_back(Spending({{Hash(4), 0}}, 99));  // a rival spend of conflicting's input
  EXPECT_EQ(orphans.EraseForBlock(block), 2u);
  EXPECT_FALSE(orphans.Have(confirmed.Txid()));
  EXPECT_FALSE(orphans.Have(conflicting.Txid()));
  EXPECT_TRUE(orphans.Have(from_b.Txid()));

  EXPECT_EQ(orphans.Expire(now + kOrphanExpiry - 1s), 0u);
  EXPECT_EQ(orphans.Expire(now + kOrphanExpiry), 1u);
  EXPECT_FALSE(orphans.Have(from_b.Txid()));
  EXPECT_TRUE(orphans.Have(later.Txid()));
  EXPECT_EQ(orphans.bytes(), Size(later));
  EXPECT_EQ(orphans.PeerBytes(2), Size(later));
}

TEST(TokenBucketTest, BurstThenRateUpToCapacity) {
  const Clock::time_point t0 = Clock::now();
  TokenBucket bucket(/*rate=*/0.5, /*capacity=*/3, /*initial=*/2, t0);
  EXPECT_TRUE(bucket.Consume(t0));
  EXPECT_TRUE(bucket.Consume(t0));
  EXPECT_FALSE(bucket.Consume(t0)) << "the burst is spent";
  EXPECT_FALSE(bucket.Consume(t0 + 1s)) << "half a token after 1 s";
  EXPECT_TRUE(bucket.Consume(t0 + 2s));
  EXPECT_FALSE(bucket.Consume(t0 + 2s));
  // A long silence refills to the capacity, not beyond.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(bucket.Consume(t0 + 1h));
  EXPECT_FALSE(bucket.Consume(t0 + 1h));
  bucket.Add(10);
  EXPECT_DOUBLE_EQ(bucket.tokens(), 3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(bucket.Consume(t0));
  EXPECT_FALSE(bucket.Consume(t0)) << "a clock going back adds nothing";
}

}  // namespace
}  // namespace cc::net
