import AlertStore
import ArgumentParser
import Foundation

/// `alerts stats`: what a store holds.
struct StatsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "stats", abstract: "Print counts of alerts, objects, light-curve points, cutouts and scores.")

  @OptionGroup var store: StoreOptions
  @OptionGroup var output: FormatOptions

  func run() throws {
    let s = try store.openForReading().statistics()
    var rows: [[String]] = [
      ["alerts", String(s.alerts)], ["objects", String(s.objects)], ["detections", String(s.detections)],
      ["upper_limits", String(s.upperLimits)], ["cutouts", String(s.cutouts)],
      ["jd_min", RecordTable.cell(s.jdRange?.lowerBound)], ["jd_max", RecordTable.cell(s.jdRange?.upperBound)],
      ["schema_version", String(s.schemaVersion)],
    ]
    rows += s.scores.sorted { $0.key < $1.key }.map { ["scores:\($0.key)", String($0.value)] }
    output.print(json: AlertRendering.json(s), table: RecordTable(columns: ["statistic", "value"], rows: rows))
  }
}
