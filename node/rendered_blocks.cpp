#include "node/rendered_blocks.h"

namespace cc {

std::shared_ptr<const std::string> RenderedBlocks::Get(
    const Uint256& hash, int verbosity, const std::function<std::string()>& render) {
  const Key key{hash, verbosity};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = index_.find(key);
    if (it != index_.end()) {
      recent_.splice(recent_.begin(), recent_, it->second);
      return it->second->text;
    }
  }
  auto text = std::make_shared<const std::string>(render());
  if (text->size() > max_bytes_ / 4) return text;

  std::lock_guard<std::mutex> lock(mutex_);
  auto it = index_.find(key);
  if (it != index_.end()) {  // another thread rendered it meanwhile
    bytes_ -= it->second->text->size();
    recent_.erase(it->second);
    index_.erase(it);
  }
  recent_.push_front(Entry{key, text});
  index_.emplace(key, recent_.begin());
  bytes_ += text->size();
  while (bytes_ > max_bytes_) {
    const Entry& oldest = recent_.back();
    bytes_ -= oldest.text->size();
    index_.erase(oldest.key);
    recent_.pop_back();
  }
  return text;
}

size_t RenderedBlocks::bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bytes_;
}

}  // namespace cc
