import AstroIO
import Foundation
import Labeling
import TestSupport
import XCTest

/// `kill -9` of the programs that write the labelling store, 20 times each at random moments: `label import`
/// (an import is all or nothing) and `label serve` while a labeller submits labels (every label the server
/// acknowledged is in the store). After each kill the store opens, passes SQLite's integrity check and ours.
final class LabelStoreKillTests: XCTestCase {
  var scratch: TemporaryFolder!
  var db: String { scratch.path("labels.sqlite") }
  let itemsPerImport = 4000

  override func setUpWithError() throws {
    scratch = try TemporaryFolder("label-kill")
    setenv("no_proxy", "127.0.0.1,localhost", 1)
    setenv("NO_PROXY", "127.0.0.1,localhost", 1)
    for arguments in [["init"], ["project", "add", "--name", "rb", "--classes", "bogus,real"]] {
      let run = try runProduct("label", arguments + ["--db", db])
      XCTAssertEqual(run.status, 0, run.stderr)
    }
    let count = itemsPerImport
    try NpyArray(shape: [count, 16, 16, 3], floats: (0..<(count * 768)).map { Float($0 % 251) / 251 })
      .write(to: scratch.path("triplets.k.npy"))
  }

  override func tearDownWithError() throws { scratch = nil }

  /// Runs `label` with `arguments` and kills it after `delay` microseconds unless it finished; true when killed.
  func killed(_ arguments: [String], after delay: UInt32) throws -> Bool {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try SharedData.builtProduct("label"))
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    usleep(delay)
    let running = process.isRunning
    if running { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    return running
  }

  func testKilledImportsAreAllOrNothing() throws {
    let importArguments = { (dataset: String) in
      ["import", "--db", self.db, "--project", "rb", "--npy", self.scratch.path, "--stamp", "k", "--dataset", dataset]
    }
    let start = Date()
    let complete = try runProduct("label", importArguments("complete"))
    XCTAssertEqual(complete.status, 0, complete.stderr)
    let duration = UInt32(Date().timeIntervalSince(start) * 1_000_000)
    var random = SystemRandomNumberGenerator()
    var kills = 0
    for attempt in 0..<20 {
      if try killed(importArguments("attempt\(attempt)"), after: UInt32.random(in: 0...duration, using: &random)) { kills += 1 }
      let store = try LabelStore(path: db)
      XCTAssertEqual(try store.consistencyProblems(), [], "after kill \(kills)")
      let sizes = Dictionary(grouping: try store.items(projectID: 1), by: \.dataset).mapValues(\.count)
      XCTAssertEqual(sizes["complete"], itemsPerImport)
      XCTAssertTrue(sizes.values.allSatisfy { $0 == itemsPerImport }, "a killed import left part of a dataset: \(sizes)")
    }
    XCTAssertGreaterThanOrEqual(kills, 5, "the kills landed while imports ran")
  }

  func testKilledServerKeepsEveryAcknowledgedLabel() throws {
    let imported = try runProduct("label", ["import", "--db", db, "--project", "rb", "--npy", scratch.path, "--stamp", "k"])
    XCTAssertEqual(imported.status, 0, imported.stderr)
    let token = try XCTUnwrap(
      try runProduct("label", ["user", "add", "--db", db, "--name", "ann"]).stdout.split(separator: " ").last?
        .trimmingCharacters(in: .whitespacesAndNewlines))
    var random = SystemRandomNumberGenerator()
    var acknowledged = Set<Int64>(), attempted = 0, next: Int64 = 1
    for round in 0..<20 {
      let (server, base) = try startLabelServer(db: db)
      let delay = Double.random(in: 0...0.3, using: &random)
      DispatchQueue.global().asyncAfter(deadline: .now() + delay) { kill(server.processIdentifier, SIGKILL) }
      while true {
        attempted += 1
        // A failed request means the server is gone.
        guard let (status, _) = try? labelServerRequest("POST", base + "/api/items/\(next)/labels", token: token,
                                                        json: ["labels": ["real"], "seconds": 1.0])
        else { break }
        XCTAssertEqual(status, 201)
        acknowledged.insert(next)
        next += 1
      }
      server.waitUntilExit()
      XCTAssertEqual(server.terminationReason, .uncaughtSignal, "round \(round): the server was killed")
      next += 1  // the label in flight may or may not have landed: leave its item alone
      let store = try LabelStore(path: db)
      XCTAssertEqual(try store.consistencyProblems(), [], "after kill \(round + 1)")
      let stored = Set(try store.events(projectID: 1).map(\.itemID))
      XCTAssertTrue(acknowledged.isSubset(of: stored), "labels the server acknowledged were lost: \(acknowledged.subtracting(stored).sorted())")
      XCTAssertLessThanOrEqual(stored.count, attempted)
    }
    XCTAssertGreaterThan(acknowledged.count, 20, "labels were submitted between the kills")
  }
}
