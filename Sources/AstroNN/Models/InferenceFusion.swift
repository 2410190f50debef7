import AstroTensor
import Foundation

/// Graph rewrites applied by `Model.forward`: the same numbers as the layer-by-layer graph (up to float
/// rounding) with fewer passes over memory.
///
/// - Inference only — Conv2D → BatchNormalization [→ ReLU]: the normalisation is folded into the kernel and
///   bias (`W' = W·s`, `b' = (b - mean)·s + beta`, `s = gamma / sqrt(var + eps)`) and the ReLU fused.
/// - Training and inference — BatchNormalization → ReLU: one normalise-and-ReLU pass (DenseNet's
///   pre-activations, ResNet's blocks); Add → ReLU: one pass (ResNet's residual connections). Their
///   backward passes mask the gradient inside the same kernels.
/// A rewrite applies only when each intermediate result has no other reader.
extension Model {
  /// Folded (kernel, bias) per convolution node, computed (and the kernel prepared for the AVX-512 route)
  /// once per `predict` call and shared by the threads that run its micro-batches.
  /// Unchecked Sendable: `folded` is only touched with `lock` held; what it hands out is read-only.
  final class FoldCache: @unchecked Sendable {
    typealias Folded = (kernel: PreparedConvolutionKernel, bias: Tensor)
    private var folded: [Int: Folded] = [:]
    private let lock = NSLock()

    func value(_ k: Int, orMake make: () throws -> Folded) rethrows -> Folded {
      lock.lock()
      defer { lock.unlock() }
      if let cached = folded[k] { return cached }
      let made = try make()
      folded[k] = made
      return made
    }
  }

  /// Runs node `k` fused with its successors when a rewrite applies; returns how many nodes it covered
  /// (0 when none applies). The result is stored as the output of the last covered node.
  func runFused(_ k: Int, values: inout [Tensor?], cache: FoldCache, context: ForwardContext, inference: Bool) throws -> Int {
    let node = nodes[k]
    /// Node `j`'s layer when it is of `kind` and is the only reader of node `j - 1`'s output.
    func follower(_ j: Int, _ kind: Layer.Type) -> Layer? {
      let previous = inputCount + j - 1
      guard j < nodes.count, nodes[j].inputs == [previous], lastUse[previous] == j else { return nil }
      let layer = layers[nodes[j].layer]
      return ObjectIdentifier(type(of: layer)) == ObjectIdentifier(kind) ? layer : nil
    }
    func isReLU(_ j: Int) -> Bool { (follower(j, ActivationLayer.self) as? ActivationLayer)?.activation == .relu }

    switch layers[node.layer] {
    case let conv as Conv2D where conv.activation == .linear && inference:
      guard let bn = follower(k + 1, BatchNormalization.self) as? BatchNormalization else { return 0 }
      let relu = isReLU(k + 2)
      let folded = try cache.value(k) { try fold(conv, bn) }
      let x = values[node.inputs[0]]!
      let y = try x.conv2D(prepared: folded.kernel, bias: folded.bias, strides: conv.strides, padding: conv.padding, relu: relu)
      let covered = relu ? 3 : 2
      values[inputCount + k + covered - 1] = y
      return covered
    case let bn as BatchNormalization:
      guard isReLU(k + 1) else { return 0 }
      let x = values[node.inputs[0]]!
      if inference, let (scale, shift) = bn.inferenceAffine() {
        values[inputCount + k + 1] = try x.channelAffine(scale: scale, shift: shift, relu: true)
      } else {
        values[inputCount + k + 1] = try bn.forward([x], context: context, relu: true)
      }
      return 2
    case is Add where node.inputs.count == 2:
      guard isReLU(k + 1) else { return 0 }
      values[inputCount + k + 1] = try values[node.inputs[0]]!.addingThenRelu(values[node.inputs[1]]!)
      return 2
    default:
      return 0
    }
  }

  private func fold(_ conv: Conv2D, _ bn: BatchNormalization) throws -> FoldCache.Folded {
    guard let kernel = conv.kernel, let (scale, shift) = bn.inferenceAffine() else {
      throw NNError.layer(conv.name, "used before build")
    }
    let f = conv.filters
    let k = Tensor(uninitializedShape: kernel.shape), b = Tensor(uninitializedShape: [f])
    let w = kernel.storage.pointer, s = scale.storage.pointer, t = shift.storage.pointer
    for i in 0..<(kernel.count / f) { for o in 0..<f { k.storage.pointer[i * f + o] = w[i * f + o] * s[o] } }
    for o in 0..<f { b.storage.pointer[o] = (conv.bias?.storage.pointer[o] ?? 0) * s[o] + t[o] }
    return (PreparedConvolutionKernel(k), b)
  }
}

extension BatchNormalization {
  /// The inference map as `x * scale + shift` per channel.
  func inferenceAffine() -> (Tensor, Tensor)? {
    guard let movingMean, let movingVariance else { return nil }
    let c = movingMean.count
    let scale = Tensor(uninitializedShape: [c]), shift = Tensor(uninitializedShape: [c])
    for i in 0..<c {
      let s = (gamma?.storage.pointer[i] ?? 1) / (movingVariance.storage.pointer[i] + epsilon).squareRoot()
      scale.storage.pointer[i] = s
      shift.storage.pointer[i] = (beta?.storage.pointer[i] ?? 0) - movingMean.storage.pointer[i] * s
    }
    return (scale, shift)
  }
}
