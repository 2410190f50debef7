import Foundation
import TestSupport
import XCTest

/// `braai train` into an output folder: one run per folder, continued with --resume or replaced with --overwrite,
/// and always exactly one weights file (the README's `--weights run/braai_*.h5` must match one file).
final class BraaiTrainCLITests: XCTestCase {
  func testOneRunPerOutputFolder() throws {
    let folder = try randomTripletFolder(for: self, stamp: "t", count: 40, seed: 3)
    let out = folder + "/run"
    func train(_ extra: [String], out: String = out) throws -> ProductRun {
      try runProduct("braai", ["train", "--npy", folder, "--stamp", "t", "--batch", "16", "--out", out] + extra)
    }
    func weightsFiles() throws -> [String] {
      try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasPrefix("braai_") && $0.hasSuffix(".h5") }
    }

    let first = try train(["--epochs", "1"])
    XCTAssertEqual(first.status, 0, first.stderr)
    XCTAssertEqual(try weightsFiles().count, 1)

    let again = try train(["--epochs", "1"])
    XCTAssertNotEqual(again.status, 0)
    XCTAssertTrue(again.stderr.contains("already holds a training run (checkpoint.h5, braai_t_"), again.stderr)
    XCTAssertTrue(again.stderr.contains("--resume continues it, --overwrite replaces it"), again.stderr)

    let resumed = try train(["--epochs", "2", "--resume"])
    XCTAssertEqual(resumed.status, 0, resumed.stderr)
    XCTAssertTrue(resumed.stdout.contains("Resuming from"), resumed.stdout)
    XCTAssertEqual(try weightsFiles().count, 1, "the resumed run's weights replace the first run's")

    let replaced = try train(["--epochs", "1", "--overwrite"])
    XCTAssertEqual(replaced.status, 0, replaced.stderr)
    XCTAssertFalse(replaced.stdout.contains("Resuming from"), replaced.stdout)
    XCTAssertEqual(try weightsFiles().count, 1)

    let nothing = try train(["--epochs", "1", "--resume"], out: folder + "/elsewhere")
    XCTAssertNotEqual(nothing.status, 0)
    XCTAssertTrue(nothing.stderr.contains("checkpoint.h5: no checkpoint to resume from"), nothing.stderr)
  }
}
