/// Errors thrown by AstroEval: each names what was wrong and, for per-sample problems, which sample.
public enum EvaluationError: Error, CustomStringConvertible, Equatable {
  /// No samples (or no epochs, or no bins) where at least one is needed.
  case empty(String)
  /// Arrays that must line up (scores, labels, ids, images) have different lengths.
  case lengthMismatch(String)
  /// A label other than 0 or 1.
  case invalidLabel(index: Int, value: Double)
  /// A NaN or infinite score (or loss, or accuracy).
  case nonFinite(String)
  /// A parameter outside its domain: a target rate outside [0, 1), a NaN threshold, a bin count < 1.
  case invalidArgument(String)
  /// The computation needs both classes (ROC, AUC, FPR) but the data has only one.
  case missingClass(String)
  /// Drawing or writing a plot failed (AstroPlot's message).
  case plot(String)
  /// Writing a report file failed.
  case io(String)

  public var description: String {
    switch self {
    case .empty(let message): return "empty input: \(message)"
    case .lengthMismatch(let message): return "length mismatch: \(message)"
    case .invalidLabel(let index, let value): return "label \(value) at sample \(index) is not 0 or 1"
    case .nonFinite(let message): return "non-finite value: \(message)"
    case .invalidArgument(let message): return "invalid argument: \(message)"
    case .missingClass(let message): return "missing class: \(message)"
    case .plot(let message): return "plot: \(message)"
    case .io(let message): return "io: \(message)"
    }
  }
}
