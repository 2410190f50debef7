import AstroTensor

/// What active learning and other uncertainty methods read from a model besides its outputs: a hidden value
/// (embeddings) and Monte-Carlo dropout passes.
extension Model {
  /// The value feeding the last `Dense` layer, looking back through `Dropout` (the penultimate-layer embedding
  /// that core-set and BADGE work on); nil when the model has no `Dense` layer.
  public var penultimateValueIndex: Int? {
    guard let last = nodes.indices.last(where: { layers[nodes[$0].layer] is Dense }) else { return nil }
    var value = nodes[last].inputs[0]
    while value >= inputCount, layers[nodes[value - inputCount].layer] is Dropout { value = nodes[value - inputCount].inputs[0] }
    return value
  }

  /// The index of the first node that applies a `Dropout` layer; nil without dropout.
  public var firstDropoutNode: Int? { nodes.indices.first { layers[nodes[$0].layer] is Dropout } }

  /// Inference (as `forward` without training) returning the outputs and value `index` (an input or a node's
  /// output, as `graphNodes` numbers them), each with the batch axis first.
  public func predict(_ inputs: [Tensor], alsoReturning index: Int) throws -> (outputs: [Tensor], value: Tensor) {
    try validate(inputs)
    guard (0..<(inputCount + nodes.count)).contains(index) else {
      throw NNError.model("\(name): value \(index) outside 0..<\(inputCount + nodes.count)")
    }
    let j = index - inputCount
    if j >= 0, j + 1 < nodes.count, nodes[j + 1].inputs == [index], lastUse[index] == j + 1,
      layers[nodes[j + 1].layer] is BatchNormalization || layers[nodes[j + 1].layer] is ActivationLayer
    {
      // The value may be the inside of a fused group (never materialised): layer by layer instead.
      let all = try allValues(inputs)
      return (outputValues.map { all[$0] }, all[index])
    }
    return try withoutGradients {
      let context = ForwardContext(training: false)
      var values = [Tensor?](repeating: nil, count: nodes.count + inputCount)
      for (i, x) in inputs.enumerated() { values[i] = x }
      // Run up to the node that makes the value, keep it, then the rest (`run` frees values after their last reader).
      let split = max(0, index - inputCount + 1)
      try run(0..<split, values: &values, logits: false, context: context, foldCache: FoldCache())
      guard let value = values[index] else { throw NNError.model("\(name): value \(index) was not computed") }
      try run(split..<nodes.count, values: &values, logits: false, context: context, foldCache: FoldCache())
      return (outputValues.map { values[$0]! }, value)
    }
  }

  /// Monte-Carlo dropout (Gal and Ghahramani 2016): output `output` for `passes` stochastic passes, each with
  /// every `Dropout` active and batch normalisation on its moving statistics. The layers before the first
  /// dropout are deterministic and run once; only the rest is recomputed per pass. Pass `t` draws its masks
  /// from `SeededGenerator(seed: seed &+ t)`, so results do not depend on how a pool is chunked only if the
  /// caller varies `seed` per chunk. Throws when the model has no dropout (every pass would be the same).
  public func monteCarloPredict(_ inputs: [Tensor], passes: Int, seed: UInt64, output: Int = 0) throws -> [Tensor] {
    try validate(inputs)
    guard passes > 0 else { throw NNError.model("\(name): Monte-Carlo dropout needs at least one pass, got \(passes)") }
    guard outputValues.indices.contains(output) else {
      throw NNError.model("\(name): output \(output) outside 0..<\(outputValues.count)")
    }
    guard let first = firstDropoutNode else {
      throw NNError.model("\(name) has no Dropout layer: Monte-Carlo dropout passes would all be equal")
    }
    return try withoutGradients {
      var prefix = [Tensor?](repeating: nil, count: nodes.count + inputCount)
      for (i, x) in inputs.enumerated() { prefix[i] = x }
      try run(0..<first, values: &prefix, logits: false, context: ForwardContext(training: false), foldCache: FoldCache())
      let cache = FoldCache()
      return try (0..<passes).map { t in
        let context = ForwardContext(training: false, generator: SeededGenerator(seed: seed &+ UInt64(t)))
        context.monteCarloDropout = true
        var values = prefix
        try run(first..<nodes.count, values: &values, logits: false, context: context, foldCache: cache)
        return values[outputValues[output]]!
      }
    }
  }
}
