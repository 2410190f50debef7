import Foundation
import _CHDF5

/// An open HDF5 file (the container Keras stores weights in), over the HDF5 C API.
///
/// Every call into libhdf5 holds one process-wide lock, because the serial library build is not
/// thread-safe; instances may therefore be shared between threads. HDF5's own error printing is
/// switched off and failures surface as `HDF5Error`s naming the file, the object and the reason.
/// Reads and writes work on plain Swift arrays in row-major (C) order.
/// (Unchecked Sendable for that reason: the lock serialises every libhdf5 call.)
public final class HDF5File: @unchecked Sendable {
  /// How to open a file.
  public enum Mode: Sendable, Equatable {
    /// Open an existing file for reading.
    case readOnly
    /// Create a new file; with `truncate: false` it fails if the file already exists.
    case create(truncate: Bool)
    /// Open an existing file for reading and writing.
    case readWrite
  }

  /// The path the file was opened with.
  public let path: String
  /// The largest read this file allows, in bytes of memory: a dataset that declares more is refused before
  /// anything is allocated (4 GiB unless given at open).
  public let maximumReadBytes: Int
  /// The size of a file opened read-only (bounds what an uncompressed dataset can hold); unbounded for a file
  /// opened for writing, whose datasets grow as they are written.
  let fileSize: Int
  /// The mode the file was opened with.
  public let mode: Mode
  // Guarded by the HDF5 lock; -1 once closed.
  var fileID: hid_t = -1

  /// Opens or creates the HDF5 file at `path`.
  ///
  /// Before reading, checks that the file exists and carries the HDF5 signature, so a missing,
  /// foreign or truncated file gives a clear error rather than a library failure.
  public init(path: String, mode: Mode, maximumReadBytes: Int = 1 << 32) throws {
    self.path = path
    self.mode = mode
    self.maximumReadBytes = maximumReadBytes
    fileSize = mode == .readOnly ? ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0 : .max
    try withHDF5Lock {
      let fapl = H5Pcreate(shim_p_file_access())
      guard fapl >= 0 else { throw error("", "cannot create file access properties") }
      defer { H5Pclose(fapl) }
      // Strong close: H5Fclose then really closes the file, so an atomic write can fsync and rename it.
      _ = H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG)

      switch mode {
      case .readOnly, .readWrite:
        guard FileManager.default.fileExists(atPath: path) else {
          throw error("", "no such file: \(path)")
        }
        guard H5Fis_hdf5(path) > 0 else {
          _ = hdf5LibraryMessage()
          throw error("", "not an HDF5 file: \(path)")
        }
        let flags = mode == .readOnly ? shim_f_acc_rdonly() : shim_f_acc_rdwr()
        fileID = H5Fopen(path, flags, fapl)
        guard fileID >= 0 else { throw libraryError("", "cannot open: \(path)") }
      case .create(let truncate):
        // New files use the 1.8 format as the floor: attributes over 64 KiB (big model configs)
        // then go to dense storage instead of failing; every HDF5 since 2008 (and h5py) reads it.
        // Existing files opened for writing keep their format.
        _ = H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, shim_f_libver_latest())
        let flags = truncate ? shim_f_acc_trunc() : shim_f_acc_excl()
        fileID = H5Fcreate(path, flags, shim_p_default(), fapl)
        guard fileID >= 0 else { throw libraryError("", "cannot create: \(path)") }
      }
    }
  }

  deinit {
    withHDF5Lock {
      if fileID >= 0 { _ = H5Fclose(fileID) }
    }
  }

  /// Flushes and closes the file. Later calls on this object throw; closing twice is harmless.
  public func close() throws {
    try withHDF5Lock {
      guard fileID >= 0 else { return }
      let status = H5Fclose(fileID)
      fileID = -1
      guard status >= 0 else { throw libraryError("", "cannot close (data may not be written)") }
    }
  }

  // MARK: - Navigation

  /// Whether `path` names an existing object (group or dataset). The root "/" always exists.
  public func exists(_ path: String) -> Bool {
    withHDF5Lock { fileID >= 0 && objectKind(HDF5Path.normalize(path)) != nil }
  }

  /// Whether `path` names a group.
  public func isGroup(_ path: String) -> Bool {
    withHDF5Lock { fileID >= 0 && objectKind(HDF5Path.normalize(path)) == .group }
  }

  /// Whether `path` names a dataset.
  public func isDataset(_ path: String) -> Bool {
    withHDF5Lock { fileID >= 0 && objectKind(HDF5Path.normalize(path)) == .dataset }
  }

  /// Names of the direct members (groups, datasets, links) of `group`, sorted by name.
  public func children(of group: String) throws -> [String] {
    try withHDF5Lock {
      let object = HDF5Path.normalize(group)
      let gid = try openGroup(object)
      defer { H5Gclose(gid) }
      var info = H5G_info_t()
      guard H5Gget_info(gid, &info) >= 0 else { throw libraryError(object, "cannot list members") }
      var names: [String] = []
      for index in 0..<info.nlinks {
        // First call asks for the length, second fills the buffer (HDF5's usual two-step).
        let length = H5Lget_name_by_idx(gid, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, shim_p_default())
        guard length >= 0 else { throw libraryError(object, "cannot read member name #\(index)") }
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: length + 1)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: 0, count: length + 1)
        guard H5Lget_name_by_idx(gid, ".", H5_INDEX_NAME, H5_ITER_INC, index, buffer, length + 1,
                                 shim_p_default()) >= 0 else {
          throw libraryError(object, "cannot read member name #\(index)")
        }
        names.append(String(cString: buffer))
      }
      return names.sorted()
    }
  }

  // MARK: - Internals shared by the extensions (call holding the lock)

  enum ObjectKind { case group, dataset, other }

  /// Kind of the object at a normalized path, or nil when it does not exist.
  func objectKind(_ object: String) -> ObjectKind? {
    guard linkExists(object) else { return nil }
    let oid = H5Oopen(fileID, object, shim_p_default())
    guard oid >= 0 else { _ = hdf5LibraryMessage(); return nil }
    defer { H5Oclose(oid) }
    switch H5Iget_type(oid) {
    case H5I_GROUP: return .group
    case H5I_DATASET: return .dataset
    default: return .other
    }
  }

  /// H5Lexists fails (rather than answering false) when an intermediate link is missing, so walk
  /// the path one component at a time, then make sure the last link resolves to an object.
  func linkExists(_ object: String) -> Bool {
    let parts = HDF5Path.components(object)
    if parts.isEmpty { return fileID >= 0 }
    var prefix = ""
    for part in parts {
      prefix += "/" + part
      guard H5Lexists(fileID, prefix, shim_p_default()) > 0 else { _ = hdf5LibraryMessage(); return false }
    }
    let resolved = H5Oexists_by_name(fileID, prefix, shim_p_default()) > 0
    if !resolved { _ = hdf5LibraryMessage() }
    return resolved
  }

  func ensureOpen(_ object: String) throws {
    guard fileID >= 0 else { throw error(object, "file is closed") }
  }

  func ensureWritable(_ object: String) throws {
    try ensureOpen(object)
    guard mode != .readOnly else { throw error(object, "file is open read-only") }
  }

  func openGroup(_ object: String) throws -> hid_t {
    try ensureOpen(object)
    switch objectKind(object) {
    case nil: throw error(object, "no such group")
    case .group?: break
    default: throw error(object, "not a group")
    }
    let gid = H5Gopen2(fileID, object, shim_p_default())
    guard gid >= 0 else { throw libraryError(object, "cannot open group") }
    return gid
  }

  func openDataset(_ object: String) throws -> hid_t {
    try ensureOpen(object)
    switch objectKind(object) {
    case nil: throw error(object, "no such dataset")
    case .dataset?: break
    default: throw error(object, "not a dataset")
    }
    let did = H5Dopen2(fileID, object, shim_p_default())
    guard did >= 0 else { throw libraryError(object, "cannot open dataset") }
    return did
  }

  /// Opens any object (group or dataset), e.g. to read its attributes. Close with H5Oclose.
  func openObject(_ object: String) throws -> hid_t {
    try ensureOpen(object)
    guard objectKind(object) != nil else { throw error(object, "no such object") }
    let oid = H5Oopen(fileID, object, shim_p_default())
    guard oid >= 0 else { throw libraryError(object, "cannot open object") }
    return oid
  }

  func error(_ object: String, _ reason: String) -> HDF5Error {
    HDF5Error(file: path, object: object, reason: reason)
  }

  /// An error that appends HDF5's own explanation, when it left one on its error stack.
  func libraryError(_ object: String, _ reason: String) -> HDF5Error {
    if let detail = hdf5LibraryMessage() {
      return HDF5Error(file: path, object: object, reason: "\(reason) (HDF5: \(detail))")
    }
    return HDF5Error(file: path, object: object, reason: reason)
  }
}
