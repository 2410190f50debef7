import AstroKernels

extension Tensor {
  /// Inverted dropout (training only): keeps each element with probability `1 - rate` and scales kept
  /// elements by `1 / (1 - rate)`, so inference needs no rescaling.
  public func dropout(rate: Float, generator: inout SeededGenerator) throws -> Tensor {
    guard rate >= 0 && rate < 1 else {
      throw TensorError.invalidArgument(op: "dropout", message: "rate \(rate) outside [0, 1)")
    }
    if rate == 0 { return self }
    let keep = 1 - rate
    let mask = Tensor(uninitializedShape: shape)
    let out = Tensor(uninitializedShape: shape)
    // One draw from the generator keys a counter-based hash that gives every element its own 16-bit uniform
    // draw (a keep probability resolved to 1/65536 is ample), so the mask is made in parallel and is the same
    // for any number of threads.
    Elementwise.dropout(
      storage.pointer, output: out.storage.pointer, mask: mask.storage.pointer, count: count, key: generator.next(),
      keepProbability: keep)
    return .result(out, of: "dropout", inputs: [self]) { g, _ in [g.combined(mask, .multiply)] }
  }

  /// Inverted dropout keyed per sample: sample n's mask is drawn from `SplitMix64.mix(sampleKeys[n] ^ draw)`
  /// alone, so it does not depend on the other samples of the batch. `draw` separates the layers (one
  /// generator draw per layer, equal in every process that runs the same step); `sampleKeys` holds one key per
  /// sample of the first axis.
  public func dropout(rate: Float, sampleKeys: [UInt64], draw: UInt64) throws -> Tensor {
    guard rate >= 0 && rate < 1 else {
      throw TensorError.invalidArgument(op: "dropout", message: "rate \(rate) outside [0, 1)")
    }
    guard rank >= 1, shape[0] == sampleKeys.count else {
      throw TensorError.invalidArgument(op: "dropout", message: "\(sampleKeys.count) sample keys for a batch of shape \(shape)")
    }
    if rate == 0 { return self }
    let mask = Tensor(uninitializedShape: shape)
    let out = Tensor(uninitializedShape: shape)
    Elementwise.dropout(
      storage.pointer, output: out.storage.pointer, mask: mask.storage.pointer,
      rowKeys: sampleKeys.map { SplitMix64.mix($0 ^ draw) }, rowLength: count / max(shape[0], 1), keepProbability: 1 - rate)
    return .result(out, of: "dropout", inputs: [self]) { g, _ in [g.combined(mask, .multiply)] }
  }
}
