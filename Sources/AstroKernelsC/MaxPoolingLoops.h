// Max pooling that records each window's arg-max (one byte per output element), so the backward pass writes the
// input gradient once instead of re-reading the input to find the maxima: plain loops over channels, which the
// compiler vectorizes for whatever instruction set the including region targets. LoopKernels.cpp includes this file
// once per ISA inside its own namespace (as BatchNormalizationLoops.h). No include guard; the includer provides
// AstroKernelsC.h and <string.h>.

/// A window of output (oy, ox), clipped to the input: first row/column and extent.
struct Window {
  long top, left, rows, cols;
};

inline Window window(const astro_conv_shape &s, long oy, long ox) {
  long top = oy * s.stride_h - s.pad_top, left = ox * s.stride_w - s.pad_left;
  long bottom = top + s.k_h < s.in_h ? top + s.k_h : s.in_h, right = left + s.k_w < s.in_w ? left + s.k_w : s.in_w;
  if (top < 0) top = 0;
  if (left < 0) left = 0;
  return {top, left, bottom - top, right - left};
}

/// With argmax (training), each window's maximum and its first position in row-major order (strictly greater
/// replaces, so on ties the first element keeps the maximum, as TensorFlow does); without (inference), the maxima.
inline void maxPoolForward(const astro_conv_shape &s, const float *x, float *y, unsigned char *argmax, long sampleBegin,
                           long sampleEnd) {
  const long c = s.in_c;
  for (long n = sampleBegin; n < sampleEnd; n++) {
    const float *xs = x + n * s.in_h * s.in_w * c;
    for (long oy = 0; oy < s.out_h; oy++)
      for (long ox = 0; ox < s.out_w; ox++) {
        Window w = window(s, oy, ox);
        long o = ((n * s.out_h + oy) * s.out_w + ox) * c;
        float *__restrict best = y + o;
        const float *__restrict first = xs + (w.top * s.in_w + w.left) * c;
        for (long ch = 0; ch < c; ch++) best[ch] = first[ch];
        if (c % 16 == 0) {
          // Whole 16-float vectors: each window's maximum (and arg-max) stays in registers until its one store.
          for (long c0 = 0; c0 < c; c0 += 16) {
            float m[16], index[16];
            for (int ch = 0; ch < 16; ch++) m[ch] = first[c0 + ch], index[ch] = 0;
            for (long i = 0; i < w.rows; i++)
              for (long j = 0; j < w.cols; j++) {
                const float *__restrict v = xs + ((w.top + i) * s.in_w + w.left + j) * c + c0;
                const float at = float(i * w.cols + j);
                for (int ch = 0; ch < 16; ch++) {
                  bool better = v[ch] > m[ch];
                  m[ch] = better ? v[ch] : m[ch];
                  index[ch] = better ? at : index[ch];
                }
              }
            for (int ch = 0; ch < 16; ch++) best[c0 + ch] = m[ch];
            if (argmax)
              for (int ch = 0; ch < 16; ch++) argmax[o + c0 + ch] = (unsigned char)index[ch];
          }
        } else if (argmax) {
          // The arg-max is tracked as a float beside the values (same-width lanes: the select vectorizes; with
          // byte lanes it stayed scalar), 64 channels at a time, then stored as bytes.
          for (long c0 = 0; c0 < c; c0 += 64) {
            const long width = c - c0 < 64 ? c - c0 : 64;
            float index[64];
            for (long ch = 0; ch < width; ch++) index[ch] = 0;
            for (long i = 0; i < w.rows; i++)
              for (long j = 0; j < w.cols; j++) {
                const float *__restrict v = xs + ((w.top + i) * s.in_w + w.left + j) * c + c0;
                const float at = float(i * w.cols + j);
                for (long ch = 0; ch < width; ch++) {
                  bool better = v[ch] > best[c0 + ch];
                  best[c0 + ch] = better ? v[ch] : best[c0 + ch];
                  index[ch] = better ? at : index[ch];
                }
              }
            for (long ch = 0; ch < width; ch++) argmax[o + c0 + ch] = (unsigned char)index[ch];
          }
        } else {
          for (long i = 0; i < w.rows; i++)
            for (long j = 0; j < w.cols; j++) {
              const float *__restrict v = xs + ((w.top + i) * s.in_w + w.left + j) * c;
              for (long ch = 0; ch < c; ch++) best[ch] = v[ch] > best[ch] ? v[ch] : best[ch];
            }
        }
      }
  }
}

/// Writes dx for samples [sampleBegin, sampleEnd): each output gradient at its window's arg-max, 0 elsewhere.
inline void maxPoolBackward(const astro_conv_shape &s, const unsigned char *argmax, const float *dy, float *dx,
                            long sampleBegin, long sampleEnd) {
  const long c = s.in_c;
  // Windows that tile the input (stride = window, no padding) write every element they cover, zeros included;
  // otherwise (overlapping or padded windows) the gradient is zeroed first and accumulated.
  const bool tiles = s.stride_h == s.k_h && s.stride_w == s.k_w && s.pad_top == 0 && s.pad_left == 0;
  const long sampleSize = s.in_h * s.in_w * c;
  for (long n = sampleBegin; n < sampleEnd; n++) {
    float *dxs = dx + n * sampleSize;
    if (!tiles) {
      memset(dxs, 0, size_t(sampleSize) * sizeof(float));
    } else {
      // Rows and columns past the last window get no gradient.
      long coveredRows = s.out_h * s.k_h, coveredCols = s.out_w * s.k_w;
      for (long iy = 0; iy < s.in_h; iy++) {
        if (iy >= coveredRows)
          memset(dxs + iy * s.in_w * c, 0, size_t(s.in_w * c) * sizeof(float));
        else if (coveredCols < s.in_w)
          memset(dxs + (iy * s.in_w + coveredCols) * c, 0, size_t((s.in_w - coveredCols) * c) * sizeof(float));
      }
    }
    for (long oy = 0; oy < s.out_h; oy++)
      for (long ox = 0; ox < s.out_w; ox++) {
        Window w = window(s, oy, ox);
        long o = ((n * s.out_h + oy) * s.out_w + ox) * c;
        if (tiles && c % 16 == 0) {  // whole 16-float vectors, every element of the window written once
          for (long c0 = 0; c0 < c; c0 += 16) {
            float where[16], g[16];
            for (int ch = 0; ch < 16; ch++) where[ch] = float(argmax[o + c0 + ch]), g[ch] = dy[o + c0 + ch];
            for (long i = 0; i < w.rows; i++)
              for (long j = 0; j < w.cols; j++) {
                float *__restrict d = dxs + ((w.top + i) * s.in_w + w.left + j) * c + c0;
                const float index = float(i * w.cols + j);
                for (int ch = 0; ch < 16; ch++) d[ch] = where[ch] == index ? g[ch] : 0;
              }
          }
          continue;
        }
        // The recorded arg-max widened to floats, 64 channels at a time: same-width lanes as the gradient.
        for (long c0 = 0; c0 < c; c0 += 64) {
          const long width = c - c0 < 64 ? c - c0 : 64;
          const float *__restrict g = dy + o + c0;
          float where[64];
          for (long ch = 0; ch < width; ch++) where[ch] = float(argmax[o + c0 + ch]);
          for (long i = 0; i < w.rows; i++)
            for (long j = 0; j < w.cols; j++) {
              float *__restrict d = dxs + ((w.top + i) * s.in_w + w.left + j) * c + c0;
              const float index = float(i * w.cols + j);
              if (tiles) {
                for (long ch = 0; ch < width; ch++) d[ch] = where[ch] == index ? g[ch] : 0;
              } else {
                for (long ch = 0; ch < width; ch++) d[ch] += where[ch] == index ? g[ch] : 0;
              }
            }
        }
      }
  }
}
