import Foundation
import _CHDF5

// Attributes as Keras uses them: string lists (layer_names, weight_names), JSON configs and
// scalar numbers.
extension HDF5File {
  /// Keras splits string-list attributes whose data exceed this many bytes into chunks
  /// `name0`, `name1`, ... (its `HDF5_OBJECT_HEADER_LIMIT`); we write and read the same way.
  public static let attributeChunkLimit = 64512

  // MARK: - Reading

  /// Reads a string attribute of the object at `path` ("/" for the root), or nil when absent.
  ///
  /// Handles fixed-length strings (Keras 2 / h5py `np.array([...], dtype='S')`), variable-length
  /// strings (Keras 3), scalar or 1-D, and the empty float64 array h5py writes for `[]` (gives `[]`).
  /// When `name` is absent but Keras-style chunks `name0`, `name1`, ... exist, they are concatenated.
  public func stringAttribute(_ name: String, of path: String) throws -> [String]? {
    try withHDF5Lock {
      let object = HDF5Path.normalize(path)
      let oid = try openObject(object)
      defer { H5Oclose(oid) }
      if try attributeExists(oid, name, object) {
        return try readStrings(oid, name, object)
      }
      var chunks: [String] = []
      var index = 0
      while try attributeExists(oid, "\(name)\(index)", object) {
        chunks += try readStrings(oid, "\(name)\(index)", object)
        index += 1
      }
      return index == 0 ? nil : chunks
    }
  }

  /// Reads a scalar numeric attribute (any float or integer type) as a Double, or nil when absent.
  public func doubleAttribute(_ name: String, of path: String) throws -> Double? {
    try withHDF5Lock {
      let object = HDF5Path.normalize(path)
      let oid = try openObject(object)
      defer { H5Oclose(oid) }
      guard try attributeExists(oid, name, object) else { return nil }
      let what = "\(object) attribute '\(name)'"
      let aid = H5Aopen(oid, name, shim_p_default())
      guard aid >= 0 else { throw libraryError(what, "cannot open attribute") }
      defer { H5Aclose(aid) }
      let tid = H5Aget_type(aid)
      guard tid >= 0 else { throw libraryError(what, "cannot read datatype") }
      defer { H5Tclose(tid) }
      let typeClass = H5Tget_class(tid)
      guard typeClass == H5T_FLOAT || typeClass == H5T_INTEGER else {
        throw error(what, "not numeric (HDF5 type class \(typeClass.rawValue))")
      }
      let count = try pointCount(aid, what)
      guard count == 1 else { throw error(what, "has \(count) values, expected one") }
      var value = 0.0
      guard H5Aread(aid, shim_native_double(), &value) >= 0 else { throw libraryError(what, "cannot read value") }
      return value
    }
  }

  private func attributeExists(_ oid: hid_t, _ name: String, _ object: String) throws -> Bool {
    let found = H5Aexists(oid, name)
    guard found >= 0 else { throw libraryError(object, "cannot look up attribute '\(name)'") }
    return found > 0
  }

  private func pointCount(_ aid: hid_t, _ what: String) throws -> Int {
    let sid = H5Aget_space(aid)
    guard sid >= 0 else { throw libraryError(what, "cannot read dataspace") }
    defer { H5Sclose(sid) }
    let count = H5Sget_simple_extent_npoints(sid)
    guard count >= 0, count <= Int32.max else { throw libraryError(what, "bad dataspace") }
    return Int(count)
  }

  private func readStrings(_ oid: hid_t, _ name: String, _ object: String) throws -> [String] {
    let what = "\(object) attribute '\(name)'"
    let aid = H5Aopen(oid, name, shim_p_default())
    guard aid >= 0 else { throw libraryError(what, "cannot open attribute") }
    defer { H5Aclose(aid) }
    let tid = H5Aget_type(aid)
    guard tid >= 0 else { throw libraryError(what, "cannot read datatype") }
    defer { H5Tclose(tid) }
    let count = try pointCount(aid, what)
    let typeClass = H5Tget_class(tid)

    if typeClass != H5T_STRING {
      // h5py stores an empty list as an empty float64 array; any other number is not a string.
      if (typeClass == H5T_FLOAT || typeClass == H5T_INTEGER) && count == 0 { return [] }
      throw error(what, "not a string attribute (HDF5 type class \(typeClass.rawValue))")
    }
    guard count > 0 else { return [] }

    if H5Tis_variable_str(tid) > 0 {
      let memoryType = H5Tcopy(shim_c_s1())
      guard memoryType >= 0 else { throw libraryError(what, "cannot create string type") }
      defer { H5Tclose(memoryType) }
      _ = H5Tset_size(memoryType, shim_t_variable())
      _ = H5Tset_cset(memoryType, H5Tget_cset(tid))
      var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
      let status = pointers.withUnsafeMutableBufferPointer { H5Aread(aid, memoryType, $0.baseAddress) }
      // The library allocated each string; free them with its allocator even after a failed read.
      defer { for pointer in pointers where pointer != nil { H5free_memory(pointer) } }
      guard status >= 0 else { throw libraryError(what, "cannot read strings") }
      return pointers.map { $0.map { String(cString: $0) } ?? "" }
    }

    let size = H5Tget_size(tid)
    guard size > 0, size <= Int.max / count else { throw libraryError(what, "bad string size \(size)") }
    let padding = H5Tget_strpad(tid)
    var bytes = [UInt8](repeating: 0, count: size * count)
    let status = bytes.withUnsafeMutableBytes { H5Aread(aid, tid, $0.baseAddress) }
    guard status >= 0 else { throw libraryError(what, "cannot read strings") }
    return (0..<count).map { index in
      var element = bytes[(index * size)..<((index + 1) * size)]
      if let end = element.firstIndex(of: 0) { element = element[..<end] }
      if padding == H5T_STR_SPACEPAD {
        while let last = element.last, last == 0x20 { element = element.dropLast() }
      }
      return String(decoding: element, as: UTF8.self)
    }
  }

  // MARK: - Writing

  /// Writes `values` as a 1-D fixed-length string attribute, as h5py writes `np.array(values, dtype='S')`:
  /// ASCII, NULLPAD, element size = the longest UTF-8 length (at least 1). An empty list is written as
  /// an empty float64 array of shape (0,), which is what h5py does and what Keras' legacy loader reads
  /// back as `[]`. Lists over `attributeChunkLimit` bytes are split into `name0`, `name1`, ... like Keras.
  /// Replaces an existing attribute of that name (and stale chunks).
  public func setStringAttribute(_ name: String, of path: String, values: [String]) throws {
    try withHDF5Lock {
      let object = HDF5Path.normalize(path)
      try ensureWritable(object)
      let oid = try openObject(object)
      defer { H5Oclose(oid) }
      try deleteAttributeAndChunks(oid, name, object)

      let encoded = values.map { Array($0.utf8) }
      let itemSize = max(1, encoded.map(\.count).max() ?? 0)
      guard !values.isEmpty else {
        try createAttribute(oid, name, object, fileType: shim_ieee_f64le(), shape: [0], bytes: [])
        return
      }
      // Same split as Keras' save_attributes_to_hdf5_group (np.array_split into equal parts).
      var chunkCount = 1
      while (values.count + chunkCount - 1) / chunkCount * itemSize > Self.attributeChunkLimit,
            chunkCount < values.count {
        chunkCount += 1
      }
      var start = 0
      for chunk in 0..<chunkCount {
        let length = values.count / chunkCount + (chunk < values.count % chunkCount ? 1 : 0)
        var bytes = [UInt8](repeating: 0, count: length * itemSize)
        for (offset, string) in encoded[start..<(start + length)].enumerated() {
          bytes.replaceSubrange((offset * itemSize)..<(offset * itemSize + string.count), with: string)
        }
        let chunkName = chunkCount == 1 ? name : "\(name)\(chunk)"
        try writeFixedStrings(oid, chunkName, object, itemSize: itemSize, shape: [length], bytes: bytes)
        start += length
      }
    }
  }

  /// Writes `value` as a scalar fixed-length (NULLPAD, ASCII-tagged UTF-8) string attribute, as h5py
  /// writes `np.bytes_(value)`; used for JSON configs. Replaces an existing attribute of that name.
  public func setStringAttribute(_ name: String, of path: String, value: String) throws {
    try withHDF5Lock {
      let object = HDF5Path.normalize(path)
      try ensureWritable(object)
      let oid = try openObject(object)
      defer { H5Oclose(oid) }
      try deleteAttributeAndChunks(oid, name, object)
      let bytes = Array(value.utf8)
      let itemSize = max(1, bytes.count)
      try writeFixedStrings(oid, name, object, itemSize: itemSize, shape: [],
                            bytes: bytes + [UInt8](repeating: 0, count: itemSize - bytes.count))
    }
  }

  /// Writes a scalar float64 attribute. Replaces an existing attribute of that name.
  public func setDoubleAttribute(_ name: String, of path: String, value: Double) throws {
    try withHDF5Lock {
      let object = HDF5Path.normalize(path)
      try ensureWritable(object)
      let oid = try openObject(object)
      defer { H5Oclose(oid) }
      try deleteAttributeAndChunks(oid, name, object)
      let bytes = withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) }
      try createAttribute(oid, name, object, fileType: shim_ieee_f64le(), shape: [], bytes: bytes)
    }
  }

  /// Removes `name` and any `name0`, `name1`, ... chunks, so a rewrite never leaves stale data
  /// that a chunk-aware reader would pick up.
  private func deleteAttributeAndChunks(_ oid: hid_t, _ name: String, _ object: String) throws {
    if try attributeExists(oid, name, object) {
      guard H5Adelete(oid, name) >= 0 else { throw libraryError(object, "cannot replace attribute '\(name)'") }
    }
    var index = 0
    while try attributeExists(oid, "\(name)\(index)", object) {
      guard H5Adelete(oid, "\(name)\(index)") >= 0 else {
        throw libraryError(object, "cannot remove attribute chunk '\(name)\(index)'")
      }
      index += 1
    }
  }

  private func writeFixedStrings(_ oid: hid_t, _ name: String, _ object: String,
                                 itemSize: Int, shape: [Int], bytes: [UInt8]) throws {
    let type = H5Tcopy(shim_c_s1())
    guard type >= 0 else { throw libraryError(object, "cannot create string type") }
    defer { H5Tclose(type) }
    guard H5Tset_size(type, itemSize) >= 0, H5Tset_strpad(type, H5T_STR_NULLPAD) >= 0,
       H5Tset_cset(type, H5T_CSET_ASCII) >= 0 else {
      throw libraryError(object, "cannot set up string type of \(itemSize) bytes")
    }
    try createAttribute(oid, name, object, fileType: type, shape: shape, bytes: bytes, memoryType: type)
  }

  /// Creates attribute `name` with the given file type and shape (`[]` = scalar) and writes `bytes`,
  /// already laid out in `memoryType` (the file type when nil).
  private func createAttribute(_ oid: hid_t, _ name: String, _ object: String, fileType: hid_t,
                               shape: [Int], bytes: [UInt8], memoryType: hid_t? = nil) throws {
    let what = "\(object) attribute '\(name)'"
    let sid: hid_t
    if shape.isEmpty {
      sid = H5Screate(H5S_SCALAR)
    } else {
      let dims = shape.map { hsize_t($0) }
      sid = H5Screate_simple(Int32(dims.count), dims, nil)
    }
    guard sid >= 0 else { throw libraryError(what, "cannot create dataspace") }
    defer { H5Sclose(sid) }
    let aid = H5Acreate2(oid, name, fileType, sid, shim_p_default(), shim_p_default())
    guard aid >= 0 else { throw libraryError(what, "cannot create attribute") }
    defer { H5Aclose(aid) }
    guard !bytes.isEmpty else { return }
    let status = bytes.withUnsafeBytes { H5Awrite(aid, memoryType ?? fileType, $0.baseAddress) }
    guard status >= 0 else { throw libraryError(what, "cannot write attribute") }
  }
}
