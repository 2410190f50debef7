import AstroTensor
import Foundation

/// A value flowing through a model being built: which output it is and its per-sample shape.
public struct Symbol {
  /// The value's number in its builder: the inputs first, then each application's output, in order.
  public let index: Int
  let builder: ObjectIdentifier
  /// Per-sample shape (no batch dimension).
  public let shape: [Int]
}

/// Builds a `Model` functionally, as Keras' functional API: `x = try builder(Conv2D(...), x)`.
///
/// Each layer is built (its weights created from the builder's seeded generator) when it is first applied,
/// and shape errors are reported then, naming the layer. Layers without a name get Keras-style automatic
/// names (`conv2d`, `conv2d_1`, ...). A model may have several inputs and outputs, and a model may be
/// applied as a layer of another.
///
/// ```swift
/// let b = ModelBuilder(name: "two_inputs", inputs: [("image", [63, 63, 3]), ("features", [25])])
/// let image = try b.chain([Conv2D(8, kernelSize: (3, 3), activation: .relu), Flatten()], from: b.inputs[0])
/// let features = try b(Dense(16, activation: .relu), b.inputs[1])
/// let joined = try b(Concatenate(), image, features)
/// let model = try b.model(outputs: [b(Dense(1, activation: .sigmoid, name: "score"), joined)])
/// ```
public final class ModelBuilder {
  /// The name of the model being built.
  public let name: String
  /// The model's inputs, in order.
  public let inputs: [Symbol]
  private let inputNames: [String]
  private var layers: [Layer] = []
  private var nodes: [Model.Node] = []
  private var generator: SeededGenerator
  private var nameCounts: [String: Int] = [:]

  /// A builder for a model with one input (named `input`).
  public convenience init(name: String, inputShape: [Int], seed: UInt64 = 0) {
    self.init(name: name, inputs: [("input", inputShape)], seed: seed)
  }

  /// A builder for a model with the given named inputs (per-sample shapes).
  public init(name: String, inputs: [(name: String, shape: [Int])], seed: UInt64 = 0) {
    self.name = name
    self.inputNames = inputs.map(\.name)
    self.generator = SeededGenerator(seed: seed)
    let identity = Identity()
    self.identity = identity
    let id = ObjectIdentifier(identity)
    self.inputs = inputs.enumerated().map { Symbol(index: $0.offset, builder: id, shape: $0.element.shape) }
  }

  /// Tells this builder's symbols from another's.
  private final class Identity {}
  private let identity: Identity
  private var id: ObjectIdentifier { ObjectIdentifier(identity) }

  /// The first input.
  public var input: Symbol { inputs[0] }
  /// The first input's per-sample shape.
  public var inputShape: [Int] { inputs[0].shape }

  /// Applies `layer` to `inputs` and returns its output.
  @discardableResult
  public func callAsFunction(_ layer: Layer, _ inputs: Symbol...) throws -> Symbol {
    try apply(layer, inputs)
  }

  /// Applies `layer` to `inputs` and returns its output.
  ///
  /// A layer that is already built (applied before, here or in another model) has weights: applying it again
  /// shares them, and must be asked for with `sharingWeights: true` (a `Model` applied as a layer always
  /// shares its weights). Nothing is ever re-initialised.
  public func apply(_ layer: Layer, _ inputs: [Symbol], sharingWeights: Bool = false) throws -> Symbol {
    if let foreign = inputs.first(where: { $0.builder != id }) {
      throw NNError.model("\(name): layer '\(layer.name)' is applied to a value of shape \(foreign.shape) from another builder")
    }
    guard !inputs.isEmpty else { throw NNError.layer(layer.name, "applied to no inputs") }
    if layer.isBuilt && !sharingWeights && !(layer is Model) {
      throw NNError.layer(
        layer.name,
        "is already built and has weights; apply it with sharingWeights: true to share them, or use a new layer")
    }
    if layer.name.isEmpty { layer.name = automaticName(layer.kerasClassName) }
    let index: Int
    if let existing = layers.firstIndex(where: { $0 === layer }) {
      index = existing
    } else {
      guard !layers.contains(where: { $0.name == layer.name }) else {
        throw NNError.layer(layer.name, "a layer with this name is already in model '\(name)'")
      }
      layers.append(layer)
      index = layers.count - 1
    }
    let outputShape: [Int]
    do {
      outputShape = try layer.buildOnce(inputShapes: inputs.map(\.shape), generator: &generator)
    } catch let error as TensorError {
      throw NNError.layer(layer.name, "\(error)")
    }
    nodes.append(Model.Node(layer: index, inputs: inputs.map(\.index), outputShape: outputShape, order: nodes.count))
    return Symbol(index: self.inputs.count + nodes.count - 1, builder: id, shape: outputShape)
  }

  /// Applies `layers` one after another.
  public func chain(_ layers: [Layer], from start: Symbol) throws -> Symbol {
    var x = start
    for layer in layers { x = try apply(layer, [x]) }
    return x
  }

  /// Finishes a model with one output.
  public func model(output: Symbol) throws -> Model { try model(outputs: [output]) }

  /// Finishes the model. Layers that no output depends on are left out, as Keras does.
  public func model(outputs: [Symbol]) throws -> Model {
    guard !outputs.isEmpty else { throw NNError.model("\(name): a model needs at least one output") }
    let inputCount = inputs.count
    for output in outputs where output.builder != id || output.index < inputCount {
      throw NNError.model("\(name): each output must be a layer's output in this builder (got shape \(output.shape))")
    }
    // Keep the nodes some output depends on, in their order; renumber values and layers.
    var needed = Set(outputs.map { $0.index - inputCount })
    for k in nodes.indices.reversed() where needed.contains(k) {
      for v in nodes[k].inputs where v >= inputCount { needed.insert(v - inputCount) }
    }
    let usedInputs = Set(nodes.indices.filter(needed.contains).flatMap { nodes[$0].inputs.filter { $0 < inputCount } })
    if let unused = inputs.indices.first(where: { !usedInputs.contains($0) }) {
      throw NNError.model("\(name): input '\(inputNames[unused])' does not reach any output")
    }
    var valueIndex = Array(0..<(inputCount + nodes.count))
    var keptLayers: [Layer] = [], layerIndex: [Int: Int] = [:], keptNodes: [Model.Node] = []
    for k in nodes.indices where needed.contains(k) {
      let node = nodes[k]
      if layerIndex[node.layer] == nil {
        layerIndex[node.layer] = keptLayers.count
        keptLayers.append(layers[node.layer])
      }
      keptNodes.append(
        Model.Node(
          layer: layerIndex[node.layer]!, inputs: node.inputs.map { valueIndex[$0] }, outputShape: node.outputShape,
          order: keptNodes.count))
      valueIndex[inputCount + k] = inputCount + keptNodes.count - 1
    }
    // Keras' layer order: layers in the order they were added, which is the order kept here.
    return Model(
      name: name, inputNames: inputNames, inputShapes: inputs.map(\.shape), layers: keptLayers, nodes: keptNodes,
      outputs: outputs.map { valueIndex[$0.index] })
  }

  /// A chain of layers (Keras `Sequential`).
  public static func sequential(name: String, inputShape: [Int], seed: UInt64 = 0, _ layers: [Layer]) throws -> Model {
    let b = ModelBuilder(name: name, inputShape: inputShape, seed: seed)
    return try b.model(output: b.chain(layers, from: b.input))
  }

  private func automaticName(_ className: String) -> String {
    // Keras: CamelCase -> snake_case (Conv2D -> conv2d, BatchNormalization -> batch_normalization).
    var base = ""
    let chars = Array(className)
    for (i, ch) in chars.enumerated() {
      if ch.isUppercase && i > 0 && (chars[i - 1].isLowercase || (i + 1 < chars.count && chars[i + 1].isLowercase)) && !chars[i - 1].isNumber {
        base.append("_")
      }
      base.append(Character(ch.lowercased()))
    }
    var candidate = base
    repeat {
      let n = nameCounts[base, default: 0]
      nameCounts[base] = n + 1
      candidate = n == 0 ? base : "\(base)_\(n)"
    } while layers.contains { $0.name == candidate }
    return candidate
  }
}
