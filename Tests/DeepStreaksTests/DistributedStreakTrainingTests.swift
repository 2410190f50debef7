import AstroNN
import DeepStreaks
import Foundation
import TestSupport
import XCTest

/// `deepstreaks train --distributed` under `mpirun`: 2 ranks write one process's member (micro-batches, so to rounding).
final class DistributedStreakTrainingTests: XCTestCase {
  func testTwoRanksTrainTheSingleProcessMember() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/mpirun") else {
      throw XCTSkip("mpirun not found: `make deps` installs openmpi-bin and libopenmpi-dev")
    }
    let folder = try TemporaryFolder("astro-mpi-streaks")
    let made = try runProduct("make-datasets", ["streaks", "--count", "120", "--seed", "3", "--stamp", "s", "--out", folder.path("data")])
    XCTAssertEqual(made.status, 0, made.stderr)
    let common = [
      "train", "--family", "rb", "--model", "vgg6", "--data", folder.path("data"), "--stamp", "s", "--epochs", "2", "--batch", "16",
      "--micro-batch", "8",
    ]
    let single = try runProduct("deepstreaks", common + ["--out", folder.path("single")])
    XCTAssertEqual(single.status, 0, single.stderr)
    let ranks = try runExecutable(
      "/usr/bin/env",
      ["OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1", "/usr/bin/mpirun", "-np", "2", try SharedData.builtProduct("deepstreaks")]
        + common + ["--out", folder.path("ranks"), "--distributed"])
    XCTAssertEqual(ranks.status, 0, ranks.stdout + ranks.stderr)
    XCTAssertEqual(ranks.stdout.components(separatedBy: "test FNR").count, 2, "rank 0 alone reports: \(ranks.stdout)")
    func weights(_ out: String) throws -> [[Float]] {
      let model = try StreakModelKind.vgg6.make()
      try model.loadKerasWeights(from: out + "/" + StreakModelKind.vgg6.fileName(.rb))
      return model.weights.map(\.values)
    }
    for (a, b) in zip(try weights(folder.path("ranks")), try weights(folder.path("single"))) {
      let scale = b.map(abs).max() ?? 0
      XCTAssertLessThanOrEqual(zip(a, b).map { abs($0 - $1) }.max() ?? 0, 1e-6 * max(scale, 1e-3))
    }
  }
}
