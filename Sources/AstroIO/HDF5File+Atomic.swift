import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension HDF5File {
  /// Creates a new HDF5 file at `path` by running `body` on a file opened for writing, atomically.
  ///
  /// The data go to a temporary file in the same folder (`.<name>.tmp-<pid>-<random>`), which is
  /// closed, fsynced and renamed over `path` only after `body` returns. If `body` or any step
  /// throws, the temporary file is removed and an existing file at `path` is left untouched, so a
  /// crash mid-save never destroys the previous checkpoint. Errors from `body` are rethrown as is.
  public static func writeAtomically(to path: String, _ body: (HDF5File) throws -> Void) throws {
    let temporary = AtomicFile.temporaryPath(for: path)
    do {
      let file: HDF5File
      do {
        file = try HDF5File(path: temporary, mode: .create(truncate: false))
      } catch let error as HDF5Error {
        throw HDF5Error(file: path, object: "", reason: "cannot create temporary file: \(error.reason)")
      }
      do {
        try body(file)
      } catch {
        try? file.close()
        throw error
      }
      try file.close()
      do {
        try AtomicFile.commit(temporary: temporary, to: path)
      } catch let failure as AtomicFile.Failure {
        throw HDF5Error(file: path, object: "", reason: failure.message)
      }
    } catch {
      unlink(temporary)
      throw error
    }
  }
}
