import AlertStore
import Dispatch
import Foundation
import XCTest

final class ReliabilityTests: StoreTestCase {
  /// A temporary folder with `count` synthetic packets in `folder/packets`, written on all cores.
  private func packetFolder(_ count: Int) throws -> (folder: String, packets: String, generator: SyntheticAlerts) {
    let folder = try StoreFixtures.temporaryFolder(for: self)
    let packets = folder + "/packets"
    try FileManager.default.createDirectory(atPath: packets, withIntermediateDirectories: true)
    let generator = try StoreFixtures.syntheticAlerts()
    let failures = Counter()
    DispatchQueue.concurrentPerform(iterations: count) { i in
      do {
        try generator.packet(i).write(to: URL(fileURLWithPath: packets + String(format: "/%06d.avro", i)))
      } catch { failures.add() }
    }
    XCTAssertEqual(failures.value, 0)
    return (folder, packets, generator)
  }

  /// `kill -9` in the middle of `alerts ingest`: every batch reported committed is in the store, the store passes
  /// SQLite's integrity check and our consistency checks (each alert has its cutouts and light-curve point), only
  /// whole batches are present, and running the ingest again completes it.
  func testKillingAnIngestMidwayLosesNoCommittedBatch() throws {
    let binary = try AlertsBinary.path()
    let total = 1500
    let batch = 20
    let (folder, packets, generator) = try packetFolder(total)
    let db = try storeLocation(in: folder)

    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = ["ingest", packets, "--db", db, "--batch-size", String(batch)]
    process.standardOutput = FileHandle.nullDevice
    let stderr = Pipe()
    process.standardError = stderr
    let committed = Counter()
    let killed = DispatchSemaphore(value: 0)
    stderr.fileHandleForReading.readabilityHandler = { handle in
      let text = String(decoding: handle.availableData, as: UTF8.self)
      for line in text.split(separator: "\n") where line.contains(" committed: ") {
        // "alerts: batch N committed: ..."
        if let n = line.split(separator: " ").dropFirst(2).first.flatMap({ Int($0) }) { committed.raise(to: n) }
      }
      if committed.value >= 3 && process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        killed.signal()
      }
    }
    try process.run()
    process.waitUntilExit()
    stderr.fileHandleForReading.readabilityHandler = nil
    XCTAssertEqual(process.terminationReason, .uncaughtSignal, "the ingest was killed before it finished")
    XCTAssertEqual(process.terminationStatus, SIGKILL)
    _ = killed.wait(timeout: .now() + 1)

    let store = try openAlertDatabase(db)
    XCTAssertEqual(try store.consistencyProblems(), [])
    let count = try store.alertCount()
    XCTAssertGreaterThanOrEqual(count, committed.value * batch, "every batch reported committed is there")
    XCTAssertLessThan(count, total, "killed mid-way")
    XCTAssertEqual(count % batch, 0, "only whole batches")
    for i in [0, count / 2, count - 1] { XCTAssertNotNil(try store.alert(candid: generator.candid(i)), "alert \(i)") }
    XCTAssertNil(try store.alert(candid: generator.candid(count)), "batches commit in order")
    let stats = try store.statistics()
    XCTAssertEqual(stats.cutouts, count)

    let resumed = try AlertsBinary.run(["ingest", packets, "--db", db, "--quiet"], in: folder)
    XCTAssertEqual(resumed.status, 0, resumed.stderr)
    XCTAssertTrue(resumed.stdout.contains("\(total - count) new alerts, \(count) already stored"), resumed.stdout)
    XCTAssertEqual(try store.alertCount(), total)
    XCTAssertEqual(try store.consistencyProblems(), [])
  }

  /// Twenty `kill -9`s at random moments of repeated ingests of the same folder: after each one the store passes
  /// SQLite's integrity check and our consistency checks, a read-only query opens it, and it never loses what an
  /// earlier run committed; a last run completes it.
  func testTwentyKillsAtRandomMomentsLeaveAConsistentStore() throws {
    let binary = try AlertsBinary.path()
    let total = 2000
    let (folder, packets, _) = try packetFolder(total)
    let db = try storeLocation(in: folder)
    var random = SystemRandomNumberGenerator()
    var previous = 0
    var kills = 0
    // Halved whenever a run finished before its kill: later runs have less left to ingest, and a fast machine
    // finishes them within the first delays.
    var longest: UInt32 = 400_000
    for _ in 0..<20 {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: binary)
      process.arguments = ["ingest", packets, "--db", db, "--batch-size", "20", "--quiet"]
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      try process.run()
      usleep(UInt32.random(in: 20_000...longest, using: &random))
      if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        kills += 1
      } else {
        longest = max(40_000, longest / 2)
      }
      process.waitUntilExit()
      // Killed before it made the store (the file, or the tables in the database): nothing to check yet.
      guard let store = try? openAlertDatabase(db, readOnly: true) else { continue }
      XCTAssertEqual(try store.consistencyProblems(), [], "after kill \(kills)")
      let count = try store.alertCount()
      XCTAssertGreaterThanOrEqual(count, previous, "a kill lost committed alerts")
      previous = count
    }
    XCTAssertGreaterThanOrEqual(kills, 10, "the kills landed while ingests ran")
    let last = try AlertsBinary.run(["ingest", packets, "--db", db, "--quiet"], in: folder)
    XCTAssertEqual(last.status, 0, last.stderr)
    let store = try openAlertDatabase(db, readOnly: true)
    XCTAssertEqual(try store.alertCount(), total)
    XCTAssertEqual(try store.consistencyProblems(), [])
  }

  /// Another connection (as another process would have) keeps reading while batches are written: it never waits
  /// for the writer, and only ever sees whole committed batches.
  func testReadersKeepWorkingDuringAnIngest() throws {
    let location = try storeLocation(in: StoreFixtures.temporaryFolder(for: self))
    let writer = try openAlertDatabase(location, create: true)
    let reader = try openAlertDatabase(location)
    let generator = try StoreFixtures.syntheticAlerts()
    let total = 1200
    let batch = 40
    let records = try (0..<total).map { try generator.record($0) }
    let first = records[0]

    let done = DispatchSemaphore(value: 0)
    let writeError = Counter()
    DispatchQueue.global().async {
      defer { done.signal() }
      do {
        for start in stride(from: 0, to: total, by: batch) { _ = try writer.insert(Array(records[start..<(start + batch)])) }
      } catch { writeError.add() }
    }
    var seen: [Int] = []
    var coneHits = 0
    while done.wait(timeout: .now()) == .timedOut {
      let count = try reader.alertCount()
      XCTAssertEqual(count % batch, 0, "a reader sees whole batches only")
      XCTAssertGreaterThanOrEqual(count, seen.last ?? 0)
      seen.append(count)
      if count > 0 {
        let matches = try reader.coneSearch(ConeQuery(ra: first.ra, dec: first.dec, radiusArcsec: 2))
        if matches.contains(where: { $0.alert.candid == first.candid }) { coneHits += 1 }
      }
    }
    XCTAssertEqual(writeError.value, 0)
    XCTAssertTrue(seen.contains { $0 > 0 && $0 < total }, "reads happened while the ingest ran: \(Set(seen).sorted())")
    XCTAssertGreaterThan(coneHits, 0)
    XCTAssertEqual(try reader.alertCount(), total)
  }
}

/// A thread-safe counter for test callbacks.
final class Counter: @unchecked Sendable {
  private let lock = NSLock()
  private var count = 0
  var value: Int {
    lock.lock()
    defer { lock.unlock() }
    return count
  }
  func add() {
    lock.lock()
    count += 1
    lock.unlock()
  }
  func raise(to n: Int) {
    lock.lock()
    count = max(count, n)
    lock.unlock()
  }
}
