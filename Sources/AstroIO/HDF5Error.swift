import Foundation

/// An error reading or writing an HDF5 file.
///
/// The description names the file, the object inside it and the reason, e.g.
/// `d6_m7.h5: /model_weights/conv1: no such group`, so a failure while loading weights says exactly
/// which file and which layer were at fault.
public struct HDF5Error: Error, CustomStringConvertible, Sendable {
  /// The file path as given to `HDF5File` (or the destination of an atomic write).
  public let file: String
  /// The object path inside the file ("/model_weights/conv1"), or "" for file-level failures.
  public let object: String
  /// What went wrong, including HDF5's own innermost message when the library reported one.
  public let reason: String

  public init(file: String, object: String, reason: String) {
    self.file = file
    self.object = object
    self.reason = reason
  }

  public var description: String {
    let name = (file as NSString).lastPathComponent
    return object.isEmpty ? "\(name): \(reason)" : "\(name): \(object): \(reason)"
  }
}
