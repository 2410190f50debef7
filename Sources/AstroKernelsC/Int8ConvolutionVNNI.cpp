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

/// Bytes of the block layout; the pixel-lane layout's (depth · out_c) follow them.
inline long blockWeightBytes(const astro_int8_conv *p) { return blocks16(p) * p->depth * 16; }

/// The zero point of the shifted input: what padding holds.
inline int shiftedZeroPoint(const astro_int8_conv *p) { return p->input_zero_point + (p->input_unsigned ? 0 : 128); }

}  // namespace

extern "C" size_t astro_int8_vnni_packed_weights(const astro_int8_conv *p) { return size_t(blockWeightBytes(p) + p->depth * p->out_c); }

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
  signed char *lanes = packed + blockWeightBytes(p);
  for (long k = 0; k < quads; k++)
    for (long c = 0; c < p->out_c; c++)
      for (long t = 0; t < 4; t++) lanes[(k * p->out_c + c) * 4 + t] = (signed char)rows[c * p->depth + 4 * k + t];
  return 1;
}

extern "C" size_t astro_int8_vnni_input_bytes(const astro_int8_conv *p) {
  return preparedCount(p);
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

/// Per-channel constants of one block of 16 channels (zeros beyond out_c), as Int8Requantize.h's BlockConstants,
/// and those of the one-shift form of the same arithmetic (`oneShift`), which every channel of most layers allows.
struct Constants16 {
  __m512i bias, multiplier, oddMultiplier, left, right, rightMask, rightThreshold;
  /// The one-shift form: 64-bit offsets and shift counts for the even and the odd channels.
  __m512i evenOffset, oddOffset, evenShift, oddShift;
  __mmask16 lanes;
  bool oneShift;
  /// Whether the one-shift form must round negative values away from zero (false when the clamp hides them).
  bool negativeRounding;
};

/// Right shifts of at most this many bits take the one-shift form (its 64-bit offsets then stay below 2^62).
constexpr int kOneShiftLimit = 22;

/// The constants of 16 lanes holding output channels channels[0..15] (−1: no channel; zeros there).
ASTRO_VNNI512 inline Constants16 laneConstants(const astro_int8_conv *p, const long *channels, const int32_t *bias,
                                               const int32_t *multiplier, const int32_t *shift) {
  alignas(64) int32_t b[16], m[16], sh[16];
  Constants16 k;
  k.lanes = 0;
  for (int j = 0; j < 16; j++) {
    long c = channels[j];
    b[j] = c >= 0 ? bias[c] : 0;
    m[j] = c >= 0 ? multiplier[c] : 0;
    sh[j] = c >= 0 ? shift[c] : -1;  // lanes without a channel: multiplier 0, and a shift the one-shift form takes
    if (c >= 0) k.lanes |= __mmask16(1u << j);
  }
  k.bias = _mm512_load_si512(b);
  k.multiplier = _mm512_load_si512(m);
  k.oddMultiplier = _mm512_srli_epi64(k.multiplier, 32);
  __m512i s = _mm512_load_si512(sh), zero = _mm512_setzero_si512();
  k.left = _mm512_max_epi32(s, zero);
  k.right = _mm512_max_epi32(_mm512_sub_epi32(zero, s), zero);
  // mask = 2^R − 1 and threshold = mask >> 1 (RoundingDivideByPOT adds 1 for negative values).
  k.rightMask = _mm512_sub_epi32(_mm512_sllv_epi32(_mm512_set1_epi32(1), k.right), _mm512_set1_epi32(1));
  k.rightThreshold = _mm512_srli_epi32(k.rightMask, 1);

  // The one-shift form, for right shifts e in [1, kOneShiftLimit] (lanes beyond out_c take e = 1; their multiplier
  // is 0). With p = a·m, the reference is high = floor((p + 2^30) / 2^31), then floor((high + 2^(e−1) − [high < 0])
  // / 2^e) (RoundingDivideByPOT), plus zp_out. Floors of floors by powers of two compose, so this is
  // floor((p + 2^30 + (2^(e−1) − [high < 0] + zp_out)·2^31) / 2^(31+e)): one add and one shift of the 64-bit
  // product, with 2^31 taken off where p < −2^30 (high < 0). When the clamp's floor is at least zp_out (ReLU), a
  // value with high < 0 is at most zp_out and clamps to act_min either way, so that correction is skipped.
  alignas(64) int64_t offsets[16], counts[16];
  k.oneShift = true;
  for (long j = 0; j < 16; j++) {
    int e = -sh[j];
    if (e < 1 || e > kOneShiftLimit) k.oneShift = false;
    e = e < 1 ? 1 : (e > kOneShiftLimit ? kOneShiftLimit : e);
    offsets[j] = (int64_t(1) << 30) + (int64_t(1) << (30 + e)) + int64_t(p->output_zero_point) * (int64_t(1) << (31 + e));
    // Even channels' results land in the low 32 bits of their 64-bit lane; odd ones' in the high 32 bits, so these
    // shift 32 bits less (the low half is taken from the even vector).
    counts[j] = j % 2 == 0 ? 31 + e : e - 1;
  }
  const __m512i evenIndex = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14), oddIndex = _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15);
  k.evenOffset = _mm512_permutex2var_epi64(_mm512_load_si512(offsets), evenIndex, _mm512_load_si512(offsets + 8));
  k.oddOffset = _mm512_permutex2var_epi64(_mm512_load_si512(offsets), oddIndex, _mm512_load_si512(offsets + 8));
  k.evenShift = _mm512_permutex2var_epi64(_mm512_load_si512(counts), evenIndex, _mm512_load_si512(counts + 8));
  k.oddShift = _mm512_permutex2var_epi64(_mm512_load_si512(counts), oddIndex, _mm512_load_si512(counts + 8));
  k.negativeRounding = p->act_min < p->output_zero_point;
  return k;
}

/// The constants of channels [16·block, 16·block + 16) (those below out_c).
ASTRO_VNNI512 inline Constants16 constants16(const astro_int8_conv *p, long block, const int32_t *bias, const int32_t *multiplier,
                                             const int32_t *shift) {
  long channels[16];
  for (long j = 0; j < 16; j++) channels[j] = block * 16 + j < p->out_c ? block * 16 + j : -1;
  return laneConstants(p, channels, bias, multiplier, shift);
}

/// Int8Requantize.h's nudged on 8 products.
ASTRO_VNNI512 ASTRO_INLINE __m512i nudged8(__m512i product) { return _mm512_add_epi64(product, _mm512_set1_epi64(int64_t(1) << 30)); }

/// Clamps 16 rescaled values (output zero point included) to the activation range: their 16 bytes.
ASTRO_VNNI512 ASTRO_INLINE __m128i clamp16(const astro_int8_conv *p, __m512i v) {
  if (p->output_unsigned) {
    v = _mm512_max_epi32(v, _mm512_set1_epi32(p->act_min));  // at least 0, so the unsigned saturation below is right
    if (p->act_max < 255) v = _mm512_min_epi32(v, _mm512_set1_epi32(p->act_max));
    return _mm512_cvtusepi32_epi8(v);
  }
  if (p->act_min > -128) v = _mm512_max_epi32(v, _mm512_set1_epi32(p->act_min));
  if (p->act_max < 127) v = _mm512_min_epi32(v, _mm512_set1_epi32(p->act_max));
  return _mm512_cvtsepi32_epi8(v);  // saturating: the clamp to the type's range
}

/// LiteRT's MultiplyByQuantizedMultiplier on 16 lanes, exactly as Int8Requantize.h's 8-lane rescale (or its
/// one-shift form, see laneConstants), then the output zero point and the clamp: the 16 output bytes.
ASTRO_VNNI512 ASTRO_INLINE __m128i requantize16(const astro_int8_conv *p, __m512i acc, const Constants16 &k) {
  if (k.oneShift) {
    __m512i a = _mm512_add_epi32(acc, k.bias);
    __m512i even = _mm512_mul_epi32(a, k.multiplier), odd = _mm512_mul_epi32(_mm512_srli_epi64(a, 32), k.oddMultiplier);
    __m512i evenSum = _mm512_add_epi64(even, k.evenOffset), oddSum = _mm512_add_epi64(odd, k.oddOffset);
    if (k.negativeRounding) {
      const __m512i limit = _mm512_set1_epi64(-(int64_t(1) << 30)), step = _mm512_set1_epi64(int64_t(1) << 31);
      evenSum = _mm512_mask_sub_epi64(evenSum, _mm512_cmplt_epi64_mask(even, limit), evenSum, step);
      oddSum = _mm512_mask_sub_epi64(oddSum, _mm512_cmplt_epi64_mask(odd, limit), oddSum, step);
    }
    return clamp16(p, _mm512_mask_blend_epi32(0xAAAA, _mm512_srav_epi64(evenSum, k.evenShift), _mm512_srav_epi64(oddSum, k.oddShift)));
  }
  __m512i a = _mm512_sllv_epi32(_mm512_add_epi32(acc, k.bias), k.left);
  __m512i even = nudged8(_mm512_mul_epi32(a, k.multiplier));
  __m512i odd = nudged8(_mm512_mul_epi32(_mm512_srli_epi64(a, 32), k.oddMultiplier));
  __m512i doubled = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 31), _mm512_slli_epi64(odd, 1));
  __m512i remainder = _mm512_and_si512(doubled, k.rightMask);
  __m512i threshold = _mm512_sub_epi32(k.rightThreshold, _mm512_srai_epi32(doubled, 31));  // + 1 when negative
  __m512i shifted = _mm512_srav_epi32(doubled, k.right);
  __m512i v = _mm512_mask_add_epi32(shifted, _mm512_cmpgt_epi32_mask(remainder, threshold), shifted, _mm512_set1_epi32(1));
  return clamp16(p, _mm512_add_epi32(v, _mm512_set1_epi32(p->output_zero_point)));
}

/// requantize16, stored for the block's channels.
ASTRO_VNNI512 ASTRO_INLINE void writeBlock16(const astro_int8_conv *p, __m512i acc, const Constants16 &k, unsigned char *y) {
  _mm_mask_storeu_epi8(y, k.lanes, requantize16(p, acc, k));
}

/// Requantizes one pixel's sums of 16-channel blocks [0, V) (constants k[v]) into y (channel 16·v at y + 16·v): with
/// the double rescale one value at a time when `scale` is given (fully-connected outputs are few), else 16 lanes.
template <int V>
ASTRO_VNNI512 ASTRO_INLINE void writePixel(const astro_int8_conv *p, const __m512i *acc, const Constants16 *k, const double *scale,
                                           long firstChannel, const int32_t *bias, unsigned char *y) {
  ASTRO_UNROLL for (int v = 0; v < V; v++) {
    if (scale) {
      alignas(64) int32_t lanes[16];
      _mm512_store_si512(lanes, acc[v]);
      for (long j = 0; j < 16 && firstChannel + v * 16 + j < p->out_c; j++) {
        long c = firstChannel + v * 16 + j;
        store(p, y, v * 16 + j, finish(p, lanes[j], c, bias, nullptr, nullptr, scale));
      }
    } else {
      writeBlock16(p, acc[v], k[v], y + v * 16);
    }
  }
}

/// Sums of P pixels (pixel i at q[i]) × V blocks of 16 channels over `groups` groups of 4 taps: group t at
/// offsets[t] from each pixel, its V weight vectors blockBytes apart, 64 bytes on per group.
template <int P, int V>
ASTRO_VNNI512 ASTRO_INLINE void dotPixels(const unsigned char *const *q, const int32_t *offsets, long groups, const signed char *w,
                                          long blockBytes, __m512i *acc) {
  ASTRO_UNROLL for (int i = 0; i < P * V; i++) acc[i] = _mm512_setzero_si512();
  for (long t = 0; t < groups; t++) {
    const long offset = offsets[t];
    __m512i wv[V];
    ASTRO_UNROLL for (int v = 0; v < V; v++) wv[v] = _mm512_loadu_si512(w + t * 64 + v * blockBytes);
    ASTRO_UNROLL for (int i = 0; i < P; i++) {
      int32_t quad;
      memcpy(&quad, q[i] + offset, 4);
      __m512i x = _mm512_set1_epi32(quad);
      ASTRO_UNROLL for (int v = 0; v < V; v++) acc[i * V + v] = _mm512_dpbusd_epi32(acc[i * V + v], x, wv[v]);
    }
  }
}

/// Pixels per block: 8 pixels × 2 vectors of 16 channels are 16 accumulators of the 32 zmm registers.
constexpr int kPixels = 8;

/// Where the sums read their input: a run of `count` output pixels whose windows start pixelBytes apart from `first`
/// (in place: no dilation and kernel rows of whole tap groups), or pixels whose patches `gather` writes.
struct PixelRun {
  const unsigned char *first;
  long pixelBytes, count;
  unsigned char *y;  // the first pixel's output
};

/// One run's outputs for 16-channel blocks [block, block + V), kPixels pixels at a time. A last partial group overlaps
/// the one before it (rewriting the same bytes) when the run is long enough; otherwise its missing pixels repeat its
/// first one (not written).
template <int V>
ASTRO_VNNI512 void run16(const astro_int8_conv *p, const PixelRun &run, const int32_t *offsets, long groups, const signed char *w,
                         long blockBytes, const Constants16 *k, const double *scale, long block, const int32_t *bias) {
  for (long start = 0; start < run.count; start += kPixels) {
    long first = start + kPixels <= run.count ? start : (run.count >= kPixels ? run.count - kPixels : start);
    long pixels = run.count - first < kPixels ? run.count - first : kPixels;
    const unsigned char *q[kPixels];
    ASTRO_UNROLL for (int i = 0; i < kPixels; i++) q[i] = run.first + (first + (i < pixels ? i : 0)) * run.pixelBytes;
    __m512i acc[kPixels * V];
    dotPixels<kPixels, V>(q, offsets, groups, w, blockBytes, acc);
    for (long i = 0; i < pixels; i++)
      writePixel<V>(p, acc + i * V, k, scale, block * 16, bias, run.y + (first + i) * p->out_c + block * 16);
  }
}

// The pixel-lane layout, for stride-1 layers read in place whose input pixels hold 4, 16 or 32 bytes and whose
// outputs come in whole 16-channel blocks (VGG6's, ResNet's and most 3×3 layers after the first). There each vector
// holds 4 pixels × 4 channels: one load of 4 pixels' input bytes, one in-lane shuffle per tap group, serves 4 or 8
// vpdpbusd (one per group of 4 channels), where the block layout above needs a broadcast load per pixel and tap
// group. Its weights follow the block layout's in the packed buffer: for each tap group Q and channel group n, 16
// bytes, channel 4n + j's 4 taps at 4j.

/// Whether a layer takes the pixel-lane kernel.
inline bool pixelLanes(const astro_int8_conv *p) {
  bool channels = p->in_c_padded == 4 || p->in_c_padded == 16 || p->in_c_padded == 32;
  return channels && p->out_c % 16 == 0 && p->stride_w == 1 && p->dilation_w == 1 && p->out_w >= 16;
}

/// Adds tap group Q of G groups of 4 pixels (x[g]: their 16 bytes each) times NC channel groups' weights (wq).
template <int G, int NC, int Q>
ASTRO_VNNI512 ASTRO_INLINE void laneQuad(const __m512i *x, const signed char *wq, __m512i *acc) {
  __m512i w[NC];
  ASTRO_UNROLL for (int n = 0; n < NC; n++) w[n] = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(wq + n * 16)));
  ASTRO_UNROLL for (int g = 0; g < G; g++) {
    const __m512i spread = _mm512_shuffle_epi32(x[g], _MM_PERM_ENUM(Q * 0x55));  // each pixel's group Q in its 4 lanes
    ASTRO_UNROLL for (int n = 0; n < NC; n++) acc[g * NC + n] = _mm512_dpbusd_epi32(acc[g * NC + n], spread, w[n]);
  }
}

/// Sums of 4·G pixels (pixel 4g + i's window starting at first + (4g + i)·CPAD) × NC channel groups: acc[g·NC + n]
/// lane 4i + j holds pixel 4g + i, channel 4n + j (of the groups wl points at; quadStride bytes between tap groups).
template <int CPAD, int G, int NC>
ASTRO_VNNI512 ASTRO_INLINE void laneSums(const astro_int8_conv *p, const unsigned char *first, long rowStride,
                                         const signed char *wl, long quadStride, __m512i *acc) {
  ASTRO_UNROLL for (int i = 0; i < G * NC; i++) acc[i] = _mm512_setzero_si512();
  for (long ky = 0; ky < p->k_h; ky++) {
    for (long kx = 0; kx < p->k_w; kx++) {
      const unsigned char *tap = first + ky * rowStride + kx * CPAD;
      const signed char *wt = wl + (ky * p->k_w + kx) * (CPAD / 4) * quadStride;
      if constexpr (CPAD == 4) {  // 16 pixels' 4 bytes in one load; each group's 4 spread over its lanes
        static_assert(G == 4, "16 pixels per load");
        const __m512i x = _mm512_loadu_si512(tap);
        __m512i w[NC];
        ASTRO_UNROLL for (int n = 0; n < NC; n++) w[n] = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(wt + n * 16)));
        ASTRO_UNROLL for (int g = 0; g < G; g++) {
          const __m512i spread = _mm512_permutexvar_epi32(
            _mm512_setr_epi32(4 * g, 4 * g, 4 * g, 4 * g, 4 * g + 1, 4 * g + 1, 4 * g + 1, 4 * g + 1, 4 * g + 2, 4 * g + 2, 4 * g + 2,
                              4 * g + 2, 4 * g + 3, 4 * g + 3, 4 * g + 3, 4 * g + 3), x);
          ASTRO_UNROLL for (int n = 0; n < NC; n++) acc[g * NC + n] = _mm512_dpbusd_epi32(acc[g * NC + n], spread, w[n]);
        }
      } else {
        // Each group's 4 pixels × 16 bytes (of CPAD / 16 chunks), then tap group q of each pixel across its lanes.
        ASTRO_UNROLL for (int chunk = 0; chunk < CPAD / 16; chunk++) {
          __m512i x[G];
          ASTRO_UNROLL for (int g = 0; g < G; g++) {
            if constexpr (CPAD == 16) {
              x[g] = _mm512_loadu_si512(tap + g * 64);
            } else {  // 4 pixels of 32 bytes: this chunk's 16 from each
              const __m512i low = _mm512_loadu_si512(tap + g * 128), high = _mm512_loadu_si512(tap + g * 128 + 64);
              x[g] = _mm512_permutex2var_epi64(low, _mm512_setr_epi64(2 * chunk, 2 * chunk + 1, 4 + 2 * chunk, 5 + 2 * chunk,
                                                                      8 + 2 * chunk, 9 + 2 * chunk, 12 + 2 * chunk, 13 + 2 * chunk), high);
            }
          }
          const signed char *wc = wt + chunk * 4 * quadStride;
          laneQuad<G, NC, 0>(x, wc, acc);
          laneQuad<G, NC, 1>(x, wc + quadStride, acc);
          laneQuad<G, NC, 2>(x, wc + 2 * quadStride, acc);
          laneQuad<G, NC, 3>(x, wc + 3 * quadStride, acc);
        }
      }
    }
  }
}

/// Requantizes laneSums' tile and writes pixel 4g + i's channels [16·b, 16·b + 16) for each 16-channel block b of the
/// NC groups (k[n]: the constants of group n's lanes) at y + pixel·out_c.
template <int G, int NC>
ASTRO_VNNI512 ASTRO_INLINE void laneWrite(const astro_int8_conv *p, const __m512i *acc, const Constants16 *k, unsigned char *y) {
  // Four groups' bytes side by side (group n' at 16n' + 4i + j) back to pixel order (16i + 4n' + j): a transpose
  // of 4 × 4 dwords (pixel i's 4 channels of group n' are one dword).
  const __m512i pixelOrder = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  ASTRO_UNROLL for (int g = 0; g < G; g++) {
    ASTRO_UNROLL for (int b = 0; b < NC / 4; b++) {
      __m512i bytes = _mm512_castsi128_si512(requantize16(p, acc[g * NC + 4 * b], k[4 * b]));
      bytes = _mm512_inserti32x4(bytes, requantize16(p, acc[g * NC + 4 * b + 1], k[4 * b + 1]), 1);
      bytes = _mm512_inserti32x4(bytes, requantize16(p, acc[g * NC + 4 * b + 2], k[4 * b + 2]), 2);
      bytes = _mm512_inserti32x4(bytes, requantize16(p, acc[g * NC + 4 * b + 3], k[4 * b + 3]), 3);
      bytes = _mm512_permutexvar_epi32(pixelOrder, bytes);
      unsigned char *out = y + 4 * g * p->out_c + 16 * b;
      if (p->out_c == 16) {
        _mm512_storeu_si512(out, bytes);
      } else {
        _mm_storeu_si128((__m128i *)out, _mm512_castsi512_si128(bytes));
        _mm_storeu_si128((__m128i *)(out + p->out_c), _mm512_extracti32x4_epi32(bytes, 1));
        _mm_storeu_si128((__m128i *)(out + 2 * p->out_c), _mm512_extracti32x4_epi32(bytes, 2));
        _mm_storeu_si128((__m128i *)(out + 3 * p->out_c), _mm512_extracti32x4_epi32(bytes, 3));
      }
    }
  }
}

/// One output row in the pixel-lane layout: tiles of 4·G pixels (the last overlapping the one before) × NC channel
/// groups. rowStart: the row's first window; wl: the lane weights; k: each channel group's constants.
template <int CPAD, int G, int NC>
ASTRO_VNNI512 void laneRow(const astro_int8_conv *p, const unsigned char *rowStart, long rowStride, const signed char *wl,
                           const Constants16 *k, unsigned char *y) {
  const long quadStride = p->out_c / 4 * 16, tile = 4 * G;
  for (long group = 0; group < p->out_c / 4; group += NC) {
    for (long start = 0; start < p->out_w; start += tile) {
      long first = start + tile <= p->out_w ? start : p->out_w - tile;
      __m512i acc[G * NC];
      laneSums<CPAD, G, NC>(p, rowStart + first * CPAD, rowStride, wl + group * 16, quadStride, acc);
      laneWrite<G, NC>(p, acc, k + group, y + first * p->out_c + group * 4);
    }
  }
}

/// The pixel-lane kernel's rows [row_begin, row_end).
ASTRO_VNNI512 void laneRows(const astro_int8_conv *p, const unsigned char *u, const signed char *wl, const int32_t *bias,
                            const int32_t *multiplier, const int32_t *shift, void *y, long row_begin, long row_end) {
  // Constants per group of 4 channels: lane 4i + j holds channel 4n + j (at most 512 channels here; more take the
  // block layout).
  Constants16 k[128];
  for (long n = 0; n < p->out_c / 4; n++) {
    long channels[16];
    for (int lane = 0; lane < 16; lane++) channels[lane] = 4 * n + lane % 4;
    k[n] = laneConstants(p, channels, bias, multiplier, shift);
  }
  const long height = paddedHeight(p), width = paddedWidth(p), rowStride = p->dilation_h * width * p->in_c_padded;
  for (long row = row_begin; row < row_end; row++) {
    long n = row / p->out_h, oy = row % p->out_h;
    const unsigned char *rowStart = u + (n * height + oy * p->stride_h) * width * p->in_c_padded;
    unsigned char *yRow = (unsigned char *)y + row * p->out_w * p->out_c;
    switch (p->in_c_padded) {
      case 4: laneRow<4, 4, 4>(p, rowStart, rowStride, wl, k, yRow); break;
      case 16: laneRow<16, 4, 4>(p, rowStart, rowStride, wl, k, yRow); break;
      default: laneRow<32, 4, 4>(p, rowStart, rowStride, wl, k, yRow); break;
    }
  }
}

/// Output channels per pass over the rows: their rescale constants live on the stack.
constexpr long kChunkBlocks = 32;

ASTRO_VNNI512 void convRowsVNNI(const astro_int8_conv *p, const unsigned char *u, const signed char *w, const int32_t *bias,
                                const int32_t *multiplier, const int32_t *shift, const double *scale, void *y, long row_begin,
                                long row_end, unsigned char *scratch) {
  if (!scale && pixelLanes(p) && p->out_c <= 512) {
    laneRows(p, u, w + blockWeightBytes(p), bias, multiplier, shift, y, row_begin, row_end);
    return;
  }
  // Without dilation, and with kernel rows of whole tap groups, each pixel's groups are read in place (kernel row
  // ky starts ky·dilation_h rows below the first); otherwise each pixel's patch is gathered into scratch first.
  const long segment = p->k_w * p->in_c_padded, height = paddedHeight(p), width = paddedWidth(p);
  const bool direct = p->dilation_w == 1 && segment % 4 == 0;
  const long groups = direct ? p->k_h * segment / 4 : p->depth / 4, blockBytes = p->depth * 16;
  // Group offsets from a pixel's first byte (in scratch: depth/4 of them at most, and scratch holds 8·depth bytes).
  int32_t *offsets = (int32_t *)scratch;
  const long quads = segment / 4, rowStride = p->dilation_h * width * p->in_c_padded;
  for (long t = 0; t < groups; t++) offsets[t] = int32_t(direct ? (t / quads) * rowStride + 4 * (t % quads) : 4 * t);
  unsigned char *patches = scratch + p->depth;  // gathered patches, one after another (depth is a multiple of 16)
  // A layer with one output pixel per sample (fully connected, or a 1×1 output) runs the samples as one run.
  const bool samplesAsPixels = direct && p->out_h == 1 && p->out_w == 1;
  for (long chunk = 0; chunk < blocks16(p); chunk += kChunkBlocks) {
    const long chunkEnd = chunk + kChunkBlocks < blocks16(p) ? chunk + kChunkBlocks : blocks16(p);
    Constants16 constants[kChunkBlocks];  // indexed by block − chunk
    for (long b = chunk; b < chunkEnd; b++) constants[b - chunk] = constants16(p, b, bias, multiplier, shift);
    auto blocks = [&](const PixelRun &run) {
      long block = chunk;
      for (; block + 1 < chunkEnd; block += 2)
        run16<2>(p, run, offsets, groups, w + block * blockBytes, blockBytes, constants + (block - chunk), scale, block, bias);
      if (block < chunkEnd)
        run16<1>(p, run, offsets, groups, w + block * blockBytes, blockBytes, constants + (block - chunk), scale, block, bias);
    };
    if (samplesAsPixels) {
      const long sampleBytes = height * width * p->in_c_padded;
      blocks(PixelRun{u + row_begin * sampleBytes, sampleBytes, row_end - row_begin, (unsigned char *)y + row_begin * p->out_c});
      continue;
    }
    for (long row = row_begin; row < row_end; row++) {
      long n = row / p->out_h, oy = row % p->out_h;
      unsigned char *yRow = (unsigned char *)y + row * p->out_w * p->out_c;
      if (direct) {
        const unsigned char *rowStart = u + (n * height + oy * p->stride_h) * width * p->in_c_padded;
        blocks(PixelRun{rowStart, p->stride_w * p->in_c_padded, p->out_w, yRow});
      } else {
        // Gathered patches: kPixels at a time, so that scratch holds them.
        for (long ox = 0; ox < p->out_w; ox += kPixels) {
          long pixels = p->out_w - ox < kPixels ? p->out_w - ox : kPixels;
          for (long i = 0; i < pixels; i++) gatherPatch(p, u, n, oy, ox + i, patches + i * p->depth);
          blocks(PixelRun{patches, p->depth, pixels, yRow + ox * p->out_c});
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
