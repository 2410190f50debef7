import AstroArtefacts
import AstroNN
import AstroONNX
import AstroTensor
import Braai
import Foundation
import TestSupport
import XCTest

/// Manifests: JSON in and out, validation naming the field, the weight hash, and the same manifest in `.h5`,
/// `.onnx` and `.tflite`.
final class ModelManifestTests: XCTestCase {
  static let d6m7 = SharedData.packageRoot.appendingPathComponent("Datasets/braai/d6_m7.manifest.json").path

  func testShippedManifestsParseAndRoundTrip() throws {
    for name in ["braai/d6_m7", "braai/d6_m9", "btsbot/btsbot_v1.0.1"] {
      let path = SharedData.packageRoot.appendingPathComponent("Datasets/\(name).manifest.json").path
      let manifest = try ModelManifest.read(path: path)
      XCTAssertEqual(try ModelManifest(json: manifest.json(), source: "again"), manifest, name)
    }
    let m7 = try ModelManifest.read(path: Self.d6m7)
    XCTAssertEqual(m7.inputs[0].preprocessing.normalization, "row")
    XCTAssertEqual(m7.inputs[0].preprocessing.paddingValue, 1e-9)
    XCTAssertEqual(m7.outputs.map(\.name), ["fc_out"])
  }

  func testInvalidManifestsNameTheField() throws {
    let good = try String(contentsOfFile: Self.d6m7, encoding: .utf8)
    let cases: [(String, String, String)] = [
      ("\"normalization\": \"row\"", "\"normalization\": \"columns\"", "inputs[0].preprocessing.normalization"),
      ("\"format_version\": 1", "\"format_version\": 2", "format_version"),
      ("\"name\": \"braai\",", "", "field 'name' is missing"),
      ("\"shape\": [\n        63,", "\"shape\": [\n        -63,", "inputs[0].shape"),
      ("\"value\": 0.5", "\"value\": \"half\"", "thresholds[0].value"),
    ]
    for (find, replace, expected) in cases {
      let bad = good.replacingOccurrences(of: find, with: replace)
      XCTAssertNotEqual(bad, good, "the fixture text changed: \(find)")
      XCTAssertThrowsError(try ModelManifest(json: bad, source: "m.json")) { error in
        XCTAssertTrue("\(error)".contains("m.json") && "\(error)".contains(expected), "\(error)")
      }
    }
  }

  /// The hash ignores names and order (an ONNX round trip keeps it) and sees any changed value.
  func testWeightsDigestSurvivesONNXAndSeesChanges() throws {
    let model = try ResNet.resnet18(inputShape: [64, 64, 1], seed: 3)
    let digest = ModelManifest.weightsDigest(of: model)
    XCTAssertEqual(digest.count, 64)
    let imported = try ONNXImporter.importModel(ONNXModel(bytes: ONNXExporter.export(model).encoded()))
    XCTAssertEqual(ModelManifest.weightsDigest(of: imported), digest)
    imported.weights[5].storage.pointer[0] += 1e-6
    XCTAssertNotEqual(ModelManifest.weightsDigest(of: imported), digest)

    // A conversion bug that swaps a batch norm's gamma and beta changes it too.
    let bn = try XCTUnwrap(model.layers.compactMap { $0 as? BatchNormalization }.first)
    let (gamma, beta) = (bn.gamma!.values, bn.beta!.values)
    try bn.gamma!.assign(Tensor(shape: [gamma.count], values: beta))
    try bn.beta!.assign(Tensor(shape: [beta.count], values: gamma))
    XCTAssertNotEqual(ModelManifest.weightsDigest(of: model), digest)
  }

  func testTheManifestTravelsInH5AndONNXAndIsChecked() throws {
    let model = try Model.loadKeras(from: SharedData.packageRoot.appendingPathComponent("Datasets/braai/d6_m7.h5").path)
    let manifest = try ModelManifest.read(path: Self.d6m7)
    let folder = try TemporaryFolder("manifest")
    let x = TestTensors.uniform([3, 63, 63, 3], low: 0, high: 0.1, seed: 2)
    for (format, name) in [(ModelFileFormat.kerasH5, "m.h5"), (.onnx, "m.onnx")] {
      let path = folder.url.appendingPathComponent(name).path
      try ModelFile.save(model, manifest: manifest, to: path, format: format)
      let loaded = try ModelFile.load(path)
      var expected = manifest
      expected.weightsSHA256 = ModelManifest.weightsDigest(of: model)
      XCTAssertEqual(loaded.manifest, expected, name)
      assertClose(try loaded.model.predict(x).values, try model.predict(x).values, atol: 1e-6, rtol: 0, name)
    }

    // A manifest that does not describe the model is refused when saving.
    var wrong = manifest
    wrong.inputs[0].name = "triplet"
    XCTAssertThrowsError(try ModelFile.save(model, manifest: wrong, to: folder.url.appendingPathComponent("w.h5").path, format: .kerasH5)) {
      XCTAssertTrue("\($0)".contains("[\"triplet\"]") && "\($0)".contains("conv1_input"), "\($0)")
    }
  }

  /// An ONNX file whose weights were changed after its manifest was written is refused, naming both hashes.
  func testChangedWeightsAreRefused() throws {
    let model = try VGG6.make(seed: 1)
    var manifest = try ModelManifest.read(path: Self.d6m7)
    manifest.inputs[0].name = model.inputNames[0]
    manifest.outputs[0].name = model.outputNames[0]
    let folder = try TemporaryFolder("manifest")
    let path = folder.url.appendingPathComponent("tampered.onnx").path
    try ModelFile.save(model, manifest: manifest, to: path, format: .onnx)
    XCTAssertNoThrow(try ModelFile.load(path))
    var file = try ONNXModel.read(path: path)
    let k = try XCTUnwrap(file.graph.initializers.firstIndex { $0.dataType == .float && $0.count > 100 })
    var values = try file.graph.initializers[k].floats()
    values[17] += 0.001
    file.graph.initializers[k] = ONNXTensor(name: file.graph.initializers[k].name, dims: file.graph.initializers[k].dims, floats: values)
    try file.write(to: path)
    XCTAssertThrowsError(try ModelFile.load(path)) {
      XCTAssertTrue("\($0)".contains("tampered.onnx") && "\($0)".contains("weights were changed"), "\($0)")
    }
  }

  /// A manifest asking for preprocessing braai's triplets do not have is refused by the braai commands' reader.
  func testTripletPreprocessingMustBeBraais() throws {
    var manifest = try ModelManifest.read(path: Self.d6m7)
    XCTAssertEqual(try BraaiArtefact.tripletNormalization(manifest, source: "m"), .row)
    manifest.inputs[0].preprocessing.nanValue = -1
    XCTAssertThrowsError(try BraaiArtefact.tripletNormalization(manifest, source: "m")) {
      XCTAssertTrue("\($0)".contains("NaN → -1.0"), "\($0)")
    }
  }

  func testShippedArtefactsHoldTheirModels() throws {
    let m7 = try ModelFile.load(SharedData.packageRoot.appendingPathComponent("Datasets/braai/d6_m7.artefact.h5").path)
    XCTAssertEqual(m7.manifest?.version, "d6_m7")
    XCTAssertEqual(m7.manifest?.inputs[0].preprocessing.normalization, "row")
    let bare = try Model.loadKeras(from: SharedData.packageRoot.appendingPathComponent("Datasets/braai/d6_m7.h5").path)
    XCTAssertEqual(m7.manifest?.weightsSHA256, ModelManifest.weightsDigest(of: bare))

    let m9 = try ModelFile.load(SharedData.packageRoot.appendingPathComponent("Datasets/braai/d6_m9.artefact.h5").path)
    XCTAssertEqual(m9.manifest?.version, "d6_m9")
    XCTAssertEqual(m9.manifest?.inputs[0].preprocessing.normalization, "global")
    let published = try Model.loadKeras(from: SharedData.path("data/braai/braai_d6_m9.h5"))
    XCTAssertEqual(m9.manifest?.weightsSHA256, ModelManifest.weightsDigest(of: published))
  }
}
