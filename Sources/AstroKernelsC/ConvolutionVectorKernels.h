// The direct convolution's forward pass and kernel gradient written once over a vector type, for the instruction
// sets with fixed-width registers and no more than 16 channels a block: AVX2 + FMA (DirectConvolutionAVX2.cpp, 8
// floats, 16 registers) and NEON (DirectConvolutionNEON.cpp, 4 floats, 32 registers). Each output pixel's channels
// live in registers and every weight vector loaded is reused over a block of pixels.
//
// A file includes this header once, after defining its traits V (below) and, for x86, inside a
// `#pragma clang attribute push(target(...))` region so that every template here is compiled for its ISA.
//
// V provides: `Vec`, `Tail` (which lanes of a channel block's last vector hold data), `kLanes`, `kMaxVectors`
// (vectors per block), `maxPixels(vectors)` and `accumulatorSets(accumulators)` (its register budget), and
// `zero`, `load`, `loadTail`, `store`, `storeTail`, `broadcast` (one float in every lane), `fma(a, b, c)` (a·b + c),
// `add`, `relu`, `tail(remaining)`.
#ifndef ASTRO_CONVOLUTION_VECTOR_KERNELS_H
#define ASTRO_CONVOLUTION_VECTOR_KERNELS_H

#include "ConvolutionRows.h"

#define ASTRO_VK_INLINE inline __attribute__((always_inline))
#define ASTRO_VK_UNROLL _Pragma("clang loop unroll(full)")

namespace {

/// Vector v of a block of VECTORS at p: a plain load, or the tail load for the block's last vector.
template <class V, int VECTORS>
ASTRO_VK_INLINE typename V::Vec loadLanes(const float *p, int v, typename V::Tail last) {
  return v == VECTORS - 1 ? V::loadTail(p, last) : V::load(p);
}

template <class V, int VECTORS>
ASTRO_VK_INLINE void storeLanes(float *p, int v, typename V::Tail last, typename V::Vec value) {
  if (v == VECTORS - 1)
    V::storeTail(p, last, value);
  else
    V::store(p, value);
}

/// Channel vectors for the next block of [co, coEnd): up to kMaxVectors.
template <class V>
ASTRO_VK_INLINE int vectorsPerBlock(long remainingChannels) {
  long v = (remainingChannels + V::kLanes - 1) / V::kLanes;
  return v >= V::kMaxVectors ? V::kMaxVectors : int(v);
}

// MARK: forward

/// PIXELS consecutive output pixels × VECTORS channel vectors, accumulated over every (ky, kx, ci), then written
/// through a ReLU when asked. For a fixed ky the (kx, ci) taps of one window are contiguous in a row (tap
/// t = kx·in_c + ci). STRIDE, when not 0, is the pixel stride known at compile time (a constant offset per
/// broadcast instead of a register per pixel).
template <class V, int PIXELS, int VECTORS, int STRIDE = 0>
ASTRO_VK_INLINE void forwardBlock(const float *const *rows, long kyBegin, long kyEnd, long column, long runtimeStride,
                                  long taps, const float *w, long wStride, long outC, typename V::Tail last,
                                  const float *bias, bool relu, float *out) {
  using Vec = typename V::Vec;
  const long pixelStride = STRIDE ? STRIDE : runtimeStride;
  Vec acc[PIXELS * VECTORS];
  ASTRO_VK_UNROLL for (int v = 0; v < VECTORS; v++) {
    Vec b = bias ? loadLanes<V, VECTORS>(bias + V::kLanes * v, v, last) : V::zero();
    ASTRO_VK_UNROLL for (int p = 0; p < PIXELS; p++) acc[p * VECTORS + v] = b;
  }
  for (long ky = kyBegin; ky < kyEnd; ky++) {
    const float *xr = rows[ky] + column;
    const float *wr = w + ky * taps * wStride;
    for (long t = 0; t < taps; t++) {
      Vec wv[VECTORS];
      ASTRO_VK_UNROLL for (int v = 0; v < VECTORS; v++) wv[v] = loadLanes<V, VECTORS>(wr + t * wStride + V::kLanes * v, v, last);
      ASTRO_VK_UNROLL for (int p = 0; p < PIXELS; p++) {
        Vec xv = V::broadcast(xr + p * pixelStride + t);
        ASTRO_VK_UNROLL for (int v = 0; v < VECTORS; v++) acc[p * VECTORS + v] = V::fma(xv, wv[v], acc[p * VECTORS + v]);
      }
    }
  }
  ASTRO_VK_UNROLL for (int p = 0; p < PIXELS; p++)
    ASTRO_VK_UNROLL for (int v = 0; v < VECTORS; v++) {
      Vec r = acc[p * VECTORS + v];
      if (relu) r = V::relu(r);
      storeLanes<V, VECTORS>(out + p * outC + V::kLanes * v, v, last, r);
    }
}

/// forwardBlock for a run-time pixel count in 1...N.
template <class V, int VECTORS, int N>
ASTRO_VK_INLINE void forwardPixels(int pixels, const float *const *rows, long kyBegin, long kyEnd, long column,
                                   long pixelStride, long taps, const float *w, long wStride, long outC,
                                   typename V::Tail last, const float *bias, bool relu, float *out) {
  if (pixels == N)
    forwardBlock<V, N, VECTORS>(rows, kyBegin, kyEnd, column, pixelStride, taps, w, wStride, outC, last, bias, relu, out);
  else if constexpr (N > 1)
    forwardPixels<V, VECTORS, N - 1>(pixels, rows, kyBegin, kyEnd, column, pixelStride, taps, w, wStride, outC, last, bias,
                                     relu, out);
}

/// Output channels [co, co + kLanes·VECTORS) ∩ [co, coEnd) of one output row: full blocks with the pixel stride as
/// a compile-time constant for the common channel counts, then the remaining pixels.
template <class V, int VECTORS>
void forwardChannels(const astro_conv_shape &s, const float *const *rows, long kyBegin, long kyEnd, KernelSlice k,
                     const float *bias, bool relu, float *yRow, long co, long coEnd) {
  constexpr int block = V::maxPixels(VECTORS);
  typename V::Tail last = V::tail(coEnd - co - V::kLanes * (VECTORS - 1));
  long taps = s.k_w * s.in_c, pixelStride = s.stride_w * s.in_c;
  const float *b = bias ? bias + co : nullptr, *w = k.w + (co - k.first);
  long ox = 0;
  for (; ox + block <= s.out_w; ox += block) {
    float *out = yRow + ox * s.out_c + co;
    long column = ox * pixelStride;
#define ASTRO_FORWARD_BLOCK(STRIDE) \
  forwardBlock<V, block, VECTORS, STRIDE>(rows, kyBegin, kyEnd, column, pixelStride, taps, w, k.stride, s.out_c, last, b, relu, out)
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
    forwardPixels<V, VECTORS, block - 1>(int(s.out_w - ox), rows, kyBegin, kyEnd, ox * pixelStride, pixelStride, taps, w,
                                         k.stride, s.out_c, last, b, relu, yRow + ox * s.out_c + co);
}

/// Output channels [coBegin, coEnd) of one output row from its prepared input rows (a ForwardRowFunction).
template <class V>
void forwardRow(const astro_conv_shape &s, const float *const *rows, long kyBegin, long kyEnd, KernelSlice k,
                const float *bias, bool relu, float *yRow, long coBegin, long coEnd) {
  for (long co = coBegin; co < coEnd;) {
    int vectors = vectorsPerBlock<V>(coEnd - co);
    switch (vectors) {
      case 1: forwardChannels<V, 1>(s, rows, kyBegin, kyEnd, k, bias, relu, yRow, co, coEnd); break;
      case 2: if constexpr (V::kMaxVectors >= 2) forwardChannels<V, 2>(s, rows, kyBegin, kyEnd, k, bias, relu, yRow, co, coEnd); break;
      case 3: if constexpr (V::kMaxVectors >= 3) forwardChannels<V, 3>(s, rows, kyBegin, kyEnd, k, bias, relu, yRow, co, coEnd); break;
      default: if constexpr (V::kMaxVectors >= 4) forwardChannels<V, 4>(s, rows, kyBegin, kyEnd, k, bias, relu, yRow, co, coEnd); break;
    }
    co += V::kLanes * vectors;
  }
}

// MARK: kernel gradient

/// dw[taps t0..<t0+TAPS of row ky][VECTORS channel vectors] += Σ_i Σ_ox x_i[ox·stride + t] · dy_i[ox], over `count`
/// output rows i (xs[i] and dys[i] offset by xOffset and dyOffset to the tap block and channel block). The block
/// cycles through independent accumulator sets, pixel by pixel, so that few taps do not wait on each FMA's latency.
template <class V, int TAPS, int VECTORS>
ASTRO_VK_INLINE void kernelGradientBlock(const float *const *xs, const float *const *dys, long count, long xOffset,
                                         long dyOffset, long pixelStride, long outW, long outC, typename V::Tail last,
                                         float *dw) {
  using Vec = typename V::Vec;
  constexpr int N = TAPS * VECTORS, SETS = V::accumulatorSets(N);
  Vec acc[SETS * N];
  ASTRO_VK_UNROLL for (int i = 0; i < SETS * N; i++) acc[i] = V::zero();
  auto pixel = [&](Vec *a, const float *x, const float *dy) __attribute__((always_inline)) {
    Vec g[VECTORS];
    ASTRO_VK_UNROLL for (int v = 0; v < VECTORS; v++) g[v] = loadLanes<V, VECTORS>(dy + V::kLanes * v, v, last);
    ASTRO_VK_UNROLL for (int t = 0; t < TAPS; t++) {
      Vec xv = V::broadcast(x + t);
      ASTRO_VK_UNROLL for (int v = 0; v < VECTORS; v++) a[t * VECTORS + v] = V::fma(xv, g[v], a[t * VECTORS + v]);
    }
  };
  for (long i = 0; i < count; i++) {
    const float *xr = xs[i] + xOffset, *dyRow = dys[i] + dyOffset;
    long ox = 0;
    for (; ox + SETS <= outW; ox += SETS)
      ASTRO_VK_UNROLL for (int set = 0; set < SETS; set++) pixel(acc + set * N, xr + (ox + set) * pixelStride, dyRow + (ox + set) * outC);
    for (; ox < outW; ox++) pixel(acc, xr + ox * pixelStride, dyRow + ox * outC);
  }
  ASTRO_VK_UNROLL for (int set = 1; set < SETS; set++)
    ASTRO_VK_UNROLL for (int i = 0; i < N; i++) acc[i] = V::add(acc[i], acc[set * N + i]);
  ASTRO_VK_UNROLL for (int t = 0; t < TAPS; t++)
    ASTRO_VK_UNROLL for (int v = 0; v < VECTORS; v++) {
      float *d = dw + t * outC + V::kLanes * v;
      storeLanes<V, VECTORS>(d, v, last, V::add(loadLanes<V, VECTORS>(d, v, last), acc[t * VECTORS + v]));
    }
}

/// kernelGradientBlock for a run-time tap count in 1...N.
template <class V, int VECTORS, int N>
ASTRO_VK_INLINE void kernelGradientTaps(int taps, const float *const *xs, const float *const *dys, long count, long xOffset,
                                        long dyOffset, long pixelStride, long outW, long outC, typename V::Tail last,
                                        float *dw) {
  if (taps == N)
    kernelGradientBlock<V, N, VECTORS>(xs, dys, count, xOffset, dyOffset, pixelStride, outW, outC, last, dw);
  else if constexpr (N > 1)
    kernelGradientTaps<V, VECTORS, N - 1>(taps, xs, dys, count, xOffset, dyOffset, pixelStride, outW, outC, last, dw);
}

template <class V, int VECTORS>
void kernelGradientChannels(const astro_conv_shape &s, const float *const *xs, const float *const *dys, long count,
                            float *dwRow, long co) {
  constexpr int block = V::maxPixels(VECTORS);
  typename V::Tail last = V::tail(s.out_c - co - V::kLanes * (VECTORS - 1));
  long taps = s.k_w * s.in_c, pixelStride = s.stride_w * s.in_c;
  for (long t0 = 0; t0 < taps; t0 += block) {
    int n = int(taps - t0 < block ? taps - t0 : block);
    kernelGradientTaps<V, VECTORS, block>(n, xs, dys, count, t0, co, pixelStride, s.out_w, s.out_c, last,
                                          dwRow + t0 * s.out_c + co);
  }
}

/// dw += the contributions of the pairs (dy rows already masked).
template <class V>
void kernelGradientPairs(const astro_conv_shape &s, const RowPairs &pairs, float *dw) {
  long taps = s.k_w * s.in_c;
  for (long ky = 0; ky < s.k_h; ky++) {
    if (pairs.count[ky] == 0) continue;
    float *dwRow = dw + ky * taps * s.out_c;
    const float *const *xs = pairs.xs[ky], *const *dys = pairs.dys[ky];
    long n = pairs.count[ky];
    for (long co = 0; co < s.out_c;) {
      int vectors = vectorsPerBlock<V>(s.out_c - co);
      switch (vectors) {
        case 1: kernelGradientChannels<V, 1>(s, xs, dys, n, dwRow, co); break;
        case 2: if constexpr (V::kMaxVectors >= 2) kernelGradientChannels<V, 2>(s, xs, dys, n, dwRow, co); break;
        case 3: if constexpr (V::kMaxVectors >= 3) kernelGradientChannels<V, 3>(s, xs, dys, n, dwRow, co); break;
        default: if constexpr (V::kMaxVectors >= 4) kernelGradientChannels<V, 4>(s, xs, dys, n, dwRow, co); break;
      }
      co += V::kLanes * vectors;
    }
  }
}

/// db += Σ over the row's pixels of dy.
template <class V>
void biasGradientRow(const float *dyRow, long outW, long outC, float *db) {
  for (long co = 0; co < outC; co += V::kLanes) {
    typename V::Tail m = V::tail(outC - co);
    typename V::Vec a0 = V::zero(), a1 = V::zero();
    long ox = 0;
    for (; ox + 1 < outW; ox += 2) {
      a0 = V::add(a0, V::loadTail(dyRow + ox * outC + co, m));
      a1 = V::add(a1, V::loadTail(dyRow + (ox + 1) * outC + co, m));
    }
    if (ox < outW) a0 = V::add(a0, V::loadTail(dyRow + ox * outC + co, m));
    V::storeTail(db + co, m, V::add(V::loadTail(db + co, m), V::add(a0, a1)));
  }
}

/// The entry points' bodies: astro_*_conv_forward_rows and astro_*_conv_kernel_gradient_rows for traits V.
template <class V>
void forwardRowsWith(const astro_conv_shape *s, const float *x, const float *x_mask, const float *w, int w_packed,
                     const float *bias, int relu, float *y, long rowBegin, long rowEnd, float *scratch) {
  forwardRows(s, x, x_mask, w, w_packed, bias, relu, y, rowBegin, rowEnd, scratch, forwardRow<V>);
}

template <class V>
void kernelGradientRowsWith(const astro_conv_shape *s, const float *x, const float *dy, const float *dy_mask, float *dw,
                            float *db, long rowBegin, long rowEnd, float *scratch) {
  kernelGradientRows(s, x, dy, dy_mask, dw, db, rowBegin, rowEnd, scratch,
                     {copyMaskedRow, biasGradientRow<V>, kernelGradientPairs<V>});
}

}  // namespace

#endif  // ASTRO_CONVOLUTION_VECTOR_KERNELS_H
