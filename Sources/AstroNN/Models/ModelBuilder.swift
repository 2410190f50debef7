import AstroTensor

/// A value flowing through a model being built: which output it is and its per-sample shape.
public struct Symbol {
  let index: Int
  /// Per-sample shape (no batch dimension).
  public let shape: [Int]
}

/// Builds a `Model` functionally, as Keras' functional API: `x = builder(Conv2D(...), x)`.
///
/// Each layer is built (its weights created from the builder's seeded generator) when it is first applied,
/// and shape errors are reported then, naming the layer. Layers without a name get Keras-style automatic
/// names (`conv2d`, `conv2d_1`, ...).
public final class ModelBuilder {
  public let name: String
  public let inputShape: [Int]
  /// The model's input.
  public let input: Symbol
  private var layers: [Layer] = []
  private var nodes: [Model.Node] = []
  private var shapes: [[Int]]
  private var generator: SeededGenerator
  private var nameCounts: [String: Int] = [:]

  public init(name: String, inputShape: [Int], seed: UInt64 = 0) {
    self.name = name
    self.inputShape = inputShape
    self.input = Symbol(index: 0, shape: inputShape)
    self.shapes = [inputShape]
    self.generator = SeededGenerator(seed: seed)
  }

  /// Applies `layer` to `inputs` and returns its output.
  @discardableResult
  public func callAsFunction(_ layer: Layer, _ inputs: Symbol...) throws -> Symbol {
    try apply(layer, inputs)
  }

  /// Applies `layer` to `inputs` and returns its output.
  public func apply(_ layer: Layer, _ inputs: [Symbol]) throws -> Symbol {
    if layer.name.isEmpty { layer.name = automaticName(layer.kerasClassName) }
    guard !layers.contains(where: { $0.name == layer.name }) else {
      throw NNError.layer(layer.name, "a layer with this name is already in model '\(name)'")
    }
    let outputShape = try layer.build(inputShapes: inputs.map(\.shape), generator: &generator)
    layers.append(layer)
    nodes.append(Model.Node(layer: layers.count - 1, inputs: inputs.map(\.index), outputShape: outputShape))
    shapes.append(outputShape)
    return Symbol(index: nodes.count, shape: outputShape)
  }

  /// Applies `layers` one after another.
  public func chain(_ layers: [Layer], from start: Symbol) throws -> Symbol {
    var x = start
    for layer in layers { x = try apply(layer, [x]) }
    return x
  }

  /// Finishes the model; `output` must be the last value produced.
  public func model(output: Symbol) throws -> Model {
    guard output.index == nodes.count, !nodes.isEmpty else {
      throw NNError.model("\(name): the output must be the last layer applied")
    }
    return Model(name: name, inputShape: inputShape, layers: layers, nodes: nodes)
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
    let n = nameCounts[base, default: 0]
    nameCounts[base] = n + 1
    return n == 0 ? base : "\(base)_\(n)"
  }
}
