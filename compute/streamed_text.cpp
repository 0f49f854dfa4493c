#include "compute/streamed_text.h"

#include <algorithm>

namespace cc::compute {

std::string StreamedText::Push(uint8_t token) {
  text_.push_back(static_cast<char>(token));
  size_t held = 0;  // the longest tail that begins some stop string
  for (const std::string& stop : stop_) {
    for (size_t n = std::min(stop.size(), text_.size()); n > held; --n) {
      if (std::string_view(text_).substr(text_.size() - n) == std::string_view(stop).substr(0, n)) {
        held = n;
        break;
      }
    }
  }
  const size_t safe = text_.size() - held;
  if (safe <= shown_) return "";
  std::string piece = text_.substr(shown_, safe - shown_);
  shown_ = safe;
  return piece;
}

std::string StreamedText::Rest(std::string_view completion) const {
  return completion.size() > shown_ ? std::string(completion.substr(shown_)) : std::string();
}

}  // namespace cc::compute
