/// Symmetric int8 weights ([−127, 127], zero point 0), per output channel (dimension 0) or per tensor, as
/// TensorFlow's converter makes them: `scale = max|w| / 127`, `q = round(w / scale)`.
enum WeightQuantization {
  static func quantize(_ values: [Float], channels: Int, perChannel: Bool) -> (scales: [Float], values: [Int8]) {
    let perRow = values.count / max(channels, 1)
    func scale(_ slice: ArraySlice<Float>) -> Float {
      let largest = slice.reduce(Float(0)) { max($0, abs($1)) }
      return largest > 0 && largest.isFinite ? largest / 127 : 1
    }
    let scales = perChannel
      ? (0..<channels).map { scale(values[($0 * perRow)..<(($0 + 1) * perRow)]) }
      : [scale(values[...])]
    let quantized = values.enumerated().map { i, w -> Int8 in
      let s = perChannel ? scales[i / perRow] : scales[0]
      return Int8(max(-127, min(127, (w / s).rounded(.toNearestOrAwayFromZero))))
    }
    return (scales, quantized)
  }

  /// `dequantize(quantize(w)) − w`, elementwise.
  static func roundingError(_ values: [Float], channels: Int, perChannel: Bool) -> [Float] {
    let (scales, quantized) = quantize(values, channels: channels, perChannel: perChannel)
    let perRow = values.count / max(channels, 1)
    return values.indices.map { i in Float(quantized[i]) * (perChannel ? scales[i / perRow] : scales[0]) - values[i] }
  }
}
