// The requantization both integer convolution files share (Int8Convolution.cpp: int16 products on every route;
// Int8ConvolutionVNNI.cpp: u8 × s8 products with AVX-512 VNNI): LiteRT's fixed-point rescale in scalar and 8-lane
// AVX2 form, the clamp and store of an output, and the padded geometry of the prepared input.
#ifndef ASTRO_INT8_REQUANTIZE_H
#define ASTRO_INT8_REQUANTIZE_H

#include "AstroKernelsC.h"
#include "AVX512Support.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

namespace {

inline int32_t saturatingRoundingDoublingHighMul(int32_t a, int32_t b) {
  if (a == b && a == INT32_MIN) return INT32_MAX;
  int64_t product = int64_t(a) * int64_t(b);
  int64_t nudge = product >= 0 ? (int64_t(1) << 30) : (1 - (int64_t(1) << 30));
  return int32_t((product + nudge) / (int64_t(1) << 31));
}

inline int32_t roundingDivideByPOT(int32_t x, int exponent) {
  if (exponent <= 0) return x;
  int32_t mask = int32_t((int64_t(1) << exponent) - 1);
  int32_t remainder = x & mask;
  int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

inline int32_t multiplyByQuantizedMultiplier(int32_t x, int32_t multiplier, int shift) {
  int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
  // Wrapping multiply, as LiteRT's int32 product does in practice.
  int32_t shifted = int32_t(uint32_t(x) * (uint32_t(1) << left));
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(shifted, multiplier), right);
}

/// Height and width of the widened input: the input plus the padding every window needs, before and after.
inline long paddedHeight(const astro_int8_conv *p) {
  long needed = (p->out_h - 1) * p->stride_h + (p->k_h - 1) * p->dilation_h + 1;
  long after = needed - p->in_h - p->pad_top;
  return p->in_h + p->pad_top + (after > 0 ? after : 0);
}

inline long paddedWidth(const astro_int8_conv *p) {
  long needed = (p->out_w - 1) * p->stride_w + (p->k_w - 1) * p->dilation_w + 1;
  long after = needed - p->in_w - p->pad_left;
  return p->in_w + p->pad_left + (after > 0 ? after : 0);
}

/// Positions × channels of the prepared input (batch × padded height × padded width × in_c_padded), or LONG_MAX when
/// that overflows: a graph's dilations and padding can ask for far more than any memory.
inline size_t preparedCount(const astro_int8_conv *p) {
  long count = 0;
  if (__builtin_mul_overflow(p->batch, paddedHeight(p), &count) || __builtin_mul_overflow(count, paddedWidth(p), &count) ||
      __builtin_mul_overflow(count, p->in_c_padded, &count))
    return size_t(LONG_MAX);
  return size_t(count);
}

/// Writes the patch of one output pixel from the widened input: one copy per kernel row when taps are
/// contiguous (no dilation), else one per tap; zeros after the taps up to `depth`.
template <typename Element>
__attribute__((always_inline)) inline void gatherPatch(const astro_int8_conv *p, const Element *wide, long n, long oy, long ox,
                                                       Element *patch) {
  const long in_c = p->in_c_padded, width = paddedWidth(p), height = paddedHeight(p);
  long k = 0;
  for (long ky = 0; ky < p->k_h; ky++) {
    long iy = oy * p->stride_h + ky * p->dilation_h;
    const Element *row = wide + ((n * height + iy) * width + ox * p->stride_w) * in_c;
    if (p->dilation_w == 1) {
      memcpy(patch + k, row, size_t(p->k_w * in_c) * sizeof(Element));
      k += p->k_w * in_c;
    } else {
      for (long kx = 0; kx < p->k_w; kx++, k += in_c) {
        memcpy(patch + k, row + kx * p->dilation_w * in_c, size_t(in_c) * sizeof(Element));
      }
    }
  }
  for (long r = k; r < p->depth; r++) patch[r] = 0;
}

__attribute__((always_inline)) inline int32_t finish(const astro_int8_conv *p, int32_t acc, long c, const int32_t *bias,
                                                     const int32_t *multiplier, const int32_t *shift, const double *scale) {
  if (bias) acc += bias[c];
  if (scale) {
    // LiteRT's reference FULLY_CONNECTED: round(acc · s_in·s_w/s_out) in double (half away from zero) plus
    // zp_out, clamped to the activation range while still a double so the conversion is always defined.
    double scaled = round(double(acc) * scale[c]) + p->output_zero_point;
    return scaled < p->act_min ? p->act_min : (scaled > p->act_max ? p->act_max : int32_t(scaled));
  }
  acc = multiplyByQuantizedMultiplier(acc, multiplier[c], shift[c]) + p->output_zero_point;
  return acc < p->act_min ? p->act_min : (acc > p->act_max ? p->act_max : acc);
}

__attribute__((always_inline)) inline void store(const astro_int8_conv *p, void *y, long index, int32_t value) {
  if (p->output_unsigned) ((uint8_t *)y)[index] = uint8_t(value);
  else ((int8_t *)y)[index] = int8_t(value);
}

#if ASTRO_X86_64
#define ASTRO_AVX2 __attribute__((target("avx2,fma")))

/// Per-channel constants of one block of 8 channels, as vectors (zeros beyond out_c).
struct BlockConstants {
  __m256i bias, multiplier, oddMultiplier, left, right, rightMask, rightThreshold;
};

ASTRO_AVX2 inline BlockConstants blockConstants(const astro_int8_conv *p, long block, const int32_t *bias, const int32_t *multiplier,
                                               const int32_t *shift) {
  alignas(32) int32_t b[8] = {}, m[8] = {}, l[8] = {}, r[8] = {};
  for (long j = 0; j < 8 && block * 8 + j < p->out_c; j++) {
    long c = block * 8 + j;
    b[j] = bias[c];
    m[j] = multiplier[c];
    l[j] = shift[c] > 0 ? shift[c] : 0;
    r[j] = shift[c] > 0 ? 0 : -shift[c];
  }
  BlockConstants k;
  k.bias = _mm256_load_si256((const __m256i *)b);
  k.multiplier = _mm256_load_si256((const __m256i *)m);
  k.oddMultiplier = _mm256_srli_epi64(k.multiplier, 32);
  k.left = _mm256_load_si256((const __m256i *)l);
  k.right = _mm256_load_si256((const __m256i *)r);
  // mask = 2^R − 1 and threshold = mask >> 1 (RoundingDivideByPOT adds 1 for negative values).
  k.rightMask = _mm256_sub_epi32(_mm256_sllv_epi32(_mm256_set1_epi32(1), k.right), _mm256_set1_epi32(1));
  k.rightThreshold = _mm256_srli_epi32(k.rightMask, 1);
  return k;
}

/// LiteRT's SaturatingRoundingDoublingHighMul of 64-bit products p, before the final shift: (p + nudge) / 2^31
/// truncated toward zero, with nudge 2^30 for p ≥ 0 and 1 − 2^30 for p < 0. Truncating a negative value toward zero
/// is flooring it plus 2^31 − 1, so both cases are floor((p + 2^30) / 2^31): one add here, then one shift (the low 32
/// bits of a logical shift equal those of the arithmetic one, and the result fits in 32 bits).
ASTRO_AVX2 inline __m256i nudged(__m256i product) { return _mm256_add_epi64(product, _mm256_set1_epi64x(int64_t(1) << 30)); }

/// LiteRT's MultiplyByQuantizedMultiplier on 8 lanes, exactly as the scalar version: the product's high half
/// (truncating division of the nudged 64-bit product by 2^31), then a rounding arithmetic shift right.
ASTRO_AVX2 inline __m256i rescale(__m256i x, const BlockConstants &k) {
  __m256i a = _mm256_sllv_epi32(x, k.left);
  // 64-bit products of the even lanes, then of the odd lanes (moved down); even results shift down to the low 32
  // bits of each 64-bit lane, odd ones up (by 1) so that their result fills the high 32 bits.
  __m256i even = nudged(_mm256_mul_epi32(a, k.multiplier));
  __m256i odd = nudged(_mm256_mul_epi32(_mm256_srli_epi64(a, 32), k.oddMultiplier));
  __m256i doubled = _mm256_blend_epi32(_mm256_srli_epi64(even, 31), _mm256_slli_epi64(odd, 1), 0xAA);
  __m256i remainder = _mm256_and_si256(doubled, k.rightMask);
  __m256i threshold = _mm256_sub_epi32(k.rightThreshold, _mm256_srai_epi32(doubled, 31));  // + 1 when negative
  __m256i shifted = _mm256_srav_epi32(doubled, k.right);
  return _mm256_sub_epi32(shifted, _mm256_cmpgt_epi32(remainder, threshold));  // cmpgt gives −1 for true
}

ASTRO_AVX2 inline void writeBlockAVX2(const astro_int8_conv *p, __m256i acc, const BlockConstants &k, long channels, void *y,
                                      long offset) {
  __m256i v = rescale(_mm256_add_epi32(acc, k.bias), k);
  v = _mm256_add_epi32(v, _mm256_set1_epi32(p->output_zero_point));
  v = _mm256_max_epi32(v, _mm256_set1_epi32(p->act_min));
  v = _mm256_min_epi32(v, _mm256_set1_epi32(p->act_max));
  // The low byte of each lane (the values are clamped to the output type's range), 4 per 128-bit half.
  const __m256i lowBytes = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                            0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  __m256i bytes = _mm256_shuffle_epi8(v, lowBytes);
  uint64_t packed = uint64_t(uint32_t(_mm_cvtsi128_si32(_mm256_castsi256_si128(bytes))))
    | uint64_t(uint32_t(_mm_cvtsi128_si32(_mm256_extracti128_si256(bytes, 1)))) << 32;
  memcpy((uint8_t *)y + offset, &packed, size_t(channels));
}
#endif  // ASTRO_X86_64

}  // namespace

#endif  // ASTRO_INT8_REQUANTIZE_H
