import AstroKernels
import Dispatch
import Foundation
import ZTFAlerts

/// A packet (or one alert of a packet) that was not ingested, and why.
public struct IngestFailure: Error, Sendable, CustomStringConvertible {
  /// The packet's file path or label.
  public let packet: String
  public let reason: String

  public init(packet: String, reason: String) {
    self.packet = packet
    self.reason = reason
  }

  public var description: String { "\(packet): \(reason)" }
}

/// Where an ingest stands; reported after each committed batch.
public struct IngestProgress: Sendable, Equatable {
  public var packetsDone = 0
  public var packetsTotal = 0
  /// Alerts written (new candids).
  public var inserted = 0
  /// Alerts skipped because their candid was already stored.
  public var duplicates = 0
  /// Packets or alerts that failed to decode or validate.
  public var failed = 0
  /// Transactions committed so far: everything counted above is durable in the store.
  public var batchesCommitted = 0
}

/// The outcome of an ingest.
public struct IngestReport: Sendable {
  public var progress: IngestProgress
  /// Every packet or alert skipped, with its reason, in input order.
  public var failures: [IngestFailure]
  /// Wall-clock time, seconds.
  public var seconds: Double

  /// Alerts read (inserted or duplicate) per second.
  public var alertsPerSecond: Double {
    seconds > 0 ? Double(progress.inserted + progress.duplicates) / seconds : 0
  }
}

/// Ingests alert packets into an `AlertDatabase`: decodes batches of packets on all cores while the previous
/// batch is written, and writes each batch in one transaction.
///
/// A packet that cannot be read, decoded or validated is skipped and reported with its reason; the others are
/// ingested. A database error (disk full, say) stops the ingest with that error; every batch committed before
/// it stays. Ingesting the same packets again changes nothing.
public struct AlertIngester: Sendable {
  public let database: any AlertDatabase
  /// Packets per transaction.
  public let batchSize: Int

  public init(database: any AlertDatabase, batchSize: Int = 500) {
    self.database = database
    self.batchSize = max(1, batchSize)
  }

  /// Ingests `packets` in order. `committed` is called with each batch's records once the batch is stored (new
  /// and already-stored alerts alike: scoring on arrival), and may throw to stop the ingest. `progress` is called
  /// on the calling thread after each committed batch, with the totals so far and the batch's failures (so a long
  /// ingest can report bad packets as it meets them).
  public func ingest(
    _ packets: [PacketInput], committed: (([AlertIngestRecord]) throws -> Void)? = nil,
    progress: ((IngestProgress, [IngestFailure]) -> Void)? = nil
  ) throws -> IngestReport {
    let start = Date()
    var state = IngestProgress(packetsTotal: packets.count)
    var failures: [IngestFailure] = []
    let batches = stride(from: 0, to: packets.count, by: batchSize).map {
      Array(packets[$0..<min($0 + batchSize, packets.count)])
    }
    // Pipeline: batch i+1 decodes on a background queue while batch i is written on this thread.
    var pending = batches.first.map(Self.decodeInBackground)
    for i in batches.indices {
      let decoded = pending!.wait()
      pending = i + 1 < batches.count ? Self.decodeInBackground(batches[i + 1]) : nil
      var records: [AlertIngestRecord] = []
      var batchFailures: [IngestFailure] = []
      for result in decoded {
        records += result.records
        batchFailures += result.failures
      }
      failures += batchFailures
      state.failed += batchFailures.count
      do {
        let summary = try database.insert(records)
        state.inserted += summary.inserted
        state.duplicates += summary.duplicates
        try committed?(records)
      } catch {
        _ = pending?.wait()  // let the background decode finish before unwinding
        throw error
      }
      state.packetsDone += batches[i].count
      state.batchesCommitted += 1
      progress?(state, batchFailures)
    }
    return IngestReport(progress: state, failures: failures, seconds: Date().timeIntervalSince(start))
  }

  /// The records of one packet and the failures met decoding it.
  struct DecodedPacket: Sendable {
    var records: [AlertIngestRecord] = []
    var failures: [IngestFailure] = []
  }

  /// Decodes one packet; never throws (failures are collected).
  static func decode(_ packet: PacketInput) -> DecodedPacket {
    var out = DecodedPacket()
    let alerts: [ZTFAlert]
    do {
      alerts = try AlertReader.alerts(
        message: try packet.load(), source: packet.label, framedSchema: packet.framedSchema.map { ($0.id, $0.schema) })
    } catch {
      out.failures.append(IngestFailure(packet: packet.label, reason: Self.reason(error, label: packet.label)))
      return out
    }
    for alert in alerts {
      do {
        out.records.append(try AlertIngestRecord(alert: alert))
      } catch {
        out.failures.append(
          IngestFailure(packet: packet.label, reason: "candid \(alert.candid): " + Self.reason(error, label: packet.label)))
      }
    }
    return out
  }

  /// The reason of an error without the packet name the errors put in front (the failure names it already).
  private static func reason(_ error: Error, label: String) -> String {
    if let e = error as? AlertError { return e.reason }
    if let e = error as? AlertStoreError { return e.reason }
    return "\(error)"
  }

  /// Starts decoding `batch` on all cores; `wait()` returns the results in input order.
  static func decodeInBackground(_ batch: [PacketInput]) -> DecodeTask {
    let task = DecodeTask(count: batch.count)
    DispatchQueue.global().async(group: task.group) {
      Parallel.forEachChunk(batch.count) { _, range in for i in range { task.set(i, decode(batch[i])) } }
    }
    return task
  }

  /// Results of a background decode, each slot written by exactly one iteration before the group is left.
  /// Unchecked Sendable: `results` is only touched with `lock` held.
  final class DecodeTask: @unchecked Sendable {
    let group = DispatchGroup()
    private var results: [DecodedPacket]
    private let lock = NSLock()

    init(count: Int) { results = Array(repeating: DecodedPacket(), count: count) }

    func set(_ i: Int, _ value: DecodedPacket) {
      lock.lock()
      results[i] = value
      lock.unlock()
    }

    func wait() -> [DecodedPacket] {
      group.wait()
      lock.lock()
      defer { lock.unlock() }
      return results
    }
  }
}
