// Coins: unspent transaction outputs as the UTXO set stores them, and the
// read-only lookup interface that the mempool and consensus checks use.
//
// Wire format (the value of a UTXO-set record and an element of undo data):
//   Coin = out:TxOut height:u32 coinbase:bool
//
// Thread safety: Coin is a value. CoinsView implementations state their own
// rules; the ones in chain/ (UtxoSet, ChainState) are safe to call
// concurrently.

#ifndef COMPUTECOIN_CHAIN_COINS_H
#define COMPUTECOIN_CHAIN_COINS_H

#include <cstdint>
#include <map>
#include <optional>

#include "chain/serialize.h"
#include "chain/status.h"
#include "chain/transaction.h"

namespace cc {

/// A coinbase output created in the block at height h may be spent only by a
/// transaction in a block at height >= h + kCoinbaseMaturity. A reorg can
/// replace a coinbase (its outputs then vanish), so young coinbase outputs
/// are not allowed to carry spends that a reorg would invalidate. The
/// consensus layer enforces this in blocks; the mempool applies it on entry.
inline constexpr uint32_t kCoinbaseMaturity = 100;

struct Coin {
  TxOut out;
  uint32_t height = 0;    //!< height of the block whose transaction created it
  bool coinbase = false;  //!< created by a coinbase (kCoinbaseMaturity applies)

  CC_SERIALIZE_METHODS(Coin, obj) { ar(obj.out, obj.height, obj.coinbase); }
  bool operator==(const Coin&) const = default;

  /// True if this coin may be spent by a transaction in a block at
  /// `spend_height`.
  [[nodiscard]] bool IsMature(uint32_t spend_height) const {
    return !coinbase || spend_height >= height + static_cast<uint64_t>(kCoinbaseMaturity);
  }
};

/// Read access to a set of unspent outputs.
class CoinsView {
 public:
  virtual ~CoinsView() = default;

  /// On success stores the unspent output at `outpoint` in *coin.
  /// Returns NotFound if it never existed or has been spent, Corruption if
  /// the stored record does not decode; *coin is then unspecified.
  virtual Status GetCoin(const OutPoint& outpoint, Coin* coin) const = 0;
};

/// A set of coins in memory on top of another: the base with the edits made
/// so far (a block being connected or undone sees its earlier transactions'
/// changes). Nothing reaches the base; changes() says what differs.
/// Thread safety: not thread-safe; the base must not change while it is used.
class CoinsOverlay final : public CoinsView {
 public:
  /// REQUIRES: `base` outlives the overlay.
  explicit CoinsOverlay(const CoinsView& base) : base_(base) {}

  /// The edited coin if `outpoint` was edited (NotFound if removed), else the base's.
  Status GetCoin(const OutPoint& outpoint, Coin* coin) const override;
  void Remove(const OutPoint& outpoint) { changes_[outpoint] = std::nullopt; }
  void Add(const OutPoint& outpoint, const Coin& coin) { changes_[outpoint] = coin; }
  /// Outpoints whose state differs from the base: a coin, or nullopt for absent.
  const std::map<OutPoint, std::optional<Coin>>& changes() const { return changes_; }

 private:
  const CoinsView& base_;
  std::map<OutPoint, std::optional<Coin>> changes_;
};

}  // namespace cc

#endif  // COMPUTECOIN_CHAIN_COINS_H
