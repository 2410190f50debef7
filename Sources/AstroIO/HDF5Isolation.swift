import Foundation

/// Checks an HDF5 file from outside in a child process before this process opens it.
///
/// libhdf5 is C, and Debian's 1.10.8 has known memory-safety bugs on malformed files (heap corruption in
/// `H5Fclose`, an out-of-bounds copy in `H5Dread`): a crash inside it cannot be caught, so a server or a batch job
/// that loads weights it was sent would die with it. Our own checks (HDF5File's signature check, the size checks
/// before every read, bounded walks) stop what they can see; what remains is contained by reading the whole file
/// first in `astro-h5check`, a child process that dies instead of the caller. A file the child read cleanly has had
/// every structure a loader touches parsed once already.
public enum HDF5Isolation {
  /// The helper executable: `$ASTRO_H5CHECK`, else `astro-h5check` beside the running executable, else on `PATH`.
  public static func helperPath() -> String? {
    let environment = ProcessInfo.processInfo.environment
    if let path = environment["ASTRO_H5CHECK"], !path.isEmpty { return path }
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    let beside = ((executable as NSString).deletingLastPathComponent as NSString).appendingPathComponent("astro-h5check")
    if FileManager.default.isExecutableFile(atPath: beside) { return beside }
    for folder in (environment["PATH"] ?? "").split(separator: ":") {
      let candidate = (String(folder) as NSString).appendingPathComponent("astro-h5check")
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
  }

  /// Checks, each in a child process, every HDF5 file among `paths` (named `.h5` or `.hdf5`) and every such file
  /// directly inside a folder among them; other files (.onnx, .tflite, .npy) are left to their own parsers.
  public static func checkFiles(_ paths: [String], timeout: TimeInterval = 120) throws {
    func isHDF5(_ path: String) -> Bool { ["h5", "hdf5"].contains((path as NSString).pathExtension.lowercased()) }
    for path in paths {
      var isFolder: ObjCBool = false
      if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        for name in names.sorted() where isHDF5(name) { try check((path as NSString).appendingPathComponent(name), timeout: timeout) }
      } else if isHDF5(path) {
        try check(path, timeout: timeout)
      }
    }
  }

  /// Reads all of `path` in a child process (`HDF5File.readEverything`). Returns when the file read cleanly; throws
  /// an `HDF5Error` naming the file with the child's error, or saying that libhdf5 crashed or hung on it.
  public static func check(_ path: String, timeout: TimeInterval = 120) throws {
    func fail(_ reason: String) -> HDF5Error { HDF5Error(file: path, object: "", reason: reason) }
    guard let helper = helperPath() else {
      throw fail("cannot check the file in a child process: astro-h5check not found (build it with "
        + "`swift build -c release --product astro-h5check`, or set ASTRO_H5CHECK)")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: helper)
    process.arguments = [path]
    // The child's error goes to a file, read after it exits: no pipe to drain while waiting.
    let errorFile = (NSTemporaryDirectory() as NSString).appendingPathComponent("astro-h5check-\(UUID().uuidString)")
    guard FileManager.default.createFile(atPath: errorFile, contents: nil), let errors = FileHandle(forWritingAtPath: errorFile)
    else { throw fail("cannot create \(errorFile) for the child check") }
    defer { try? FileManager.default.removeItem(atPath: errorFile) }
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    do { try process.run() } catch { throw fail("cannot start \(helper): \(error)") }
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(10_000) }
    if process.isRunning {
      process.terminate()
      process.waitUntilExit()
      throw fail("libhdf5 did not finish reading the file in \(Int(timeout)) s (in the child check): not loaded")
    }
    process.waitUntilExit()
    try? errors.close()
    let message = ((try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    switch (process.terminationReason, process.terminationStatus) {
    case (.exit, 0): return
    case (.uncaughtSignal, let signal):
      throw fail("libhdf5 crashed reading the file (signal \(signal), in the child check): it is malformed and was not loaded")
    case (_, let status):
      // The child prints the HDF5Error, which already starts with the file name.
      let name = (path as NSString).lastPathComponent + ": "
      if message.isEmpty { throw fail("the child check failed (status \(status))") }
      throw fail(message.hasPrefix(name) ? String(message.dropFirst(name.count)) : message)
    }
  }
}
