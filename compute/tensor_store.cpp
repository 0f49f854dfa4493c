#include "compute/tensor_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string_view>
#include <system_error>
#include <vector>

#include "chain/hash.h"
#include "chain/logging.h"
#include "chain/serialize.h"

namespace cc::compute {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMagic = "CCT1";
constexpr size_t kFileHeaderSize = 4 + 8;  // magic, step
constexpr std::string_view kTempInfix = ".tmp.";

Status ErrnoError(std::string_view what, const std::string& path) {
  return Status::IOError(std::string(what) + " " + path + ": " + std::strerror(errno));
}

// Closes a descriptor on scope exit.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

Status WriteAll(int fd, const uint8_t* data, size_t size, const std::string& path) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("cannot write", path);
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Status::OK();
}

// Reads all of `path` into *out and its identity into *st.
// Returns NotFound if the file does not exist.
Status ReadFile(const std::string& path, std::vector<uint8_t>* out, struct stat* st) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(path);
    return ErrnoError("cannot open", path);
  }
  FdCloser closer(fd);
  if (::fstat(fd, st) != 0) return ErrnoError("cannot stat", path);
  out->resize(static_cast<size_t>(st->st_size));
  size_t done = 0;
  while (done < out->size()) {
    const ssize_t n = ::read(fd, out->data() + done, out->size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("cannot read", path);
    }
    if (n == 0) break;  // shrank underneath us: the checks below reject it
    done += static_cast<size_t>(n);
  }
  out->resize(done);
  return Status::OK();
}

Status SyncDirectory(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot open directory", path);
  FdCloser closer(fd);
  if (::fsync(fd) != 0) return ErrnoError("cannot fsync directory", path);
  return Status::OK();
}

// The step in a file header, or nullopt-like false if the header is damaged.
bool ParseHeader(ByteSpan file, uint64_t* step) {
  if (file.size() < kFileHeaderSize || std::memcmp(file.data(), kMagic.data(), kMagic.size()) != 0)
    return false;
  std::memcpy(step, file.data() + kMagic.size(), 8);
  return true;
}

// Why a tensor file does not hold the tensor `hash`; nullptr if it does.
const char* FileError(ByteSpan file, const Uint256& hash, EncodedTensor* t) {
  uint64_t step = 0;
  if (!ParseHeader(file, &step)) return "bad file header";
  const ByteSpan encoding = file.subspan(kFileHeaderSize);
  if (TaggedHash(tags::kTensor, encoding) != hash) return "content does not match its hash";
  // Put stored only well-formed tensors, so with a matching hash this
  // cannot fail short of a SHA-256 collision; checked all the same.
  if (!Deserialize(encoding, t).ok()) return "malformed encoding";
  return nullptr;
}

}  // namespace

TensorStore::TensorStore(std::string dir, const TensorStoreOptions& options, int lock_fd)
    : dir_(std::move(dir)), options_(options), lock_fd_(lock_fd) {}

TensorStore::~TensorStore() { ::close(lock_fd_); }

Status TensorStore::Open(const std::string& dir, const TensorStoreOptions& options,
                         std::unique_ptr<TensorStore>* store) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir + ": " + ec.message());
  const std::string lock_path = dir + "/LOCK";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("cannot open", lock_path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const Status s = errno == EWOULDBLOCK
                         ? Status::IOError("tensor store " + dir + " is in use by another process")
                         : ErrnoError("cannot lock", lock_path);
    ::close(fd);
    return s;
  }
  std::unique_ptr<TensorStore> opened(new TensorStore(dir, options, fd));
  const Status s = opened->Scan();
  if (!s.ok()) return s;
  *store = std::move(opened);
  return Status::OK();
}

// Rebuilds index_ from the directory. Files whose names are not ours are left
// alone; a tensor file with a damaged header (a crash with sync off, or disk
// damage) is indexed as damaged at step 0: the next Prune, Get or Put of that
// tensor replaces or removes it.
Status TensorStore::Scan() {
  std::error_code ec;
  std::lock_guard<std::mutex> lock(mu_);
  for (const fs::directory_entry& level1 : fs::directory_iterator(dir_, ec)) {
    if (!level1.is_directory(ec)) continue;
    for (const fs::directory_entry& level2 : fs::directory_iterator(level1.path(), ec)) {
      if (!level2.is_directory(ec)) continue;
      for (const fs::directory_entry& file : fs::directory_iterator(level2.path(), ec)) {
        const std::string name = file.path().filename().string();
        if (name.find(kTempInfix) != std::string::npos) {
          fs::remove(file.path(), ec);  // an interrupted Put
          continue;
        }
        const std::optional<Uint256> hash = Uint256::FromHex(name);
        if (!hash || PathOf(*hash) != file.path().string()) continue;
        const uint64_t bytes = file.file_size(ec);
        if (ec) return Status::IOError("cannot stat " + file.path().string() + ": " + ec.message());

        uint8_t header[kFileHeaderSize] = {};
        uint64_t step = 0;
        const int fd = ::open(file.path().c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return ErrnoError("cannot open", file.path().string());
        const ssize_t n = ::read(fd, header, sizeof(header));
        ::close(fd);
        const bool damaged = n < 0 || !ParseHeader(ByteSpan(header, static_cast<size_t>(n)), &step);
        index_[*hash] = Entry{damaged ? 0 : step, bytes, damaged};
        total_bytes_ += bytes;
      }
      if (ec) return Status::IOError("cannot list " + level2.path().string() + ": " + ec.message());
    }
    if (ec) return Status::IOError("cannot list " + level1.path().string() + ": " + ec.message());
  }
  if (ec) return Status::IOError("cannot list " + dir_ + ": " + ec.message());
  return Status::OK();
}

std::string TensorStore::PathOf(const Uint256& hash) const {
  const std::string hex = hash.ToHex();
  return dir_ + "/" + hex.substr(0, 2) + "/" + hex.substr(2, 2) + "/" + hex;
}

Status TensorStore::Put(const EncodedTensor& t, uint64_t step, Uint256* hash, bool sync) {
  const Uint256 id = t.Hash();
  if (hash != nullptr) *hash = id;
  return PutHashed(t, id, step, sync);
}

Status TensorStore::PutHashed(const EncodedTensor& t, const Uint256& id, uint64_t step,
                              bool sync) {
  if (const Status s = CheckEncoding(t); !s.ok()) return Status::InvalidArgument(s.message());
  sync = sync && options_.sync;
  bool stored = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto it = index_.find(id);
    stored = it != index_.end() && !it->second.damaged && it->second.step >= step;
  }
  if (stored) return sync ? Sync(id) : Status::OK();  // it may have been stored unsynced

  std::vector<uint8_t> file;
  file.reserve(kFileHeaderSize + 16 + 8 * t.shape.size() + t.payload.size());
  Writer w(&file);
  w.WriteBytes(AsBytes(kMagic));
  w(step, t);

  const std::string path = PathOf(id);
  const std::string dir = path.substr(0, path.rfind('/'));
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir + ": " + ec.message());
  const std::string temp = path + std::string(kTempInfix) + std::to_string(next_temp_++);
  {
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoError("cannot create", temp);
    FdCloser closer(fd);
    Status s = WriteAll(fd, file.data(), file.size(), temp);
    if (s.ok() && sync && ::fsync(fd) != 0) s = ErrnoError("cannot fsync", temp);
    if (!s.ok()) {
      ::unlink(temp.c_str());
      return s;
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto it = index_.find(id);
    if (it != index_.end() && !it->second.damaged && it->second.step >= step) {
      ::unlink(temp.c_str());  // a concurrent Put got there first
      return Status::OK();
    }
    if (::rename(temp.c_str(), path.c_str()) != 0) {
      const Status s = ErrnoError("cannot rename", temp);
      ::unlink(temp.c_str());
      return s;
    }
    if (it != index_.end()) total_bytes_ -= it->second.bytes;
    total_bytes_ += file.size();
    index_[id] = Entry{step, file.size(), false};
  }
  if (sync) return SyncDirectory(dir);
  return Status::OK();
}

Status TensorStore::Sync(const Uint256& hash) {
  if (!Has(hash)) return Status::NotFound("tensor " + hash.ToHex());
  if (!options_.sync) return Status::OK();
  const std::string path = PathOf(hash);
  {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoError("cannot open", path);
    FdCloser closer(fd);
    if (::fsync(fd) != 0) return ErrnoError("cannot fsync", path);
  }
  return SyncDirectory(path.substr(0, path.rfind('/')));
}

Status TensorStore::Get(const Uint256& hash, EncodedTensor* t) {
  if (!Has(hash)) return Status::NotFound("tensor " + hash.ToHex());
  const std::string path = PathOf(hash);
  std::vector<uint8_t> file;
  struct stat read_stat = {};
  const Status s = ReadFile(path, &file, &read_stat);
  if (s.IsNotFound()) {
    // Pruned since the check above, or deleted behind our back.
    std::lock_guard<std::mutex> lock(mu_);
    struct stat now = {};
    if (::stat(path.c_str(), &now) != 0 && errno == ENOENT) {
      const auto it = index_.find(hash);
      if (it != index_.end()) {
        total_bytes_ -= it->second.bytes;
        index_.erase(it);
      }
    }
    return Status::NotFound("tensor " + hash.ToHex());
  }
  if (!s.ok()) return s;

  const char* error = FileError(file, hash, t);
  if (error == nullptr) return Status::OK();
  // Callers see only "not usable" and fetch the tensor again; the operator
  // must learn that the disk returned bad bytes.
  LogPrintf("TensorStore: " + path + " is damaged (" + error + "); removed, to be fetched again");
  {
    // Delete the damaged file unless a concurrent Put has already replaced it.
    std::lock_guard<std::mutex> lock(mu_);
    struct stat now = {};
    if (::stat(path.c_str(), &now) == 0 && now.st_dev == read_stat.st_dev &&
        now.st_ino == read_stat.st_ino) {
      const Status removed = RemoveLocked(hash);
      if (!removed.ok())
        return Status::Corruption("tensor file " + path + ": " + error + "; " + removed.ToString());
    }
  }
  return Status::Corruption("tensor file " + path + ": " + error);
}

bool TensorStore::Has(const Uint256& hash) const {
  std::lock_guard<std::mutex> lock(mu_);
  return index_.count(hash) != 0;
}

Status TensorStore::GetStep(const Uint256& hash, uint64_t* step) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = index_.find(hash);
  if (it == index_.end()) return Status::NotFound("tensor " + hash.ToHex());
  *step = it->second.step;
  return Status::OK();
}

Status TensorStore::RemoveLocked(const Uint256& hash) {
  const auto it = index_.find(hash);
  if (it == index_.end()) return Status::OK();
  const std::string path = PathOf(hash);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoError("cannot delete", path);
  total_bytes_ -= it->second.bytes;
  index_.erase(it);
  return Status::OK();
}

Status TensorStore::Prune(uint64_t oldest_step_to_keep, const std::set<Uint256>& keep_always,
                          PruneStats* stats) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<Uint256, uint64_t>> victims;
  for (const auto& [hash, entry] : index_) {
    if (entry.step < oldest_step_to_keep && keep_always.count(hash) == 0)
      victims.emplace_back(hash, entry.bytes);
  }
  PruneStats result;
  Status first_error;
  for (const auto& [hash, bytes] : victims) {
    const Status s = RemoveLocked(hash);
    if (s.ok()) {
      ++result.removed;
      result.bytes_freed += bytes;
    } else if (first_error.ok()) {
      first_error = s;
    }
  }
  result.kept = index_.size();
  if (stats != nullptr) *stats = result;
  return first_error;
}

uint64_t TensorStore::Count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return index_.size();
}

uint64_t TensorStore::Bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_bytes_;
}

}  // namespace cc::compute
