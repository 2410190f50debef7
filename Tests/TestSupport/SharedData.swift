import Foundation
import XCTest

/// Locations of the read-only material beside the project (`../shared`) and of the repository's own files.
public enum SharedData {
  /// The package root (three levels above this file: Tests/TestSupport/SharedData.swift).
  public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// `../shared` next to the package root, or `SHARED_DIR` when set.
  public static var directory: URL {
    if let env = ProcessInfo.processInfo.environment["SHARED_DIR"] { return URL(fileURLWithPath: env) }
    return packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
  }

  /// The peer frameworks' Python (`PEERS_VENV`, default `../shared/peers/.venv`, as `peers/setup.sh` makes it).
  public static var peerPython: String {
    let venv = ProcessInfo.processInfo.environment["PEERS_VENV"] ?? directory.appendingPathComponent("peers/.venv").path
    return venv + "/bin/python"
  }

  /// An executable product of this package built alongside the running tests (same build configuration:
  /// the folder of the test bundle), else in `.build/debug` or `.build/release`; an `XCTSkip` naming the
  /// product when it is not built.
  public static func builtProduct(_ name: String) throws -> String {
    let beside = URL(fileURLWithPath: CommandLine.arguments.first ?? "")
      .deletingLastPathComponent().appendingPathComponent(name).path
    let candidates = [beside] + ["debug", "release"].map { packageRoot.appendingPathComponent(".build/\($0)/\(name)").path }
    guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
      throw XCTSkip("the '\(name)' executable is not built: run `swift build --product \(name)` (make test builds it)")
    }
    return found
  }

  /// The path of `relative` inside `../shared`, or an `XCTSkip` naming what is missing.
  public static func path(_ relative: String) throws -> String {
    let url = directory.appendingPathComponent(relative)
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw XCTSkip("\(relative) not found under \(directory.path): the shared reference data is not beside this checkout")
    }
    return url.path
  }
}
