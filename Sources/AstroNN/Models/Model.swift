import AstroTensor
import AstroKernels
import Dispatch

/// A model: a graph of layers from one or more inputs to one or more outputs (Keras' functional `Model`;
/// `Sequential` is the special case of a chain). A model is itself a `Layer`, so it can be applied inside
/// another model (its weights are shared with it).
///
/// Layers are kept in the order they were added, which is the order Keras lists them and the order its
/// legacy weight loader pairs them with a file's layers when names differ.
public final class Model: Layer {
  /// Per-sample shape of each input, e.g. `[[63, 63, 3], [25]]`.
  public let inputShapes: [[Int]]
  /// The inputs' names (Keras' `InputLayer` names: `triplet`, `metadata`).
  public let inputNames: [String]
  /// Layers in Keras order.
  public let layers: [Layer]

  struct Node {
    let layer: Int
    /// Indices into the value list: `0..<inputCount` are the model inputs, `inputCount + k` is node `k`'s output.
    let inputs: [Int]
    let outputShape: [Int]
    /// Position in the order the layers were applied (before `fusionOrder`): Keras' node numbering follows it.
    let order: Int
  }

  let nodes: [Node]
  /// The value index of each output.
  let outputValues: [Int]
  /// For each value index, the last node that reads it (values are released after it, saving memory);
  /// `nodes.count` for the outputs, which are never released.
  let lastUse: [Int]

  init(name: String, inputNames: [String], inputShapes: [[Int]], layers: [Layer], nodes: [Node], outputs: [Int]) {
    self.inputNames = inputNames
    self.inputShapes = inputShapes
    self.layers = layers
    let inputCount = inputShapes.count
    let (ordered, renumber) = Model.fusionOrder(nodes, inputCount: inputCount, outputs: Set(outputs), layers: layers)
    self.nodes = ordered
    self.outputValues = outputs.map { renumber[$0] }
    var last = [Int](repeating: -1, count: ordered.count + inputCount)
    for (k, node) in ordered.enumerated() { for i in node.inputs { last[i] = k } }
    for v in outputValues { last[v] = ordered.count }
    self.lastUse = last
    super.init(name: name)
    builtInputShapes = inputShapes
    builtOutputShape = outputValues.count == 1 ? outputShapes[0] : []
  }

  var inputCount: Int { inputShapes.count }

  /// The nodes in an execution order where each BatchNormalization or activation that is the only reader of
  /// a value runs right after the node that produced it, so the rewrites of `runFused` (which look at
  /// neighbours) find conv → BN → ReLU together. Keras lists a ResNet projection block's layers as
  /// conv 2c, conv 1, BN 2c, BN 1, which left both of its BNs unfolded in inference. Only reads move earlier,
  /// to just after what they read, so the order stays topological; the layers (Keras' order, which weight
  /// files follow) are untouched. Returns the nodes and the new index of each old value index.
  static func fusionOrder(_ nodes: [Node], inputCount: Int, outputs: Set<Int>, layers: [Layer]) -> ([Node], [Int]) {
    var readers = [[Int]](repeating: [], count: nodes.count + inputCount)
    for (k, node) in nodes.enumerated() { for i in node.inputs { readers[i].append(k) } }
    func movable(_ j: Int, reading value: Int) -> Bool {
      let layer = layers[nodes[j].layer]
      return !outputs.contains(value) && nodes[j].inputs == [value]
        && (layer is BatchNormalization || layer is ActivationLayer)
    }
    var order: [Int] = [], placed = [Bool](repeating: false, count: nodes.count)
    for k in nodes.indices where !placed[k] {
      var current = k
      placed[current] = true
      order.append(current)
      while readers[inputCount + current].count == 1, let j = readers[inputCount + current].first, !placed[j],
        movable(j, reading: inputCount + current)
      {
        placed[j] = true
        order.append(j)
        current = j
      }
    }
    var valueIndex = Array(0..<(nodes.count + inputCount))
    for (position, k) in order.enumerated() { valueIndex[inputCount + k] = inputCount + position }
    let reordered = order.map { k in
      Node(
        layer: nodes[k].layer, inputs: nodes[k].inputs.map { valueIndex[$0] }, outputShape: nodes[k].outputShape,
        order: nodes[k].order)
    }
    return (reordered, valueIndex)
  }

  /// Keras' class name for a functional model, `Functional`.
  public override var kerasClassName: String { "Functional" }
  /// The model's layers, whose weights belong to it when it is used as a layer.
  public override var sublayers: [Layer] { layers }

  /// Per-sample shape of the first input (the only one of most models).
  public var inputShape: [Int] { inputShapes[0] }
  /// Per-sample shape of each output.
  public var outputShapes: [[Int]] { outputValues.map(shape(ofValue:)) }
  /// Per-sample shape of the first output (the only one of most models).
  public var outputShape: [Int] { outputShapes[0] }
  /// The outputs' names: the names of the layers that produce them, as Keras names a model's outputs.
  public var outputNames: [String] {
    outputValues.map { v in v < inputCount ? inputNames[v] : layers[nodes[v - inputCount].layer].name }
  }

  func shape(ofValue v: Int) -> [Int] { v < inputCount ? inputShapes[v] : nodes[v - inputCount].outputShape }

  /// The layer called `name`, if any.
  public func layer(named name: String) -> Layer? { layers.first { $0.name == name } }

  /// Total parameter count, as Keras' `count_params()`.
  public var trainableParameterCount: Int { trainableWeights.reduce(0) { $0 + $1.count } }

  /// Runs the model on a batch of a single-input, single-output model: `[N] + inputShape -> [N] + outputShape`.
  ///
  /// - Parameters:
  ///   - input: a batch `[N] + inputShape`.
  ///   - training: dropout on, batch normalisation on batch statistics (updating its moving statistics).
  ///   - logits: skip the output layers' activation (for losses computed from logits).
  ///   - generator: randomness for dropout in training mode.
  public func forward(
    _ input: Tensor, training: Bool = false, logits: Bool = false, generator: inout SeededGenerator
  ) throws -> Tensor {
    try requireSingleInputAndOutput("forward")
    return try forward([input], training: training, logits: logits, generator: &generator)[0]
  }

  /// Runs the model on one batch per input (in `inputNames` order); returns one batch per output.
  ///
  /// `sampleKeys` (one per sample) key dropout per sample, and `batchStatisticsGroup` synchronises batch
  /// normalisation over a data-parallel group; see `ForwardContext`.
  public func forward(
    _ inputs: [Tensor], training: Bool = false, logits: Bool = false, sampleKeys: [UInt64]? = nil,
    batchStatisticsGroup: BatchStatisticsGroup? = nil, generator: inout SeededGenerator
  ) throws -> [Tensor] {
    try validate(inputs)
    let context = ForwardContext(training: training, generator: generator)
    context.sampleKeys = sampleKeys
    context.batchStatisticsGroup = batchStatisticsGroup
    defer { generator = context.generator }
    var values = [Tensor?](repeating: nil, count: nodes.count + inputCount)
    for (i, x) in inputs.enumerated() { values[i] = x }
    try run(nodes.indices, values: &values, logits: logits, context: context, foldCache: FoldCache())
    return outputValues.map { values[$0]! }
  }

  /// As a layer inside another model: the outer model's training mode and generator, no logits.
  public override func forward(_ inputs: [Tensor], context: ForwardContext) throws -> Tensor {
    try requireSingleInputAndOutput("use as a layer")
    try validate(inputs)
    var values = [Tensor?](repeating: nil, count: nodes.count + inputCount)
    for (i, x) in inputs.enumerated() { values[i] = x }
    let inner = ForwardContext(training: context.training, generator: context.generator)
    inner.sampleKeys = context.sampleKeys
    inner.batchStatisticsGroup = context.batchStatisticsGroup
    inner.monteCarloDropout = context.monteCarloDropout
    defer { context.generator = inner.generator }
    try run(nodes.indices, values: &values, logits: false, context: inner, foldCache: FoldCache())
    return values[outputValues[0]]!
  }

  /// As a layer of another model: checks it has one input and one output; returns its output shape (its layers
  /// are already built).
  public override func build(inputShapes: [[Int]], generator: inout SeededGenerator) throws -> [Int] {
    try requireSingleInputAndOutput("use as a layer")
    return outputShape
  }

  func requireSingleInputAndOutput(_ use: String) throws {
    guard inputCount == 1 && outputValues.count == 1 else {
      throw NNError.model(
        "\(name) has \(inputCount) input(s) \(inputNames) and \(outputValues.count) output(s) \(outputNames): "
          + "\(use) needs one of each; pass one tensor per input and read one per output")
    }
  }

  /// Throws unless `inputs` are finite batches, one per input, of `[N] + inputShapes[i]` with one N.
  func validate(_ inputs: [Tensor]) throws {
    guard inputs.count == inputCount else {
      throw NNError.model("\(name): \(inputs.count) input tensor(s) for \(inputCount) input(s) \(inputNames)")
    }
    for (i, input) in inputs.enumerated() {
      let label = inputCount == 1 ? "input" : "input '\(inputNames[i])'"
      guard input.rank == inputShapes[i].count + 1, Array(input.shape.dropFirst()) == inputShapes[i] else {
        throw NNError.model("\(name): \(label) of shape \(input.shape), expected [N] + \(inputShapes[i])")
      }
      guard input.shape[0] == inputs[0].shape[0] else {
        throw NNError.model("\(name): \(label) has \(input.shape[0]) samples, '\(inputNames[0])' has \(inputs[0].shape[0])")
      }
      if !input.isFinite {
        let p = input.storage.pointer
        let j = (0..<input.count).first { !p[$0].isFinite } ?? 0
        let perSample = max(1, input.count / max(1, input.shape[0]))
        throw TensorError.nonFinite(
          op: "\(name) \(label)", message: "value \(p[j]) at sample \(j / perSample), element \(j % perSample)")
      }
    }
  }

  /// Runs `range` of the nodes in order, reading and writing `values` (the inputs first, then node `k`'s
  /// output at `inputCount + k`), and releasing each value after its last reader.
  func run(_ range: Range<Int>, values: inout [Tensor?], logits: Bool, context: ForwardContext, foldCache: FoldCache) throws {
    let inference = !context.training && !GradientMode.isEnabled
    let outputNodes = Set(outputValues.map { $0 - inputCount })
    var k = range.lowerBound
    while k < range.upperBound {
      let node = nodes[k]
      let layer = layers[node.layer]
      // Layers label what they record, so that profiles and errors can name them.
      let covered = try Profiler.withScope(layer.name) { () throws -> Int in
        // A fused group never swallows an output whose activation must be skipped.
        guard !(logits && (k...(k + 2)).contains(where: outputNodes.contains)) else { return 0 }
        let start = Profiler.isEnabled ? DispatchTime.now().uptimeNanoseconds : 0
        let covered = try layerErrors(layer) {
          try runFused(k, values: &values, cache: foldCache, context: context, inference: inference)
        }
        if covered > 0 && Profiler.isEnabled {
          Profiler.add("forward \(layer.name) (+\(covered - 1) fused)", seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return covered
      }
      if covered > 0 {
        precondition(k + covered <= range.upperBound, "a fused group crosses the end of the node range")
        for j in k..<(k + covered) {
          for i in nodes[j].inputs where lastUse[i] == j { values[i] = nil }
        }
        k += covered
        continue
      }
      context.skipActivation = logits && outputNodes.contains(k)
      defer { context.skipActivation = false }
      let args = node.inputs.map { values[$0]! }
      values[inputCount + k] = try Profiler.withScope(layer.name) {
        try layerErrors(layer) { try Profiler.measure("forward \(layer.name)") { try layer.forward(args, context: context) } }
      }
      for i in node.inputs where lastUse[i] == k { values[i] = nil }
      k += 1
    }
  }

  /// Runs `body`, naming `layer` in a tensor error it throws.
  private func layerErrors<R>(_ layer: Layer, _ body: () throws -> R) throws -> R {
    do { return try body() } catch let error as TensorError { throw NNError.layer(layer.name, "\(error)") }
  }

  /// Clears the accumulated gradients of all trainable weights.
  public func zeroGradients() { for w in trainableWeights { w.zeroGradient() } }

  /// One row per layer: name, Keras class, per-sample output shape, parameter count and the layers it reads
  /// (Keras' summary; inputs are listed as `InputLayer` rows first).
  public var summaryRows: [(name: String, className: String, outputShape: [Int], parameters: Int, inputs: [String])] {
    func source(_ v: Int) -> String { v < inputCount ? inputNames[v] : layers[nodes[v - inputCount].layer].name }
    var rows = zip(inputNames, inputShapes).map { ($0, "InputLayer", $1, 0, [String]()) }
    var seen = Set<Int>()
    for node in nodes.sorted(by: { $0.layer < $1.layer }) where seen.insert(node.layer).inserted {
      let layer = layers[node.layer]
      rows.append((layer.name, layer.kerasClassName, node.outputShape, layer.parameterCount, node.inputs.map(source)))
    }
    return rows
  }

  /// A printable table like Keras' `model.summary()`: layers, output shapes, parameters, what each reads
  /// (for models that are not a chain), and the totals.
  public func summary() -> String {
    let rows = summaryRows
    let chain = nodes.allSatisfy { $0.inputs.count == 1 } && inputCount == 1 && outputValues.count == 1
    var lines = ["Model: \(name)"]
    func line(_ a: String, _ b: String, _ c: String, _ d: String) -> String {
      a.padding(toLength: max(44, a.count + 1), withPad: " ", startingAt: 0)
        + b.padding(toLength: max(22, b.count + 1), withPad: " ", startingAt: 0)
        + (chain ? c : c.padding(toLength: 12, withPad: " ", startingAt: 0) + d)
    }
    lines.append(line("Layer (type)", "Output shape", "Param #", "Connected to"))
    for row in rows {
      let shape = "(" + (["None"] + row.outputShape.map(String.init)).joined(separator: ", ") + ")"
      lines.append(line("\(row.name) (\(row.className))", shape, "\(row.parameters)", row.inputs.joined(separator: ", ")))
    }
    lines.append("Total params: \(parameterCount)")
    lines.append("Trainable params: \(trainableParameterCount)")
    lines.append("Non-trainable params: \(parameterCount - trainableParameterCount)")
    if !chain { lines.append("Inputs: \(inputNames.joined(separator: ", "))  Outputs: \(outputNames.joined(separator: ", "))") }
    return lines.joined(separator: "\n")
  }
}

import Foundation
