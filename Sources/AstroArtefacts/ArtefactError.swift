/// Errors reading or checking model artefacts and manifests; each names the file and the field at fault.
public enum ArtefactError: Error, CustomStringConvertible, Equatable {
  /// A manifest that does not parse or validate.
  case manifest(String, String)
  /// A manifest that does not describe the model it travels with (or the options given).
  case mismatch(String, String)
  /// A file of a kind this library does not read or write as a model.
  case unsupportedFile(String, String)

  public var description: String {
    switch self {
    case .manifest(let file, let message): return "\(file): manifest: \(message)"
    case .mismatch(let file, let message): return "\(file): \(message)"
    case .unsupportedFile(let file, let message): return "\(file): \(message)"
    }
  }
}
