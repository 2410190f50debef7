import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files by temporary-file-then-rename, so a reader (or a crash mid-write) never sees a half-written
/// PNG or report: the destination holds either the old file or the complete new one.
public enum AtomicFileWriter {
  /// Writes `data` to `path` atomically: a uniquely named temporary file in the same folder (rename is only
  /// atomic within one file system) is written in full, fsynced, then renamed over `path`.
  /// - Throws: `PlotError.io` naming the step that failed; the temporary file is removed and any existing file
  ///   at `path` is left untouched.
  public static func write(_ data: Data, to path: String) throws {
    let destination = URL(fileURLWithPath: path)
    let folder = destination.deletingLastPathComponent().path
    let random = String(UInt64.random(in: 0...UInt64.max), radix: 36)
    let temporary = destination.deletingLastPathComponent()
      .appendingPathComponent(".\(destination.lastPathComponent).tmp-\(getpid())-\(random)").path
    // O_EXCL: never clobber another file that happens to share the temporary name.
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
    guard fd >= 0 else { throw PlotError.io(path: path, message: "cannot create temporary file in \(folder): \(errnoText())") }
    var failure: String?
    let complete = data.withUnsafeBytes { buffer -> Bool in
      guard let base = buffer.baseAddress else { return true }
      var offset = 0
      while offset < buffer.count {
        let n = Glibc.write(fd, base + offset, buffer.count - offset)
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { return false }
        offset += n
      }
      return true
    }
    if !complete { failure = "write failed: \(errnoText())" } else if fsync(fd) != 0 { failure = "fsync failed: \(errnoText())" }
    close(fd)
    if failure == nil && rename(temporary, path) != 0 { failure = "cannot rename temporary file into place: \(errnoText())" }
    if let failure {
      unlink(temporary)
      throw PlotError.io(path: path, message: failure)
    }
    // Best effort: make the rename itself durable (not every file system allows fsync on a folder).
    let folderFD = open(folder, O_RDONLY)
    if folderFD >= 0 {
      _ = fsync(folderFD)
      close(folderFD)
    }
  }

  /// Writes `text` as UTF-8 to `path` atomically (see `write(_:to:)`).
  public static func write(_ text: String, to path: String) throws {
    try write(Data(text.utf8), to: path)
  }

  private static func errnoText() -> String { String(cString: strerror(errno)) }
}
