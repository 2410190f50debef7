import AstroTensor
import Dispatch

/// A model: a graph of layers from one input to one output (Keras' functional `Model`; `Sequential` is
/// the special case of a chain).
///
/// Layers are kept in the order they were added, which is the order Keras lists them and the order its
/// legacy weight loader pairs them with a file's layers when names differ.
public final class Model {
  public let name: String
  /// Per-sample input shape, e.g. `[63, 63, 3]`.
  public let inputShape: [Int]
  /// Layers in Keras order.
  public let layers: [Layer]

  struct Node {
    let layer: Int
    /// Indices into the value list: 0 is the model input, `k + 1` is node `k`'s output.
    let inputs: [Int]
    let outputShape: [Int]
  }

  let nodes: [Node]
  /// For each value index, the last node that reads it (values are released after it, saving memory).
  let lastUse: [Int]

  init(name: String, inputShape: [Int], layers: [Layer], nodes: [Node]) {
    self.name = name
    self.inputShape = inputShape
    self.layers = layers
    self.nodes = nodes
    var last = [Int](repeating: -1, count: nodes.count + 1)
    for (k, node) in nodes.enumerated() { for i in node.inputs { last[i] = k } }
    last[nodes.count] = nodes.count
    self.lastUse = last
  }

  /// Per-sample output shape.
  public var outputShape: [Int] { nodes.last?.outputShape ?? inputShape }

  /// The layer called `name`, if any.
  public func layer(named name: String) -> Layer? { layers.first { $0.name == name } }

  /// Every weight of every layer (trainable and moving statistics), in Keras order.
  public var weights: [Tensor] { layers.flatMap(\.weights) }
  /// The weights an optimizer updates, in Keras order.
  public var trainableWeights: [Tensor] { layers.flatMap(\.trainableWeights) }
  /// Total parameter count, as Keras' `count_params()`.
  public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }
  public var trainableParameterCount: Int { trainableWeights.reduce(0) { $0 + $1.count } }

  /// Runs the model on a batch `[N] + inputShape`.
  ///
  /// - Parameters:
  ///   - training: dropout on, batch normalisation on batch statistics (updating its moving statistics).
  ///   - logits: skip the output layer's activation (for losses computed from logits).
  ///   - generator: randomness for dropout in training mode.
  public func forward(
    _ input: Tensor, training: Bool = false, logits: Bool = false, generator: inout SeededGenerator
  ) throws -> Tensor {
    try forward(input, training: training, logits: logits, generator: &generator, foldCache: FoldCache())
  }

  /// `forward`, with folded convolution weights shared across the chunks of one `predict` call.
  func forward(
    _ input: Tensor, training: Bool, logits: Bool, generator: inout SeededGenerator, foldCache: FoldCache
  ) throws -> Tensor {
    guard input.rank == inputShape.count + 1, Array(input.shape.dropFirst()) == inputShape else {
      throw NNError.model("\(name): input of shape \(input.shape), expected [N] + \(inputShape)")
    }
    if !input.isFinite {
      let p = input.storage.pointer
      let i = (0..<input.count).first { !p[$0].isFinite } ?? 0
      let perSample = max(1, input.count / max(1, input.shape[0]))
      throw TensorError.nonFinite(
        op: "\(name) input", message: "value \(p[i]) at sample \(i / perSample), element \(i % perSample)")
    }
    let context = ForwardContext(training: training, generator: generator)
    defer { generator = context.generator }
    var values = [Tensor?](repeating: nil, count: nodes.count + 1)
    values[0] = input
    let inference = !training && !GradientMode.isEnabled
    var k = 0
    while k < nodes.count {
      let node = nodes[k]
      let layer = layers[node.layer]
      if !(logits && k >= nodes.count - 3) {
        Profiler.scope = layer.name
        defer { Profiler.scope = nil }
        let start = Profiler.isEnabled ? DispatchTime.now().uptimeNanoseconds : 0
        let covered: Int
        do {
          covered = try runFused(k, values: &values, cache: foldCache, context: context, inference: inference)
        } catch let error as TensorError {
          throw NNError.layer(layer.name, "\(error)")
        }
        if covered > 0 && Profiler.isEnabled {
          Profiler.add("forward \(layer.name) (+\(covered - 1) fused)", seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        if covered > 0 {
          for j in k..<(k + covered) {
            for i in nodes[j].inputs where lastUse[i] == j { values[i] = nil }
          }
          k += covered
          continue
        }
      }
      context.skipActivation = logits && k == nodes.count - 1
      let args = node.inputs.map { values[$0]! }
      do {
        Profiler.scope = layer.name
        defer { Profiler.scope = nil }
        values[k + 1] = try Profiler.measure("forward \(layer.name)") { try layer.forward(args, context: context) }
      } catch let error as TensorError {
        throw NNError.layer(layer.name, "\(error)")
      }
      for i in node.inputs where lastUse[i] == k { values[i] = nil }
      k += 1
    }
    return values[nodes.count]!
  }

  /// Samples per forward pass in `predict`: small enough that activations stay in cache, large enough for
  /// efficient matrix products (measured on VGG6: 64 beats 1024 by about 13% and uses a tenth of the memory).
  public static let inferenceChunk = 64

  /// Inference on a batch (no dropout, moving statistics, no graph recorded). Large batches run in chunks
  /// of `inferenceChunk` samples; the result is the same.
  public func predict(_ input: Tensor, logits: Bool = false) throws -> Tensor {
    var generator = SeededGenerator(seed: 0)
    let cache = FoldCache()
    let n = input.shape.first ?? 0
    guard input.rank == inputShape.count + 1, n > Model.inferenceChunk else {
      return try withoutGradients { try forward(input, training: false, logits: logits, generator: &generator, foldCache: cache) }
    }
    var output: Tensor?
    var perSample = 0
    for first in stride(from: 0, to: n, by: Model.inferenceChunk) {
      let range = first..<min(first + Model.inferenceChunk, n)
      let part = try withoutGradients {
        try forward(input.batch(range), training: false, logits: logits, generator: &generator, foldCache: cache)
      }
      if output == nil {
        output = Tensor(uninitializedShape: [n] + part.shape.dropFirst())
        perSample = part.count / range.count
      }
      (output!.storage.pointer + first * perSample).update(from: part.storage.pointer, count: part.count)
    }
    return output!
  }

  /// Clears the accumulated gradients of all trainable weights.
  public func zeroGradients() { for w in trainableWeights { w.zeroGradient() } }

  /// One row per layer: name, Keras class, per-sample output shape and parameter count (Keras' summary).
  public var summaryRows: [(name: String, className: String, outputShape: [Int], parameters: Int)] {
    var shapes = [[Int]](repeating: [], count: layers.count)
    for node in nodes { shapes[node.layer] = node.outputShape }
    return layers.enumerated().map { (i, l) in (l.name, l.kerasClassName, shapes[i], l.parameterCount) }
  }

  /// A printable table like Keras' `model.summary()`.
  public func summary() -> String {
    var lines = ["Model: \(name)  input \(inputShape)"]
    for row in summaryRows {
      let label = "\(row.name) (\(row.className))"
      lines.append(label.padding(toLength: max(44, label.count + 1), withPad: " ", startingAt: 0)
        + "\(row.outputShape)".padding(toLength: 20, withPad: " ", startingAt: 0) + "\(row.parameters)")
    }
    lines.append("Total params: \(parameterCount)  trainable: \(trainableParameterCount)")
    return lines.joined(separator: "\n")
  }
}

import Foundation
