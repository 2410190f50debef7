import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Write-to-temporary-then-rename, so a crash or error mid-write never leaves a half-written
/// weights file or array at the destination: readers see either the old file or the new one.
public enum AtomicFile {
  /// A failure in the temp/fsync/rename steps; callers wrap it in their own error type.
  public struct Failure: Error {
    public let message: String
  }

  /// A fresh temporary path in the destination's folder (rename is only atomic within one
  /// file system): `<dir>/.<name>.tmp-<pid>-<random>`.
  ///
  /// Temporary files of this destination left by a process that was killed mid-write are removed first, so
  /// repeated kills do not pile them up.
  static func temporaryPath(for destination: String) -> String {
    removeAbandonedTemporaries(of: destination)
    let url = URL(fileURLWithPath: destination)
    let random = String(UInt64.random(in: 0...UInt64.max), radix: 36)
    let name = ".\(url.lastPathComponent).tmp-\(getpid())-\(random)"
    return url.deletingLastPathComponent().appendingPathComponent(name).path
  }

  /// Removes `.<name>.tmp-<pid>-*` files of `destination` whose writer process no longer exists.
  static func removeAbandonedTemporaries(of destination: String) {
    let url = URL(fileURLWithPath: destination)
    let prefix = ".\(url.lastPathComponent).tmp-"
    let folder = url.deletingLastPathComponent().path
    for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasPrefix(prefix) {
      guard let pid = Int32(name.dropFirst(prefix.count).prefix { $0 != "-" }), pid > 0 else { continue }
      if kill(pid, 0) != 0 && errno == ESRCH { unlink((folder as NSString).appendingPathComponent(name)) }
    }
  }

  /// Fsyncs the finished temporary file, renames it over `destination`, then fsyncs the folder so
  /// the rename itself survives a crash (best effort: not every file system allows it).
  static func commit(temporary: String, to destination: String) throws {
    let fd = open(temporary, O_RDONLY)
    guard fd >= 0 else { throw Failure(message: "cannot reopen temporary file \(temporary): \(errnoText())") }
    let synced = fsync(fd)
    let syncErrno = errno
    close(fd)
    guard synced == 0 else { throw Failure(message: "fsync failed: \(String(cString: strerror(syncErrno)))") }
    guard rename(temporary, destination) == 0 else {
      throw Failure(message: "cannot rename temporary file over \(destination): \(errnoText())")
    }
    let folder = URL(fileURLWithPath: destination).deletingLastPathComponent().path
    let dirFD = open(folder, O_RDONLY)
    if dirFD >= 0 {
      _ = fsync(dirFD)
      close(dirFD)
    }
  }

  /// Writes the concatenation of `parts` to `destination` atomically. On failure the temporary file is removed and any
  /// existing destination is untouched.
  public static func write(_ parts: [Data], to destination: String) throws {
    let temporary = temporaryPath(for: destination)
    do {
      // O_EXCL: never clobber a file that happens to share the temporary name.
      let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o666) // the umask decides, as for any new file
      guard fd >= 0 else { throw Failure(message: "cannot create \(temporary): \(errnoText())") }
      let written = parts.allSatisfy { writeAll(fd, $0) }
      let writeErrno = errno
      close(fd)
      guard written else {
        throw Failure(message: "cannot write \(temporary): \(String(cString: strerror(writeErrno)))")
      }
      try commit(temporary: temporary, to: destination)
    } catch {
      unlink(temporary)
      throw error
    }
  }

  private static func errnoText() -> String {
    String(cString: strerror(errno))
  }
}

/// Writes all of `data` to `fd`, retrying short writes and EINTR. At file scope so that `write`
/// means the POSIX call, not `AtomicFile.write`.
private func writeAll(_ fd: Int32, _ data: Data) -> Bool {
  data.withUnsafeBytes { buffer -> Bool in
    guard let base = buffer.baseAddress else { return true }
    var offset = 0
    while offset < buffer.count {
      let n = write(fd, base + offset, buffer.count - offset)
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { return false }
      offset += n
    }
    return true
  }
}
