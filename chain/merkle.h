/* Merkle trees and inclusion proofs: the scheme behind every root a header
 * commits to (tx_root, work_root, state_root) and every proof a light client
 * checks. This header depends only on hash.h, uint256.h and serialize.h, so a
 * light client can use it without the rest of the chain code.
 *
 * WHAT WE AVOID
 *
 * Bitcoin's tree (src/consensus/merkle.cpp) hashes a level pairwise and, when
 * a level has an odd number of nodes, pairs the last node with itself:
 *
 *            ROOT = H(H(ab) || H(cc))           ROOT' = H(H(ab) || H(cc))
 *             /              \                    /              \
 *          H(ab)            H(cc)              H(ab)            H(cc)
 *         /     \          /     \            /     \          /     \
 *        a       b        c    (c again)     a       b        c       c
 *
 *   leaves [a, b, c]                         leaves [a, b, c, c]
 *
 * Both lists have the same root (CVE-2012-2459). A node that received the
 * mutated list marks that block id invalid and then refuses the honest block
 * with the same id. Bitcoin also hashes a leaf and an inner node the same
 * way, H(64 bytes), so a 64-byte transaction whose halves are two hashes
 * looks exactly like an inner node: an SPV proof can stop at it as if it were
 * a leaf, or descend through it into a fake subtree.
 *
 * THE SCHEME (RFC 6962 §2.1, the Certificate Transparency tree, plus a head)
 *
 *   LeafHash(d)     = SHA256(0x00 || d)                 d is a 32-byte leaf
 *   InnerHash(l, r) = SHA256(0x01 || l || r)
 *   MTH({})         = SHA256("")
 *   MTH({d})        = LeafHash(d)
 *   MTH(D[0:n])     = InnerHash(MTH(D[0:k]), MTH(D[k:n])), k the largest
 *                     power of two < n
 *   MerkleRoot(D)   = SHA256(0x02 || n:u64le || MTH(D))  (n = number of leaves)
 *
 * For n = 5:
 *                        ROOT = SHA256(0x02 || 5 || m)
 *                                       |
 *                              m = InnerHash(p, e')
 *                              /                  \
 *                 p = InnerHash(ab, cd)            e' = LeafHash(e)
 *                  /                \
 *        ab = InnerHash(a', b')   cd = InnerHash(c', d')
 *           /         \             /         \
 *          a'          b'          c'          d'     x' = LeafHash(x)
 *
 * An odd node is carried up unchanged, never paired with itself, so two
 * different leaf lists always differ in some hashed preimage; and the
 * leading byte (0x00 leaf, 0x01 inner, 0x02 head) means a value of one kind
 * can never be read as another: no duplication mutation and no leaf/inner
 * confusion.
 *
 * Why the head: an RFC 9162 proof checked against the bare MTH does not bind
 * the tree size. Checking a proof for leaf 0 consumes one sibling per level
 * and takes each as a right sibling whatever the size, so a proof for leaf 0
 * of 5 leaves also verifies as leaf 0 of 6, 7 or 8; a proof for leaf 1 of 2
 * verifies as leaf 2 of 3 and leaf 4 of 5. Certificate Transparency gets the
 * size from the signed tree head that carries it beside the root; our headers
 * carry only a root, so the root itself commits to the size. The head costs
 * one hash per root and none per level.
 *
 * A proof is the RFC 9162 §2.1.3 inclusion path: sibling hashes from the
 * leaf's level up, plus the leaf index and the tree size.
 *
 * Wire format (serialize.h):
 *   MerkleProof = leaf_index:u64 tree_size:u64 path:vector<Uint256>
 *
 * Thread safety: free functions only, with no shared state.
 */

#ifndef COMPUTECOIN_CHAIN_MERKLE_H
#define COMPUTECOIN_CHAIN_MERKLE_H

#include <cstdint>
#include <span>
#include <vector>

#include "chain/serialize.h"
#include "chain/status.h"
#include "chain/uint256.h"

namespace cc {

/// The root committing to `leaves` in order (see the file comment).
/// Runs in O(n) hashes and O(log n) memory.
Uint256 MerkleRoot(std::span<const Uint256> leaves);

/// The evidence that one leaf is at `leaf_index` of a tree of `tree_size` leaves.
struct MerkleProof {
  uint64_t leaf_index = 0;
  uint64_t tree_size = 0;
  std::vector<Uint256> path;  //!< sibling subtree hashes, the leaf's level first

  CC_SERIALIZE_METHODS(MerkleProof, obj) { ar(obj.leaf_index, obj.tree_size, obj.path); }
  bool operator==(const MerkleProof&) const = default;
};

/// Builds the inclusion proof for leaves[leaf_index].
///
/// Returns: OK with *out filled in; InvalidArgument if leaf_index >=
///          leaves.size(), with *out unchanged.
/// Out:     out: the proof. REQUIRES: not null.
/// In:      leaves, leaf_index.
/// Runs in O(n) hashes (every other leaf contributes to some sibling).
Status MakeMerkleProof(std::span<const Uint256> leaves, uint64_t leaf_index, MerkleProof* out);

/// Checks that `leaf` is at proof.leaf_index of the proof.tree_size-leaf
/// tree whose MerkleRoot is `root`.
///
/// Returns: true if it is; false if the index is not below the size, the path
///          is not exactly as long as that position needs (RFC 9162
///          §2.1.3.2), or the hashes do not lead to `root`.
/// In:      leaf, proof, root.
[[nodiscard]] bool VerifyMerkleProof(const Uint256& leaf, const MerkleProof& proof,
                                     const Uint256& root);

}  // namespace cc

#endif  // COMPUTECOIN_CHAIN_MERKLE_H
