// Vector kernels: with AVX-512 intrinsics (direct NHWC convolution, dropout masks), with AVX2 + FMA and NEON (the
// direct convolution's forward pass and kernel gradient, `astro_avx2_*` and `astro_neon_*`, one template), plain
// loops compiled once per ISA (batch norm, max pooling with arg-max: an `isa` argument), and the int8 products
// (AVX2, AVX-VNNI, AVX-512 VNNI).
//
// Why C++ here: Swift compiles for baseline x86-64 and has no per-function target attribute, and a library
// package cannot pass -mavx512f (unsafe flags). These functions carry `target("avx512f,...")` (or
// `target("avx2,fma")`) themselves and are called only after `astro_avx512_supported()` (or
// `astro_avx2_supported()`) said yes, so the package still runs on any x86-64 CPU.
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

/// 1 when the CPU and the OS support the AVX2 kernels (AVX2 and FMA with ymm state enabled).
int astro_avx2_supported(void);

/// 1 on arm64, where the NEON kernels run (NEON is part of every arm64 CPU).
int astro_neon_supported(void);

/// 1 when the direct kernels handle this shape (kernel height at most 16, positive sizes).
int astro_conv_direct_supported(const astro_conv_shape *shape);

/// Floats of scratch one call below needs (zero-padded copies of the input rows a window touches, and one
/// masked output-gradient row).
size_t astro_conv_scratch_floats(const astro_conv_shape *shape);

/// Floats of the packed copy of this shape's kernel that astro_conv_forward_rows reads with w_packed (kernels
/// over 1 MB run in slices of 64 output channels, each slice's taps contiguous), or 0 when the kernel is read
/// as it is. Only the kernel's dimensions matter.
size_t astro_conv_packed_kernel_floats(const astro_conv_shape *shape);

/// Writes the packed copy of the HWIO kernel w (astro_conv_packed_kernel_floats(shape) floats).
void astro_conv_pack_kernel(const astro_conv_shape *shape, const float *w, float *packed);

/// Writes output rows [row_begin, row_end) of the flattened (sample, output row) axis:
/// y = conv(x, w) + bias, then max(y, 0) when relu is nonzero. bias may be NULL. With x_mask (shaped like x),
/// elements of x where the mask is not positive count as 0 (a fused ReLU's backward, for input gradients).
/// With w_packed, w is astro_conv_pack_kernel's copy (for a kernel that has one); otherwise each call packs
/// the slices it needs into scratch.
void astro_conv_forward_rows(const astro_conv_shape *shape, const float *x, const float *x_mask, const float *w,
                             int w_packed, const float *bias, int relu, float *y, long row_begin, long row_end,
                             float *scratch);

/// Accumulates the kernel gradient dw[k_h, k_w, in_c, out_c] += Σ x·dy and, when db is not NULL,
/// db[out_c] += Σ dy, over output rows [row_begin, row_end). With dy_mask (shaped like dy), dy counts only
/// where the mask is positive.
void astro_conv_kernel_gradient_rows(const astro_conv_shape *shape, const float *x, const float *dy,
                                     const float *dy_mask, float *dw, float *db, long row_begin, long row_end,
                                     float *scratch);

/// astro_conv_forward_rows and astro_conv_kernel_gradient_rows with AVX2 + FMA: the same arguments, scratch
/// and packed kernels, results equal to float rounding.
void astro_avx2_conv_forward_rows(const astro_conv_shape *shape, const float *x, const float *x_mask, const float *w,
                                  int w_packed, const float *bias, int relu, float *y, long row_begin, long row_end,
                                  float *scratch);
void astro_avx2_conv_kernel_gradient_rows(const astro_conv_shape *shape, const float *x, const float *dy,
                                          const float *dy_mask, float *dw, float *db, long row_begin, long row_end,
                                          float *scratch);

/// 1 when the NEON kernels below handle this shape: astro_conv_direct_supported, and output channels in whole
/// 4-float vectors. Always 0 off arm64.
int astro_neon_conv_supported(const astro_conv_shape *shape);

/// astro_conv_forward_rows and astro_conv_kernel_gradient_rows with NEON (arm64): the same arguments, scratch and
/// packed kernels, results equal to float rounding.
void astro_neon_conv_forward_rows(const astro_conv_shape *shape, const float *x, const float *x_mask, const float *w,
                                  int w_packed, const float *bias, int relu, float *y, long row_begin, long row_end,
                                  float *scratch);
void astro_neon_conv_kernel_gradient_rows(const astro_conv_shape *shape, const float *x, const float *dy,
                                          const float *dy_mask, float *dw, float *db, long row_begin, long row_end,
                                          float *scratch);

/// c[columnBegin..<columnEnd, 0..<n] = (aᵀ·b) rows for a [rows × m] and b [rows × n], row-major (c is m × n):
/// a Dense layer's weight gradient, split over workers by rows of c.
void astro_matmul_transposed_a(const float *a, const float *b, long rows, long m, long n, long column_begin,
                               long column_end, float *c);

/// 1 when astro_conv_fused_backward_samples handles this shape: stride 1, padding on each side below the
/// kernel size (so the input gradient is a convolution of dy), and the direct kernels support it.
int astro_conv_fused_backward_supported(const astro_conv_shape *shape);

/// Floats of scratch one astro_conv_fused_backward_samples call needs.
size_t astro_conv_fused_backward_scratch_floats(const astro_conv_shape *shape);

/// Both gradients of samples [sample_begin, sample_end) in one pass over dy: dw and db (db may be NULL)
/// accumulate as in astro_conv_kernel_gradient_rows, dx is written. w_transposed is the kernel flipped in
/// space with its channel axes swapped, [k_h, k_w, out_c, in_c]. With dy_mask, dy counts only where the mask
/// is positive. Each dy row is read and masked once, for both gradients.
void astro_conv_fused_backward_samples(const astro_conv_shape *shape, const float *x, const float *dy,
                                       const float *dy_mask, const float *w_transposed, float *dw, float *db,
                                       float *dx, long sample_begin, long sample_end, float *scratch);

/// The instruction sets of kernels that take an `isa` argument (KernelISA on the Swift side).
enum { ASTRO_ISA_PORTABLE = 0, ASTRO_ISA_AVX2 = 1, ASTRO_ISA_AVX512 = 2, ASTRO_ISA_NEON = 3 };

/// 1 when the max-pooling kernels handle this window (at most 256 elements, so an arg-max fits a byte).
/// The shape's out_c is unused: pooling keeps in_c channels.
int astro_maxpool_supported(const astro_conv_shape *shape);

/// Max pooling of samples [sample_begin, sample_end): windows clipped to the input; y gets each window's
/// maximum and argmax (unless NULL, for inference) its first position in row-major order within the clipped
/// window (TensorFlow's tie rule). `isa` picks the compiled variant (ASTRO_ISA_*; the baseline's where this CPU
/// lacks it).
void astro_maxpool_forward(const astro_conv_shape *shape, const float *x, float *y, unsigned char *argmax,
                           long sample_begin, long sample_end, int isa);

/// Writes dx for samples [sample_begin, sample_end): each output gradient goes to its window's arg-max,
/// everything else is 0.
void astro_maxpool_backward(const astro_conv_shape *shape, const unsigned char *argmax, const float *dy, float *dx,
                            long sample_begin, long sample_end, int isa);

/// Inverted dropout over elements [begin, end): element i is kept, with mask[i] = scale and y[i] = x[i]·scale,
/// when 16 bits of a hash of (key, i / 4) are below threshold (keep probability × 65536); otherwise both are 0.
/// The result does not depend on how the range is split, nor on `isa` (ASTRO_ISA_*: AVX-512 intrinsics, or the
/// loops of astro_dropout_loops).
void astro_dropout_forward(const float *x, float *y, float *mask, long begin, long end, unsigned long long key,
                           unsigned threshold, float scale, int isa);
/// astro_dropout_forward as DropoutLoops.h's plain loop compiled for `isa` (the baseline's where this CPU lacks it).
void astro_dropout_loops(const float *x, float *y, float *mask, long begin, long end, unsigned long long key,
                         unsigned threshold, float scale, int isa);

/// Batch-norm statistics of rows [row_begin, row_end) of x [rows × channels]: writes each channel's mean and
/// sum of squared deviations (m2) over those rows, blocks of rows merged in Double. block is scratch of
/// 3·channels floats. `isa` picks the compiled variant (the baseline's where this CPU lacks it).
void astro_bn_moments(const float *x, long channels, long row_begin, long row_end, float *block, double *mean,
                      double *m2, int isa);

/// Batch-norm training backward, rows [row_begin, row_end) of x, dy [rows × channels]: adds Σ dy to
/// sums[0..<channels] and Σ dy·(x - mean) to sums[channels..<2·channels] (dy counted only where mask > 0 when
/// mask is not NULL). block is scratch of 2·channels floats.
void astro_bn_gradient_sums(const float *x, const float *dy, const float *mask, long channels, const float *mean,
                            long row_begin, long row_end, float *block, double *sums, int isa);

/// dx = a·dy + b·x + d per channel (dy masked as above), rows [row_begin, row_end).
void astro_bn_input_gradient(const float *x, const float *dy, const float *mask, long channels, const float *a,
                             const float *b, const float *d, long row_begin, long row_end, float *dx, int isa);

/// A convolution of a quantized (int8 or uint8) graph: input NHWC, kernel OHWI widened to int16 with its zero
/// point removed, each output channel's row padded with zeros to `depth` (astro_int8_depth), then packed by
/// astro_int8_pack_weights. A fully-connected layer is the 1×1 case (in_h = in_w = 1, in_c = inputs per sample).
typedef struct astro_int8_conv {
  long batch, in_h, in_w, in_c;
  /// Channels per position in the widened input and the kernel rows: in_c, or in_c + 1 (a zero channel) so
  /// that a kernel row holds an even number of taps and tap pairs can be read in place.
  long in_c_padded;
  long k_h, k_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
  long out_h, out_w, out_c;
  long depth;
  int input_unsigned, output_unsigned;
  int input_zero_point, output_zero_point;
  int act_min, act_max;
} astro_int8_conv;

/// Kernel taps per output channel (with in_c_padded channels) rounded up to 16: the row length of the widened kernel.
long astro_int8_depth(long k_h, long k_w, long in_c_padded);

/// int16 elements of scratch one astro_int8_conv_rows or astro_int8_vnni_conv_rows call needs.
size_t astro_int8_conv_scratch(const astro_int8_conv *p);

/// int16 elements of the packed kernel (blocks of 8 output channels, tap pairs interleaved).
size_t astro_int8_packed_weights(const astro_int8_conv *p);

/// Packs the widened kernel rows [out_c][depth] into the layout astro_int8_conv_rows reads.
void astro_int8_pack_weights(const astro_int8_conv *p, const short *rows, short *packed);

/// int16 elements of the widened input: (x − zp_in) with the zero padding every window needs (LONG_MAX when the
/// count overflows).
size_t astro_int8_widened_count(const astro_int8_conv *p);

/// Writes samples [sample_begin, sample_end) of the widened input.
void astro_int8_widen(const astro_int8_conv *p, const void *x, short *wide, long sample_begin, long sample_end);

/// The routes of astro_int8_conv_rows: plain loops, AVX2 (pmaddwd), AVX-VNNI (vpdpwssd, VEX: Alder Lake and
/// later, Zen 4 and later) and AVX-512 VNNI (vpdpwssd, EVEX: Ice Lake and later, Zen 4 and later).
enum { ASTRO_INT8_PORTABLE = 0, ASTRO_INT8_AVX2 = 1, ASTRO_INT8_AVX_VNNI = 2, ASTRO_INT8_AVX512_VNNI = 3 };

/// 1 when this CPU (and its OS) runs the route.
int astro_int8_route_supported(int route);

/// Writes output rows [row_begin, row_end) of the flattened (sample, output row) axis from the widened input
/// (astro_int8_widen): for each output channel c, Σ w·(x − zp_in) + bias[c], rescaled by LiteRT's MultiplyByQuantizedMultiplier(multiplier[c],
/// shift[c]), or, when `scale` is not NULL, by round(sum · scale[c]) in double as LiteRT's reference FULLY_CONNECTED
/// does, plus zp_out, clamped to [act_min, act_max]. `route` picks the sums' instruction set (the portable loops
/// when this CPU lacks it); every route gives the same bytes, as the integer sums do not depend on their order.
void astro_int8_conv_rows(const astro_int8_conv *p, const short *wide, const short *w, const int *bias,
                          const int *multiplier, const int *shift, const double *scale, void *y, long row_begin,
                          long row_end, short *scratch, int route);

/// The AVX-512 VNNI route of quantized convolutions (vpdpbusd, u8 × s8): the input shifted to uint8 (int8 values
/// + 128) with the padding holding the shifted zero point, the kernel as int8 in blocks of 16 channels × 4 taps.
/// Bytes of the packed kernel.
size_t astro_int8_vnni_packed_weights(const astro_int8_conv *p);

/// Packs the widened kernel rows (as for astro_int8_pack_weights) and writes each output channel's weight sum, which
/// the caller multiplies by the shifted zero point (input_zero_point, + 128 for int8) and subtracts from the bias.
/// Returns 0 when a weight does not fit in int8 (then the int16 routes must run the layer).
int astro_int8_vnni_pack_weights(const astro_int8_conv *p, const short *rows, signed char *packed, int *weight_sums);

/// Bytes of the shifted input (LONG_MAX when the count overflows), and its samples [sample_begin, sample_end) written
/// from x.
size_t astro_int8_vnni_input_bytes(const astro_int8_conv *p);
void astro_int8_vnni_prepare_input(const astro_int8_conv *p, const void *x, unsigned char *u, long sample_begin,
                                   long sample_end);

/// astro_int8_conv_rows on the VNNI route, from the shifted input and the packed kernel, with the bias already
/// corrected by the weight sums; scratch as astro_int8_conv_scratch says. Only where
/// astro_int8_route_supported(ASTRO_INT8_AVX512_VNNI); elsewhere it writes nothing.
void astro_int8_vnni_conv_rows(const astro_int8_conv *p, const unsigned char *u, const signed char *w, const int *bias,
                               const int *multiplier, const int *shift, const double *scale, void *y, long row_begin,
                               long row_end, short *scratch);

/// LiteRT's QUANTIZE of count floats: clamp(round(x / scale) + zero_point, low, high), rounding half away from zero,
/// NaN to the zero point; bytes of int8 (or uint8 when is_unsigned) values. `isa` picks the compiled loop (ASTRO_ISA_*).
void astro_quantize_floats(const float *x, long count, float scale, int zero_point, int low, int high, int is_unsigned,
                           unsigned char *out, int isa);

/// Σ x² in double over the values of x that are not NaN (summed in vector lanes: not in sequence).
double astro_sum_of_squares(const float *x, long count, int isa);

/// out[i · stride] = float(double(x[i]) / norm), 0 where x[i] is NaN.
void astro_divide_by_norm(const float *x, long count, double norm, float *out, long stride, int isa);

/// A max or average pool of a quantized NHWC tensor (input and output share scale and zero point).
typedef struct astro_int8_pool {
  long batch, in_h, in_w, channels;
  long filter_h, filter_w, stride_h, stride_w, pad_top, pad_left;
  long out_h, out_w;
  int average, is_unsigned;
  int act_min, act_max;
} astro_int8_pool;

/// Writes output rows [row_begin, row_end) of the flattened (sample, output row) axis. Every window must cover
/// at least one input element (true whenever out_h/out_w follow TensorFlow's padding rules).
void astro_int8_pool_rows(const astro_int8_pool *p, const void *x, void *y, long row_begin, long row_end);


#ifdef __cplusplus
}
#endif

#endif
