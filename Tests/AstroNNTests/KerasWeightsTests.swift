import AstroIO
import AstroNN
import AstroTensor
import Foundation
import TestSupport
import XCTest

/// Loading and saving Keras HDF5 weights: braai's published files, round trips, and bad files.
final class KerasWeightsTests: XCTestCase {
  var scratch: URL!

  override func setUpWithError() throws {
    scratch = FileManager.default.temporaryDirectory.appendingPathComponent("astro-weights-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

  /// braai's d6_m7 as bundled in the repository (always present, unlike `../shared`).
  let bundledD6M7 = SharedData.packageRoot.appendingPathComponent("Datasets/braai/d6_m7.h5").path

  func testBraaiFullModelAndWeightsOnlyFilesAgree() throws {
    let full = try VGG6.make(seed: 1), weightsOnly = try VGG6.make(seed: 2)
    try full.loadKerasWeights(from: SharedData.path("data/braai/d6_m7.h5"))
    try weightsOnly.loadKerasWeights(from: SharedData.path("data/braai/d6_m7.weights.h5"))
    for (a, b) in zip(full.weights, weightsOnly.weights) { XCTAssertEqual(a.values, b.values) }
    // The file's conv1 kernel, read directly, is what the layer holds.
    let file = try HDF5File(path: SharedData.path("data/braai/d6_m7.h5"), mode: .readOnly)
    let kernel = try file.readFloats("/model_weights/conv1/conv1/kernel:0")
    XCTAssertEqual((full.layer(named: "conv1") as! Conv2D).kernel!.values, kernel.values)
  }

  func testD6M9LoadsAndDiffersFromD6M7() throws {
    let m7 = try VGG6.make(), m9 = try VGG6.make()
    try m7.loadKerasWeights(from: SharedData.path("data/braai/d6_m7.h5"))
    try m9.loadKerasWeights(from: SharedData.path("data/braai/braai_d6_m9.h5"))
    XCTAssertNotEqual(m7.weights[0].values, m9.weights[0].values)
  }

  func testSaveThenLoadRoundTripsEveryWeight() throws {
    let source = try ResNet.make(name: "r", inputShape: [32, 32, 3], seed: 3, stemFilters: 8, stages: [([8, 8, 16], 2, 1)])
    // Non-trivial moving statistics, so they are checked too.
    var rng = SeededGenerator(seed: 9)
    for w in source.weights { try w.assign(Tensor.normal(w.shape, generator: &rng)) }
    let path = scratch.appendingPathComponent("r.h5").path
    try source.saveKerasWeights(to: path)
    let copy = try ResNet.make(name: "r", inputShape: [32, 32, 3], seed: 4, stemFilters: 8, stages: [([8, 8, 16], 2, 1)])
    try copy.loadKerasWeights(from: path)
    for (a, b) in zip(source.weights, copy.weights) { XCTAssertEqual(a.values, b.values) }
    // The layout is Keras 2's: layer_names at the root, `<layer>/<layer>/kernel:0` datasets.
    let file = try HDF5File(path: path, mode: .readOnly)
    XCTAssertEqual(try file.stringAttribute("layer_names", of: "/"), source.layers.map(\.name))
    XCTAssertEqual(try file.stringAttribute("weight_names", of: "/conv1"), ["conv1/kernel:0", "conv1/bias:0"])
    XCTAssertEqual(try file.stringAttribute("weight_names", of: "/flatten"), [])
    XCTAssertEqual(try file.datasetShape("/bn_conv1/bn_conv1/moving_variance:0"), [8])
  }

  func testLoadsByOrderWhenNamesDiffer() throws {
    // The Keras fixture uses automatic names (conv2d, dense, ...): pairing goes by order.
    let model = try VGG6.make()
    try model.loadKerasWeights(from: SharedData.path("reference/keras/vgg6_63x63x3.h5"))
    let file = try HDF5File(path: SharedData.path("reference/keras/vgg6_63x63x3.h5"), mode: .readOnly)
    let dense = try file.readFloats("/model_weights/dense/sequential/dense/kernel")
    XCTAssertEqual((model.layer(named: "fc_1") as! Dense).kernel!.values, dense.values)
  }

  func testKerasCanReadSavedWeights() throws {
    // Optional: only where the peer venv (../shared/peers/setup.sh) exists; TensorFlow is not a test dependency.
    let python = SharedData.peerPython
    guard FileManager.default.isExecutableFile(atPath: python) else {
      throw XCTSkip("peer venv not found at \(python): run ../shared/peers/setup.sh (PEERS_VENV=...) to check Keras reads our files")
    }
    let model = try VGG6.make(seed: 5)
    let path = scratch.appendingPathComponent("vgg6.h5").path
    try model.saveKerasWeights(to: path)
    var rng = SeededGenerator(seed: 6)
    let input = Tensor.normal([3, 63, 63, 3], standardDeviation: 0.5, generator: &rng)
    let inputPath = scratch.appendingPathComponent("x.npy").path
    try input.npyArray().write(to: inputPath)
    let script = """
      import sys, numpy as np, keras
      sys.path.insert(0, '\(SharedData.directory.appendingPathComponent("peers").path)')
      from keras_deepstreaks import vgg6
      m = vgg6((63, 63, 3)); m.load_weights(sys.argv[1])
      print(" ".join(repr(float(v)) for v in m.predict(np.load(sys.argv[2]), verbose=0).ravel()))
      """
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = ["-c", script, path, inputPath]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 0)
    let kerasOutputs = (text.split(separator: "\n").last ?? "").split(separator: " ").compactMap { Double(String($0)) }
    let ours = try model.predict(input).values
    XCTAssertEqual(kerasOutputs.count, ours.count, "Keras printed: \(text)")
    for (a, b) in zip(kerasOutputs, ours) { XCTAssertEqual(a, Double(b), accuracy: 1e-5) }
  }

  func testMismatchedShapeNamesTheLayerAndChangesNothing() throws {
    let model = try VGG6.make(inputShape: [144, 144, 1])
    let before = model.weights.map(\.values)
    XCTAssertThrowsError(try model.loadKerasWeights(from: bundledD6M7)) { error in
      XCTAssertTrue("\(error)".contains("conv1"), "\(error)")
      XCTAssertTrue("\(error)".contains("d6_m7.h5"), "\(error)")
    }
    XCTAssertEqual(model.weights.map(\.values), before, "a failed load must leave the weights untouched")
  }

  func testWrongArchitectureSaysWhatIsMissing() throws {
    let model = try ResNet.resnet18(inputShape: [63, 63, 3])
    XCTAssertThrowsError(try model.loadKerasWeights(from: bundledD6M7)) { error in
      XCTAssertTrue("\(error)".contains("layers with weights"), "\(error)")
    }
  }

  func testBadFilesThrowClearErrors() throws {
    let model = try VGG6.make()
    let text = scratch.appendingPathComponent("notes.h5").path
    try "not hdf5".write(toFile: text, atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try model.loadKerasWeights(from: text)) { XCTAssertTrue("\($0)".contains("notes.h5"), "\($0)") }
    let missing = scratch.appendingPathComponent("missing.h5").path
    XCTAssertThrowsError(try model.loadKerasWeights(from: missing)) { XCTAssertTrue("\($0)".contains("missing.h5"), "\($0)") }
    let truncated = scratch.appendingPathComponent("truncated.h5").path
    let bytes = try Data(contentsOf: URL(fileURLWithPath: SharedData.path("data/braai/d6_m7.h5")))
    try bytes.prefix(200_000).write(to: URL(fileURLWithPath: truncated))
    XCTAssertThrowsError(try model.loadKerasWeights(from: truncated)) { XCTAssertTrue("\($0)".contains("truncated.h5"), "\($0)") }
    // An HDF5 file that is not a Keras weights file.
    let plain = scratch.appendingPathComponent("plain.h5").path
    try HDF5File.writeAtomically(to: plain) { try $0.writeFloats("/x", shape: [2], values: [1, 2]) }
    XCTAssertThrowsError(try model.loadKerasWeights(from: plain)) { XCTAssertTrue("\($0)".contains("layer_names"), "\($0)") }
  }

  func testNonFiniteWeightsAndInputsAreRejected() throws {
    let model = try VGG6.make()
    let path = scratch.appendingPathComponent("nan.h5").path
    (model.layer(named: "fc_out") as! Dense).kernel!.storage.pointer[3] = .nan
    try model.saveKerasWeights(to: path)
    let fresh = try VGG6.make()
    XCTAssertThrowsError(try fresh.loadKerasWeights(from: path)) { XCTAssertTrue("\($0)".contains("fc_out"), "\($0)") }
    let input = Tensor.zeros([2, 63, 63, 3])
    input.storage.pointer[63 * 63 * 3 + 5] = .nan
    XCTAssertThrowsError(try fresh.predict(input)) { XCTAssertTrue("\($0)".contains("sample 1"), "\($0)") }
  }
}
