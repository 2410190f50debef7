import Foundation
import TestSupport
import XCTest

/// Starts `label serve --db db` on a free port; returns the process and its address once it listens.
func startLabelServer(db: String) throws -> (process: Process, address: String) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: try SharedData.builtProduct("label"))
  process.arguments = ["serve", "--db", db, "--port", "0"]
  let out = Pipe()
  process.standardOutput = out
  process.standardError = FileHandle.nullDevice
  try process.run()
  var text = ""
  let deadline = Date().addingTimeInterval(30)
  while !text.contains("\n"), Date() < deadline {
    let chunk = out.fileHandleForReading.availableData
    if chunk.isEmpty { break }
    text += String(decoding: chunk, as: UTF8.self)
  }
  let address = try XCTUnwrap(text.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines), "no address in '\(text)'")
  XCTAssertTrue(address.hasPrefix("http://127.0.0.1:"), text)
  return (process, address)
}
