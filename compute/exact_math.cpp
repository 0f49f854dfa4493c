#include "compute/exact_math.h"

#include <array>
#include <cfloat>
#include <cmath>

namespace cc::compute {

static_assert(FLT_EVAL_METHOD == 0, "double must be evaluated in double (exact_math.h)");

namespace {

constexpr double kLn2 = 0.693147180559945309417232121458;
// ln 2 split so that k·kLn2Hi is exact for |k| < 2¹¹ (its low 11 bits are 0).
constexpr double kLn2Hi = 6.93147180369123816490e-01;
constexpr double kLn2Lo = 1.90821492927058770002e-10;
constexpr double kSqrtHalf = 0.707106781186547524400844362105;
constexpr double kTwoOverSqrtPi = 1.12837916709551257389615890312;

// 1/n! for n = 0..15, computed once by repeated division (constexpr
// evaluation rounds as the hardware does).
constexpr std::array<double, 16> kInvFactorial = [] {
  std::array<double, 16> t{};
  t[0] = 1.0;
  for (int n = 1; n < 16; ++n) t[n] = t[n - 1] / n;
  return t;
}();

}  // namespace

// x = m·2^e with m in [√½, √2), then ln m = 2·atanh(s) = 2(s + s³/3 + s⁵/5 + …),
// s = (m − 1)/(m + 1), |s| ≤ 0.172: s² ≤ 0.0295, so terms beyond s^25 are
// below 1e-18 relative.
double ExactLog(double x) {
  int e = 0;
  double m = std::frexp(x, &e);  // exact: m in [0.5, 1)
  if (m < kSqrtHalf) {
    m *= 2.0;
    e -= 1;
  }
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  double series = 0.0;
  for (int k = 25; k >= 1; k -= 2) series = series * s2 + 1.0 / k;
  return e * kLn2 + 2.0 * s * series;
}

// x = k·ln 2 + r with k = ⌊x/ln 2 + ½⌋ and |r| ≤ 0.35 (Cody–Waite: r from
// the two parts of ln 2, so r is accurate to ~1e-19), then
// eˣ = 2^k · Σ_{n≤15} rⁿ/n! by Horner's rule; the first omitted term is
// below 3e-21.
double ExactExp(double x) {
  if (std::isnan(x)) return x;  // (an overflow upstream: inf − inf)
  if (x < -745.2) return 0.0;
  if (x > 709.78) return HUGE_VAL;
  const double k = std::floor(x / kLn2 + 0.5);
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;
  double series = kInvFactorial[15];
  for (int n = 14; n >= 0; --n) series = series * r + kInvFactorial[n];
  return std::ldexp(series, static_cast<int>(k));
}

// erf x = (2/√π)·e^(−x²)·Σ_{n≥0} 2ⁿ x^(2n+1) / (1·3·5·…·(2n+1)): every term
// is positive for x > 0, so nothing cancels (unlike the Taylor series of erf
// itself). The terms grow while 2x² > 2n+1 and then fall; the sum stops once
// a term is below 1e-17 of it (≤ ~110 terms for |x| < 6). For |x| ≥ 6,
// 1 − erf|x| < 2.2e-17 rounds to 1.
double ExactErf(double x) {
  const double a = std::fabs(x);
  if (a >= 6.0) return x > 0 ? 1.0 : -1.0;
  const double a2 = a * a;
  double term = a, sum = a;
  for (int n = 1; term > sum * 1e-17; ++n) {
    term = term * (2.0 * a2) / (2.0 * n + 1.0);
    sum += term;
  }
  const double erf = kTwoOverSqrtPi * ExactExp(-a2) * sum;
  return x < 0 ? -erf : erf;
}

}  // namespace cc::compute
