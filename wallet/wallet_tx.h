// WalletTx: a transaction the wallet keeps, with where it stands in the chain.
//
// States (Bitcoin Core's TxState, flattened):
//   kConfirmed    in block (block_hash, block_height) at position block_index
//   kUnconfirmed  not in the active chain: from the mempool, ours and not yet
//                 relayed, or returned by a disconnected block
//   kConflicted   spends an outpoint that a confirmed transaction of block
//                 (block_hash, block_height) also spends; can confirm again only if
//                 that block is disconnected
//   kAbandoned    given up by the user (abandontransaction): its inputs count
//                 as unspent again; becomes kConfirmed if a block carries it
//
// Wire format (the value of a "tx" record, walletdb.h):
//   WalletTx = version:u32 tx:Transaction state:u8 block_hash:Uint256
//              block_height:u32 block_index:u32 time_received:i64 from_me:bool
//
// Thread safety: a value.

#ifndef COMPUTECOIN_WALLET_WALLET_TX_H
#define COMPUTECOIN_WALLET_WALLET_TX_H

#include <cstdint>

#include "chain/serialize.h"
#include "chain/transaction.h"
#include "chain/uint256.h"

namespace cc::wallet {

inline constexpr uint32_t kWalletTxVersion = 1;

enum class TxState : uint8_t {
  kConfirmed = 0,
  kUnconfirmed = 1,
  kConflicted = 2,
  kAbandoned = 3,
};
inline constexpr uint8_t kMaxTxState = 3;

struct WalletTx {
  uint32_t version = kWalletTxVersion;
  Transaction tx;
  uint8_t state = static_cast<uint8_t>(TxState::kUnconfirmed);  //!< a TxState, checked on load
  Uint256 block_hash;         //!< confirming block (kConfirmed) or conflicting one (kConflicted)
  uint32_t block_height = 0;  //!< height of that block
  uint32_t block_index = 0;   //!< position in the block (kConfirmed)
  int64_t time_received = 0;  //!< seconds since the Unix epoch when first seen
  bool from_me = false;       //!< made by this wallet (CommitTransaction)

  CC_SERIALIZE_METHODS(WalletTx, obj) {
    ar(obj.version, obj.tx, obj.state, obj.block_hash, obj.block_height, obj.block_index,
       obj.time_received, obj.from_me);
  }
  bool operator==(const WalletTx&) const = default;

  TxState GetState() const { return static_cast<TxState>(state); }
  void SetState(TxState s) { state = static_cast<uint8_t>(s); }
  bool IsConfirmed() const { return GetState() == TxState::kConfirmed; }
  /// True while its spends count (confirmed or unconfirmed, not conflicted or abandoned).
  bool IsActive() const {
    return GetState() == TxState::kConfirmed || GetState() == TxState::kUnconfirmed;
  }
};

}  // namespace cc::wallet

#endif  // COMPUTECOIN_WALLET_WALLET_TX_H
