import AstroNN
import Foundation

/// A labels file `candid,label` (an optional `candid,label` header, labels 0 or 1), as braai's alert folders use.
public enum LabelsCSV {
  /// The labels by candid; errors name `source` and the line (a malformed line, a label other than 0 or 1, or a
  /// candid labelled twice with different labels).
  public static func parse(_ text: String, source: String) throws -> [Int64: Float] {
    var labels: [Int64: Float] = [:]
    var lineOf: [Int64: Int] = [:]
    for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() {
      let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
      if number == 0 && fields.first == "candid" { continue }
      guard fields.count >= 2, let candid = Int64(fields[0]), let label = Float(fields[1]), label == 0 || label == 1 else {
        throw NNError.model("\(source): line \(number + 1): expected 'candid,label' with label 0 or 1, got '\(line)'")
      }
      if let previous = labels[candid], previous != label {
        throw NNError.model(
          "\(source): line \(number + 1): candid \(candid) is labelled \(Int(label)) here and \(Int(previous)) on line "
            + "\(lineOf[candid]! + 1)")
      }
      labels[candid] = label
      lineOf[candid] = number
    }
    return labels
  }
}
