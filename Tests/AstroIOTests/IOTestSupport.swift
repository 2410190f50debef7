import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The project's read-only fixtures live in `../shared` beside the package root.
enum Fixtures {
  /// Tests/AstroIOTests/IOTestSupport.swift -> three levels up is the package root.
  static let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  static let sharedFolder = packageRoot.appendingPathComponent("../shared").standardized

  /// Absolute path of a fixture; skips the test when `../shared` is absent (e.g. a bare clone),
  /// fails it when the folder is there but the file is not.
  static func path(_ relative: String) throws -> String {
    guard FileManager.default.fileExists(atPath: sharedFolder.path) else {
      throw XCTSkip("../shared not found: the read-only fixtures are expected at \(sharedFolder.path)")
    }
    let path = sharedFolder.appendingPathComponent(relative).path
    guard FileManager.default.fileExists(atPath: path) else {
      throw FixtureMissing(path: path)
    }
    return path
  }

  struct FixtureMissing: Error, CustomStringConvertible {
    let path: String
    var description: String { "fixture missing in ../shared: \(path)" }
  }
}

/// Runs `python3 -c` for cross-checks against h5py / NumPy, which may be absent (e.g. in CI).
enum Python {
  struct Result {
    let status: Int32
    let output: String
    let errors: String
  }

  struct Failure: Error, CustomStringConvertible {
    let status: Int32
    let errors: String
    var description: String { "python3 exited with \(status): \(errors)" }
  }

  /// Runs `script` with `arguments` (available as sys.argv[1:]); nil when python3 cannot be started.
  static func run(_ script: String, _ arguments: [String] = []) -> Result? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    // stderr goes to a file so that a chatty script cannot block on a full pipe we are not reading.
    let errorPath = FileManager.default.temporaryDirectory.appendingPathComponent("py-stderr-\(UUID().uuidString)")
    guard FileManager.default.createFile(atPath: errorPath.path, contents: nil),
          let errorHandle = try? FileHandle(forWritingTo: errorPath) else { return nil }
    defer {
      try? errorHandle.close()
      try? FileManager.default.removeItem(at: errorPath)
    }
    let out = Pipe()
    process.standardOutput = out
    process.standardError = errorHandle
    do { try process.run() } catch { return nil }
    let outputData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let errorData = (try? Data(contentsOf: errorPath)) ?? Data()
    return Result(status: process.terminationStatus,
                  output: String(decoding: outputData, as: UTF8.self),
                  errors: String(decoding: errorData, as: UTF8.self))
  }

  /// Skips the test unless `import <modules>` works.
  static func require(_ modules: String) throws {
    guard let result = run("import \(modules)"), result.status == 0 else {
      throw XCTSkip("python3 with \(modules) not available; cross-check skipped")
    }
  }

  /// Decodes numbers that a script printed as `repr()` strings: Foundation's JSON parser on Linux can
  /// be off by an ulp, Swift's `Double(String)` is exact.
  static func doubles(_ value: Any?) -> [Double]? {
    (value as? [String]).map { $0.compactMap(Double.init) }
  }

  /// Runs a script that must succeed and print one JSON value on its last line.
  static func json(_ script: String, _ arguments: [String] = []) throws -> Any {
    guard let result = run(script, arguments) else { throw XCTSkip("python3 not available") }
    guard result.status == 0 else { throw Failure(status: result.status, errors: result.errors) }
    let last = result.output.split(separator: "\n").last.map(String.init) ?? ""
    return try JSONSerialization.jsonObject(with: Data(last.utf8), options: [.fragmentsAllowed])
  }
}

/// A test case with a fresh temporary folder per test.
class TemporaryFolderTestCase: XCTestCase {
  private(set) var folder: URL!

  override func setUpWithError() throws {
    folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("astroio-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    if let folder { try? FileManager.default.removeItem(at: folder) }
  }

  func temporaryPath(_ name: String) -> String {
    folder.appendingPathComponent(name).path
  }
}

/// Runs `body` with file descriptor 2 redirected to a file and returns what was written there,
/// to prove that failures print nothing of their own.
func capturingStandardError(_ body: () throws -> Void) rethrows -> String {
  let path = FileManager.default.temporaryDirectory.appendingPathComponent("stderr-\(UUID().uuidString)").path
  let capture = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
  let saved = dup(2)
  fflush(nil)
  dup2(capture, 2)
  defer {
    fflush(nil)
    dup2(saved, 2)
    close(saved)
    close(capture)
    unlink(path)
  }
  try body()
  fflush(nil)
  return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
}
