import AstroKernels
import AstroKernelsC

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
      // The C loop for the active ISA on all cores (a batch of 1,024 braai triplets is 12 million values).
      let bytes = [UInt8](unsafeUninitializedCapacity: values.count) { buffer, initialized in
        values.withUnsafeBufferPointer { x in
          Parallel.forEachChunk(values.count, minimumPerWorker: 1 << 16) { _, range in
            guard !range.isEmpty else { return }
            Self.quantize(x.baseAddress! + range.lowerBound, count: range.count, for: tensor, into: buffer.baseAddress! + range.lowerBound)
          }
        }
        initialized = values.count
      }
      try self.init(shape: shape, type: tensor.type, bytes: bytes)
    default:
      throw Int8Error.invalidInput("tensor '\(tensor.name)' of type \(tensor.type.name) does not take float values")
    }
  }

  /// A batch of float samples, each of `sampleShape`, quantized for an int8/uint8 `tensor` as
  /// `init(quantizing:shape:for:)` quantizes, sample by sample on all cores, without first joining their floats.
  /// - Throws: `Int8Error.invalidInput` naming the first sample of the wrong size, or a tensor that is not int8/uint8.
  public init(quantizing samples: [[Float]], sampleShape: [Int], for tensor: GraphTensor) throws {
    guard tensor.type == .int8 || tensor.type == .uint8 else {
      throw Int8Error.invalidInput("tensor '\(tensor.name)' of type \(tensor.type.name) does not take quantized samples")
    }
    guard let size = Self.count(of: sampleShape), sampleShape.allSatisfy({ $0 >= 0 }),
      size.multipliedReportingOverflow(by: samples.count).overflow == false
    else { throw Int8Error.invalidInput("sample shape \(sampleShape) for \(samples.count) samples") }
    if let bad = samples.firstIndex(where: { $0.count != size }) {
      throw Int8Error.invalidInput("sample \(bad) has \(samples[bad].count) values, expected \(size) (\(sampleShape))")
    }
    let bytes = [UInt8](unsafeUninitializedCapacity: samples.count * size) { buffer, initialized in
      Parallel.forEachChunk(samples.count) { _, range in
        for n in range {
          samples[n].withUnsafeBufferPointer { Self.quantize($0.baseAddress!, count: size, for: tensor, into: buffer.baseAddress! + n * size) }
        }
      }
      initialized = samples.count * size
    }
    self.init(checkedShape: [samples.count] + sampleShape, type: tensor.type, bytes: bytes)
  }

  /// Quantizes `count` floats for an int8/uint8 tensor with the C loop of the active ISA.
  private static func quantize(_ x: UnsafePointer<Float>, count: Int, for tensor: GraphTensor, into out: UnsafeMutablePointer<UInt8>) {
    let q = tensor.quantization ?? Quantization(scale: 1, zeroPoint: 0)
    let unsigned = tensor.type == .uint8
    astro_quantize_floats(x, count, q.scale, Int32(q.zeroPoint), unsigned ? 0 : -128, unsigned ? 255 : 127, unsigned ? 1 : 0, out,
                          KernelISA.active.code)
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
