import Foundation

/// One parser entry point that takes bytes from outside, run by libFuzzer (`make fuzz`) and by the regression tests.
///
/// `run` must return or throw for every input: a trap, a sanitizer report or an allocation beyond libFuzzer's
/// limits is a bug. Targets call the same public entry points the executables use on users' files.
public struct FuzzTarget: Sendable {
  /// The name `make fuzz FUZZ_TARGET=` and the corpus folders use.
  public let name: String
  /// What the target parses.
  public let summary: String
  private let body: @Sendable (Data) throws -> Void

  init(_ name: String, _ summary: String, _ body: @escaping @Sendable (Data) throws -> Void) {
    self.name = name
    self.summary = summary
    self.body = body
  }

  /// Parses `data`; throws the parser's error for bad input.
  public func run(_ data: Data) throws { try body(data) }
}

/// Every fuzz target, by name.
public enum FuzzTargets {
  /// All targets, in the order `make fuzz` runs them.
  public static let all: [FuzzTarget] = alertTargets + fileTargets + modelTargets + labelTargets

  /// The target called `name`.
  public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}
