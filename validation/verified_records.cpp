#include "validation/verified_records.h"

namespace cc {

void VerifiedRecords::Add(const Uint256& record_hash) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!hashes_.insert(record_hash).second) return;
  order_.push_back(record_hash);
  if (order_.size() > capacity_) {
    hashes_.erase(order_.front());
    order_.pop_front();
  }
}

bool VerifiedRecords::Contains(const Uint256& record_hash) const {
  std::lock_guard<std::mutex> lock(mu_);
  return hashes_.contains(record_hash);
}

}  // namespace cc
