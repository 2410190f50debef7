import AstroTensor

/// Deterministic test inputs. Every builder takes a seed, so a failing case reproduces exactly.
public enum TestTensors {
  /// Uniform values in [low, high).
  public static func uniform(_ shape: [Int], low: Float = -1, high: Float = 1, seed: UInt64) -> Tensor {
    var g = SeededGenerator(seed: seed)
    return Tensor.uniform(shape, low: low, high: high, generator: &g)
  }

  /// Values with magnitude in [minimum, maximum] and a random sign: more than `minimum` away from a kink at 0.
  public static func awayFromZero(_ shape: [Int], minimum: Float = 0.2, maximum: Float = 1.5, seed: UInt64) -> Tensor {
    var g = SeededGenerator(seed: seed)
    let n = shape.reduce(1, *)
    let values = (0..<n).map { _ -> Float in
      let m = minimum + (maximum - minimum) * g.nextUnitFloat()
      return g.nextUnitFloat() < 0.5 ? -m : m
    }
    return try! Tensor(shape: shape, values: values)
  }

  /// A random permutation of `offset + (i - n/2) * spacing`: all values distinct, any two at least `spacing`
  /// apart (no ties for max pooling as long as `spacing > 2h`).
  public static func distinct(_ shape: [Int], spacing: Float = 0.05, offset: Float = 0, seed: UInt64) -> Tensor {
    var g = SeededGenerator(seed: seed)
    let n = shape.reduce(1, *)
    var values = (0..<n).map { offset + Float($0 - n / 2) * spacing }
    values.shuffle(using: &g)
    return try! Tensor(shape: shape, values: values)
  }

  /// A tensor from literal values (traps on a count mismatch: a bug in the test itself).
  public static func make(_ shape: [Int], _ values: [Float]) -> Tensor {
    try! Tensor(shape: shape, values: values)
  }

  /// True for the elements of `preActivation` farther than `margin` from 0 (the ReLU kink).
  public static func awayFromKink(_ preActivation: Tensor, margin: Float) -> [Bool] {
    preActivation.values.map { abs($0) > margin }
  }
}
