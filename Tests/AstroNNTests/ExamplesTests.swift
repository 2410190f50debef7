import AstroNN
import Foundation
import TestSupport
import XCTest

/// The README's snippet is the quick-start example (compiled with the package), and the examples run.
final class ExamplesTests: XCTestCase {
  func testReadmeSnippetIsTheCompiledQuickStart() throws {
    let root = SharedData.packageRoot
    let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
    let marker = "<!-- the code below is Examples/QuickStart/main.swift -->\n```swift\n"
    let start = try XCTUnwrap(readme.range(of: marker), "README has no quick-start snippet marker").upperBound
    let end = try XCTUnwrap(readme.range(of: "```", range: start..<readme.endIndex)).lowerBound
    let example = try String(contentsOf: root.appendingPathComponent("Examples/QuickStart/main.swift"), encoding: .utf8)
    XCTAssertEqual(String(readme[start..<end]), example, "README's snippet and Examples/QuickStart/main.swift differ")
  }

  func testExamplesRun() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("examples-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let quick = try runProduct("quick-start", [], in: folder)
    XCTAssertEqual(quick.status, 0, quick.stderr)
    XCTAssertTrue(quick.stdout.contains("val_auc"), quick.stdout)
    // Redirected, the lines keep their order: the summary (print) before the epochs (the trainer's own writes),
    // the scores (print) after them.
    let text = quick.stdout
    let summary = try XCTUnwrap(text.range(of: "my_cnn")).lowerBound
    let firstEpoch = try XCTUnwrap(text.range(of: "Epoch 1/")).lowerBound
    let lastEpoch = try XCTUnwrap(text.range(of: "Epoch ", options: .backwards)).lowerBound
    let scores = try XCTUnwrap(text.range(of: "first scores:")).lowerBound
    XCTAssertTrue(summary < firstEpoch && lastEpoch < scores, text)
    // What it saved is a full model that loads back from the file alone.
    let saved = try Model.loadKeras(from: folder.appendingPathComponent("my_cnn.h5").path)
    XCTAssertEqual(saved.parameterCount, 5_345)
    let custom = try runProduct("custom-layer", [], in: folder)
    XCTAssertEqual(custom.status, 0, custom.stderr)
    XCTAssertTrue(custom.stdout.contains("gradient check passed"), custom.stdout)
  }
}
