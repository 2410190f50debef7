import AlertStore
import ArgumentParser
import Foundation

/// `alerts ingest PATH...`: idempotent, batched ingest with progress and per-packet failures on stderr.
struct IngestCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ingest",
    abstract: "Ingest alert packets (.avro files, or folders searched for them).",
    discussion: """
      Each batch of packets is one transaction: an interrupted ingest keeps every committed batch, and running
      it again adds the rest (packets already stored are skipped). Packets that cannot be decoded are reported
      on stderr and skipped; the exit status is 1 when any was.
      """)

  @OptionGroup var store: StoreOptions

  @Option(name: .long, help: "Packets per transaction.")
  var batchSize = 500

  @Flag(name: .long, help: "Do not print progress after each batch.")
  var quiet = false

  @Argument(help: "Packet files or folders.")
  var paths: [String]

  func validate() throws {
    guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
    guard !paths.isEmpty else { throw ValidationError("give at least one packet file or folder") }
  }

  func run() throws {
    let packets = try PacketInput.files(in: paths)
    let database = try store.open(create: true)
    let ingester = AlertIngester(database: database, batchSize: batchSize)
    let report = try ingester.ingest(packets, progress: { state, failures in
      for failure in failures { printError("alerts: skipped \(failure)") }
      if !quiet {
        printError(
          "alerts: batch \(state.batchesCommitted) committed: \(state.packetsDone)/\(state.packetsTotal) packets, "
            + "\(state.inserted) new, \(state.duplicates) already stored, \(state.failed) failed")
      }
    })
    let p = report.progress
    print(
      "ingested \(p.packetsTotal) packets into \(store.name): \(p.inserted) new alerts, \(p.duplicates) already stored, "
        + "\(p.failed) failed, in \(String(format: "%.2f", report.seconds)) s "
        + "(\(Int(report.alertsPerSecond.rounded())) alerts/s)")
    if p.failed > 0 { throw ExitCode(1) }
  }
}
