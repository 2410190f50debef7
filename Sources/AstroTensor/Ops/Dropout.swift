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
    for i in 0..<count { mp[i] = generator.nextUnitFloat() < keep ? scale : 0 }
    let out = zipped(mask, *)
    return .result(out, of: "dropout", inputs: [self]) { g, _ in [g.zipped(mask, *)] }
  }
}
