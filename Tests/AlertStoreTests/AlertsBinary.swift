import Foundation
import TestSupport
import XCTest

/// Runs the built `alerts` executable, as a user would.
enum AlertsBinary {
  /// The `alerts` executable built with these tests, or a skip saying how to build it.
  static func path() throws -> String { try SharedData.builtProduct("alerts") }

  struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  /// Starts `alerts` with `arguments` and returns at once: its standard error goes to `log`, its standard output to
  /// `log.out` (read them while it runs or after).
  static func start(_ arguments: [String], log: String) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try path())
    process.arguments = arguments
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    _ = FileManager.default.createFile(atPath: log + ".out", contents: nil)
    process.standardError = FileHandle(forWritingAtPath: log)
    process.standardOutput = FileHandle(forWritingAtPath: log + ".out")
    try process.run()
    return process
  }

  /// Runs `alerts` with `arguments` in `folder` and waits for it. Output goes through files, so a chatty process
  /// cannot block on a full pipe.
  static func run(_ arguments: [String], in folder: String) throws -> Result {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try path())
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: folder)
    let id = UUID().uuidString
    let out = folder + "/.stdout-\(id)"
    let err = folder + "/.stderr-\(id)"
    _ = FileManager.default.createFile(atPath: out, contents: nil)
    _ = FileManager.default.createFile(atPath: err, contents: nil)
    defer {
      try? FileManager.default.removeItem(atPath: out)
      try? FileManager.default.removeItem(atPath: err)
    }
    process.standardOutput = FileHandle(forWritingAtPath: out)
    process.standardError = FileHandle(forWritingAtPath: err)
    try process.run()
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus, stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
      stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
  }
}
