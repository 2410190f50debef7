// Cutout normalisation (braai's per-row or per-image L2 norm, NaN masked) as plain loops, compiled per ISA by
// LoopKernels.cpp (included inside a namespace there: no include guard, no includes).

/// Σ x² in double over the values of x that are not NaN. The sum may be reassociated (vector lanes): numpy's own
/// pairwise sum differs from a sequential one in the last bits too.
inline double sumOfSquaresSkippingNaN(const float *__restrict x, long count) {
#pragma clang fp reassociate(on)
  double sum = 0;
  for (long i = 0; i < count; i++) {
    double v = double(x[i]);
    sum += x[i] != x[i] ? 0.0 : v * v;
  }
  return sum;
}

/// out[i · stride] = x[i] / norm, divided in double and rounded to float; NaN gives 0.
inline void divideSkippingNaN(const float *__restrict x, long count, double norm, float *__restrict out, long stride) {
  float row[256];
  for (long start = 0; start < count; start += 256) {
    long n = count - start < 256 ? count - start : 256;
    for (long i = 0; i < n; i++) row[i] = x[start + i] != x[start + i] ? 0.0f : float(double(x[start + i]) / norm);
    for (long i = 0; i < n; i++) out[(start + i) * stride] = row[i];
  }
}
