// Batch-normalisation training backward with AVX-512: the two per-channel gradient sums in one pass over
// (x, dy, mask), then the input gradient in a second. The portable Swift route makes three passes.
#include "AstroKernelsC.h"
#include "AVX512Support.h"

namespace {

constexpr long kRowsPerBlock = 256;

}  // namespace

extern "C" {

ASTRO_AVX512 void astro_bn_gradient_sums(const float *x, const float *dy, const float *mask, long channels,
                                         const float *mean, long rowBegin, long rowEnd, float *block, double *sums) {
  long c = channels;
  for (long start = rowBegin; start < rowEnd; start += kRowsPerBlock) {
    long end = start + kRowsPerBlock < rowEnd ? start + kRowsPerBlock : rowEnd;
    for (long e = 0; e < 2 * c; e++) block[e] = 0;
    for (long r = start; r < end; r++) {
      long o = r * c;
      for (long ch = 0; ch < c; ch += 16) {
        __mmask16 m = astroTailMask(c - ch);
        __m512 g = astroMaskedGradient(dy + o + ch, mask ? mask + o + ch : nullptr, m);
        __m512 centred = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + o + ch), _mm512_maskz_loadu_ps(m, mean + ch));
        _mm512_mask_storeu_ps(block + ch, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, block + ch), g));
        _mm512_mask_storeu_ps(block + c + ch, m, _mm512_fmadd_ps(g, centred, _mm512_maskz_loadu_ps(m, block + c + ch)));
      }
    }
    // Float within a block of rows, Double across blocks: accurate for the large row counts of early layers.
    for (long e = 0; e < 2 * c; e++) sums[e] += double(block[e]);
  }
}

ASTRO_AVX512 void astro_bn_input_gradient(const float *x, const float *dy, const float *mask, long channels,
                                          const float *a, const float *b, const float *d, long rowBegin, long rowEnd,
                                          float *dx) {
  long c = channels;
  for (long r = rowBegin; r < rowEnd; r++) {
    long o = r * c;
    for (long ch = 0; ch < c; ch += 16) {
      __mmask16 m = astroTailMask(c - ch);
      __m512 g = astroMaskedGradient(dy + o + ch, mask ? mask + o + ch : nullptr, m);
      __m512 v = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, b + ch), _mm512_maskz_loadu_ps(m, x + o + ch),
                                 _mm512_maskz_loadu_ps(m, d + ch));
      _mm512_mask_storeu_ps(dx + o + ch, m, _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + ch), g, v));
    }
  }
}

}  // extern "C"
