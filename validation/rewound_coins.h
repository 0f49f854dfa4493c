// RewoundCoins: the UTXO set as it was after an earlier block of the main
// chain, rebuilt in memory from the tip's set and the stored undo data,
// without writing anything.
//
// Replay (a lost or partial consensus directory), verifychain and the
// start-up checks need the coins a block saw when it was connected. The
// chain database only holds the tip's set; disconnecting blocks to get the
// older one would move the stored tip backwards, and a crash in between
// would leave the node there (issue 11). Instead this view overlays the
// tip's set with what the undo data says each later block changed:
//
//   Rewind(chain, h): for each main-chain block from the tip down to h + 1,
//     its outputs are marked absent and the coins it spent (its undo data)
//     present again; a lower block overrides a higher one, so each touched
//     outpoint ends as it was after block h.
//   Apply(block): moves the view forward over the next block, as
//     connecting it would (inputs absent, outputs present).
//
// Memory grows with the number of outpoints the rewound blocks touch.
//
// Thread safety: not thread-safe; the ChainState it reads must not connect
// or disconnect blocks while the view is used.

#ifndef COMPUTECOIN_VALIDATION_REWOUND_COINS_H
#define COMPUTECOIN_VALIDATION_REWOUND_COINS_H

#include <cstdint>

#include "chain/block.h"
#include "chain/chain_state.h"
#include "chain/coins.h"
#include "chain/status.h"

namespace cc {

class RewoundCoins final : public CoinsView {
 public:
  /// REQUIRES: `chain` outlives the view.
  explicit RewoundCoins(const ChainState& chain) : chain_(chain), coins_(chain) {}
  RewoundCoins(const RewoundCoins&) = delete;
  RewoundCoins& operator=(const RewoundCoins&) = delete;

  /// Rewinds the view from the chain's tip to the set after the main-chain
  /// block at `height`, checking each block's undo data against its shape
  /// and against the set it is applied to (as disconnecting it would).
  /// REQUIRES: a fresh view; height <= the tip's height.
  /// Returns the store's errors, or Corruption naming the block whose data
  /// or undo data is missing or does not fit; the view is then unusable.
  Status Rewind(uint32_t height);

  /// Moves the view forward over `block`, the next main-chain block.
  void Apply(const Block& block);

  /// See CoinsView.
  Status GetCoin(const OutPoint& outpoint, Coin* coin) const override;

 private:
  const ChainState& chain_;
  CoinsOverlay coins_;  // the tip's set with what differs from it
};

}  // namespace cc

#endif  // COMPUTECOIN_VALIDATION_REWOUND_COINS_H
