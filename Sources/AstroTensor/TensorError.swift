/// Errors thrown by tensor operations: each names the operation and what was wrong with its inputs.
public enum TensorError: Error, CustomStringConvertible, Equatable {
  /// Two inputs whose shapes do not fit together.
  case shapeMismatch(op: String, lhs: [Int], rhs: [Int])
  /// An input whose shape (rank or size) the operation cannot take.
  case invalidShape(op: String, shape: [Int], expected: String)
  /// A parameter outside its domain (negative rate, zero stride, ...).
  case invalidArgument(op: String, message: String)
  /// NaN or infinity where finite values are required.
  case nonFinite(op: String, message: String)
  /// `backward()` called on a tensor that is not part of a recorded graph, or with a seed of the wrong shape.
  case gradient(message: String)

  /// A one-line message naming the operation and the problem.
  public var description: String {
    switch self {
    case .shapeMismatch(let op, let lhs, let rhs):
      return "\(op): shapes \(lhs) and \(rhs) do not match"
    case .invalidShape(let op, let shape, let expected):
      return "\(op): input of shape \(shape), expected \(expected)"
    case .invalidArgument(let op, let message):
      return "\(op): \(message)"
    case .nonFinite(let op, let message):
      return "\(op): \(message)"
    case .gradient(let message):
      return "backward: \(message)"
    }
  }
}
