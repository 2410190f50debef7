import AstroNN
import AstroTensor
import XCTest

/// `predict` folds BatchNormalization into convolutions and fuses ReLUs; the result must equal the plain
/// layer-by-layer forward pass (run here with gradient recording on, which disables the rewrites).
final class InferenceFusionTests: XCTestCase {
  func assertFusedEqualsPlain(_ model: Model, _ shape: [Int], file: StaticString = #filePath, line: UInt = #line) throws {
    var rng = SeededGenerator(seed: 4)
    for w in model.layers.compactMap({ $0 as? BatchNormalization }).flatMap(\.weights) {
      // Non-trivial statistics: gamma, beta, mean around 0..1, variance positive.
      try w.assign(Tensor.uniform(w.shape, low: 0.5, high: 1.5, generator: &rng))
    }
    let x = Tensor.normal([3] + shape, standardDeviation: 0.5, generator: &rng)
    let fused = try model.predict(x, logits: true).values
    var generator = SeededGenerator(seed: 0)
    let plain = try model.forward(x, training: false, logits: true, generator: &generator).values
    for (a, b) in zip(fused, plain) { XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(b)), file: file, line: line) }
  }

  func testEveryResNetBatchNormIsFoldedIntoItsConvolution() throws {
    // Keras' layer order puts a projection block's two convolutions before their two BNs; the execution
    // order brings each BN next to its convolution, so predict folds all of them (none runs on its own).
    let model = try ResNet.make(name: "r", inputShape: [16, 16, 1], stemFilters: 8, stages: [([8, 8, 16], 2, 1), ([8, 8, 16], 1, 2)])
    XCTAssertEqual(model.layers.map(\.name).filter { $0.hasSuffix("_branch1") }.count, 4, "two projection blocks")
    _ = Profiler.drain()
    Profiler.isEnabled = true
    defer { Profiler.isEnabled = false; _ = Profiler.drain() }
    _ = try model.predict(Tensor(repeating: 0.5, shape: [2, 16, 16, 1]))
    let labels = Profiler.drain().map(\.label)
    let bnNames = model.layers.compactMap { $0 as? BatchNormalization }.map(\.name)
    XCTAssertFalse(bnNames.isEmpty)
    for name in bnNames { XCTAssertFalse(labels.contains("forward \(name)"), "\(name) ran unfolded: \(labels)") }
    XCTAssertTrue(labels.contains { $0.hasPrefix("forward res2a_branch1 (+1 fused)") }, "\(labels)")
  }

  func testResNetAndDenseNetBlocks() throws {
    try assertFusedEqualsPlain(
      ResNet.make(name: "r", inputShape: [32, 32, 3], stemFilters: 8, stages: [([8, 8, 16], 2, 1), ([8, 8, 16], 1, 2)]), [32, 32, 3])
    try assertFusedEqualsPlain(
      DenseNet.make(name: "d", inputShape: [32, 32, 1], blocks: [2, 2], growth: 8, stemFilters: 16), [32, 32, 1])
  }
}
