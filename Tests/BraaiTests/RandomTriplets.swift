import AstroIO
import AstroTensor
import Foundation
import XCTest

/// A temporary folder holding braai's `.npy` files of `count` random triplets with alternating labels (for the
/// command-line training tests, which need data, not learnable data). Removed when the test ends.
func randomTripletFolder(for test: XCTestCase, stamp: String, count: Int, seed: UInt64) throws -> String {
  let folder = FileManager.default.temporaryDirectory.appendingPathComponent("triplets-\(UUID().uuidString)").path
  try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
  test.addTeardownBlock { try? FileManager.default.removeItem(atPath: folder) }
  var generator = SeededGenerator(seed: seed)
  let pixels = (0..<(count * 63 * 63 * 3)).map { _ in Float.random(in: 0...0.1, using: &generator) }
  try NpyArray(shape: [count, 63, 63, 3], floats: pixels).write(to: folder + "/triplets.\(stamp).npy")
  try NpyArray(shape: [count], floats: (0..<count).map { Float($0 % 2) }).write(to: folder + "/labels.\(stamp).npy")
  return folder
}
