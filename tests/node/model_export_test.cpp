// CheckModelExport (node/model_export.h) on files edited by hand or by an
// attacker: every refusal is a Status naming the problem, never an exception,
// and no edit changes a weight and still passes.

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "chain/hash.h"
#include "node/model_export.h"
#include "rpc/protocol.h"
#include "tests/util/model_export_sample.h"
#include "tests/util/test_util.h"

namespace cc {
namespace {

namespace fs = std::filesystem;
using rpc::json;

class ModelExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fuzz::WriteSampleModelExport(fs::path(dir_.path()) / "sample", &info_).ok());
    std::ifstream in(info_.manifest);
    ASSERT_TRUE(rpc::ParseJsonBody(std::string(std::istreambuf_iterator<char>(in), {}), &manifest_).ok());
  }

  Status Check(compute::ParamValues* params = nullptr) {
    ModelExportInfo info;
    return CheckModelExport(info_.manifest, fuzz::SampleExportConfig(), &info, params);
  }
  void WriteManifest(const json& manifest) {
    std::ofstream(info_.manifest, std::ios::trunc) << manifest.dump(2);
  }
  std::vector<uint8_t> ReadTensors() const {
    std::ifstream in(info_.safetensors, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
  }
  // Replaces the tensor file with `file` and sets the manifest's checksum to
  // match, so that the check goes past the checksum.
  void WriteTensorsWithMatchingChecksum(const std::vector<uint8_t>& file) {
    std::ofstream(info_.safetensors, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));
    json edited = manifest_;
    edited["safetensors_sha256"] = Sha256Hash(file).ToHex();
    WriteManifest(edited);
  }

  test::TempDir dir_;
  ModelExportInfo info_;
  json manifest_;
};

TEST_F(ModelExportTest, WrittenExportChecksAndGivesBackTheWeights) {
  compute::ParamValues params;
  ASSERT_TRUE(Check(&params).ok());
  EXPECT_EQ(params, compute::InitialParams(fuzz::SampleExportConfig()));
}

// json::value(key, "") throws when the value is not a string: a manifest with
// "format": 1 ended verifymodelexport with an exception (fuzz_model_export).
TEST_F(ModelExportTest, FieldsOfAnotherTypeAreCorruption) {
  for (const char* field : {"format", "network", "height", "safetensors", "sections", "block_hash"}) {
    json edited = manifest_;
    edited[field] = field == std::string("height") ? json("12") : json(1);
    WriteManifest(edited);
    const Status s = Check();
    EXPECT_TRUE(s.IsCorruption()) << field << ": " << s.ToString();
  }
}

TEST_F(ModelExportTest, TensorDtypeOfAnotherTypeIsCorruption) {
  std::vector<uint8_t> file = ReadTensors();
  uint64_t header_len = 0;
  std::memcpy(&header_len, file.data(), 8);
  std::string header(file.begin() + 8, file.begin() + 8 + static_cast<long>(header_len));
  const size_t at = header.find("\"F32\"");
  ASSERT_NE(at, std::string::npos);
  header.replace(at, 5, "32   ");  // same length: offsets stay valid
  std::copy(header.begin(), header.end(), file.begin() + 8);
  WriteTensorsWithMatchingChecksum(file);
  const Status s = Check();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("is not F32"), std::string::npos) << s.ToString();
}

TEST_F(ModelExportTest, AChangedWeightWithAMatchingChecksumIsRefused) {
  std::vector<uint8_t> file = ReadTensors();
  file.back() ^= 0x01;  // the last float of the last tensor
  WriteTensorsWithMatchingChecksum(file);
  const Status s = Check();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("do not hash to its weights_hash"), std::string::npos) << s.ToString();
}

TEST_F(ModelExportTest, TensorFileOutsideTheManifestsFolderIsRefused) {
  for (const char* name : {"../sample.safetensors", "/etc/passwd", "..", ""}) {
    json edited = manifest_;
    edited["safetensors"] = name;
    WriteManifest(edited);
    const Status s = Check();
    EXPECT_TRUE(s.IsCorruption()) << name << ": " << s.ToString();
  }
}

}  // namespace
}  // namespace cc
