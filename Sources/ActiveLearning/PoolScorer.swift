import AstroKernels
import AstroNN
import AstroTensor
import Dispatch

/// What a pass of the model(s) over a pool gives the acquisition functions, row `i` for pool position
/// `indices[i]`.
public struct PoolScores: Sendable {
  /// The pool positions scored, in order.
  public let indices: [Int]
  /// Classes per row of `probabilities`: 2 for a model with one sigmoid output (rows 1 − p, p).
  public let classes: Int
  /// Class probabilities (`indices.count × classes`), the mean over members when there are several.
  public let probabilities: [Float]
  /// Stochastic or ensemble members averaged: models × Monte-Carlo passes (1 for a plain prediction).
  public let members: Int
  /// The members' disagreement (mutual information, BALD) per row; nil with a single member.
  public let disagreement: [Float]?
  /// Penultimate-layer embeddings of the first model (`indices.count × embeddingSize`), when asked for.
  public let embeddings: [Float]?
  public let embeddingSize: Int
  /// Wall-clock seconds the scoring took.
  public let seconds: Double

  /// The predicted class of each row (the most probable; ties go to the lower class).
  public var predictedClasses: [Int] {
    (0..<indices.count).map { i in
      var best = 0
      for c in 1..<classes where probabilities[i * classes + c] > probabilities[i * classes + best] { best = c }
      return best
    }
  }

  /// The probability of class `c` per row (for a binary model, class 1 is the sigmoid's p).
  public func probabilities(ofClass c: Int) -> [Float] { (0..<indices.count).map { probabilities[$0 * classes + c] } }
}

/// Runs one model, an ensemble, or Monte-Carlo dropout passes over a pool in chunks, so that memory stays
/// bounded by the chunk whatever the pool's size; keeps only what acquisition needs per sample.
public struct PoolScorer {
  /// The models (one, or an ensemble's members); they take the same inputs and give one output each.
  public let models: [Model]
  /// Samples read and run at once.
  public var chunkSize: Int
  /// Monte-Carlo dropout passes per model (0: one deterministic prediction per model).
  public var monteCarloPasses: Int
  /// Whether to keep the first model's penultimate-layer embeddings.
  public var keepEmbeddings: Bool
  /// Seed of the dropout masks; each chunk and model derives its own from it.
  public var seed: UInt64

  /// Throws unless every model has one output and the same inputs as the first.
  public init(models: [Model], chunkSize: Int = 512, monteCarloPasses: Int = 0, keepEmbeddings: Bool = false, seed: UInt64 = 0) throws {
    guard let first = models.first else { throw ActiveLearningError.model("no model to score with") }
    for model in models {
      guard model.outputShapes.count == 1, let units = model.outputShape.last, model.outputShape.count == 1, units >= 1 else {
        throw ActiveLearningError.model("'\(model.name)' must have one output of per-sample shape [classes], has \(model.outputShapes)")
      }
      guard model.inputShapes == first.inputShapes, model.outputShape == first.outputShape else {
        throw ActiveLearningError.model("ensemble members '\(first.name)' and '\(model.name)' take or give different shapes")
      }
    }
    if keepEmbeddings, first.penultimateValueIndex == nil {
      throw ActiveLearningError.model("'\(first.name)' has no Dense layer whose input could serve as an embedding")
    }
    if monteCarloPasses > 0, let bad = models.first(where: { $0.firstDropoutNode == nil }) {
      throw ActiveLearningError.model("'\(bad.name)' has no Dropout layer: Monte-Carlo passes would all agree")
    }
    self.models = models
    self.chunkSize = max(1, chunkSize)
    self.monteCarloPasses = max(0, monteCarloPasses)
    self.keepEmbeddings = keepEmbeddings
    self.seed = seed
  }

  /// Scores pool positions `indices` (all of them by default).
  public func score(_ pool: PoolData, indices: [Int]? = nil) throws -> PoolScores {
    let start = DispatchTime.now().uptimeNanoseconds
    let model = models[0]
    guard pool.sampleShapes == model.inputShapes else {
      throw ActiveLearningError.pool("samples of shape \(pool.sampleShapes) for '\(model.name)', which takes \(model.inputShapes)")
    }
    let indices = indices ?? Array(0..<pool.count)
    if let bad = indices.first(where: { $0 < 0 || $0 >= pool.count }) {
      throw ActiveLearningError.pool("position \(bad) outside 0..<\(pool.count)")
    }
    let units = model.outputShape[0], classes = max(2, units)
    let members = models.count * max(1, monteCarloPasses)
    let embeddingValue = keepEmbeddings ? model.penultimateValueIndex : nil
    let embeddingSize = embeddingValue.map { model.valueShape($0).reduce(1, *) } ?? 0
    var probabilities = [Float](), disagreement = [Float](), embeddings = [Float]()
    probabilities.reserveCapacity(indices.count * classes)
    for first in stride(from: 0, to: indices.count, by: chunkSize) {
      let chunk = Array(indices[first..<min(first + chunkSize, indices.count)])
      let inputs = try pool.samples(at: chunk)
      var accumulator = MutualInformation.Accumulator(samples: chunk.count, classes: classes)
      for (m, member) in models.enumerated() {
        if m == 0, let value = embeddingValue {
          let (outputs, hidden) = try member.predict(inputs, alsoReturning: value)
          let values = hidden.values
          if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw ActiveLearningError.model("'\(member.name)' gave a non-finite embedding for pool position \(chunk[bad / embeddingSize])")
          }
          embeddings += values
          if monteCarloPasses == 0 { accumulator.add(Self.classProbabilities(outputs[0], units: units)) }
        } else if monteCarloPasses == 0 {
          accumulator.add(Self.classProbabilities(try member.predict(inputs)[0], units: units))
        }
        if monteCarloPasses > 0 {
          let chunkSeed = SplitMix64.mix(seed ^ SplitMix64.mix(UInt64(first)) ^ UInt64(m) << 48)
          for pass in try member.monteCarloPredict(inputs, passes: monteCarloPasses, seed: chunkSeed) {
            accumulator.add(Self.classProbabilities(pass, units: units))
          }
        }
      }
      let mean = accumulator.meanProbabilities
      if let bad = mean.firstIndex(where: { !$0.isFinite }) {
        throw ActiveLearningError.model("'\(model.name)' gave a non-finite probability for pool position \(chunk[bad / classes])")
      }
      probabilities += mean
      if members > 1 { disagreement += accumulator.values }
    }
    return PoolScores(
      indices: indices, classes: classes, probabilities: probabilities, members: members,
      disagreement: members > 1 ? disagreement : nil, embeddings: keepEmbeddings ? embeddings : nil,
      embeddingSize: embeddingSize, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
  }

  /// Rows of class probabilities from a model's output: `[1 − p, p]` for one unit, the output itself otherwise.
  static func classProbabilities(_ output: Tensor, units: Int) -> [Float] {
    let values = output.values
    guard units == 1 else { return values }
    var rows = [Float](repeating: 0, count: values.count * 2)
    for (i, p) in values.enumerated() {
      rows[2 * i] = 1 - p
      rows[2 * i + 1] = p
    }
    return rows
  }
}
