import AstroArtefacts
import AstroIO
import AstroNN
import AstroTensor
import Braai
import Foundation
import TestSupport
import XCTest
import ZTFAlerts

/// The commands that read preprocessing from an artefact instead of flags, and refuse a contradicting flag.
final class ArtefactCommandTests: XCTestCase {
  let root = SharedData.packageRoot
  var m9Artefact: String { root.appendingPathComponent("Datasets/braai/d6_m9.artefact.h5").path }
  var bundledAlerts: String { root.appendingPathComponent("Datasets/ztf-alerts").path }

  func scores(_ csv: String) -> [String: Double] {
    var out: [String: Double] = [:]
    for line in csv.split(separator: "\n").dropFirst() {
      let f = line.split(separator: ",", omittingEmptySubsequences: false)
      out[String(f[0])] = Double(f[2])
    }
    return out
  }

  /// d6_m9 as an artefact scores with global normalisation, as the published weights do when told `--norm global`.
  func testBraaiScoreReadsTheNormalisationFromTheArtefact() throws {
    let weights = try SharedData.path("data/braai/braai_d6_m9.h5")
    let alerts = try SharedData.path("data/ztf-alerts")
    let artefact = try runProduct("braai", ["score", "--model", m9Artefact, alerts])
    XCTAssertEqual(artefact.status, 0, artefact.stderr)
    let flagged = try runProduct("braai", ["score", "--weights", weights, "--norm", "global", alerts])
    let bare = try runProduct("braai", ["score", "--weights", weights, alerts])
    XCTAssertEqual(scores(artefact.stdout), scores(flagged.stdout))
    XCTAssertEqual(scores(artefact.stdout).count, 44)
    // The packet the issue names: 0.221 with d6_m9's own preprocessing, 0.958 with d6_m7's.
    let wrong = scores(bare.stdout), right = scores(artefact.stdout)
    XCTAssertEqual(try XCTUnwrap(right["975188145315010044"]), 0.2215, accuracy: 1e-3)
    XCTAssertEqual(try XCTUnwrap(wrong["975188145315010044"]), 0.9578, accuracy: 1e-3)
    XCTAssertTrue(bare.stderr.contains("carries no manifest: assuming row normalisation"), bare.stderr)

    let contradicted = try runProduct("braai", ["score", "--model", m9Artefact, "--norm", "row", bundledAlerts])
    XCTAssertNotEqual(contradicted.status, 0)
    XCTAssertTrue(contradicted.stderr.contains("--norm row given, but this model takes global-normalised triplets"), contradicted.stderr)
    XCTAssertTrue(contradicted.stdout.isEmpty, "nothing scored")
    let bundled = try runProduct("braai", ["score", "--norm", "global", bundledAlerts])
    XCTAssertNotEqual(bundled.status, 0)
    XCTAssertTrue(bundled.stderr.contains("the bundled d6_m7: --norm global given, but this model takes row-normalised triplets"), bundled.stderr)
  }

  func testAlertsScoreWithAnArtefactStoresItsNameAndVersion() throws {
    let folder = try TemporaryFolder("alerts-artefact")
    let ingest = try runProduct("alerts", ["ingest", bundledAlerts, "--db", "store.sqlite"], in: folder.url)
    XCTAssertEqual(ingest.status, 0, ingest.stderr)
    let refused = try runProduct("alerts", ["score", "--model", m9Artefact, "--norm", "row", "--db", "store.sqlite"], in: folder.url)
    XCTAssertNotEqual(refused.status, 0)
    XCTAssertTrue(refused.stderr.contains("global-normalised"), refused.stderr)
    let stats = try runProduct("alerts", ["stats", "--format", "json", "--db", "store.sqlite"], in: folder.url)
    XCTAssertFalse(stats.stdout.contains("d6_m9"), "a refused run writes no scores")

    let scored = try runProduct("alerts", ["score", "--model", m9Artefact, "--db", "store.sqlite"], in: folder.url)
    XCTAssertEqual(scored.status, 0, scored.stderr)
    XCTAssertTrue(scored.stdout.contains("with braai/d6_m9"), scored.stdout)
    // The stored score is d6_m9's on global-normalised triplets.
    let packet = try AlertReader.read(path: bundledAlerts + "/1786251651215010011.avro")[0]
    let expected = try BraaiModel(model: try ModelFile.load(m9Artefact).model, source: "m9")
      .score(triplets: [try Triplet.make(packet, normalization: .global)])[0]
    let get = try runProduct("alerts", ["get", "\(packet.candid)", "--format", "csv", "--db", "store.sqlite"], in: folder.url)
    let row = get.stdout.split(separator: "\n").map(String.init)
    let column = try XCTUnwrap(row[0].split(separator: ",").firstIndex { $0 == "score:braai/d6_m9" })
    XCTAssertEqual(Double(row[1].split(separator: ",", omittingEmptySubsequences: false)[column])!, Double(expected), accuracy: 1e-6)
  }

  /// `astrolearn export` to ONNX and back through `astrolearn predict` and `summary`, and a quantized `.tflite`
  /// carrying the same manifest.
  func testExportPredictSummaryAndQuantizeCarryTheManifest() throws {
    let folder = try TemporaryFolder("astrolearn-export")
    let onnx = folder.url.appendingPathComponent("d6_m9.onnx").path
    let export = try runProduct("astrolearn", ["export", m9Artefact, "--format", "onnx", "--out", onnx])
    XCTAssertEqual(export.status, 0, export.stderr)
    XCTAssertEqual(try ModelFile.manifest(at: onnx), try ModelFile.manifest(at: m9Artefact))

    let summary = try runProduct("astrolearn", ["summary", onnx])
    XCTAssertEqual(summary.status, 0, summary.stderr)
    XCTAssertTrue(summary.stdout.contains("manifest: braai d6_m9"), summary.stdout)

    let x = TestTensors.uniform([5, 63, 63, 3], low: 0, high: 0.1, seed: 8)
    let input = folder.url.appendingPathComponent("x.npy").path, out = folder.url.appendingPathComponent("y.npy").path
    try x.npyArray().write(to: input)
    let predict = try runProduct("astrolearn", ["predict", onnx, "--input", input, "--out", out])
    XCTAssertEqual(predict.status, 0, predict.stderr)
    XCTAssertTrue(predict.stderr.contains("global normalisation"), predict.stderr)
    let expected = try ModelFile.load(m9Artefact).model.predict(x)
    assertClose(try NpyArray.read(path: out).floats(), expected.values, atol: 1e-6, rtol: 0)

    let nchw = folder.url.appendingPathComponent("nchw.onnx").path
    XCTAssertEqual(try runProduct("astrolearn", ["export", m9Artefact, "--format", "onnx", "--nchw", "--out", nchw]).status, 0)
    let nchwManifest = try XCTUnwrap(try ModelFile.manifest(at: nchw))
    XCTAssertEqual(nchwManifest.inputs[0].layout, .nchw)
    XCTAssertEqual(nchwManifest.inputs[0].shape, [3, 63, 63])

    let tflite = folder.url.appendingPathComponent("d6_m9.tflite").path
    let quantize = try runProduct("astrolearn", [
      "quantize", m9Artefact, "--calibration", input, "--method", "minmax", "--out", tflite,
    ])
    XCTAssertEqual(quantize.status, 0, quantize.stderr)
    XCTAssertEqual(try ModelFile.manifest(at: tflite), try ModelFile.manifest(at: m9Artefact))
    let contradicted = try runProduct("braai", ["score", "--model", tflite, "--norm", "row", bundledAlerts])
    XCTAssertNotEqual(contradicted.status, 0)
    XCTAssertTrue(contradicted.stderr.contains("global-normalised"), contradicted.stderr)
    // The int8 model to ONNX QDQ, still carrying the manifest.
    let qdq = folder.url.appendingPathComponent("d6_m9.qdq.onnx").path
    let qdqExport = try runProduct("astrolearn", ["export", tflite, "--format", "onnx", "--out", qdq])
    XCTAssertEqual(qdqExport.status, 0, qdqExport.stderr)
    XCTAssertEqual(try ModelFile.manifest(at: qdq), try ModelFile.manifest(at: m9Artefact))

    let noManifest = try runProduct("astrolearn", [
      "export", root.appendingPathComponent("Datasets/braai/d6_m7.h5").path, "--format", "artefact", "--out",
      folder.url.appendingPathComponent("none.h5").path,
    ])
    XCTAssertNotEqual(noManifest.status, 0)
    XCTAssertTrue(noManifest.stderr.contains("carries no manifest"), noManifest.stderr)
    let misnamed = try runProduct("astrolearn", ["export", m9Artefact, "--format", "onnx", "--out", folder.url.appendingPathComponent("m.h5").path])
    XCTAssertNotEqual(misnamed.status, 0)
    XCTAssertTrue(misnamed.stderr.contains("writes an .onnx file"), misnamed.stderr)
  }
}
