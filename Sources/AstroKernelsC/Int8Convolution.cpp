// Integer convolution and fully-connected products for quantized (int8/uint8) graphs, with LiteRT's
// reference requantization (bit-exact: the int32 sums are exact whatever the order, and the rescale is the
// same fixed-point arithmetic as LiteRT's MultiplyByQuantizedMultiplier).
//
// Operands are widened to int16 with their zero points removed ((x − zp_in) and (w − zp_w) both fit in 16
// bits), so one routine covers int8 and uint8 and products of pairs never saturate (unlike pmaddubsw's u8·s8
// pairs). The loops are plain C++ that the compiler vectorises; the AVX2 copy is the same code compiled for
// AVX2 (pmaddwd) and chosen at run time.
#include "AstroKernelsC.h"
#include "AVX512Support.h"

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

/// Writes the (x − zp) patch of one output pixel, zeros for taps outside the input (LiteRT skips them).
__attribute__((always_inline)) inline void gatherPatch(const astro_int8_conv *p, const void *x, long n, long oy, long ox,
                                                       int16_t *patch) {
  const long in_c = p->in_c;
  long k = 0;
  for (long ky = 0; ky < p->k_h; ky++) {
    long iy = oy * p->stride_h - p->pad_top + ky * p->dilation_h;
    for (long kx = 0; kx < p->k_w; kx++, k += in_c) {
      long ix = ox * p->stride_w - p->pad_left + kx * p->dilation_w;
      if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
        memset(patch + k, 0, size_t(in_c) * sizeof(int16_t));
        continue;
      }
      long offset = ((n * p->in_h + iy) * p->in_w + ix) * in_c;
      if (p->input_unsigned) {
        const uint8_t *src = (const uint8_t *)x + offset;
        for (long c = 0; c < in_c; c++) patch[k + c] = int16_t(int(src[c]) - p->input_zero_point);
      } else {
        const int8_t *src = (const int8_t *)x + offset;
        for (long c = 0; c < in_c; c++) patch[k + c] = int16_t(int(src[c]) - p->input_zero_point);
      }
    }
  }
  for (long r = k; r < p->depth; r++) patch[r] = 0;
}

__attribute__((always_inline)) inline int32_t finish(const astro_int8_conv *p, int32_t acc, long c, const int32_t *bias,
                                                     const int32_t *multiplier, const int32_t *shift) {
  if (bias) acc += bias[c];
  acc = multiplyByQuantizedMultiplier(acc, multiplier[c], shift[c]) + p->output_zero_point;
  return acc < p->act_min ? p->act_min : (acc > p->act_max ? p->act_max : acc);
}

__attribute__((always_inline)) inline void store(const astro_int8_conv *p, void *y, long index, int32_t value) {
  if (p->output_unsigned) ((uint8_t *)y)[index] = uint8_t(value);
  else ((int8_t *)y)[index] = int8_t(value);
}

/// Four output pixels at a time share each weight row load.
__attribute__((always_inline)) inline void convRows(const astro_int8_conv *p, const void *x, const int16_t *w,
                                                    const int32_t *bias, const int32_t *multiplier, const int32_t *shift,
                                                    void *y, long row_begin, long row_end, int16_t *scratch) {
  const long depth = p->depth, out_c = p->out_c;
  for (long row = row_begin; row < row_end; row++) {
    long n = row / p->out_h, oy = row % p->out_h;
    for (long ox = 0; ox < p->out_w; ox += 4) {
      long pixels = p->out_w - ox < 4 ? p->out_w - ox : 4;
      for (long i = 0; i < 4; i++) {
        if (i < pixels) gatherPatch(p, x, n, oy, ox + i, scratch + i * depth);
        else memset(scratch + i * depth, 0, size_t(depth) * sizeof(int16_t));
      }
      const int16_t *p0 = scratch, *p1 = scratch + depth, *p2 = scratch + 2 * depth, *p3 = scratch + 3 * depth;
      long base = (row * p->out_w + ox) * out_c;
      for (long c = 0; c < out_c; c++) {
        const int16_t *wc = w + c * depth;
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (long k = 0; k < depth; k++) {
          int32_t wk = wc[k];
          a0 += int32_t(p0[k]) * wk;
          a1 += int32_t(p1[k]) * wk;
          a2 += int32_t(p2[k]) * wk;
          a3 += int32_t(p3[k]) * wk;
        }
        int32_t acc[4] = {a0, a1, a2, a3};
        for (long i = 0; i < pixels; i++) store(p, y, base + i * out_c + c, finish(p, acc[i], c, bias, multiplier, shift));
      }
    }
  }
}

#if ASTRO_X86_64
__attribute__((target("avx2,fma"))) void convRowsAVX2(const astro_int8_conv *p, const void *x, const int16_t *w,
                                                      const int32_t *bias, const int32_t *multiplier,
                                                      const int32_t *shift, void *y, long row_begin, long row_end,
                                                      int16_t *scratch) {
  convRows(p, x, w, bias, multiplier, shift, y, row_begin, row_end, scratch);
}

bool hasAVX2() {
  static const bool supported = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return supported;
}
#endif

}  // namespace

extern "C" long astro_int8_depth(long k_h, long k_w, long in_c) { return (k_h * k_w * in_c + 15) / 16 * 16; }

extern "C" size_t astro_int8_conv_scratch(const astro_int8_conv *p) { return size_t(4 * p->depth); }

extern "C" void astro_int8_conv_rows(const astro_int8_conv *p, const void *x, const int16_t *w, const int32_t *bias,
                                     const int32_t *multiplier, const int32_t *shift, void *y, long row_begin,
                                     long row_end, int16_t *scratch) {
#if ASTRO_X86_64
  if (hasAVX2()) {
    convRowsAVX2(p, x, w, bias, multiplier, shift, y, row_begin, row_end, scratch);
    return;
  }
#endif
  convRows(p, x, w, bias, multiplier, shift, y, row_begin, row_end, scratch);
}

extern "C" int32_t astro_int8_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift) {
  return multiplyByQuantizedMultiplier(x, multiplier, shift);
}
