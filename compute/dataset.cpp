#include "compute/dataset.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <set>
#include <tuple>
#include <utility>

#include "chain/hash.h"
#include "chain/merkle.h"

namespace cc::compute {
namespace {

// ---------------------------------------------------------------------------
// The counter hash: TaggedHash over fields serialized little-endian.

template <typename... Fields>
Uint256 CounterHash(std::string_view tag, const Fields&... fields) {
  std::vector<uint8_t> message;
  message.reserve(40);
  Writer w(&message);
  w(fields...);
  return TaggedHash(tag, message);
}

uint64_t Le64(const Uint256& h, size_t offset) {
  uint64_t v;
  std::memcpy(&v, h.data() + offset, 8);
  return v;
}

uint64_t PowerOfTen(uint32_t n) {
  uint64_t p = 1;
  for (uint32_t i = 0; i < n; ++i) p *= 10;
  return p;
}

// Operands from a draw hash: the first two 64-bit words mod 10^n.
std::pair<uint64_t, uint64_t> Operands(const Uint256& h, uint32_t digits) {
  const uint64_t range = PowerOfTen(digits);
  return {Le64(h, 0) % range, Le64(h, 8) % range};
}

std::string ZeroPadded(uint64_t v, uint32_t digits) {
  std::string s = std::to_string(v);
  if (s.size() < digits) s.insert(0, digits - s.size(), '0');
  return s;
}

// Longest line of the n-digit task: n + 1 + n + 1 + (n + 1) + 1 bytes.
uint64_t MaxLineLength(uint32_t digits) { return 3 * uint64_t{digits} + 4; }

bool ValidDigits(uint32_t digits) { return digits >= 1 && digits <= kMaxAdditionDigits; }

// Why `m` breaks the manifest rules; nullptr if it does not.
const char* ManifestError(const DatasetManifest& m) {
  switch (m.kind) {
    case DatasetKind::kAddition:
      if (!ValidDigits(m.digits) || m.size != 0 || !m.chunks.empty()) return "bad-dataset-manifest";
      return nullptr;
    case DatasetKind::kText:
      if (m.digits != 0 || m.size == 0 || m.size > kMaxTextBytes ||
          m.chunks.size() != (m.size + kChunkSize - 1) / kChunkSize) {
        return "bad-dataset-manifest";
      }
      return nullptr;
  }
  return "bad-dataset-kind";
}

uint64_t ChunkLength(const DatasetManifest& m, uint64_t index) {
  return std::min(kChunkSize, m.size - index * kChunkSize);
}

Status CheckShape(const BatchSpec& spec) {
  if (spec.rows == 0 || spec.context == 0)
    return Status::InvalidArgument("batch rows and context must be positive");
  if (uint64_t{spec.rows} * spec.context > kMaxBatchTokens) {
    return Status::InvalidArgument("batch of " + std::to_string(spec.rows) + "x" +
                                   std::to_string(spec.context) + " tokens exceeds the limit");
  }
  return Status::OK();
}

// Row r of an addition batch: T + 1 bytes and, per byte, whether it is an
// answer token.
void AdditionRow(const BatchSpec& spec, uint32_t digits, uint32_t row, uint8_t* bytes,
                 uint8_t* answer) {
  const uint64_t length = uint64_t{spec.context} + 1;
  uint64_t filled = 0;
  for (uint32_t k = 0; filled < length; ++k) {
    uint64_t a = 0, b = 0;
    for (uint32_t j = 0;; ++j) {
      std::tie(a, b) =
          Operands(CounterHash(kDataSampleTag, spec.seed, spec.step, spec.lane, row, k, j), digits);
      if (!IsHeldOut(digits, a, b)) break;
    }
    const AdditionProblem p = MakeAdditionProblem(digits, a, b);
    const std::string line = p.prompt + p.answer + "\n";
    for (size_t i = 0; i < line.size() && filled < length; ++i, ++filled) {
      bytes[filled] = static_cast<uint8_t>(line[i]);
      answer[filled] = i >= p.prompt.size() ? 1 : 0;
    }
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// Manifest

Uint256 DatasetManifest::Root() const {
  std::vector<Uint256> leaves;
  leaves.reserve(1 + chunks.size());
  leaves.push_back(CounterHash(kDataManifestTag, static_cast<uint8_t>(kind), digits, size));
  leaves.insert(leaves.end(), chunks.begin(), chunks.end());
  return MerkleRoot(leaves);
}

void Put(Writer& w, const DatasetManifest& m) {
  w(static_cast<uint8_t>(m.kind), m.digits, m.size, m.chunks);
}

void Get(Reader& r, DatasetManifest& m) {
  uint8_t kind = 0;
  r(kind);
  if (kind != static_cast<uint8_t>(DatasetKind::kAddition) &&
      kind != static_cast<uint8_t>(DatasetKind::kText)) {
    throw DecodeError("bad-dataset-kind");
  }
  m.kind = static_cast<DatasetKind>(kind);
  r(m.digits, m.size, m.chunks);
  if (const char* e = ManifestError(m)) throw DecodeError(e);
}

// ---------------------------------------------------------------------------
// Dataset

Status Dataset::Addition(uint32_t digits, Dataset* out) {
  if (!ValidDigits(digits)) {
    return Status::InvalidArgument("addition digits must be 1.." +
                                   std::to_string(kMaxAdditionDigits));
  }
  out->manifest_ = DatasetManifest{DatasetKind::kAddition, digits, 0, {}};
  out->bytes_.clear();
  return Status::OK();
}

Status Dataset::FromText(std::vector<uint8_t> bytes, Dataset* out) {
  if (bytes.empty()) return Status::InvalidArgument("text dataset is empty");
  if (bytes.size() > kMaxTextBytes) return Status::InvalidArgument("text dataset exceeds 1 GiB");
  DatasetManifest m{DatasetKind::kText, 0, bytes.size(), {}};
  for (uint64_t offset = 0; offset < bytes.size(); offset += kChunkSize) {
    const ByteSpan chunk(bytes.data() + offset,
                         std::min<uint64_t>(kChunkSize, bytes.size() - offset));
    m.chunks.push_back(TaggedHash(tags::kDataChunk, chunk));
  }
  out->manifest_ = std::move(m);
  out->bytes_ = std::move(bytes);
  return Status::OK();
}

Status Dataset::LoadTextFile(const std::string& path, Dataset* out) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return Status::IOError("cannot open dataset " + path);
  const std::streamoff size = in.tellg();
  if (size < 0) return Status::IOError("cannot size dataset " + path);
  if (static_cast<uint64_t>(size) > kMaxTextBytes) {
    return Status::InvalidArgument("dataset " + path + " exceeds 1 GiB");
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), size))
    return Status::IOError("cannot read dataset " + path);
  const Status s = FromText(std::move(bytes), out);
  if (!s.ok()) return Status::InvalidArgument("dataset " + path + ": " + s.message());
  return Status::OK();
}

Status Dataset::FromChunks(const DatasetManifest& manifest,
                           std::span<const std::vector<uint8_t>> chunks, Dataset* out) {
  if (manifest.kind != DatasetKind::kText || ManifestError(manifest) != nullptr) {
    return Status::InvalidArgument("not a valid text dataset manifest");
  }
  if (chunks.size() != manifest.chunks.size()) {
    return Status::InvalidArgument("manifest lists " + std::to_string(manifest.chunks.size()) +
                                   " chunks, got " + std::to_string(chunks.size()));
  }
  std::vector<uint8_t> bytes;
  bytes.reserve(manifest.size);
  for (uint64_t i = 0; i < chunks.size(); ++i) {
    if (chunks[i].size() != ChunkLength(manifest, i) ||
        TaggedHash(tags::kDataChunk, chunks[i]) != manifest.chunks[i]) {
      return Status::Corruption("chunk " + std::to_string(i) + " does not match the manifest");
    }
    bytes.insert(bytes.end(), chunks[i].begin(), chunks[i].end());
  }
  out->manifest_ = manifest;
  out->bytes_ = std::move(bytes);
  return Status::OK();
}

Status Dataset::Chunk(uint64_t index, ByteSpan* out) const {
  if (index >= manifest_.chunks.size()) return Status::NotFound("chunk " + std::to_string(index));
  *out = ByteSpan(bytes_.data() + index * kChunkSize, ChunkLength(manifest_, index));
  return Status::OK();
}

Status Dataset::MakeBatch(const BatchSpec& spec, Batch* out) const {
  if (const char* e = ManifestError(manifest_))
    return Status::InvalidArgument(std::string("dataset: ") + e);
  if (Status s = CheckShape(spec); !s.ok()) return s;
  const uint64_t row_length = uint64_t{spec.context} + 1;
  if (manifest_.kind == DatasetKind::kAddition && row_length < MaxLineLength(manifest_.digits)) {
    return Status::InvalidArgument("context " + std::to_string(spec.context) + " cannot hold a " +
                                   std::to_string(manifest_.digits) + "-digit problem (needs " +
                                   std::to_string(MaxLineLength(manifest_.digits) - 1) + ")");
  }
  if (manifest_.kind == DatasetKind::kText && row_length > manifest_.size) {
    return Status::InvalidArgument("text dataset of " + std::to_string(manifest_.size) +
                                   " bytes is shorter than context + 1");
  }

  const size_t cells = size_t{spec.rows} * spec.context;
  out->rows = spec.rows;
  out->context = spec.context;
  out->inputs.resize(cells);
  out->targets.resize(cells);
  out->mask.resize(cells);
  std::vector<uint8_t> row(row_length), answer(row_length, 1);
  for (uint32_t r = 0; r < spec.rows; ++r) {
    if (manifest_.kind == DatasetKind::kAddition) {
      AdditionRow(spec, manifest_.digits, r, row.data(), answer.data());
    } else {
      const uint64_t offset =
          Le64(CounterHash(kDataSampleTag, spec.seed, spec.step, spec.lane, r), 0) %
          (manifest_.size - spec.context);
      std::copy_n(bytes_.begin() + static_cast<std::ptrdiff_t>(offset), row_length, row.begin());
    }
    const size_t base = size_t{r} * spec.context;
    std::copy_n(row.begin(), spec.context, out->inputs.begin() + static_cast<std::ptrdiff_t>(base));
    std::copy_n(row.begin() + 1, spec.context,
                out->targets.begin() + static_cast<std::ptrdiff_t>(base));
    std::copy_n(answer.begin() + 1, spec.context,
                out->mask.begin() + static_cast<std::ptrdiff_t>(base));
  }
  return Status::OK();
}

EncodedBatch EncodeBatch(const Batch& batch) {
  const std::array<uint64_t, 2> shape = {batch.rows, batch.context};
  return EncodedBatch{EncodeBytes(batch.inputs, shape), EncodeBytes(batch.targets, shape),
                      EncodeBytes(batch.mask, shape)};
}

// ---------------------------------------------------------------------------
// Addition problems

AdditionProblem MakeAdditionProblem(uint32_t digits, uint64_t a, uint64_t b) {
  AdditionProblem p;
  p.a = a;
  p.b = b;
  p.prompt = ZeroPadded(a, digits) + "+" + ZeroPadded(b, digits) + "=";
  p.answer = std::to_string(a + b);
  return p;
}

bool AdditionProblem::IsCorrect(std::string_view continuation) const {
  return continuation.size() > answer.size() && continuation.substr(0, answer.size()) == answer &&
         continuation[answer.size()] == '\n';
}

bool IsHeldOut(uint32_t digits, uint64_t a, uint64_t b) {
  return Le64(CounterHash(kDataSplitTag, digits, a, b), 0) % kHeldOutOneIn == 0;
}

Status HeldOutProblems(uint32_t digits, uint64_t count, uint64_t seed,
                       std::vector<AdditionProblem>* out) {
  if (!ValidDigits(digits)) {
    return Status::InvalidArgument("addition digits must be 1.." +
                                   std::to_string(kMaxAdditionDigits));
  }
  if (count > kMaxHeldOutProblems) {
    return Status::InvalidArgument("at most " + std::to_string(kMaxHeldOutProblems) +
                                   " held-out problems per call");
  }
  out->clear();
  std::set<std::pair<uint64_t, uint64_t>> kept;
  const uint64_t draws = 64 * count + 4096;
  for (uint64_t i = 0; i < draws && kept.size() < count; ++i) {
    const auto [a, b] = Operands(CounterHash(kDataEvalTag, seed, digits, i), digits);
    if (IsHeldOut(digits, a, b) && kept.emplace(a, b).second)
      out->push_back(MakeAdditionProblem(digits, a, b));
  }
  if (kept.size() < count) {
    return Status::InvalidArgument("found only " + std::to_string(kept.size()) + " held-out " +
                                   std::to_string(digits) + "-digit problems of " +
                                   std::to_string(count));
  }
  return Status::OK();
}

}  // namespace cc::compute
