import Foundation
import _CHDF5

// Numeric datasets: reading with conversion to a native memory type, writing little-endian data,
// and creating groups.
extension HDF5File {
  // MARK: - Reading

  /// Reads a numeric dataset as `Float`s in row-major order. HDF5 converts from the stored type
  /// (any float or integer type). A scalar dataset gives shape `[]` and one value; a dataset with a
  /// null dataspace gives shape `[0]` and no values.
  ///
  /// With `expecting`, a dataset of another shape is refused before anything is read or allocated. Either way
  /// the declared size must be plausible (see `maximumReadBytes`).
  public func readFloats(_ path: String, expecting: [Int]? = nil) throws -> (shape: [Int], values: [Float]) {
    try readNumeric(path, memoryType: shim_native_float(), zero: Float(0), expecting: expecting)
  }

  /// Reads a numeric dataset as `Double`s; see `readFloats`.
  public func readDoubles(_ path: String) throws -> (shape: [Int], values: [Double]) {
    try readNumeric(path, memoryType: shim_native_double(), zero: Double(0))
  }

  /// Reads a numeric dataset as `Int64`s (floats are converted by HDF5); see `readFloats`.
  public func readInt64s(_ path: String) throws -> (shape: [Int], values: [Int64]) {
    try readNumeric(path, memoryType: shim_native_int64(), zero: Int64(0))
  }

  /// Shape of a dataset without reading its values (`[]` for a scalar).
  public func datasetShape(_ path: String) throws -> [Int] {
    try withHDF5Lock {
      let object = HDF5Path.normalize(path)
      let did = try openDataset(object)
      defer { H5Dclose(did) }
      return try shapeOf(datasetID: did, object).shape
    }
  }

  private func readNumeric<T>(
    _ path: String, memoryType: hid_t, zero: T, expecting: [Int]? = nil
  ) throws -> (shape: [Int], values: [T]) {
    try withHDF5Lock {
      let object = HDF5Path.normalize(path)
      let did = try openDataset(object)
      defer { H5Dclose(did) }

      let tid = H5Dget_type(did)
      guard tid >= 0 else { throw libraryError(object, "cannot read datatype") }
      defer { H5Tclose(tid) }
      let typeClass = H5Tget_class(tid)
      guard typeClass == H5T_FLOAT || typeClass == H5T_INTEGER else {
        throw error(object, "dataset is not numeric (HDF5 type class \(typeClass.rawValue))")
      }

      let (shape, count) = try shapeOf(datasetID: did, object)
      if let expecting, shape != expecting {
        throw error(object, "shape \(shape) in the file, expected \(expecting)")
      }
      try checkPlausibleSize(datasetID: did, typeID: tid, count: count, memoryStride: MemoryLayout<T>.stride, object)
      var values = [T](repeating: zero, count: count)
      if count > 0 {
        let status = values.withUnsafeMutableBytes { buffer in
          H5Dread(did, memoryType, shim_s_all(), shim_s_all(), shim_p_default(), buffer.baseAddress)
        }
        guard status >= 0 else { throw libraryError(object, "cannot read dataset values") }
      }
      return (shape, values)
    }
  }

  /// Refuses a dataset whose declared size the file cannot hold, before a buffer is sized from it: a hostile header
  /// may declare 2^31 elements in a 4 MB file. Unfiltered data must fit in the file; compressed data in its stored
  /// bytes times deflate's largest ratio (about 1032:1, so a decompression bomb is refused); every read in
  /// `maximumReadBytes`.
  private func checkPlausibleSize(datasetID did: hid_t, typeID tid: hid_t, count: Int, memoryStride: Int, _ object: String) throws {
    let elementBytes = max(1, Int(H5Tget_size(tid)))
    let (declared, o1) = count.multipliedReportingOverflow(by: elementBytes)
    let (memory, o2) = count.multipliedReportingOverflow(by: max(1, memoryStride))
    guard !o1, !o2, memory <= maximumReadBytes else {
      throw error(object, "declares \(count) elements, more than this reader allows (\(maximumReadBytes) bytes)")
    }
    let plist = H5Dget_create_plist(did)
    guard plist >= 0 else { throw libraryError(object, "cannot read the dataset's creation properties") }
    defer { H5Pclose(plist) }
    let filters = H5Pget_nfilters(plist)
    guard filters >= 0 else { throw libraryError(object, "cannot read the dataset's filters") }
    let limit: Int
    if filters == 0 {
      limit = fileSize
    } else {
      let (bound, overflow) = Int(clamping: H5Dget_storage_size(did)).multipliedReportingOverflow(by: 1032)
      limit = overflow ? Int.max : bound
    }
    guard declared <= limit else {
      throw error(
        object,
        "declares \(count) elements (\(declared) bytes), more than the file can hold "
          + (filters == 0 ? "(\(fileSize) bytes)" : "(\(limit / 1032) compressed bytes)"))
    }
  }

  /// The dataset's shape and element count, checked to fit in Int.
  private func shapeOf(datasetID did: hid_t, _ object: String) throws -> (shape: [Int], count: Int) {
    let sid = H5Dget_space(did)
    guard sid >= 0 else { throw libraryError(object, "cannot read dataspace") }
    defer { H5Sclose(sid) }
    switch H5Sget_simple_extent_type(sid) {
    case H5S_SCALAR:
      return ([], 1)
    case H5S_NULL:
      return ([0], 0)
    case H5S_SIMPLE:
      let rank = H5Sget_simple_extent_ndims(sid)
      guard rank >= 0 else { throw libraryError(object, "cannot read rank") }
      var dims = [hsize_t](repeating: 0, count: Int(rank))
      if rank > 0 {
        guard H5Sget_simple_extent_dims(sid, &dims, nil) >= 0 else {
          throw libraryError(object, "cannot read dimensions")
        }
      }
      guard dims.allSatisfy({ $0 <= hsize_t(Int.max) }) else { throw error(object, "dimensions too large") }
      let shape = dims.map { Int($0) }
      guard let count = elementCount(shape) else { throw error(object, "dimensions too large: \(shape)") }
      return (shape, count)
    default:
      throw libraryError(object, "unsupported dataspace")
    }
  }

  // MARK: - Writing

  /// Creates the group at `path` and any missing intermediate groups; existing groups are kept.
  public func createGroup(_ path: String) throws {
    try withHDF5Lock {
      let object = HDF5Path.normalize(path)
      try ensureWritable(object)
      var prefix = ""
      for part in HDF5Path.components(object) {
        prefix += "/" + part
        switch objectKind(prefix) {
        case .group?: continue
        case nil:
          let gid = H5Gcreate2(fileID, prefix, shim_p_default(), shim_p_default(), shim_p_default())
          guard gid >= 0 else { throw libraryError(prefix, "cannot create group") }
          H5Gclose(gid)
        default:
          throw error(prefix, "exists and is not a group")
        }
      }
    }
  }

  /// Writes a float32 little-endian dataset (parent groups are created). `shape: []` writes a scalar.
  public func writeFloats(_ path: String, shape: [Int], values: [Float]) throws {
    try writeNumeric(path, shape: shape, values: values, fileType: shim_ieee_f32le(), memoryType: shim_native_float())
  }

  /// Writes a float64 little-endian dataset; see `writeFloats`.
  public func writeDoubles(_ path: String, shape: [Int], values: [Double]) throws {
    try writeNumeric(path, shape: shape, values: values, fileType: shim_ieee_f64le(), memoryType: shim_native_double())
  }

  /// Writes an int64 little-endian dataset; see `writeFloats`.
  public func writeInt64s(_ path: String, shape: [Int], values: [Int64]) throws {
    try writeNumeric(path, shape: shape, values: values, fileType: shim_std_i64le(), memoryType: shim_native_int64())
  }

  /// Writes a uint8 dataset (e.g. image stamps or boolean masks); see `writeFloats`.
  public func writeUInt8s(_ path: String, shape: [Int], values: [UInt8]) throws {
    try writeNumeric(path, shape: shape, values: values, fileType: shim_std_u8le(), memoryType: shim_native_uint8())
  }

  private func writeNumeric<T>(_ path: String, shape: [Int], values: [T], fileType: hid_t, memoryType: hid_t) throws {
    try withHDF5Lock {
      let object = HDF5Path.normalize(path)
      try ensureWritable(object)
      guard object != "/" else { throw error(object, "the root is a group, not a dataset") }
      guard let count = elementCount(shape) else { throw error(object, "invalid shape \(shape)") }
      guard count == values.count else {
        throw error(object, "shape \(shape) needs \(count) values, got \(values.count)")
      }
      guard objectKind(object) == nil else { throw error(object, "already exists") }
      try createGroup(HDF5Path.parent(object))

      let sid: hid_t
      if shape.isEmpty {
        sid = H5Screate(H5S_SCALAR)
      } else {
        let dims = shape.map { hsize_t($0) }
        sid = H5Screate_simple(Int32(dims.count), dims, nil)
      }
      guard sid >= 0 else { throw libraryError(object, "cannot create dataspace for shape \(shape)") }
      defer { H5Sclose(sid) }
      let did = H5Dcreate2(fileID, object, fileType, sid, shim_p_default(), shim_p_default(), shim_p_default())
      guard did >= 0 else { throw libraryError(object, "cannot create dataset") }
      defer { H5Dclose(did) }
      // An empty array may have no buffer; nothing to write for zero elements anyway.
      guard count > 0 else { return }
      let status = values.withUnsafeBytes { buffer in
        H5Dwrite(did, memoryType, shim_s_all(), shim_s_all(), shim_p_default(), buffer.baseAddress)
      }
      guard status >= 0 else { throw libraryError(object, "cannot write dataset values") }
    }
  }
}
