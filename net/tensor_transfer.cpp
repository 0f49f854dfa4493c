#include "net/tensor_transfer.h"

#include <algorithm>

namespace cc::net {

TensorAssembler::TensorAssembler(const Uint256& id, uint64_t max_total_size)
    : id_(id), max_total_(std::min(max_total_size, kMaxTensorSize)) {}

Status TensorAssembler::AddChunk(const TensorMsg& chunk) {
  if (chunk.hash != id_) return Status::Corruption("tensor-wrong-hash");
  if (chunk.total_size > max_total_) return Status::Corruption("tensor-too-large");
  if (total_ && *total_ != chunk.total_size) return Status::Corruption("tensor-size-mismatch");
  if (chunk.data.empty() || chunk.offset > chunk.total_size ||
      chunk.data.size() > chunk.total_size - chunk.offset) {
    return Status::Corruption("tensor-bad-chunk");
  }
  const uint64_t end = chunk.offset + chunk.data.size();
  if (end <= data_.size()) {
    total_ = chunk.total_size;
    return Status::OK();  // duplicate of bytes we hold
  }
  if (chunk.offset > data_.size()) {
    if (!pending_.contains(chunk.offset) && pending_.size() >= kMaxPendingChunks) {
      return Status::Corruption("tensor-too-many-pending");
    }
    total_ = chunk.total_size;
    pending_[chunk.offset] = chunk.data;
    return Status::OK();
  }
  total_ = chunk.total_size;
  const size_t skip = data_.size() - chunk.offset;  // overlap with what we hold
  data_.insert(data_.end(), chunk.data.begin() + skip, chunk.data.end());
  AbsorbPending();
  return Status::OK();
}

void TensorAssembler::AbsorbPending() {
  while (!pending_.empty()) {
    auto it = pending_.begin();
    if (it->first > data_.size()) return;
    const uint64_t end = it->first + it->second.size();
    if (end > data_.size()) {
      const size_t skip = data_.size() - it->first;
      data_.insert(data_.end(), it->second.begin() + skip, it->second.end());
    }
    pending_.erase(it);
  }
}

Status TensorAssembler::Finish(const HashFn& hash_fn, std::vector<uint8_t>* out) {
  if (!IsComplete()) return Status::NotFound("tensor-incomplete");
  if (hash_fn(data_) != id_) {
    data_.clear();
    pending_.clear();
    total_.reset();
    return Status::Corruption("tensor-hash-mismatch");
  }
  *out = std::move(data_);
  data_.clear();
  pending_.clear();
  total_.reset();
  return Status::OK();
}

}  // namespace cc::net
