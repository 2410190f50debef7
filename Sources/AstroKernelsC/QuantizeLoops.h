// Float to int8/uint8 quantization (LiteRT's QUANTIZE) as a plain loop, compiled per ISA by LoopKernels.cpp (included
// inside a namespace there: no include guard, no includes).

/// out[i] = clamp(round(x[i] / scale) + zeroPoint, low, high), rounding half away from zero as LiteRT does (the
/// division in float, as LiteRT's reference divides); NaN gives the zero point. low and high lie within the element
/// type's range (uint8 when isUnsigned).
inline void quantizeFloats(const float *__restrict x, long count, float scale, int zeroPoint, int low, int high, bool isUnsigned,
                           unsigned char *__restrict out) {
  const float zero = float(zeroPoint), lowest = float(low), highest = float(high);
  for (long i = 0; i < count; i++) {
    float v = x[i] / scale;
    // Round half away from zero exactly: the truncation plus one step away from zero when the dropped part
    // (exact in float) is at least a half. Infinities stay infinite (their dropped part is NaN).
    float t = __builtin_truncf(v), dropped = v - t;
    float rounded = t + (__builtin_fabsf(dropped) >= 0.5f ? (v < 0 ? -1.0f : 1.0f) : 0.0f);
    float level = rounded + zero;
    level = level < lowest ? lowest : level;
    level = level > highest ? highest : level;
    level = v != v ? zero : level;
    int q = int(level);
    out[i] = isUnsigned ? (unsigned char)q : (unsigned char)(signed char)q;
  }
}
