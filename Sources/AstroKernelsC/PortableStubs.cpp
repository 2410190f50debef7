// Entry points of the AVX-512 kernels on CPUs other than x86-64 (see AVX512Support.h). There,
// astro_avx512_supported() is 0, every "supported" query below says no, and the Swift side takes its
// portable routes: the kernels below are never called, and do nothing if they were.
#include "AstroKernelsC.h"
#include "AVX512Support.h"

#if !ASTRO_X86_64
extern "C" {

void astro_conv_forward_rows(const astro_conv_shape *, const float *, const float *, const float *, int, const float *, int,
                             float *, long, long, float *) {}
void astro_conv_kernel_gradient_rows(const astro_conv_shape *, const float *, const float *, const float *, float *, float *,
                                     long, long, float *) {}
void astro_avx2_conv_forward_rows(const astro_conv_shape *, const float *, const float *, const float *, int, const float *,
                                  int, float *, long, long, float *) {}
void astro_avx2_conv_kernel_gradient_rows(const astro_conv_shape *, const float *, const float *, const float *, float *,
                                          float *, long, long, float *) {}
void astro_matmul_transposed_a(const float *, const float *, long, long, long, long, long, float *) {}
int astro_conv_fused_backward_supported(const astro_conv_shape *) { return 0; }
size_t astro_conv_fused_backward_scratch_floats(const astro_conv_shape *) { return 0; }
void astro_conv_fused_backward_samples(const astro_conv_shape *, const float *, const float *, const float *, const float *,
                                       float *, float *, float *, long, long, float *) {}

}  // extern "C"
#endif  // !ASTRO_X86_64
