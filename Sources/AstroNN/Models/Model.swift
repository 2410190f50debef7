import AstroTensor
import AstroKernels
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
    let nodes = Model.fusionOrder(nodes, layers: layers)
    self.nodes = nodes
    var last = [Int](repeating: -1, count: nodes.count + 1)
    for (k, node) in nodes.enumerated() { for i in node.inputs { last[i] = k } }
    last[nodes.count] = nodes.count
    self.lastUse = last
  }

  /// The nodes in an execution order where each BatchNormalization or activation that is the only reader of
  /// a value runs right after the node that produced it, so the rewrites of `runFused` (which look at
  /// neighbours) find conv → BN → ReLU together. Keras lists a ResNet projection block's layers as
  /// conv 2c, conv 1, BN 2c, BN 1, which left both of its BNs unfolded in inference. Only reads move earlier,
  /// to just after what they read, so the order stays topological; the last node stays last, and the
  /// layers (Keras' order, which weight files follow) are untouched.
  static func fusionOrder(_ nodes: [Node], layers: [Layer]) -> [Node] {
    var readers = [[Int]](repeating: [], count: nodes.count + 1)
    for (k, node) in nodes.enumerated() { for i in node.inputs { readers[i].append(k) } }
    func movable(_ j: Int, reading value: Int) -> Bool {
      let layer = layers[nodes[j].layer]
      return j < nodes.count - 1 && nodes[j].inputs == [value] && (layer is BatchNormalization || layer is ActivationLayer)
    }
    var order: [Int] = [], placed = [Bool](repeating: false, count: nodes.count)
    for k in nodes.indices where !placed[k] {
      var current = k
      placed[current] = true
      order.append(current)
      while readers[current + 1].count == 1, let j = readers[current + 1].first, !placed[j], movable(j, reading: current + 1) {
        placed[j] = true
        order.append(j)
        current = j
      }
    }
    // Value k + 1 is node k's output: renumber the inputs for the new positions (value 0, the input, stays).
    var valueIndex = [Int](repeating: 0, count: nodes.count + 1)
    for (position, k) in order.enumerated() { valueIndex[k + 1] = position + 1 }
    return order.map { k in
      Node(layer: nodes[k].layer, inputs: nodes[k].inputs.map { valueIndex[$0] }, outputShape: nodes[k].outputShape)
    }
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
    try validate(input)
    var values = [Tensor?](repeating: nil, count: nodes.count + 1)
    values[0] = input
    try run(nodes.indices, values: &values, training: training, logits: logits, generator: &generator, foldCache: FoldCache())
    return values[nodes.count]!
  }

  /// Throws unless `input` is a finite batch of `[N] + inputShape`.
  func validate(_ input: Tensor) throws {
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
  }

  /// Runs `range` of the nodes in order, reading and writing `values` (index 0 the model input, `k + 1`
  /// node `k`'s output), and releasing each value after its last reader.
  func run(
    _ range: Range<Int>, values: inout [Tensor?], training: Bool, logits: Bool, generator: inout SeededGenerator,
    foldCache: FoldCache
  ) throws {
    let context = ForwardContext(training: training, generator: generator)
    defer { generator = context.generator }
    let inference = !training && !GradientMode.isEnabled
    // Layer labels go to the profiler from one thread only (`predict` runs micro-batches on several).
    let labelled = Profiler.isEnabled && !Parallel.isInsideWorker
    var k = range.lowerBound
    while k < range.upperBound {
      let node = nodes[k]
      let layer = layers[node.layer]
      if !(logits && k >= nodes.count - 3) {
        if labelled { Profiler.scope = layer.name }
        defer { if labelled { Profiler.scope = nil } }
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
          precondition(k + covered <= range.upperBound, "a fused group crosses the end of the node range")
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
        if labelled { Profiler.scope = layer.name }
        defer { if labelled { Profiler.scope = nil } }
        values[k + 1] = try Profiler.measure("forward \(layer.name)") { try layer.forward(args, context: context) }
      } catch let error as TensorError {
        throw NNError.layer(layer.name, "\(error)")
      }
      for i in node.inputs where lastUse[i] == k { values[i] = nil }
      k += 1
    }
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
