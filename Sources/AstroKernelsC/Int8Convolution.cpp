// Integer convolution and fully-connected products for quantized (int8/uint8) graphs, with LiteRT's
// reference requantization (bit-exact: the int32 sums are exact whatever the order, and the rescale is the
// same fixed-point arithmetic as LiteRT's MultiplyByQuantizedMultiplier).
//
// The input is first widened to int16 with its zero point removed and the padding every window needs
// ((x − zp_in) and (w − zp_w) both fit in 16 bits, so one routine covers int8 and uint8 and pair sums never
// saturate, unlike pmaddubsw's u8·s8 pairs). The vector routes broadcast each pixel's tap pairs against 8 output
// channels' weight pairs (pmaddwd + paddd on AVX2, one vpdpwssd with VNNI), 4 pixels and 16 channels at a time,
// reading the pairs in place, and rescale 8 outputs at once; the portable route does the same sums in plain
// loops. Tests check every route against LiteRT.
#include "AstroKernelsC.h"
#include "AVX512Support.h"
#include "Int8Requantize.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

namespace {

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

/// Tap pair k of a patch as one 32-bit word (an unaligned load when the patch starts at an odd position).
inline int32_t pairAt(const int16_t *patch, long k) {
  int32_t pair;
  memcpy(&pair, patch + 2 * k, 4);
  return pair;
}


/// The int32 sums of 4 pixels × 16 channels: `a` for the first block of 8 channels, `b` for the second.
struct Sums {
  __m256i a[4], b[4];
};

/// Adds `rows` kernel rows of `count` tap pairs each, for 4 pixels (q: their first row; row r starts rowStride
/// values later) times two blocks' weight pairs (wa, wb: the rows one after another), to the sums: one instruction
/// set's inner loop, called once per window so that the rest of convRowsAVX2 is shared.
using AccumulateFunction = void (*)(const int16_t *const *q, long rowStride, long rows, const int16_t *wa, const int16_t *wb,
                                    long count, Sums &sums);

// The three inner loops differ only in DOT(acc, x, w), acc + the pairwise products of x and w: pmaddwd then paddd
// (AVX2), or one vpdpwssd (AVX-512 VNNI, and AVX-VNNI, its VEX form on CPUs without AVX-512). A macro rather
// than a template, because each loop needs its own target attribute and cannot inline a function with more.
#define ASTRO_INT8_ACCUMULATE(TARGET, NAME, DOT)                                                                  \
  TARGET void NAME(const int16_t *const *q, long rowStride, long rows, const int16_t *wa, const int16_t *wb,     \
                   long count, Sums &sums) {                                                                      \
    __m256i a0 = sums.a[0], a1 = sums.a[1], a2 = sums.a[2], a3 = sums.a[3];                                       \
    __m256i b0 = sums.b[0], b1 = sums.b[1], b2 = sums.b[2], b3 = sums.b[3];                                       \
    for (long r = 0; r < rows; r++, wa += count * 16, wb += count * 16) {                                        \
      const int16_t *q0 = q[0] + r * rowStride, *q1 = q[1] + r * rowStride;                                      \
      const int16_t *q2 = q[2] + r * rowStride, *q3 = q[3] + r * rowStride;                                      \
      for (long k = 0; k < count; k++) {                                                                         \
        __m256i va = _mm256_loadu_si256((const __m256i *)(wa + k * 16));                                          \
        __m256i vb = _mm256_loadu_si256((const __m256i *)(wb + k * 16));                                          \
        __m256i x0 = _mm256_set1_epi32(pairAt(q0, k)), x1 = _mm256_set1_epi32(pairAt(q1, k));                     \
        __m256i x2 = _mm256_set1_epi32(pairAt(q2, k)), x3 = _mm256_set1_epi32(pairAt(q3, k));                     \
        a0 = DOT(a0, x0, va), a1 = DOT(a1, x1, va), a2 = DOT(a2, x2, va), a3 = DOT(a3, x3, va);                   \
        b0 = DOT(b0, x0, vb), b1 = DOT(b1, x1, vb), b2 = DOT(b2, x2, vb), b3 = DOT(b3, x3, vb);                   \
      }                                                                                                           \
    }                                                                                                             \
    sums.a[0] = a0, sums.a[1] = a1, sums.a[2] = a2, sums.a[3] = a3;                                               \
    sums.b[0] = b0, sums.b[1] = b1, sums.b[2] = b2, sums.b[3] = b3;                                               \
  }

#define ASTRO_AVX512_VNNI __attribute__((target("avx2,fma,avx512f,avx512vl,avx512vnni")))
#define ASTRO_AVX_VNNI __attribute__((target("avx2,fma,avxvnni")))
#define ASTRO_MADD_ADD(acc, x, w) _mm256_add_epi32(acc, _mm256_madd_epi16(x, w))
#define ASTRO_DPWSSD(acc, x, w) _mm256_dpwssd_epi32(acc, x, w)
#define ASTRO_DPWSSD_AVX(acc, x, w) _mm256_dpwssd_avx_epi32(acc, x, w)
ASTRO_INT8_ACCUMULATE(ASTRO_AVX2, accumulateAVX2, ASTRO_MADD_ADD)
ASTRO_INT8_ACCUMULATE(ASTRO_AVX512_VNNI, accumulateAVX512VNNI, ASTRO_DPWSSD)
ASTRO_INT8_ACCUMULATE(ASTRO_AVX_VNNI, accumulateAVXVNNI, ASTRO_DPWSSD_AVX)

ASTRO_AVX2 void convRowsAVX2(const astro_int8_conv *p, const int16_t *wide, const int16_t *w, const int32_t *bias,
                             const int32_t *multiplier, const int32_t *shift, const double *scale, void *y, long row_begin, long row_end,
                             int16_t *scratch, AccumulateFunction accumulate) {
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
        Sums sums = {};
        if (direct) {
          const int16_t *rowStart = wide + ((n * height + oy * p->stride_h) * width) * p->in_c_padded;
          const int16_t *q[4];
          for (long i = 0; i < 4; i++) {
            // Missing pixels of the last group repeat the first (their sums are not written).
            q[i] = rowStart + (ox + (i < pixels ? i : 0)) * p->stride_w * p->in_c_padded;
          }
          accumulate(q, p->dilation_h * width * p->in_c_padded, p->k_h, wa, wb, segmentPairs, sums);
        } else {
          const int16_t *q[4] = {scratch, scratch + depth, scratch + 2 * depth, scratch + 3 * depth};
          accumulate(q, 0, 1, wa, wb, pairs, sums);
        }
        for (long half = 0; half < (two ? 2 : 1); half++) {
          long b = block + half;
          long channels = p->out_c - b * 8 < 8 ? p->out_c - b * 8 : 8;
          for (long i = 0; i < pixels; i++) {
            if (scale) {  // the double rescale, one value at a time (fully-connected outputs are few)
              alignas(32) int32_t lanes[8];
              _mm256_store_si256((__m256i *)lanes, half == 0 ? sums.a[i] : sums.b[i]);
              for (long j = 0; j < channels; j++) {
                long c = b * 8 + j;
                store(p, y, base + i * p->out_c + c, finish(p, lanes[j], c, bias, multiplier, shift, scale));
              }
            } else {
              writeBlockAVX2(p, half == 0 ? sums.a[i] : sums.b[i], constants[b], channels, y, base + i * p->out_c + b * 8);
            }
          }
        }
      }
    }
  }
  free(constants);
}

#endif

}  // namespace

extern "C" long astro_int8_depth(long k_h, long k_w, long in_c) { return (k_h * k_w * in_c + 15) / 16 * 16; }

// The int16 routes gather 4 patches of depth int16; the VNNI route 8 patches of depth bytes after depth bytes of tap
// group offsets.
extern "C" size_t astro_int8_conv_scratch(const astro_int8_conv *p) { return size_t(5 * p->depth); }

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
  return preparedCount(p);
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

extern "C" int astro_int8_route_supported(int route) {
#if ASTRO_X86_64
  // Asked once: every kernel call checks its route, and cpuid traps to the hypervisor in a virtual machine (it cost
  // 7% of an int8 VGG6 run when asked per call).
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  static const bool avxVNNI = avx2 && __builtin_cpu_supports("avxvnni");
  static const bool avx512VNNI = avx2 && astro_avx512_supported() && __builtin_cpu_supports("avx512vnni");
  switch (route) {
    case ASTRO_INT8_PORTABLE: return 1;
    case ASTRO_INT8_AVX2: return avx2;
    case ASTRO_INT8_AVX_VNNI: return avxVNNI;
    case ASTRO_INT8_AVX512_VNNI: return avx512VNNI;
    default: return 0;
  }
#else
  return route == ASTRO_INT8_PORTABLE;
#endif
}

extern "C" void astro_int8_conv_rows(const astro_int8_conv *p, const int16_t *wide, const int16_t *w, const int32_t *bias,
                                     const int32_t *multiplier, const int32_t *shift, const double *scale, void *y, long row_begin,
                                     long row_end, int16_t *scratch, int route) {
#if ASTRO_X86_64
  AccumulateFunction accumulate = route == ASTRO_INT8_AVX2 ? accumulateAVX2
                                  : route == ASTRO_INT8_AVX_VNNI ? accumulateAVXVNNI
                                  : route == ASTRO_INT8_AVX512_VNNI ? accumulateAVX512VNNI
                                                                    : nullptr;
  if (accumulate && astro_int8_route_supported(route)) {
    convRowsAVX2(p, wide, w, bias, multiplier, shift, scale, y, row_begin, row_end, scratch, accumulate);
    return;
  }
#endif
  convRowsPortable(p, wide, w, bias, multiplier, shift, scale, y, row_begin, row_end, scratch);
}
