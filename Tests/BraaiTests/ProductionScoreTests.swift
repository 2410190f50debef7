import Braai
import Foundation
import TestSupport
import XCTest
import ZTFAlerts

/// braai d6_m7 with row normalisation reproduces the `drb` score ZTF put in each real packet.
final class ProductionScoreTests: XCTestCase {
  /// expected.csv rows: file -> (candid, objectId, drb).
  func expected(_ csvPath: String) throws -> [String: (candid: Int64, objectId: String, drb: Double?)] {
    let lines = try String(contentsOfFile: csvPath, encoding: .utf8).split(whereSeparator: \.isNewline).map(String.init)
    let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    let (fileColumn, candidColumn, objectColumn, drbColumn) = (
      header.firstIndex(of: "file")!, header.firstIndex(of: "candid")!, header.firstIndex(of: "objectId")!,
      header.firstIndex(of: "drb")!
    )
    var out: [String: (Int64, String, Double?)] = [:]
    for line in lines.dropFirst() {
      let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      out[f[fileColumn]] = (Int64(f[candidColumn])!, f[objectColumn], Double(f[drbColumn]))
    }
    return out
  }

  func testD6M7ReproducesProductionDRBOnAll44Packets() throws {
    let folder = try SharedData.path("data/ztf-alerts")
    let truth = try expected(folder + "/expected.csv")
    let scorer = AlertScorer(model: try BraaiModel(weights: SharedData.path("data/braai/d6_m7.h5")), normalization: .row)
    let (alerts, failures) = scorer.score(files: try AlertScorer.avroFiles(in: [folder]))
    XCTAssertEqual(failures.count, 0, "\(failures)")
    XCTAssertEqual(alerts.count, 44)
    var compared = 0, within = 0, low = 0
    var worst: (Double, String) = (0, "")
    for alert in alerts {
      let row = try XCTUnwrap(truth[(alert.file as NSString).lastPathComponent], alert.file)
      XCTAssertEqual(alert.candid, row.candid)
      XCTAssertEqual(alert.objectId, row.objectId)
      guard let drb = row.drb else { continue }
      XCTAssertEqual(alert.drb.map(Float.init), Float(drb), "packet drb vs csv")
      compared += 1
      if drb < 0.5 { low += 1 }
      let diff = abs(Double(alert.score) - drb)
      if diff <= 1e-5 { within += 1 }
      if diff > worst.0 { worst = (diff, alert.objectId) }
    }
    XCTAssertEqual(compared, 43, "packets with a production drb")
    XCTAssertEqual(low, 5, "packets with drb < 0.5")
    XCTAssertGreaterThanOrEqual(within, compared - 1, "within 1e-5 of drb: \(within) of \(compared); worst \(worst)")
  }

  func testD6M9LoadsAndScoresWithGlobalNormalisation() throws {
    let folder = try SharedData.path("data/ztf-alerts")
    let files = Array(try AlertScorer.avroFiles(in: [folder]).prefix(8))
    let m9 = AlertScorer(model: try BraaiModel(weights: SharedData.path("data/braai/braai_d6_m9.h5")), normalization: .global)
    let m7 = AlertScorer(model: try BraaiModel(weights: SharedData.path("data/braai/d6_m7.h5")), normalization: .row)
    let a = m9.score(files: files), b = m7.score(files: files)
    XCTAssertEqual(a.alerts.count, 8)
    XCTAssertTrue(a.alerts.allSatisfy { (0...1).contains($0.score) })
    XCTAssertNotEqual(a.alerts.map(\.score), b.alerts.map(\.score))
  }

  func testBundledWeightsAndPacketsWorkWithoutShared() throws {
    let folder = SharedData.packageRoot.appendingPathComponent("Datasets/ztf-alerts").path
    let truth = try expected(folder + "/expected.csv")
    let model = try BraaiModel()
    XCTAssertTrue(model.weightsPath.hasSuffix("Datasets/braai/d6_m7.h5"), model.weightsPath)
    let (alerts, failures) = AlertScorer(model: model).score(files: try AlertScorer.avroFiles(in: [folder]))
    XCTAssertTrue(failures.isEmpty, "\(failures)")
    XCTAssertEqual(alerts.count, truth.count)
    for alert in alerts {
      let row = try XCTUnwrap(truth[(alert.file as NSString).lastPathComponent])
      if let drb = row.drb { XCTAssertEqual(Double(alert.score), drb, accuracy: 1e-5, alert.objectId) }
    }
  }

  func testCorruptPacketsAreReportedAndTheRestScored() throws {
    let folder = try SharedData.path("data/ztf-alerts")
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("braai-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let good = try AlertScorer.avroFiles(in: [folder]).prefix(2)
    for (i, f) in good.enumerated() {
      try FileManager.default.copyItem(atPath: f, toPath: scratch.appendingPathComponent("\(i)_good.avro").path)
    }
    let bytes = try Data(contentsOf: URL(fileURLWithPath: good.first!))
    try bytes.prefix(bytes.count / 2).write(to: scratch.appendingPathComponent("2_truncated.avro"))
    try Data("definitely not avro".utf8).write(to: scratch.appendingPathComponent("3_text.avro"))
    let scorer = AlertScorer(model: try BraaiModel(weights: SharedData.path("data/braai/d6_m7.h5")))
    let (alerts, failures) = scorer.score(files: try AlertScorer.avroFiles(in: [scratch.path]))
    XCTAssertEqual(alerts.count, 2)
    XCTAssertEqual(failures.map(\.file).sorted(), ["2_truncated.avro", "3_text.avro"])
    XCTAssertTrue(failures.allSatisfy { !$0.reason.isEmpty })
  }
}

/// Alert packets plus a labels CSV as a training set, through braai's triplets.
final class AlertDatasetTests: XCTestCase {
  func testLabelledAlertsBecomeTriplets() throws {
    let folder = SharedData.packageRoot.appendingPathComponent("Datasets/ztf-alerts").path
    let csv = FileManager.default.temporaryDirectory.appendingPathComponent("labels-\(UUID().uuidString).csv").path
    defer { try? FileManager.default.removeItem(atPath: csv) }
    // Two labelled packets of ten: the eight without a label are an error, not silently left out.
    try "candid,label\n1127495406315015005,1\n975188146115015008,0\n".write(toFile: csv, atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try BraaiDataSource.alerts(folder: folder, labels: csv, normalization: .row).load()) {
      XCTAssertTrue("\($0)".contains("8 packet(s) in \(folder) have no label"), "\($0)")
    }
    let candids = try AlertScorer.avroFiles(in: [folder]).flatMap { try AlertReader.read(path: $0).map(\.candid) }
    XCTAssertEqual(candids.count, 10)
    let rows = candids.map { "\($0),\($0 == 1_127_495_406_315_015_005 ? 1 : 0)" }
    try (["candid,label"] + rows + [""]).joined(separator: "\n").write(toFile: csv, atomically: true, encoding: .utf8)
    let set = try BraaiDataSource.alerts(folder: folder, labels: csv, normalization: .row).load()
    XCTAssertEqual(set.count, 10)
    XCTAssertEqual(Set(set.ids), Set(candids))
    // A label whose packet is missing is an error too.
    try (["candid,label"] + rows + ["42,1", ""]).joined(separator: "\n").write(toFile: csv, atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try BraaiDataSource.alerts(folder: folder, labels: csv, normalization: .row).load()) {
      XCTAssertTrue("\($0)".contains("1 labelled candid(s) have no packet in \(folder): 42"), "\($0)")
    }
    let other = try XCTUnwrap(candids.firstIndex { $0 != 1_127_495_406_315_015_005 })
    try (["candid,label"] + rows + ["\(candids[other]),1", ""]).joined(separator: "\n")
      .write(toFile: csv, atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try BraaiDataSource.alerts(folder: folder, labels: csv, normalization: .row).load()) {
      XCTAssertTrue("\($0)".contains("line 12: candid \(candids[other]) is labelled 1 here and 0 on line \(other + 2)"), "\($0)")
    }
    XCTAssertEqual(set.sampleShape, [63, 63, 3])
    let first = set.ids.firstIndex(of: 1_127_495_406_315_015_005)!
    XCTAssertEqual(set.labels.values[first], 1)
    // Row normalisation: every non-zero row of a cutout has unit norm.
    let x = set.images.values
    var norm: Float = 0
    for c in 0..<63 { norm += x[(first * 63 * 63 + c) * 3] * x[(first * 63 * 63 + c) * 3] }
    XCTAssertEqual(norm, 1, accuracy: 1e-4)
    try "candid,label\n1127495406315015005,maybe\n".write(toFile: csv, atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try BraaiDataSource.alerts(folder: folder, labels: csv, normalization: .row).load()) {
      XCTAssertTrue("\($0)".contains("line 2"), "\($0)")
    }
  }
}
