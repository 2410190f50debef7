import AstroKernels

/// How a 2-D window (convolution kernel or pooling window) is padded, with TensorFlow's rules.
public enum Padding: Equatable, Sendable {
  /// No padding: `out = floor((in - k) / s) + 1`.
  case valid
  /// TensorFlow's `same`: `out = ceil(in / s)`; the odd extra pixel of padding goes bottom/right.
  case same
  /// Explicit zero rows/columns on each side.
  case explicit(top: Int, bottom: Int, left: Int, right: Int)

  /// The output size along one axis (0: rows, 1: columns) for an input of `input` pixels, a window of
  /// `window` and a stride of `stride`; nil when the window does not fit.
  public func outputSize(input: Int, window: Int, stride: Int, axis: Int) -> Int? {
    guard input > 0, window > 0, stride > 0 else { return nil }
    return windowedAxis(input: input, window: window, stride: stride, padding: self.window, axis: axis)?.output
  }

  /// The kernels' equivalent.
  var window: WindowPadding {
    switch self {
    case .valid: return .valid
    case .same: return .same
    case .explicit(let top, let bottom, let left, let right): return .explicit(top: top, bottom: bottom, left: left, right: right)
    }
  }
}
