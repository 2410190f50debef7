// Direct NHWC convolution with NEON, for arm64 (Apple Silicon, Graviton): the forward pass and the kernel gradient
// of DirectConvolution.cpp's design with 4-float vectors. Each output pixel's channels live in registers and every
// weight vector loaded is reused over a block of pixels; with 32 registers, a block holds at most 24 accumulators
// (16 channels × 6 pixels). NEON has no masked loads, so these kernels take channel counts that are multiples of
// 4 (astro_neon_conv_supported); the others run on the portable route.
#include "AstroKernelsC.h"
#include "ConvolutionRows.h"

#if defined(__aarch64__)
#include <arm_neon.h>

#define ASTRO_NEON_INLINE inline __attribute__((always_inline))
#define ASTRO_NEON_UNROLL _Pragma("clang loop unroll(full)")

namespace {

/// Accumulators per block: at most 24 of the 32 q registers, the rest holding weights and a broadcast.
constexpr int maxPixelsNEON(int vectors) { return vectors == 1 ? 12 : vectors == 2 ? 12 : vectors == 3 ? 8 : 6; }

/// Output-channel vectors per block: up to 16 channels at a time.
inline int vectorsPerBlockNEON(long remainingChannels) {
  long v = remainingChannels / 4;
  return v >= 4 ? 4 : int(v);
}

// MARK: forward

/// PIXELS consecutive output pixels × VECTORS channel vectors, accumulated over every (ky, kx, ci), then written
/// through a ReLU when asked (taps of one kernel row are contiguous in an input row: t = kx·in_c + ci).
template <int PIXELS, int VECTORS>
ASTRO_NEON_INLINE void forwardBlockNEON(const float *const *rows, long kyBegin, long kyEnd, long column, long pixelStride,
                                        long taps, const float *w, long wStride, long outC, const float *bias, bool relu,
                                        float *out) {
  float32x4_t acc[PIXELS * VECTORS];
  ASTRO_NEON_UNROLL for (int v = 0; v < VECTORS; v++) {
    float32x4_t b = bias ? vld1q_f32(bias + 4 * v) : vdupq_n_f32(0);
    ASTRO_NEON_UNROLL for (int p = 0; p < PIXELS; p++) acc[p * VECTORS + v] = b;
  }
  for (long ky = kyBegin; ky < kyEnd; ky++) {
    const float *xr = rows[ky] + column;
    const float *wr = w + ky * taps * wStride;
    for (long t = 0; t < taps; t++) {
      float32x4_t wv[VECTORS];
      ASTRO_NEON_UNROLL for (int v = 0; v < VECTORS; v++) wv[v] = vld1q_f32(wr + t * wStride + 4 * v);
      ASTRO_NEON_UNROLL for (int p = 0; p < PIXELS; p++) {
        float32x4_t xv = vld1q_dup_f32(xr + p * pixelStride + t);
        ASTRO_NEON_UNROLL for (int v = 0; v < VECTORS; v++) acc[p * VECTORS + v] = vfmaq_f32(acc[p * VECTORS + v], xv, wv[v]);
      }
    }
  }
  ASTRO_NEON_UNROLL for (int p = 0; p < PIXELS; p++)
    ASTRO_NEON_UNROLL for (int v = 0; v < VECTORS; v++) {
      float32x4_t r = acc[p * VECTORS + v];
      if (relu) r = vmaxq_f32(r, vdupq_n_f32(0));
      vst1q_f32(out + p * outC + 4 * v, r);
    }
}

/// forwardBlockNEON for a run-time pixel count in 1...N.
template <int VECTORS, int N>
ASTRO_NEON_INLINE void forwardPixelsNEON(int pixels, const float *const *rows, long kyBegin, long kyEnd, long column,
                                         long pixelStride, long taps, const float *w, long wStride, long outC,
                                         const float *bias, bool relu, float *out) {
  if (pixels == N)
    forwardBlockNEON<N, VECTORS>(rows, kyBegin, kyEnd, column, pixelStride, taps, w, wStride, outC, bias, relu, out);
  else if constexpr (N > 1)
    forwardPixelsNEON<VECTORS, N - 1>(pixels, rows, kyBegin, kyEnd, column, pixelStride, taps, w, wStride, outC, bias, relu,
                                      out);
}

/// Output channels [co, co + 4·VECTORS) of one output row: full blocks of pixels, then the remaining pixels.
template <int VECTORS>
void forwardChannelsNEON(const astro_conv_shape &s, const float *const *rows, long kyBegin, long kyEnd, KernelSlice k,
                         const float *bias, bool relu, float *yRow, long co) {
  constexpr int block = maxPixelsNEON(VECTORS);
  long taps = s.k_w * s.in_c, pixelStride = s.stride_w * s.in_c;
  const float *b = bias ? bias + co : nullptr, *w = k.w + (co - k.first);
  long ox = 0;
  for (; ox + block <= s.out_w; ox += block)
    forwardBlockNEON<block, VECTORS>(rows, kyBegin, kyEnd, ox * pixelStride, pixelStride, taps, w, k.stride, s.out_c, b, relu,
                                     yRow + ox * s.out_c + co);
  if (ox < s.out_w)
    forwardPixelsNEON<VECTORS, block - 1>(int(s.out_w - ox), rows, kyBegin, kyEnd, ox * pixelStride, pixelStride, taps, w,
                                          k.stride, s.out_c, b, relu, yRow + ox * s.out_c + co);
}

/// Output channels [coBegin, coEnd) of one output row from its prepared input rows.
void forwardRowNEON(const astro_conv_shape &s, const float *const *rows, long kyBegin, long kyEnd, KernelSlice k,
                    const float *bias, bool relu, float *yRow, long coBegin, long coEnd) {
  for (long co = coBegin; co < coEnd;) {
    int vectors = vectorsPerBlockNEON(coEnd - co);
    switch (vectors) {
      case 1: forwardChannelsNEON<1>(s, rows, kyBegin, kyEnd, k, bias, relu, yRow, co); break;
      case 2: forwardChannelsNEON<2>(s, rows, kyBegin, kyEnd, k, bias, relu, yRow, co); break;
      case 3: forwardChannelsNEON<3>(s, rows, kyBegin, kyEnd, k, bias, relu, yRow, co); break;
      default: forwardChannelsNEON<4>(s, rows, kyBegin, kyEnd, k, bias, relu, yRow, co); break;
    }
    co += 4 * vectors;
  }
}

// MARK: kernel gradient

/// Independent accumulator sets a kernel-gradient block cycles through, pixel by pixel, so that a block of few
/// taps does not wait on each FMA's latency; at most 24 accumulators in all.
constexpr int accumulatorSetsNEON(int accumulators) { return accumulators >= 12 ? 1 : accumulators >= 6 ? 2 : 4; }

/// dw[taps t0..<t0+TAPS of row ky][VECTORS channel vectors] += Σ_i Σ_ox x_i[ox·stride + t] · dy_i[ox], over `count`
/// output rows i (xs[i] and dys[i] offset by xOffset and dyOffset to the tap block and channel block).
template <int TAPS, int VECTORS>
ASTRO_NEON_INLINE void kernelGradientBlockNEON(const float *const *xs, const float *const *dys, long count, long xOffset,
                                               long dyOffset, long pixelStride, long outW, long outC, float *dw) {
  constexpr int N = TAPS * VECTORS, SETS = accumulatorSetsNEON(N);
  float32x4_t acc[SETS * N];
  ASTRO_NEON_UNROLL for (int i = 0; i < SETS * N; i++) acc[i] = vdupq_n_f32(0);
  auto pixel = [&](float32x4_t *a, const float *x, const float *dy) __attribute__((always_inline)) {
    float32x4_t g[VECTORS];
    ASTRO_NEON_UNROLL for (int v = 0; v < VECTORS; v++) g[v] = vld1q_f32(dy + 4 * v);
    ASTRO_NEON_UNROLL for (int t = 0; t < TAPS; t++) {
      float32x4_t xv = vld1q_dup_f32(x + t);
      ASTRO_NEON_UNROLL for (int v = 0; v < VECTORS; v++) a[t * VECTORS + v] = vfmaq_f32(a[t * VECTORS + v], xv, g[v]);
    }
  };
  for (long i = 0; i < count; i++) {
    const float *xr = xs[i] + xOffset, *dyRow = dys[i] + dyOffset;
    long ox = 0;
    for (; ox + SETS <= outW; ox += SETS)
      ASTRO_NEON_UNROLL for (int set = 0; set < SETS; set++) pixel(acc + set * N, xr + (ox + set) * pixelStride, dyRow + (ox + set) * outC);
    for (; ox < outW; ox++) pixel(acc, xr + ox * pixelStride, dyRow + ox * outC);
  }
  ASTRO_NEON_UNROLL for (int set = 1; set < SETS; set++)
    ASTRO_NEON_UNROLL for (int i = 0; i < N; i++) acc[i] = vaddq_f32(acc[i], acc[set * N + i]);
  ASTRO_NEON_UNROLL for (int t = 0; t < TAPS; t++)
    ASTRO_NEON_UNROLL for (int v = 0; v < VECTORS; v++) {
      float *d = dw + t * outC + 4 * v;
      vst1q_f32(d, vaddq_f32(vld1q_f32(d), acc[t * VECTORS + v]));
    }
}

/// kernelGradientBlockNEON for a run-time tap count in 1...N.
template <int VECTORS, int N>
ASTRO_NEON_INLINE void kernelGradientTapsNEON(int taps, const float *const *xs, const float *const *dys, long count,
                                              long xOffset, long dyOffset, long pixelStride, long outW, long outC, float *dw) {
  if (taps == N)
    kernelGradientBlockNEON<N, VECTORS>(xs, dys, count, xOffset, dyOffset, pixelStride, outW, outC, dw);
  else if constexpr (N > 1)
    kernelGradientTapsNEON<VECTORS, N - 1>(taps, xs, dys, count, xOffset, dyOffset, pixelStride, outW, outC, dw);
}

template <int VECTORS>
void kernelGradientChannelsNEON(const astro_conv_shape &s, const float *const *xs, const float *const *dys, long count,
                                float *dwRow, long co) {
  constexpr int block = maxPixelsNEON(VECTORS);
  long taps = s.k_w * s.in_c, pixelStride = s.stride_w * s.in_c;
  for (long t0 = 0; t0 < taps; t0 += block) {
    int n = int(taps - t0 < block ? taps - t0 : block);
    kernelGradientTapsNEON<VECTORS, block>(n, xs, dys, count, t0, co, pixelStride, s.out_w, s.out_c, dwRow + t0 * s.out_c + co);
  }
}

/// dw += the contributions of the pairs (dy rows already masked).
void kernelGradientPairsNEON(const astro_conv_shape &s, const RowPairs &pairs, float *dw) {
  long taps = s.k_w * s.in_c;
  for (long ky = 0; ky < s.k_h; ky++) {
    if (pairs.count[ky] == 0) continue;
    float *dwRow = dw + ky * taps * s.out_c;
    const float *const *xs = pairs.xs[ky], *const *dys = pairs.dys[ky];
    long n = pairs.count[ky];
    for (long co = 0; co < s.out_c;) {
      int vectors = vectorsPerBlockNEON(s.out_c - co);
      switch (vectors) {
        case 1: kernelGradientChannelsNEON<1>(s, xs, dys, n, dwRow, co); break;
        case 2: kernelGradientChannelsNEON<2>(s, xs, dys, n, dwRow, co); break;
        case 3: kernelGradientChannelsNEON<3>(s, xs, dys, n, dwRow, co); break;
        default: kernelGradientChannelsNEON<4>(s, xs, dys, n, dwRow, co); break;
      }
      co += 4 * vectors;
    }
  }
}

/// db += Σ over the row's pixels of dy.
void biasGradientRowNEON(const float *dyRow, long outW, long outC, float *db) {
  for (long co = 0; co < outC; co += 4) {
    float32x4_t a0 = vdupq_n_f32(0), a1 = vdupq_n_f32(0);
    long ox = 0;
    for (; ox + 1 < outW; ox += 2) {
      a0 = vaddq_f32(a0, vld1q_f32(dyRow + ox * outC + co));
      a1 = vaddq_f32(a1, vld1q_f32(dyRow + (ox + 1) * outC + co));
    }
    if (ox < outW) a0 = vaddq_f32(a0, vld1q_f32(dyRow + ox * outC + co));
    vst1q_f32(db + co, vaddq_f32(vld1q_f32(db + co), vaddq_f32(a0, a1)));
  }
}

}  // namespace

extern "C" {

int astro_neon_conv_supported(const astro_conv_shape *s) { return astro_conv_direct_supported(s) && s->out_c % 4 == 0; }

void astro_neon_conv_forward_rows(const astro_conv_shape *s, const float *x, const float *x_mask, const float *w, int w_packed,
                                  const float *bias, int relu, float *y, long rowBegin, long rowEnd, float *scratch) {
  forwardRows(s, x, x_mask, w, w_packed, bias, relu, y, rowBegin, rowEnd, scratch, forwardRowNEON);
}

void astro_neon_conv_kernel_gradient_rows(const astro_conv_shape *s, const float *x, const float *dy, const float *dy_mask,
                                          float *dw, float *db, long rowBegin, long rowEnd, float *scratch) {
  kernelGradientRows(s, x, dy, dy_mask, dw, db, rowBegin, rowEnd, scratch,
                     {copyMaskedRow, biasGradientRowNEON, kernelGradientPairsNEON});
}

}  // extern "C"

#else
// Elsewhere NEON is absent: the kernels are never called (astro_neon_conv_supported says no).
extern "C" {
int astro_neon_conv_supported(const astro_conv_shape *) { return 0; }
void astro_neon_conv_forward_rows(const astro_conv_shape *, const float *, const float *, const float *, int, const float *,
                                  int, float *, long, long, float *) {}
void astro_neon_conv_kernel_gradient_rows(const astro_conv_shape *, const float *, const float *, const float *, float *,
                                          float *, long, long, float *) {}
}
#endif  // __aarch64__
