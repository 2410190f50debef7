// The ISA-free parts of the direct convolution kernels (DirectConvolution.cpp for AVX-512,
// DirectConvolutionAVX2.cpp for AVX2 + FMA): which input rows a block of windows reads and how they are prepared
// (zero columns, masks), how kernels are sliced and packed, and how kernel-gradient rows are grouped.
#ifndef ASTRO_CONVOLUTION_ROWS_H
#define ASTRO_CONVOLUTION_ROWS_H

#include "AstroKernelsC.h"
#include <string.h>

namespace {

constexpr long kMaxKernelHeight = 16;

/// Columns a row of windows spans: (out_w - 1) * stride + k_w.
inline long paddedWidth(const astro_conv_shape &s) { return (s.out_w - 1) * s.stride_w + s.k_w; }

/// dst = mask > 0 ? src : 0 over `count` floats (a ReLU's backward applied to an input row). src is read
/// whatever the mask says: a load only where the mask is positive cannot be vectorized without masked loads, and
/// the scalar loop took a quarter of VGG6's training step.
inline void copyMaskedRow(float *__restrict dst, const float *__restrict src, const float *__restrict mask, long count) {
  for (long i = 0; i < count; i++) {
    float value = src[i];
    dst[i] = mask[i] > 0 ? value : 0;
  }
}

/// Which input rows the scratch slots hold: slot i keeps a row with index ≡ i (mod k_h), so the k_h rows of
/// one window row (consecutive indices) never share a slot, and the next output row finds all but `stride`
/// of them already copied.
struct RowSlots {
  long held[kMaxKernelHeight];
  RowSlots() {
    for (long &h : held) h = -1;
  }
};

/// Whether the windows need prepared copies of input rows: they reach past the left or right edge (zero
/// columns added), or an input mask zeroes elements.
inline bool needsRowCopies(const astro_conv_shape &s, const float *mask) {
  return s.pad_left > 0 || paddedWidth(s) > s.in_w || mask;
}

/// Writes input row `iy` of sample n as the windows see it from column 0: zero columns on either side, and
/// masked elements zeroed when there is a mask.
inline void copyRow(const astro_conv_shape &s, const float *x, const float *mask, long n, long iy, float *dst) {
  long width = paddedWidth(s);
  long offset = (n * s.in_h + iy) * s.in_w * s.in_c;
  long left = s.pad_left < width ? s.pad_left : width;
  long inside = s.in_w < width - left ? s.in_w : width - left;
  memset(dst, 0, size_t(left * s.in_c) * sizeof(float));
  if (mask)
    copyMaskedRow(dst + left * s.in_c, x + offset, mask + offset, inside * s.in_c);
  else
    memcpy(dst + left * s.in_c, x + offset, size_t(inside * s.in_c) * sizeof(float));
  memset(dst + (left + inside) * s.in_c, 0, size_t((width - left - inside) * s.in_c) * sizeof(float));
}

/// Input row `iy` of sample n as the windows see it from column 0: the input itself, or a copy in a scratch
/// slot (made only if the slot does not hold that row already).
inline const float *preparedRow(const astro_conv_shape &s, const float *x, const float *mask, long n, long iy,
                                float *scratch, RowSlots &slots) {
  if (!needsRowCopies(s, mask)) return x + (n * s.in_h + iy) * s.in_w * s.in_c;
  long slot = iy % s.k_h, id = n * s.in_h + iy;
  float *dst = scratch + slot * paddedWidth(s) * s.in_c;
  if (slots.held[slot] != id) {
    slots.held[slot] = id;
    copyRow(s, x, mask, n, iy, dst);
  }
  return dst;
}

/// Points rows[ky] at the prepared input rows of output row `row` (flattened over samples) and returns the
/// valid ky range: rows above or below the image are skipped (they are zero).
inline void prepareRows(const astro_conv_shape &s, const float *x, const float *mask, long row, float *scratch,
                        RowSlots &slots, const float **rows, long &kyBegin, long &kyEnd) {
  long n = row / s.out_h, oy = row % s.out_h;
  long iy0 = oy * s.stride_h - s.pad_top;
  kyBegin = iy0 < 0 ? -iy0 : 0;
  kyEnd = s.in_h - iy0 < s.k_h ? s.in_h - iy0 : s.k_h;
  for (long ky = kyBegin; ky < kyEnd; ky++) rows[ky] = preparedRow(s, x, mask, n, iy0 + ky, scratch, slots);
}

/// The weights of output channels [first, first + width): the whole HWIO kernel (first 0, stride out_c), or a
/// packed slice of it (stride = the slice's width, so its taps lie contiguous).
struct KernelSlice {
  const float *w;
  long stride, first;
};

/// Copies the weights of output channels [first, first + width) into `packed`, [k_h·k_w·in_c][width].
inline KernelSlice packKernelSlice(const astro_conv_shape &s, const float *w, long first, long width,
                                   float *packed) {
  long taps = s.k_h * s.k_w * s.in_c;
  for (long t = 0; t < taps; t++) memcpy(packed + t * width, w + t * s.out_c + first, size_t(width) * sizeof(float));
  return KernelSlice{packed, width, first};
}

/// Output rows whose kernel-gradient contributions are summed in registers before dw is updated: dw is
/// read and written once per group instead of once per row (ResNet50's last 3x3 kernels are 9.4 MB, their
/// rows 5 pixels).
constexpr long kMaxGroupRows = 64;
constexpr long kGroupPixels = 256;
/// Kernels up to this size stay in a core's L2 cache when read or updated once per output row. Above it, the
/// forward pass runs in slices of kSliceChannels output channels (at most 1.2 MB a slice in ResNet50), and the
/// kernel gradient is summed over groups of rows. The kernel's own layout matters here, not only its size:
/// its taps lie out_c floats apart (1-2 KB in ResNet50's late stages), so they fall into a fraction of the
/// cache sets and a 2.4 MB kernel thrashed a 2 MB L2 (measured on Sapphire Rapids).
constexpr long kSmallKernelBytes = 1 << 20;
constexpr long kSliceChannels = 64;

inline long kernelBytes(const astro_conv_shape &s) { return s.k_h * s.k_w * s.in_c * s.out_c * long(sizeof(float)); }

/// Floats of the forward pass's prepared input rows (one slot per kernel row).
inline long rowScratchFloats(const astro_conv_shape &s) { return s.k_h * paddedWidth(s) * s.in_c; }

/// Rows per group for this shape: about kGroupPixels output pixels.
inline long groupRows(const astro_conv_shape &s) {
  long rows = (kGroupPixels + s.out_w - 1) / s.out_w;
  return rows < kMaxGroupRows ? rows : kMaxGroupRows;
}

/// For each kernel row ky, the (input row, dy row) pairs of a group of output rows.
struct RowPairs {
  const float *xs[kMaxKernelHeight][kMaxGroupRows];
  const float *dys[kMaxKernelHeight][kMaxGroupRows];
  long count[kMaxKernelHeight] = {};

  void add(const float *const *rows, long kyBegin, long kyEnd, const float *dyRow) {
    for (long ky = kyBegin; ky < kyEnd; ky++) {
      xs[ky][count[ky]] = rows[ky];
      dys[ky][count[ky]++] = dyRow;
    }
  }
};

/// One output row's channels [coBegin, coEnd) from its prepared input rows (an ISA's vector kernel).
using ForwardRowFunction = void (*)(const astro_conv_shape &, const float *const *, long, long, KernelSlice, const float *,
                                    bool, float *, long, long);

/// The forward pass over output rows [rowBegin, rowEnd) with `forwardRow` for the arithmetic. A kernel that does
/// not stay in L2 is applied one slice of output channels at a time, each slice passing over all the rows: with
/// row after row, ResNet50's stage-5 3x3 kernel (9.4 MB) was read from L3 once per 5-pixel row, and the layer ran
/// at a third of the FMA rate. The slice is packed so that its taps lie contiguous: read with the kernel's own
/// stride (out_c floats, 2 KB for 512 channels), a slice's rows fall into a few cache sets and evict each other.
inline void forwardRows(const astro_conv_shape *s, const float *x, const float *x_mask, const float *w, int w_packed,
                        const float *bias, int relu, float *y, long rowBegin, long rowEnd, float *scratch,
                        ForwardRowFunction forwardRow) {
  const float *rows[kMaxKernelHeight];
  RowSlots slots;
  bool sliced = kernelBytes(*s) > kSmallKernelBytes;
  long width = sliced ? kSliceChannels : s->out_c;
  for (long co = 0; co < s->out_c; co += width) {
    long coEnd = co + width < s->out_c ? co + width : s->out_c;
    long taps = s->k_h * s->k_w * s->in_c;
    KernelSlice k = !sliced ? KernelSlice{w, s->out_c, 0}
                    : w_packed ? KernelSlice{w + taps * co, coEnd - co, co}
                               : packKernelSlice(*s, w, co, coEnd - co, scratch + rowScratchFloats(*s));
    for (long row = rowBegin; row < rowEnd; row++) {
      long kyBegin, kyEnd;
      prepareRows(*s, x, x_mask, row, scratch, slots, rows, kyBegin, kyEnd);
      forwardRow(*s, rows, kyBegin, kyEnd, k, bias, relu != 0, y + row * s->out_w * s->out_c, co, coEnd);
    }
  }
}

/// An ISA's vector kernels for the kernel gradient: masking a dy row, a row's bias gradient, a group's pairs.
struct KernelGradientFunctions {
  void (*copyMasked)(float *dst, const float *src, const float *mask, long count);
  void (*biasGradientRow)(const float *dyRow, long outW, long outC, float *db);
  void (*kernelGradientPairs)(const astro_conv_shape &s, const RowPairs &pairs, float *dw);
};

/// dw (and db) += the contributions of output rows [rowBegin, rowEnd), a group of rows at a time. Scratch: up to
/// group * k_h prepared input rows (each distinct (sample, row) copied once per group), then the group's masked
/// dy rows.
inline void kernelGradientRows(const astro_conv_shape *s, const float *x, const float *dy, const float *dy_mask, float *dw,
                               float *db, long rowBegin, long rowEnd, float *scratch, KernelGradientFunctions f) {
  long group = groupRows(*s), width = paddedWidth(*s);
  bool copies = needsRowCopies(*s, nullptr);
  float *maskedRows = scratch + group * s->k_h * width * s->in_c;
  long held[kMaxGroupRows * kMaxKernelHeight];
  for (long g0 = rowBegin; g0 < rowEnd; g0 += group) {
    long g1 = g0 + group < rowEnd ? g0 + group : rowEnd, used = 0;
    RowPairs pairs;
    for (long row = g0; row < g1; row++) {
      long n = row / s->out_h, iy0 = (row % s->out_h) * s->stride_h - s->pad_top;
      long kyBegin = iy0 < 0 ? -iy0 : 0, kyEnd = s->in_h - iy0 < s->k_h ? s->in_h - iy0 : s->k_h;
      const float *rows[kMaxKernelHeight];
      for (long ky = kyBegin; ky < kyEnd; ky++) {
        long id = n * s->in_h + iy0 + ky;
        if (!copies) {
          rows[ky] = x + id * s->in_w * s->in_c;
          continue;
        }
        long slot = 0;
        while (slot < used && held[slot] != id) slot++;
        float *dst = scratch + slot * width * s->in_c;
        if (slot == used) {
          held[used++] = id;
          copyRow(*s, x, nullptr, n, iy0 + ky, dst);
        }
        rows[ky] = dst;
      }
      const float *dyRow = dy + row * s->out_w * s->out_c;
      if (dy_mask) {
        float *masked = maskedRows + (row - g0) * s->out_w * s->out_c;
        f.copyMasked(masked, dyRow, dy_mask + row * s->out_w * s->out_c, s->out_w * s->out_c);
        dyRow = masked;
      }
      if (db) f.biasGradientRow(dyRow, s->out_w, s->out_c, db);
      pairs.add(rows, kyBegin, kyEnd, dyRow);
    }
    f.kernelGradientPairs(*s, pairs, dw);
  }
}

}  // namespace

#endif  // ASTRO_CONVOLUTION_ROWS_H
