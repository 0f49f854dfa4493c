#include "compute/dataset.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "chain/hash.h"
#include "chain/merkle.h"
#include "chain/serialize.h"

namespace cc::compute {
namespace {

namespace fs = std::filesystem;

class DatasetTest : public ::testing::Test {
 protected:
  static Dataset Addition(uint32_t digits) {
    Dataset d;
    EXPECT_TRUE(Dataset::Addition(digits, &d).ok());
    return d;
  }

  static Dataset Text(const std::string& text) {
    Dataset d;
    const Status s = Dataset::FromText(std::vector<uint8_t>(text.begin(), text.end()), &d);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return d;
  }

  static Batch MakeBatch(const Dataset& d, BatchSpec spec) {
    Batch b;
    const Status s = d.MakeBatch(spec, &b);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return b;
  }

  static std::string Row(const std::vector<uint8_t>& cells, uint32_t context, uint32_t row) {
    return std::string(cells.begin() + row * context, cells.begin() + (row + 1) * context);
  }

  // Bytes of pseudo-text spanning several chunks.
  static std::vector<uint8_t> LongText(size_t n) {
    std::vector<uint8_t> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>('a' + (i * 7 + i / 13) % 26);
    return v;
  }
  static Dataset LongTextDataset(size_t n) {
    const std::vector<uint8_t> v = LongText(n);
    return Text(std::string(v.begin(), v.end()));
  }

  static constexpr BatchSpec kSpec = {/*seed=*/42, /*step=*/7, /*lane=*/1, /*rows=*/8,
                                      /*context=*/16};
};

// ---------------------------------------------------------------------------
// Addition problems

TEST_F(DatasetTest, ProblemFormat) {
  AdditionProblem p = MakeAdditionProblem(3, 123, 456);
  EXPECT_EQ(p.prompt, "123+456=");
  EXPECT_EQ(p.answer, "579");
  p = MakeAdditionProblem(3, 7, 45);
  EXPECT_EQ(p.prompt, "007+045=");
  EXPECT_EQ(p.answer, "52");
  EXPECT_EQ(MakeAdditionProblem(3, 999, 999).answer, "1998");
  EXPECT_EQ(MaxAnswerTokens(3), 5u);
}

TEST_F(DatasetTest, IsCorrectNeedsTheAnswerThenNewline) {
  const AdditionProblem p = MakeAdditionProblem(3, 123, 456);
  EXPECT_TRUE(p.IsCorrect("579\n"));
  EXPECT_TRUE(p.IsCorrect("579\n123+"));
  EXPECT_FALSE(p.IsCorrect("579"));
  EXPECT_FALSE(p.IsCorrect("5791\n"));
  EXPECT_FALSE(p.IsCorrect("578\n"));
  EXPECT_FALSE(p.IsCorrect(""));
}

TEST_F(DatasetTest, AdditionRowsAreProblemLinesWithAnswerMask) {
  const Batch b = MakeBatch(Addition(3), kSpec);
  ASSERT_EQ(b.inputs.size(), 8u * 16);
  for (uint32_t r = 0; r < b.rows; ++r) {
    const std::string in = Row(b.inputs, 16, r);
    const std::string target = Row(b.targets, 16, r);
    EXPECT_EQ(in.substr(1), target.substr(0, 15));
    // Row = "aaa+bbb=" + sum + "\n" + start of the next problem.
    ASSERT_EQ(in[3], '+');
    ASSERT_EQ(in[7], '=');
    const uint64_t a = std::stoull(in.substr(0, 3)), s_b = std::stoull(in.substr(4, 3));
    const std::string line = in.substr(0, 8) + std::to_string(a + s_b) + "\n";
    EXPECT_EQ((in + target.back()).substr(0, line.size()), line);
    EXPECT_FALSE(IsHeldOut(3, a, s_b));
    // The mask is 1 exactly where the target is a sum digit or its newline:
    // targets 7 .. 7 + len(sum) of the first problem; the next problem's
    // answer does not reach into a 17-byte row.
    for (uint32_t t = 0; t < 16; ++t) {
      const bool answer = t >= 7 && t < line.size() - 1;
      EXPECT_EQ(b.mask[r * 16 + t], answer ? 1 : 0) << "row " << r << " t " << t << " " << line;
    }
  }
}

TEST_F(DatasetTest, LongRowsPackSeveralProblemsAndMaskEveryAnswer) {
  BatchSpec spec = kSpec;
  spec.context = 63;
  const Batch b = MakeBatch(Addition(2), spec);
  for (uint32_t r = 0; r < b.rows; ++r) {
    const std::string row = Row(b.inputs, 63, r) + static_cast<char>(b.targets[r * 63 + 62]);
    // Walk the problems in the row; every target after '=' up to and
    // including '\n' is masked, nothing else is.
    std::vector<uint8_t> expected(64, 0);
    bool in_answer = false;
    for (size_t i = 0; i < row.size(); ++i) {
      expected[i] = in_answer ? 1 : 0;
      if (row[i] == '=') in_answer = true;
      if (row[i] == '\n') in_answer = false;
    }
    for (uint32_t t = 0; t < 63; ++t)
      EXPECT_EQ(b.mask[r * 63 + t], expected[t + 1]) << r << " " << t;
    EXPECT_GE(std::count(row.begin(), row.end(), '\n'), 5);
  }
}

TEST_F(DatasetTest, BatchIsAPureFunctionOfTheSpec) {
  const Batch a = MakeBatch(Addition(3), kSpec);
  const Batch b = MakeBatch(Addition(3), kSpec);
  EXPECT_EQ(a.inputs, b.inputs);
  EXPECT_EQ(a.mask, b.mask);
  for (BatchSpec other :
       {BatchSpec{43, 7, 1, 8, 16}, BatchSpec{42, 8, 1, 8, 16}, BatchSpec{42, 7, 0, 8, 16}}) {
    EXPECT_NE(MakeBatch(Addition(3), other).inputs, a.inputs);
  }
  // Row r does not depend on B: a larger batch extends a smaller one.
  BatchSpec bigger = kSpec;
  bigger.rows = 16;
  const Batch c = MakeBatch(Addition(3), bigger);
  EXPECT_EQ(std::vector<uint8_t>(c.inputs.begin(), c.inputs.begin() + 8 * 16), a.inputs);
}

// The batch bytes are consensus data: these hashes must never change. They
// were cross-checked against an independent Python implementation of the
// sampling rule in dataset.h.
TEST_F(DatasetTest, GoldenBatchHashes) {
  const EncodedBatch addition = EncodeBatch(MakeBatch(Addition(3), kSpec));
  EXPECT_EQ(addition.inputs.shape, (std::vector<uint64_t>{8, 16}));
  EXPECT_EQ(addition.inputs.codec, Codec::kUInt8);
  EXPECT_EQ(addition.inputs.Hash().ToHex(),
            "eab54f6fd6886c21c60ce700beb7109822fc11f23f9527354b2f04b40a0a7fca");
  EXPECT_EQ(addition.mask.Hash().ToHex(),
            "9e199f4862d4a2048f66d0add7ee74fdd21d2c17a9cd23232dec2546c10ae45e");
  const Batch first = MakeBatch(Addition(3), BatchSpec{0, 0, 0, 1, 16});
  EXPECT_EQ(Row(first.inputs, 16, 0), "314+328=642\n076+");

  const Dataset text = LongTextDataset(1000);
  const EncodedBatch t = EncodeBatch(MakeBatch(text, kSpec));
  EXPECT_EQ(t.inputs.Hash().ToHex(),
            "33730948f33780fb71f40cad3ac445ecedfdc39f3ea2d5c27f57f489bc940d81");
}

TEST_F(DatasetTest, HeldOutNeverAppearsInTraining) {
  // 64 steps × 2 lanes × 64 rows ≈ 8k rows, ~10k training problems.
  const Dataset d = Addition(3);
  std::vector<AdditionProblem> held_out;
  ASSERT_TRUE(HeldOutProblems(3, 2000, /*seed=*/1, &held_out).ok());
  std::set<std::pair<uint64_t, uint64_t>> eval;
  for (const AdditionProblem& p : held_out) {
    EXPECT_TRUE(IsHeldOut(3, p.a, p.b));
    eval.emplace(p.a, p.b);
  }
  EXPECT_EQ(eval.size(), 2000u);  // distinct

  size_t problems = 0;
  for (uint64_t step = 0; step < 64; ++step) {
    for (uint32_t lane = 0; lane < 2; ++lane) {
      const Batch b = MakeBatch(d, BatchSpec{1, step, lane, 64, 16});
      for (uint32_t r = 0; r < b.rows; ++r) {
        const std::string in = Row(b.inputs, 16, r);
        const uint64_t a = std::stoull(in.substr(0, 3)), c = std::stoull(in.substr(4, 3));
        EXPECT_FALSE(IsHeldOut(3, a, c));
        EXPECT_EQ(eval.count({a, c}), 0u);
        ++problems;
      }
    }
  }
  EXPECT_EQ(problems, 64u * 2 * 64);
}

TEST_F(DatasetTest, HeldOutFractionIsAboutOneIn32) {
  size_t held = 0;
  for (uint64_t a = 0; a < 100; ++a) {
    for (uint64_t b = 0; b < 100; ++b) held += IsHeldOut(2, a, b) ? 1 : 0;
  }
  EXPECT_GT(held, 10000u / 32 / 2);
  EXPECT_LT(held, 10000u / 32 * 2);
}

TEST_F(DatasetTest, HeldOutProblemsDependOnSeedAndAreBounded) {
  std::vector<AdditionProblem> a, b;
  ASSERT_TRUE(HeldOutProblems(3, 50, 1, &a).ok());
  ASSERT_TRUE(HeldOutProblems(3, 50, 2, &b).ok());
  EXPECT_NE(a[0].prompt, b[0].prompt);
  std::vector<AdditionProblem> again;
  ASSERT_TRUE(HeldOutProblems(3, 50, 1, &again).ok());
  EXPECT_EQ(again[49].prompt, a[49].prompt);
  // One-digit addition has only 100 problems, a handful held out.
  EXPECT_TRUE(HeldOutProblems(1, 50, 1, &a).IsInvalidArgument());
  EXPECT_TRUE(HeldOutProblems(0, 1, 1, &a).IsInvalidArgument());
  EXPECT_TRUE(HeldOutProblems(3, kMaxHeldOutProblems + 1, 1, &a).IsInvalidArgument());
}

TEST_F(DatasetTest, RejectsBadBatchSpecs) {
  Batch b;
  EXPECT_TRUE(Addition(3).MakeBatch(BatchSpec{1, 0, 0, 0, 16}, &b).IsInvalidArgument());
  EXPECT_TRUE(Addition(3).MakeBatch(BatchSpec{1, 0, 0, 4, 0}, &b).IsInvalidArgument());
  EXPECT_TRUE(
      Addition(3).MakeBatch(BatchSpec{1, 0, 0, 1u << 20, 1u << 10}, &b).IsInvalidArgument());
  // "999+999=1998\n" is 13 bytes: T = 12 is the shortest context for n = 3.
  EXPECT_TRUE(Addition(3).MakeBatch(BatchSpec{1, 0, 0, 4, 11}, &b).IsInvalidArgument());
  EXPECT_TRUE(Addition(3).MakeBatch(BatchSpec{1, 0, 0, 4, 12}, &b).ok());
  EXPECT_TRUE(Text("short").MakeBatch(BatchSpec{1, 0, 0, 4, 5}, &b).IsInvalidArgument());
  EXPECT_TRUE(Text("short!").MakeBatch(BatchSpec{1, 0, 0, 4, 5}, &b).ok());
  EXPECT_TRUE(Dataset().MakeBatch(kSpec, &b).IsInvalidArgument());
  Dataset d;
  EXPECT_TRUE(Dataset::Addition(0, &d).IsInvalidArgument());
  EXPECT_TRUE(Dataset::Addition(kMaxAdditionDigits + 1, &d).IsInvalidArgument());
  EXPECT_TRUE(Dataset::FromText({}, &d).IsInvalidArgument());
}

// ---------------------------------------------------------------------------
// Text

TEST_F(DatasetTest, TextWindowsAreSlicesOfTheFileWithFullMask) {
  const std::string text = "The quick brown fox jumps over the lazy dog.\n";
  const Dataset d = Text(text);
  const Batch b = MakeBatch(d, BatchSpec{5, 3, 0, 32, 8});
  std::set<std::string> windows;
  for (uint32_t r = 0; r < b.rows; ++r) {
    const std::string in = Row(b.inputs, 8, r);
    const size_t at = text.find(in);
    ASSERT_NE(at, std::string::npos) << in;
    EXPECT_EQ(Row(b.targets, 8, r), text.substr(at + 1, 8));
    windows.insert(in);
  }
  EXPECT_EQ(b.mask, std::vector<uint8_t>(32 * 8, 1));
  EXPECT_GT(windows.size(), 10u);  // offsets vary
  // The window may end on the very last byte.
  const Batch edge = MakeBatch(Text("abcdefghi"), BatchSpec{5, 3, 0, 4, 8});
  for (uint32_t r = 0; r < 4; ++r) EXPECT_EQ(Row(edge.targets, 8, r), "bcdefghi");
}

TEST_F(DatasetTest, LoadsATextFile) {
  const std::string path =
      (fs::temp_directory_path() / ("cc_dataset_" + std::to_string(::getpid()))).string();
  const std::vector<uint8_t> bytes = LongText(3 * kChunkSize + 100);
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  Dataset d;
  ASSERT_TRUE(Dataset::LoadTextFile(path, &d).ok());
  fs::remove(path);
  EXPECT_EQ(d.manifest().kind, DatasetKind::kText);
  EXPECT_EQ(d.manifest().size, bytes.size());
  ASSERT_EQ(d.manifest().chunks.size(), 4u);
  ByteSpan chunk;
  ASSERT_TRUE(d.Chunk(3, &chunk).ok());
  EXPECT_EQ(chunk.size(), 100u);
  EXPECT_EQ(d.manifest().chunks[3], TaggedHash(tags::kDataChunk, chunk));
  EXPECT_TRUE(d.Chunk(4, &chunk).IsNotFound());
  EXPECT_EQ(d.manifest(), Text(std::string(bytes.begin(), bytes.end())).manifest());

  EXPECT_TRUE(Dataset::LoadTextFile(path, &d).IsIOError());  // gone now
}

// ---------------------------------------------------------------------------
// Manifest

TEST_F(DatasetTest, ManifestRootCommitsToEveryByte) {
  std::vector<uint8_t> bytes = LongText(2 * kChunkSize + 5);
  Dataset a;
  ASSERT_TRUE(Dataset::FromText(bytes, &a).ok());
  bytes[kChunkSize + 17] ^= 1;
  Dataset b;
  ASSERT_TRUE(Dataset::FromText(bytes, &b).ok());
  EXPECT_NE(a.manifest().Root(), b.manifest().Root());
  EXPECT_EQ(a.manifest().chunks[0], b.manifest().chunks[0]);
  EXPECT_NE(a.manifest().chunks[1], b.manifest().chunks[1]);
  // Kind and digits are committed too.
  EXPECT_NE(Addition(3).manifest().Root(), Addition(4).manifest().Root());
}

TEST_F(DatasetTest, ChunksVerifyAgainstTheRootWithMerkleProofs) {
  const Dataset d = LongTextDataset(2 * kChunkSize + 5);
  std::vector<Uint256> leaves;
  {
    std::vector<uint8_t> head;
    Writer w(&head);
    w(uint8_t{2}, uint32_t{0}, uint64_t{2 * kChunkSize + 5});
    leaves.push_back(TaggedHash(kDataManifestTag, head));
  }
  leaves.insert(leaves.end(), d.manifest().chunks.begin(), d.manifest().chunks.end());
  ASSERT_EQ(MerkleRoot(leaves), d.manifest().Root());
  MerkleProof proof;
  ASSERT_TRUE(MakeMerkleProof(leaves, 2, &proof).ok());
  ByteSpan chunk;
  ASSERT_TRUE(d.Chunk(1, &chunk).ok());
  EXPECT_TRUE(VerifyMerkleProof(TaggedHash(tags::kDataChunk, chunk), proof, d.manifest().Root()));
}

TEST_F(DatasetTest, ManifestWireRoundTripAndRejections) {
  const Dataset d = LongTextDataset(kChunkSize + 1);
  DatasetManifest back;
  ASSERT_TRUE(Deserialize(Serialize(d.manifest()), &back).ok());
  EXPECT_EQ(back, d.manifest());

  auto reject = [](DatasetManifest m) {
    DatasetManifest out;
    const Status s = Deserialize(Serialize(m), &out);
    return s.ok() ? std::string() : s.message();
  };
  DatasetManifest m = d.manifest();
  m.chunks.pop_back();
  EXPECT_EQ(reject(m), "bad-dataset-manifest");
  m = d.manifest();
  m.size = 0;
  EXPECT_EQ(reject(m), "bad-dataset-manifest");
  m = d.manifest();
  m.digits = 3;
  EXPECT_EQ(reject(m), "bad-dataset-manifest");
  m = DatasetManifest{DatasetKind::kAddition, 0, 0, {}};
  EXPECT_EQ(reject(m), "bad-dataset-manifest");
  m.digits = 3;
  EXPECT_EQ(reject(m), "");
  std::vector<uint8_t> bytes = Serialize(m);
  bytes[0] = 9;
  EXPECT_EQ(Deserialize(bytes, &back).message(), "bad-dataset-kind");
}

TEST_F(DatasetTest, FromChunksChecksEveryChunk) {
  const std::vector<uint8_t> bytes = LongText(2 * kChunkSize + 5);
  const Dataset d = Text(std::string(bytes.begin(), bytes.end()));
  std::vector<std::vector<uint8_t>> chunks;
  for (uint64_t i = 0; i < 3; ++i) {
    ByteSpan c;
    ASSERT_TRUE(d.Chunk(i, &c).ok());
    chunks.emplace_back(c.begin(), c.end());
  }
  Dataset rebuilt;
  ASSERT_TRUE(Dataset::FromChunks(d.manifest(), chunks, &rebuilt).ok());
  EXPECT_EQ(MakeBatch(rebuilt, kSpec).inputs, MakeBatch(d, kSpec).inputs);

  chunks[1][100] ^= 1;
  Status s = Dataset::FromChunks(d.manifest(), chunks, &rebuilt);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_EQ(s.message(), "chunk 1 does not match the manifest");
  chunks[1][100] ^= 1;
  chunks[2].push_back(0);
  EXPECT_EQ(Dataset::FromChunks(d.manifest(), chunks, &rebuilt).message(),
            "chunk 2 does not match the manifest");
  chunks.pop_back();
  EXPECT_TRUE(Dataset::FromChunks(d.manifest(), chunks, &rebuilt).IsInvalidArgument());
  EXPECT_TRUE(Dataset::FromChunks(Addition(3).manifest(), {}, &rebuilt).IsInvalidArgument());
}

}  // namespace
}  // namespace cc::compute
