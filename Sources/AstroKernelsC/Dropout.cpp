// Dropout masks on AVX-512 with intrinsics (a third faster than DropoutLoops.h compiled for AVX-512: 0.089 against
// 0.120 ms for VGG6's first dropout at batch 64); the other ISAs run DropoutLoops.h through LoopKernels.cpp. Element
// i's draw depends only on (key, i), so every route and any split of the range over threads give the same mask.
#include "AstroKernelsC.h"
#include "AVX512Support.h"


namespace {

// The scalar element (heads and tails of the vector loop below) and the hash, as every ISA's loops have them.
#include "DropoutLoops.h"

#if ASTRO_X86_64
ASTRO_AVX512 __m512i hashWords(__m512i key, __m512i words) {
  __m512i z = _mm512_add_epi64(key, _mm512_mullo_epi64(words, _mm512_set1_epi64((long long)0x9E3779B97F4A7C15ull)));
  z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 30)), _mm512_set1_epi64((long long)0xBF58476D1CE4E5B9ull));
  z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 27)), _mm512_set1_epi64((long long)0x94D049BB133111EBull));
  return _mm512_xor_si512(z, _mm512_srli_epi64(z, 31));
}

ASTRO_AVX512 void dropoutAVX512(const float *x, float *y, float *mask, long begin, long end, unsigned long long key,
                                unsigned threshold, float scale) {
  long i = begin;
  // Scalar up to a multiple of 32 elements: 8 hash words (a zmm of 64-bit lanes) cover 32 draws, and read as
  // 32 16-bit lanes they are in element order.
  for (; i < end && (i & 31); i++) dropoutElement(x, y, mask, i, key, threshold, scale);
  __m512i keys = _mm512_set1_epi64((long long)key);
  __m512i lane = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
  __m512i limit = _mm512_set1_epi16(short(threshold > 0xFFFF ? 0xFFFF : threshold));
  __m512 scales = _mm512_set1_ps(scale);
  for (; i + 32 <= end; i += 32) {
    __m512i draws = hashWords(keys, _mm512_add_epi64(_mm512_set1_epi64(i >> 2), lane));
    __mmask32 keep = threshold > 0xFFFF ? __mmask32(0xFFFFFFFF) : _mm512_cmplt_epu16_mask(draws, limit);
    __m512 m0 = _mm512_maskz_mov_ps(__mmask16(keep), scales), m1 = _mm512_maskz_mov_ps(__mmask16(keep >> 16), scales);
    _mm512_storeu_ps(mask + i, m0);
    _mm512_storeu_ps(mask + i + 16, m1);
    _mm512_storeu_ps(y + i, _mm512_mul_ps(_mm512_loadu_ps(x + i), m0));
    _mm512_storeu_ps(y + i + 16, _mm512_mul_ps(_mm512_loadu_ps(x + i + 16), m1));
  }
  for (; i < end; i++) dropoutElement(x, y, mask, i, key, threshold, scale);
}

#endif  // ASTRO_X86_64

}  // namespace

extern "C" void astro_dropout_forward(const float *x, float *y, float *mask, long begin, long end,
                                      unsigned long long key, unsigned threshold, float scale, int isa) {
#if ASTRO_X86_64
  static const bool hasAVX512 = astro_avx512_supported();
  if (isa == ASTRO_ISA_AVX512 && hasAVX512) {
    dropoutAVX512(x, y, mask, begin, end, key, threshold, scale);
    return;
  }
#endif
  astro_dropout_loops(x, y, mask, begin, end, key, threshold, scale, isa);
}
