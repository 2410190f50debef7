// The arm64 kernels of AstroKernelsC (the NEON convolutions, and the batch-norm and max-pooling loops compiled for
// arm64) against naive references, built for aarch64 and run under qemu-aarch64 by
// `make check-arm64` (no arm64 machine is needed). Plain C library only: the cross toolchain has no arm64 C++
// standard library. Prints one line per kernel and exits 1 on the first mismatch, naming the shape.
#include "AstroKernelsC.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

namespace {

unsigned long long state = 0x9E3779B97F4A7C15ull;

/// A uniform float in [-1, 1) (SplitMix64).
float uniform() {
  unsigned long long z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return float(z >> 40) / float(1 << 24) * 2 - 1;
}

float *randomArray(long count) {
  float *a = (float *)malloc(size_t(count) * sizeof(float));
  for (long i = 0; i < count; i++) a[i] = uniform();
  return a;
}

struct Case {
  long batch, in_h, in_w, in_c, k_h, k_w, stride, pad, out_c;
};

long outputSize(long in, long k, long stride, long pad) { return (in + 2 * pad - k) / stride + 1; }

astro_conv_shape shapeOf(const Case &c) {
  astro_conv_shape s;
  s.batch = c.batch, s.in_h = c.in_h, s.in_w = c.in_w, s.in_c = c.in_c;
  s.k_h = c.k_h, s.k_w = c.k_w, s.stride_h = c.stride, s.stride_w = c.stride, s.pad_top = c.pad, s.pad_left = c.pad;
  s.out_h = outputSize(c.in_h, c.k_h, c.stride, c.pad), s.out_w = outputSize(c.in_w, c.k_w, c.stride, c.pad);
  s.out_c = c.out_c;
  return s;
}

/// x[n, iy, ix, ci], 0 outside the image or where the mask is not positive.
float inputAt(const astro_conv_shape &s, const float *x, const float *mask, long n, long iy, long ix, long ci) {
  if (iy < 0 || iy >= s.in_h || ix < 0 || ix >= s.in_w) return 0;
  long i = ((n * s.in_h + iy) * s.in_w + ix) * s.in_c + ci;
  return mask && !(mask[i] > 0) ? 0 : x[i];
}

/// Largest |a − b| over `count` values, relative to the largest |b| (at least 1).
double relativeError(const float *a, const float *b, long count) {
  double worst = 0, scale = 1;
  for (long i = 0; i < count; i++) {
    worst = fmax(worst, fabs(double(a[i]) - b[i]));
    scale = fmax(scale, fabs(double(b[i])));
  }
  return worst / scale;
}

bool checkForward(const Case &c, bool masked, bool relu, bool packed, double &worst) {
  astro_conv_shape s = shapeOf(c);
  long xCount = s.batch * s.in_h * s.in_w * s.in_c, wCount = s.k_h * s.k_w * s.in_c * s.out_c;
  long yCount = s.batch * s.out_h * s.out_w * s.out_c;
  float *x = randomArray(xCount), *mask = masked ? randomArray(xCount) : nullptr, *w = randomArray(wCount);
  float *bias = randomArray(s.out_c), *y = (float *)malloc(size_t(yCount) * sizeof(float));
  float *expected = (float *)malloc(size_t(yCount) * sizeof(float));
  for (long n = 0; n < s.batch; n++)
    for (long oy = 0; oy < s.out_h; oy++)
      for (long ox = 0; ox < s.out_w; ox++)
        for (long co = 0; co < s.out_c; co++) {
          double sum = bias[co];
          for (long ky = 0; ky < s.k_h; ky++)
            for (long kx = 0; kx < s.k_w; kx++)
              for (long ci = 0; ci < s.in_c; ci++)
                sum += double(inputAt(s, x, mask, n, oy * s.stride_h - s.pad_top + ky, ox * s.stride_w - s.pad_left + kx, ci)) *
                       w[((ky * s.k_w + kx) * s.in_c + ci) * s.out_c + co];
          expected[((n * s.out_h + oy) * s.out_w + ox) * s.out_c + co] = float(relu && sum < 0 ? 0 : sum);
        }
  size_t packedFloats = astro_conv_packed_kernel_floats(&s);
  float *kernel = w;
  if (packed && packedFloats > 0) {
    kernel = (float *)malloc(packedFloats * sizeof(float));
    astro_conv_pack_kernel(&s, w, kernel);
  }
  float *scratch = (float *)malloc(astro_conv_scratch_floats(&s) * sizeof(float));
  // Two calls over halves of the rows, as two workers would make them.
  long rows = s.batch * s.out_h;
  astro_neon_conv_forward_rows(&s, x, mask, kernel, kernel != w, bias, relu, y, 0, rows / 2, scratch);
  astro_neon_conv_forward_rows(&s, x, mask, kernel, kernel != w, bias, relu, y, rows / 2, rows, scratch);
  double error = relativeError(y, expected, yCount);
  worst = fmax(worst, error);
  if (kernel != w) free(kernel);
  free(x), free(mask), free(w), free(bias), free(y), free(expected), free(scratch);
  return error < 1e-5;
}

bool checkKernelGradient(const Case &c, bool masked, double &worst) {
  astro_conv_shape s = shapeOf(c);
  long xCount = s.batch * s.in_h * s.in_w * s.in_c, wCount = s.k_h * s.k_w * s.in_c * s.out_c;
  long yCount = s.batch * s.out_h * s.out_w * s.out_c;
  float *x = randomArray(xCount), *dy = randomArray(yCount), *mask = masked ? randomArray(yCount) : nullptr;
  float *dw = (float *)calloc(size_t(wCount + s.out_c), sizeof(float)), *db = dw + wCount;
  double *expected = (double *)calloc(size_t(wCount + s.out_c), sizeof(double));
  for (long n = 0; n < s.batch; n++)
    for (long oy = 0; oy < s.out_h; oy++)
      for (long ox = 0; ox < s.out_w; ox++)
        for (long co = 0; co < s.out_c; co++) {
          long i = ((n * s.out_h + oy) * s.out_w + ox) * s.out_c + co;
          double g = mask && !(mask[i] > 0) ? 0 : dy[i];
          expected[wCount + co] += g;
          for (long ky = 0; ky < s.k_h; ky++)
            for (long kx = 0; kx < s.k_w; kx++)
              for (long ci = 0; ci < s.in_c; ci++)
                expected[((ky * s.k_w + kx) * s.in_c + ci) * s.out_c + co] +=
                  g * inputAt(s, x, nullptr, n, oy * s.stride_h - s.pad_top + ky, ox * s.stride_w - s.pad_left + kx, ci);
        }
  float *scratch = (float *)malloc(astro_conv_scratch_floats(&s) * sizeof(float));
  long rows = s.batch * s.out_h;
  astro_neon_conv_kernel_gradient_rows(&s, x, dy, mask, dw, db, 0, rows / 3, scratch);
  astro_neon_conv_kernel_gradient_rows(&s, x, dy, mask, dw, db, rows / 3, rows, scratch);
  float *want = (float *)malloc(size_t(wCount + s.out_c) * sizeof(float));
  for (long i = 0; i < wCount + s.out_c; i++) want[i] = float(expected[i]);
  double error = relativeError(dw, want, wCount + s.out_c);
  worst = fmax(worst, error);
  free(x), free(dy), free(mask), free(dw), free(expected), free(scratch), free(want);
  return error < 1e-5;
}

/// Batch-norm moments, gradient sums and input gradient (the loops compiled for arm64) against double sums.
bool checkBatchNorm(long rows, long c, bool masked, double &worst) {
  float *x = randomArray(rows * c), *dy = randomArray(rows * c), *mask = masked ? randomArray(rows * c) : nullptr;
  float *block = (float *)malloc(size_t(3 * c) * sizeof(float)), *dx = (float *)malloc(size_t(rows * c) * sizeof(float));
  double *mean = (double *)calloc(size_t(c), sizeof(double)), *m2 = (double *)calloc(size_t(c), sizeof(double));
  double *sums = (double *)calloc(size_t(2 * c), sizeof(double));
  float *meanF = (float *)malloc(size_t(c) * sizeof(float)), *a = randomArray(c), *b = randomArray(c), *d = randomArray(c);
  astro_bn_moments(x, c, 0, rows, block, mean, m2, ASTRO_ISA_NEON);
  for (long ch = 0; ch < c; ch++) meanF[ch] = float(mean[ch]);
  astro_bn_gradient_sums(x, dy, mask, c, meanF, 0, rows, block, sums, ASTRO_ISA_NEON);
  astro_bn_input_gradient(x, dy, mask, c, a, b, d, 0, rows, dx, ASTRO_ISA_NEON);
  double error = 0;
  for (long ch = 0; ch < c; ch++) {
    double sum = 0, squares = 0, sumDy = 0, sumDyX = 0;
    for (long r = 0; r < rows; r++) sum += x[r * c + ch];
    double exactMean = sum / double(rows);
    for (long r = 0; r < rows; r++) {
      long i = r * c + ch;
      double g = mask && !(mask[i] > 0) ? 0 : dy[i];
      squares += (x[i] - exactMean) * (x[i] - exactMean);
      sumDy += g;
      sumDyX += g * (x[i] - meanF[ch]);
      double want = a[ch] * g + b[ch] * double(x[i]) + d[ch];
      error = fmax(error, fabs(dx[i] - want) / fmax(1, fabs(want)));
    }
    error = fmax(error, fabs(mean[ch] - exactMean) / fmax(1, fabs(exactMean)));
    error = fmax(error, fabs(m2[ch] - squares) / fmax(1, squares));
    error = fmax(error, fabs(sums[ch] - sumDy) / fmax(1, fabs(sumDy)));
    error = fmax(error, fabs(sums[c + ch] - sumDyX) / fmax(1, fabs(sumDyX)));
  }
  worst = fmax(worst, error);
  free(x), free(dy), free(mask), free(block), free(dx), free(mean), free(m2), free(sums), free(meanF), free(a), free(b), free(d);
  return error < 1e-4;
}

/// Max pooling with arg-max (the loops compiled for arm64) against a naive window scan: the maxima, the first
/// position of each (values on a coarse grid, so ties are common), and the gradient routed there.
bool checkMaxPooling(const Case &c) {
  astro_conv_shape s = shapeOf(c);
  s.out_c = s.in_c;
  long xCount = s.batch * s.in_h * s.in_w * s.in_c, yCount = s.batch * s.out_h * s.out_w * s.in_c;
  float *x = randomArray(xCount), *dy = randomArray(yCount);
  for (long i = 0; i < xCount; i++) x[i] = float(int(x[i] * 3));
  float *y = (float *)malloc(size_t(yCount) * sizeof(float)), *dx = (float *)malloc(size_t(xCount) * sizeof(float));
  float *expectedDx = (float *)calloc(size_t(xCount), sizeof(float));
  unsigned char *argmax = (unsigned char *)malloc(size_t(yCount));
  astro_maxpool_forward(&s, x, y, argmax, 0, s.batch, ASTRO_ISA_NEON);
  astro_maxpool_backward(&s, argmax, dy, dx, 0, s.batch, ASTRO_ISA_NEON);
  bool ok = true;
  for (long n = 0; n < s.batch; n++)
    for (long oy = 0; oy < s.out_h; oy++)
      for (long ox = 0; ox < s.out_w; ox++)
        for (long ch = 0; ch < s.in_c; ch++) {
          long top = oy * s.stride_h - s.pad_top, left = ox * s.stride_w - s.pad_left;
          long y0 = top < 0 ? 0 : top, x0 = left < 0 ? 0 : left;
          long y1 = top + s.k_h < s.in_h ? top + s.k_h : s.in_h, x1 = left + s.k_w < s.in_w ? left + s.k_w : s.in_w;
          float best = -INFINITY;
          long where = 0, bestIndex = 0;
          for (long iy = y0; iy < y1; iy++)
            for (long ix = x0; ix < x1; ix++) {
              long i = ((n * s.in_h + iy) * s.in_w + ix) * s.in_c + ch;
              if (x[i] > best) best = x[i], where = (iy - y0) * (x1 - x0) + (ix - x0), bestIndex = i;
            }
          long o = ((n * s.out_h + oy) * s.out_w + ox) * s.in_c + ch;
          expectedDx[bestIndex] += dy[o];
          ok = ok && y[o] == best && argmax[o] == where;
        }
  for (long i = 0; i < xCount; i++) ok = ok && dx[i] == expectedDx[i];
  free(x), free(dy), free(y), free(dx), free(expectedDx), free(argmax);
  return ok;
}

}  // namespace

int main() {
  const Case cases[] = {
    {2, 13, 11, 3, 3, 3, 1, 1, 16},    // braai's first layer, SAME padding
    {2, 12, 12, 16, 3, 3, 1, 0, 32},   // VALID, 16 → 32 channels
    {1, 9, 10, 8, 3, 3, 2, 1, 12},     // stride 2, three vectors
    {2, 7, 8, 5, 1, 1, 1, 0, 4},       // 1x1, one vector
    {1, 8, 8, 4, 5, 5, 1, 2, 20},      // 5x5 window, 16 + 4 channels
    {1, 4, 5, 128, 3, 3, 1, 1, 256},   // a kernel over 1 MB: sliced and packed
    {3, 20, 23, 1, 7, 7, 2, 3, 8},     // DeepStreaks-like single channel, 7x7 stride 2
  };
  int shapes = 0;
  double forwardError = 0, gradientError = 0;
  for (const Case &c : cases) {
    astro_conv_shape s = shapeOf(c);
    if (!astro_neon_conv_supported(&s)) {
      printf("FAIL: astro_neon_conv_supported refuses %ldx%ldx%ld k%ld s%ld p%ld -> %ld\n", c.in_h, c.in_w, c.in_c, c.k_h,
             c.stride, c.pad, c.out_c);
      return 1;
    }
    for (int variant = 0; variant < 4; variant++) {
      bool masked = variant & 1, relu = variant & 2;
      if (!checkForward(c, masked, relu, variant == 3, forwardError) || !checkKernelGradient(c, masked, gradientError)) {
        printf("FAIL: %ldx%ldx%ldx%ld k%ldx%ld stride %ld pad %ld -> %ld channels (mask %d, relu %d): relative error %.3g / %.3g\n",
               c.batch, c.in_h, c.in_w, c.in_c, c.k_h, c.k_w, c.stride, c.pad, c.out_c, masked, relu, forwardError, gradientError);
        return 1;
      }
    }
    shapes++;
  }
  astro_conv_shape odd = shapeOf({1, 5, 5, 3, 3, 3, 1, 1, 6});
  if (astro_neon_conv_supported(&odd)) {
    printf("FAIL: 6 output channels are not whole NEON vectors, yet astro_neon_conv_supported takes them\n");
    return 1;
  }
  double bnError = 0;
  const long channelCounts[] = {5, 16, 37, 64};
  for (long c : channelCounts)
    for (int masked = 0; masked < 2; masked++)
      if (!checkBatchNorm(1000, c, masked, bnError)) {
        printf("FAIL: batch norm, %ld channels (mask %d): relative error %.3g\n", c, masked, bnError);
        return 1;
      }
  const Case pools[] = {
    {2, 59, 59, 16, 2, 2, 2, 0, 0},  // VGG6: a row and a column past the last window
    {1, 9, 11, 17, 3, 3, 2, 1, 0},   // overlapping, padded windows
    {2, 25, 25, 70, 4, 4, 4, 0, 0},  // 64 channels + a tail of 6
  };
  for (const Case &c : pools)
    if (!checkMaxPooling(c)) {
      printf("FAIL: max pooling %ldx%ldx%ld window %ld stride %ld pad %ld\n", c.in_h, c.in_w, c.in_c, c.k_h, c.stride, c.pad);
      return 1;
    }
  printf("neon conv forward: %d shapes x 4 variants, max relative error %.2g\n", shapes, forwardError);
  printf("neon conv kernel gradient: %d shapes x 2 variants, max relative error %.2g\n", shapes, gradientError);
  printf("batch norm (arm64 loops): 4 channel counts x 2 variants, max relative error %.2g\n", bnError);
  printf("max pooling with arg-max (arm64 loops): 3 shapes, exact\n");
  return 0;
}
