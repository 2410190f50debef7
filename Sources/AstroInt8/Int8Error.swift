/// Errors of quantized graphs and their interpreter; each names the operator or tensor at fault.
public enum Int8Error: Error, CustomStringConvertible, Equatable {
  /// The graph breaks a rule of the format or of an operator (wrong input count, types, quantization).
  case invalidGraph(String)
  /// The graph uses an operator or option the interpreter does not run.
  case unsupported(String)
  /// Values handed to `run` do not fit the graph's inputs.
  case invalidInput(String)

  public var description: String {
    switch self {
    case .invalidGraph(let message): return "invalid quantized graph: \(message)"
    case .unsupported(let message): return "not supported: \(message)"
    case .invalidInput(let message): return "invalid input: \(message)"
    }
  }
}
