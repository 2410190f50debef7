// Direct NHWC convolution kernels written with AVX-512 intrinsics.
//
// Why C++ here: Swift compiles for baseline x86-64 and has no per-function target attribute, and a library
// package cannot pass -mavx512f (unsafe flags). These functions carry `target("avx512f,...")` themselves and
// are called only after `astro_avx512_supported()` said yes, so the package still runs on any x86-64 CPU.
#ifndef ASTRO_KERNELS_C_H
#define ASTRO_KERNELS_C_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// An NHWC convolution: input [batch, in_h, in_w, in_c], HWIO kernel [k_h, k_w, in_c, out_c],
/// output [batch, out_h, out_w, out_c]. Padding is TensorFlow's (zeros; pad_top/pad_left before the data).
typedef struct astro_conv_shape {
  long batch, in_h, in_w, in_c;
  long k_h, k_w, stride_h, stride_w, pad_top, pad_left;
  long out_h, out_w, out_c;
} astro_conv_shape;

/// 1 when the CPU and the OS support the AVX-512 kernels below (F, VL, BW, DQ with zmm state enabled).
int astro_avx512_supported(void);

/// 1 when the direct kernels handle this shape (kernel height at most 16, positive sizes).
int astro_conv_direct_supported(const astro_conv_shape *shape);

/// Floats of scratch one call below needs (zero-padded copies of the input rows a window touches).
size_t astro_conv_scratch_floats(const astro_conv_shape *shape);

/// Writes output rows [row_begin, row_end) of the flattened (sample, output row) axis:
/// y = conv(x, w) + bias, then max(y, 0) when relu is nonzero. bias may be NULL.
void astro_conv_forward_rows(const astro_conv_shape *shape, const float *x, const float *w, const float *bias,
                             int relu, float *y, long row_begin, long row_end, float *scratch);

/// Accumulates the kernel gradient dw[k_h, k_w, in_c, out_c] += Σ x·dy and, when db is not NULL,
/// db[out_c] += Σ dy, over output rows [row_begin, row_end).
void astro_conv_kernel_gradient_rows(const astro_conv_shape *shape, const float *x, const float *dy, float *dw,
                                     float *db, long row_begin, long row_end, float *scratch);

#ifdef __cplusplus
}
#endif

#endif
