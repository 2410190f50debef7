import AstroKernels

/// Contiguous float32 storage, taken from and returned to the shared `BufferPool`.
/// Unchecked Sendable: `count` and `pointer` never change; the floats behind them follow `Tensor`'s rule.
public final class TensorStorage: @unchecked Sendable {
  /// Number of floats.
  public let count: Int
  /// The first float; valid for `count` floats until the storage is freed.
  public let pointer: UnsafeMutablePointer<Float>

  /// Uninitialised storage of `count` floats.
  public init(uninitializedCount count: Int) {
    self.count = count
    self.pointer = BufferPool.shared.take(count)
  }

  deinit { BufferPool.shared.give(pointer, count: count) }
}

/// A dense float32 tensor in row-major order (images are NHWC: batch, height, width, channels).
///
/// Tensors are reference types so that the autodiff graph can refer to them by identity. An operation on
/// tensors that need gradients records a `GradientNode` on its result; `backward()` walks those nodes in
/// reverse. Parameters are leaves with `requiresGradient = true`; their `gradient` is filled by `backward()`.
///
/// Sendable (unchecked) so that batches and weights can be handed between threads and tasks; like a
/// PyTorch tensor, one must not be mutated (values, gradient, flags) while another thread uses it. The
/// library shares tensors across threads only to read them (`predict`'s workers read the weights).
public final class Tensor: @unchecked Sendable {
  /// The dimensions, outermost first.
  public let shape: [Int]
  /// The values; shared by reshaped views.
  public let storage: TensorStorage
  /// Set on leaves (parameters) whose gradient `backward()` must compute.
  public var requiresGradient: Bool
  /// The accumulated gradient of a leaf after `backward()`; nil until then. Reset with `zeroGradient()`.
  public var gradient: Tensor?
  /// The operation that produced this tensor, when it was recorded for differentiation.
  public internal(set) var gradientNode: GradientNode?

  /// Number of elements.
  public var count: Int { storage.count }
  /// Number of dimensions (0 for a scalar).
  public var rank: Int { shape.count }
  /// Whether gradients flow into this tensor (a parameter, or a result of recorded operations).
  public var needsGradient: Bool { requiresGradient || gradientNode != nil }

  /// Wraps existing storage; `shape` must describe exactly `storage.count` elements.
  public init(shape: [Int], storage: TensorStorage, requiresGradient: Bool = false) {
    precondition(shape.reduce(1, *) == storage.count, "shape \(shape) does not describe \(storage.count) elements")
    self.shape = shape
    self.storage = storage
    self.requiresGradient = requiresGradient
  }

  /// A tensor of the given shape with uninitialised values (every element must be written before reading).
  public convenience init(uninitializedShape shape: [Int]) {
    self.init(shape: shape, storage: TensorStorage(uninitializedCount: shape.reduce(1, *)))
  }

  /// A tensor filled with `value`.
  public convenience init(repeating value: Float, shape: [Int], requiresGradient: Bool = false) {
    self.init(uninitializedShape: shape)
    storage.pointer.update(repeating: value, count: count)
    self.requiresGradient = requiresGradient
  }

  /// A tensor from values in row-major order. Throws if the count does not match the shape.
  public convenience init(shape: [Int], values: [Float], requiresGradient: Bool = false) throws {
    guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == values.count else {
      throw TensorError.invalidShape(op: "Tensor(shape:values:)", shape: shape, expected: "\(values.count) elements")
    }
    self.init(uninitializedShape: shape)
    values.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: values.count) }
    self.requiresGradient = requiresGradient
  }

  /// A zero tensor.
  public static func zeros(_ shape: [Int]) -> Tensor { Tensor(repeating: 0, shape: shape) }

  /// A scalar (rank-0) tensor.
  public convenience init(scalar: Float) { self.init(repeating: scalar, shape: []) }

  /// The values in row-major order.
  public var values: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: count)) }

  /// The single value of a one-element tensor.
  public var scalarValue: Float {
    precondition(count == 1, "scalarValue of a tensor with \(count) elements")
    return storage.pointer[0]
  }

  /// A copy that shares nothing with this tensor and records no graph.
  public func copy() -> Tensor {
    let t = Tensor(uninitializedShape: shape)
    t.storage.pointer.update(from: storage.pointer, count: count)
    return t
  }

  /// The same values without graph history (gradients do not flow through it).
  public func detached() -> Tensor { Tensor(shape: shape, storage: storage) }

  /// Overwrites the values in place (shapes must match); used by optimizers and weight loading.
  public func assign(_ other: Tensor) throws {
    guard other.shape == shape else { throw TensorError.shapeMismatch(op: "assign", lhs: shape, rhs: other.shape) }
    storage.pointer.update(from: other.storage.pointer, count: count)
  }

  /// Clears the accumulated gradient.
  public func zeroGradient() { gradient = nil }

  /// Whether every element is finite.
  public var isFinite: Bool {
    // The largest exponent field, an integer max that vectorises (a loop that stops at the first
    // non-finite value does not; training checks its inputs and gradients every step).
    storage.pointer.withMemoryRebound(to: UInt32.self, capacity: count) { bits in
      var largest: UInt32 = 0
      for i in 0..<count { largest = max(largest, bits[i] & 0x7F80_0000) }
      return largest != 0x7F80_0000
    }
  }
}

extension Tensor: CustomStringConvertible {
  /// `Tensor[shape][first values]`, showing at most eight values.
  public var description: String {
    let preview = values.prefix(8).map { String($0) }.joined(separator: ", ")
    return "Tensor\(shape)[\(preview)\(count > 8 ? ", ..." : "")]"
  }
}
