// Kernels written once as plain loops (BatchNormalizationLoops.h: batch normalisation; MaxPoolingLoops.h: max
// pooling with a recorded arg-max; QuantizeLoops.h: float to int8 quantization; NormalizeLoops.h: cutout
// normalisation; DropoutLoops.h: dropout masks) and compiled three times here, for AVX-512, for AVX2 + FMA, and for the baseline
// (SSE2 on x86-64, NEON on arm64), one namespace each, the x86 ones inside a `#pragma clang attribute` target region;
// the entry points' `isa` argument picks one.
#include "AstroKernelsC.h"
#include "AVX512Support.h"

#include <stddef.h>
#include <string.h>

namespace baseline {
#include "BatchNormalizationLoops.h"
#include "MaxPoolingLoops.h"
#include "QuantizeLoops.h"
#include "NormalizeLoops.h"
#include "DropoutLoops.h"
}  // namespace baseline

#if ASTRO_X86_64
namespace avx2 {
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#include "BatchNormalizationLoops.h"
#include "MaxPoolingLoops.h"
#include "QuantizeLoops.h"
#include "NormalizeLoops.h"
#include "DropoutLoops.h"
#pragma clang attribute pop
}  // namespace avx2

namespace avx512 {
#pragma clang attribute push(ASTRO_AVX512, apply_to = function)
#include "BatchNormalizationLoops.h"
#include "MaxPoolingLoops.h"
#include "QuantizeLoops.h"
#include "NormalizeLoops.h"
#include "DropoutLoops.h"
#pragma clang attribute pop
}  // namespace avx512
#endif

/// Returns FUNCTION(...) of the namespace `isa` (ASTRO_ISA_*) names, where this CPU runs it; otherwise the
/// baseline's (SSE2 on x86-64, NEON on arm64).
#if ASTRO_X86_64
#define ASTRO_ISA_DISPATCH(isa, FUNCTION, ...)                                                \
  do {                                                                                        \
    static const bool hasAVX512 = astro_avx512_supported(), hasAVX2 = astro_avx2_supported(); \
    if (isa == ASTRO_ISA_AVX512 && hasAVX512) return avx512::FUNCTION(__VA_ARGS__);          \
    if (isa == ASTRO_ISA_AVX2 && hasAVX2) return avx2::FUNCTION(__VA_ARGS__);                \
    return baseline::FUNCTION(__VA_ARGS__);                                                   \
  } while (0)
#else
#define ASTRO_ISA_DISPATCH(isa, FUNCTION, ...) return baseline::FUNCTION(__VA_ARGS__)
#endif

extern "C" {

void astro_bn_moments(const float *x, long channels, long rowBegin, long rowEnd, float *block, double *mean, double *m2,
                      int isa) {
  ASTRO_ISA_DISPATCH(isa, moments, x, channels, rowBegin, rowEnd, block, mean, m2);
}

void astro_bn_gradient_sums(const float *x, const float *dy, const float *mask, long channels, const float *mean,
                            long rowBegin, long rowEnd, float *block, double *sums, int isa) {
  ASTRO_ISA_DISPATCH(isa, gradientSums, x, dy, mask, channels, mean, rowBegin, rowEnd, block, sums);
}

void astro_bn_input_gradient(const float *x, const float *dy, const float *mask, long channels, const float *a,
                             const float *b, const float *d, long rowBegin, long rowEnd, float *dx, int isa) {
  ASTRO_ISA_DISPATCH(isa, inputGradient, x, dy, mask, channels, a, b, d, rowBegin, rowEnd, dx);
}

}  // extern "C"

extern "C" {

int astro_maxpool_supported(const astro_conv_shape *s) {
  return s->k_h > 0 && s->k_w > 0 && s->k_h * s->k_w <= 256 && s->in_c > 0 && s->out_h > 0 && s->out_w > 0;
}

void astro_maxpool_forward(const astro_conv_shape *s, const float *x, float *y, unsigned char *argmax, long sampleBegin,
                           long sampleEnd, int isa) {
  ASTRO_ISA_DISPATCH(isa, maxPoolForward, *s, x, y, argmax, sampleBegin, sampleEnd);
}

void astro_maxpool_backward(const astro_conv_shape *s, const unsigned char *argmax, const float *dy, float *dx,
                            long sampleBegin, long sampleEnd, int isa) {
  ASTRO_ISA_DISPATCH(isa, maxPoolBackward, *s, argmax, dy, dx, sampleBegin, sampleEnd);
}

}  // extern "C"

extern "C" void astro_quantize_floats(const float *x, long count, float scale, int zero_point, int low, int high, int is_unsigned,
                                      unsigned char *out, int isa) {
  ASTRO_ISA_DISPATCH(isa, quantizeFloats, x, count, scale, zero_point, low, high, is_unsigned != 0, out);
}

extern "C" double astro_sum_of_squares(const float *x, long count, int isa) {
  ASTRO_ISA_DISPATCH(isa, sumOfSquaresSkippingNaN, x, count);
}

extern "C" void astro_divide_by_norm(const float *x, long count, double norm, float *out, long stride, int isa) {
  ASTRO_ISA_DISPATCH(isa, divideSkippingNaN, x, count, norm, out, stride);
}

extern "C" void astro_dropout_loops(const float *x, float *y, float *mask, long begin, long end, unsigned long long key,
                                    unsigned threshold, float scale, int isa) {
  ASTRO_ISA_DISPATCH(isa, dropoutForward, x, y, mask, begin, end, key, threshold, scale);
}
