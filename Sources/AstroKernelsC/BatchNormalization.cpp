// Batch normalisation with AVX-512. Forward statistics: one pass over x (each block of rows is summed, then
// re-read from cache for its squared deviations). Training backward: the two per-channel gradient sums in one
// pass over (x, dy, mask), then the input gradient in a second. The portable Swift route makes more passes.
#include "AstroKernelsC.h"
#include "AVX512Support.h"

#if ASTRO_X86_64  // the whole file: see AVX512Support.h

namespace {

constexpr long kRowsPerBlock = 256;

}  // namespace

extern "C" {

ASTRO_AVX512 void astro_bn_moments(const float *x, long channels, long rowBegin, long rowEnd, float *block,
                                   double *mean, double *m2) {
  long c = channels;
  float *blockMean = block, *deviation = block + c, *squares = block + 2 * c;
  for (long e = 0; e < c; e++) mean[e] = m2[e] = 0;
  // About 256 KB of rows a block, so the second pass reads them from L2.
  long blockRows = (1 << 16) / c < 16 ? 16 : (1 << 16) / c > kRowsPerBlock ? kRowsPerBlock : (1 << 16) / c;
  for (long start = rowBegin; start < rowEnd; start += blockRows) {
    long end = start + blockRows < rowEnd ? start + blockRows : rowEnd;
    long count = end - start, before = start - rowBegin;
    for (long e = 0; e < 3 * c; e++) block[e] = 0;
    for (long r = start; r < end; r++)
      for (long ch = 0; ch < c; ch += 16) {
        __mmask16 m = astroTailMask(c - ch);
        __m512 v = _mm512_maskz_loadu_ps(m, x + r * c + ch);
        _mm512_mask_storeu_ps(blockMean + ch, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, blockMean + ch), v));
      }
    for (long ch = 0; ch < c; ch++) blockMean[ch] /= float(count);
    // Deviations from the block's (rounded) mean, re-read while the rows are still in cache: no cancellation.
    for (long r = start; r < end; r++)
      for (long ch = 0; ch < c; ch += 16) {
        __mmask16 m = astroTailMask(c - ch);
        __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + r * c + ch), _mm512_maskz_loadu_ps(m, blockMean + ch));
        _mm512_mask_storeu_ps(deviation + ch, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, deviation + ch), d));
        _mm512_mask_storeu_ps(squares + ch, m, _mm512_fmadd_ps(d, d, _mm512_maskz_loadu_ps(m, squares + ch)));
      }
    // The block's exact mean and squared deviations, merged into the running ones (Chan et al.) in Double.
    for (long ch = 0; ch < c; ch++) {
      double d = deviation[ch], n = double(count), total = double(before + count);
      double exactMean = double(blockMean[ch]) + d / n, blockM2 = double(squares[ch]) - d * d / n;
      double delta = exactMean - mean[ch];
      mean[ch] += delta * n / total;
      m2[ch] += blockM2 + delta * delta * double(before) * n / total;
    }
  }
}

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

#endif  // ASTRO_X86_64
