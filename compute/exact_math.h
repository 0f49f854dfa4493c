// ln, exp and erf in plain IEEE-754 double arithmetic, for results that must
// be the same bits on every machine: the initial weights (compute/params.cpp)
// and the reference execution that arbitrates verification
// (compute/reference_backend.h).
//
// libm's exp, log and erf are not required to be correctly rounded, and
// their last bit differs between libm versions and processors. These use
// only +, −, ×, ÷ (correctly rounded by IEEE 754), frexp, ldexp and floor
// (exact), in a fixed order; compute/ builds with -ffp-contract=off, so no
// a*b+c is fused. A fixed sequence of such operations gives the same bits on
// every IEEE-754 machine that evaluates double in double (FLT_EVAL_METHOD 0:
// x86-64 SSE2, AArch64; not x87). Each is accurate to ~1e-15 relative, far
// below binary32's 6e-8, so a float rounded from them is the correctly
// rounded float in all but rare ties, and the same float everywhere.
//
// Thread safety: pure functions.

#ifndef COMPUTECOIN_COMPUTE_EXACT_MATH_H
#define COMPUTECOIN_COMPUTE_EXACT_MATH_H

namespace cc::compute {

/// ln x. REQUIRES: x > 0 and finite.
double ExactLog(double x);

/// eˣ; 0 below −745, +∞ above 709.78, NaN for NaN.
double ExactExp(double x);

/// erf x = (2/√π) ∫₀ˣ e^(−t²) dt; NaN for NaN.
double ExactErf(double x);

}  // namespace cc::compute

#endif  // COMPUTECOIN_COMPUTE_EXACT_MATH_H
