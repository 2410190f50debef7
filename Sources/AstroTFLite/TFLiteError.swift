/// Errors reading or writing `.tflite` files; each names the file and the field at fault.
public enum TFLiteError: Error, CustomStringConvertible, Equatable {
  /// The bytes are not a well-formed TFLite flatbuffer.
  case malformed(file: String, String)
  /// The file is well formed but uses something this library does not read.
  case unsupported(file: String, String)
  /// The graph cannot be written as TFLite (or for the Edge TPU, when asked).
  case cannotWrite(String)

  public var description: String {
    switch self {
    case .malformed(let file, let message): return "\(file): not a valid TFLite model: \(message)"
    case .unsupported(let file, let message): return "\(file): \(message)"
    case .cannotWrite(let message): return "cannot write TFLite: \(message)"
    }
  }
}
