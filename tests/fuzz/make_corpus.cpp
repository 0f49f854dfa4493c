// Writes the seed corpus of the fuzz targets: tests/fuzz/corpus/<target>/,
// a handful of small files per target, each the encoding of a real object
// (the chain tests' sample values, whose every field is distinct) or an edge
// case of it. Deterministic, so running it again changes no file. Built with
// the tests, never run by CI; run it after changing a wire format:
//   build/bin/fuzz_make_corpus tests/fuzz/corpus

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "chain/block.h"
#include "chain/hash.h"
#include "chain/merkle.h"
#include "chain/serialize.h"
#include "chain/transaction.h"
#include "chain/work.h"
#include "tests/chain/primitives_samples.h"

namespace cc {
namespace {

namespace fs = std::filesystem;

class CorpusWriter {
 public:
  explicit CorpusWriter(fs::path root) : root_(std::move(root)) {}

  /// Writes `bytes` to <root>/<target>/<name>. Aborts on an I/O error.
  void Write(std::string_view target, std::string_view name, ByteSpan bytes) {
    const fs::path dir = root_ / target;
    fs::create_directories(dir);
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", (dir / name).c_str());
      std::exit(1);
    }
    ++files_;
  }
  template <typename T>
  void WriteObject(std::string_view target, std::string_view name, const T& value) {
    Write(target, name, Serialize(value));
  }
  int files() const { return files_; }

 private:
  fs::path root_;
  int files_ = 0;
};

std::vector<Uint256> IndexLeaves(uint64_t n) {
  std::vector<Uint256> leaves;
  for (uint64_t i = 0; i < n; ++i) {
    uint8_t le[8];
    std::memcpy(le, &i, sizeof(i));
    leaves.push_back(Sha256Hash(le));
  }
  return leaves;
}

void WriteTransactions(CorpusWriter& w) {
  w.WriteObject("transaction", "two_in_two_out", test::SampleTransaction());
  Transaction coinbase;
  coinbase.lock_height = 42;
  coinbase.outputs = {test::SampleTxOut(7)};
  w.WriteObject("transaction", "coinbase", coinbase);
  w.WriteObject("transaction", "empty", Transaction{});
  Transaction bond = test::SampleTransaction(9);
  bond.outputs = {test::SampleTxOut(3, OutputKind::kWorkerBond)};
  w.WriteObject("transaction", "worker_bond", bond);
}

void WriteBlocks(CorpusWriter& w) {
  w.WriteObject("block_header", "sample", test::SampleHeader());
  w.WriteObject("block_header", "genesis_like", BlockHeader{});

  Block block = test::SampleBlock();
  block.header.tx_root = block.ComputeTxRoot();
  block.header.work_root = block.ComputeWorkRoot();
  w.WriteObject("block", "two_txs_three_records", block);
  Block empty;
  empty.header.tx_root = empty.ComputeTxRoot();
  empty.header.work_root = empty.ComputeWorkRoot();
  w.WriteObject("block", "empty", empty);
  Block coinbase_only;
  coinbase_only.header = test::SampleHeader();
  coinbase_only.txs = {test::SampleTransaction(4)};
  coinbase_only.txs[0].inputs.clear();
  w.WriteObject("block", "coinbase_only", coinbase_only);
}

void WriteWorkRecords(CorpusWriter& w) {
  const UnitKind kinds[] = {UnitKind::kForward, UnitKind::kBackward, UnitKind::kAttention,
                            UnitKind::kUpdate};
  for (UnitKind kind : kinds) {
    WorkRecord record = test::SampleWorkRecord(static_cast<uint8_t>(kind));
    record.unit.kind = kind;
    w.WriteObject("work_record", "kind_" + std::to_string(static_cast<int>(kind)), record);
  }
  WorkRecord bare;
  w.WriteObject("work_record", "no_tensors", bare);
}

void WriteMerkleProofs(CorpusWriter& w) {
  // Honest proofs in the fuzz target's fixed trees (leaves: SHA256 of each
  // index), so mutations start from inputs that verify.
  for (uint64_t n : {1, 5, 7, 64, 100}) {
    const std::vector<Uint256> leaves = IndexLeaves(n);
    for (uint64_t i : {uint64_t{0}, n / 2, n - 1}) {
      MerkleProof proof;
      if (!MakeMerkleProof(leaves, i, &proof).ok()) std::exit(1);
      w.WriteObject("merkle_proof", "n" + std::to_string(n) + "_i" + std::to_string(i), proof);
    }
  }
  w.WriteObject("merkle_proof", "sample", test::SampleMerkleProof());
}

void WriteSerializePrimitives(CorpusWriter& w) {
  // Item streams for fuzz/serialize.cpp: a selector byte, then the value.
  // Selectors: 0 u8, 1 u16, 2 u32, 3 u64, 4 i64, 5 bool, 6 float,
  // 7 CompactSize, 8 length, 9 string, 10 bytes, 11 Uint256, 12 vector<Uint256>.
  std::vector<uint8_t> ints;
  Writer iw(&ints);
  iw(uint8_t{0}, uint8_t{0xab}, uint8_t{1}, uint16_t{0xfffe}, uint8_t{2}, uint32_t{0xdeadbeef},
     uint8_t{3}, uint64_t{0x0102030405060708}, uint8_t{4}, int64_t{-5}, uint8_t{5}, true,
     uint8_t{6}, 2.5f);
  w.Write("serialize", "integers", ints);

  std::vector<uint8_t> sizes;
  Writer sw(&sizes);
  for (uint64_t n : {uint64_t{0}, uint64_t{0xfc}, uint64_t{0xfd}, uint64_t{0xffff},
                     uint64_t{0x10000}, kMaxCompactSize}) {
    sw(uint8_t{7});
    sw.WriteCompactSize(n);
  }
  w.Write("serialize", "compact_sizes", sizes);

  std::vector<uint8_t> strings;
  Writer tw(&strings);
  tw(uint8_t{9}, std::string("computecoin"), uint8_t{10}, std::vector<uint8_t>(300, 0x5a),
     uint8_t{8});
  tw.WriteCompactSize(1);
  tw(uint8_t{0xee});
  w.Write("serialize", "strings", strings);

  std::vector<uint8_t> hashes;
  Writer hw(&hashes);
  hw(uint8_t{11}, test::SampleHash(1), uint8_t{12},
     std::vector<Uint256>{test::SampleHash(2), test::SampleHash(3)});
  w.Write("serialize", "hashes", hashes);
  w.WriteObject("serialize", "whole_string", std::string("a whole-input string"));
}

void WriteHex(CorpusWriter& w) {
  w.Write("hex", "lower", AsBytes("00ff10a5"));
  w.Write("hex", "upper", AsBytes("DEADBEEF"));
  w.Write("hex", "hash", AsBytes(test::SampleHash(1).ToHex()));
  w.Write("hex", "odd_length", AsBytes("abc"));
  w.Write("hex", "not_hex", AsBytes("0g"));
}

}  // namespace
}  // namespace cc

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR (tests/fuzz/corpus)\n", argv[0]);
    return 2;
  }
  cc::CorpusWriter w(argv[1]);
  cc::WriteTransactions(w);
  cc::WriteBlocks(w);
  cc::WriteWorkRecords(w);
  cc::WriteMerkleProofs(w);
  cc::WriteSerializePrimitives(w);
  cc::WriteHex(w);
  std::printf("wrote %d files under %s\n", w.files(), argv[1]);
  return 0;
}
