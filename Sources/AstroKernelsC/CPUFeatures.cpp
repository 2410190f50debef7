// Run-time detection of the CPU features the AVX-512 and AVX2 kernels need, and whether this is an arm64 build.
#include "AstroKernelsC.h"
#include "AVX512Support.h"

#if ASTRO_X86_64
#include <cpuid.h>

extern "C" int astro_avx512_supported(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  bool osxsave = c & (1u << 27), fma = c & (1u << 12);
  if (!osxsave || !fma) return 0;
  unsigned lo, hi;
  __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & 0xE6) != 0xE6) return 0;  // SSE, AVX, opmask and both halves of the zmm state enabled by the OS
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  unsigned need = (1u << 16) | (1u << 17) | (1u << 30) | (1u << 31);  // F, DQ, BW, VL
  return (b & need) == need;
}

extern "C" int astro_avx2_supported(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  bool osxsave = c & (1u << 27), fma = c & (1u << 12), avx = c & (1u << 28);
  if (!osxsave || !fma || !avx) return 0;
  unsigned lo, hi;
  __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & 0x6) != 0x6) return 0;  // SSE and AVX (ymm) state enabled by the OS
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  return (b & (1u << 5)) != 0;  // AVX2
}
#else
extern "C" int astro_avx512_supported(void) { return 0; }
extern "C" int astro_avx2_supported(void) { return 0; }
#endif

// NEON (Advanced SIMD) is part of every arm64 CPU.
#if defined(__aarch64__)
extern "C" int astro_neon_supported(void) { return 1; }
#else
extern "C" int astro_neon_supported(void) { return 0; }
#endif
