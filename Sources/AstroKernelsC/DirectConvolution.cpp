// Direct NHWC convolution with AVX-512: each output pixel's channels live in zmm registers, so the kernel needs
// no im2col matrix. Small channel counts (3, 16, 32: braai's VGG6, DeepStreaks) are where sgemm shapes are
// poor; here every weight vector loaded is reused over a block of pixels held in registers.
#include "AstroKernelsC.h"
#include "AVX512Support.h"

#if ASTRO_X86_64  // the whole file: see AVX512Support.h

// The shared row preparation (copies, masks, packing) compiled for AVX-512 too.
#pragma clang attribute push(ASTRO_AVX512, apply_to = function)
#include "ConvolutionRows.h"
#pragma clang attribute pop

namespace {

/// Register budget: accumulators per block are at most 24 of the 32 zmm registers.
constexpr int maxPixels(int vectors) { return vectors == 1 ? 24 : vectors == 2 ? 12 : vectors == 3 ? 8 : 6; }

/// Output-channel vectors per block: up to 64 channels at a time.
inline int vectorsPerBlock(long remainingChannels) {
  long v = (remainingChannels + 15) / 16;
  return v >= 4 ? 4 : int(v);
}

/// mask > 0 ? values : 0 over `count` floats (a ReLU's backward applied to a gradient).
ASTRO_AVX512 void copyMasked(float *dst, const float *src, const float *mask, long count) {
  for (long i = 0; i < count; i += 16) {
    __mmask16 m = astroTailMask(count - i);
    _mm512_mask_storeu_ps(dst + i, m, astroMaskedGradient(src + i, mask + i, m));
  }
}

// MARK: forward

/// Every pixel's accumulators start at the bias (or zero).
template <int PIXELS, int VECTORS>
ASTRO_AVX512 ASTRO_INLINE void startWithBias(__m512 *acc, const float *bias, __mmask16 last) {
  ASTRO_UNROLL for (int v = 0; v < VECTORS; v++) {
    __m512 b = bias ? _mm512_maskz_loadu_ps(v == VECTORS - 1 ? last : 0xFFFF, bias + 16 * v) : _mm512_setzero_ps();
    ASTRO_UNROLL for (int p = 0; p < PIXELS; p++) acc[p * VECTORS + v] = b;
  }
}

/// Writes a block's accumulators (through a ReLU when asked) to PIXELS consecutive output pixels.
template <int PIXELS, int VECTORS>
ASTRO_AVX512 ASTRO_INLINE void storeOutputs(const __m512 *acc, bool relu, long outC, __mmask16 last, float *out) {
  ASTRO_UNROLL for (int p = 0; p < PIXELS; p++)
    ASTRO_UNROLL for (int v = 0; v < VECTORS; v++) {
      __m512 r = acc[p * VECTORS + v];
      if (relu) r = _mm512_max_ps(r, _mm512_setzero_ps());
      _mm512_mask_storeu_ps(out + p * outC + 16 * v, v == VECTORS - 1 ? last : 0xFFFF, r);
    }
}

/// PIXELS consecutive output pixels × VECTORS channel vectors, accumulated over every (ky, kx, ci).
/// For a fixed ky the (kx, ci) taps of one window are contiguous in a row: tap t = kx*in_c + ci.
/// STRIDE, when not 0, is the pixel stride known at compile time: every broadcast is then a constant offset
/// from one pointer, where a run-time stride needs a register per pixel (and spills with 24 pixels).
template <int PIXELS, int VECTORS, int STRIDE = 0>
ASTRO_AVX512 ASTRO_INLINE void forwardBlock(const float *const *rows, long kyBegin, long kyEnd, long column,
                                            long runtimeStride, long taps, const float *w, long wStride, long outC, __mmask16 last,
                                            const float *bias, bool relu, float *out) {
  const long pixelStride = STRIDE ? STRIDE : runtimeStride;
  __m512 acc[PIXELS * VECTORS];
  startWithBias<PIXELS, VECTORS>(acc, bias, last);
  for (long ky = kyBegin; ky < kyEnd; ky++) {
    const float *xr = rows[ky] + column;
    const float *wr = w + ky * taps * wStride;
    for (long t = 0; t < taps; t++) {
      __m512 wv[VECTORS];
      ASTRO_UNROLL for (int v = 0; v < VECTORS; v++)
        wv[v] = _mm512_maskz_loadu_ps(v == VECTORS - 1 ? last : 0xFFFF, wr + t * wStride + 16 * v);
      ASTRO_UNROLL for (int p = 0; p < PIXELS; p++) {
        __m512 xv = _mm512_set1_ps(xr[p * pixelStride + t]);
        ASTRO_UNROLL for (int v = 0; v < VECTORS; v++) acc[p * VECTORS + v] = _mm512_fmadd_ps(xv, wv[v], acc[p * VECTORS + v]);
      }
    }
  }
  storeOutputs<PIXELS, VECTORS>(acc, relu, outC, last, out);
}

/// Calls forwardBlock<pixels, VECTORS> for a runtime pixel count in 1...N.
template <int VECTORS, int N>
ASTRO_AVX512 ASTRO_INLINE void forwardPixels(int pixels, const float *const *rows, long kyBegin, long kyEnd, long column,
                                             long pixelStride, long taps, const float *w, long wStride, long outC, __mmask16 last,
                                             const float *bias, bool relu, float *out) {
  if (pixels == N)
    forwardBlock<N, VECTORS>(rows, kyBegin, kyEnd, column, pixelStride, taps, w, wStride, outC, last, bias, relu, out);
  else if constexpr (N > 1)
    forwardPixels<VECTORS, N - 1>(pixels, rows, kyBegin, kyEnd, column, pixelStride, taps, w, wStride, outC, last, bias, relu, out);
}

/// A full block of pixels, with the pixel stride as a compile-time constant for the common channel counts.
template <int VECTORS>
ASTRO_AVX512 ASTRO_INLINE void forwardFullBlock(const float *const *rows, long kyBegin, long kyEnd, long column,
                                                long pixelStride, long taps, const float *w, long wStride, long outC,
                                                __mmask16 last, const float *bias, bool relu, float *out) {
  constexpr int block = maxPixels(VECTORS);
#define ASTRO_FORWARD_BLOCK(STRIDE) \
  forwardBlock<block, VECTORS, STRIDE>(rows, kyBegin, kyEnd, column, pixelStride, taps, w, wStride, outC, last, bias, relu, out)
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

/// forwardBlock for 3-wide windows at stride 1, input-stationary: each input value is broadcast once and
/// feeds the (up to) three output pixels whose windows hold it, with the three kx weight vectors kept in
/// registers. forwardBlock broadcasts once per FMA, which makes 16-channel outputs (VGG6's conv2 and the input
/// gradients of 16-channel layers) bound by loads; here a block takes PIXELS + 2 broadcasts per 3·PIXELS FMAs.
/// IN_C, when not 0, is the channel count (the pixel stride) known at compile time.
template <int PIXELS, int VECTORS, int IN_C = 0>
ASTRO_AVX512 ASTRO_INLINE void forwardBlock3Wide(const float *const *rows, long kyBegin, long kyEnd, long column,
                                                 long runtimeInC, const float *w, long wStride, long outC, __mmask16 last,
                                                 const float *bias, bool relu, float *out) {
  constexpr int KW = 3;
  const long inC = IN_C ? IN_C : runtimeInC;
  __m512 acc[PIXELS * VECTORS];
  startWithBias<PIXELS, VECTORS>(acc, bias, last);
  for (long ky = kyBegin; ky < kyEnd; ky++) {
    const float *xr = rows[ky] + column;
    const float *wr = w + ky * KW * inC * wStride;
    for (long ci = 0; ci < inC; ci++) {
      __m512 wv[KW * VECTORS];
      ASTRO_UNROLL for (int kx = 0; kx < KW; kx++)
        ASTRO_UNROLL for (int v = 0; v < VECTORS; v++)
          wv[kx * VECTORS + v] = _mm512_maskz_loadu_ps(v == VECTORS - 1 ? last : 0xFFFF, wr + (kx * inC + ci) * wStride + 16 * v);
      ASTRO_UNROLL for (int ix = 0; ix < PIXELS + KW - 1; ix++) {
        __m512 xv = _mm512_set1_ps(xr[ix * inC + ci]);
        ASTRO_UNROLL for (int kx = 0; kx < KW; kx++) {
          const int p = ix - kx;
          if (p >= 0 && p < PIXELS)
            ASTRO_UNROLL for (int v = 0; v < VECTORS; v++)
              acc[p * VECTORS + v] = _mm512_fmadd_ps(xv, wv[kx * VECTORS + v], acc[p * VECTORS + v]);
        }
      }
    }
  }
  storeOutputs<PIXELS, VECTORS>(acc, relu, outC, last, out);
}

/// forwardBlock3Wide for a run-time pixel count in 1...N, with the channel count as a compile-time constant for
/// the common counts.
template <int VECTORS, int N>
ASTRO_AVX512 ASTRO_INLINE void forwardPixels3Wide(int pixels, const float *const *rows, long kyBegin, long kyEnd,
                                                  long column, long inC, const float *w, long wStride, long outC,
                                                  __mmask16 last, const float *bias, bool relu, float *out) {
  if (pixels == N) {
    switch (inC) {
      case 16: forwardBlock3Wide<N, VECTORS, 16>(rows, kyBegin, kyEnd, column, inC, w, wStride, outC, last, bias, relu, out); break;
      case 32: forwardBlock3Wide<N, VECTORS, 32>(rows, kyBegin, kyEnd, column, inC, w, wStride, outC, last, bias, relu, out); break;
      default: forwardBlock3Wide<N, VECTORS>(rows, kyBegin, kyEnd, column, inC, w, wStride, outC, last, bias, relu, out); break;
    }
  } else if constexpr (N > 1) {
    forwardPixels3Wide<VECTORS, N - 1>(pixels, rows, kyBegin, kyEnd, column, inC, w, wStride, outC, last, bias, relu, out);
  }
}

/// Output channels [co, co + 16·VECTORS) ∩ [co, coEnd) of one output row.
template <int VECTORS>
ASTRO_AVX512 void forwardChannels(const astro_conv_shape &s, const float *const *rows, long kyBegin, long kyEnd,
                                  KernelSlice k, const float *bias, bool relu, float *yRow, long co, long coEnd) {
  constexpr int block = maxPixels(VECTORS);
  __mmask16 last = astroTailMask(coEnd - co - 16 * (VECTORS - 1));
  long taps = s.k_w * s.in_c, pixelStride = s.stride_w * s.in_c;
  const float *b = bias ? bias + co : nullptr, *w = k.w + (co - k.first);
  if constexpr (VECTORS <= 2) {
    if (s.k_w == 3 && s.stride_w == 1) {
      // Blocks of equal size (59 pixels: 19 + 20 + 20, not 24 + 24 + 11): a short last block through
      // forwardBlock ran at half the FMA rate (one broadcast per FMA) on a fifth of VGG6's conv2.
      long blocks = (s.out_w + block - 1) / block;
      for (long i = 0; i < blocks; i++) {
        long begin = i * s.out_w / blocks, end = (i + 1) * s.out_w / blocks;
        forwardPixels3Wide<VECTORS, block>(int(end - begin), rows, kyBegin, kyEnd, begin * pixelStride, s.in_c, w,
                                           k.stride, s.out_c, last, b, relu, yRow + begin * s.out_c + co);
      }
      return;
    }
  }
  long ox = 0;
  for (; ox + block <= s.out_w; ox += block)
    forwardFullBlock<VECTORS>(rows, kyBegin, kyEnd, ox * pixelStride, pixelStride, taps, w, k.stride, s.out_c, last, b,
                              relu, yRow + ox * s.out_c + co);
  if (ox < s.out_w)
    forwardPixels<VECTORS, block - 1>(int(s.out_w - ox), rows, kyBegin, kyEnd, ox * pixelStride, pixelStride, taps,
                                      w, k.stride, s.out_c, last, b, relu, yRow + ox * s.out_c + co);
}

// MARK: kernel gradient

/// Independent accumulator sets a kernel-gradient block cycles through, pixel by pixel: a block of few taps
/// (DeepStreaks' first layer has 3 per kernel row) would otherwise wait on each FMA's latency.
constexpr int accumulatorSets(int accumulators) { return accumulators >= 8 ? 1 : accumulators >= 4 ? 2 : 4; }

/// acc[t][v] += x[t] · dy[v]: one pixel's contribution to a kernel-gradient block's accumulators.
template <int TAPS, int VECTORS>
ASTRO_AVX512 ASTRO_INLINE void kernelGradientPixel(__m512 *acc, const float *x, const float *dy, __mmask16 last) {
  __m512 g[VECTORS];
  ASTRO_UNROLL for (int v = 0; v < VECTORS; v++) g[v] = _mm512_maskz_loadu_ps(v == VECTORS - 1 ? last : 0xFFFF, dy + 16 * v);
  ASTRO_UNROLL for (int t = 0; t < TAPS; t++) {
    __m512 xv = _mm512_set1_ps(x[t]);
    ASTRO_UNROLL for (int v = 0; v < VECTORS; v++) acc[t * VECTORS + v] = _mm512_fmadd_ps(xv, g[v], acc[t * VECTORS + v]);
  }
}

/// dw[taps t0..<t0+TAPS of row ky][VECTORS channel vectors] += Σ_i Σ_ox x_i[ox*stride + t] · dy_i[ox], over
/// `count` output rows i (xs[i] and dys[i] already offset to the tap block and channel block).
template <int TAPS, int VECTORS>
ASTRO_AVX512 ASTRO_INLINE void kernelGradientBlock(const float *const *xs, const float *const *dys, long count,
                                                   long xOffset, long dyOffset, long pixelStride, long outW, long outC,
                                                   __mmask16 last, float *dw) {
  constexpr int N = TAPS * VECTORS, SETS = accumulatorSets(N);
  __m512 acc[SETS * N];
  ASTRO_UNROLL for (int i = 0; i < SETS * N; i++) acc[i] = _mm512_setzero_ps();
  for (long i = 0; i < count; i++) {
    const float *xr = xs[i] + xOffset, *dyRow = dys[i] + dyOffset;
    long ox = 0;
    for (; ox + SETS <= outW; ox += SETS)
      ASTRO_UNROLL for (int set = 0; set < SETS; set++)
        kernelGradientPixel<TAPS, VECTORS>(acc + set * N, xr + (ox + set) * pixelStride, dyRow + (ox + set) * outC, last);
    for (; ox < outW; ox++) kernelGradientPixel<TAPS, VECTORS>(acc, xr + ox * pixelStride, dyRow + ox * outC, last);
  }
  ASTRO_UNROLL for (int set = 1; set < SETS; set++)
    ASTRO_UNROLL for (int i = 0; i < N; i++) acc[i] = _mm512_add_ps(acc[i], acc[set * N + i]);
  ASTRO_UNROLL for (int t = 0; t < TAPS; t++)
    ASTRO_UNROLL for (int v = 0; v < VECTORS; v++) {
      __mmask16 m = v == VECTORS - 1 ? last : 0xFFFF;
      float *d = dw + t * outC + 16 * v;
      _mm512_mask_storeu_ps(d, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, d), acc[t * VECTORS + v]));
    }
}

template <int VECTORS, int N>
ASTRO_AVX512 ASTRO_INLINE void kernelGradientTaps(int taps, const float *const *xs, const float *const *dys, long count,
                                                  long xOffset, long dyOffset, long pixelStride, long outW, long outC,
                                                  __mmask16 last, float *dw) {
  if (taps == N)
    kernelGradientBlock<N, VECTORS>(xs, dys, count, xOffset, dyOffset, pixelStride, outW, outC, last, dw);
  else if constexpr (N > 1)
    kernelGradientTaps<VECTORS, N - 1>(taps, xs, dys, count, xOffset, dyOffset, pixelStride, outW, outC, last, dw);
}

template <int VECTORS>
ASTRO_AVX512 void kernelGradientChannels(const astro_conv_shape &s, const float *const *xs, const float *const *dys,
                                         long count, float *dwRow, long co) {
  constexpr int block = maxPixels(VECTORS);
  __mmask16 last = astroTailMask(s.out_c - co - 16 * (VECTORS - 1));
  long taps = s.k_w * s.in_c, pixelStride = s.stride_w * s.in_c;
  for (long t0 = 0; t0 < taps; t0 += block) {
    int n = int(taps - t0 < block ? taps - t0 : block);
    kernelGradientTaps<VECTORS, block>(n, xs, dys, count, t0, co, pixelStride, s.out_w, s.out_c, last,
                                       dwRow + t0 * s.out_c + co);
  }
}

ASTRO_AVX512 void biasGradientRow(const float *dyRow, long outW, long outC, float *db) {
  for (long co = 0; co < outC; co += 16) {
    __mmask16 m = astroTailMask(outC - co);
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    long ox = 0;
    for (; ox + 1 < outW; ox += 2) {
      a0 = _mm512_add_ps(a0, _mm512_maskz_loadu_ps(m, dyRow + ox * outC + co));
      a1 = _mm512_add_ps(a1, _mm512_maskz_loadu_ps(m, dyRow + (ox + 1) * outC + co));
    }
    if (ox < outW) a0 = _mm512_add_ps(a0, _mm512_maskz_loadu_ps(m, dyRow + ox * outC + co));
    _mm512_mask_storeu_ps(db + co, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, db + co), _mm512_add_ps(a0, a1)));
  }
}

/// Output channels [coBegin, coEnd) of one output row of the forward convolution from its prepared input rows.
ASTRO_AVX512 void forwardRow(const astro_conv_shape &s, const float *const *rows, long kyBegin, long kyEnd,
                             KernelSlice k, const float *bias, bool relu, float *yRow, long coBegin, long coEnd) {
  for (long co = coBegin; co < coEnd;) {
    int vectors = vectorsPerBlock(coEnd - co);
    switch (vectors) {
      case 1: forwardChannels<1>(s, rows, kyBegin, kyEnd, k, bias, relu, yRow, co, coEnd); break;
      case 2: forwardChannels<2>(s, rows, kyBegin, kyEnd, k, bias, relu, yRow, co, coEnd); break;
      case 3: forwardChannels<3>(s, rows, kyBegin, kyEnd, k, bias, relu, yRow, co, coEnd); break;
      default: forwardChannels<4>(s, rows, kyBegin, kyEnd, k, bias, relu, yRow, co, coEnd); break;
    }
    co += 16 * vectors;
  }
}

/// All output channels of one output row, weights read from the whole kernel.
ASTRO_AVX512 void forwardRow(const astro_conv_shape &s, const float *const *rows, long kyBegin, long kyEnd,
                             const float *w, const float *bias, bool relu, float *yRow) {
  forwardRow(s, rows, kyBegin, kyEnd, KernelSlice{w, s.out_c, 0}, bias, relu, yRow, 0, s.out_c);
}

/// dw += the contributions of the pairs (dy rows already masked).
ASTRO_AVX512 void kernelGradientPairs(const astro_conv_shape &s, const RowPairs &pairs, float *dw) {
  long taps = s.k_w * s.in_c;
  for (long ky = 0; ky < s.k_h; ky++) {
    if (pairs.count[ky] == 0) continue;
    float *dwRow = dw + ky * taps * s.out_c;
    for (long co = 0; co < s.out_c;) {
      int vectors = vectorsPerBlock(s.out_c - co);
      const float *const *xs = pairs.xs[ky], *const *dys = pairs.dys[ky];
      long n = pairs.count[ky];
      switch (vectors) {
        case 1: kernelGradientChannels<1>(s, xs, dys, n, dwRow, co); break;
        case 2: kernelGradientChannels<2>(s, xs, dys, n, dwRow, co); break;
        case 3: kernelGradientChannels<3>(s, xs, dys, n, dwRow, co); break;
        default: kernelGradientChannels<4>(s, xs, dys, n, dwRow, co); break;
      }
      co += 16 * vectors;
    }
  }
}

/// dw (and db, if not null) += the contribution of one output row's (already masked) gradient.
ASTRO_AVX512 void kernelGradientRow(const astro_conv_shape &s, const float *const *rows, long kyBegin, long kyEnd,
                                    const float *dyRow, float *dw, float *db) {
  RowPairs pairs;
  pairs.add(rows, kyBegin, kyEnd, dyRow);
  kernelGradientPairs(s, pairs, dw);
  if (db) biasGradientRow(dyRow, s.out_w, s.out_c, db);
}

/// The stride-1 input gradient as a convolution: dy padded by k - 1 - pad, the kernel flipped in space with
/// its channel axes swapped (done by the caller), producing in_h × in_w × in_c.
astro_conv_shape transposedShape(const astro_conv_shape &s) {
  astro_conv_shape t = s;
  t.in_h = s.out_h; t.in_w = s.out_w; t.in_c = s.out_c;
  t.pad_top = s.k_h - 1 - s.pad_top; t.pad_left = s.k_w - 1 - s.pad_left;
  t.out_h = s.in_h; t.out_w = s.in_w; t.out_c = s.in_c;
  return t;
}

}  // namespace

extern "C" {

ASTRO_AVX512 void astro_conv_forward_rows(const astro_conv_shape *s, const float *x, const float *x_mask, const float *w,
                                          int w_packed, const float *bias, int relu, float *y, long rowBegin,
                                          long rowEnd, float *scratch) {
  forwardRows(s, x, x_mask, w, w_packed, bias, relu, y, rowBegin, rowEnd, scratch, forwardRow);
}

ASTRO_AVX512 void astro_conv_kernel_gradient_rows(const astro_conv_shape *s, const float *x, const float *dy,
                                                  const float *dy_mask, float *dw, float *db, long rowBegin,
                                                  long rowEnd, float *scratch) {
  kernelGradientRows(s, x, dy, dy_mask, dw, db, rowBegin, rowEnd, scratch, {copyMasked, biasGradientRow, kernelGradientPairs});
}

ASTRO_AVX512 void astro_matmul_transposed_a(const float *a, const float *b, long rows, long m, long n, long columnBegin,
                                            long columnEnd, float *c) {
  for (long t = columnBegin; t < columnEnd; t++) memset(c + t * n, 0, size_t(n) * sizeof(float));
  // The kernel gradient of a 1×1 convolution over `rows` pixels with m input and n output channels, over the
  // taps [columnBegin, columnEnd) only.
  const float *xs[1] = {a}, *dys[1] = {b};
  for (long co = 0; co < n;) {
    int vectors = vectorsPerBlock(n - co);
    __mmask16 last = astroTailMask(n - co - 16 * (vectors - 1));
    int block = vectors == 1 ? maxPixels(1) : vectors == 2 ? maxPixels(2) : vectors == 3 ? maxPixels(3) : maxPixels(4);
    for (long t0 = columnBegin; t0 < columnEnd; t0 += block) {
      int taps = int(columnEnd - t0 < block ? columnEnd - t0 : block);
      float *dw = c + t0 * n + co;
      switch (vectors) {
        case 1: kernelGradientTaps<1, maxPixels(1)>(taps, xs, dys, 1, t0, co, m, rows, n, last, dw); break;
        case 2: kernelGradientTaps<2, maxPixels(2)>(taps, xs, dys, 1, t0, co, m, rows, n, last, dw); break;
        case 3: kernelGradientTaps<3, maxPixels(3)>(taps, xs, dys, 1, t0, co, m, rows, n, last, dw); break;
        default: kernelGradientTaps<4, maxPixels(4)>(taps, xs, dys, 1, t0, co, m, rows, n, last, dw); break;
      }
    }
    co += 16 * vectors;
  }
}

int astro_conv_fused_backward_supported(const astro_conv_shape *s) {
  // Padding after the data, implied by the output size; the transposed convolution pads by k - 1 - pad.
  long padBottom = s->out_h - 1 + s->k_h - s->in_h - s->pad_top;
  long padRight = s->out_w - 1 + s->k_w - s->in_w - s->pad_left;
  // The fused pass updates dw once per output row: with short rows and a large kernel, the grouped kernel
  // gradient of astro_conv_kernel_gradient_rows (dw once per ~256 pixels) is the better route.
  bool rowsAmortizeKernel = s->out_w >= kGroupPixels / 8 || kernelBytes(*s) <= kSmallKernelBytes;
  return astro_conv_direct_supported(s) && s->stride_h == 1 && s->stride_w == 1 && s->pad_top < s->k_h &&
         s->pad_left < s->k_w && padBottom >= 0 && padBottom < s->k_h && padRight >= 0 && padRight < s->k_w &&
         rowsAmortizeKernel;
}

size_t astro_conv_fused_backward_scratch_floats(const astro_conv_shape *s) {
  astro_conv_shape t = transposedShape(*s);
  return size_t(s->k_h * paddedWidth(*s) * s->in_c + t.k_h * paddedWidth(t) * t.in_c);
}

ASTRO_AVX512 void astro_conv_fused_backward_samples(const astro_conv_shape *s, const float *x, const float *dy,
                                                    const float *dy_mask, const float *w_transposed, float *dw,
                                                    float *db, float *dx, long sampleBegin, long sampleEnd,
                                                    float *scratch) {
  astro_conv_shape t = transposedShape(*s);
  float *xScratch = scratch, *dyScratch = scratch + s->k_h * paddedWidth(*s) * s->in_c;
  RowSlots xSlots, dySlots;
  const float *rows[kMaxKernelHeight];
  long kyBegin, kyEnd;
  // dx row iy reads dy rows up to iy + pad_top: it is written as soon as that row has been masked into the
  // ring, while the ring still holds the k_h rows it needs.
  auto inputGradientRow = [&](long n, long iy) {
    long row = n * t.out_h + iy;
    prepareRows(t, dy, dy_mask, row, dyScratch, dySlots, rows, kyBegin, kyEnd);
    forwardRow(t, rows, kyBegin, kyEnd, w_transposed, nullptr, false, dx + row * t.out_w * t.out_c);
  };
  for (long n = sampleBegin; n < sampleEnd; n++) {
    for (long oy = 0; oy < s->out_h; oy++) {
      if (oy - s->pad_top >= 0) inputGradientRow(n, oy - s->pad_top);
      // The masked dy row oy, as the transposed convolution's prepared input row (zero columns on the left).
      const float *dyRow = preparedRow(t, dy, dy_mask, n, oy, dyScratch, dySlots) + t.pad_left * t.in_c;
      prepareRows(*s, x, nullptr, n * s->out_h + oy, xScratch, xSlots, rows, kyBegin, kyEnd);
      kernelGradientRow(*s, rows, kyBegin, kyEnd, dyRow, dw, db);
    }
    for (long iy = s->out_h - s->pad_top < 0 ? 0 : s->out_h - s->pad_top; iy < s->in_h; iy++) inputGradientRow(n, iy);
  }
}

}  // extern "C"

#endif  // ASTRO_X86_64
