import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A `.npy` file mapped into memory and read a block of rows at a time, for arrays larger than memory (a pool of
/// a million 63×63×3 triplets is 48 GB as float32).
///
/// `NpyArray.read` copies the whole data section; this keeps the file mapped read-only and converts only the
/// rows asked for, so the pages the operating system holds stay bounded by what is being read.
public final class MappedNpyFile: @unchecked Sendable {
  /// The file's path, as given.
  public let path: String
  /// The array's shape; the first axis is the rows.
  public let shape: [Int]
  /// The element type.
  public let dtype: NpyArray.DType
  /// Elements per row: the product of the shape after the first axis.
  public let rowElements: Int
  // Immutable after init; the mapping lives until deinit, so reads from several threads are safe.
  private let base: UnsafeRawPointer
  private let length: Int
  private let dataOffset: Int

  /// Rows along the first axis (1 for a 0-d array).
  public var rowCount: Int { shape.first ?? 1 }
  /// The shape of one row.
  public var rowShape: [Int] { Array(shape.dropFirst()) }

  /// Maps `path` and checks its header and size; errors name the file and the field at fault.
  public init(path: String) throws {
    self.path = path
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else {
      throw NpyError(source: path, field: "file", reason: "cannot open: \(String(cString: strerror(errno)))")
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, info.st_size > 0 else {
      throw NpyError(source: path, field: "file", reason: "empty or unreadable file")
    }
    length = Int(info.st_size)
    guard let mapped = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
      throw NpyError(source: path, field: "file", reason: "cannot map: \(String(cString: strerror(errno)))")
    }
    base = UnsafeRawPointer(mapped)
    do {
      let whole = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: length, deallocator: .none)
      let header = try NpyHeader.parse(whole, source: path)
      let dtype = try NpyArray.DType.parse(header.descr, source: path)
      if header.fortranOrder {
        throw NpyError(source: path, field: "fortran_order", reason: "Fortran-ordered arrays are not supported")
      }
      // A row's size on its own too: a zero first axis makes the total 0 whatever the rest declares.
      guard let count = elementCount(header.shape), let perRow = elementCount(Array(header.shape.dropFirst())),
        !perRow.multipliedReportingOverflow(by: dtype.itemSize).overflow
      else {
        throw NpyError(source: path, field: "shape", reason: "shape \(header.shape) is too large")
      }
      guard count <= (length - header.dataOffset) / dtype.itemSize else {
        throw NpyError(source: path, field: "data", reason: "data section has \(length - header.dataOffset) bytes, "
                         + "shape \(header.shape) of \(header.descr) needs \(count) elements of \(dtype.itemSize) bytes")
      }
      self.dtype = dtype
      shape = header.shape
      dataOffset = header.dataOffset
      rowElements = perRow
    } catch {
      munmap(UnsafeMutableRawPointer(mutating: base), length)
      throw error
    }
  }

  deinit { munmap(UnsafeMutableRawPointer(mutating: base), length) }

  /// Rows `rows` as `Float`s in C order, converted as `NpyArray.floats()` converts.
  public func floats(rows: Range<Int>) throws -> [Float] {
    guard rows.lowerBound >= 0, rows.upperBound <= rowCount else {
      throw NpyError(source: path, field: "rows", reason: "rows \(rows) outside 0..<\(rowCount)")
    }
    // The rows' bytes wrapped without a copy; NpyArray's own conversion makes the one copy.
    let bytes = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base + dataOffset + rows.lowerBound * rowElements * dtype.itemSize),
                     count: rows.count * rowElements * dtype.itemSize, deallocator: .none)
    return try NpyArray(shape: [rows.count] + rowShape, dtype: dtype, data: bytes).floats()
  }
}
