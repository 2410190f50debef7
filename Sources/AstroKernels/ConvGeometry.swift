/// How a 2-D window (convolution kernel or pooling window) is padded.
public enum WindowPadding: Equatable, Sendable {
  /// No padding: `out = floor((in - k) / s) + 1`.
  case valid
  /// TensorFlow's `same`: `out = ceil(in / s)`; the odd extra pixel of padding goes bottom/right.
  case same
  /// Explicit zero rows/columns on each side.
  case explicit(top: Int, bottom: Int, left: Int, right: Int)
}

/// Output size and padding of one spatial axis under TensorFlow's rules.
/// Returns nil when the window does not fit (`valid` with `input < window`).
public func windowedAxis(input: Int, window: Int, stride: Int, padding: WindowPadding, axis: Int)
  -> (output: Int, padBefore: Int, padAfter: Int)?
{
  switch padding {
  case .valid:
    guard input >= window else { return nil }
    return ((input - window) / stride + 1, 0, 0)
  case .same:
    let out = (input + stride - 1) / stride
    let total = max((out - 1) * stride + window - input, 0)
    return (out, total / 2, total - total / 2)
  case .explicit(let top, let bottom, let left, let right):
    let (before, after) = axis == 0 ? (top, bottom) : (left, right)
    let padded = input + before + after
    guard padded >= window else { return nil }
    return ((padded - window) / stride + 1, before, after)
  }
}

/// Shapes of an NHWC convolution or pooling window: input `[batch, inHeight, inWidth, channels]`,
/// window `kernelHeight × kernelWidth`, output `[batch, outHeight, outWidth, ·]`.
public struct WindowGeometry: Equatable, Sendable {
  public let batch: Int, inHeight: Int, inWidth: Int, channels: Int
  public let kernelHeight: Int, kernelWidth: Int, strideH: Int, strideW: Int
  public let padTop: Int, padLeft: Int, padBottom: Int, padRight: Int
  public let outHeight: Int, outWidth: Int

  /// Nil when the window does not fit the input.
  public init?(
    batch: Int, inHeight: Int, inWidth: Int, channels: Int, kernelHeight: Int, kernelWidth: Int,
    strideH: Int, strideW: Int, padding: WindowPadding
  ) {
    guard kernelHeight > 0, kernelWidth > 0, strideH > 0, strideW > 0,
      let h = windowedAxis(input: inHeight, window: kernelHeight, stride: strideH, padding: padding, axis: 0),
      let w = windowedAxis(input: inWidth, window: kernelWidth, stride: strideW, padding: padding, axis: 1),
      h.output > 0, w.output > 0
    else { return nil }
    self.batch = batch; self.inHeight = inHeight; self.inWidth = inWidth; self.channels = channels
    self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth; self.strideH = strideH; self.strideW = strideW
    self.padTop = h.padBefore; self.padBottom = h.padAfter; self.padLeft = w.padBefore; self.padRight = w.padAfter
    self.outHeight = h.output; self.outWidth = w.output
  }

  /// Elements of one im2col row: `kernelHeight * kernelWidth * channels` (matches an HWIO kernel's rows).
  public var patchSize: Int { kernelHeight * kernelWidth * channels }
  public var outputRowsPerSample: Int { outHeight * outWidth }
  /// Output pixels over the whole batch (the `M` of the convolution's matrix product).
  public var outputRows: Int { batch * outHeight * outWidth }
  public var inputSampleSize: Int { inHeight * inWidth * channels }
  /// A 1×1, stride-1, unpadded window: the input rows are already the im2col matrix.
  public var isPointwise: Bool {
    kernelHeight == 1 && kernelWidth == 1 && strideH == 1 && strideW == 1 && padTop == 0 && padLeft == 0
      && padBottom == 0 && padRight == 0
  }
}
