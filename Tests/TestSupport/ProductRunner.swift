import Foundation

/// What a run of one of the package's executables printed and returned.
public struct ProductRun {
  public let status: Int32
  public let stdout: String
  public let stderr: String
}

/// Runs the package's executable `product` (built beside the tests) with `arguments` in `folder` (the package
/// root by default).
public func runProduct(_ product: String, _ arguments: [String], in folder: URL? = nil) throws -> ProductRun {
  try runExecutable(try SharedData.builtProduct(product), arguments, in: folder)
}

/// Runs the executable at `path` (a product, a Python) with `arguments` in `folder` (the package root by default).
public func runExecutable(_ path: String, _ arguments: [String], in folder: URL? = nil) throws -> ProductRun {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: path)
  process.arguments = arguments
  process.currentDirectoryURL = folder ?? SharedData.packageRoot
  // stderr goes to a file, so that neither stream can fill a pipe and block the process.
  let errPath = FileManager.default.temporaryDirectory.appendingPathComponent("stderr-\(UUID().uuidString)").path
  _ = FileManager.default.createFile(atPath: errPath, contents: nil)
  defer { try? FileManager.default.removeItem(atPath: errPath) }
  let out = Pipe()
  process.standardOutput = out
  process.standardError = FileHandle(forWritingAtPath: errPath)
  try process.run()
  let stdout = out.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  let stderr = FileManager.default.contents(atPath: errPath) ?? Data()
  return ProductRun(
    status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
}
