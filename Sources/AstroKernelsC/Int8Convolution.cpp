// Integer convolution and fully-connected products for quantized (int8/uint8) graphs, with LiteRT's
// reference requantization (bit-exact: the int32 sums are exact whatever the order, and the rescale is the
// same fixed-point arithmetic as LiteRT's MultiplyByQuantizedMultiplier).
//
// The input is first widened to int16 with its zero point removed and the padding every window needs
// ((x − zp_in) and (w − zp_w) both fit in 16 bits, so one routine covers int8 and uint8 and pair sums never
// saturate, unlike pmaddubsw's u8·s8 pairs). The AVX2 route broadcasts each pixel's tap pairs against 8 output
// channels' weight pairs (pmaddwd), 4 pixels and 16 channels at a time, reading the pairs in place, and rescales
// 8 outputs at once; the portable route does the same sums in plain loops. Tests check both against LiteRT.
#include "AstroKernelsC.h"
#include "AVX512Support.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
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

/// Writes the patch of one output pixel from the widened input: one copy per kernel row when taps are
/// contiguous (no dilation), else one per tap; zeros after the taps up to `depth`.
__attribute__((always_inline)) inline void gatherPatch(const astro_int8_conv *p, const int16_t *wide, long n, long oy, long ox,
                                                       int16_t *patch) {
  const long in_c = p->in_c_padded, width = paddedWidth(p), height = paddedHeight(p);
  long k = 0;
  for (long ky = 0; ky < p->k_h; ky++) {
    long iy = oy * p->stride_h + ky * p->dilation_h;
    const int16_t *row = wide + ((n * height + iy) * width + ox * p->stride_w) * in_c;
    if (p->dilation_w == 1) {
      memcpy(patch + k, row, size_t(p->k_w * in_c) * sizeof(int16_t));
      k += p->k_w * in_c;
    } else {
      for (long kx = 0; kx < p->k_w; kx++, k += in_c) {
        memcpy(patch + k, row + kx * p->dilation_w * in_c, size_t(in_c) * sizeof(int16_t));
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

/// The kernel layout both routes read: blocks of 8 output channels; in each, for every pair of taps (k, k+1),
/// the 8 channels' two weights side by side ([block][depth/2][8][2] int16, zero beyond out_c). One 32-bit load
/// of a patch pair broadcast against one 16-lane weight load gives 8 channels' partial sums (pmaddwd).
inline long channelBlocks(const astro_int8_conv *p) { return (p->out_c + 7) / 8; }

/// Writes 4 pixels' outputs of channel block `block` from their int32 sums.
__attribute__((always_inline)) inline void writeBlock(const astro_int8_conv *p, const int32_t sums[4][8], long pixels, long block,
                                                      const int32_t *bias, const int32_t *multiplier, const int32_t *shift, const double *scale,
                                                      void *y, long base) {
  for (long i = 0; i < pixels; i++) {
    for (long j = 0; j < 8; j++) {
      long c = block * 8 + j;
      if (c >= p->out_c) break;
      store(p, y, base + i * p->out_c + c, finish(p, sums[i][j], c, bias, multiplier, shift, scale));
    }
  }
}

/// Gathers the patches of up to 4 pixels of one output row into scratch (zeros for missing pixels).
__attribute__((always_inline)) inline long gatherFour(const astro_int8_conv *p, const int16_t *wide, long n, long oy, long ox,
                                                      int16_t *scratch) {
  long pixels = p->out_w - ox < 4 ? p->out_w - ox : 4;
  for (long i = 0; i < 4; i++) {
    if (i < pixels) gatherPatch(p, wide, n, oy, ox + i, scratch + i * p->depth);
    else memset(scratch + i * p->depth, 0, size_t(p->depth) * sizeof(int16_t));
  }
  return pixels;
}

void convRowsPortable(const astro_int8_conv *p, const int16_t *wide, const int16_t *w, const int32_t *bias,
                      const int32_t *multiplier, const int32_t *shift, const double *scale, void *y, long row_begin, long row_end,
                      int16_t *scratch) {
  const long depth = p->depth, pairs = depth / 2;
  for (long row = row_begin; row < row_end; row++) {
    long n = row / p->out_h, oy = row % p->out_h;
    for (long ox = 0; ox < p->out_w; ox += 4) {
      long pixels = gatherFour(p, wide, n, oy, ox, scratch);
      long base = (row * p->out_w + ox) * p->out_c;
      for (long block = 0; block < channelBlocks(p); block++) {
        const int16_t *wb = w + block * pairs * 16;
        int32_t sums[4][8] = {};
        for (long i = 0; i < pixels; i++) {
          const int16_t *patch = scratch + i * depth;
          for (long k = 0; k < pairs; k++) {
            for (long j = 0; j < 8; j++) {
              sums[i][j] += int32_t(patch[2 * k]) * wb[k * 16 + 2 * j] + int32_t(patch[2 * k + 1]) * wb[k * 16 + 2 * j + 1];
            }
          }
        }
        writeBlock(p, sums, pixels, block, bias, multiplier, shift, scale, y, base);
      }
    }
  }
}

#if ASTRO_X86_64
#define ASTRO_AVX2 __attribute__((target("avx2,fma")))
#define ASTRO_AVX2_LAMBDA __attribute__((target("avx2,fma"), always_inline))

/// Tap pair k of a patch as one 32-bit word (an unaligned load when the patch starts at an odd position).
inline int32_t pairAt(const int16_t *patch, long k) {
  int32_t pair;
  memcpy(&pair, patch + 2 * k, 4);
  return pair;
}

/// Per-channel constants of one block of 8 channels, as vectors (zeros beyond out_c).
struct BlockConstants {
  __m256i bias, multiplier, left, right, rightMask, rightThreshold;
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
  k.left = _mm256_load_si256((const __m256i *)l);
  k.right = _mm256_load_si256((const __m256i *)r);
  // mask = 2^R − 1 and threshold = mask >> 1 (RoundingDivideByPOT adds 1 for negative values).
  k.rightMask = _mm256_sub_epi32(_mm256_sllv_epi32(_mm256_set1_epi32(1), k.right), _mm256_set1_epi32(1));
  k.rightThreshold = _mm256_srli_epi32(k.rightMask, 1);
  return k;
}

/// (p + nudge) / 2^31 truncated toward zero, for 4 signed 64-bit products: nudge 2^30, or 1 − 2^30 for negative
/// products plus 2^31 − 1 so the shift truncates toward zero. The low 32 bits of a logical shift equal those of
/// the arithmetic one, and the result fits in 32 bits.
ASTRO_AVX2 inline __m256i highHalf(__m256i product) {
  const __m256i positiveNudge = _mm256_set1_epi64x(int64_t(1) << 30);
  const __m256i negativeNudge = _mm256_set1_epi64x(1 - (int64_t(1) << 30) + ((int64_t(1) << 31) - 1));
  __m256i negative = _mm256_cmpgt_epi64(_mm256_setzero_si256(), product);
  __m256i nudged = _mm256_add_epi64(product, _mm256_blendv_epi8(positiveNudge, negativeNudge, negative));
  return _mm256_srli_epi64(nudged, 31);
}

/// LiteRT's MultiplyByQuantizedMultiplier on 8 lanes, exactly as the scalar version: the product's high half
/// (truncating division of the nudged 64-bit product by 2^31), then a rounding arithmetic shift right.
ASTRO_AVX2 inline __m256i rescale(__m256i x, const BlockConstants &k) {
  __m256i a = _mm256_sllv_epi32(x, k.left);
  // 64-bit products of the even lanes, then of the odd lanes (moved down).
  __m256i even = _mm256_mul_epi32(a, k.multiplier);
  __m256i odd = _mm256_mul_epi32(_mm256_srli_epi64(a, 32), _mm256_srli_epi64(k.multiplier, 32));
  __m256i evenHigh = highHalf(even), oddHigh = highHalf(odd);
  // Even results sit in the low 32 bits of each 64-bit lane; odd ones move up to the high 32 bits.
  __m256i doubled = _mm256_blend_epi32(evenHigh, _mm256_slli_epi64(oddHigh, 32), 0xAA);
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

ASTRO_AVX2 void convRowsAVX2(const astro_int8_conv *p, const int16_t *wide, const int16_t *w, const int32_t *bias,
                             const int32_t *multiplier, const int32_t *shift, const double *scale, void *y, long row_begin, long row_end,
                             int16_t *scratch) {
  const long depth = p->depth, pairs = depth / 2, blocks = channelBlocks(p);
  // Plain C allocation (not std::vector): make check-arm64 syntax-checks this file with the C library headers only.
  BlockConstants *constants = (BlockConstants *)aligned_alloc(32, size_t(blocks) * sizeof(BlockConstants));
  if (!constants) {  // out of memory for a few KB: the portable route needs none
    convRowsPortable(p, wide, w, bias, multiplier, shift, scale, y, row_begin, row_end, scratch);
    return;
  }
  for (long b = 0; b < blocks; b++) constants[b] = blockConstants(p, b, bias, multiplier, shift);
  // Without dilation, and with an even number of values per kernel row, the tap pairs of a pixel are read
  // straight from the widened input (no patch copy): kernel row ky of pixel ox starts at row + ox·stride·C.
  const long segment = p->k_w * p->in_c_padded, height = paddedHeight(p), width = paddedWidth(p);
  const bool direct = p->dilation_w == 1 && segment % 2 == 0;
  const long segmentPairs = segment / 2;
  for (long row = row_begin; row < row_end; row++) {
    long n = row / p->out_h, oy = row % p->out_h;
    for (long ox = 0; ox < p->out_w; ox += 4) {
      long pixels = p->out_w - ox < 4 ? p->out_w - ox : 4;
      if (!direct) gatherFour(p, wide, n, oy, ox, scratch);
      long base = (row * p->out_w + ox) * p->out_c;
      for (long block = 0; block < blocks; block += 2) {
        // Two blocks (16 channels) at a time share each broadcast of the 4 pixels' tap pairs.
        bool two = block + 1 < blocks;
        const int16_t *wa = w + block * pairs * 16, *wb = two ? wa + pairs * 16 : wa;
        __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        auto accumulate = [&](const int16_t *p0, const int16_t *p1, const int16_t *p2, const int16_t *p3, const int16_t *va_,
                              const int16_t *vb_, long count) ASTRO_AVX2_LAMBDA {
          for (long k = 0; k < count; k++) {
            __m256i va = _mm256_loadu_si256((const __m256i *)(va_ + k * 16));
            __m256i vb = _mm256_loadu_si256((const __m256i *)(vb_ + k * 16));
            __m256i x0 = _mm256_set1_epi32(pairAt(p0, k)), x1 = _mm256_set1_epi32(pairAt(p1, k));
            __m256i x2 = _mm256_set1_epi32(pairAt(p2, k)), x3 = _mm256_set1_epi32(pairAt(p3, k));
            a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(x0, va));
            a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(x1, va));
            a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(x2, va));
            a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(x3, va));
            b0 = _mm256_add_epi32(b0, _mm256_madd_epi16(x0, vb));
            b1 = _mm256_add_epi32(b1, _mm256_madd_epi16(x1, vb));
            b2 = _mm256_add_epi32(b2, _mm256_madd_epi16(x2, vb));
            b3 = _mm256_add_epi32(b3, _mm256_madd_epi16(x3, vb));
          }
        };
        if (direct) {
          for (long ky = 0; ky < p->k_h; ky++) {
            const int16_t *rowStart = wide + ((n * height + oy * p->stride_h + ky * p->dilation_h) * width) * p->in_c_padded;
            const int16_t *q[4];
            for (long i = 0; i < 4; i++) {
              // Missing pixels of the last group repeat the first (their sums are not written).
              q[i] = rowStart + (ox + (i < pixels ? i : 0)) * p->stride_w * p->in_c_padded;
            }
            accumulate(q[0], q[1], q[2], q[3], wa + ky * segmentPairs * 16, wb + ky * segmentPairs * 16, segmentPairs);
          }
        } else {
          accumulate(scratch, scratch + depth, scratch + 2 * depth, scratch + 3 * depth, wa, wb, pairs);
        }
        __m256i accA[4] = {a0, a1, a2, a3}, accB[4] = {b0, b1, b2, b3};
        for (long half = 0; half < (two ? 2 : 1); half++) {
          long b = block + half;
          long channels = p->out_c - b * 8 < 8 ? p->out_c - b * 8 : 8;
          for (long i = 0; i < pixels; i++) {
            if (scale) {  // the double rescale, one value at a time (fully-connected outputs are few)
              alignas(32) int32_t sums[8];
              _mm256_store_si256((__m256i *)sums, half == 0 ? accA[i] : accB[i]);
              for (long j = 0; j < channels; j++) {
                long c = b * 8 + j;
                store(p, y, base + i * p->out_c + c, finish(p, sums[j], c, bias, multiplier, shift, scale));
              }
            } else {
              writeBlockAVX2(p, half == 0 ? accA[i] : accB[i], constants[b], channels, y, base + i * p->out_c + b * 8);
            }
          }
        }
      }
    }
  }
  free(constants);
}

bool hasAVX2() {
  static const bool supported = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return supported;
}
#endif

}  // namespace

extern "C" long astro_int8_depth(long k_h, long k_w, long in_c) { return (k_h * k_w * in_c + 15) / 16 * 16; }

extern "C" size_t astro_int8_conv_scratch(const astro_int8_conv *p) { return size_t(4 * p->depth); }

extern "C" size_t astro_int8_packed_weights(const astro_int8_conv *p) { return size_t(channelBlocks(p) * p->depth * 8); }

extern "C" void astro_int8_pack_weights(const astro_int8_conv *p, const int16_t *rows, int16_t *packed) {
  const long pairs = p->depth / 2;
  for (long block = 0; block < channelBlocks(p); block++) {
    for (long k = 0; k < pairs; k++) {
      for (long j = 0; j < 8; j++) {
        long c = block * 8 + j;
        int16_t *target = packed + (block * pairs + k) * 16 + 2 * j;
        target[0] = c < p->out_c ? rows[c * p->depth + 2 * k] : 0;
        target[1] = c < p->out_c ? rows[c * p->depth + 2 * k + 1] : 0;
      }
    }
  }
}

extern "C" size_t astro_int8_widened_count(const astro_int8_conv *p) {
  return size_t(p->batch * paddedHeight(p) * paddedWidth(p) * p->in_c_padded);
}

extern "C" void astro_int8_widen(const astro_int8_conv *p, const void *x, int16_t *wide, long sample_begin, long sample_end) {
  const long height = paddedHeight(p), width = paddedWidth(p), c = p->in_c, stride = p->in_c_padded;
  for (long n = sample_begin; n < sample_end; n++) {
    int16_t *target = wide + n * height * width * stride;
    memset(target, 0, size_t(height * width * stride) * sizeof(int16_t));
    for (long iy = 0; iy < p->in_h; iy++) {
      int16_t *out = target + ((iy + p->pad_top) * width + p->pad_left) * stride;
      long offset = (n * p->in_h + iy) * p->in_w * c;
      for (long ix = 0; ix < p->in_w; ix++) {
        if (p->input_unsigned) {
          const uint8_t *in = (const uint8_t *)x + offset + ix * c;
          for (long k = 0; k < c; k++) out[ix * stride + k] = int16_t(int(in[k]) - p->input_zero_point);
        } else {
          const int8_t *in = (const int8_t *)x + offset + ix * c;
          for (long k = 0; k < c; k++) out[ix * stride + k] = int16_t(int(in[k]) - p->input_zero_point);
        }
      }
    }
  }
}

extern "C" void astro_int8_conv_rows(const astro_int8_conv *p, const int16_t *wide, const int16_t *w, const int32_t *bias,
                                     const int32_t *multiplier, const int32_t *shift, const double *scale, void *y, long row_begin,
                                     long row_end, int16_t *scratch, int portable) {
#if ASTRO_X86_64
  if (!portable && hasAVX2()) {
    convRowsAVX2(p, wide, w, bias, multiplier, shift, scale, y, row_begin, row_end, scratch);
    return;
  }
#endif
  convRowsPortable(p, wide, w, bias, multiplier, shift, scale, y, row_begin, row_end, scratch);
}
