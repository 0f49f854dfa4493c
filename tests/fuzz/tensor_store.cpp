// Fuzz target: TensorStore's file records (compute/tensor_store.h), read back
// after a crash or disk damage: "magic:CCT1 step:u64 encoding" under the hex
// of the tensor's hash. The input is the whole file. It is written under
// the name of the tagged hash of its bytes after the 12-byte header (so a
// file with a good header and a well-formed encoding is a valid record)
// unless the step's top bit is set or the file is shorter than the header;
// then under a fixed name (a record whose content does not match its name).
// A store is then opened over it and the tensor read. Beyond "no crash":
//   - Open indexes the file (a damaged header only marks it damaged);
//   - Get returns the tensor only if it is well formed and hashes to its
//     name, with GetStep the header's step; anything else is Corruption and
//     the file is deleted (Has turns false), so a good copy can be Put again;
//   - Put of a returned tensor stores it again without error.
// The store lives in a temporary directory ($TMPDIR or /tmp) removed at exit.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "chain/hash.h"
#include "compute/tensor.h"
#include "compute/tensor_store.h"
#include "tests/fuzz/fuzz.h"

namespace {

namespace fs = std::filesystem;

constexpr size_t kHeaderSize = 12;  // "CCT1" and the step

const fs::path& StoreDir() {
  static const cc::fuzz::ScratchDir dir("tensor-store");
  return dir.path();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const cc::ByteSpan file(data, size);
  cc::Uint256 name;
  if (size >= kHeaderSize && (data[kHeaderSize - 1] & 0x80) == 0) {
    name = cc::TaggedHash(cc::tags::kTensor, file.subspan(kHeaderSize));
  } else {
    name = cc::TaggedHash(cc::tags::kTensor, cc::ByteSpan());
  }
  const std::string hex = name.ToHex();
  const fs::path dir = StoreDir() / hex.substr(0, 2) / hex.substr(2, 2);
  fs::create_directories(dir);
  {
    std::ofstream out(dir / hex, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    CC_FUZZ_CHECK(static_cast<bool>(out));
  }

  {
    std::unique_ptr<cc::compute::TensorStore> store;
    CC_FUZZ_CHECK(cc::compute::TensorStore::Open(
                      StoreDir().string(), cc::compute::TensorStoreOptions{.sync = false}, &store)
                      .ok());
    CC_FUZZ_CHECK(store->Has(name) && store->Count() == 1 && store->Bytes() == size);

    cc::compute::EncodedTensor t;
    const cc::Status s = store->Get(name, &t);
    if (s.ok()) {
      CC_FUZZ_CHECK(size >= kHeaderSize && std::memcmp(data, "CCT1", 4) == 0);
      CC_FUZZ_CHECK(t.Hash() == name && cc::compute::CheckEncoding(t).ok());
      uint64_t header_step = 0;
      std::memcpy(&header_step, data + 4, 8);
      uint64_t step = 0;
      CC_FUZZ_CHECK(store->GetStep(name, &step).ok() && step == header_step);
      cc::Uint256 put_hash;
      CC_FUZZ_CHECK(store->Put(t, step, &put_hash).ok() && put_hash == name);
    } else {
      CC_FUZZ_CHECK(s.IsCorruption());
      CC_FUZZ_CHECK(!store->Has(name) && store->Count() == 0);
    }
  }
  fs::remove_all(StoreDir() / hex.substr(0, 2));
  return 0;
}
