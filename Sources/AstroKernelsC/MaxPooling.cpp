// Max pooling with a recorded arg-max: MaxPoolingLoops.h compiled for AVX-512, for AVX2, and for the baseline (SSE2
// on x86-64, NEON on arm64), one namespace each; the caller's `isa` picks one.
#include "AstroKernelsC.h"
#include "AVX512Support.h"

#include <string.h>

namespace baseline {
#include "MaxPoolingLoops.h"
}  // namespace baseline

#if ASTRO_X86_64
namespace avx2 {
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#include "MaxPoolingLoops.h"
#pragma clang attribute pop
}  // namespace avx2

namespace avx512 {
#pragma clang attribute push(ASTRO_AVX512, apply_to = function)
#include "MaxPoolingLoops.h"
#pragma clang attribute pop
}  // namespace avx512
#endif

// Calls FUNCTION of the namespace `isa` names, where this CPU runs it; otherwise the baseline's.
#if ASTRO_X86_64
#define ASTRO_POOL_DISPATCH(isa, FUNCTION, ...)                                               \
  do {                                                                                        \
    static const bool hasAVX512 = astro_avx512_supported(), hasAVX2 = astro_avx2_supported(); \
    if (isa == ASTRO_ISA_AVX512 && hasAVX512) return avx512::FUNCTION(__VA_ARGS__);          \
    if (isa == ASTRO_ISA_AVX2 && hasAVX2) return avx2::FUNCTION(__VA_ARGS__);                \
    return baseline::FUNCTION(__VA_ARGS__);                                                   \
  } while (0)
#else
#define ASTRO_POOL_DISPATCH(isa, FUNCTION, ...) return baseline::FUNCTION(__VA_ARGS__)
#endif

extern "C" {

int astro_maxpool_supported(const astro_conv_shape *s) {
  return s->k_h > 0 && s->k_w > 0 && s->k_h * s->k_w <= 256 && s->in_c > 0 && s->out_h > 0 && s->out_w > 0;
}

void astro_maxpool_forward(const astro_conv_shape *s, const float *x, float *y, unsigned char *argmax, long sampleBegin,
                           long sampleEnd, int isa) {
  ASTRO_POOL_DISPATCH(isa, maxPoolForward, *s, x, y, argmax, sampleBegin, sampleEnd);
}

void astro_maxpool_backward(const astro_conv_shape *s, const unsigned char *argmax, const float *dy, float *dx,
                            long sampleBegin, long sampleEnd, int isa) {
  ASTRO_POOL_DISPATCH(isa, maxPoolBackward, *s, argmax, dy, dx, sampleBegin, sampleEnd);
}

}  // extern "C"
