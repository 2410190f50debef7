import AstroIO
import AstroNN
import AstroONNX
import AstroTensor
import Braai
import Foundation
import TestSupport
import XCTest

/// Models with every weight random (moving variances positive), so a transposed kernel or a swapped BN
/// parameter cannot hide behind zeros and ones.
func randomizeWeights(_ model: Model, seed: UInt64) throws {
  for (k, (name, weight)) in zip(model.weightNames, model.weights).enumerated() {
    let values = name.hasSuffix("moving_variance")
      ? TestTensors.uniform(weight.shape, low: 0.5, high: 1.5, seed: seed &+ UInt64(k))
      : TestTensors.uniform(weight.shape, low: -0.5, high: 0.5, seed: seed &+ UInt64(k))
    try weight.assign(values)
  }
}

/// A model with every exportable layer: same/valid/strided convolutions, BN on images and vectors, both
/// poolings with same padding, zero padding, a shortcut Add, channel Concatenate, Flatten in Keras' order,
/// Dense layers with every activation, Dropout, and a second (vector) input.
func everyLayerModel() throws -> Model {
  let b = ModelBuilder(name: "every_layer", inputs: [("image", [13, 11, 3]), ("features", [5])], seed: 3)
  var x = try b(ZeroPadding2D(top: 1, bottom: 2, left: 0, right: 1), b.inputs[0])
  x = try b(Conv2D(4, kernelSize: (3, 3), strides: (2, 1), padding: .same, activation: .relu), x)
  let shortcut = x
  x = try b(Conv2D(4, kernelSize: (3, 2), padding: .same), x)
  x = try b(BatchNormalization(epsilon: 1e-3), x)
  x = try b(ActivationLayer(.tanh), x)
  x = try b(Add(), x, shortcut)
  let branch = try b(AveragePooling2D((3, 3), strides: (2, 2), padding: .same), x)
  x = try b(MaxPooling2D((2, 2), strides: (2, 2), padding: .same), x)
  x = try b(Concatenate(), x, branch)
  x = try b(Conv2D(6, kernelSize: (2, 2), activation: .sigmoid), x)
  let pooled = try b(GlobalAveragePooling2D(), x)
  x = try b(Flatten(), x)
  x = try b(Dropout(0.5), x)
  var f = try b(BatchNormalization(), b.inputs[1])
  f = try b(Dense(7, activation: .relu), f)
  x = try b(Concatenate(axis: 1), x, f, pooled)
  let probabilities = try b(Dense(3, activation: .softmax, name: "probabilities"), x)
  let score = try b(Dense(1, activation: .sigmoid, name: "score"), x)
  let model = try b.model(outputs: [score, probabilities])
  try randomizeWeights(model, seed: 11)
  return model
}

/// braai triplets of the real alerts: the 44 shared packets when ../shared is there, else the bundled ones.
func realAlertTriplets() throws -> Tensor {
  let alerts = (try? SharedData.path("data/ztf-alerts")) ?? SharedData.packageRoot.appendingPathComponent("Datasets/ztf-alerts").path
  let (items, failures) = AlertScorer(model: try BraaiModel()).triplets(files: try AlertScorer.avroFiles(in: [alerts]))
  XCTAssertTrue(failures.isEmpty, "\(failures)")
  return try Tensor(shape: [items.count, 63, 63, 3], values: items.flatMap(\.triplet))
}

/// Runs `.onnx` files with onnx's checker and onnxruntime through the peer venv (Fixtures/onnx_run.py).
enum ONNXRuntime {
  /// The Python found by the first call (probing imports onnxruntime, which takes a second).
  nonisolated(unsafe) private static var found: String?
  static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/onnx_run.py").path

  /// A Python with onnx and onnxruntime (the peer venv, or the one `make test` installs in .build/onnx-venv),
  /// or an `XCTSkip` saying how to get one.
  static func python() throws -> String {
    if let found = found { return found }
    let candidates = [SharedData.peerPython, SharedData.packageRoot.appendingPathComponent(".build/onnx-venv/bin/python").path]
    for python in candidates where FileManager.default.isExecutableFile(atPath: python) {
      if try runExecutable(python, ["-c", "import onnx, onnxruntime"]).status == 0 {
        found = python
        return python
      }
    }
    throw XCTSkip(
      "onnx and onnxruntime are not installed: `make test` installs them in .build/onnx-venv, or run ../shared/peers/setup.sh (PEERS_VENV)")
  }

  struct Result {
    let outputs: [String: NpyArray]
    let report: [String: Any]
  }

  /// Checks `model` (full_check) and runs it on `inputs` (name → array); fails the test when either fails.
  static func run(_ model: String, inputs: [String: Tensor], in folder: URL, level: String = "all") throws -> Result {
    let python = try python()
    var arguments = [script, model, folder.path, "--level", level]
    for (name, tensor) in inputs {
      let path = folder.appendingPathComponent("in_\(name.replacingOccurrences(of: "/", with: "_")).npy").path
      try tensor.npyArray().write(to: path)
      arguments.append("\(name)=\(path)")
    }
    let run = try runExecutable(python, arguments)
    guard run.status == 0 else {
      XCTFail("onnx checker / onnxruntime refused \(model): \(run.stderr.suffix(3000))")
      throw XCTSkip("see the failure above")
    }
    let report = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any] ?? [:]
    var outputs: [String: NpyArray] = [:]
    for name in report["outputs"] as? [String] ?? [] where !inputs.isEmpty {
      outputs[name] = try NpyArray.read(path: folder.appendingPathComponent(name.replacingOccurrences(of: "/", with: "_") + ".npy").path)
    }
    return Result(outputs: outputs, report: report)
  }
}

/// The `onnx` wheel's own test cases (model.onnx with input_*.pb and output_*.pb), from whichever venv has them.
enum ONNXTestCases {
  static func folder() throws -> URL {
    let python = try ONNXRuntime.python()
    let venv = URL(fileURLWithPath: python).deletingLastPathComponent().deletingLastPathComponent()
    let lib = venv.appendingPathComponent("lib")
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: lib.path)) ?? [] where entry.hasPrefix("python") {
      let data = lib.appendingPathComponent("\(entry)/site-packages/onnx/backend/test/data")
      if FileManager.default.fileExists(atPath: data.path) { return data }
    }
    throw XCTSkip("the onnx wheel's test data (onnx/backend/test/data) is not in \(venv.path)")
  }
}
