// Direct NHWC convolution with AVX2 + FMA, for the CPUs without AVX-512 (most desktops and laptops, AMD before
// Zen 4): ConvolutionVectorKernels.h's forward pass and kernel gradient on 8-float ymm vectors. With 16
// registers, a block holds at most 12 accumulators (16 channels × 6 pixels, or 8 channels × 12 pixels).
#include "AstroKernelsC.h"
#include "AVX512Support.h"

#if ASTRO_X86_64  // the whole file: see AVX512Support.h

#define ASTRO_AVX2 __attribute__((target("avx2,fma")))

#pragma clang attribute push(ASTRO_AVX2, apply_to = function)
#include "ConvolutionVectorKernels.h"

namespace {

struct AVX2Vectors {
  using Vec = __m256;
  /// The lanes of the last vector that hold data: all-ones ints where they do.
  using Tail = __m256i;
  static constexpr int kLanes = 8;
  /// Up to 16 channels a block. Wider blocks do not fit: 3 pixels × 4 vectors need 12 accumulators + 4 weights +
  /// 1 broadcast = 17 registers, and the spills made 64-channel layers 1.5x slower than 16-channel blocks of 6
  /// pixels (8 loads per 12 FMAs).
  static constexpr int kMaxVectors = 2;
  /// 12 accumulators of the 16 ymm registers, the rest holding the weight vectors and a broadcast.
  static constexpr int maxPixels(int vectors) { return vectors == 1 ? 12 : 6; }
  static constexpr int accumulatorSets(int accumulators) { return accumulators >= 6 ? 1 : accumulators >= 3 ? 2 : 4; }

  static ASTRO_INLINE Tail tail(long remaining) {
    static const int lanes[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256(reinterpret_cast<const __m256i *>(lanes + 8 - (remaining < 8 ? remaining : 8)));
  }
  static ASTRO_INLINE Vec zero() { return _mm256_setzero_ps(); }
  static ASTRO_INLINE Vec load(const float *p) { return _mm256_loadu_ps(p); }
  /// Masked lanes are not read, so they cannot fault.
  static ASTRO_INLINE Vec loadTail(const float *p, Tail m) { return _mm256_maskload_ps(p, m); }
  static ASTRO_INLINE void store(float *p, Vec v) { _mm256_storeu_ps(p, v); }
  static ASTRO_INLINE void storeTail(float *p, Tail m, Vec v) { _mm256_maskstore_ps(p, m, v); }
  static ASTRO_INLINE Vec broadcast(const float *p) { return _mm256_broadcast_ss(p); }
  static ASTRO_INLINE Vec fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
  static ASTRO_INLINE Vec add(Vec a, Vec b) { return _mm256_add_ps(a, b); }
  static ASTRO_INLINE Vec relu(Vec a) { return _mm256_max_ps(a, _mm256_setzero_ps()); }
};

}  // namespace
#pragma clang attribute pop

extern "C" {

ASTRO_AVX2 void astro_avx2_conv_forward_rows(const astro_conv_shape *s, const float *x, const float *x_mask, const float *w,
                                             int w_packed, const float *bias, int relu, float *y, long rowBegin, long rowEnd,
                                             float *scratch) {
  forwardRowsWith<AVX2Vectors>(s, x, x_mask, w, w_packed, bias, relu, y, rowBegin, rowEnd, scratch);
}

ASTRO_AVX2 void astro_avx2_conv_kernel_gradient_rows(const astro_conv_shape *s, const float *x, const float *dy,
                                                     const float *dy_mask, float *dw, float *db, long rowBegin, long rowEnd,
                                                     float *scratch) {
  kernelGradientRowsWith<AVX2Vectors>(s, x, dy, dy_mask, dw, db, rowBegin, rowEnd, scratch);
}

}  // extern "C"

#endif  // ASTRO_X86_64
