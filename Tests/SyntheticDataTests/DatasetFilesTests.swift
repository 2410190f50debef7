import AstroIO
import SyntheticData
import XCTest

final class DatasetFilesTests: XCTestCase {
  func testTripletFilesHaveBraaisShapesAndDtypes() throws {
    let folder = try temporaryFolder(self)
    let output = try ZTFTripletGenerator().generate(count: 25, seed: 3)
    let written = try SyntheticDatasetFiles.writeTriplets(output, folder: folder + "/nested", stamp: "test_1")
    XCTAssertEqual(written.map { ($0 as NSString).lastPathComponent },
                   ["triplets.test_1.npy", "labels.test_1.npy", "candids.test_1.npy", "kinds.test_1.txt"])

    let triplets = try NpyArray.read(path: written[0])
    XCTAssertEqual(triplets.shape, [25, 63, 63, 3])
    XCTAssertEqual(triplets.dtype, .float32)
    XCTAssertEqual(triplets.floats(), output.triplets)
    let labels = try NpyArray.read(path: written[1])
    XCTAssertEqual(labels.shape, [25])
    XCTAssertEqual(labels.dtype, .float32)
    XCTAssertEqual(labels.floats(), output.labels)
    let candids = try NpyArray.read(path: written[2])
    XCTAssertEqual(candids.shape, [25])
    XCTAssertEqual(candids.dtype, .int64)
    XCTAssertEqual(candids.int64s(), output.candids)
    let kinds = try String(contentsOfFile: written[3], encoding: .utf8)
    XCTAssertEqual(kinds, output.kinds.joined(separator: "\n") + "\n")
  }

  func testStreakFilesHaveTheirShapesAndDtypes() throws {
    let folder = try temporaryFolder(self)
    let set = try StreakGenerator().generate(count: 12, seed: 4)
    let written = try SyntheticDatasetFiles.writeStreaks(set, folder: folder, stamp: "s")
    let names = written.map { ($0 as NSString).lastPathComponent }
    XCTAssertEqual(names, ["streaks.s.npy", "labels_rb.s.npy", "labels_sl.s.npy", "labels_kd.s.npy", "mask_slkd.s.npy",
                           "ids.s.npy", "lengths.s.npy", "kinds.s.txt"])
    let streaks = try NpyArray.read(path: written[0])
    XCTAssertEqual(streaks.shape, [12, 144, 144, 1])
    XCTAssertEqual(streaks.dtype, .float32)
    XCTAssertEqual(streaks.floats(), set.streaks)
    for (path, labels) in zip(written[1...3], [set.labelsRB, set.labelsSL, set.labelsKD]) {
      let array = try NpyArray.read(path: path)
      XCTAssertEqual(array.shape, [12])
      XCTAssertEqual(array.dtype, .float32)
      XCTAssertEqual(array.floats(), labels)
    }
    let mask = try NpyArray.read(path: written[4])
    XCTAssertEqual(mask.dtype, .uint8)
    XCTAssertEqual(mask.uint8s(), set.slkdApplicable.map { $0 ? 1 : 0 })
    let ids = try NpyArray.read(path: written[5])
    XCTAssertEqual(ids.dtype, .int64)
    XCTAssertEqual(ids.int64s(), set.ids)
    XCTAssertEqual(try NpyArray.read(path: written[6]).floats(), set.lengths)
  }

  func testNumpyReadsTheFiles() throws {
    guard numpyAvailable() else { throw XCTSkip("python3 with numpy is not available") }
    let folder = try temporaryFolder(self)
    let output = try ZTFTripletGenerator().generate(count: 10, seed: 6, normalization: .raw)
    try SyntheticDatasetFiles.writeTriplets(output, folder: folder, stamp: "np")
    let set = try StreakGenerator().generate(count: 5, seed: 6)
    try SyntheticDatasetFiles.writeStreaks(set, folder: folder, stamp: "np")
    let report = try runPython("""
      import numpy as np
      d = '\(folder)'
      t = np.load(d + '/triplets.np.npy'); l = np.load(d + '/labels.np.npy'); c = np.load(d + '/candids.np.npy')
      s = np.load(d + '/streaks.np.npy'); m = np.load(d + '/mask_slkd.np.npy'); i = np.load(d + '/ids.np.npy')
      print(t.shape, t.dtype, l.shape, l.dtype, c.dtype, s.shape, s.dtype, m.dtype, i.dtype)
      print(repr(float(np.nansum(t.astype(np.float64)))), int(c[0]), int(np.isnan(t).sum()))
      """)
    let lines = report.split(separator: "\n")
    XCTAssertEqual(lines.first, "(10, 63, 63, 3) float32 (10,) float32 int64 (5, 144, 144, 1) float32 uint8 int64")
    let fields = lines[1].split(separator: " ")
    let sum = output.triplets.reduce(0.0) { $1.isNaN ? $0 : $0 + Double($1) }
    XCTAssertEqual(Double(fields[0])!, sum, accuracy: abs(sum) * 1e-9)
    XCTAssertEqual(Int64(fields[1]), output.candids[0])
    XCTAssertEqual(Int(fields[2]), output.triplets.filter(\.isNaN).count)
  }

  func testBadStampsAndMismatchedArraysAreRejected() throws {
    let folder = try temporaryFolder(self)
    let output = try ZTFTripletGenerator().generate(count: 2, seed: 1)
    for stamp in ["", "a/b", "..", "with space"] {
      XCTAssertThrowsError(try SyntheticDatasetFiles.writeTriplets(output, folder: folder, stamp: stamp)) { error in
        XCTAssertEqual((error as? SyntheticDataError)?.subject, "stamp")
      }
    }
    var broken = output
    broken.labels.removeLast()
    XCTAssertThrowsError(try SyntheticDatasetFiles.writeTriplets(broken, folder: folder, stamp: "x"))
    XCTAssertThrowsError(try SyntheticDatasetFiles.writeTriplets(output, size: 64, folder: folder, stamp: "x")) { error in
      XCTAssertEqual((error as? SyntheticDataError)?.subject, "triplets")
    }
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), [], "nothing written on error")
  }
}
