// Amounts: integer base units; one coin is kCoin units.

#ifndef COMPUTECOIN_CHAIN_AMOUNT_H
#define COMPUTECOIN_CHAIN_AMOUNT_H

#include <cstdint>

namespace cc {

using Amount = int64_t;

inline constexpr Amount kCoin = 100'000'000;
/// No single value or sum may exceed this (10^9 coins). The sum of two
/// amounts in range cannot overflow int64, so a running total checked with
/// MoneyRange after each addition never overflows (a plain sum
/// of 93 values of kMaxMoney would).
inline constexpr Amount kMaxMoney = 1'000'000'000 * kCoin;

inline bool MoneyRange(Amount value) { return value >= 0 && value <= kMaxMoney; }

}  // namespace cc

#endif  // COMPUTECOIN_CHAIN_AMOUNT_H
