// Shared by the AVX-512 kernel files: the target attribute that lets a function use AVX-512 intrinsics in a
// library compiled for baseline x86-64, forced inlining / unrolling for register-blocked loops, and the lane
// masks and masked gradient loads every kernel uses.
//
// The AVX-512 kernels exist only on x86-64. Elsewhere (arm64: Apple Silicon, Graviton) ASTRO_X86_64 is 0, the
// kernels are not compiled, astro_avx512_supported() returns 0, and PortableStubs.cpp stands in for their
// entry points, which the Swift side then never calls (it takes the portable routes).
#ifndef ASTRO_AVX512_SUPPORT_H
#define ASTRO_AVX512_SUPPORT_H

#if defined(__x86_64__) || defined(_M_X64)
#define ASTRO_X86_64 1
#else
#define ASTRO_X86_64 0
#endif

#if ASTRO_X86_64
#include <immintrin.h>

#define ASTRO_AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))
#define ASTRO_INLINE inline __attribute__((always_inline))
#define ASTRO_UNROLL _Pragma("clang loop unroll(full)")

/// The lanes of a 16-float vector that hold data when `remaining` elements are left.
inline __mmask16 astroTailMask(long remaining) {
  return remaining >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << remaining) - 1);
}

/// dy over the lanes in m, zero where the mask (if any) is not positive: a fused ReLU's backward.
ASTRO_AVX512 ASTRO_INLINE __m512 astroMaskedGradient(const float *dy, const float *mask, __mmask16 m) {
  if (mask) m = _mm512_mask_cmp_ps_mask(m, _mm512_maskz_loadu_ps(m, mask), _mm512_setzero_ps(), _CMP_GT_OQ);
  return _mm512_maskz_loadu_ps(m, dy);
}
#endif  // ASTRO_X86_64

#endif  // ASTRO_AVX512_SUPPORT_H
