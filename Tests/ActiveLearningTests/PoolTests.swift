import ActiveLearning
import AstroIO
import AstroNN
import AstroTensor
import Foundation
import TestSupport
import XCTest

final class PoolTests: XCTestCase {
  var scratch: TemporaryFolder!
  var folder: URL { scratch.url }

  override func setUpWithError() throws {
    scratch = try TemporaryFolder("al-pool")
  }

  override func tearDown() { scratch = nil }

  func testNpyPoolReadsAnyRowsOfAnyDtypeLikeTheWholeArray() throws {
    let values = (0..<(30 * 4 * 2)).map { Float($0 % 251) }
    for array in [try NpyArray(shape: [30, 4, 2], floats: values), try NpyArray(shape: [30, 4, 2], uint8s: values.map { UInt8($0) }),
                  try NpyArray(shape: [30, 4, 2], doubles: values.map(Double.init))] {
      let path = folder.appendingPathComponent("pool-\(array.dtype).npy").path
      try array.write(to: path)
      let pool = try NpyPool(paths: [path])
      XCTAssertEqual(pool.count, 30)
      XCTAssertEqual(pool.sampleShapes, [[4, 2]])
      let picks = [7, 8, 9, 2, 29, 0, 1]
      let got = try pool.samples(at: picks)[0]
      XCTAssertEqual(got.shape, [7, 4, 2])
      XCTAssertEqual(got.values, picks.flatMap { Array(values[($0 * 8)..<(($0 + 1) * 8)]) }, "\(array.dtype)")
      XCTAssertThrowsError(try pool.samples(at: [30]))
    }
  }

  func testBadFilesAreRefusedNamingThem() throws {
    let path = folder.appendingPathComponent("short.npy").path
    var bytes = try NpyArray(shape: [10, 3], floats: [Float](repeating: 1, count: 30)).encoded()
    bytes.removeLast(8)
    try bytes.write(to: URL(fileURLWithPath: path))
    XCTAssertThrowsError(try NpyPool(paths: [path])) { XCTAssertTrue("\($0)".contains("short.npy"), "\($0)") }
    XCTAssertThrowsError(try NpyPool(paths: [folder.appendingPathComponent("missing.npy").path])) {
      XCTAssertTrue("\($0)".contains("missing.npy"), "\($0)")
    }
    let empty = folder.appendingPathComponent("empty.npy").path
    _ = FileManager.default.createFile(atPath: empty, contents: Data())
    XCTAssertThrowsError(try NpyPool(paths: [empty]))
  }

  /// Headers that declare absurd shapes are refused, not multiplied until they overflow.
  func testOverflowingShapesAreRefused() throws {
    for shape in [[1 << 62], [0, 1 << 32, 1 << 32], [3, 1 << 40, 1 << 40]] {
      let path = folder.appendingPathComponent("huge.npy").path
      try (NpyArray.fileHeader(dtype: .float32, shape: shape) + Data(count: 64)).write(to: URL(fileURLWithPath: path))
      XCTAssertThrowsError(try NpyPool(paths: [path]), "\(shape)") { XCTAssertTrue("\($0)".contains("huge.npy"), "\($0)") }
    }
  }

  /// Scores do not depend on how the pool is chunked (deterministic prediction), and a pool on disk scores as
  /// the same pool in memory.
  func testScoringIsIndependentOfChunkingAndStorage() throws {
    let model = try ModelBuilder.sequential(name: "small", inputShape: [4, 2], seed: 2, [
      Flatten(), Dense(5, activation: .relu), Dropout(0.3), Dense(1, activation: .sigmoid),
    ])
    var g = SeededGenerator(seed: 1)
    let x = Tensor.uniform([40, 4, 2], low: -1, high: 1, generator: &g)
    let path = folder.appendingPathComponent("x.npy").path
    try NpyArray(shape: [40, 4, 2], floats: x.values).write(to: path)
    let memory = try PoolScorer(models: [model], chunkSize: 512, keepEmbeddings: true).score(try TensorPool([x]))
    let disk = try PoolScorer(models: [model], chunkSize: 7, keepEmbeddings: true).score(try NpyPool(paths: [path]))
    XCTAssertEqual(memory.classes, 2)
    XCTAssertEqual(memory.embeddingSize, 5)
    for (a, b) in zip(memory.probabilities, disk.probabilities) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    for (a, b) in zip(memory.embeddings!, disk.embeddings!) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    let direct = try model.predict(x).values
    for (i, p) in direct.enumerated() { XCTAssertEqual(memory.probabilities[2 * i + 1], p, accuracy: 1e-6) }
    // Monte-Carlo passes: BALD values are non-negative and the mean probabilities stay probabilities.
    let mc = try PoolScorer(models: [model], chunkSize: 16, monteCarloPasses: 8, seed: 3).score(try TensorPool([x]))
    XCTAssertEqual(mc.members, 8)
    XCTAssertTrue(mc.disagreement!.allSatisfy { $0 >= 0 })
    XCTAssertTrue(mc.disagreement!.contains { $0 > 0 })
    XCTAssertThrowsError(try PoolScorer(models: [model]).score(try TensorPool([Tensor(repeating: 0, shape: [3, 5])])))
  }
}
