import AstroDistributed
import AstroNN
import AstroTensor
import Foundation
import TestSupport
import XCTest

/// Data-parallel training in one process (ranks as threads of an `InProcessGroup`): N ranks with the global
/// batch B train the model one process trains with batch B, with flips, dropout and class weights on.
final class DataParallelTests: XCTestCase {
  var folder: TemporaryFolder!
  override func setUpWithError() throws { folder = try TemporaryFolder("astro-data-parallel") }

  /// 97 samples: with batch 16 the last batch holds one sample, so with 3 ranks two ranks have none.
  func data() throws -> (train: LabelledImages, validation: LabelledImages) {
    let (x, y) = ToyData.blobsVersusHotPixels(count: 130, shape: [63, 63, 3], seed: 21)
    let all = try LabelledImages(images: x, labels: y)
    return try (all.subset(Array(33..<130)), all.subset(Array(0..<33)))
  }

  func configuration(epochs: Int, checkpoint: String? = nil, communicator: Communicator? = nil) -> TrainingConfiguration {
    var c = TrainingConfiguration()
    c.epochs = epochs
    c.batchSize = 16
    c.flips = true
    c.seed = 9
    c.classWeights = [1, 0.7]
    c.metrics = [.accuracy, .auc]
    c.checkpointPath = checkpoint
    c.progress = .silent
    c.communicator = communicator
    // Small buckets: several allreduces per step, started during backward.
    c.gradientBucketBytes = 64 << 10
    return c
  }

  /// SGD with momentum: its steps follow the gradient (and its velocity is optimizer state that must reach every
  /// rank on resume). Adam magnifies rounding noise in near-zero gradient elements into steps of the size of the
  /// learning rate, so runs with different summation orders (even one process with 1 and 2 threads) drift apart.
  func optimizer() -> Optimizer { SGD(learningRate: 0.002, momentum: 0.9) }

  /// Runs `body(rank, communicator)` on `ranks` threads of one group; rethrows the first rank's error. A rank that
  /// throws fails the group, so the others stop too.
  func onRanks<T>(_ ranks: Int, _ body: @escaping (Int, Communicator) throws -> T) throws -> [T] {
    let group = InProcessGroup(size: ranks, timeout: 60)
    let results = LockedResults<T>(count: ranks)
    // The ranks share read-only test data; each builds its own model and trainer.
    nonisolated(unsafe) let body = body
    let threads = (0..<ranks).map { rank in
      Thread {
        do {
          results.set(rank, .success(try body(rank, group.communicator(rank: rank))))
        } catch {
          group.fail("rank \(rank): \(error)")
          results.set(rank, .failure(error))
        }
      }
    }
    threads.forEach { $0.stackSize = 8 << 20; $0.start() }
    return try results.wait().map { try $0.get() }
  }

  /// Each weight within `relative` of its largest value, or within 1e-7: a weight whose true gradient is zero (a
  /// convolution's bias before batch normalisation) moves by rounding noise alone.
  func assertClose(_ a: [[Float]], _ b: [[Float]], relative: Float = 1e-5, _ message: String, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, line: line)
    for (i, (x, y)) in zip(a, b).enumerated() {
      let scale = y.map(abs).max() ?? 0
      let difference = zip(x, y).map { abs($0 - $1) }.max() ?? 0
      XCTAssertLessThanOrEqual(difference, max(relative * scale, 1e-7), "\(message): weight \(i) differs by \(difference) (scale \(scale))", line: line)
    }
  }

  func testRanksTrainTheModelOneProcessTrains() throws {
    let (train, validation) = try data()
    let single = try VGG6.make(seed: 1)
    let alone = Trainer(model: single, optimizer: optimizer(), configuration: configuration(epochs: 2))
    let history = try alone.fit(train, validation: validation)
    for ranks in [2, 3] {
      let outcomes = try onRanks(ranks) { rank, communicator -> ([[Float]], TrainingHistory) in
        let model = try VGG6.make(seed: rank == 0 ? 1 : UInt64(100 + rank))  // rank 0's initial weights must reach every rank
        let trainer = Trainer(model: model, optimizer: self.optimizer(), configuration: self.configuration(epochs: 2, communicator: communicator))
        let history = try trainer.fit(train, validation: validation)
        return (model.weights.map(\.values), history)
      }
      for (rank, outcome) in outcomes.enumerated() {
        assertClose(outcome.0, single.weights.map(\.values), "\(ranks) ranks, rank \(rank)")
        XCTAssertEqual(outcome.1.epochs.count, 2)
        for (d, s) in zip(outcome.1.epochs, history.epochs) {
          XCTAssertEqual(d.loss, s.loss, accuracy: 1e-5 * abs(s.loss), "\(ranks) ranks: the epoch loss is the global one")
          XCTAssertEqual(d.logs["auc"]!, s.logs["auc"]!, accuracy: 1e-6, "\(ranks) ranks: metrics over every rank's samples")
          XCTAssertEqual(d.validationLoss!, s.validationLoss!, accuracy: 1e-5 * abs(s.validationLoss!))
        }
      }
    }
  }

  /// With micro-batches summed in double precision, the ranks' gradients are the single process's bit for bit, so
  /// even Adam (which magnifies rounding differences) over 42 steps gives identical weights.
  func testMicroBatchesMakeRanksBitIdenticalToOneProcess() throws {
    let (train, validation) = try data()
    func configuration(_ communicator: Communicator?) -> TrainingConfiguration {
      var c = self.configuration(epochs: 6, communicator: communicator)
      c.microBatchSize = 4
      return c
    }
    let single = try VGG6.make(seed: 1)
    let history = try Trainer(model: single, optimizer: Adam(learningRate: 3e-4), configuration: configuration(nil)).fit(train, validation: validation)
    for ranks in [2, 3] {
      let outcomes = try onRanks(ranks) { rank, communicator -> ([[Float]], TrainingHistory) in
        let model = try VGG6.make(seed: rank == 0 ? 1 : 7)
        let history = try Trainer(model: model, optimizer: Adam(learningRate: 3e-4), configuration: configuration(communicator))
          .fit(train, validation: validation)
        return (model.weights.map(\.values), history)
      }
      for (rank, outcome) in outcomes.enumerated() {
        XCTAssertEqual(outcome.0, single.weights.map(\.values), "\(ranks) ranks, rank \(rank): the same weights bit for bit")
        XCTAssertEqual(outcome.1.epochs.map(\.loss), history.epochs.map(\.loss), "\(ranks) ranks: the same epoch losses")
      }
    }
  }

  /// One step of plain SGD with learning rate 1 moves each weight by minus its gradient: the ranks' summed
  /// gradient must be the gradient of the global batch's mean loss.
  func testRanksComputeTheGradientOfTheGlobalBatch() throws {
    let (train, _) = try data()
    let batch = try train.subset(Array(0..<64))
    func step(_ communicator: Communicator?) throws -> [[Float]] {
      let model = try VGG6.make(seed: 1)
      let before = model.trainableWeights.map(\.values)
      var c = configuration(epochs: 1, communicator: communicator)
      c.batchSize = 64
      c.shuffle = false
      try Trainer(model: model, optimizer: SGD(learningRate: 1), configuration: c).fit(batch)
      return zip(before, model.trainableWeights).map { b, w in zip(b, w.values).map { $0 - $1 } }
    }
    let reference = try step(nil)
    for ranks in [2, 3, 5] {
      let gradients = try onRanks(ranks) { _, communicator in try step(communicator) }
      for (i, (g, r)) in zip(gradients[0], reference).enumerated() {
        let difference = zip(g, r).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
        let norm = r.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        print("\(ranks) ranks: gradient \(i) relative difference \(difference / norm)")
        XCTAssertLessThan(difference / norm, 1e-5, "\(ranks) ranks: gradient of weight \(i)")
      }
    }
  }

  /// A small ResNet (batch normalisation after every convolution): with synchronised batch normalisation the
  /// ranks train what one process trains, moving statistics included; with each rank's own statistics (the
  /// default, as in DDP) they do not.
  func testSynchronizedBatchNormalizationTrainsTheSingleProcessModel() throws {
    let (x, y) = ToyData.blobsVersusHotPixels(count: 96, shape: [32, 32, 3], seed: 4)
    let train = try LabelledImages(images: x, labels: y)
    func resnet(_ seed: UInt64) throws -> Model {
      try ResNet.make(name: "small_resnet", inputShape: [32, 32, 3], seed: seed, stages: [([8, 8], 1, 1), ([16, 16], 1, 2)])
    }
    func configuration(_ communicator: Communicator?, synchronized: Bool) -> TrainingConfiguration {
      var c = self.configuration(epochs: 2, communicator: communicator)
      c.synchronizedBatchNormalization = synchronized
      return c
    }
    let single = try resnet(1)
    try Trainer(model: single, optimizer: optimizer(), configuration: configuration(nil, synchronized: false)).fit(train)
    XCTAssertTrue(single.layers.contains { $0 is BatchNormalization })
    for (ranks, synchronized) in [(2, true), (3, true), (2, false)] {
      let weights = try onRanks(ranks) { rank, communicator -> [[Float]] in
        let model = try resnet(rank == 0 ? 1 : 9)
        try Trainer(model: model, optimizer: self.optimizer(), configuration: configuration(communicator, synchronized: synchronized)).fit(train)
        return model.weights.map(\.values)
      }
      if synchronized {
        for (rank, w) in weights.enumerated() { assertClose(w, single.weights.map(\.values), "\(ranks) ranks, synchronised, rank \(rank)") }
      } else {
        let worst = zip(weights[0], single.weights.map(\.values)).map { a, b in zip(a, b).map { abs($0 - $1) }.max() ?? 0 }.max()!
        XCTAssertGreaterThan(worst, 1e-4, "each rank's own batch statistics must give another model")
      }
    }
    // A batch with fewer samples than ranks cannot be normalised on every rank: an error before any step.
    XCTAssertThrowsError(
      try onRanks(3) { _, communicator in
        var c = configuration(communicator, synchronized: true)
        c.batchSize = 47  // the last batch holds 2 samples
        try Trainer(model: try resnet(1), optimizer: self.optimizer(), configuration: c).fit(train)
      }
    ) { XCTAssertTrue("\($0)".contains("a sample per rank in every batch"), "\($0)") }
  }

  /// The batch-normalisation op with a group: two members holding 13 and 14 of 27 samples get the single batch's
  /// output and (weighted by their shares) its gradients. With a fused ReLU the input gradient is compared where the
  /// output is not within rounding of zero (there the ReLU's side depends on the last bit of the statistics).
  func testSynchronizedBatchNormalizationOpMatchesTheWholeBatch() throws {
    for (h, c, relu) in [(4, 512, false), (2, 1024, false), (8, 256, true), (2, 64, true)] {
      let n = 27, k = 13
      var generator = SeededGenerator(seed: 3)
      let x = Tensor.uniform([n, h, h, c], low: -1, high: 2, generator: &generator)
      let upstream = Tensor.uniform([n, h, h, c], low: -1, high: 1, generator: &generator)
      func run(_ x: Tensor, _ seed: Tensor, group: BatchStatisticsGroup?) throws -> (y: [Float], dx: [Float], dgamma: [Float], dbeta: [Float]) {
        let gamma = Tensor(repeating: 1.5, shape: [c], requiresGradient: true), beta = Tensor(repeating: 0.1, shape: [c], requiresGradient: true)
        let input = try Tensor(shape: x.shape, values: x.values, requiresGradient: true)
        let y = try withGradients {
          try input.batchNormalized(
            gamma: gamma, beta: beta, movingMean: Tensor(repeating: 0, shape: [c]), movingVariance: Tensor(repeating: 1, shape: [c]),
            epsilon: 1e-3, momentum: 0.2, training: true, relu: relu, group: group)
        }
        try y.backward(seed: seed)
        return (y.values, input.gradient!.values, gamma.gradient!.values, beta.gradient!.values)
      }
      let whole = try run(x, upstream, group: nil)
      let parts = try onRanks(2) { rank, communicator in
        let rows = rank == 0 ? 0..<k : k..<n
        let share = Double(rows.count) / Double(n)
        // Each member's loss is its own mean: its output gradient is the whole batch's divided by its share.
        let seed = try Tensor(shape: [rows.count, h, h, c], values: try upstream.batch(rows).values.map { $0 / Float(share) })
        return try run(x.batch(rows), seed, group: BatchStatisticsGroup(share: share) { $0 = try communicator.allreduce($0, .sum) })
      }
      let shares = [Float(k) / Float(n), Float(n - k) / Float(n)]
      func worst(_ a: [Float], _ b: [Float], where keep: (Int) -> Bool = { _ in true }) -> Float {
        (zip(a, b).enumerated().filter { keep($0.offset) }.map { abs($0.element.0 - $0.element.1) }.max() ?? 0) / b.map(abs).max()!
      }
      let label = "[\(n), \(h), \(h), \(c)], relu \(relu)"
      XCTAssertLessThan(worst(parts[0].y + parts[1].y, whole.y), 1e-5, "\(label): output")
      let dx = parts[0].dx.map { $0 * shares[0] } + parts[1].dx.map { $0 * shares[1] }
      XCTAssertLessThan(worst(dx, whole.dx) { !relu || abs(whole.y[$0]) > 1e-5 }, 1e-5, "\(label): input gradient")
      if !relu {
        for (name, a, b, total) in [("gamma", parts[0].dgamma, parts[1].dgamma, whole.dgamma), ("beta", parts[0].dbeta, parts[1].dbeta, whole.dbeta)] {
          XCTAssertLessThan(worst(zip(a, b).map { $0 * shares[0] + $1 * shares[1] }, total), 1e-5, "\(label): \(name) gradient")
        }
      }
    }
  }

  func testDropoutAndFlipsAreKeyedBySampleNotByBatch() throws {
    // The keyed randomness is what makes ranks equal to one process; with dropout off the runs would agree
    // anyway, so check that dropout is on in VGG6 and that changing the seed changes the run.
    let (train, _) = try data()
    func run(seed: UInt64) throws -> [Float] {
      let model = try VGG6.make(seed: 1)
      var c = configuration(epochs: 1)
      c.seed = seed
      try Trainer(model: model, optimizer: optimizer(), configuration: c).fit(train)
      return model.weights[0].values
    }
    XCTAssertNotEqual(try run(seed: 9), try run(seed: 10))
    XCTAssertTrue(try VGG6.make(seed: 1).layers.contains { $0 is Dropout })
  }

  func testResumeWithAnotherNumberOfRanks() throws {
    let (train, validation) = try data()
    let straight = try VGG6.make(seed: 1)
    try Trainer(model: straight, optimizer: optimizer(), configuration: configuration(epochs: 4)).fit(train, validation: validation)
    let path = folder.path("checkpoint.h5")
    // Two epochs on two ranks (rank 0 writes the checkpoint), two more on three ranks from it.
    _ = try onRanks(2) { rank, communicator in
      try Trainer(model: try VGG6.make(seed: 1), optimizer: self.optimizer(), configuration: self.configuration(epochs: 2, checkpoint: path, communicator: communicator))
        .fit(train, validation: validation)
    }
    let resumed = try onRanks(3) { rank, communicator -> [[Float]] in
      let model = try VGG6.make(seed: 50)
      let history = try Trainer(model: model, optimizer: self.optimizer(), configuration: self.configuration(epochs: 4, checkpoint: path, communicator: communicator))
        .fit(train, validation: validation, resume: true)
      XCTAssertEqual(history.epochs.map(\.epoch), [1, 2, 3, 4])
      return model.weights.map(\.values)
    }
    for (rank, weights) in resumed.enumerated() { assertClose(weights, straight.weights.map(\.values), "resumed on 3 ranks, rank \(rank)") }
  }

  /// Ranks given other data or options would issue other collectives: every rank stops with the differences named.
  func testRanksThatTrainAnotherRunAreStoppedBeforeTheFirstStep() throws {
    let (train, _) = try data()
    XCTAssertThrowsError(
      try onRanks(2) { rank, communicator in
        var c = self.configuration(epochs: 1, communicator: communicator)
        if rank == 1 { c.batchSize = 32 }
        try Trainer(model: try VGG6.make(seed: 1), optimizer: self.optimizer(), configuration: c).fit(train)
      }
    ) { XCTAssertTrue("\($0)".contains("rank 1: batch size 32, rank 0: batch size 16"), "\($0)") }
    // Micro-batches cannot make batch normalisation's moving statistics agree across ranks: an error, not a drift.
    XCTAssertThrowsError(
      try onRanks(2) { _, communicator in
        var c = self.configuration(epochs: 1, communicator: communicator)
        c.microBatchSize = 4
        let model = try ResNet.make(name: "small_resnet", inputShape: [63, 63, 3], seed: 1, stages: [([8, 8], 1, 1)])
        try Trainer(model: model, optimizer: self.optimizer(), configuration: c).fit(train)
      }
    ) { XCTAssertTrue("\($0)".contains("moving statistics"), "\($0)") }
  }

  func testAFailingRankEndsEveryRankWithItsError() throws {
    let (train, _) = try data()
    let start = Date()
    XCTAssertThrowsError(
      try onRanks(2) { rank, communicator in
        var bad = train
        if rank == 1 { bad = try LabelledImages(images: Tensor(repeating: 0, shape: [97, 8, 8, 3]), labels: train.labels) }
        try Trainer(model: try VGG6.make(seed: 1), optimizer: self.optimizer(), configuration: self.configuration(epochs: 1, communicator: communicator))
          .fit(bad)
      }
    ) { error in
      XCTAssertTrue("\(error)".contains("shape"), "\(error)")
    }
    XCTAssertLessThan(Date().timeIntervalSince(start), 30, "the healthy rank must not wait for the timeout")
  }
}

/// One result per rank, filled by the rank threads; `wait` returns when all are in.
final class LockedResults<T>: @unchecked Sendable {
  private let condition = NSCondition()
  private var results: [Result<T, Error>?]
  init(count: Int) { results = Array(repeating: nil, count: count) }
  func set(_ i: Int, _ result: Result<T, Error>) {
    condition.lock(); results[i] = result; condition.broadcast(); condition.unlock()
  }
  func wait() -> [Result<T, Error>] {
    condition.lock(); defer { condition.unlock() }
    while results.contains(where: { $0 == nil }) { condition.wait() }
    return results.map { $0! }
  }
}
