#include "chain/merkle.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "chain/hash.h"

namespace cc {
namespace {

// The three node kinds of merkle.h.
constexpr uint8_t kLeafPrefix = 0x00;
constexpr uint8_t kInnerPrefix = 0x01;
constexpr uint8_t kHeadPrefix = 0x02;

// Every node message has a fixed size (leaf 33 bytes, inner 65, head 41), so
// each hash is laid out as padded blocks here and run through the bare
// compression function (hash.h): no hasher object and no buffering, 1 block
// for a leaf or the head and 2 for an inner node, as SHA-256 itself needs.
//
// A node is kept as its SHA-256 chaining value, eight words, not as digest
// bytes. The digest is those words written big-endian, and every message is
// one prefix byte followed by whole 32-byte values, so the message words of
// a parent are its children's words shifted right by one byte: no byte is
// reordered between levels. Leaves and proof siblings are read from bytes
// once (WordsOf); roots and proof siblings are written once (Sha256Digest).
using Node = Sha256State;

// Four words in one 128-bit vector (a GCC/Clang vector extension, SSE2 on
// x86-64). Blocks are built in registers and stored 16 bytes at a time
// because the compression function reads them with 16-byte loads: built
// from 4-byte stores, each such load waited for the stores to retire, and a
// chained compression cost 66 ns against 48 (SHA-NI, this machine).
using Quad = uint32_t __attribute__((vector_size(16)));

Quad QuadAt(const uint32_t* words) {
  Quad q;
  std::memcpy(&q, words, sizeof(q));
  return q;
}

/// The words of a 32-byte value, each read big-endian (byte-swapped by
/// shifts and masks, which SSE2 has for 32-bit lanes; it has no byte shuffle)
/// and stored 16 bytes at a time for the reason above.
Node WordsOf(const Uint256& value) {
  Node node;
  for (int half = 0; half < 2; ++half) {
    Quad x;
    std::memcpy(&x, value.data() + 16 * half, sizeof(x));
    x = x << 24 | (x & 0xff00) << 8 | (x >> 8 & 0xff00) | x >> 24;
    std::memcpy(node.h + 4 * half, &x, sizeof(x));
  }
  return node;
}

// The message's words after its 0x80 padding byte: the padding's first word
// before the one-byte shift below.
constexpr Quad kPadQuad = {0x80000000, 0, 0, 0};
constexpr Quad kZeroQuad = {0, 0, 0, 0};

/// SHA256(prefix || m) for a message m of `m_bytes` bytes, a multiple of 4.
/// `padded` holds m as big-endian words, then kPadQuad's first word, then
/// zeros to the end of the last block (FIPS 180-4 §5.1.1 padding, before the
/// prefix byte shifts it all one byte along).
/// REQUIRES: 1 + m_bytes + 9 <= 16·kQuads, kQuads a multiple of 4.
template <int kQuads>
Node HashPrefixed(uint8_t prefix, const Quad (&padded)[kQuads], uint32_t m_bytes) {
  static_assert(kQuads % 4 == 0, "whole 64-byte blocks");
  Sha256Block blocks[kQuads / 4];
  Quad before = {0, 0, 0, prefix};  // the word before each quad sits in lane 3
  for (int j = 0; j < kQuads; ++j) {
    const Quad& q = padded[j];
    Quad w = __builtin_shufflevector(before, q, 3, 4, 5, 6) << 24 | q >> 8;
    if (j == kQuads - 1) w[3] = 8 * (1 + m_bytes);  // bit length (its high word is w[2] = 0)
    std::memcpy(&blocks[j / 4].w[4 * (j % 4)], &w, sizeof(w));
    before = q;
  }
  Node state = kSha256InitialState;
  for (const Sha256Block& block : blocks) Sha256Compress(&state, block);
  return state;
}

Node LeafHash(const Node& leaf) {
  const Quad padded[4] = {QuadAt(leaf.h), QuadAt(leaf.h + 4), kPadQuad, kZeroQuad};
  return HashPrefixed(kLeafPrefix, padded, Uint256::kSize);
}

Node InnerHash(const Node& left, const Node& right) {
  const Quad padded[8] = {QuadAt(left.h), QuadAt(left.h + 4), QuadAt(right.h), QuadAt(right.h + 4),
                          kPadQuad,       kZeroQuad,          kZeroQuad,       kZeroQuad};
  return HashPrefixed(kInnerPrefix, padded, 2 * Uint256::kSize);
}

Uint256 HeadHash(uint64_t tree_size, const Node& tree_hash) {
  // tree_size goes out little-endian: the bytes of its low half first, each
  // word read big-endian like every other message word. The 40 message bytes
  // are 10 words, so the tree hash straddles the quads.
  const Quad size = {__builtin_bswap32(static_cast<uint32_t>(tree_size)),
                     __builtin_bswap32(static_cast<uint32_t>(tree_size >> 32)), 0, 0};
  const Quad lo = QuadAt(tree_hash.h);
  const Quad hi = QuadAt(tree_hash.h + 4);
  const Quad padded[4] = {__builtin_shufflevector(size, lo, 0, 1, 4, 5),
                          __builtin_shufflevector(lo, hi, 2, 3, 4, 5),
                          __builtin_shufflevector(hi, kPadQuad, 2, 3, 4, 5), kZeroQuad};
  return Sha256Digest(HashPrefixed(kHeadPrefix, padded, sizeof(tree_size) + Uint256::kSize));
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
Node TreeHash(std::span<const Uint256> leaves) {
  if (leaves.empty()) return WordsOf(Sha256Hash({}));
  Node pending[64];
  uint64_t count = 0;
  for (const Uint256& leaf : leaves) {
    Node node = LeafHash(WordsOf(leaf));
    int level = 0;
    for (; (count >> level) & 1; ++level) node = InnerHash(pending[level], node);
    pending[level] = node;
    ++count;
  }
  int level = std::countr_zero(count);
  Node root = pending[level];
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
      path.push_back(Sha256Digest(TreeHash(sub.subspan(k))));
      sub = sub.first(k);
    } else {
      path.push_back(Sha256Digest(TreeHash(sub.first(k))));
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

  Node r = LeafHash(WordsOf(leaf));
  for (size_t k = 0; k < depth; ++k) {
    const Node sibling = WordsOf(proof.path[k]);
    r = ((left_mask >> k) & 1) ? InnerHash(sibling, r) : InnerHash(r, sibling);
  }
  return HeadHash(proof.tree_size, r) == root;
}

}  // namespace cc
