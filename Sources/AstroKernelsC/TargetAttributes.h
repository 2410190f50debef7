// Shared by the AVX-512 kernel files: the target attribute that lets a function use AVX-512 intrinsics in a
// library compiled for baseline x86-64, and forced inlining / unrolling for register-blocked loops.
#ifndef ASTRO_TARGET_ATTRIBUTES_H
#define ASTRO_TARGET_ATTRIBUTES_H

#define ASTRO_AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))
#define ASTRO_INLINE inline __attribute__((always_inline))
#define ASTRO_UNROLL _Pragma("clang loop unroll(full)")

#endif
