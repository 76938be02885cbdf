// Vector math on the SIMD traits (simd_<isa>.h), one template for every ISA.
#pragma once

namespace {

// e^x lane by lane, within 2 ulp of the correctly rounded value over the whole float range (checked against
// double exp by native/test/kernels_test.cpp): e^x = 2^n · e^r with n = round(x / ln 2), r = x - n ln 2 in
// [-ln2/2, ln2/2] (ln 2 in two parts, the first exact in a product with n), e^r by Cephes' degree-7 polynomial.
// Inputs are clamped to [-104, 89] first, beyond which e^x rounds to 0 or overflows anyway: -inf gives 0, +inf
// gives +inf, NaN stays NaN (max/min return their second operand for a NaN).
template <class V>
inline typename V::reg exp_f32(typename V::reg x) {
  using R = typename V::reg;
  x = V::min(V::set1(89.0f), V::max(V::set1(-104.0f), x));
  const R n = V::round(V::mul(x, V::set1(1.44269504088896341f)));
  R r = V::fma(n, V::set1(-0.693359375f), x);
  r = V::fma(n, V::set1(2.12194440e-4f), r);
  R p = V::set1(1.9875691500e-4f);
  p = V::fma(p, r, V::set1(1.3981999507e-3f));
  p = V::fma(p, r, V::set1(8.3334519073e-3f));
  p = V::fma(p, r, V::set1(4.1665795894e-2f));
  p = V::fma(p, r, V::set1(1.6666665459e-1f));
  p = V::fma(p, r, V::set1(5.0000001201e-1f));
  const R y = V::add(V::fma(p, V::mul(r, r), r), V::set1(1.0f));
  return V::scale2(y, n);
}

}  // namespace
