import AstroTensor

/// Keras `Permute`: reorders the per-sample axes. `dims` count from 1 as in Keras (the batch axis stays first):
/// `Permute([2, 3, 1])` turns `[C, H, W]` samples into `[H, W, C]`.
public final class Permute: Layer {
  /// Keras' class name, `Permute`.
  public override var kerasClassName: String { "Permute" }
  /// Output axis `i` is input axis `dims[i]` (1-based, per sample).
  public let dims: [Int]

  /// A permutation of the per-sample axes, 1-based as in Keras.
  public init(_ dims: [Int], name: String = "") {
    self.dims = dims
    super.init(name: name)
  }

  /// Checks `dims` is a permutation of `1...rank`; returns the permuted shape.
  public override func build(inputShapes: [[Int]], generator: inout SeededGenerator) throws -> [Int] {
    try expectInputs(inputShapes)
    let shape = inputShapes[0]
    guard dims.sorted() == Array(1...max(shape.count, 1)), dims.count == shape.count else {
      throw NNError.layer(name, "dims \(dims) are not a permutation of 1...\(shape.count) for inputs [N] + \(shape)")
    }
    return dims.map { shape[$0 - 1] }
  }

  /// The batch with each sample's axes reordered.
  public override func forward(_ inputs: [Tensor], context: ForwardContext) throws -> Tensor {
    try inputs[0].permuted([0] + dims)
  }
}

/// Keras `Reshape`: each sample's values in row-major order under a new shape; one dimension may be -1 (inferred).
public final class Reshape: Layer {
  /// Keras' class name, `Reshape`.
  public override var kerasClassName: String { "Reshape" }
  /// The per-sample shape asked for (one entry may be -1).
  public let targetShape: [Int]

  /// A reshape of each sample to `targetShape`.
  public init(_ targetShape: [Int], name: String = "") {
    self.targetShape = targetShape
    super.init(name: name)
  }

  /// Resolves a -1 and checks the element count; returns the new per-sample shape.
  public override func build(inputShapes: [[Int]], generator: inout SeededGenerator) throws -> [Int] {
    try expectInputs(inputShapes)
    let count = inputShapes[0].reduce(1, *)
    var known = 1
    for d in targetShape where d != -1 {
      let (product, overflow) = known.multipliedReportingOverflow(by: d)
      guard !overflow, d > 0 else { throw NNError.layer(name, "target shape \(targetShape) is not a shape") }
      known = product
    }
    var resolved = targetShape
    if let i = targetShape.firstIndex(of: -1), targetShape.filter({ $0 == -1 }).count == 1, known > 0, count % known == 0 {
      resolved[i] = count / known
    }
    guard resolved.allSatisfy({ $0 > 0 }), resolved.reduce(1, *) == count else {
      throw NNError.layer(name, "cannot reshape inputs [N] + \(inputShapes[0]) (\(count) values per sample) to \(targetShape)")
    }
    return resolved
  }

  /// The batch with each sample reshaped (no copy).
  public override func forward(_ inputs: [Tensor], context: ForwardContext) throws -> Tensor {
    try inputs[0].reshaped(to: [inputs[0].shape[0]] + (builtOutputShape ?? targetShape))
  }
}
