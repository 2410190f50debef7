/// The values of one tensor: a shape, an element type and little-endian bytes.
public struct TensorValues: Equatable, Sendable {
  /// The shape, batch first.
  public var shape: [Int]
  /// The element type.
  public var type: ElementType
  /// Row-major little-endian bytes.
  public var bytes: [UInt8]

  /// Values from raw bytes; the byte count must match the shape and type.
  public init(shape: [Int], type: ElementType, bytes: [UInt8]) throws {
    guard shape.allSatisfy({ $0 >= 0 }), let count = Self.count(of: shape),
      count.multipliedReportingOverflow(by: type.size) == (bytes.count, false)
    else {
      throw Int8Error.invalidInput("\(bytes.count) bytes do not hold a \(type.name) tensor of shape \(shape)")
    }
    self.shape = shape
    self.type = type
    self.bytes = bytes
  }

  /// Values whose byte count the caller has made right.
  init(checkedShape shape: [Int], type: ElementType, bytes: [UInt8]) {
    self.shape = shape
    self.type = type
    self.bytes = bytes
  }

  /// Values whose bytes a kernel is about to write in full (left uninitialised: no pass to zero them first; an
  /// array of the run's recycler when it has one of this size).
  init(uninitialized shape: [Int], type: ElementType) {
    self.shape = shape
    self.type = type
    let count = shape.reduce(1, *) * type.size
    self.bytes = ByteArrayRecycler.current?.take(count)
      ?? [UInt8](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
  }

  /// int8 values.
  public init(shape: [Int], int8s: [Int8]) throws {
    try self.init(shape: shape, type: .int8, bytes: int8s.map { UInt8(bitPattern: $0) })
  }

  /// uint8 values.
  public init(shape: [Int], uint8s: [UInt8]) throws {
    try self.init(shape: shape, type: .uint8, bytes: uint8s)
  }

  /// int32 values (biases, shapes).
  public init(shape: [Int], int32s: [Int32]) throws {
    try self.init(shape: shape, type: .int32, bytes: int32s.withUnsafeBytes { Array($0) })
  }

  /// float32 values.
  public init(shape: [Int], floats: [Float]) throws {
    try self.init(shape: shape, type: .float32, bytes: floats.withUnsafeBytes { Array($0) })
  }

  /// Float values as `tensor` takes them: quantized (`round(x/s) + zp`, clamped; NaN to the zero point) for an
  /// int8/uint8 tensor, as they are for a float32 one.
  public init(quantizing values: [Float], shape: [Int], for tensor: GraphTensor) throws {
    switch tensor.type {
    case .float32:
      try self.init(shape: shape, floats: values)
    case .int8, .uint8:
      let q = tensor.quantization ?? Quantization(scale: 1, zeroPoint: 0)
      let unsigned = tensor.type == .uint8
      let range: ClosedRange<Float> = unsigned ? 0...255 : -128...127
      let bytes = values.map { value -> UInt8 in
        let level = value.isNaN ? Float(q.zeroPoint) : (value / q.scale).rounded(.toNearestOrAwayFromZero) + Float(q.zeroPoint)
        let clamped = min(max(level, range.lowerBound), range.upperBound)
        return unsigned ? UInt8(clamped) : UInt8(bitPattern: Int8(clamped))
      }
      try self.init(shape: shape, type: tensor.type, bytes: bytes)
    default:
      throw Int8Error.invalidInput("tensor '\(tensor.name)' of type \(tensor.type.name) does not take float values")
    }
  }

  /// Elements in `shape`.
  public var elementCount: Int { shape.reduce(1, *) }

  /// The values as int8 (for an int8 tensor).
  public var int8s: [Int8] { bytes.map { Int8(bitPattern: $0) } }

  /// The values as float32 (for a float32 tensor).
  public var floats: [Float] {
    [Float](unsafeUninitializedCapacity: bytes.count / 4) { buffer, count in
      _ = bytes.withUnsafeBytes { memcpy(buffer.baseAddress!, $0.baseAddress!, $0.count) }
      count = bytes.count / 4
    }
  }

  /// The values as float: float32 as they are, integers dequantized with `quantization`.
  public func dequantized(_ quantization: Quantization?) -> [Float] {
    switch type {
    case .float32: return floats
    case .int8, .uint8:
      let scale = Double(quantization?.scale ?? 1), zeroPoint = quantization?.zeroPoint ?? 0
      return bytes.map { Float(scale * Double((type == .int8 ? Int(Int8(bitPattern: $0)) : Int($0)) - zeroPoint)) }
    case .int32, .int64:
      return integers().map { Float($0) }
    }
  }

  /// Integer values of an integer tensor (int8, uint8, int32 or int64); empty for a float32 one.
  public func integers() -> [Int] {
    bytes.withUnsafeBytes { raw -> [Int] in
      switch type {
      case .int8: return raw.map { Int(Int8(bitPattern: $0)) }
      case .uint8: return raw.map { Int($0) }
      case .int32: return (0..<raw.count / 4).map { Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) }
      case .int64: return (0..<raw.count / 8).map { Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self))) }
      case .float32: return []
      }
    }
  }

  /// The most elements one tensor may hold (2^31): a larger shape in a graph is an error, not an allocation.
  public static let maximumElements = 1 << 31

  /// Elements in `shape`, or nil when the product overflows.
  public static func count(of shape: [Int]) -> Int? {
    var count = 1
    for dimension in shape {
      let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
      if overflow { return nil }
      count = product
    }
    return count
  }
}

import Foundation
