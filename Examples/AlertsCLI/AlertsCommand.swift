import AlertStore
import ArgumentParser
import Foundation

/// The `alerts` command: a Kowalski-like store of ZTF alerts and light curves (an SQLite file or a PostgreSQL
/// database), live ingestion from Kafka and an HTTP query API.
@main
struct AlertsCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "alerts",
    abstract: "Store ZTF alert packets in an embedded SQLite file or a PostgreSQL database, and query them.",
    discussion: """
      Examples:
        alerts ingest /data/ztf/20240101/            (folders are searched for .avro files)
        alerts object ZTF20aajcdad --format json
        alerts cone 201.6235643 36.0086571 5 --jd-min 2458880
        alerts lightcurve ZTF20aajcdad --png lc.png
        alerts cutout 1127495406315015005 --png triplet.png
        alerts score --model braai
        alerts ingest night/ --db postgres://ztf@db.example.org/alerts   (a PostgreSQL server with q3c)
      """,
    subcommands: [
      IngestCommand.self, GetCommand.self, ObjectCommand.self, ConeCommand.self, LightCurveCommand.self,
      CutoutCommand.self, ScoreCommand.self, StatsCommand.self, ConsumeCommand.self, ServeCommand.self,
    ])
}

/// `--db PATH|URL`, shared by every subcommand.
struct StoreOptions: ParsableArguments {
  @Option(
    name: .long,
    help: "The store: an SQLite file (created by ingest when missing), or a postgres:// URL (a database with the q3c extension).")
  var db: String = "alerts.sqlite"

  /// How messages name the store (a URL's password hidden).
  var name: String { PostgresAlertDatabase.redacted(db) }

  /// Opens the store for writing; only `ingest` creates one.
  func open(create: Bool = false) throws -> any AlertDatabase {
    try openAlertDatabase(db, create: create)
  }

  /// Opens the store read-only, for the queries: a missing, empty, foreign or older store is refused with a clear
  /// message and nothing is ever changed.
  func openForReading() throws -> any AlertDatabase {
    try openAlertDatabase(db, readOnly: true)
  }
}

extension OutputFormat: ExpressibleByArgument {}

/// `--format json|csv|table`, for subcommands that print records.
struct FormatOptions: ParsableArguments {
  @Option(name: .long, help: "How records are printed: json, csv or table.")
  var format: OutputFormat = .table

  /// Prints JSON text or a table in the chosen format.
  func print(json: JSONText, table: RecordTable) {
    switch format {
    case .json: Swift.print(json.rendered)
    case .csv: Swift.print(table.csv, terminator: "")
    case .table: Swift.print(table.compactingFloat32().aligned, terminator: "")
    }
  }
}

/// Writes a line to standard error at once (progress must show while the command runs, and survive a kill).
func printError(_ line: String) {
  FileHandle.standardError.write(Data((line + "\n").utf8))
}
