import Foundation

/// An error reading a ZTF alert packet, one of its cutouts, or building a triplet from it.
///
/// The description names the file (or the label given as `source`) and what was wrong, e.g.
/// `1127107111615015007.avro: block 0: record 0: candidate.magpsf: truncated float at byte 4123`, so a bad packet
/// in a stream of millions can be found and inspected.
public struct AlertError: Error, CustomStringConvertible, LocalizedError, Sendable {
  /// The path or label of the input (a file path as given to `AlertReader.read(path:)`, or the `source` argument).
  public let source: String
  /// What went wrong and where.
  public let reason: String

  public init(source: String, reason: String) {
    self.source = source
    self.reason = reason
  }

  /// `<file name>: <reason>`; only the last path component of `source` is shown.
  public var description: String {
    let name = source.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? source
    return "\(name.isEmpty ? source : name): \(reason)"
  }

  public var errorDescription: String? { description }
}

/// A decoding failure inside the Avro layer, before the file name is known. `path` collects the field names
/// innermost first while the error travels up through records; `AlertError` gets the joined, outermost-first form.
struct AvroFailure: Error {
  var reason: String
  var path: [String] = []

  init(_ reason: String) { self.reason = reason }

  /// `candidate.magpsf: truncated float at byte 4123`.
  /// `prv_candidates[3].magpsf: truncated float at byte 4123`.
  var message: String {
    if path.isEmpty { return reason }
    var joined = ""
    for component in path.reversed() {
      if !joined.isEmpty && !component.hasPrefix("[") { joined += "." }
      joined += component
    }
    return joined + ": " + reason
  }
}
