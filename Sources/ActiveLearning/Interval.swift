import Foundation

/// A mean over seeds with its two-sided 95% confidence interval (Student's t on the seeds' values).
public struct Interval: Codable, Equatable, Sendable {
  public let mean: Double
  public let ciLow: Double
  public let ciHigh: Double
  /// How many values (seeds) it summarises.
  public let n: Int

  /// nil for no values; a zero-width interval for one.
  public init?(_ values: [Double]) {
    guard !values.isEmpty else { return nil }
    let n = values.count
    let mean = values.reduce(0, +) / Double(n)
    var half = 0.0
    if n > 1 {
      let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
      half = Self.tCritical(degreesOfFreedom: n - 1) * (variance / Double(n)).squareRoot()
    }
    self.mean = mean
    ciLow = mean - half
    ciHigh = mean + half
    self.n = n
  }

  /// The 0.975 quantile of Student's t (two-sided 95%), from the standard table (interpolated on 1/df between
  /// its rows above 30).
  static func tCritical(degreesOfFreedom df: Int) -> Double {
    let table: [Double] = [
      12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
      2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ]
    if df <= table.count { return table[max(df, 1) - 1] }
    let rows: [(Double, Double)] = [(30, 2.042), (40, 2.021), (60, 2.000), (120, 1.980), (.infinity, 1.960)]
    let x = 1 / Double(df)
    for (a, b) in zip(rows, rows.dropFirst()) where Double(df) <= b.0 {
      let (xa, xb) = (1 / a.0, 1 / b.0)
      return a.1 + (b.1 - a.1) * (xa - x) / (xa - xb)
    }
    return 1.960
  }

  private enum CodingKeys: String, CodingKey { case mean, ciLow = "ci_low", ciHigh = "ci_high", n }
}
