#include "chain/coins.h"

namespace cc {

Status CoinsOverlay::GetCoin(const OutPoint& outpoint, Coin* coin) const {
  auto it = changes_.find(outpoint);
  if (it == changes_.end()) return base_.GetCoin(outpoint, coin);
  if (!it->second)
    return Status::NotFound("coin " + outpoint.txid.ToHex() + ":" + std::to_string(outpoint.index) +
                            " spent");
  *coin = *it->second;
  return Status::OK();
}

}  // namespace cc
