import AstroIO
import Foundation
import TestSupport
import XCTest

/// Runs `.tflite` files with LiteRT's reference kernels through the peer venv (Fixtures/litert_reference.py).
enum LiteRTReference {
  /// The peer Python, or an `XCTSkip` saying how to install it.
  static func python() throws -> String {
    let python = SharedData.peerPython
    guard FileManager.default.isExecutableFile(atPath: python) else {
      throw XCTSkip("LiteRT is not installed: run ../shared/peers/setup.sh (or set PEERS_VENV) to check files with LiteRT")
    }
    return python
  }

  /// LiteRT's output for `input` (in the model's input type), or nil when LiteRT failed (its message goes to the log).
  static func run(model: String, input: String, output: String) throws -> NpyArray? {
    let run = Process()
    run.executableURL = URL(fileURLWithPath: try python())
    run.arguments = [LiteRTParityTests.fixtures.appendingPathComponent("litert_reference.py").path, model, input, output]
    try run.run()
    run.waitUntilExit()
    return run.terminationStatus == 0 ? try NpyArray.read(path: output) : nil
  }
}
