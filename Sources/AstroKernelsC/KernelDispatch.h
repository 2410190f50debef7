// For kernels written once as plain loops and compiled once per ISA (BatchNormalizationLoops.h, MaxPoolingLoops.h):
// the includer puts each compilation in its own namespace, `baseline` always, `avx2` and `avx512` on x86-64, each
// inside a `#pragma clang attribute` target region, then calls ASTRO_ISA_DISPATCH from its entry points.
#ifndef ASTRO_KERNEL_DISPATCH_H
#define ASTRO_KERNEL_DISPATCH_H

#include "AstroKernelsC.h"
#include "AVX512Support.h"

/// The target attribute of the `avx2` compilations.
#define ASTRO_AVX2_TARGET __attribute__((target("avx2,fma")))

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

#endif  // ASTRO_KERNEL_DISPATCH_H
