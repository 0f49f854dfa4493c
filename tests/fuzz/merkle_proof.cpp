// Fuzz target: MerkleProof decoding and verification (chain/merkle.h).
//
// Any input that decodes must be in canonical form. The decoded proof is
// then checked against a few fixed trees of distinct leaves: for each, with
// the leaf at the claimed index (or leaf 0 when the index is outside the
// tree). Verification must never crash, and must succeed only for the exact
// proof MakeMerkleProof builds: anything else accepted would be a forgery.

#include <cstring>
#include <vector>

#include "chain/hash.h"
#include "chain/merkle.h"
#include "tests/fuzz/fuzz.h"

namespace {

/// Sizes of the fixed trees: one leaf, powers of two and odd sizes, and
/// their neighbours (where a proof for one size might pass for another).
constexpr uint64_t kTreeSizes[] = {1, 2, 3, 5, 7, 8, 64, 100};

struct Tree {
  std::vector<cc::Uint256> leaves;  // SHA256 of each little-endian index
  cc::Uint256 root;
};

const std::vector<Tree>& Trees() {
  static const std::vector<Tree> trees = [] {
    std::vector<Tree> out;
    for (uint64_t n : kTreeSizes) {
      Tree tree;
      for (uint64_t i = 0; i < n; ++i) {
        uint8_t le[8];
        std::memcpy(le, &i, sizeof(i));
        tree.leaves.push_back(cc::Sha256Hash(le));
      }
      tree.root = cc::MerkleRoot(tree.leaves);
      out.push_back(std::move(tree));
    }
    return out;
  }();
  return trees;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cc::MerkleProof proof;
  if (!cc::fuzz::DecodeCanonical(cc::ByteSpan(data, size), &proof)) return 0;
  for (const Tree& tree : Trees()) {
    const uint64_t n = tree.leaves.size();
    const uint64_t index = proof.leaf_index < n ? proof.leaf_index : 0;
    if (!cc::VerifyMerkleProof(tree.leaves[index], proof, tree.root)) continue;
    cc::MerkleProof honest;
    CC_FUZZ_CHECK(cc::MakeMerkleProof(tree.leaves, index, &honest).ok());
    CC_FUZZ_CHECK(proof == honest);
  }
  return 0;
}
