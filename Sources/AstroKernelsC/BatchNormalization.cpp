// Batch normalisation kernels: BatchNormalizationLoops.h compiled three times, for AVX-512, for AVX2 + FMA, and for
// the baseline (SSE2 on x86-64, NEON on arm64), one namespace each; the caller's `isa` picks one. The portable Swift
// route makes more passes.
#include "KernelDispatch.h"

#include <stddef.h>

namespace baseline {
#include "BatchNormalizationLoops.h"
}  // namespace baseline

#if ASTRO_X86_64
namespace avx2 {
#pragma clang attribute push(ASTRO_AVX2_TARGET, apply_to = function)
#include "BatchNormalizationLoops.h"
#pragma clang attribute pop
}  // namespace avx2

namespace avx512 {
#pragma clang attribute push(ASTRO_AVX512, apply_to = function)
#include "BatchNormalizationLoops.h"
#pragma clang attribute pop
}  // namespace avx512
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
