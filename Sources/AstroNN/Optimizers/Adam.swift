import AstroKernels
import AstroTensor
import Foundation

/// Adam exactly as Keras 3 applies it:
/// `m = b1*m + (1-b1)*g`, `v = b2*v + (1-b2)*g²`, `lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t)`,
/// `w -= lr_t * m / (sqrt(v) + epsilon)`. Defaults: b1 0.9, b2 0.999, epsilon 1e-7 (braai uses lr 3e-4).
public final class Adam: Optimizer {
  /// The base step size `lr` (a schedule may change it between epochs).
  public var learningRate: Float
  /// Decay rates of the first and second moment estimates, and the term added to `sqrt(v)` for numerical stability.
  public let beta1: Float, beta2: Float, epsilon: Float
  /// Number of updates applied so far (Keras' `iterations`); the bias correction uses `t = iterations + 1`.
  public private(set) var iterations = 0
  private var moments = ParameterSlots<(m: Tensor, v: Tensor)>()

  /// Adam with Keras' defaults: learning rate 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-7.
  public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7) {
    self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
  }

  /// Applies one Adam update to every parameter that has a gradient, creating its moments on first use.
  public func step(_ parameters: [Tensor]) throws {
    let t = Float(iterations + 1)
    let alpha = learningRate * (1 - powf(beta2, t)).squareRoot() / (1 - powf(beta1, t))
    let (b1, b2, eps) = (beta1, beta2, epsilon)
    for p in parameters {
      guard let g = p.gradient else { continue }
      try checkGradient(p, g)
      let state = moments.state(for: p) { (Tensor.zeros(p.shape), Tensor.zeros(p.shape)) }
      let w = p.storage.pointer, gp = g.storage.pointer, m = state.m.storage.pointer, v = state.v.storage.pointer
      // Split over the cores for large tensors (DeepStreaks' first dense layer has 2.1 M weights).
      Elementwise.forEachSlice(p.count) { range in
        for i in range {
          m[i] += (gp[i] - m[i]) * (1 - b1)
          v[i] += (gp[i] * gp[i] - v[i]) * (1 - b2)
          w[i] -= alpha * m[i] / (v[i].squareRoot() + eps)
        }
      }
    }
    iterations += 1
  }

  /// `iterations` and each parameter's moments as `i/m` and `i/v` (`i` the parameter's index).
  public func stateTensors(for parameters: [Tensor]) -> [(name: String, tensor: Tensor)] {
    var out: [(String, Tensor)] = [("iterations", Tensor(scalar: Float(iterations)))]
    for (i, p) in parameters.enumerated() {
      guard let s = moments.existing(p) else { continue }
      out.append(("\(i)/m", s.m)); out.append(("\(i)/v", s.v))
    }
    return out
  }

  /// Restores `iterations` and the moments written by `stateTensors(for:)`; parameters without saved moments
  /// start afresh.
  public func restoreState(_ state: [String: Tensor], for parameters: [Tensor]) throws {
    iterations = Int(state["iterations"]?.scalarValue ?? 0)
    moments.removeAll()
    for (i, p) in parameters.enumerated() {
      guard let m = state["\(i)/m"], let v = state["\(i)/v"] else { continue }
      guard m.shape == p.shape, v.shape == p.shape else {
        throw TensorError.shapeMismatch(op: "Adam state \(i)", lhs: p.shape, rhs: m.shape)
      }
      moments.set((m.copy(), v.copy()), for: p)
    }
  }
}
