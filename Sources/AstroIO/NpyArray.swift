import Foundation

// The .npy data section is little-endian; on a little-endian host (every platform this package
// targets) its bytes are the in-memory representation, so arrays are copied in bulk, not per element.
#if _endian(big)
#error("AstroIO's .npy support assumes a little-endian host")
#endif

/// An n-dimensional array in NumPy's `.npy` format: C-order data as raw little-endian bytes.
///
/// Reads format versions 1.0, 2.0 and 3.0; writes version 1.0 byte-for-byte as `numpy.save` does,
/// atomically. Only the five dtypes the project needs are supported.
public struct NpyArray: Equatable, Sendable {
  /// Element types, named by their NumPy `descr` as written.
  public enum DType: String, Sendable, CaseIterable {
    case float32 = "<f4"
    case float64 = "<f8"
    case uint8 = "|u1"
    case int8 = "|i1"
    case int32 = "<i4"
    case int64 = "<i8"
    case bool = "|b1"

    /// Bytes per element.
    public var itemSize: Int {
      switch self {
      case .float32, .int32: return 4
      case .float64, .int64: return 8
      case .uint8, .int8, .bool: return 1
      }
    }

    /// Maps a header `descr` to a dtype. `<` (little-endian) and `=` (native; this code assumes a
    /// little-endian host, as are all targets) are accepted for multi-byte types; `|` (not
    /// applicable) and `<`/`=` for one-byte types. Big-endian and other dtypes are rejected.
    static func parse(_ descr: String, source: String) throws -> DType {
      func fail(_ reason: String) -> NpyError { NpyError(source: source, field: "descr", reason: reason) }
      guard let order = descr.first, descr.count >= 2 else { throw fail("invalid dtype '\(descr)'") }
      let code = String(descr.dropFirst())
      if code.hasPrefix("O") { throw fail("object dtype '\(descr)' is not supported") }
      if order == ">" || order == "!" { throw fail("big-endian '\(descr)' is not supported") }
      guard "<|=".contains(order) else { throw fail("invalid byte order in '\(descr)'") }
      let dtype: DType
      switch code {
      case "f4": dtype = .float32
      case "f8": dtype = .float64
      case "i8": dtype = .int64
      case "i4": dtype = .int32
      case "u1": dtype = .uint8
      case "i1": dtype = .int8
      case "b1": dtype = .bool
      default: throw fail("unsupported dtype '\(descr)' (supported: <f4, <f8, <i8, <i4, |u1, |i1, |b1)")
      }
      if order == "|" && dtype.itemSize > 1 { throw fail("'|' byte order is invalid for '\(descr)'") }
      return dtype
    }
  }

  /// Extents in C (row-major) order; `[]` for a 0-d array.
  public let shape: [Int]
  /// The element type.
  public let dtype: DType
  /// `shape.product * dtype.itemSize` bytes, little-endian.
  public let data: Data

  /// Number of elements (1 for a 0-d array).
  public var count: Int { shape.reduce(1, *) }

  /// Wraps raw little-endian bytes; throws when their size does not match the shape.
  public init(shape: [Int], dtype: DType, data: Data) throws {
    guard let count = elementCount(shape), count <= Int.max / dtype.itemSize else {
      throw NpyError(source: "<memory>", field: "shape", reason: "invalid shape \(shape)")
    }
    guard data.count == count * dtype.itemSize else {
      let needed = count * dtype.itemSize
      throw NpyError(source: "<memory>", field: "data",
                     reason: "shape \(shape) of \(dtype.rawValue) needs \(needed) bytes, got \(data.count)")
    }
    self.shape = shape
    self.dtype = dtype
    self.data = data.startIndex == 0 ? data : Data(data) // re-base slices so indices start at 0
  }

  /// Typed constructors: `values.count` must equal the product of `shape`, otherwise they throw.
  public init(shape: [Int], floats: [Float]) throws {
    try self.init(shape: shape, dtype: .float32, data: Self.rawBytes(floats))
  }

  public init(shape: [Int], doubles: [Double]) throws {
    try self.init(shape: shape, dtype: .float64, data: Self.rawBytes(doubles))
  }

  public init(shape: [Int], int64s: [Int64]) throws {
    try self.init(shape: shape, dtype: .int64, data: Self.rawBytes(int64s))
  }

  public init(shape: [Int], int8s: [Int8]) throws {
    try self.init(shape: shape, dtype: .int8, data: Data(int8s.map { UInt8(bitPattern: $0) }))
  }

  public init(shape: [Int], int32s: [Int32]) throws {
    try self.init(shape: shape, dtype: .int32, data: Self.rawBytes(int32s))
  }

  public init(shape: [Int], uint8s: [UInt8]) throws {
    try self.init(shape: shape, dtype: .uint8, data: Data(uint8s))
  }

  public init(shape: [Int], bools: [Bool]) throws {
    try self.init(shape: shape, dtype: .bool, data: Data(bools.map { $0 ? 1 : 0 }))
  }

  // MARK: - Reading

  /// Reads a `.npy` file.
  public static func read(path: String) throws -> NpyArray {
    let contents: Data
    do {
      contents = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
    } catch {
      throw NpyError(source: path, field: "file", reason: "cannot read: \(error.localizedDescription)")
    }
    return try NpyArray(data: contents, source: path)
  }

  /// Parses the bytes of a `.npy` file; `source` names it in errors.
  public init(data bytes: Data, source: String = "<memory>") throws {
    let header = try NpyHeader.parse(bytes, source: source)
    let dtype = try DType.parse(header.descr, source: source)
    if header.fortranOrder {
      throw NpyError(source: source, field: "fortran_order", reason: "Fortran-ordered arrays are not supported")
    }
    guard let count = elementCount(header.shape), count <= Int.max / dtype.itemSize else {
      throw NpyError(source: source, field: "shape", reason: "shape \(header.shape) is too large")
    }
    let needed = count * dtype.itemSize
    let available = bytes.count - header.dataOffset
    guard available >= needed else {
      throw NpyError(source: source, field: "data", reason: "data section has \(available) bytes, "
                       + "shape \(header.shape) of \(header.descr) needs \(needed)")
    }
    // NumPy also ignores bytes after the data section.
    let start = bytes.startIndex + header.dataOffset
    let payload = bytes.subdata(in: start..<(start + needed))
    try self.init(shape: header.shape, dtype: dtype, data: payload)
  }

  // MARK: - Element access (converting from any dtype; booleans read as 0 and 1)

  /// The elements as `Float`s in C order (float64 and int64 values are rounded to nearest).
  public func floats() -> [Float] {
    switch dtype {
    case .float32: return values(Float.self)
    case .float64: return values(Double.self).map { Float($0) }
    case .int64: return values(Int64.self).map { Float($0) }
    case .int32: return values(Int32.self).map { Float($0) }
    case .int8: return bytes().map { Float(Int8(bitPattern: $0)) }
    case .uint8, .bool: return bytes().map { Float($0) }
    }
  }

  /// The elements as `Double`s in C order (exact for every dtype but int64 beyond 2^53).
  public func doubles() -> [Double] {
    switch dtype {
    case .float32: return values(Float.self).map { Double($0) }
    case .float64: return values(Double.self)
    case .int64: return values(Int64.self).map { Double($0) }
    case .int32: return values(Int32.self).map { Double($0) }
    case .int8: return bytes().map { Double(Int8(bitPattern: $0)) }
    case .uint8, .bool: return bytes().map { Double($0) }
    }
  }

  /// The elements as `Int64`s. Floats are truncated toward zero; NaN gives 0 and out-of-range
  /// values clamp instead of trapping.
  public func int64s() -> [Int64] {
    switch dtype {
    case .float32, .float64: return doubles().map(Self.clampToInt64)
    case .int64: return values(Int64.self)
    case .int32: return values(Int32.self).map { Int64($0) }
    case .int8: return bytes().map { Int64(Int8(bitPattern: $0)) }
    case .uint8, .bool: return bytes().map { Int64($0) }
    }
  }

  /// The elements as `UInt8`s. Values outside 0...255 clamp; floats are truncated toward zero (NaN gives 0).
  public func uint8s() -> [UInt8] {
    switch dtype {
    case .uint8, .bool: return bytes()
    default: return int64s().map { UInt8(clamping: $0) }
    }
  }

  /// The elements as `Int8`s. Values outside -128...127 clamp; floats are truncated toward zero (NaN gives 0).
  public func int8s() -> [Int8] {
    dtype == .int8 ? bytes().map { Int8(bitPattern: $0) } : int64s().map { Int8(clamping: $0) }
  }

  /// One-byte elements; any nonzero bool byte counts as true (1), as in NumPy.
  private func bytes() -> [UInt8] {
    dtype == .bool ? data.map { $0 == 0 ? 0 : 1 } : [UInt8](data)
  }

  // MARK: - Writing

  /// The complete file contents: a version 1.0 header exactly as NumPy writes it, then the data.
  public func encoded() -> Data {
    NpyHeader.format(descr: dtype.rawValue, shape: shape) + data
  }

  /// The header `numpy.save` writes for an array of `dtype` and `shape` (data aligned to 64 bytes): followed
  /// by the C-order data, a complete file. For arrays written a block at a time.
  public static func fileHeader(dtype: DType, shape: [Int]) -> Data { NpyHeader.format(descr: dtype.rawValue, shape: shape) }

  /// Writes the array to `path` atomically (temporary file in the same folder, fsync, rename).
  public func write(to path: String) throws {
    do {
      try AtomicFile.write([NpyHeader.format(descr: dtype.rawValue, shape: shape), data], to: path)
    } catch let failure as AtomicFile.Failure {
      throw NpyError(source: path, field: "file", reason: failure.message)
    }
  }

  // MARK: - Byte helpers

  private static func clampToInt64(_ value: Double) -> Int64 {
    if value.isNaN { return 0 }
    if value >= 9.223372036854775807e18 { return .max }
    if value <= -9.223372036854775808e18 { return .min }
    return Int64(value)
  }

  private static func rawBytes<T>(_ values: [T]) -> Data {
    values.withUnsafeBytes { Data($0) }
  }

  /// The data section as an array of `T` (which must match the dtype's item size).
  private func values<T>(_: T.Type) -> [T] {
    let count = data.count / MemoryLayout<T>.stride
    return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
      initialized = data.copyBytes(to: buffer) / MemoryLayout<T>.stride
    }
  }
}
