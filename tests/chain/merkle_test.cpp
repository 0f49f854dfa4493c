// Merkle roots and proofs (merkle.h) against references written in this
// file straight from the definitions: RFC 6962's recursive MTH, a bottom-up
// tree that carries odd nodes, and the streaming loop merkle.cpp ran before it
// hashed through the bare compression function (each node a plain
// Sha256Hash of its bytes). Every proof of every tree up to 512
// leaves verifies, and a flipped bit in the leaf, any sibling, the index or
// the size makes it fail.

#include "chain/merkle.h"

#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <cstring>
#include <vector>

#include "chain/hash.h"

namespace cc {
namespace {

constexpr size_t kMaxTestedSize = 512;

class MerkleTest : public ::testing::Test {
 protected:
  /// n distinct leaves: SHA256 of the little-endian index.
  static std::vector<Uint256> Leaves(size_t n) {
    std::vector<Uint256> leaves;
    for (uint64_t i = 0; i < n; ++i) {
      uint8_t le[8];
      std::memcpy(le, &i, sizeof(i));
      leaves.push_back(Sha256Hash(le));
    }
    return leaves;
  }

  // The node hashes of merkle.h, spelled out.
  static Uint256 Leaf(const Uint256& x) { return Prefixed(0x00, {x.span()}); }
  static Uint256 Inner(const Uint256& l, const Uint256& r) {
    return Prefixed(0x01, {l.span(), r.span()});
  }
  static Uint256 Head(uint64_t n, const Uint256& mth) {
    uint8_t le[8];
    std::memcpy(le, &n, sizeof(n));
    return Prefixed(0x02, {ByteSpan(le), mth.span()});
  }
  static Uint256 Prefixed(uint8_t prefix, std::initializer_list<ByteSpan> parts) {
    std::vector<uint8_t> buf = {prefix};
    for (ByteSpan p : parts) buf.insert(buf.end(), p.begin(), p.end());
    return Sha256Hash(buf);
  }

  /// RFC 6962 §2.1, word for word.
  static Uint256 RecursiveMth(std::span<const Uint256> d) {
    if (d.empty()) return Sha256Hash({});
    if (d.size() == 1) return Leaf(d[0]);
    size_t k = 1;
    while (2 * k < d.size()) k *= 2;
    return Inner(RecursiveMth(d.first(k)), RecursiveMth(d.subspan(k)));
  }

  /// merkle.cpp's streaming MTH as it was before it laid out SHA-256 blocks
  /// itself: the naive reference beside the fast path.
  static Uint256 StreamingMth(std::span<const Uint256> leaves) {
    if (leaves.empty()) return Sha256Hash({});
    Uint256 pending[64];
    uint64_t count = 0;
    for (const Uint256& leaf : leaves) {
      Uint256 node = Leaf(leaf);
      int level = 0;
      for (; (count >> level) & 1; ++level) node = Inner(pending[level], node);
      pending[level] = node;
      ++count;
    }
    int level = std::countr_zero(count);
    Uint256 root = pending[level];
    for (++level; level < 64; ++level) {
      if ((count >> level) & 1) root = Inner(pending[level], root);
    }
    return root;
  }

  /// The same tree built level by level, an odd last node carried up.
  struct ReferenceTree {
    std::vector<std::vector<Uint256>> levels;  // levels[0]: leaf hashes; back(): the MTH
    Uint256 root;

    MerkleProof Proof(uint64_t index) const {
      MerkleProof proof{index, levels[0].size(), {}};
      for (size_t l = 0; l + 1 < levels.size(); ++l, index >>= 1) {
        if ((index ^ 1) < levels[l].size()) proof.path.push_back(levels[l][index ^ 1]);
      }
      return proof;
    }
  };
  static ReferenceTree BuildReference(const std::vector<Uint256>& leaves) {
    ReferenceTree t;
    t.levels.emplace_back();
    for (const Uint256& x : leaves) t.levels[0].push_back(Leaf(x));
    while (t.levels.back().size() > 1) {
      const std::vector<Uint256>& below = t.levels.back();
      std::vector<Uint256> above;
      for (size_t j = 0; j + 1 < below.size(); j += 2) {
        above.push_back(Inner(below[j], below[j + 1]));
      }
      if (below.size() % 2 == 1) above.push_back(below.back());
      t.levels.push_back(std::move(above));
    }
    t.root = Head(leaves.size(), t.levels.back()[0]);
    return t;
  }

  /// RFC 9162 §2.1.3.2 against a bare MTH: the check this scheme extends.
  static bool PlainRfc9162Verify(const Uint256& leaf, const MerkleProof& p, const Uint256& mth) {
    if (p.leaf_index >= p.tree_size) return false;
    uint64_t fn = p.leaf_index, sn = p.tree_size - 1;
    Uint256 r = Leaf(leaf);
    for (const Uint256& x : p.path) {
      if (sn == 0) return false;
      if ((fn & 1) || fn == sn) {
        r = Inner(x, r);
        while (!(fn & 1) && fn != 0) fn >>= 1, sn >>= 1;
      } else {
        r = Inner(r, x);
      }
      fn >>= 1, sn >>= 1;
    }
    return sn == 0 && r == mth;
  }

  static Uint256 FlipBit(Uint256 v, size_t bit) {
    v.data()[bit / 8 % 32] ^= static_cast<uint8_t>(1u << (bit % 8));
    return v;
  }

  /// Calls check(leaves, tree, index, proof) for every index of every size;
  /// check may change the proof (its own copy) and must put it back.
  template <typename Check>
  static void ForEveryProof(Check check) {
    for (size_t n = 1; n <= kMaxTestedSize; ++n) {
      const std::vector<Uint256> leaves = Leaves(n);
      const ReferenceTree tree = BuildReference(leaves);
      ASSERT_EQ(MerkleRoot(leaves), tree.root) << n << " leaves";
      for (uint64_t i = 0; i < n; ++i) {
        MerkleProof proof = tree.Proof(i);
        check(leaves, tree, i, proof);
      }
    }
  }
};

TEST_F(MerkleTest, EmptyTreeIsHeadOverSha256OfNothing) {
  EXPECT_EQ(MerkleRoot({}), Head(0, Sha256Hash({})));
}

TEST_F(MerkleTest, SmallTreesSpelledOut) {
  const std::vector<Uint256> d = Leaves(3);
  EXPECT_EQ(MerkleRoot(std::span(d).first(1)), Head(1, Leaf(d[0])));
  EXPECT_EQ(MerkleRoot(std::span(d).first(2)), Head(2, Inner(Leaf(d[0]), Leaf(d[1]))));
  EXPECT_EQ(MerkleRoot(d), Head(3, Inner(Inner(Leaf(d[0]), Leaf(d[1])), Leaf(d[2]))));
}

TEST_F(MerkleTest, KnownRoots) {
  // Computed with Python's hashlib from the definition in merkle.h, with
  // leaf j = 32 bytes of value j.
  std::vector<Uint256> d;
  for (uint8_t j = 0; j < 5; ++j) {
    std::array<uint8_t, 32> bytes;
    bytes.fill(j);
    d.emplace_back(bytes);
  }
  EXPECT_EQ(MerkleRoot({}).ToHex(),
            "f0c1e0b4cd1983b9c92909f8145cc102993e4c797489c0ba98639fd93056b82f");
  EXPECT_EQ(MerkleRoot(std::span(d).first(1)).ToHex(),
            "6f30f6fb74cff85c35a47593d2551181fed72a14705c6138718b398e79ef182b");
  EXPECT_EQ(MerkleRoot(d).ToHex(),
            "75891779f2a97baaa543666ed261d41113b7f84dc200fdf3ff08febd64eed6d3");
}

TEST_F(MerkleTest, RootMatchesRecursiveDefinition) {
  for (size_t n = 0; n <= 300; ++n) {
    const std::vector<Uint256> d = Leaves(n);
    ASSERT_EQ(MerkleRoot(d), Head(n, RecursiveMth(d))) << n << " leaves";
  }
}

TEST_F(MerkleTest, RootsAndProofsMatchStreamingReferenceUpTo1000Leaves) {
  const std::vector<Uint256> all = Leaves(1000);
  for (size_t n = 1; n <= all.size(); ++n) {
    const std::span<const Uint256> d = std::span(all).first(n);
    const Uint256 root = Head(n, StreamingMth(d));
    ASSERT_EQ(MerkleRoot(d), root) << n << " leaves";
    for (uint64_t i : {uint64_t{0}, n / 3, n - 1}) {
      MerkleProof proof;
      ASSERT_TRUE(MakeMerkleProof(d, i, &proof).ok());
      ASSERT_TRUE(VerifyMerkleProof(d[i], proof, root)) << i << " of " << n;
    }
  }
}

TEST_F(MerkleTest, RootOfLargeOddTreeMatchesReference) {
  const std::vector<Uint256> d = Leaves(70'001);
  EXPECT_EQ(MerkleRoot(d), BuildReference(d).root);
}

TEST_F(MerkleTest, ProofsVerifyForEverySizeAndIndex) {
  ForEveryProof([](const auto& leaves, const ReferenceTree& tree, uint64_t i, MerkleProof& p) {
    ASSERT_TRUE(VerifyMerkleProof(leaves[i], p, tree.root)) << i << " of " << p.tree_size;
  });
}

TEST_F(MerkleTest, MakeMerkleProofMatchesReference) {
  for (size_t n = 1; n <= kMaxTestedSize; ++n) {
    const std::vector<Uint256> leaves = Leaves(n);
    const ReferenceTree tree = BuildReference(leaves);
    // Every index of the small trees; the ends and the middle of the rest.
    std::vector<uint64_t> indices = {0, n / 2, n - 1};
    if (n <= 64) {
      indices.clear();
      for (uint64_t i = 0; i < n; ++i) indices.push_back(i);
    }
    for (uint64_t i : indices) {
      MerkleProof proof;
      ASSERT_TRUE(MakeMerkleProof(leaves, i, &proof).ok());
      ASSERT_EQ(proof, tree.Proof(i)) << i << " of " << n;
    }
  }
}

TEST_F(MerkleTest, FlippedLeafFails) {
  ForEveryProof([](const auto& leaves, const ReferenceTree& tree, uint64_t i, MerkleProof& p) {
    const size_t bit = (7 * i + p.tree_size) % 256;
    ASSERT_FALSE(VerifyMerkleProof(FlipBit(leaves[i], bit), p, tree.root));
  });
}

TEST_F(MerkleTest, FlippedSiblingFails) {
  ForEveryProof([](const auto& leaves, const ReferenceTree& tree, uint64_t i, MerkleProof& p) {
    for (size_t k = 0; k < p.path.size(); ++k) {
      const Uint256 sibling = p.path[k];
      p.path[k] = FlipBit(sibling, (i + p.tree_size + 13 * k) % 256);
      ASSERT_FALSE(VerifyMerkleProof(leaves[i], p, tree.root)) << "sibling " << k;
      p.path[k] = sibling;
    }
  });
}

TEST_F(MerkleTest, FlippedIndexFails) {
  ForEveryProof([](const auto& leaves, const ReferenceTree& tree, uint64_t i, MerkleProof& p) {
    for (int bit = 0; bit < 64; ++bit) {
      p.leaf_index ^= uint64_t{1} << bit;
      ASSERT_FALSE(VerifyMerkleProof(leaves[i], p, tree.root)) << "index bit " << bit;
      p.leaf_index ^= uint64_t{1} << bit;
    }
  });
}

TEST_F(MerkleTest, FlippedSizeFails) {
  ForEveryProof([](const auto& leaves, const ReferenceTree& tree, uint64_t i, MerkleProof& p) {
    for (int bit = 0; bit < 64; ++bit) {
      p.tree_size ^= uint64_t{1} << bit;
      ASSERT_FALSE(VerifyMerkleProof(leaves[i], p, tree.root)) << "size bit " << bit;
      p.tree_size ^= uint64_t{1} << bit;
    }
  });
}

TEST_F(MerkleTest, BareRfc9162RootWouldNotBindTheSize) {
  // Why merkle.h puts a head over the MTH: leaf 0 of 5 leaves, claimed as
  // leaf 0 of 7, passes RFC 9162 verification against the bare MTH.
  const std::vector<Uint256> d = Leaves(5);
  const ReferenceTree tree = BuildReference(d);
  MerkleProof claim = tree.Proof(0);
  claim.tree_size = 7;
  EXPECT_TRUE(PlainRfc9162Verify(d[0], claim, tree.levels.back()[0]));
  EXPECT_FALSE(VerifyMerkleProof(d[0], claim, tree.root));
}

TEST_F(MerkleTest, PathOfWrongLengthFails) {
  const std::vector<Uint256> d = Leaves(6);
  const ReferenceTree tree = BuildReference(d);
  MerkleProof longer = tree.Proof(2);
  longer.path.push_back(longer.path.back());
  EXPECT_FALSE(VerifyMerkleProof(d[2], longer, tree.root));
  MerkleProof shorter = tree.Proof(2);
  shorter.path.pop_back();
  EXPECT_FALSE(VerifyMerkleProof(d[2], shorter, tree.root));
  MerkleProof absurd = tree.Proof(2);
  absurd.path.resize(100'000);
  EXPECT_FALSE(VerifyMerkleProof(d[2], absurd, tree.root));
}

TEST_F(MerkleTest, SingleLeafProofHasEmptyPath) {
  const std::vector<Uint256> d = Leaves(1);
  MerkleProof proof;
  ASSERT_TRUE(MakeMerkleProof(d, 0, &proof).ok());
  EXPECT_TRUE(proof.path.empty());
  EXPECT_TRUE(VerifyMerkleProof(d[0], proof, MerkleRoot(d)));
}

TEST_F(MerkleTest, ProofOutsideTheTreeIsRefused) {
  const std::vector<Uint256> d = Leaves(4);
  MerkleProof proof{9, 9, {}};
  EXPECT_TRUE(MakeMerkleProof(d, 4, &proof).IsInvalidArgument());
  EXPECT_EQ(proof, (MerkleProof{9, 9, {}}));  // untouched
  EXPECT_TRUE(MakeMerkleProof({}, 0, &proof).IsInvalidArgument());
  EXPECT_EQ(MakeMerkleProof(d, ~uint64_t{0}, &proof).ToString(),
            "InvalidArgument: leaf index 18446744073709551615 outside a tree of 4 leaves");
  EXPECT_FALSE(VerifyMerkleProof(d[0], MerkleProof{0, 0, {}}, MerkleRoot({})));
  EXPECT_FALSE(
      VerifyMerkleProof(d[0], MerkleProof{4, 4, BuildReference(d).Proof(3).path}, MerkleRoot(d)));
}

TEST_F(MerkleTest, DuplicatedLastLeafChangesRoot) {
  // CVE-2012-2459: Bitcoin's tree gives [a,b,c] and [a,b,c,c] one root.
  std::vector<Uint256> d = Leaves(3);
  const Uint256 root3 = MerkleRoot(d);
  d.push_back(d.back());
  EXPECT_NE(MerkleRoot(d), root3);
  // The longer form of the same weakness: [a..f] against [a..f, e, f].
  std::vector<Uint256> six = Leaves(6);
  const Uint256 root6 = MerkleRoot(six);
  six.push_back(six[4]);
  six.push_back(six[5]);
  EXPECT_NE(MerkleRoot(six), root6);
}

TEST_F(MerkleTest, AppendingACopyOfTheLastLeafAlwaysChangesRoot) {
  for (size_t n = 1; n <= 64; ++n) {
    std::vector<Uint256> d = Leaves(n);
    const Uint256 root = MerkleRoot(d);
    d.push_back(d.back());
    EXPECT_NE(MerkleRoot(d), root) << n << " leaves";
  }
}

TEST_F(MerkleTest, InnerNodesCannotPoseAsLeaves) {
  // Without domain separation (Bitcoin: node = H(l || r), leaves unhashed)
  // the four leaves [a, b, c, d] and the two "leaves" [H(a||b), H(c||d)]
  // have one root, so an inner node passes for a leaf.
  const auto naive = [](const Uint256& l, const Uint256& r) {
    std::vector<uint8_t> buf(l.begin(), l.end());
    buf.insert(buf.end(), r.begin(), r.end());
    return Sha256Hash(buf);
  };
  const std::vector<Uint256> d = Leaves(4);
  const Uint256 ab = naive(d[0], d[1]);
  const Uint256 cd = naive(d[2], d[3]);
  ASSERT_EQ(naive(naive(d[0], d[1]), naive(d[2], d[3])), naive(ab, cd));

  // Here leaves are hashed with 0x00 and inner nodes with 0x01, so the same
  // substitution gives a different tree even before the head is applied.
  const Uint256 ab_inner = Inner(Leaf(d[0]), Leaf(d[1]));
  const Uint256 cd_inner = Inner(Leaf(d[2]), Leaf(d[3]));
  const std::vector<Uint256> posing = {ab_inner, cd_inner};
  EXPECT_NE(RecursiveMth(posing), RecursiveMth(d));
  EXPECT_NE(MerkleRoot(posing), MerkleRoot(d));
  // Likewise a one-leaf tree whose leaf is the 2-leaf tree's MTH.
  const std::vector<Uint256> one = {ab_inner};
  EXPECT_NE(RecursiveMth(one), RecursiveMth(std::span(d).first(2)));
  EXPECT_NE(MerkleRoot(one), MerkleRoot(std::span(d).first(2)));
  // Nor can a proof stop a level early: ab_inner as leaf 0 of the 4-leaf tree.
  MerkleProof early = BuildReference(d).Proof(0);
  early.path.erase(early.path.begin());
  EXPECT_FALSE(VerifyMerkleProof(ab_inner, early, MerkleRoot(d)));
}

TEST_F(MerkleTest, LeafOrderMatters) {
  std::vector<Uint256> d = Leaves(5);
  const Uint256 root = MerkleRoot(d);
  std::swap(d[1], d[2]);
  EXPECT_NE(MerkleRoot(d), root);
}

}  // namespace
}  // namespace cc
