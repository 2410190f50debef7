import AstroIO
import AstroTensor
import Foundation
import TestSupport
import XCTest

/// `kill -9` of `braai train` at 20 random moments: after each kill the checkpoint is whole (or absent), no
/// temporary file piles up, and the run resumed to the end writes exactly the weights of an uninterrupted run.
final class TrainKillTests: XCTestCase {
  func testTwentyKillsThenResumeEqualsAnUninterruptedRun() throws {
    let binary = try SharedData.builtProduct("braai")
    let folder = try randomTripletFolder(for: self, stamp: "k", count: 256, seed: 11)
    func arguments(_ out: String) -> [String] {
      ["train", "--npy", folder, "--stamp", "k", "--epochs", "16", "--batch", "32", "--out", folder + "/" + out]
    }
    func start(_ arguments: [String]) throws -> Process {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: binary)
      process.arguments = arguments
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      try process.run()
      return process
    }
    func weights(_ out: String) throws -> [[Float]] {
      let run = folder + "/" + out
      let names = try FileManager.default.contentsOfDirectory(atPath: run).filter { $0.hasPrefix("braai_") && $0.hasSuffix(".h5") }
      XCTAssertEqual(names.count, 1, "\(names)")
      let file = try HDF5File(path: run + "/" + names[0], mode: .readOnly)
      var values: [[Float]] = []
      try file.walk { path, isGroup in if !isGroup { values.append(try file.readFloats(path).values) } }
      return values
    }

    let began = Date()
    let straight = try start(arguments("straight"))
    straight.waitUntilExit()
    XCTAssertEqual(straight.terminationStatus, 0)
    // Kills within the first 0.1 s to max(0.3 s, 15% of an uninterrupted run): each killed run gets at most a few
    // epochs done, so most of the 20 land mid-training however fast this machine trains (fixed 0.1-0.9 s delays let
    // a fast machine finish after 3 kills).
    let longest = max(300_000, UInt32(Date().timeIntervalSince(began) * 0.15 * 1e6))

    var random = SeededGenerator(seed: 5)
    var kills = 0
    var finished = false
    let checkpoint = folder + "/killed/checkpoint.h5"
    while kills < 20 && !finished {
      let resume = FileManager.default.fileExists(atPath: checkpoint)
      let process = try start(arguments("killed") + (resume ? ["--resume"] : []))
      usleep(UInt32.random(in: 100_000...longest, using: &random))
      if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        kills += 1
      }
      process.waitUntilExit()
      finished = process.terminationReason == .exit
      if finished { XCTAssertEqual(process.terminationStatus, 0) }
      // The checkpoint, when there is one, is whole: it opens and holds the optimizer state.
      if FileManager.default.fileExists(atPath: checkpoint) {
        let file = try HDF5File(path: checkpoint, mode: .readOnly)
        XCTAssertTrue(file.isGroup("/optimizer_state"), "kill \(kills): checkpoint without optimizer state")
      }
      let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder + "/killed").filter { $0.contains(".tmp-") }
      XCTAssertLessThanOrEqual(leftovers.count, 1, "temporary files pile up: \(leftovers)")
    }
    XCTAssertGreaterThanOrEqual(kills, 10, "the kills landed while training ran")
    if !finished {
      let last = try start(arguments("killed") + ["--resume"])
      last.waitUntilExit()
      XCTAssertEqual(last.terminationStatus, 0)
    }
    XCTAssertEqual(try weights("killed"), try weights("straight"), "the resumed run equals the uninterrupted one")
  }
}
