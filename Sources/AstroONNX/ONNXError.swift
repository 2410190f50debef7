/// Errors reading, writing, exporting and importing ONNX models; each names the file, node, operator or layer.
public enum ONNXError: Error, CustomStringConvertible, Equatable {
  /// The bytes are not a well-formed ONNX model (the message path and what is wrong).
  case malformed(file: String, String)
  /// The model is well formed but uses an operator, attribute or type this library does not import.
  case unsupported(file: String, String)
  /// The model cannot be exported (a layer without an ONNX form, a bad option).
  case cannotExport(String)

  public var description: String {
    switch self {
    case .malformed(let file, let message): return "\(file): not a valid ONNX model: \(message)"
    case .unsupported(let file, let message): return "\(file): \(message)"
    case .cannotExport(let message): return "cannot export to ONNX: \(message)"
    }
  }
}
