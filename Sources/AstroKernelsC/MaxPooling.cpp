// Max pooling with a recorded arg-max: MaxPoolingLoops.h compiled for AVX-512, for AVX2, and for the baseline (SSE2
// on x86-64, NEON on arm64), one namespace each; the caller's `isa` picks one.
#include "KernelDispatch.h"

#include <string.h>

namespace baseline {
#include "MaxPoolingLoops.h"
}  // namespace baseline

#if ASTRO_X86_64
namespace avx2 {
#pragma clang attribute push(ASTRO_AVX2_TARGET, apply_to = function)
#include "MaxPoolingLoops.h"
#pragma clang attribute pop
}  // namespace avx2

namespace avx512 {
#pragma clang attribute push(ASTRO_AVX512, apply_to = function)
#include "MaxPoolingLoops.h"
#pragma clang attribute pop
}  // namespace avx512
#endif

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
