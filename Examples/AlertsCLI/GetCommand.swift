import AlertStore
import ArgumentParser
import Foundation

/// `alerts get CANDID`: one alert with its whole candidate record and its model scores.
struct GetCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "get", abstract: "Print one alert by candid (JSON includes the whole candidate record and scores).")

  @OptionGroup var store: StoreOptions
  @OptionGroup var output: FormatOptions

  @Argument(help: "The alert's candid.")
  var candid: Int64

  func run() throws {
    let database = try store.openForReading()
    guard let alert = try database.alert(candid: candid) else {
      throw AlertStoreError(source: store.name, reason: "candid \(candid) is not in the store")
    }
    let scores = try database.scores(candid: candid)
    var table = AlertRendering.table([alert])
    for s in scores {
      table.columns.append("score:\(s.model)/\(s.version)")
      table.rows[0].append(String(s.score))
    }
    output.print(json: AlertRendering.json(alert, scores: scores), table: table)
  }
}
