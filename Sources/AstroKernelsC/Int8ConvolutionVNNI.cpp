// Integer convolution and fully-connected products with AVX-512 VNNI's vpdpbusd: u8 × s8 products, 4 taps per
// int32 lane and 16 output channels per zmm vector, four times the products per instruction of the int16 routes
// (Int8Convolution.cpp). vpdpbusd adds its four products to the lane without saturation, so the sums stay exact.
//
// The input is shifted to uint8 (an int8 x becomes x + 128, a uint8 stays as it is) and the padding every window
// needs holds the shifted zero point z. With the weights' zero point removed, w fits in int8 (TFLite's int8 weights
// do: zero point 0, range ±127; uint8 models whose w − zp_w does not fit take the int16 routes). Then
// Σ w·(x − zp_in) = Σ w·u − z·Σ w, and the second term, one constant per output channel, joins the bias.
// Requantization is Int8Requantize.h's arithmetic on 16 lanes.
#include "AstroKernelsC.h"
#include "AVX512Support.h"
#include "Int8Requantize.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

namespace {

/// Blocks of 16 output channels; in each, for every group of 4 taps, the 16 channels' 4 weights side by side
/// ([block][depth/4][16][4] int8, zero beyond out_c and beyond the taps).
inline long blocks16(const astro_int8_conv *p) { return (p->out_c + 15) / 16; }

/// The zero point of the shifted input: what padding holds.
inline int shiftedZeroPoint(const astro_int8_conv *p) { return p->input_zero_point + (p->input_unsigned ? 0 : 128); }

}  // namespace

extern "C" size_t astro_int8_vnni_packed_weights(const astro_int8_conv *p) { return size_t(blocks16(p) * p->depth * 16); }

extern "C" int astro_int8_vnni_pack_weights(const astro_int8_conv *p, const short *rows, signed char *packed, int *weight_sums) {
  for (long c = 0; c < p->out_c; c++) {
    uint32_t sum = 0;  // wraps as the vector sums do; the bias it joins is exact modulo 2^32 either way
    for (long k = 0; k < p->depth; k++) {
      int v = rows[c * p->depth + k];
      if (v < -128 || v > 127) return 0;
      sum += uint32_t(v);
    }
    weight_sums[c] = int32_t(sum);
  }
  const long quads = p->depth / 4;
  for (long block = 0; block < blocks16(p); block++) {
    for (long k = 0; k < quads; k++) {
      for (long j = 0; j < 16; j++) {
        long c = block * 16 + j;
        signed char *target = packed + ((block * quads + k) * 16 + j) * 4;
        for (long t = 0; t < 4; t++) target[t] = c < p->out_c ? (signed char)rows[c * p->depth + 4 * k + t] : 0;
      }
    }
  }
  return 1;
}

extern "C" size_t astro_int8_vnni_input_bytes(const astro_int8_conv *p) {
  return size_t(p->batch * paddedHeight(p) * paddedWidth(p) * p->in_c_padded);
}

extern "C" void astro_int8_vnni_prepare_input(const astro_int8_conv *p, const void *x, unsigned char *u, long sample_begin,
                                              long sample_end) {
  // Every size in locals: the byte stores may alias *p, so the compiler would reload its fields per byte.
  const long height = paddedHeight(p), width = paddedWidth(p), c = p->in_c, stride = p->in_c_padded;
  const long in_h = p->in_h, in_w = p->in_w, top = p->pad_top, left = p->pad_left;
  const unsigned char z = (unsigned char)shiftedZeroPoint(p), flip = p->input_unsigned ? 0 : 0x80;
  for (long n = sample_begin; n < sample_end; n++) {
    unsigned char *target = u + n * height * width * stride;
    memset(target, z, size_t(height * width * stride));
    for (long iy = 0; iy < in_h; iy++) {
      unsigned char *__restrict out = target + ((iy + top) * width + left) * stride;
      const unsigned char *__restrict in = (const unsigned char *)x + (n * in_h + iy) * in_w * c;
      if (c == stride) {  // one run of bytes per row: the compiler vectorizes it
        for (long i = 0; i < in_w * c; i++) out[i] = in[i] ^ flip;
      } else if (c == 3 && stride == 4) {  // RGB-like inputs (braai's triplets): one 4-byte store per pixel
        const uint32_t fill = uint32_t(z) << 24, flips = flip * 0x010101u;
        for (long ix = 0; ix < in_w; ix++) {
          uint32_t pixel = (in[3 * ix] | uint32_t(in[3 * ix + 1]) << 8 | uint32_t(in[3 * ix + 2]) << 16) ^ flips;
          pixel |= fill;
          memcpy(out + 4 * ix, &pixel, 4);
        }
      } else {
        for (long ix = 0; ix < in_w; ix++)
          for (long k = 0; k < c; k++) out[ix * stride + k] = in[ix * c + k] ^ flip;
      }
    }
  }
}

#if ASTRO_X86_64

#define ASTRO_VNNI512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx512vnni,avx2,fma")))

namespace {

/// Output pixels per block: 8 pixels × 2 vectors of 16 channels are 16 accumulators of the 32 zmm registers.
constexpr long kPixels = 8;

/// Sums of kPixels pixels × VECTORS blocks of 16 channels over `rows` kernel rows of `quads` tap groups each (q: each
/// pixel's first row, row r starting rowStride bytes later; w: the first block's weights, the next block
/// blockBytes further).
template <int VECTORS>
ASTRO_VNNI512 ASTRO_INLINE void dotPixels(const unsigned char *const *q, long rowStride, long rows, long quads,
                                          const signed char *w, long blockBytes, __m512i *acc) {
  ASTRO_UNROLL for (int i = 0; i < kPixels * VECTORS; i++) acc[i] = _mm512_setzero_si512();
  for (long r = 0; r < rows; r++) {
    const signed char *wr = w + r * quads * 64;
    const long offset = r * rowStride;
    for (long k = 0; k < quads; k++) {
      __m512i wv[VECTORS];
      ASTRO_UNROLL for (int v = 0; v < VECTORS; v++) wv[v] = _mm512_loadu_si512(wr + k * 64 + v * blockBytes);
      ASTRO_UNROLL for (int i = 0; i < kPixels; i++) {
        int32_t quad;
        memcpy(&quad, q[i] + offset + 4 * k, 4);
        __m512i x = _mm512_set1_epi32(quad);
        ASTRO_UNROLL for (int v = 0; v < VECTORS; v++) acc[i * VECTORS + v] = _mm512_dpbusd_epi32(acc[i * VECTORS + v], x, wv[v]);
      }
    }
  }
}

/// Per-channel constants of one block of 16 channels (zeros beyond out_c), as Int8Requantize.h's BlockConstants.
struct Constants16 {
  __m512i bias, multiplier, oddMultiplier, left, right, rightMask, rightThreshold;
  __mmask16 lanes;
};

ASTRO_VNNI512 inline Constants16 constants16(const astro_int8_conv *p, long block, const int32_t *bias, const int32_t *multiplier,
                                             const int32_t *shift) {
  long first = block * 16, remaining = p->out_c - first;
  Constants16 k;
  k.lanes = astroTailMask(remaining);
  k.bias = _mm512_maskz_loadu_epi32(k.lanes, bias + first);
  k.multiplier = _mm512_maskz_loadu_epi32(k.lanes, multiplier + first);
  k.oddMultiplier = _mm512_srli_epi64(k.multiplier, 32);
  __m512i s = _mm512_maskz_loadu_epi32(k.lanes, shift + first), zero = _mm512_setzero_si512();
  k.left = _mm512_max_epi32(s, zero);
  k.right = _mm512_max_epi32(_mm512_sub_epi32(zero, s), zero);
  // mask = 2^R − 1 and threshold = mask >> 1 (RoundingDivideByPOT adds 1 for negative values).
  k.rightMask = _mm512_sub_epi32(_mm512_sllv_epi32(_mm512_set1_epi32(1), k.right), _mm512_set1_epi32(1));
  k.rightThreshold = _mm512_srli_epi32(k.rightMask, 1);
  return k;
}

/// Int8Requantize.h's nudged on 8 products.
ASTRO_VNNI512 ASTRO_INLINE __m512i nudged8(__m512i product) { return _mm512_add_epi64(product, _mm512_set1_epi64(int64_t(1) << 30)); }

/// LiteRT's MultiplyByQuantizedMultiplier on 16 lanes, exactly as Int8Requantize.h's 8-lane rescale, then the
/// output zero point, the clamp, and the low bytes stored for the block's channels.
ASTRO_VNNI512 ASTRO_INLINE void writeBlock16(const astro_int8_conv *p, __m512i acc, const Constants16 &k, unsigned char *y) {
  __m512i a = _mm512_sllv_epi32(_mm512_add_epi32(acc, k.bias), k.left);
  __m512i even = nudged8(_mm512_mul_epi32(a, k.multiplier));
  __m512i odd = nudged8(_mm512_mul_epi32(_mm512_srli_epi64(a, 32), k.oddMultiplier));
  __m512i doubled = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 31), _mm512_slli_epi64(odd, 1));
  __m512i remainder = _mm512_and_si512(doubled, k.rightMask);
  __m512i threshold = _mm512_sub_epi32(k.rightThreshold, _mm512_srai_epi32(doubled, 31));  // + 1 when negative
  __m512i shifted = _mm512_srav_epi32(doubled, k.right);
  __m512i v = _mm512_mask_add_epi32(shifted, _mm512_cmpgt_epi32_mask(remainder, threshold), shifted, _mm512_set1_epi32(1));
  v = _mm512_add_epi32(v, _mm512_set1_epi32(p->output_zero_point));
  v = _mm512_min_epi32(_mm512_max_epi32(v, _mm512_set1_epi32(p->act_min)), _mm512_set1_epi32(p->act_max));
  _mm_mask_storeu_epi8(y, k.lanes, _mm512_cvtepi32_epi8(v));  // clamped to the output type: the low byte is the value
}

/// Requantizes and writes `pixels` pixels' sums of 16-channel blocks [block, block + VECTORS) (constants[i] holds
/// block first + i).
template <int VECTORS>
ASTRO_VNNI512 ASTRO_INLINE void writePixels(const astro_int8_conv *p, const __m512i *acc, long pixels, long block,
                                            const Constants16 *constants, long first, const int32_t *bias, const int32_t *multiplier,
                                            const int32_t *shift, const double *scale, void *y, long base) {
  for (long i = 0; i < pixels; i++) {
    ASTRO_UNROLL for (int v = 0; v < VECTORS; v++) {
      long offset = base + i * p->out_c + (block + v) * 16;
      if (scale) {  // the double rescale, one value at a time (fully-connected outputs are few)
        alignas(64) int32_t lanes[16];
        _mm512_store_si512(lanes, acc[i * VECTORS + v]);
        for (long j = 0; j < 16 && (block + v) * 16 + j < p->out_c; j++)
          store(p, y, offset + j, finish(p, lanes[j], (block + v) * 16 + j, bias, multiplier, shift, scale));
      } else {
        writeBlock16(p, acc[i * VECTORS + v], constants[block + v - first], (unsigned char *)y + offset);
      }
    }
  }
}

/// Output channels per pass over the rows: their rescale constants live on the stack.
constexpr long kChunkBlocks = 32;

ASTRO_VNNI512 void convRowsVNNI(const astro_int8_conv *p, const unsigned char *u, const signed char *w, const int32_t *bias,
                                const int32_t *multiplier, const int32_t *shift, const double *scale, void *y, long row_begin,
                                long row_end, unsigned char *scratch) {
  // Without dilation, and with kernel rows of whole tap groups, each pixel's groups are read in place (kernel row
  // ky starts ky·dilation_h rows below the first); otherwise patches are gathered into scratch.
  const long segment = p->k_w * p->in_c_padded, height = paddedHeight(p), width = paddedWidth(p);
  const bool direct = p->dilation_w == 1 && segment % 4 == 0;
  const long quads = direct ? segment / 4 : p->depth / 4, rows = direct ? p->k_h : 1;
  const long rowStride = direct ? p->dilation_h * width * p->in_c_padded : 0, blockBytes = p->depth * 16;
  for (long chunk = 0; chunk < blocks16(p); chunk += kChunkBlocks) {
    const long chunkEnd = chunk + kChunkBlocks < blocks16(p) ? chunk + kChunkBlocks : blocks16(p);
    Constants16 constants[kChunkBlocks];  // indexed by block − chunk
    for (long b = chunk; b < chunkEnd; b++) constants[b - chunk] = constants16(p, b, bias, multiplier, shift);
    for (long row = row_begin; row < row_end; row++) {
      long n = row / p->out_h, oy = row % p->out_h;
      for (long ox = 0; ox < p->out_w; ox += kPixels) {
        long pixels = p->out_w - ox < kPixels ? p->out_w - ox : kPixels;
        const unsigned char *q[kPixels];
        for (long i = 0; i < kPixels; i++) {
          long pixel = ox + (i < pixels ? i : 0);  // missing pixels of the last block repeat the first (not written)
          if (direct) {
            q[i] = u + ((n * height + oy * p->stride_h) * width + pixel * p->stride_w) * p->in_c_padded;
          } else {
            gatherPatch(p, u, n, oy, pixel, scratch + i * p->depth);
            q[i] = scratch + i * p->depth;
          }
        }
        long base = (row * p->out_w + ox) * p->out_c;
        long block = chunk;
        for (; block + 1 < chunkEnd; block += 2) {
          __m512i acc[kPixels * 2];
          dotPixels<2>(q, rowStride, rows, quads, w + block * blockBytes, blockBytes, acc);
          writePixels<2>(p, acc, pixels, block, constants, chunk, bias, multiplier, shift, scale, y, base);
        }
        if (block < chunkEnd) {
          __m512i acc[kPixels];
          dotPixels<1>(q, rowStride, rows, quads, w + block * blockBytes, blockBytes, acc);
          writePixels<1>(p, acc, pixels, block, constants, chunk, bias, multiplier, shift, scale, y, base);
        }
      }
    }
  }
}

}  // namespace

extern "C" void astro_int8_vnni_conv_rows(const astro_int8_conv *p, const unsigned char *u, const signed char *w,
                                          const int *bias, const int *multiplier, const int *shift, const double *scale,
                                          void *y, long row_begin, long row_end, short *scratch) {
  if (!astro_int8_route_supported(ASTRO_INT8_AVX512_VNNI)) return;
  convRowsVNNI(p, u, w, bias, multiplier, shift, scale, y, row_begin, row_end, (unsigned char *)scratch);
}

#else
extern "C" void astro_int8_vnni_conv_rows(const astro_int8_conv *, const unsigned char *, const signed char *, const int *,
                                          const int *, const int *, const double *, void *, long, long, short *) {}
#endif  // ASTRO_X86_64
