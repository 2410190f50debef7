import AlertStore
import ArgumentParser
import Foundation

/// `alerts object OBJECTID`: every alert of an object and its deduplicated light curve.
struct ObjectCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "object",
    abstract: "Print an object's alerts and light curve.",
    discussion: """
      JSON: {"objectId": ..., "alerts": [...], "lightcurve": [...]}. CSV and table: one table whose `section`
      column says whether a row is an alert or a light-curve point.
      """)

  @OptionGroup var store: StoreOptions
  @OptionGroup var output: FormatOptions

  @Argument(help: "The ZTF object id, e.g. ZTF20aajcdad.")
  var objectId: String

  func run() throws {
    let database = try store.openForReading()
    let alerts = try database.alerts(objectId: objectId)
    let lightCurve = try database.lightCurve(objectId: objectId)
    guard !alerts.isEmpty || !lightCurve.isEmpty else {
      throw AlertStoreError(source: store.name, reason: "object \(objectId) is not in the store")
    }
    output.print(
      json: AlertRendering.objectJSON(objectId: objectId, alerts: alerts, lightCurve: lightCurve),
      table: AlertRendering.objectTable(alerts: alerts, lightCurve: lightCurve))
  }
}
