import AstroTensor

/// A layer of a model, with Keras' semantics and names. Subclass it to write your own.
///
/// A layer is configured at initialisation and creates its weights in `build`, when the input shapes are
/// known (as Keras' `build(input_shape)`), with `addWeight`: the only way weights come to exist, so the
/// model, its optimizer and weight files always see all of them. Shapes here are per sample (no batch
/// dimension). A layer is built once; applying a built layer again shares its weights, and only when asked
/// (`ModelBuilder.apply(_:_:sharingWeights:)`), never re-initialising them.
///
/// ```swift
/// final class ChannelScale: Layer {
///   var scale: Tensor!
///   override func build(inputShapes: [[Int]], generator: inout SeededGenerator) throws -> [Int] {
///     scale = try addWeight("scale", shape: [inputShapes[0].last!], initializer: .ones, generator: &generator)
///     return inputShapes[0]
///   }
///   override func forward(_ inputs: [Tensor], context: ForwardContext) throws -> Tensor {
///     try inputs[0] * scale    // broadcasts over the last axis
///   }
/// }
/// ```
open class Layer {
  /// The layer's name; weight files map weights by it (`conv1`, `res2a_branch2a`, ...).
  public var name: String
  /// Whether training updates this layer's weights (Keras' `trainable`). A frozen layer keeps its weights, and
  /// a frozen `BatchNormalization` normalises with its moving statistics, as in Keras.
  public var trainable = true {
    // Frozen weights record no gradient (none is computed for them); a container freezes its sublayers.
    didSet {
      for w in declaredWeights where w.trainable { w.tensor.requiresGradient = trainable }
      for layer in sublayers { layer.trainable = trainable }
    }
  }
  /// The weights `addWeight` created, in creation order (Keras' file order: kernel, bias; gamma, beta,
  /// moving_mean, moving_variance).
  public private(set) var declaredWeights: [(name: String, tensor: Tensor, trainable: Bool)] = []
  /// The per-sample input shapes the layer was built for; nil before `build`.
  public internal(set) var builtInputShapes: [[Int]]?
  /// The per-sample output shape `build` returned; nil before `build`.
  public internal(set) var builtOutputShape: [Int]?

  /// A layer named `name`; an empty name becomes an automatic Keras-style one (`conv2d`, `conv2d_1`, ...) when a
  /// model builder applies it.
  public init(name: String = "") { self.name = name }

  /// Keras' class name (`Conv2D`, `BatchNormalization`, ...), used in summaries, automatic names and model
  /// files. Defaults to the Swift class name.
  open var kerasClassName: String { String(describing: type(of: self)) }

  /// Creates the weights for the given per-sample input shapes (with `addWeight`) and returns the per-sample
  /// output shape. Called once, by the model builder. The default passes one input's shape through.
  open func build(inputShapes: [[Int]], generator: inout SeededGenerator) throws -> [Int] {
    try expectInputs(inputShapes)
    return inputShapes[0]
  }

  /// Applies the layer to a batch. Differentiable when written with tensor ops (or ops made with
  /// `Tensor.result`).
  open func forward(_ inputs: [Tensor], context: ForwardContext) throws -> Tensor {
    throw NNError.layer(name, "\(kerasClassName) does not implement forward(_:context:)")
  }

  /// The options a Keras model file stores for this layer (`get_config()`), besides its name. Override it in
  /// a layer of your own so that `saveKeras` can write it; read it back with a factory given to `loadKeras`.
  open func kerasConfig() -> [String: JSONValue] { [:] }

  /// Layers whose weights belong to this one (a nested model's layers). Empty for plain layers.
  open var sublayers: [Layer] { [] }

  /// Creates a weight in `build`. Trainable weights get gradients (unless the layer is frozen); others (moving
  /// statistics) are updated by the layer itself.
  public final func addWeight(
    _ name: String, shape: [Int], initializer: Initializer, trainable: Bool = true, generator: inout SeededGenerator
  ) throws -> Tensor {
    guard !declaredWeights.contains(where: { $0.name == name }) else {
      throw NNError.layer(self.name, "weight '\(name)' is declared twice")
    }
    guard shape.allSatisfy({ $0 > 0 }) else { throw NNError.layer(self.name, "weight '\(name)' of shape \(shape)") }
    let tensor = initializer.make(shape, generator: &generator, trainable: trainable && self.trainable)
    declaredWeights.append((name, tensor, trainable))
    return tensor
  }

  /// Whether `build` has run.
  public var isBuilt: Bool { builtOutputShape != nil }

  /// All weights (trainable and not) in Keras order, this layer's then its sublayers'.
  public var weights: [Tensor] { declaredWeights.map(\.tensor) + sublayers.flatMap(\.weights) }
  /// Keras' names for `weights` (`kernel`, `bias`, `gamma`, ...); a sublayer's are prefixed with its name.
  public var weightNames: [String] {
    declaredWeights.map(\.name) + sublayers.flatMap { layer in layer.weightNames.map { "\(layer.name)/\($0)" } }
  }
  /// The weights an optimizer updates: none when the layer is frozen.
  public var trainableWeights: [Tensor] {
    guard trainable else { return [] }
    return declaredWeights.filter(\.trainable).map(\.tensor) + sublayers.flatMap(\.trainableWeights)
  }
  /// Weights that training does not update by gradient (moving statistics, frozen weights).
  public var nonTrainableWeights: [Tensor] {
    let trained = Set(trainableWeights.map(ObjectIdentifier.init))
    return weights.filter { !trained.contains(ObjectIdentifier($0)) }
  }
  /// Number of scalars in all weights (trainable and not), as Keras' `count_params`.
  public var parameterCount: Int { weights.reduce(0) { $0 + $1.count } }

  /// Builds the layer unless it is built; a built layer must be given the shapes it was built for.
  func buildOnce(inputShapes: [[Int]], generator: inout SeededGenerator) throws -> [Int] {
    if let built = builtInputShapes, let output = builtOutputShape {
      guard built == inputShapes else {
        throw NNError.layer(name, "built for inputs \(built), applied to \(inputShapes)")
      }
      return output
    }
    let output = try build(inputShapes: inputShapes, generator: &generator)
    builtInputShapes = inputShapes
    builtOutputShape = output
    return output
  }

  /// Checks the number and rank of inputs, naming the layer when they do not fit.
  public func expectInputs(_ shapes: [[Int]], count: Int? = 1, rank: Int? = nil) throws {
    if let count, shapes.count != count {
      throw NNError.layer(name, "expects \(count) input(s), got \(shapes.count)")
    }
    if let rank, let bad = shapes.first(where: { $0.count != rank }) {
      throw NNError.layer(name, "expects inputs of rank \(rank) per sample, got shape \(bad)")
    }
  }
}

/// What a forward pass needs besides the inputs.
public final class ForwardContext {
  /// Training mode: dropout active, batch normalisation on batch statistics (and updating its moving ones).
  public var training: Bool
  /// Randomness for dropout.
  public var generator: SeededGenerator
  /// Set by the model on its output layer when logits are asked for: the final activation is skipped.
  public var skipActivation = false
  /// Monte-Carlo dropout: dropout active outside training (batch normalisation stays on its moving statistics).
  public var monteCarloDropout = false
  /// One random key per sample of the batch, or nil. When set, dropout draws each sample's mask from its key
  /// (and one generator draw per layer), so the mask does not depend on the rest of the batch: data-parallel
  /// training keys samples by epoch and index, and N processes then drop what one process would.
  public var sampleKeys: [UInt64]?
  /// In data-parallel training with synchronised batch normalisation: the group whose batches together make the
  /// batch, so batch normalisation uses the statistics of the whole batch. Nil normalises each batch alone.
  public var batchStatisticsGroup: BatchStatisticsGroup?

  /// A context for training (`training: true`) or inference, with the generator dropout draws from.
  public init(training: Bool, generator: SeededGenerator = SeededGenerator(seed: 0)) {
    self.training = training
    self.generator = generator
  }
}

/// Element-wise activations as Keras names them.
public enum Activation: String, Sendable, CaseIterable {
  case linear, relu, sigmoid, softmax, tanh

  /// Applies the activation (the last axis for softmax).
  public func apply(_ x: Tensor) throws -> Tensor {
    switch self {
    case .linear: return x
    case .relu: return x.relu()
    case .sigmoid: return x.sigmoid()
    case .softmax: return try x.softmax()
    case .tanh: return x.tanh()
    }
  }
}

/// Errors from layers, models and weight files; each names the layer or file concerned.
public enum NNError: Error, CustomStringConvertible, Equatable {
  case layer(String, String)
  case model(String)
  case weights(file: String, message: String)

  /// The message, naming the layer or file concerned.
  public var description: String {
    switch self {
    case .layer(let name, let message): return "layer '\(name)': \(message)"
    case .model(let message): return "model: \(message)"
    case .weights(let file, let message): return "\(file): \(message)"
    }
  }
}

extension Layer {
  /// Whether this layer, or any layer inside it (a model's layers, recursively), satisfies `predicate`.
  func containsLayer(where predicate: (Layer) -> Bool) -> Bool {
    predicate(self) || sublayers.contains { $0.containsLayer(where: predicate) }
  }
}
