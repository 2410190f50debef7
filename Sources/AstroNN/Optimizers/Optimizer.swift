import AstroTensor

/// Updates parameters from their accumulated gradients (`Tensor.gradient`).
public protocol Optimizer: AnyObject {
  /// The base learning rate (a schedule may change it between epochs).
  var learningRate: Float { get set }
  /// Number of updates applied so far (Keras' `iterations`).
  var iterations: Int { get }
  /// Applies one update to every parameter that has a gradient. Parameters are identified by object
  /// identity; their per-parameter state (moments, velocities) is created on first use.
  func step(_ parameters: [Tensor]) throws
  /// The optimizer's state as named tensors, for checkpoints (`iterations` included).
  func stateTensors(for parameters: [Tensor]) -> [(name: String, tensor: Tensor)]
  /// Restores state written by `stateTensors`.
  func restoreState(_ state: [String: Tensor], for parameters: [Tensor]) throws
}

extension Optimizer {
  func checkGradient(_ p: Tensor, _ g: Tensor) throws {
    guard g.shape == p.shape else { throw TensorError.shapeMismatch(op: "optimizer step", lhs: p.shape, rhs: g.shape) }
  }
}
