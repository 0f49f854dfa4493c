// Amounts: integer base units; one coin is kCoin units.

#ifndef COMPUTECOIN_CHAIN_AMOUNT_H
#define COMPUTECOIN_CHAIN_AMOUNT_H

#include <cstdint>

namespace cc {

using Amount = int64_t;

inline constexpr Amount kCoin = 100'000'000;
/// No single value or sum may exceed this (10^9 coins); keeps every sum of
/// valid amounts far from int64 overflow.
inline constexpr Amount kMaxMoney = 1'000'000'000 * kCoin;

inline bool MoneyRange(Amount value) { return value >= 0 && value <= kMaxMoney; }

}  // namespace cc

#endif  // COMPUTECOIN_CHAIN_AMOUNT_H
