import AstroIO
import AstroNN
import Braai
import Foundation
import XCTest

/// Errors in braai's dataset files name the file at fault.
final class DatasetFileErrorTests: XCTestCase {
  func testANaNInTheTripletsIsBlamedOnTheTripletsFile() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("npy-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    var pixels = [Float](repeating: 0.5, count: 2 * 4 * 4 * 3)
    pixels[60] = .nan
    try NpyArray(shape: [2, 4, 4, 3], floats: pixels).write(to: folder + "/triplets.s.npy")
    try NpyArray(shape: [2], floats: [0, 1]).write(to: folder + "/labels.s.npy")
    XCTAssertThrowsError(try LabelledImages.loadBraaiNpy(folder: folder, stamp: "s")) { error in
      XCTAssertTrue("\(error)".contains("triplets.s.npy: non-finite value nan in sample 1"), "\(error)")
      XCTAssertFalse("\(error)".contains("labels.s.npy"), "\(error)")
    }
    try NpyArray(shape: [2], floats: [0, 2]).write(to: folder + "/labels.s.npy")
    pixels[60] = 0
    try NpyArray(shape: [2, 4, 4, 3], floats: pixels).write(to: folder + "/triplets.s.npy")
    XCTAssertThrowsError(try LabelledImages.loadBraaiNpy(folder: folder, stamp: "s")) { error in
      XCTAssertTrue("\(error)".contains("labels.s.npy: label 2.0 of sample 1 is not 0 or 1"), "\(error)")
    }
  }
}
