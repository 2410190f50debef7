// Max and average pooling of quantized (int8 or uint8) NHWC tensors, with LiteRT's reference arithmetic: the max
// of the raw values, or the sum over the in-bounds window divided by the in-bounds count rounding half away from
// zero; then the fused activation's clamp. Input and output share scale and zero point.
#include "AstroKernelsC.h"
#include "AVX512Support.h"

#include <stdint.h>

namespace {

/// Max pooling, written on the output row itself in the element type so that the compiler vectorizes every
/// channel loop (16 or more lanes per instruction, even at baseline x86-64 or arm64).
template <typename T>
inline __attribute__((always_inline)) void maxPoolRows(const astro_int8_pool *p, const T *x, T *y, long row_begin, long row_end) {
  // Every size in locals: the element stores may alias *p, so the compiler would reload its fields in the loops.
  const long c = p->channels, in_h = p->in_h, in_w = p->in_w, out_h = p->out_h, out_w = p->out_w;
  const long filter_h = p->filter_h, filter_w = p->filter_w, stride_h = p->stride_h, stride_w = p->stride_w;
  const long pad_top = p->pad_top, pad_left = p->pad_left;
  const T low = T(p->act_min), high = T(p->act_max);  // the clamp lies within the element type's range
  for (long row = row_begin; row < row_end; row++) {
    long n = row / out_h, oy = row % out_h;
    long origin_y = oy * stride_h - pad_top;
    long y0 = origin_y < 0 ? -origin_y : 0;
    long y1 = filter_h < in_h - origin_y ? filter_h : in_h - origin_y;
    for (long ox = 0; ox < out_w; ox++) {
      long origin_x = ox * stride_w - pad_left;
      long x0 = origin_x < 0 ? -origin_x : 0;
      long x1 = filter_w < in_w - origin_x ? filter_w : in_w - origin_x;
      T *__restrict out = y + (row * out_w + ox) * c;
      if (y0 >= y1 || x0 >= x1) {  // TensorFlow's padding rules never leave a window empty; 0 guards a hand-made shape
        for (long k = 0; k < c; k++) out[k] = 0 < low ? low : (0 > high ? high : 0);
        continue;
      }
      const T *__restrict first = x + ((n * in_h + origin_y + y0) * in_w + origin_x + x0) * c;
      if (c % 16 == 0) {  // whole 16-byte vectors, each window's maximum kept in a register until its one store
        for (long k0 = 0; k0 < c; k0 += 16) {
          T m[16];
          for (int k = 0; k < 16; k++) m[k] = first[k0 + k];
          for (long fy = y0; fy < y1; fy++) {
            for (long fx = x0; fx < x1; fx++) {
              const T *__restrict in = x + ((n * in_h + origin_y + fy) * in_w + origin_x + fx) * c + k0;
              for (int k = 0; k < 16; k++) m[k] = in[k] > m[k] ? in[k] : m[k];
            }
          }
          for (int k = 0; k < 16; k++) out[k0 + k] = m[k] < low ? low : (m[k] > high ? high : m[k]);
        }
        continue;
      }
      for (long k = 0; k < c; k++) out[k] = first[k];
      for (long fy = y0; fy < y1; fy++) {
        for (long fx = x0; fx < x1; fx++) {
          const T *__restrict in = x + ((n * in_h + origin_y + fy) * in_w + origin_x + fx) * c;
          for (long k = 0; k < c; k++) out[k] = in[k] > out[k] ? in[k] : out[k];
        }
      }
      for (long k = 0; k < c; k++) out[k] = out[k] < low ? low : (out[k] > high ? high : out[k]);
    }
  }
}

/// Average pooling: int32 sums over the in-bounds window, divided by the count rounding half away from zero.
template <typename T>
inline __attribute__((always_inline)) void averagePoolRows(const astro_int8_pool *p, const T *x, T *y, long row_begin, long row_end) {
  const long c = p->channels;
  int32_t sums[512];
  for (long row = row_begin; row < row_end; row++) {
    long n = row / p->out_h, oy = row % p->out_h;
    long origin_y = oy * p->stride_h - p->pad_top;
    long y0 = origin_y < 0 ? -origin_y : 0;
    long y1 = p->filter_h < p->in_h - origin_y ? p->filter_h : p->in_h - origin_y;
    for (long ox = 0; ox < p->out_w; ox++) {
      long origin_x = ox * p->stride_w - p->pad_left;
      long x0 = origin_x < 0 ? -origin_x : 0;
      long x1 = p->filter_w < p->in_w - origin_x ? p->filter_w : p->in_w - origin_x;
      T *out = y + (row * p->out_w + ox) * c;
      for (long c0 = 0; c0 < c; c0 += 512) {
        long width = c - c0 < 512 ? c - c0 : 512;
        for (long k = 0; k < width; k++) sums[k] = 0;
        int32_t count = 0;
        for (long fy = y0; fy < y1; fy++) {
          for (long fx = x0; fx < x1; fx++) {
            const T *in = x + ((n * p->in_h + origin_y + fy) * p->in_w + origin_x + fx) * c + c0;
            for (long k = 0; k < width; k++) sums[k] += in[k];
            count++;
          }
        }
        for (long k = 0; k < width; k++) {
          int32_t v = sums[k];
          // TensorFlow's padding rules never leave a window without input; 0 guards a hand-made shape.
          v = count == 0 ? 0 : (v > 0 ? (v + count / 2) / count : (v - count / 2) / count);
          v = v < p->act_min ? p->act_min : (v > p->act_max ? p->act_max : v);
          out[c0 + k] = T(v);
        }
      }
    }
  }
}

template <typename T>
inline __attribute__((always_inline)) void poolRows(const astro_int8_pool *p, const T *x, T *y, long row_begin, long row_end) {
  if (p->average) averagePoolRows(p, x, y, row_begin, row_end);
  else maxPoolRows(p, x, y, row_begin, row_end);
}

void poolRowsBaseline(const astro_int8_pool *p, const void *x, void *y, long row_begin, long row_end) {
  if (p->is_unsigned) poolRows(p, (const uint8_t *)x, (uint8_t *)y, row_begin, row_end);
  else poolRows(p, (const int8_t *)x, (int8_t *)y, row_begin, row_end);
}

#if ASTRO_X86_64
// The same loops compiled for AVX2, where signed bytes have a one-instruction max (baseline x86-64 emulates it).
__attribute__((target("avx2"))) void poolRowsAVX2(const astro_int8_pool *p, const void *x, void *y, long row_begin, long row_end) {
  if (p->is_unsigned) poolRows(p, (const uint8_t *)x, (uint8_t *)y, row_begin, row_end);
  else poolRows(p, (const int8_t *)x, (int8_t *)y, row_begin, row_end);
}
#endif

}  // namespace

extern "C" void astro_int8_pool_rows(const astro_int8_pool *p, const void *x, void *y, long row_begin, long row_end) {
#if ASTRO_X86_64
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) {
    poolRowsAVX2(p, x, y, row_begin, row_end);
    return;
  }
#endif
  poolRowsBaseline(p, x, y, row_begin, row_end);
}
