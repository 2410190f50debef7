// Batch normalisation's three passes as plain loops over channels, which the compiler vectorizes for whatever
// instruction set the including region targets. LoopKernels.cpp includes this file once per ISA, each time
// inside its own namespace (and, on x86, its own `#pragma clang attribute` target region): one source, one kernel
// per ISA. No include guard and no includes: the includer provides <stddef.h>.
//
// Forward statistics: one pass over x (each block of rows is summed, then re-read from cache for its squared
// deviations). Training backward: the two per-channel gradient sums in one pass over (x, dy, mask), then the
// input gradient in a second. Each masked loop has an unmasked twin: a `mask &&` test inside the loop kept the
// compiler from vectorizing the unmasked case (7-10x slower than the AVX-512 intrinsics these loops replace).

constexpr long kRowsPerBlock = 256;

inline void moments(const float *__restrict x, long c, long rowBegin, long rowEnd, float *__restrict block,
                    double *__restrict mean, double *__restrict m2) {
  float *__restrict blockMean = block, *__restrict deviation = block + c, *__restrict squares = block + 2 * c;
  for (long e = 0; e < c; e++) mean[e] = m2[e] = 0;
  // About 256 KB of rows a block, so the second pass reads them from L2.
  long blockRows = (1 << 16) / c < 16 ? 16 : (1 << 16) / c > kRowsPerBlock ? kRowsPerBlock : (1 << 16) / c;
  for (long start = rowBegin; start < rowEnd; start += blockRows) {
    long end = start + blockRows < rowEnd ? start + blockRows : rowEnd;
    long count = end - start, before = start - rowBegin;
    for (long e = 0; e < 3 * c; e++) block[e] = 0;
    for (long r = start; r < end; r++)
      for (long ch = 0; ch < c; ch++) blockMean[ch] += x[r * c + ch];
    for (long ch = 0; ch < c; ch++) blockMean[ch] /= float(count);
    // Deviations from the block's (rounded) mean, re-read while the rows are still in cache: no cancellation.
    for (long r = start; r < end; r++)
      for (long ch = 0; ch < c; ch++) {
        float d = x[r * c + ch] - blockMean[ch];
        deviation[ch] += d;
        squares[ch] += d * d;
      }
    // The block's exact mean and squared deviations, merged into the running ones (Chan et al.) in Double.
    for (long ch = 0; ch < c; ch++) {
      double d = deviation[ch], n = double(count), total = double(before + count);
      double exactMean = double(blockMean[ch]) + d / n, blockM2 = double(squares[ch]) - d * d / n;
      double delta = exactMean - mean[ch];
      mean[ch] += delta * n / total;
      m2[ch] += blockM2 + delta * delta * double(before) * n / total;
    }
  }
}

inline void gradientSums(const float *__restrict x, const float *__restrict dy, const float *__restrict mask, long c,
                         const float *__restrict mean, long rowBegin, long rowEnd, float *__restrict block,
                         double *__restrict sums) {
  for (long start = rowBegin; start < rowEnd; start += kRowsPerBlock) {
    long end = start + kRowsPerBlock < rowEnd ? start + kRowsPerBlock : rowEnd;
    for (long e = 0; e < 2 * c; e++) block[e] = 0;
    for (long r = start; r < end; r++) {
      const float *__restrict xr = x + r * c, *__restrict dyr = dy + r * c;
      if (mask) {
        const float *__restrict mr = mask + r * c;
        for (long ch = 0; ch < c; ch++) {
          float g = mr[ch] > 0 ? dyr[ch] : 0;
          block[ch] += g;
          block[c + ch] += g * (xr[ch] - mean[ch]);
        }
      } else {
        for (long ch = 0; ch < c; ch++) {
          block[ch] += dyr[ch];
          block[c + ch] += dyr[ch] * (xr[ch] - mean[ch]);
        }
      }
    }
    // Float within a block of rows, Double across blocks: accurate for the large row counts of early layers.
    for (long e = 0; e < 2 * c; e++) sums[e] += double(block[e]);
  }
}

inline void inputGradient(const float *__restrict x, const float *__restrict dy, const float *__restrict mask, long c,
                          const float *__restrict a, const float *__restrict b, const float *__restrict d, long rowBegin,
                          long rowEnd, float *__restrict dx) {
  for (long r = rowBegin; r < rowEnd; r++) {
    const float *__restrict xr = x + r * c, *__restrict dyr = dy + r * c;
    float *__restrict dxr = dx + r * c;
    if (mask) {
      const float *__restrict mr = mask + r * c;
      for (long ch = 0; ch < c; ch++) dxr[ch] = a[ch] * (mr[ch] > 0 ? dyr[ch] : 0) + (b[ch] * xr[ch] + d[ch]);
    } else {
      for (long ch = 0; ch < c; ch++) dxr[ch] = a[ch] * dyr[ch] + (b[ch] * xr[ch] + d[ch]);
    }
  }
}
