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

  /// `conv2D` for inference with a kernel prepared once for many calls (`PreparedConvolutionKernel`).
  public func conv2D(
    prepared: PreparedConvolutionKernel, bias: Tensor?, strides: (Int, Int), padding: Padding, relu: Bool
  ) throws -> Tensor {
    let kernel = prepared.kernel
    try requireInference("conv2D(prepared:)", [self, kernel] + (bias.map { [$0] } ?? []))
    let g = try convolutionGeometry(kernel: kernel, bias: bias, strides: strides, padding: padding)
    let out = Tensor(uninitializedShape: [g.batch, g.outHeight, g.outWidth, kernel.shape[3]])
    Convolution.forward(
      g, input: storage.pointer, kernel: kernel.storage.pointer, packedKernel: prepared.packed?.storage.pointer,
      filters: kernel.shape[3], bias: bias?.storage.pointer, relu: relu, output: out.storage.pointer)
    return out
  }
}

/// An HWIO convolution kernel with the packed copy the AVX-512 route reads for kernels over 1 MB (ResNet50's
/// late stages), made once: inference over many micro-batches would otherwise pack it in every call. The
/// kernel must not change while this is in use.
public struct PreparedConvolutionKernel: Sendable {
  /// The HWIO kernel, `[height, width, inChannels, filters]`.
  public let kernel: Tensor
  let packed: Tensor?

  /// Wraps `kernel` and packs it once when the AVX-512 route will read a packed copy (rank-4 kernels only).
  public init(_ kernel: Tensor) {
    self.kernel = kernel
    guard kernel.rank == 4 else {
      packed = nil
      return
    }
    let (h, w, c, f) = (kernel.shape[0], kernel.shape[1], kernel.shape[2], kernel.shape[3])
    let count = Convolution.packedKernelCount(height: h, width: w, channels: c, filters: f)
    guard count > 0 else {
      packed = nil
      return
    }
    let copy = Tensor(uninitializedShape: [count])
    Convolution.packKernel(kernel.storage.pointer, height: h, width: w, channels: c, filters: f, into: copy.storage.pointer)
    packed = copy
  }
}
