import AstroDistributed
import AstroKernels
import AstroTensor

/// One training step's losses (of the global batch) and this rank's logits and targets, for the epoch's metrics.
struct StepResult {
  var loss: Double
  var outputLosses: [Double]
  var logits: [[Float]]
  var targets: [[Float]]
}

extension Trainer {
  /// This rank's contiguous share of `count` items (all of them when training alone): rank r of N takes
  /// `[count·r/N, count·(r+1)/N)`.
  func localRange(_ count: Int) -> Range<Int> {
    let (r, n) = (configuration.communicator?.rank ?? 0, configuration.communicator?.size ?? 1)
    return (count * r / n)..<(count * (r + 1) / n)
  }

  /// This rank's contiguous share of `batch`.
  func localSlice(of batch: ArraySlice<Int>) -> ArraySlice<Int> {
    let range = localRange(batch.count)
    return batch[(batch.startIndex + range.lowerBound)..<(batch.startIndex + range.upperBound)]
  }

  /// The random key of sample `index` in `epoch`: what its flips and dropout masks are drawn from.
  func sampleKey(epoch: Int, index: Int) -> UInt64 {
    SplitMix64.mix(SplitMix64.mix(configuration.seed &+ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(index))
  }

  /// The flips of a batch's samples (keyed like dropout), or nil without flips.
  func flipBits(_ keys: [UInt64]) -> [UInt64]? { configuration.flips ? keys.map { SplitMix64.mix($0 ^ 0xF1F5) } : nil }

  /// The generator of one step's dropout draws (one per dropout layer), the same on every rank; `part` separates
  /// micro-batches.
  func stepGenerator(_ globalStep: Int, part: Int = 0) -> SeededGenerator {
    SeededGenerator(seed: SplitMix64.mix(configuration.seed ^ 0x5851_F42D_4C95_7F2D &+ UInt64(globalStep) &+ UInt64(part) << 40))
  }

  /// A step on this rank's slice of `batch` (all of it alone), its float gradients summed over the ranks in
  /// buckets during backward.
  func slicedStep(_ batch: ArraySlice<Int>, of train: Dataset, epoch: Int, globalStep: Int, exchange: GradientExchange?) throws -> StepResult {
    let c = configuration
    let indices = localSlice(of: batch)
    // Randomness keyed by the sample and the epoch (flips, dropout) and by the step (one draw per dropout
    // layer): the same whichever rank or batch slice a sample lands in.
    let keys = indices.map { sampleKey(epoch: epoch, index: $0) }
    var generator = stepGenerator(globalStep)
    let (x, y) = train.batch(indices, flipBits: flipBits(keys))
    let result = try model.trainStep(
      x, targets: y, sampleWeights: try classSampleWeights(y[0]), losses: losses, lossWeights: c.lossWeights,
      optimizer: optimizer, clipping: c.gradientClipping, sampleKeys: keys, exchange: exchange,
      synchronizeBatchNormalization: c.synchronizedBatchNormalization, globalCount: batch.count, generator: &generator)
    let logits = indices.isEmpty ? losses.map { _ in [Float]() } : result.logits.map(\.values)
    return StepResult(loss: result.loss, outputLosses: result.outputLosses, logits: logits, targets: y.map(\.values))
  }

  /// A step as micro-batches of `microBatchSize` consecutive samples of `batch`, this rank taking a contiguous
  /// share of them; gradients added in double precision (see `TrainingConfiguration.microBatchSize`).
  func microBatchStep(_ batch: ArraySlice<Int>, of train: Dataset, epoch: Int, globalStep: Int, gradients: MicroBatchGradients) throws -> StepResult {
    let c = configuration, size = c.microBatchSize!
    let parts = (batch.count + size - 1) / size
    gradients.reset()
    var sums = [Double](repeating: 0, count: 1 + losses.count)
    var result = StepResult(loss: 0, outputLosses: [], logits: losses.map { _ in [] }, targets: losses.map { _ in [] })
    for part in localRange(parts) {
      let indices = batch[(batch.startIndex + part * size)..<min(batch.startIndex + (part + 1) * size, batch.endIndex)]
      let keys = indices.map { sampleKey(epoch: epoch, index: $0) }
      var generator = stepGenerator(globalStep, part: part)
      let (x, y) = train.batch(indices, flipBits: flipBits(keys))
      let share = Float(indices.count) / Float(batch.count)
      model.zeroGradients()
      let step = try model.lossAndGradients(
        x, targets: y, sampleWeights: try classSampleWeights(y[0]), losses: losses, lossWeights: c.lossWeights, sampleKeys: keys,
        batchStatisticsGroup: nil, lossScale: share, leafGradientReady: nil, generator: &generator)
      gradients.add()
      for (i, value) in ([step.loss] + step.outputLosses).enumerated() { sums[i] += value * Double(share) }
      for o in losses.indices {
        result.logits[o] += step.logits[o].values
        result.targets[o] += y[o].values
      }
    }
    let total = try gradients.finish(communicator: c.communicator, statistics: sums)
    try model.applyGradients(model.trainableWeights, optimizer: optimizer, clipping: c.gradientClipping)
    result.loss = total[0]
    result.outputLosses = Array(total.dropFirst())
    return result
  }
}

/// The gradients of a step's micro-batches, added in double precision (a sum of a few floats in double is exact
/// unless their magnitudes differ by more than 2^29, so the order of the additions, within a rank or across ranks,
/// does not change the result), then rounded to float once.
final class MicroBatchGradients {
  private let parameters: [Tensor]
  private let offsets: [Int]
  private var sums: [Double]
  private var received: [Bool]

  init(parameters: [Tensor]) {
    self.parameters = parameters
    var offset = 0
    offsets = parameters.map { p in
      defer { offset += p.count }
      return offset
    }
    sums = Array(repeating: 0, count: offset)
    received = Array(repeating: false, count: parameters.count)
  }

  func reset() {
    for i in sums.indices { sums[i] = 0 }
    for i in received.indices { received[i] = false }
  }

  /// Adds each parameter's current gradient.
  func add() {
    for (p, parameter) in parameters.enumerated() {
      guard let gradient = parameter.gradient else { continue }
      received[p] = true
      let source = gradient.storage.pointer, base = offsets[p]
      for i in 0..<gradient.count { sums[base + i] += Double(source[i]) }
    }
  }

  /// Sums the gradients and `statistics` over the ranks (in double precision), sets every parameter that received
  /// a gradient on any rank to the sum rounded to float, and returns the summed statistics.
  func finish(communicator: Communicator?, statistics: [Double]) throws -> [Double] {
    var tail = statistics + received.map { $0 ? 1 : 0 }
    if let communicator {
      try sums.withUnsafeMutableBufferPointer { try communicator.allreduce($0, .sum) }
      tail = try communicator.allreduce(tail, .sum)
    }
    for (p, parameter) in parameters.enumerated() {
      guard tail[statistics.count + p] > 0 else { parameter.gradient = nil; continue }
      let gradient = Tensor(uninitializedShape: parameter.shape), target = gradient.storage.pointer, base = offsets[p]
      for i in 0..<parameter.count { target[i] = Float(sums[base + i]) }
      parameter.gradient = gradient
    }
    return Array(tail.prefix(statistics.count))
  }
}
