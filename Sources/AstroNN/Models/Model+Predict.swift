import AstroKernels
import AstroTensor
import Foundation

/// Inference over large batches, cache-blocked across layers.
///
/// Layer by layer over a large batch, every convolution writes its whole output to memory and the next
/// layer reads it back (VGG6's first two layers write 240 MB for 1,024 triplets). `predict` instead runs
/// the spatial part of the network (up to the `Flatten` or `GlobalAveragePooling2D` that ends it) on a few
/// samples at a time, one micro-batch per core, so each image's activations stay in that core's cache;
/// the dense head then runs once on the gathered features, where large batches make efficient matrix
/// products. The numbers are those of one `forward` pass over the whole batch.
extension Model {
  /// Samples whose features are gathered before the dense head runs: bounds memory for any batch size.
  static let inferenceChunk = 1024
  /// Bytes of the largest spatial activation one micro-batch may produce; a quarter of a core's L2 cache.
  static let microBatchActivationBytes = 256 << 10
  /// Output pixels per pass below which a layer's weight reads dominate; see `microBatchSize`.
  static let microBatchMinimumRows = 64
  /// Weights up to this size stay in cache between micro-batches (all of VGG6's convolutions).
  static let microBatchSmallWeightBytes = 64 << 10

  /// Inference on a batch of a single-input, single-output model (no dropout, moving statistics, no graph
  /// recorded).
  public func predict(_ input: Tensor, logits: Bool = false) throws -> Tensor {
    try requireSingleInputAndOutput("predict(_:)")
    return try predict([input], logits: logits)[0]
  }

  /// Inference on one batch per input (in `inputNames` order); returns one batch per output (`outputNames`).
  public func predict(_ inputs: [Tensor], logits: Bool = false) throws -> [Tensor] {
    try validate(inputs)
    let cache = FoldCache()
    let n = inputs[0].shape[0]
    let outputs = outputShapes.map { Tensor(uninitializedShape: [n] + $0) }
    try withoutGradients {
      for first in stride(from: 0, to: n, by: Model.inferenceChunk) {
        let range = first..<min(first + Model.inferenceChunk, n)
        let parts = try predictChunk(inputs.map { try $0.batch(range) }, logits: logits, cache: cache)
        for (output, part) in zip(outputs, parts) {
          (output.storage.pointer + first * (output.count / max(n, 1))).update(from: part.storage.pointer, count: part.count)
        }
      }
    }
    return outputs
  }

  /// One chunk: the spatial part (or, without a spatial cut, the whole graph) per micro-batch on all cores,
  /// then the head on the gathered features.
  private func predictChunk(_ inputs: [Tensor], logits: Bool, cache: FoldCache) throws -> [Tensor] {
    let n = inputs[0].shape[0]
    let split = spatialCut.map { $0 + 1 } ?? nodes.count
    let gatheredValues = split < nodes.count ? [inputCount + split - 1] : outputValues
    let gathered = gatheredValues.map { Tensor(uninitializedShape: [n] + shape(ofValue: $0)) }
    let micro = microBatchSize
    let failure = FirstError()
    // The cores claim micro-batches of at most `micro` samples one at a time, so a core slowed by a neighbour
    // on a shared host leaves its remaining micro-batches to the other (an equal share each made every batch
    // wait for the slower core). Each sample's result does not depend on which core runs it.
    // A multiple of the core count, so that on a quiet machine every core runs as many.
    let workers = min(Parallel.workerCount, n)
    let pieces = min(n, ((n + micro - 1) / micro + workers - 1) / workers * workers)
    let claims = PieceCounter()
    // Gradient recording is per thread: the workers are told too.
    Parallel.forEachChunk(workers) { _, _ in withoutGradients {
      while !failure.isSet, let piece = claims.next(below: pieces) {
        let samples = (n * piece / pieces)..<(n * (piece + 1) / pieces)
        do {
          var values = [Tensor?](repeating: nil, count: nodes.count + inputCount)
          for (i, x) in inputs.enumerated() { values[i] = try x.batch(samples) }
          try run(0..<split, values: &values, logits: logits, context: ForwardContext(training: false), foldCache: cache)
          for (v, target) in zip(gatheredValues, gathered) {
            let perSample = target.count / max(n, 1)
            (target.storage.pointer + samples.lowerBound * perSample)
              .update(from: values[v]!.storage.pointer, count: samples.count * perSample)
          }
        } catch {
          failure.record(error)
        }
      }
    } }
    try failure.rethrow()
    guard split < nodes.count else { return gathered }
    var values = [Tensor?](repeating: nil, count: nodes.count + inputCount)
    values[gatheredValues[0]] = gathered[0]
    try run(split..<nodes.count, values: &values, logits: logits, context: ForwardContext(training: false), foldCache: cache)
    return outputValues.map { values[$0]! }
  }

  /// The node that ends the spatial part: the first `Flatten` or `GlobalAveragePooling2D` whose output is
  /// the only value read after it (nothing after it reads an input or an earlier value). nil when the model
  /// has none (then whole samples run per micro-batch).
  var spatialCut: Int? {
    nodes.indices.first { k in
      let layer = layers[nodes[k].layer]
      guard layer is Flatten || layer is GlobalAveragePooling2D, k < nodes.count - 1 else { return false }
      return nodes[(k + 1)...].allSatisfy { $0.inputs.allSatisfy { $0 >= inputCount + k } }
        && outputValues.allSatisfy { $0 > inputCount + k }
    }
  }

  /// Samples per micro-batch: as many as keep the largest spatial activation within
  /// `microBatchActivationBytes`, and at least enough that every layer with sizeable weights works on
  /// `microBatchMinimumRows` output pixels per pass (one micro-batch per sample would re-read ResNet50's
  /// last-stage weights for 25 pixels at a time: measured 9% slower than four samples per micro-batch).
  var microBatchSize: Int {
    let cut = spatialCut ?? (nodes.count - 1)
    let spatial = nodes[0...cut]
    let largest = spatial.map { $0.outputShape.reduce(1, *) }.max() ?? 1
    let fitsCache = Model.microBatchActivationBytes / max(1, largest * MemoryLayout<Float>.stride)
    let reusesWeights = spatial.map { node -> Int in
      let weightBytes = layers[node.layer].parameterCount * MemoryLayout<Float>.stride
      guard node.outputShape.count == 3, weightBytes > Model.microBatchSmallWeightBytes else { return 1 }
      let pixels = max(1, node.outputShape[0] * node.outputShape[1])
      return (Model.microBatchMinimumRows + pixels - 1) / pixels
    }.max() ?? 1
    return max(1, fitsCache, reusesWeights)
  }
}

/// Hands out 0, 1, 2, ... to the threads running a `predict`, each number once.
/// Unchecked Sendable: `next` is only touched with `lock` held.
private final class PieceCounter: @unchecked Sendable {
  private var next = 0
  private let lock = NSLock()

  func next(below limit: Int) -> Int? {
    lock.lock()
    defer { lock.unlock() }
    guard next < limit else { return nil }
    next += 1
    return next - 1
  }
}

/// The first error thrown by any of the threads running a `predict`.
/// Unchecked Sendable: `error` is only touched with `lock` held.
private final class FirstError: @unchecked Sendable {
  private var error: Error?
  private let lock = NSLock()

  var isSet: Bool {
    lock.lock()
    defer { lock.unlock() }
    return error != nil
  }

  func record(_ newError: Error) {
    lock.lock()
    if error == nil { error = newError }
    lock.unlock()
  }

  func rethrow() throws {
    lock.lock()
    let found = error
    lock.unlock()
    if let found { throw found }
  }
}
