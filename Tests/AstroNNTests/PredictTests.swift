import AstroKernels
@testable import AstroNN
import AstroTensor
import XCTest

/// `predict` runs the spatial layers in micro-batches spread over the cores, then the dense head on the
/// gathered features. Whatever the split, it must give what one plain forward pass over the batch gives.
final class PredictTests: XCTestCase {
  /// Compares `predict` with a layer-by-layer forward pass over the whole batch, and checks the
  /// micro-batch size the test meant to exercise.
  func assertPredictEqualsForward(
    _ model: Model, samples n: Int, microBatch expectedMicro: Int? = nil, file: StaticString = #filePath, line: UInt = #line
  ) throws {
    var rng = SeededGenerator(seed: 9)
    for w in model.layers.compactMap({ $0 as? BatchNormalization }).flatMap(\.weights) {
      try w.assign(Tensor.uniform(w.shape, low: 0.5, high: 1.5, generator: &rng))
    }
    if let expectedMicro { XCTAssertEqual(model.microBatchSize, expectedMicro, "micro-batch size", file: file, line: line) }
    let x = Tensor.normal([n] + model.inputShape, standardDeviation: 0.5, generator: &rng)
    let predicted = try model.predict(x, logits: true)
    XCTAssertEqual(predicted.shape, [n] + model.outputShape, file: file, line: line)
    var generator = SeededGenerator(seed: 0)
    let plain = try model.forward(x, training: false, logits: true, generator: &generator).values
    for (i, (a, b)) in zip(predicted.values, plain).enumerated() {
      XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(b)), "element \(i)", file: file, line: line)
    }
  }

  func testVGG6OneTripletPerMicroBatch() throws {
    // 63x63x3: conv1's 61x61x16 output (238 KB) fills the cache budget alone, and VGG6's kernels are small.
    try assertPredictEqualsForward(VGG6.make(), samples: 5, microBatch: 1)
  }

  func testBatchesLargerThanOneChunkWithSmallImages() throws {
    // 24x24x1 images: many samples fit the budget, and 2,100 samples span three gathering chunks.
    let model = try VGG6.make(inputShape: [24, 24, 1])
    XCTAssertGreaterThan(model.microBatchSize, 1)
    try assertPredictEqualsForward(model, samples: 2 * Model.inferenceChunk + 52)
  }

  func testResidualAndDenseModelsWithUnevenMicroBatches() throws {
    // 37 samples over the workers' shares and micro-batches of different sizes.
    try assertPredictEqualsForward(
      ResNet.make(name: "r", inputShape: [32, 32, 3], stemFilters: 8, stages: [([8, 8, 16], 2, 1), ([8, 8, 16], 1, 2)]),
      samples: 37)
    try assertPredictEqualsForward(
      DenseNet.make(name: "d", inputShape: [32, 32, 1], blocks: [2, 2], growth: 8, stemFilters: 16), samples: 37)
  }

  func testMicroBatchesClaimedByAnyNumberOfWorkers() throws {
    // The cores claim micro-batches one at a time: every sample must be computed exactly once whatever the
    // worker count (3 workers over 37 samples leave uneven claims), and repeated calls must agree bit for bit.
    let saved = Parallel.workerCount
    defer { Parallel.workerCount = saved }
    let model = try ResNet.make(name: "r", inputShape: [16, 16, 3], stemFilters: 8, stages: [([8, 8, 16], 1, 1)])
    var rng = SeededGenerator(seed: 4)
    let x = Tensor.normal([37] + model.inputShape, standardDeviation: 0.5, generator: &rng)
    for workers in [1, 2, 3] {
      Parallel.workerCount = workers
      try assertPredictEqualsForward(model, samples: 37)
      XCTAssertEqual(try model.predict(x).values, try model.predict(x).values, "\(workers) workers")
    }
  }

  func testModelWithoutADenseHead() throws {
    let model = try ModelBuilder.sequential(
      name: "convs", inputShape: [12, 12, 2],
      [Conv2D(4, kernelSize: (3, 3), activation: .relu, name: "a"), Conv2D(3, kernelSize: (3, 3), name: "b")])
    XCTAssertNil(model.spatialCut)
    try assertPredictEqualsForward(model, samples: 11)
  }

  func testSpatialCutIsWhereTheDenseHeadBegins() throws {
    let vgg = try VGG6.make()
    XCTAssertEqual(vgg.spatialCut.map { vgg.layers[vgg.nodes[$0].layer].name }, "flatten")
    let dense = try DenseNet.make(name: "d", inputShape: [32, 32, 1], blocks: [2, 2], growth: 8, stemFilters: 16)
    XCTAssertTrue(dense.spatialCut.map { dense.layers[dense.nodes[$0].layer] is GlobalAveragePooling2D } ?? false)
  }

  func testLargeWeightsRaiseTheMicroBatchSoEachPassCoversEnoughPixels() throws {
    // ResNet50 at 144x144 ends on 5x5 maps with 2 MB kernels: 3 samples give at least 64 output pixels.
    XCTAssertEqual(try ResNet.resnet50().microBatchSize, 3)
  }

  func testAnErrorInsideAWorkerIsThrown() throws {
    let model = try VGG6.make(inputShape: [24, 24, 1])
    let x = Tensor.zeros([40, 24, 24, 1])
    x.storage.pointer[24 * 24 * 33] = .infinity
    XCTAssertThrowsError(try model.predict(x)) { XCTAssertTrue("\($0)".contains("sample 33"), "\($0)") }
  }

  func testNestedParallelWorkRunsOnTheWorkersThread() {
    guard Parallel.workerCount > 1 else { return }
    XCTAssertFalse(Parallel.isInsideWorker)
    let nestedSplits = Locked(0)
    Parallel.forEachChunk(Parallel.workerCount) { _, _ in
      XCTAssertTrue(Parallel.isInsideWorker)
      let thread = Thread.current
      Parallel.forEachChunk(100) { _, range in
        XCTAssertEqual(range, 0..<100, "not split again")
        XCTAssertTrue(Thread.current == thread)
        nestedSplits.increment()
      }
    }
    XCTAssertEqual(nestedSplits.value, Parallel.workerCount)
    XCTAssertFalse(Parallel.isInsideWorker, "flag cleared after the split")
  }
}

private final class Locked: @unchecked Sendable {
  private var count: Int
  private let lock = NSLock()
  init(_ count: Int) { self.count = count }
  var value: Int { lock.withLock { count } }
  func increment() { lock.withLock { count += 1 } }
}
