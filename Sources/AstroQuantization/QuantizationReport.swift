/// Per-layer error of a quantized graph against its float model: where accuracy goes.
public struct QuantizationReport: Sendable {
  /// One tensor of the graph compared with the float value it stands for.
  public struct Row: Sendable {
    /// The layer whose output (or intermediate) it is.
    public var layer: String
    /// The graph tensor's name.
    public var tensor: String
    /// The calibration method that chose its range (`fixed` for operator-fixed parameters).
    public var method: String
    /// The tensor's scale.
    public var scale: Float
    /// The tensor's zero point.
    public var zeroPoint: Int
    /// RMS error over RMS value.
    public var relativeError: Double
    /// Mean error over RMS value: a systematic shift (which bias correction targets).
    public var relativeBias: Double
    /// The largest error, in quantization steps.
    public var maximumErrorInSteps: Double
    /// Signal-to-quantization-noise ratio in dB.
    public var sqnr: Double
  }

  /// Rows in graph order.
  public var rows: [Row]
  /// Samples the errors were measured on.
  public var samples: Int

  /// A Markdown table of the rows.
  public func markdown() -> String {
    var lines = [
      "Per-layer error of the int8 graph against the float model (\(samples) samples):", "",
      "| layer | tensor | method | scale | zero point | relative RMS error | relative mean error | max error (steps) | SQNR (dB) |",
      "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows {
      lines.append(
        "| \(row.layer) | \(row.tensor) | \(row.method) | \(format(Double(row.scale), 6)) | \(row.zeroPoint) | "
          + "\(format(row.relativeError, 3)) | \(format(row.relativeBias, 2)) | \(format(row.maximumErrorInSteps, 3)) | \(format(row.sqnr, 3)) |")
    }
    return lines.joined(separator: "\n")
  }

  private func format(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return value > 0 ? "inf" : "-inf" }
    return String(format: "%.\(digits)g", value)
  }
}

import Foundation
