// Max pooling with AVX-512 that records each window's arg-max (one byte per output element), so the backward
// pass writes the input gradient once instead of re-reading the input to find the maxima.
#include "AstroKernelsC.h"
#include "AVX512Support.h"

#if ASTRO_X86_64  // the whole file: see AVX512Support.h

#include <string.h>

namespace {

/// A window of output (oy, ox), clipped to the input: first row/column and extent.
struct Window {
  long top, left, rows, cols;
};

inline Window window(const astro_conv_shape &s, long oy, long ox) {
  long top = oy * s.stride_h - s.pad_top, left = ox * s.stride_w - s.pad_left;
  long bottom = top + s.k_h < s.in_h ? top + s.k_h : s.in_h, right = left + s.k_w < s.in_w ? left + s.k_w : s.in_w;
  if (top < 0) top = 0;
  if (left < 0) left = 0;
  return {top, left, bottom - top, right - left};
}

/// Calls body(window, outputOffset, channel, laneMask) for every window of sample n and every 16-channel vector.
template <typename Body>
ASTRO_INLINE void forEachWindowVector(const astro_conv_shape &s, long n, Body body) {
  for (long oy = 0; oy < s.out_h; oy++)
    for (long ox = 0; ox < s.out_w; ox++) {
      Window w = window(s, oy, ox);
      long o = ((n * s.out_h + oy) * s.out_w + ox) * s.in_c;
      for (long ch = 0; ch < s.in_c; ch += 16) body(w, o, ch, astroTailMask(s.in_c - ch));
    }
}

/// RECORD: also write each window's arg-max (training); without it the loop is a plain vector max (inference).
template <bool RECORD>
ASTRO_AVX512 void maxPoolForward(const astro_conv_shape &s, const float *x, float *y, unsigned char *argmax,
                                 long sampleBegin, long sampleEnd) {
  long c = s.in_c;
  for (long n = sampleBegin; n < sampleEnd; n++) {
    const float *xs = x + n * s.in_h * s.in_w * c;
    forEachWindowVector(s, n, [&](Window w, long o, long ch, __mmask16 m) ASTRO_AVX512 {
      __m512 best = _mm512_maskz_loadu_ps(m, xs + (w.top * s.in_w + w.left) * c + ch);
      __m512i where = _mm512_setzero_si512();
      for (long i = 0; i < w.rows; i++)
        for (long j = 0; j < w.cols; j++) {
          __m512 v = _mm512_maskz_loadu_ps(m, xs + ((w.top + i) * s.in_w + w.left + j) * c + ch);
          if (RECORD) {
            // Strictly greater: on ties the first element in row-major order keeps the maximum (TensorFlow).
            __mmask16 better = _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ);
            best = _mm512_mask_mov_ps(best, better, v);
            where = _mm512_mask_mov_epi32(where, better, _mm512_set1_epi32(int(i * w.cols + j)));
          } else {
            best = _mm512_max_ps(best, v);
          }
        }
      _mm512_mask_storeu_ps(y + o + ch, m, best);
      if (RECORD) _mm512_mask_cvtepi32_storeu_epi8(argmax + o + ch, m, where);
    });
  }
}

}  // namespace

extern "C" {

int astro_maxpool_supported(const astro_conv_shape *s) {
  return s->k_h > 0 && s->k_w > 0 && s->k_h * s->k_w <= 256 && s->in_c > 0 && s->out_h > 0 && s->out_w > 0;
}

ASTRO_AVX512 void astro_maxpool_forward(const astro_conv_shape *s, const float *x, float *y, unsigned char *argmax,
                                        long sampleBegin, long sampleEnd) {
  if (argmax)
    maxPoolForward<true>(*s, x, y, argmax, sampleBegin, sampleEnd);
  else
    maxPoolForward<false>(*s, x, y, nullptr, sampleBegin, sampleEnd);
}

ASTRO_AVX512 void astro_maxpool_backward(const astro_conv_shape *s, const unsigned char *argmax, const float *dy,
                                         float *dx, long sampleBegin, long sampleEnd) {
  long c = s->in_c;
  // Windows that tile the input (stride = window, no padding) write every element they cover, zeros included;
  // otherwise (overlapping or padded windows) the gradient is zeroed first and accumulated.
  bool tiles = s->stride_h == s->k_h && s->stride_w == s->k_w && s->pad_top == 0 && s->pad_left == 0;
  long sampleSize = s->in_h * s->in_w * c;
  for (long n = sampleBegin; n < sampleEnd; n++) {
    float *dxs = dx + n * sampleSize;
    if (!tiles) {
      memset(dxs, 0, size_t(sampleSize) * sizeof(float));
    } else {
      // Rows and columns past the last window get no gradient.
      long coveredRows = s->out_h * s->k_h, coveredCols = s->out_w * s->k_w;
      for (long iy = 0; iy < s->in_h; iy++) {
        if (iy >= coveredRows)
          memset(dxs + iy * s->in_w * c, 0, size_t(s->in_w * c) * sizeof(float));
        else if (coveredCols < s->in_w)
          memset(dxs + (iy * s->in_w + coveredCols) * c, 0, size_t((s->in_w - coveredCols) * c) * sizeof(float));
      }
    }
    forEachWindowVector(*s, n, [&](Window w, long o, long ch, __mmask16 m) ASTRO_AVX512 {
      __m512 g = _mm512_maskz_loadu_ps(m, dy + o + ch);
      __m512i where = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, argmax + o + ch));
      for (long i = 0; i < w.rows; i++)
        for (long j = 0; j < w.cols; j++) {
          __mmask16 hit = _mm512_mask_cmpeq_epi32_mask(m, where, _mm512_set1_epi32(int(i * w.cols + j)));
          float *d = dxs + ((w.top + i) * s->in_w + w.left + j) * c + ch;
          if (tiles)
            _mm512_mask_storeu_ps(d, m, _mm512_maskz_mov_ps(hit, g));
          else
            _mm512_mask_storeu_ps(d, hit, _mm512_add_ps(_mm512_maskz_loadu_ps(hit, d), g));
        }
    });
  }
}

}  // extern "C"

#endif  // ASTRO_X86_64
