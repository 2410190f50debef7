// Direct NHWC convolution with NEON, for arm64 (Apple Silicon, Graviton): ConvolutionVectorKernels.h's forward pass
// and kernel gradient on 4-float vectors. With 32 registers, a block holds at most 24 accumulators (16 channels × 6
// pixels). NEON has no masked loads, so these kernels take channel counts that are multiples of 4
// (astro_neon_conv_supported); the others run on the portable route.
#include "AstroKernelsC.h"

#if defined(__aarch64__)
#include <arm_neon.h>

#include "ConvolutionVectorKernels.h"

namespace {

struct NEONVectors {
  using Vec = float32x4_t;
  /// Unused: channel counts are whole vectors here (astro_neon_conv_supported).
  struct Tail {};
  static constexpr int kLanes = 4;
  /// Up to 16 channels a block.
  static constexpr int kMaxVectors = 4;
  /// At most 24 accumulators of the 32 q registers, the rest holding weights and a broadcast.
  static constexpr int maxPixels(int vectors) { return vectors <= 2 ? 12 : vectors == 3 ? 8 : 6; }
  static constexpr int accumulatorSets(int accumulators) { return accumulators >= 12 ? 1 : accumulators >= 6 ? 2 : 4; }

  static inline Tail tail(long) { return {}; }
  static inline Vec zero() { return vdupq_n_f32(0); }
  static inline Vec load(const float *p) { return vld1q_f32(p); }
  static inline Vec loadTail(const float *p, Tail) { return vld1q_f32(p); }
  static inline void store(float *p, Vec v) { vst1q_f32(p, v); }
  static inline void storeTail(float *p, Tail, Vec v) { vst1q_f32(p, v); }
  static inline Vec broadcast(const float *p) { return vld1q_dup_f32(p); }
  static inline Vec fma(Vec a, Vec b, Vec c) { return vfmaq_f32(c, a, b); }
  static inline Vec add(Vec a, Vec b) { return vaddq_f32(a, b); }
  static inline Vec relu(Vec a) { return vmaxq_f32(a, vdupq_n_f32(0)); }
};

}  // namespace

extern "C" {

int astro_neon_conv_supported(const astro_conv_shape *s) { return astro_conv_direct_supported(s) && s->out_c % 4 == 0; }

void astro_neon_conv_forward_rows(const astro_conv_shape *s, const float *x, const float *x_mask, const float *w, int w_packed,
                                  const float *bias, int relu, float *y, long rowBegin, long rowEnd, float *scratch) {
  forwardRowsWith<NEONVectors>(s, x, x_mask, w, w_packed, bias, relu, y, rowBegin, rowEnd, scratch);
}

void astro_neon_conv_kernel_gradient_rows(const astro_conv_shape *s, const float *x, const float *dy, const float *dy_mask,
                                          float *dw, float *db, long rowBegin, long rowEnd, float *scratch) {
  kernelGradientRowsWith<NEONVectors>(s, x, dy, dy_mask, dw, db, rowBegin, rowEnd, scratch);
}

}  // extern "C"

#else
// Elsewhere NEON is absent: the kernels are never called (astro_neon_conv_supported says no).
extern "C" {
int astro_neon_conv_supported(const astro_conv_shape *) { return 0; }
void astro_neon_conv_forward_rows(const astro_conv_shape *, const float *, const float *, const float *, int, const float *,
                                  int, float *, long, long, float *) {}
void astro_neon_conv_kernel_gradient_rows(const astro_conv_shape *, const float *, const float *, const float *, float *,
                                          float *, long, long, float *) {}
}
#endif  // __aarch64__
