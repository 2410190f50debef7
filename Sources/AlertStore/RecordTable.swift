import Foundation

/// How the `alerts` commands print records.
public enum OutputFormat: String, Sendable, CaseIterable {
  /// JSON (one document per command: an object or an array).
  case json
  /// CSV with a header row (RFC 4180 quoting).
  case csv
  /// Aligned columns for reading in a terminal.
  case table
}

/// Rows of text cells under named columns, printable as CSV or as an aligned table.
public struct RecordTable: Sendable, Equatable {
  public var columns: [String]
  public var rows: [[String]]

  public init(columns: [String], rows: [[String]] = []) {
    self.columns = columns
    self.rows = rows
  }

  /// CSV text: a header line, then one line per row; cells with a comma, quote or line break are quoted.
  public var csv: String {
    ([columns] + rows).map { $0.map(Self.csvCell).joined(separator: ",") }.joined(separator: "\n") + "\n"
  }

  /// Columns padded to their widest cell, separated by two spaces, under a header line.
  public var aligned: String {
    var widths = columns.map(\.count)
    for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
    func line(_ cells: [String]) -> String {
      cells.enumerated().map { i, c in c.padding(toLength: widths[min(i, widths.count - 1)], withPad: " ", startingAt: 0) }
        .joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
    }
    return ([line(columns), line(widths.map { String(repeating: "-", count: $0) })] + rows.map(line))
      .joined(separator: "\n") + "\n"
  }

  /// The table with decimal cells that hold a float32 value exactly (packet fields such as magpsf and drb are
  /// float32, widened to Double in the store) written in float32's shortest form: 17.54656 rather than
  /// 17.546560287475586. Other cells are unchanged. For reading only; CSV and JSON keep full precision.
  public func compactingFloat32() -> RecordTable {
    func compact(_ cell: String) -> String {
      guard cell.contains("."), let v = Double(cell), let f = Float(exactly: v) else { return cell }
      return String(f)
    }
    return RecordTable(columns: columns, rows: rows.map { $0.map(compact) })
  }

  static func csvCell(_ s: String) -> String {
    guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
    return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }

  /// A cell for an optional number: full precision (the shortest text that reads back as the same Double), or
  /// empty for nil.
  public static func cell(_ v: Double?) -> String { v.map { String($0) } ?? "" }
  public static func cell<I: BinaryInteger>(_ v: I?) -> String { v.map { String($0) } ?? "" }
  public static func cell(_ v: String?) -> String { v ?? "" }
}
