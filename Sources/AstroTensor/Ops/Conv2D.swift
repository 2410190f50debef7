import AstroKernels

extension Tensor {
  /// Keras Conv2D on NHWC input with an HWIO kernel `[kh, kw, inChannels, filters]`:
  /// output `[N, outH, outW, filters]` with TensorFlow's `valid`/`same` padding rules, optional bias and a
  /// fused ReLU (its backward masks by the saved output).
  public func conv2D(
    kernel: Tensor, bias: Tensor? = nil, strides: (Int, Int) = (1, 1), padding: Padding = .valid, relu: Bool = false
  ) throws -> Tensor {
    let g = try convolutionGeometry(kernel: kernel, bias: bias, strides: strides, padding: padding)
    let filters = kernel.shape[3]
    let out = Tensor(uninitializedShape: [g.batch, g.outHeight, g.outWidth, filters])
    Convolution.forward(
      g, input: storage.pointer, kernel: kernel.storage.pointer, filters: filters, bias: bias?.storage.pointer,
      relu: relu, output: out.storage.pointer)
    let x = detached(), k = kernel.detached(), saved = out.detached()
    let inputs = bias.map { [self, kernel, $0] } ?? [self, kernel]
    let inputShape = shape, kernelShape = kernel.shape
    return .result(out, of: "conv2D", inputs: inputs) { grad, needs in
      // A fused ReLU's backward is applied inside the kernels (masking by the saved output).
      let mask = relu ? UnsafePointer(saved.storage.pointer) : nil
      let dx = needs[0] ? Tensor(uninitializedShape: inputShape) : nil
      let dk = needs[1] ? Tensor(repeating: 0, shape: kernelShape) : nil
      let db = needs.count > 2 && needs[2] ? Tensor(repeating: 0, shape: [filters]) : nil
      // The bias gradient is a by-product of the kernel-gradient pass: run it with scratch when only db is needed.
      let scratchKernel = db != nil && dk == nil ? Tensor(repeating: 0, shape: kernelShape) : nil
      Convolution.backward(
        g, input: x.storage.pointer, outputGradient: grad.storage.pointer, outputMask: mask,
        kernel: k.storage.pointer, filters: filters, kernelGradient: (dk ?? scratchKernel)?.storage.pointer,
        biasGradient: db?.storage.pointer, inputGradient: dx?.storage.pointer)
      return bias == nil ? [dx, dk] : [dx, dk, db]
    }
  }

  /// The window geometry of a convolution of this input with `kernel`, after checking every shape.
  func convolutionGeometry(kernel: Tensor, bias: Tensor?, strides: (Int, Int), padding: Padding) throws -> WindowGeometry {
    guard rank == 4 else { throw TensorError.invalidShape(op: "conv2D", shape: shape, expected: "[N, H, W, C]") }
    guard kernel.rank == 4, kernel.shape[2] == shape[3] else {
      throw TensorError.shapeMismatch(op: "conv2D", lhs: shape, rhs: kernel.shape)
    }
    let filters = kernel.shape[3]
    if let bias, bias.shape != [filters] {
      throw TensorError.shapeMismatch(op: "conv2D bias", lhs: [filters], rhs: bias.shape)
    }
    guard
      let g = WindowGeometry(
        batch: shape[0], inHeight: shape[1], inWidth: shape[2], channels: shape[3], kernelHeight: kernel.shape[0],
        kernelWidth: kernel.shape[1], strideH: strides.0, strideW: strides.1, padding: padding.window)
    else {
      throw TensorError.invalidArgument(
        op: "conv2D", message: "kernel \(kernel.shape) with strides \(strides) and \(padding) padding does not fit input \(shape)")
    }
    return g
  }
}
