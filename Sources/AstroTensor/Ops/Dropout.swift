extension Tensor {
  /// Inverted dropout (training only): keeps each element with probability `1 - rate` and scales kept
  /// elements by `1 / (1 - rate)`, so inference needs no rescaling.
  public func dropout(rate: Float, generator: inout SeededGenerator) throws -> Tensor {
    guard rate >= 0 && rate < 1 else {
      throw TensorError.invalidArgument(op: "dropout", message: "rate \(rate) outside [0, 1)")
    }
    if rate == 0 { return self }
    let keep = 1 - rate, scale = 1 / keep
    let mask = Tensor(uninitializedShape: shape)
    let mp = mask.storage.pointer
    // Four 16-bit uniform draws per 64-bit random word: a keep probability resolved to 1/65536 is ample,
    // and the mask costs a quarter of the generator calls.
    let threshold = UInt64((Double(keep) * 65536).rounded())
    let out = Tensor(uninitializedShape: shape)
    let x = storage.pointer, y = out.storage.pointer
    var i = 0
    while i < count {
      var bits = generator.next()
      for _ in 0..<min(4, count - i) {
        let m: Float = (bits & 0xFFFF) < threshold ? scale : 0
        mp[i] = m
        y[i] = x[i] * m
        bits >>= 16
        i += 1
      }
    }
    return .result(out, of: "dropout", inputs: [self]) { g, _ in [g.zipped(mask, *)] }
  }
}
