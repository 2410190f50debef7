import AstroKernels
import Foundation

// Elementwise operations. Each forward is followed by its backward in the same function.

extension Tensor {
  /// Applies `f` to every element into a new tensor (parallel over large arrays).
  @inline(__always)
  func mapped(_ f: (Float) -> Float) -> Tensor {
    let out = Tensor(uninitializedShape: shape)
    let src = storage.pointer, dst = out.storage.pointer
    Elementwise.forEachSlice(count) { range in for i in range { dst[i] = f(src[i]) } }
    return out
  }

  /// Combines two same-count tensors elementwise into a new tensor.
  @inline(__always)
  func zipped(_ other: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
    let out = Tensor(uninitializedShape: shape)
    let a = storage.pointer, b = other.storage.pointer, dst = out.storage.pointer
    Elementwise.forEachSlice(count) { range in for i in range { dst[i] = f(a[i], b[i]) } }
    return out
  }

  /// `self ∘ other` elementwise (same count) into a new tensor, with a vectorised loop per operation.
  func combined(_ other: Tensor, _ operation: Elementwise.BinaryOperation) -> Tensor {
    let out = Tensor(uninitializedShape: shape)
    Elementwise.combine(storage.pointer, other.storage.pointer, operation, into: out.storage.pointer, count: count)
    return out
  }

  /// This gradient where `output` (a ReLU's output) is positive, 0 elsewhere: a ReLU's backward.
  func keptWherePositive(_ output: Tensor) -> Tensor { combined(output, .keepWherePositive) }

  /// `self + other`, broadcasting as NumPy does. Residual connections (ResNet's Add) take the same-shape path.
  public func adding(_ other: Tensor) throws -> Tensor {
    guard other.shape == shape else {
      return try broadcasting(other, op: "add", sameShape: .add, +) { g, _, _, _ in [g, g] }
    }
    let out = combined(other, .add)
    return .result(out, of: "add", inputs: [self, other]) { g, _ in [g, g] }
  }

  /// `max(self + other, 0)`: a residual connection and its ReLU in one pass; the backward masks by the
  /// saved output and hands the same gradient to both inputs.
  public func addingThenRelu(_ other: Tensor) throws -> Tensor {
    guard other.shape == shape else { throw TensorError.shapeMismatch(op: "addingThenRelu", lhs: shape, rhs: other.shape) }
    let out = combined(other, .addThenRelu)
    let saved = out.detached()
    return .result(out, of: "addingThenRelu", inputs: [self, other]) { g, _ in
      let masked = g.keptWherePositive(saved)
      return [masked, masked]
    }
  }

  /// `self - other`, broadcasting.
  public func subtracting(_ other: Tensor) throws -> Tensor {
    guard other.shape == shape else {
      return try broadcasting(other, op: "subtract", sameShape: .subtract, -) { g, _, _, needs in
        [g, needs[1] ? g.mapped { -$0 } : nil]
      }
    }
    let out = combined(other, .subtract)
    return .result(out, of: "subtract", inputs: [self, other]) { g, needs in
      [g, needs[1] ? g.mapped { -$0 } : nil]
    }
  }

  /// `self * other` elementwise, broadcasting.
  public func multiplying(_ other: Tensor) throws -> Tensor {
    guard other.shape == shape else {
      return try broadcasting(other, op: "multiply", sameShape: .multiply, *) { g, a, b, needs in
        [needs[0] ? g.combined(b, .multiply) : nil, needs[1] ? g.combined(a, .multiply) : nil]
      }
    }
    let out = combined(other, .multiply)
    let a = self.detached(), b = other.detached()
    return .result(out, of: "multiply", inputs: [self, other]) { g, needs in
      [needs[0] ? g.combined(b, .multiply) : nil, needs[1] ? g.combined(a, .multiply) : nil]
    }
  }

  /// `self / other` elementwise, broadcasting.
  public func dividing(_ other: Tensor) throws -> Tensor {
    try broadcasting(other, op: "divide", sameShape: nil, /) { g, a, b, needs in
      [needs[0] ? g.zipped(b, /) : nil, needs[1] ? g.zipped(a.zipped(b) { x, y in -x / (y * y) }, *) : nil]
    }
  }

  /// `self + value`.
  public func adding(_ value: Float) -> Tensor {
    let out = mapped { $0 + value }
    return .result(out, of: "add scalar", inputs: [self]) { g, _ in [g] }
  }

  /// `self ** exponent` elementwise.
  public func raised(to exponent: Float) -> Tensor {
    let out = mapped { Foundation.pow($0, exponent) }
    let x = detached()
    return .result(out, of: "pow", inputs: [self]) { g, _ in
      [g.zipped(x.mapped { exponent * Foundation.pow($0, exponent - 1) }, *)]
    }
  }

  /// `√self` elementwise.
  public func squareRoot() -> Tensor {
    let out = mapped { $0.squareRoot() }
    let saved = out.detached()
    return .result(out, of: "sqrt", inputs: [self]) { g, _ in [g.zipped(saved) { dy, y in dy / (2 * y) }] }
  }

  /// `|self|` elementwise (gradient 0 at 0).
  public func absolute() -> Tensor {
    let out = mapped { Swift.abs($0) }
    let x = detached()
    return .result(out, of: "abs", inputs: [self]) { g, _ in [g.zipped(x) { dy, v in v > 0 ? dy : (v < 0 ? -dy : 0) }] }
  }

  /// `self * factor`.
  public func scaled(by factor: Float) -> Tensor {
    let out = mapped { $0 * factor }
    return .result(out, of: "scale", inputs: [self]) { g, _ in [g.mapped { $0 * factor }] }
  }

  /// `max(x, 0)`.
  public func relu() -> Tensor {
    let out = mapped { max($0, 0) }
    let saved = out.detached()
    return .result(out, of: "relu", inputs: [self]) { g, _ in
      [g.keptWherePositive(saved)]
    }
  }

  /// `1 / (1 + exp(-x))`, computed without overflow for large |x|.
  public func sigmoid() -> Tensor {
    let out = mapped(Tensor.sigmoidValue)
    let saved = out.detached()
    return .result(out, of: "sigmoid", inputs: [self]) { g, _ in
      [g.zipped(saved) { dy, y in dy * y * (1 - y) }]
    }
  }

  /// Hyperbolic tangent.
  public func tanh() -> Tensor {
    let out = mapped { Foundation.tanh($0) }
    let saved = out.detached()
    return .result(out, of: "tanh", inputs: [self]) { g, _ in
      [g.zipped(saved) { dy, y in dy * (1 - y * y) }]
    }
  }

  /// Natural exponential.
  public func exp() -> Tensor {
    let out = mapped { Foundation.exp($0) }
    let saved = out.detached()
    return .result(out, of: "exp", inputs: [self]) { g, _ in [g.combined(saved, .multiply)] }
  }

  /// Natural logarithm.
  public func log() -> Tensor {
    let out = mapped { Foundation.log($0) }
    let x = detached()
    return .result(out, of: "log", inputs: [self]) { g, _ in [g.zipped(x, /)] }
  }

  @inline(__always)
  static func sigmoidValue(_ x: Float) -> Float {
    x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x))
  }
}
