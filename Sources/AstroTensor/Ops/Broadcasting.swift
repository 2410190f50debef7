import AstroKernels

// Broadcasting as NumPy defines it: shapes are aligned at their last axis, and an axis of size 1 (or a
// missing leading axis) stretches to the other operand's size.

extension Tensor {
  /// The shape two operands broadcast to, or an error naming the operation and both shapes.
  public static func broadcastShape(_ a: [Int], _ b: [Int], op: String = "broadcast") throws -> [Int] {
    let rank = max(a.count, b.count)
    let pa = [Int](repeating: 1, count: rank - a.count) + a, pb = [Int](repeating: 1, count: rank - b.count) + b
    return try zip(pa, pb).map { x, y in
      guard x == y || x == 1 || y == 1 else { throw TensorError.shapeMismatch(op: op, lhs: a, rhs: b) }
      return x == 1 ? y : x
    }
  }

  /// This tensor stretched to `target` (a copy); the backward sums the gradient over the stretched axes.
  public func broadcast(to target: [Int]) throws -> Tensor {
    guard try Tensor.broadcastShape(shape, target, op: "broadcast(to:)") == target else {
      throw TensorError.shapeMismatch(op: "broadcast(to:)", lhs: shape, rhs: target)
    }
    if target == shape { return self }
    let out = Tensor(uninitializedShape: target)
    let strides = broadcastStrides(in: target)
    let src = storage.pointer, dst = out.storage.pointer
    forEachIndex(of: target, strides: strides) { flat, offset in dst[flat] = src[offset] }
    let inputShape = shape
    return .result(out, of: "broadcast", inputs: [self]) { g, _ in [g.summed(toShape: inputShape)] }
  }

  /// The gradient of a broadcast: this tensor (of a broadcast shape) summed down to `target`. Not recorded.
  func summed(toShape target: [Int]) -> Tensor {
    if target == shape { return self }
    let out = Tensor(repeating: 0, shape: target)
    let padded = [Int](repeating: 1, count: rank - target.count) + target
    let strides = Tensor(shape: padded, storage: out.storage).broadcastStrides(in: shape)
    let src = storage.pointer, dst = out.storage.pointer
    forEachIndex(of: shape, strides: strides) { flat, offset in dst[offset] += src[flat] }
    return out
  }

  /// For each axis of `target`, how far one step moves in this tensor's storage (0 along stretched axes).
  func broadcastStrides(in target: [Int]) -> [Int] {
    let offset = target.count - rank
    var strides = [Int](repeating: 0, count: target.count)
    var step = 1
    for axis in stride(from: rank - 1, through: 0, by: -1) {
      strides[axis + offset] = shape[axis] == 1 ? 0 : step
      step *= shape[axis]
    }
    return strides
  }

  /// Applies `f` to two tensors of any broadcast-compatible shapes; `backward(g, a, b, needs)` returns the
  /// gradients at the broadcast shape, which are then summed down to each operand's shape.
  func broadcasting(
    _ other: Tensor, op: String, sameShape: Elementwise.BinaryOperation?, _ f: @escaping (Float, Float) -> Float,
    backward: @escaping (_ g: Tensor, _ a: Tensor, _ b: Tensor, _ needs: [Bool]) -> [Tensor?]
  ) throws -> Tensor {
    let target = try Tensor.broadcastShape(shape, other.shape, op: op)
    let a = try withoutGradients { try detached().broadcast(to: target) }
    let b = try withoutGradients { try other.detached().broadcast(to: target) }
    let out = sameShape.map { a.combined(b, $0) } ?? a.zipped(b, f)
    let (shapeA, shapeB) = (shape, other.shape)
    return .result(out, of: op, inputs: [self, other]) { g, needs in
      let grads = backward(g, a, b, needs)
      return [grads[0]?.summed(toShape: shapeA), grads[1]?.summed(toShape: shapeB)]
    }
  }
}

/// Calls `body(flatIndex, offset)` for every element of `shape` in row-major order, where `offset` is the
/// dot product of the element's index with `strides`.
@inline(__always)
func forEachIndex(of shape: [Int], strides: [Int], _ body: (Int, Int) -> Void) {
  let count = shape.reduce(1, *)
  guard count > 0 else { return }
  guard let last = shape.last else { body(0, 0); return }
  let innerStride = strides[shape.count - 1]
  var index = [Int](repeating: 0, count: shape.count)
  var base = 0, flat = 0
  while flat < count {
    for j in 0..<last { body(flat + j, base + j * innerStride) }
    flat += last
    // Advance the outer index (all but the last axis), carrying like an odometer.
    var axis = shape.count - 2
    while axis >= 0 {
      index[axis] += 1
      base += strides[axis]
      if index[axis] < shape[axis] { break }
      base -= strides[axis] * shape[axis]
      index[axis] = 0
      axis -= 1
    }
  }
}
