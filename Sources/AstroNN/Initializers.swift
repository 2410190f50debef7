import AstroTensor

/// Weight initialisers with Keras' definitions. All take the caller's seeded generator.
public enum Initializer: Sendable {
  /// `U(-l, l)`, `l = sqrt(6 / (fanIn + fanOut))`; conv fans are `kh*kw*in` and `kh*kw*out`.
  case glorotUniform
  case zeros
  case ones

  /// A new tensor of `shape`, with fans computed as Keras does for dense (rank 2) and conv (rank 4) kernels.
  public func make(_ shape: [Int], generator: inout SeededGenerator, trainable: Bool) -> Tensor {
    let t: Tensor
    switch self {
    case .zeros: t = Tensor(repeating: 0, shape: shape)
    case .ones: t = Tensor(repeating: 1, shape: shape)
    case .glorotUniform:
      let receptive = shape.count > 2 ? shape.dropLast(2).reduce(1, *) : 1
      let fanIn = (shape.count >= 2 ? shape[shape.count - 2] : shape.first ?? 1) * receptive
      let fanOut = (shape.last ?? 1) * receptive
      let limit = (6 / Float(fanIn + fanOut)).squareRoot()
      t = Tensor.uniform(shape, low: -limit, high: limit, generator: &generator)
    }
    t.requiresGradient = trainable
    return t
  }
}
