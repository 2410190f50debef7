// Max and average pooling of quantized (int8 or uint8) NHWC tensors, with LiteRT's reference arithmetic: the max
// of the raw values, or the sum over the in-bounds window divided by the in-bounds count rounding half away from
// zero; then the fused activation's clamp. Input and output share scale and zero point.
#include "AstroKernelsC.h"

#include <stdint.h>

namespace {

template <typename T>
void poolRows(const astro_int8_pool *p, const T *x, T *y, long row_begin, long row_end) {
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
        for (long k = 0; k < width; k++) sums[k] = p->average ? 0 : INT32_MIN;
        int32_t count = 0;
        for (long fy = y0; fy < y1; fy++) {
          for (long fx = x0; fx < x1; fx++) {
            const T *in = x + ((n * p->in_h + origin_y + fy) * p->in_w + origin_x + fx) * c + c0;
            if (p->average) {
              for (long k = 0; k < width; k++) sums[k] += in[k];
            } else {
              for (long k = 0; k < width; k++) sums[k] = sums[k] > in[k] ? sums[k] : in[k];
            }
            count++;
          }
        }
        for (long k = 0; k < width; k++) {
          int32_t v = sums[k];
          if (p->average) {
            // TensorFlow's padding rules never leave a window without input; 0 guards a hand-made shape.
            v = count == 0 ? 0 : (v > 0 ? (v + count / 2) / count : (v - count / 2) / count);
          } else if (count == 0) {
            v = 0;
          }
          v = v < p->act_min ? p->act_min : (v > p->act_max ? p->act_max : v);
          out[c0 + k] = T(v);
        }
      }
    }
  }
}

}  // namespace

extern "C" void astro_int8_pool_rows(const astro_int8_pool *p, const void *x, void *y, long row_begin, long row_end) {
  if (p->is_unsigned) poolRows(p, (const uint8_t *)x, (uint8_t *)y, row_begin, row_end);
  else poolRows(p, (const int8_t *)x, (int8_t *)y, row_begin, row_end);
}
