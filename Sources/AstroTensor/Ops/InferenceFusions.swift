import AstroKernels

// Fused inference-only operations: one pass over memory where training needs several ops. They record no
// graph, and refuse inputs that need gradients rather than silently dropping them.

extension Tensor {
  private func requireInference(_ op: String, _ inputs: [Tensor]) throws {
    if GradientMode.isEnabled && inputs.contains(where: \.needsGradient) {
      throw TensorError.invalidArgument(op: op, message: "inference-only operation used while recording gradients")
    }
  }

  /// `y[..., c] = x[..., c] * scale[c] + shift[c]`, then ReLU if `relu` (BatchNormalization in inference,
  /// optionally with its following ReLU).
  public func channelAffine(scale: Tensor, shift: Tensor, relu: Bool) throws -> Tensor {
    try requireInference("channelAffine", [self])
    guard let c = shape.last, scale.shape == [c], shift.shape == [c] else {
      throw TensorError.shapeMismatch(op: "channelAffine", lhs: shape, rhs: scale.shape)
    }
    let out = Tensor(uninitializedShape: shape)
    Normalization.scaleShift(
      storage.pointer, rows: count / c, channels: c, scale: scale.storage.pointer, shift: shift.storage.pointer,
      relu: relu, output: out.storage.pointer)
    return out
  }


}
