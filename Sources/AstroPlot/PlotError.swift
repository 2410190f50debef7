/// Errors thrown by AstroPlot: each says which operation failed and what was wrong with its input.
public enum PlotError: Error, CustomStringConvertible, Equatable {
  /// A size, count or parameter outside its domain (zero width, scale 0, an empty image list, ...).
  case invalidArgument(operation: String, message: String)
  /// Two arrays that must have the same length do not.
  case lengthMismatch(operation: String, message: String)
  /// NaN or infinity where a finite number is required (an axis range, a stretch limit).
  case nonFinite(operation: String, message: String)
  /// libpng refused to encode or decode (its own message, from the simplified API's `png_image.message`).
  case png(operation: String, path: String?, message: String)
  /// Creating, writing, syncing or renaming a file failed.
  case io(path: String, message: String)

  public var description: String {
    switch self {
    case .invalidArgument(let operation, let message),
      .lengthMismatch(let operation, let message),
      .nonFinite(let operation, let message):
      return "\(operation): \(message)"
    case .png(let operation, let path, let message):
      return "\(operation)\(path.map { " (\($0))" } ?? ""): libpng: \(message)"
    case .io(let path, let message):
      return "\(path): \(message)"
    }
  }
}
