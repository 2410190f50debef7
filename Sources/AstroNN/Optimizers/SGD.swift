import AstroTensor

/// Stochastic gradient descent as Keras applies it, with braai's options: momentum, Nesterov and the
/// legacy time decay `lr_t = lr / (1 + decay * iterations)`.
/// Momentum: `v = momentum*v - lr_t*g; w += v`; Nesterov: `w += momentum*v - lr_t*g`.
public final class SGD: Optimizer {
  /// The base learning rate `lr`, before the time decay.
  public var learningRate: Float
  /// Momentum factor (0 for plain SGD), whether Nesterov momentum is used, and the time decay of the learning rate.
  public let momentum: Float, nesterov: Bool, decay: Float
  /// Number of updates applied so far (Keras' `iterations`, used by the time decay).
  public private(set) var iterations = 0
  private var velocities = ParameterSlots<Tensor>()

  /// braai's SGD option is `SGD(learningRate: 0.01, momentum: 0.9, nesterov: true, decay: 1e-6)`.
  public init(learningRate: Float = 0.01, momentum: Float = 0, nesterov: Bool = false, decay: Float = 0) {
    self.learningRate = learningRate; self.momentum = momentum; self.nesterov = nesterov; self.decay = decay
  }

  /// Applies one SGD update, with momentum when it is non-zero, to every parameter that has a gradient.
  public func step(_ parameters: [Tensor]) throws {
    let lr = learningRate / (1 + decay * Float(iterations))
    for p in parameters {
      guard let g = p.gradient else { continue }
      try checkGradient(p, g)
      let w = p.storage.pointer, gp = g.storage.pointer
      if momentum == 0 {
        for i in 0..<p.count { w[i] -= lr * gp[i] }
        continue
      }
      let velocity = velocities.state(for: p) { Tensor.zeros(p.shape) }
      let v = velocity.storage.pointer
      for i in 0..<p.count {
        v[i] = momentum * v[i] - lr * gp[i]
        w[i] += nesterov ? momentum * v[i] - lr * gp[i] : v[i]
      }
    }
    iterations += 1
  }

  /// `iterations` and each parameter's velocity as `i/velocity` (`i` the parameter's index).
  public func stateTensors(for parameters: [Tensor]) -> [(name: String, tensor: Tensor)] {
    var out: [(String, Tensor)] = [("iterations", Tensor(scalar: Float(iterations)))]
    for (i, p) in parameters.enumerated() {
      if let v = velocities.existing(p) { out.append(("\(i)/velocity", v)) }
    }
    return out
  }

  /// Restores `iterations` and the velocities written by `stateTensors(for:)`; parameters without a saved
  /// velocity start afresh.
  public func restoreState(_ state: [String: Tensor], for parameters: [Tensor]) throws {
    iterations = Int(state["iterations"]?.scalarValue ?? 0)
    velocities.removeAll()
    for (i, p) in parameters.enumerated() {
      guard let v = state["\(i)/velocity"] else { continue }
      guard v.shape == p.shape else { throw TensorError.shapeMismatch(op: "SGD state \(i)", lhs: p.shape, rhs: v.shape) }
      velocities.set(v.copy(), for: p)
    }
  }
}
