/// A bad argument to a generator or writer, or a failure writing a dataset file.
///
/// The description names the parameter (or file) and says what was wrong with it, e.g.
/// `realFraction: must be in 0...1, got 1.5`.
public struct SyntheticDataError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The parameter, option or file at fault.
  public let subject: String
  /// What is wrong with it.
  public let reason: String

  /// An error about `subject` (a parameter, option or file) saying `reason`.
  public init(_ subject: String, _ reason: String) {
    self.subject = subject
    self.reason = reason
  }

  /// `subject: reason`.
  public var description: String { "\(subject): \(reason)" }
}

/// Checks shared by the configurations: each throws a `SyntheticDataError` naming `name`.
enum Check {
  static func fraction(_ value: Double, _ name: String) throws {
    guard value.isFinite, (0...1).contains(value) else {
      throw SyntheticDataError(name, "must be in 0...1, got \(value)")
    }
  }

  static func positive(_ value: Double, _ name: String) throws {
    guard value.isFinite, value > 0 else { throw SyntheticDataError(name, "must be positive, got \(value)") }
  }

  /// A non-empty range of positive finite numbers.
  static func positiveRange(_ range: ClosedRange<Double>, _ name: String) throws {
    guard range.lowerBound.isFinite, range.upperBound.isFinite, range.lowerBound > 0 else {
      throw SyntheticDataError(name, "must be a range of positive numbers, got \(range)")
    }
  }

  /// Non-negative finite weights, at least one positive.
  static func weights(_ weights: [Double], _ name: String) throws {
    if let bad = weights.first(where: { !$0.isFinite || $0 < 0 }) {
      throw SyntheticDataError(name, "weights must be finite and >= 0, got \(bad)")
    }
    guard weights.contains(where: { $0 > 0 }) else {
      throw SyntheticDataError(name, "at least one weight must be positive")
    }
  }

  static func count(_ count: Int) throws {
    guard count >= 0 else { throw SyntheticDataError("count", "must be >= 0, got \(count)") }
    guard count <= SyntheticIdentifiers.maximumCount else {
      throw SyntheticDataError("count", "must be at most \(SyntheticIdentifiers.maximumCount), got \(count)")
    }
  }

  static func threads(_ threads: Int) throws {
    guard threads >= 1 else { throw SyntheticDataError("threads", "must be >= 1, got \(threads)") }
  }
}
