#include "chain/merkle.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "chain/hash.h"

namespace cc {
namespace {

// The three node kinds of merkle.h. Each hashes a fixed-size stack buffer,
// so building a tree allocates nothing per node.
constexpr uint8_t kLeafPrefix = 0x00;
constexpr uint8_t kInnerPrefix = 0x01;
constexpr uint8_t kHeadPrefix = 0x02;

Uint256 LeafHash(const Uint256& leaf) {
  uint8_t buf[1 + Uint256::kSize];
  buf[0] = kLeafPrefix;
  std::memcpy(buf + 1, leaf.data(), Uint256::kSize);
  return Sha256Hash(buf);
}

Uint256 InnerHash(const Uint256& left, const Uint256& right) {
  uint8_t buf[1 + 2 * Uint256::kSize];
  buf[0] = kInnerPrefix;
  std::memcpy(buf + 1, left.data(), Uint256::kSize);
  std::memcpy(buf + 1 + Uint256::kSize, right.data(), Uint256::kSize);
  return Sha256Hash(buf);
}

Uint256 HeadHash(uint64_t tree_size, const Uint256& tree_hash) {
  uint8_t buf[1 + sizeof(uint64_t) + Uint256::kSize];
  buf[0] = kHeadPrefix;
  std::memcpy(buf + 1, &tree_size, sizeof(tree_size));  // little-endian (serialize.h asserts it)
  std::memcpy(buf + 1 + sizeof(uint64_t), tree_hash.data(), Uint256::kSize);
  return Sha256Hash(buf);
}

// RFC 6962 MTH, computed bottom-up in one pass over the leaves.
//
// Pairing adjacent nodes level by level and carrying an odd last node up
// unchanged builds exactly the tree of the recursive definition (its left
// subtree is always the complete tree of the largest power of two < n). We
// stream it the way binary addition carries:
//   count     leaves consumed so far;
//   pending[h] the root of a complete subtree of 2^h leaves that waits for its
//             right sibling; it is occupied exactly when bit h of count is 1.
// Adding a leaf merges it with every occupied slot below the lowest 0 bit of
// count. At the end the occupied slots are complete subtrees, largest (and
// leftmost) at the highest bit; joining them from the smallest up gives the
// right spine of the tree.
Uint256 TreeHash(std::span<const Uint256> leaves) {
  if (leaves.empty()) return Sha256Hash({});
  Uint256 pending[64];
  uint64_t count = 0;
  for (const Uint256& leaf : leaves) {
    Uint256 node = LeafHash(leaf);
    int level = 0;
    for (; (count >> level) & 1; ++level) node = InnerHash(pending[level], node);
    pending[level] = node;
    ++count;
  }
  int level = std::countr_zero(count);
  Uint256 root = pending[level];
  for (++level; level < 64; ++level) {
    if ((count >> level) & 1) root = InnerHash(pending[level], root);
  }
  return root;
}

}  // namespace

Uint256 MerkleRoot(std::span<const Uint256> leaves) {
  return HeadHash(leaves.size(), TreeHash(leaves));
}

Status MakeMerkleProof(std::span<const Uint256> leaves, uint64_t leaf_index, MerkleProof* out) {
  if (leaf_index >= leaves.size()) {
    return Status::InvalidArgument("leaf index " + std::to_string(leaf_index) +
                                   " outside a tree of " + std::to_string(leaves.size()) +
                                   " leaves");
  }
  // RFC 6962 §2.1.1 PATH(m, D[n]), unrolled from the root down: `sub` is the
  // subtree holding the leaf and m its index there. The sibling met at each
  // split is the other half, so the path comes out root level first.
  std::vector<Uint256> path;
  std::span<const Uint256> sub = leaves;
  uint64_t m = leaf_index;
  while (sub.size() > 1) {
    const size_t k = std::bit_floor(sub.size() - 1);  // largest power of two < size
    if (m < k) {
      path.push_back(TreeHash(sub.subspan(k)));
      sub = sub.first(k);
    } else {
      path.push_back(TreeHash(sub.first(k)));
      sub = sub.subspan(k);
      m -= k;
    }
  }
  std::reverse(path.begin(), path.end());
  out->leaf_index = leaf_index;
  out->tree_size = leaves.size();
  out->path = std::move(path);
  return Status::OK();
}

bool VerifyMerkleProof(const Uint256& leaf, const MerkleProof& proof, const Uint256& root) {
  // RFC 9162 §2.1.3.2 in two passes. The first runs the algorithm's index
  // arithmetic alone: fn is the index of the node computed so far within
  // its level and sn the index of that level's last node; a node with
  // fn == sn has no right sibling and is carried up (the inner while loop).
  // It records in left_mask which path entries are left siblings and counts
  // the entries the position needs, so a path of the wrong length (the RFC's
  // "sn is 0" and "sn is not 0" failures) is refused before any hashing.
  if (proof.leaf_index >= proof.tree_size) return false;
  uint64_t fn = proof.leaf_index;
  uint64_t sn = proof.tree_size - 1;
  uint64_t left_mask = 0;
  size_t depth = 0;  // at most 64: sn halves every step
  for (; sn != 0; ++depth) {
    if ((fn & 1) || fn == sn) {
      left_mask |= uint64_t{1} << depth;
      while (!(fn & 1) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (proof.path.size() != depth) return false;

  Uint256 r = LeafHash(leaf);
  for (size_t k = 0; k < depth; ++k) {
    r = ((left_mask >> k) & 1) ? InnerHash(proof.path[k], r) : InnerHash(r, proof.path[k]);
  }
  return HeadHash(proof.tree_size, r) == root;
}

}  // namespace cc
