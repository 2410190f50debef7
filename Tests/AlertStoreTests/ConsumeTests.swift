@testable import AlertStore
import AlertStream
import Foundation
import XCTest
import ZTFAlerts

/// `alerts consume` against librdkafka's mock cluster, held by this test process (no broker, no network).
final class ConsumeTests: StoreTestCase {
  private let topic = "ztf_20200208_programid1"

  /// A mock cluster with `topic` holding the 44 real packets, `synthetic` generated ones and one message that is
  /// not an alert; one partition per 40 messages (a mock partition keeps only its last 5 MB).
  private func stream(synthetic: Int) throws -> (KafkaMockCluster, generator: SyntheticAlerts, candids: Set<Int64>) {
    let cluster = try KafkaMockCluster()
    try cluster.createTopic(topic, partitions: (45 + synthetic) / 40 + 1)
    let generator = try StoreFixtures.syntheticAlerts()
    var messages = try StoreFixtures.realPacketFiles().map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
    messages.append(Data("not an alert".utf8))
    messages += try (0..<synthetic).map { try generator.packet($0) }
    try cluster.produce(messages, topic: topic)
    let candids = Set(try StoreFixtures.expectedPackets().map(\.candid)).union((0..<synthetic).map(generator.candid))
    return (cluster, generator, candids)
  }

  /// A member's partitions move to the next consumer of its group once its session expires: 6 s (the brokers'
  /// minimum) rather than librdkafka's default 45. The mock cluster of librdkafka 2.0.2 waits for the session to
  /// expire even after a clean LeaveGroup.
  private let sessionTimeout = ["--kafka", "session.timeout.ms=6000", "heartbeat.interval.ms=500"]

  /// Starts `alerts consume`; its standard error goes to `log`.
  private func startConsumer(_ arguments: [String], db: String, log: String) throws -> Process {
    try AlertsBinary.start(["consume", "--db", db, "--topic", topic, "--group", "astro"] + arguments, log: log)
  }

  /// Waits until `log` has `lines` status lines (or the process ends, or 60 s pass).
  private func waitForStatus(_ log: String, lines: Int, of process: Process) -> Bool {
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline && process.isRunning {
      let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
      if text.components(separatedBy: " messages (").count - 1 >= lines { return true }
      usleep(20_000)
    }
    return false
  }

  /// Killed with SIGKILL mid-stream, then restarted: every alert is stored exactly once and scored by braai, the
  /// bad message is reported, and the restart resumed from committed offsets (it did not start over).
  func testAConsumerKilledMidStreamLosesNothingAndStoresEachAlertOnce() throws {
    let (cluster, _, candids) = try stream(synthetic: 1500)
    let folder = try StoreFixtures.temporaryFolder(for: self)
    let db = try storeLocation(in: folder)
    let common = [
      "--bootstrap", cluster.bootstrapServers, "--batch-size", "40", "--score", "braai", "--status-every", "0",
    ] + sessionTimeout

    let first = try startConsumer(common, db: db, log: folder + "/first.log")
    XCTAssertTrue(waitForStatus(folder + "/first.log", lines: 4, of: first), "the consumer committed batches")
    kill(first.processIdentifier, SIGKILL)
    first.waitUntilExit()
    XCTAssertEqual(first.terminationReason, .uncaughtSignal)
    let storedBeforeRestart = try openAlertDatabase(db).alertCount()
    XCTAssertLessThan(storedBeforeRestart, candids.count, "killed mid-stream")

    let second = try startConsumer(common + ["--until-idle", "3"], db: db, log: folder + "/second.log")
    second.waitUntilExit()
    let log = try String(contentsOfFile: folder + "/second.log", encoding: .utf8)
    let out = try String(contentsOfFile: folder + "/second.log.out", encoding: .utf8)
    XCTAssertEqual(second.terminationStatus, 0, log)
    let consumed = try XCTUnwrap(Int(out.split(separator: " ")[1]), out)
    // The restart resumed from the committed offsets: it read again at most the one batch (40) stored but not yet
    // committed when the kill landed, and everything not stored.
    let messages = candids.count + 1
    XCTAssertLessThanOrEqual(consumed, messages - storedBeforeRestart + 40, out)
    XCTAssertGreaterThanOrEqual(consumed, messages - storedBeforeRestart - 1, out)

    let store = try openAlertDatabase(db)
    XCTAssertEqual(try store.alertCount(), candids.count)
    XCTAssertEqual(try store.consistencyProblems(), [])
    for candid in try StoreFixtures.expectedPackets().map(\.candid) { XCTAssertNotNil(try store.alert(candid: candid)) }
    let stats = try store.statistics()
    XCTAssertEqual(stats.scores, ["braai/d6_m7": candids.count], "every alert scored once per model version")
    // braai's score of a real packet stored on arrival is the production drb.
    let real = try XCTUnwrap(try StoreFixtures.expectedPackets().first { $0.drb != nil })
    XCTAssertEqual(try store.scores(candid: real.candid).first?.score ?? -1, real.drb!, accuracy: 1e-5)
    let firstLog = try String(contentsOfFile: folder + "/first.log", encoding: .utf8) + log
    XCTAssertTrue(firstLog.contains("skipped \(topic)["), "the bad message is reported: \(firstLog.suffix(2000))")
    XCTAssertTrue(firstLog.contains("not an Avro container file"), firstLog.suffix(2000).description)
    XCTAssertTrue(log.contains("lag "), log)
  }

  /// SIGTERM finishes the batch in hand, commits it and exits 0; a consumer of the same group then takes exactly
  /// the rest (nothing delivered twice).
  func testSIGTERMCommitsTheBatchInHandAndExitsCleanly() throws {
    let (cluster, _, candids) = try stream(synthetic: 600)
    let folder = try StoreFixtures.temporaryFolder(for: self)
    let db = try storeLocation(in: folder)
    let common = ["--bootstrap", cluster.bootstrapServers, "--batch-size", "25", "--status-every", "0"] + sessionTimeout
    let first = try startConsumer(common, db: db, log: folder + "/first.log")
    XCTAssertTrue(waitForStatus(folder + "/first.log", lines: 2, of: first))
    kill(first.processIdentifier, SIGTERM)
    first.waitUntilExit()
    XCTAssertEqual(first.terminationReason, .exit)
    XCTAssertEqual(first.terminationStatus, 0)
    let out = try String(contentsOfFile: folder + "/first.log.out", encoding: .utf8)
    XCTAssertTrue(out.contains("(stopped by signal)"), out)
    let stored = try openAlertDatabase(db).alertCount()

    let second = try startConsumer(common + ["--until-idle", "3"], db: db, log: folder + "/second.log")
    second.waitUntilExit()
    XCTAssertEqual(second.terminationStatus, 0)
    let rest = try String(contentsOfFile: folder + "/second.log.out", encoding: .utf8)
    XCTAssertTrue(rest.contains("\(candids.count - stored) new alerts, 0 already stored"), "\(rest) after \(stored) stored")
    XCTAssertEqual(try openAlertDatabase(db).alertCount(), candids.count)
  }

  /// LSST's framing: a zero byte, the schema id, one Avro datum. Decoded with the schema given by file; a message
  /// with another schema id is refused and reported; --max-messages stops the consumer.
  func testFramedDatumsAreDecodedWithTheGivenSchema() throws {
    let cluster = try KafkaMockCluster()
    try cluster.createTopic(topic)
    let generator = try StoreFixtures.syntheticAlerts()
    let folder = try StoreFixtures.temporaryFolder(for: self)
    var messages: [Data] = []
    var schemaJSON = Data()
    for i in 0..<30 {
      let container = try AvroContainer(data: generator.packet(i), source: "packet \(i)")
      schemaJSON = container.metadata["avro.schema"]!
      var datum: [UInt8] = [0, 0, 0, 0, i == 7 ? 8 : 7]
      try AvroEncoder.encode(container.records[0], as: container.schema, into: &datum)
      messages.append(Data(datum))
    }
    try cluster.produce(messages, topic: topic)
    try schemaJSON.write(to: URL(fileURLWithPath: folder + "/alert.avsc"))
    let db = try storeLocation(in: folder)
    let consumer = try startConsumer(
      ["--bootstrap", cluster.bootstrapServers, "--schema", folder + "/alert.avsc", "--schema-id", "7", "--max-messages", "30"],
      db: db, log: folder + "/log")
    consumer.waitUntilExit()
    let log = try String(contentsOfFile: folder + "/log", encoding: .utf8)
    XCTAssertEqual(consumer.terminationStatus, 0, log)
    XCTAssertTrue(log.contains("framed datum has schema id 8, expected 7"), log)
    let store = try openAlertDatabase(db)
    XCTAssertEqual(try store.alertCount(), 29)
    XCTAssertEqual(try store.alert(candid: generator.candid(3))?.objectId, try generator.record(3).objectId)
    XCTAssertNil(try store.alert(candid: generator.candid(7)))
  }
}
