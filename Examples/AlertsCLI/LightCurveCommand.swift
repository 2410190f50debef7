import AlertStore
import ArgumentParser
import Foundation

/// `alerts lightcurve OBJECTID [--png FILE]`: the deduplicated light curve, printed and optionally plotted.
struct LightCurveCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lightcurve",
    abstract: "Print an object's light curve (detections and upper limits); --png also plots it.",
    discussion: """
      The plot shows magnitude (bright up) against Julian date, one colour per filter: detections with their
      1-sigma error bars, upper limits as downward triangles at the limiting magnitude.
      """)

  @OptionGroup var store: StoreOptions
  @OptionGroup var output: FormatOptions

  @Argument(help: "The ZTF object id.")
  var objectId: String

  @Option(name: .long, help: "Also write the plot to this PNG file.")
  var png: String?

  func run() throws {
    let points = try store.openForReading().lightCurve(objectId: objectId)
    guard !points.isEmpty else {
      throw AlertStoreError(source: store.name, reason: "object \(objectId) has no light curve in the store")
    }
    output.print(json: .array(points.map { AlertRendering.json($0) }), table: AlertRendering.table(points))
    if let png {
      try LightCurvePlot(objectId: objectId, points: points).writePNG(to: png)
      printError("alerts: wrote \(png)")
    }
  }
}
