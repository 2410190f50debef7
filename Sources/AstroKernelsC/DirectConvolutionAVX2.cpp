// Direct NHWC convolution with AVX2 + FMA, for the CPUs without AVX-512 (most desktops and laptops, AMD before
// Zen 4): the forward pass and the kernel gradient of DirectConvolution.cpp's design with 8-float ymm vectors.
// Each output pixel's channels live in registers and every weight vector loaded is reused over a block of
// pixels; with 16 registers, a block holds at most 12 accumulators (16 channels × 6 pixels).
#include "AstroKernelsC.h"
#include "AVX512Support.h"
#include "ConvolutionRows.h"

#if ASTRO_X86_64  // the whole file: see AVX512Support.h

#define ASTRO_AVX2 __attribute__((target("avx2,fma")))

namespace {

/// Accumulators per block: 12 of the 16 ymm registers, the rest holding the weight vectors and a broadcast.
constexpr int maxPixelsAVX2(int vectors) { return vectors == 1 ? 12 : 6; }

/// Output-channel vectors per block: up to 16 channels at a time. Wider blocks do not fit: 3 pixels × 4 vectors
/// need 12 accumulators + 4 weights + 1 broadcast = 17 registers, and the spills made 64-channel layers 1.5x
/// slower than 16-channel blocks of 6 pixels (8 loads per 12 FMAs).
inline int vectorsPerBlockAVX2(long remainingChannels) { return remainingChannels > 8 ? 2 : 1; }

/// The lanes of an 8-float vector that hold data when `remaining` elements are left (all of them from 8 on).
ASTRO_AVX2 ASTRO_INLINE __m256i tailMask8(long remaining) {
  static const int lanes[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  return _mm256_loadu_si256(reinterpret_cast<const __m256i *>(lanes + 8 - (remaining < 8 ? remaining : 8)));
}

/// Vector v of VECTORS at p: a plain load, or a masked one for the last vector (whose lanes may run past the
/// channels; masked lanes are not read, so they cannot fault).
template <int VECTORS>
ASTRO_AVX2 ASTRO_INLINE __m256 loadLanes(const float *p, int v, __m256i last) {
  return v == VECTORS - 1 ? _mm256_maskload_ps(p, last) : _mm256_loadu_ps(p);
}

template <int VECTORS>
ASTRO_AVX2 ASTRO_INLINE void storeLanes(float *p, int v, __m256i last, __m256 value) {
  if (v == VECTORS - 1)
    _mm256_maskstore_ps(p, last, value);
  else
    _mm256_storeu_ps(p, value);
}

// MARK: forward

/// PIXELS consecutive output pixels × VECTORS channel vectors, accumulated over every (ky, kx, ci), then
/// written through a ReLU when asked. For a fixed ky the (kx, ci) taps of one window are contiguous in a row
/// (tap t = kx*in_c + ci). STRIDE, when not 0, is the pixel stride known at compile time (a constant offset
/// per broadcast instead of a register per pixel).
template <int PIXELS, int VECTORS, int STRIDE = 0>
ASTRO_AVX2 ASTRO_INLINE void forwardBlockAVX2(const float *const *rows, long kyBegin, long kyEnd, long column,
                                              long runtimeStride, long taps, const float *w, long wStride, long outC,
                                              __m256i last, const float *bias, bool relu, float *out) {
  const long pixelStride = STRIDE ? STRIDE : runtimeStride;
  __m256 acc[PIXELS * VECTORS];
  ASTRO_UNROLL for (int v = 0; v < VECTORS; v++) {
    __m256 b = bias ? loadLanes<VECTORS>(bias + 8 * v, v, last) : _mm256_setzero_ps();
    ASTRO_UNROLL for (int p = 0; p < PIXELS; p++) acc[p * VECTORS + v] = b;
  }
  for (long ky = kyBegin; ky < kyEnd; ky++) {
    const float *xr = rows[ky] + column;
    const float *wr = w + ky * taps * wStride;
    for (long t = 0; t < taps; t++) {
      __m256 wv[VECTORS];
      ASTRO_UNROLL for (int v = 0; v < VECTORS; v++) wv[v] = loadLanes<VECTORS>(wr + t * wStride + 8 * v, v, last);
      ASTRO_UNROLL for (int p = 0; p < PIXELS; p++) {
        __m256 xv = _mm256_broadcast_ss(xr + p * pixelStride + t);
        ASTRO_UNROLL for (int v = 0; v < VECTORS; v++) acc[p * VECTORS + v] = _mm256_fmadd_ps(xv, wv[v], acc[p * VECTORS + v]);
      }
    }
  }
  ASTRO_UNROLL for (int p = 0; p < PIXELS; p++)
    ASTRO_UNROLL for (int v = 0; v < VECTORS; v++) {
      __m256 r = acc[p * VECTORS + v];
      if (relu) r = _mm256_max_ps(r, _mm256_setzero_ps());
      storeLanes<VECTORS>(out + p * outC + 8 * v, v, last, r);
    }
}

/// forwardBlockAVX2 for a run-time pixel count in 1...N.
template <int VECTORS, int N>
ASTRO_AVX2 ASTRO_INLINE void forwardPixelsAVX2(int pixels, const float *const *rows, long kyBegin, long kyEnd, long column,
                                               long pixelStride, long taps, const float *w, long wStride, long outC,
                                               __m256i last, const float *bias, bool relu, float *out) {
  if (pixels == N)
    forwardBlockAVX2<N, VECTORS>(rows, kyBegin, kyEnd, column, pixelStride, taps, w, wStride, outC, last, bias, relu, out);
  else if constexpr (N > 1)
    forwardPixelsAVX2<VECTORS, N - 1>(pixels, rows, kyBegin, kyEnd, column, pixelStride, taps, w, wStride, outC, last, bias,
                                      relu, out);
}

/// Output channels [co, co + 8·VECTORS) ∩ [co, coEnd) of one output row: full blocks with the pixel stride as
/// a compile-time constant for the common channel counts, then the remaining pixels.
template <int VECTORS>
ASTRO_AVX2 void forwardChannelsAVX2(const astro_conv_shape &s, const float *const *rows, long kyBegin, long kyEnd,
                                    KernelSlice k, const float *bias, bool relu, float *yRow, long co, long coEnd) {
  constexpr int block = maxPixelsAVX2(VECTORS);
  __m256i last = tailMask8(coEnd - co - 8 * (VECTORS - 1));
  long taps = s.k_w * s.in_c, pixelStride = s.stride_w * s.in_c;
  const float *b = bias ? bias + co : nullptr, *w = k.w + (co - k.first);
  long ox = 0;
  for (; ox + block <= s.out_w; ox += block) {
    float *out = yRow + ox * s.out_c + co;
    long column = ox * pixelStride;
#define ASTRO_FORWARD_BLOCK(STRIDE) \
  forwardBlockAVX2<block, VECTORS, STRIDE>(rows, kyBegin, kyEnd, column, pixelStride, taps, w, k.stride, s.out_c, last, b, relu, out)
    switch (pixelStride) {
      case 1: ASTRO_FORWARD_BLOCK(1); break;
      case 3: ASTRO_FORWARD_BLOCK(3); break;
      case 16: ASTRO_FORWARD_BLOCK(16); break;
      case 32: ASTRO_FORWARD_BLOCK(32); break;
      case 64: ASTRO_FORWARD_BLOCK(64); break;
      default: ASTRO_FORWARD_BLOCK(0); break;
    }
#undef ASTRO_FORWARD_BLOCK
  }
  if (ox < s.out_w)
    forwardPixelsAVX2<VECTORS, block - 1>(int(s.out_w - ox), rows, kyBegin, kyEnd, ox * pixelStride, pixelStride, taps, w,
                                          k.stride, s.out_c, last, b, relu, yRow + ox * s.out_c + co);
}

/// Output channels [coBegin, coEnd) of one output row from its prepared input rows.
ASTRO_AVX2 void forwardRowAVX2(const astro_conv_shape &s, const float *const *rows, long kyBegin, long kyEnd, KernelSlice k,
                               const float *bias, bool relu, float *yRow, long coBegin, long coEnd) {
  for (long co = coBegin; co < coEnd;) {
    int vectors = vectorsPerBlockAVX2(coEnd - co);
    switch (vectors) {
      case 1: forwardChannelsAVX2<1>(s, rows, kyBegin, kyEnd, k, bias, relu, yRow, co, coEnd); break;
      default: forwardChannelsAVX2<2>(s, rows, kyBegin, kyEnd, k, bias, relu, yRow, co, coEnd); break;
    }
    co += 8 * vectors;
  }
}

// MARK: kernel gradient

/// Independent accumulator sets a kernel-gradient block cycles through, pixel by pixel, so that a block of
/// few taps does not wait on each FMA's latency; at most 12 accumulators in all.
constexpr int accumulatorSetsAVX2(int accumulators) { return accumulators >= 6 ? 1 : accumulators >= 3 ? 2 : 4; }

/// dw[taps t0..<t0+TAPS of row ky][VECTORS channel vectors] += Σ_i Σ_ox x_i[ox*stride + t] · dy_i[ox], over
/// `count` output rows i (xs[i] and dys[i] already offset to the tap block and channel block).
template <int TAPS, int VECTORS>
ASTRO_AVX2 ASTRO_INLINE void kernelGradientBlockAVX2(const float *const *xs, const float *const *dys, long count,
                                                     long xOffset, long dyOffset, long pixelStride, long outW, long outC,
                                                     __m256i last, float *dw) {
  constexpr int N = TAPS * VECTORS, SETS = accumulatorSetsAVX2(N);
  __m256 acc[SETS * N];
  ASTRO_UNROLL for (int i = 0; i < SETS * N; i++) acc[i] = _mm256_setzero_ps();
  auto pixel = [&](__m256 *a, const float *x, const float *dy) ASTRO_AVX2 {
    __m256 g[VECTORS];
    ASTRO_UNROLL for (int v = 0; v < VECTORS; v++) g[v] = loadLanes<VECTORS>(dy + 8 * v, v, last);
    ASTRO_UNROLL for (int t = 0; t < TAPS; t++) {
      __m256 xv = _mm256_broadcast_ss(x + t);
      ASTRO_UNROLL for (int v = 0; v < VECTORS; v++) a[t * VECTORS + v] = _mm256_fmadd_ps(xv, g[v], a[t * VECTORS + v]);
    }
  };
  for (long i = 0; i < count; i++) {
    const float *xr = xs[i] + xOffset, *dyRow = dys[i] + dyOffset;
    long ox = 0;
    for (; ox + SETS <= outW; ox += SETS)
      ASTRO_UNROLL for (int set = 0; set < SETS; set++) pixel(acc + set * N, xr + (ox + set) * pixelStride, dyRow + (ox + set) * outC);
    for (; ox < outW; ox++) pixel(acc, xr + ox * pixelStride, dyRow + ox * outC);
  }
  ASTRO_UNROLL for (int set = 1; set < SETS; set++)
    ASTRO_UNROLL for (int i = 0; i < N; i++) acc[i] = _mm256_add_ps(acc[i], acc[set * N + i]);
  ASTRO_UNROLL for (int t = 0; t < TAPS; t++)
    ASTRO_UNROLL for (int v = 0; v < VECTORS; v++) {
      float *d = dw + t * outC + 8 * v;
      storeLanes<VECTORS>(d, v, last, _mm256_add_ps(loadLanes<VECTORS>(d, v, last), acc[t * VECTORS + v]));
    }
}

/// kernelGradientBlockAVX2 for a run-time tap count in 1...N.
template <int VECTORS, int N>
ASTRO_AVX2 ASTRO_INLINE void kernelGradientTapsAVX2(int taps, const float *const *xs, const float *const *dys, long count,
                                                    long xOffset, long dyOffset, long pixelStride, long outW, long outC,
                                                    __m256i last, float *dw) {
  if (taps == N)
    kernelGradientBlockAVX2<N, VECTORS>(xs, dys, count, xOffset, dyOffset, pixelStride, outW, outC, last, dw);
  else if constexpr (N > 1)
    kernelGradientTapsAVX2<VECTORS, N - 1>(taps, xs, dys, count, xOffset, dyOffset, pixelStride, outW, outC, last, dw);
}

template <int VECTORS>
ASTRO_AVX2 void kernelGradientChannelsAVX2(const astro_conv_shape &s, const float *const *xs, const float *const *dys,
                                           long count, float *dwRow, long co) {
  constexpr int block = maxPixelsAVX2(VECTORS);
  __m256i last = tailMask8(s.out_c - co - 8 * (VECTORS - 1));
  long taps = s.k_w * s.in_c, pixelStride = s.stride_w * s.in_c;
  for (long t0 = 0; t0 < taps; t0 += block) {
    int n = int(taps - t0 < block ? taps - t0 : block);
    kernelGradientTapsAVX2<VECTORS, block>(n, xs, dys, count, t0, co, pixelStride, s.out_w, s.out_c, last,
                                           dwRow + t0 * s.out_c + co);
  }
}

/// dw += the contributions of the pairs (dy rows already masked).
ASTRO_AVX2 void kernelGradientPairsAVX2(const astro_conv_shape &s, const RowPairs &pairs, float *dw) {
  long taps = s.k_w * s.in_c;
  for (long ky = 0; ky < s.k_h; ky++) {
    if (pairs.count[ky] == 0) continue;
    float *dwRow = dw + ky * taps * s.out_c;
    const float *const *xs = pairs.xs[ky], *const *dys = pairs.dys[ky];
    long n = pairs.count[ky];
    for (long co = 0; co < s.out_c;) {
      int vectors = vectorsPerBlockAVX2(s.out_c - co);
      switch (vectors) {
        case 1: kernelGradientChannelsAVX2<1>(s, xs, dys, n, dwRow, co); break;
        default: kernelGradientChannelsAVX2<2>(s, xs, dys, n, dwRow, co); break;
      }
      co += 8 * vectors;
    }
  }
}

/// db += Σ over the row's pixels of dy.
ASTRO_AVX2 void biasGradientRowAVX2(const float *dyRow, long outW, long outC, float *db) {
  for (long co = 0; co < outC; co += 8) {
    __m256i m = tailMask8(outC - co);
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    long ox = 0;
    for (; ox + 1 < outW; ox += 2) {
      a0 = _mm256_add_ps(a0, _mm256_maskload_ps(dyRow + ox * outC + co, m));
      a1 = _mm256_add_ps(a1, _mm256_maskload_ps(dyRow + (ox + 1) * outC + co, m));
    }
    if (ox < outW) a0 = _mm256_add_ps(a0, _mm256_maskload_ps(dyRow + ox * outC + co, m));
    _mm256_maskstore_ps(db + co, m, _mm256_add_ps(_mm256_maskload_ps(db + co, m), _mm256_add_ps(a0, a1)));
  }
}

}  // namespace

extern "C" {

ASTRO_AVX2 void astro_avx2_conv_forward_rows(const astro_conv_shape *s, const float *x, const float *x_mask, const float *w,
                                             int w_packed, const float *bias, int relu, float *y, long rowBegin, long rowEnd,
                                             float *scratch) {
  forwardRows(s, x, x_mask, w, w_packed, bias, relu, y, rowBegin, rowEnd, scratch, forwardRowAVX2);
}

ASTRO_AVX2 void astro_avx2_conv_kernel_gradient_rows(const astro_conv_shape *s, const float *x, const float *dy,
                                                     const float *dy_mask, float *dw, float *db, long rowBegin, long rowEnd,
                                                     float *scratch) {
  kernelGradientRows(s, x, dy, dy_mask, dw, db, rowBegin, rowEnd, scratch,
                     {copyMaskedRow, biasGradientRowAVX2, kernelGradientPairsAVX2});
}

}  // extern "C"

#endif  // ASTRO_X86_64
