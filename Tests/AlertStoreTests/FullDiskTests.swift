import AlertStore
import AstroIO
import Foundation
import XCTest

/// A full disk (a 1 MiB tmpfs mounted for the test): writes fail with a clear error and leave the previous file
/// intact. Needs the right to mount (root, as in CI); skips, saying so, without it.
final class FullDiskTests: XCTestCase {
  private var mountPoint: String!

  override func setUpWithError() throws {
    mountPoint = try StoreFixtures.temporaryFolder(for: self) + "/small-disk"
    try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
    let mount = Process()
    mount.executableURL = URL(fileURLWithPath: "/bin/mount")
    mount.arguments = ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint]
    mount.standardError = FileHandle.nullDevice
    try mount.run()
    mount.waitUntilExit()
    guard mount.terminationStatus == 0 else {
      throw XCTSkip("cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): the full-disk checks did not run")
    }
    let folder = mountPoint!
    addTeardownBlock {
      let umount = Process()
      umount.executableURL = URL(fileURLWithPath: "/bin/umount")
      umount.arguments = [folder]
      try? umount.run()
      umount.waitUntilExit()
    }
  }

  func testAnAtomicWriteOnAFullDiskFailsAndKeepsThePreviousFile() throws {
    let path = mountPoint + "/weights.h5"
    try HDF5File.writeAtomically(to: path) { try $0.writeFloats("/w", shape: [1000], values: [Float](repeating: 1, count: 1000)) }
    let before = try Data(contentsOf: URL(fileURLWithPath: path))
    XCTAssertThrowsError(
      try HDF5File.writeAtomically(to: path) { try $0.writeFloats("/w", shape: [400_000], values: [Float](repeating: 2, count: 400_000)) }
    ) { error in
      XCTAssertTrue("\(error)".contains("weights.h5"), "\(error)")
    }
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before, "the previous file is intact")
    let npy = mountPoint + "/x.npy"
    try AtomicFile.write([Data(repeating: 1, count: 1000)], to: npy)
    XCTAssertThrowsError(try AtomicFile.write([Data(repeating: 2, count: 2 << 20)], to: npy)) { error in
      XCTAssertTrue("\(error)".contains("No space left on device"), "\(error)")
    }
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: npy)), Data(repeating: 1, count: 1000))
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: mountPoint).filter { $0.contains(".tmp-") }
    XCTAssertEqual(leftovers, [], "no temporary file is left behind")
  }

  func testAnIngestOnAFullDiskFailsCleanlyAndKeepsWhatWasCommitted() throws {
    let generator = try StoreFixtures.syntheticAlerts()
    let packets = try StoreFixtures.temporaryFolder(for: self)
    for i in 0..<60 { try generator.packet(i).write(to: URL(fileURLWithPath: packets + String(format: "/%06d.avro", i))) }
    let db = mountPoint + "/alerts.sqlite"
    let first = try AlertsBinary.run(["ingest", packets + "/000000.avro", "--db", db, "--quiet"], in: packets)
    XCTAssertEqual(first.status, 0, first.stderr)
    let all = try AlertsBinary.run(["ingest", packets, "--db", db, "--batch-size", "5", "--quiet"], in: packets)
    XCTAssertNotEqual(all.status, 0, "60 packets with cutouts do not fit in 1 MiB")
    XCTAssertTrue(all.stderr.contains("alerts.sqlite") && all.stderr.lowercased().contains("full"), all.stderr)
    XCTAssertFalse(all.stderr.contains("Fatal error"), all.stderr)
    let store = try SQLiteAlertDatabase(path: db, readOnly: true)
    XCTAssertEqual(try store.consistencyProblems(), [])
    XCTAssertNotNil(try store.alert(candid: generator.candid(0)), "what was committed before is still there")
  }
}
