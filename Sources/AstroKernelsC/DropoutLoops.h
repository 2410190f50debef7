// Dropout masks from a counter-based hash, as plain loops compiled per ISA by LoopKernels.cpp (included inside a
// namespace there: no include guard, no includes). Element i's draw depends only on (key, i), so any split of the
// range over threads, and every ISA, gives the same mask.

/// SplitMix64's output function applied to (key + word·golden): 64 bits, four 16-bit draws.
inline unsigned long long dropoutHash(unsigned long long key, unsigned long long word) {
  unsigned long long z = key + word * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// Element i: kept (mask = scale, y = x·scale) when draw (i mod 4) of word i / 4 is below threshold, else 0.
inline void dropoutElement(const float *x, float *y, float *mask, long i, unsigned long long key, unsigned threshold,
                           float scale) {
  unsigned draw = unsigned(dropoutHash(key, (unsigned long long)(i) >> 2) >> (16 * (i & 3))) & 0xFFFF;
  float m = draw < threshold ? scale : 0.0f;
  mask[i] = m;
  y[i] = x[i] * m;
}

/// Elements [begin, end): single elements up to a whole word, then whole words (4 elements from one hash; the
/// compiler vectorizes over words), then single elements.
inline void dropoutForward(const float *__restrict x, float *__restrict y, float *__restrict mask, long begin, long end,
                           unsigned long long key, unsigned threshold, float scale) {
  long i = begin;
  for (; i < end && (i & 3); i++) dropoutElement(x, y, mask, i, key, threshold, scale);
  const long words = (end - i) / 4, first = i / 4;
  for (long w = 0; w < words; w++) {
    const unsigned long long h = dropoutHash(key, (unsigned long long)(first + w));
    const long e = i + 4 * w;
    for (int t = 0; t < 4; t++) {
      const float m = (unsigned(h >> (16 * t)) & 0xFFFF) < threshold ? scale : 0.0f;
      mask[e + t] = m;
      y[e + t] = x[e + t] * m;
    }
  }
  for (i += 4 * words; i < end; i++) dropoutElement(x, y, mask, i, key, threshold, scale);
}
