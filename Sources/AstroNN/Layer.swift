import AstroTensor

/// A layer of a model, with Keras' semantics and names.
///
/// Layers are configured at initialisation and create their weights in `build`, when the input shape is
/// known (as Keras' `build(input_shape)`). Shapes here are per sample: NHWC without the batch dimension.
public protocol Layer: AnyObject {
  /// The layer's name; weight files map weights by it (`conv1`, `res2a_branch2a`, ...).
  var name: String { get set }
  /// Keras' class name (`Conv2D`, `BatchNormalization`, ...), used in summaries and automatic names.
  var kerasClassName: String { get }
  /// All weights in Keras' file order (trainable first as Keras lists them, e.g. gamma, beta, moving_mean,
  /// moving_variance). Empty before `build`.
  var weights: [Tensor] { get }
  /// Keras' names for `weights` (`kernel`, `bias`, `gamma`, ...).
  var weightNames: [String] { get }
  /// The weights an optimizer updates.
  var trainableWeights: [Tensor] { get }
  /// Creates the weights for the given per-sample input shapes and returns the per-sample output shape.
  func build(inputShapes: [[Int]], generator: inout SeededGenerator) throws -> [Int]
  /// Applies the layer to a batch.
  func forward(_ inputs: [Tensor], context: ForwardContext) throws -> Tensor
}

extension Layer {
  public var weights: [Tensor] { [] }
  public var weightNames: [String] { [] }
  public var trainableWeights: [Tensor] { [] }
  /// Number of scalars in all weights (trainable and not), as Keras' `count_params`.
  public var parameterCount: Int { weights.reduce(0) { $0 + $1.count } }

  /// Checks the number and rank of inputs, naming the layer when they do not fit.
  func expectInputs(_ shapes: [[Int]], count: Int? = 1, rank: Int? = nil) throws {
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

  public var description: String {
    switch self {
    case .layer(let name, let message): return "layer '\(name)': \(message)"
    case .model(let message): return "model: \(message)"
    case .weights(let file, let message): return "\(file): \(message)"
    }
  }
}
