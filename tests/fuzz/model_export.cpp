// Fuzz target: checking a model export (node/model_export.h), files that a
// user downloads from anyone and hands to verifymodelexport or the PyTorch
// loader. The first input byte picks which file the rest replaces in the
// sample export (model_export_sample.h): even, the manifest; odd, the
// safetensors file, with the sample manifest's safetensors_sha256 set to the
// new file's hash so that the checks past the checksum are reached. Beyond
// "no crash" (no exception escapes, whatever the JSON's types):
//   - a refusal is Corruption, InvalidArgument (another model), NotFound
//     (the named tensor file is absent) or ReadFileLimited's other errors,
//     with a message;
//   - an accepted export's weights are exactly the sample's: the manifest's
//     hashes bind every float, so no edit of either file changes a weight
//     and still passes.
// The files live in a scratch directory ($TMPDIR or /tmp) removed at exit.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "chain/hash.h"
#include "rpc/protocol.h"
#include "tests/fuzz/fuzz.h"
#include "tests/util/model_export_sample.h"

namespace {

namespace fs = std::filesystem;

std::vector<uint8_t> ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void WriteAll(const fs::path& path, const uint8_t* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
}

struct Sample {
  cc::fuzz::ScratchDir dir{"model-export"};
  fs::path manifest, tensors;
  std::vector<uint8_t> manifest_bytes, tensor_bytes;
  cc::compute::ParamValues params;

  Sample() {
    cc::ModelExportInfo info;
    CC_FUZZ_CHECK(cc::fuzz::WriteSampleModelExport(dir.path() / "sample", &info).ok());
    manifest = info.manifest;
    tensors = info.safetensors;
    manifest_bytes = ReadAll(manifest);
    tensor_bytes = ReadAll(tensors);
    params = cc::compute::InitialParams(cc::fuzz::SampleExportConfig());
  }
};

const Sample& TheSample() {
  static const Sample sample;
  return sample;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Sample& sample = TheSample();
  if (size == 0) return 0;
  const uint8_t* body = data + 1;
  const size_t body_size = size - 1;
  if (data[0] % 2 == 0) {
    WriteAll(sample.manifest, body, body_size);
    WriteAll(sample.tensors, sample.tensor_bytes.data(), sample.tensor_bytes.size());
  } else {
    cc::rpc::json manifest;
    const std::string_view text(reinterpret_cast<const char*>(sample.manifest_bytes.data()),
                                sample.manifest_bytes.size());
    CC_FUZZ_CHECK(cc::rpc::ParseJsonBody(text, &manifest).ok());
    manifest["safetensors_sha256"] = cc::Sha256Hash(cc::ByteSpan(body, body_size)).ToHex();
    const std::string edited = manifest.dump(2);
    WriteAll(sample.manifest, reinterpret_cast<const uint8_t*>(edited.data()), edited.size());
    WriteAll(sample.tensors, body, body_size);
  }

  cc::ModelExportInfo info;
  cc::compute::ParamValues params;
  const cc::Status s =
      cc::CheckModelExport(sample.manifest, cc::fuzz::SampleExportConfig(), &info, &params);
  if (!s.ok()) {
    CC_FUZZ_CHECK(s.IsCorruption() || s.IsInvalidArgument() || s.IsNotFound() || s.IsIOError());
    CC_FUZZ_CHECK(!s.message().empty());
    return 0;
  }
  CC_FUZZ_CHECK(params.size() == sample.params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    CC_FUZZ_CHECK(params[i].size() == sample.params[i].size());
    CC_FUZZ_CHECK(std::memcmp(params[i].data(), sample.params[i].data(),
                              params[i].size() * sizeof(float)) == 0);
  }
  return 0;
}
