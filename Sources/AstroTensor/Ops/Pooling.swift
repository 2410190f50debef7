import AstroKernels

extension Tensor {
  func poolGeometry(_ op: String, size: (Int, Int), strides: (Int, Int), padding: Padding) throws -> WindowGeometry {
    guard rank == 4 else { throw TensorError.invalidShape(op: op, shape: shape, expected: "[N, H, W, C]") }
    guard
      let g = WindowGeometry(
        batch: shape[0], inHeight: shape[1], inWidth: shape[2], channels: shape[3], kernelHeight: size.0,
        kernelWidth: size.1, strideH: strides.0, strideW: strides.1, padding: padding.window),
      // Explicit padding as wide as the window makes windows of padding alone (no max, a mean over nothing).
      max(g.padTop, g.padBottom) < size.0, max(g.padLeft, g.padRight) < size.1
    else {
      throw TensorError.invalidArgument(
        op: op, message: "pool \(size) with strides \(strides) and \(padding) padding does not fit input \(shape)")
    }
    return g
  }

  /// Keras MaxPooling2D (strides default to the pool size; `valid` drops the last partial window).
  /// The gradient goes to the first maximum of each window.
  public func maxPool2D(size: (Int, Int), strides: (Int, Int)? = nil, padding: Padding = .valid) throws -> Tensor {
    let g = try poolGeometry("maxPool2D", size: size, strides: strides ?? size, padding: padding)
    let out = Tensor(uninitializedShape: [g.batch, g.outHeight, g.outWidth, g.channels])
    if Pooling.recordsArgMax(g) && !(GradientMode.isEnabled && needsGradient) {
      // Nothing will ask for a gradient: the maxima alone.
      Pooling.maxForward(g, input: storage.pointer, output: out.storage.pointer, argMax: nil)
      return out
    }
    if Pooling.recordsArgMax(g) {
      let argMax = ByteBuffer(count: out.count)
      Pooling.maxForward(g, input: storage.pointer, output: out.storage.pointer, argMax: argMax.pointer)
      let inputShape = shape
      return .result(out, of: "maxPool2D", inputs: [self]) { grad, _ in
        let dx = Tensor(uninitializedShape: inputShape)
        Pooling.maxBackward(g, argMax: argMax.pointer, outputGradient: grad.storage.pointer, inputGradient: dx.storage.pointer)
        return [dx]
      }
    }
    Pooling.maxForward(g, input: storage.pointer, output: out.storage.pointer)
    let x = detached(), saved = out.detached()
    return .result(out, of: "maxPool2D", inputs: [self]) { grad, _ in
      let dx = Tensor(repeating: 0, shape: x.shape)
      Pooling.maxBackward(
        g, input: x.storage.pointer, output: saved.storage.pointer, outputGradient: grad.storage.pointer,
        inputGradient: dx.storage.pointer)
      return [dx]
    }
  }

  /// Keras AveragePooling2D (strides default to the pool size).
  public func averagePool2D(size: (Int, Int), strides: (Int, Int)? = nil, padding: Padding = .valid) throws -> Tensor {
    let g = try poolGeometry("averagePool2D", size: size, strides: strides ?? size, padding: padding)
    let out = Tensor(uninitializedShape: [g.batch, g.outHeight, g.outWidth, g.channels])
    Pooling.averageForward(g, input: storage.pointer, output: out.storage.pointer)
    let inputShape = shape
    return .result(out, of: "averagePool2D", inputs: [self]) { grad, _ in
      let dx = Tensor(repeating: 0, shape: inputShape)
      Pooling.averageBackward(g, outputGradient: grad.storage.pointer, inputGradient: dx.storage.pointer)
      return [dx]
    }
  }

  /// Keras GlobalAveragePooling2D: `[N, H, W, C] -> [N, C]`.
  public func globalAveragePool2D() throws -> Tensor {
    guard rank == 4 else { throw TensorError.invalidShape(op: "globalAveragePool2D", shape: shape, expected: "[N, H, W, C]") }
    let (n, h, w, c) = (shape[0], shape[1], shape[2], shape[3])
    return try averagePool2D(size: (h, w)).reshaped(to: [n, c])
  }
}

/// Bytes owned by a backward closure (max pooling's arg-max), freed with it.
/// Unchecked Sendable: written by the forward that made it, read by its backward, never by two threads at once.
final class ByteBuffer: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<UInt8>
  let count: Int

  init(count: Int) {
    self.count = max(count, 1)
    pointer = .allocate(capacity: self.count)
  }

  deinit { pointer.deallocate() }
}
