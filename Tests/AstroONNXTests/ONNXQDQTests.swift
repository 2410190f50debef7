import AstroInt8
import AstroIO
import AstroNN
import AstroONNX
import AstroQuantization
import AstroTFLite
import AstroTensor
import Braai
import Foundation
import TestSupport
import XCTest

/// Int8 models as ONNX QDQ, checked by onnx's checker and run by onnxruntime against our int8 engine.
///
/// ONNX defines a QDQ graph by its float operators between QuantizeLinear/DequantizeLinear (round half to even,
/// float rescaling); the engine is LiteRT's integer arithmetic (fixed-point rescaling). Each operator therefore
/// agrees within one quantization step, and differences of a step can grow through later layers.
final class ONNXQDQTests: XCTestCase {
  struct Agreement {
    /// The largest difference, in quantization steps of the output.
    let steps: Float
    /// The share of outputs exactly equal.
    let equal: Double
    /// The largest absolute difference.
    let absolute: Float
  }

  /// Exports `graph` as QDQ, runs onnxruntime (`level` basic: the QDQ graph as written; all: fused integer
  /// kernels) on `inputs` and compares each output with the interpreter's.
  func compare(_ graph: QuantizedGraph, _ inputs: [Tensor], level: String = "basic") throws -> Agreement {
    _ = try ONNXRuntime.python()
    let folder = try TemporaryFolder("onnx-qdq")
    let path = folder.url.appendingPathComponent("qdq.onnx").path
    let file = try ONNXExporter.exportQDQ(graph)
    XCTAssertTrue(file.graph.nodes.contains { $0.opType == "QuantizeLinear" })
    try file.write(to: path)
    let names = file.graph.inputs.map(\.name)
    let result = try ONNXRuntime.run(path, inputs: Dictionary(uniqueKeysWithValues: zip(names, inputs)), in: folder.url, level: level)
    let ours = try Int8Interpreter(graph).run(floats: inputs.map { ($0.values, $0.shape) })
    var steps: Float = 0, absolute: Float = 0, equal = 0, total = 0
    for (k, index) in graph.outputs.enumerated() {
      let t = graph.tensors[index]
      let theirs = try XCTUnwrap(result.outputs[t.name], "no output '\(t.name)'").floats()
      XCTAssertEqual(theirs.count, ours[k].values.count)
      for (a, b) in zip(theirs, ours[k].values) {
        absolute = max(absolute, abs(a - b))
        steps = max(steps, abs(a - b) / (t.quantization?.scale ?? 1))
        equal += a == b ? 1 : 0
        total += 1
      }
    }
    return Agreement(steps: steps, equal: Double(equal) / Double(max(total, 1)), absolute: absolute)
  }

  /// One requantizing operator per model: onnxruntime's QDQ result within one quantization step of the engine's.
  func testEachOperatorWithinOneStep() throws {
    let image = [9, 9, 3]
    let cases: [(String, [(String, [Int])], (ModelBuilder) throws -> [Symbol])] = [
      ("conv same relu", [("x", image)], { b in [try b(Conv2D(8, kernelSize: (3, 3), padding: .same, activation: .relu), b.inputs[0])] }),
      ("conv strided", [("x", image)], { b in [try b(Conv2D(4, kernelSize: (3, 3), strides: (2, 2)), b.inputs[0])] }),
      ("max pool", [("x", image)], { b in [try b(MaxPooling2D((2, 2), padding: .same), b.inputs[0])] }),
      ("average pool", [("x", image)], { b in [try b(AveragePooling2D((3, 3), strides: (2, 2), padding: .same), b.inputs[0])] }),
      ("global average", [("x", image)], { b in [try b(GlobalAveragePooling2D(), b.inputs[0])] }),
      ("zero padding", [("x", image)], { b in [try b(ZeroPadding2D(1, 2), b.inputs[0])] }),
      ("flatten dense relu", [("x", image)], { b in [try b(Dense(6, activation: .relu), try b(Flatten(), b.inputs[0]))] }),
      ("dense sigmoid", [("v", [12])], { b in [try b(Dense(1, activation: .sigmoid), b.inputs[0])] }),
      ("dense softmax", [("v", [12])], { b in [try b(Dense(4, activation: .softmax), b.inputs[0])] }),
      ("add", [("x", image), ("y", image)], { b in [try b(Add(), b.inputs[0], b.inputs[1])] }),
      ("concatenate", [("x", image), ("y", image)], { b in [try b(Concatenate(), b.inputs[0], b.inputs[1])] }),
    ]
    for (k, (label, inputs, body)) in cases.enumerated() {
      let b = ModelBuilder(name: "one_op", inputs: inputs, seed: UInt64(k))
      let model = try b.model(outputs: try body(b))
      try randomizeWeights(model, seed: UInt64(100 + k))
      let samples = inputs.enumerated().map { TestTensors.uniform([16] + $0.element.1, seed: UInt64(10 * k + $0.offset)) }
      let quantized = try PostTrainingQuantization.quantize(model, calibration: samples, options: QuantizationOptions(method: .minMax))
      let agreement = try compare(quantized.graph, samples)
      XCTAssertLessThanOrEqual(agreement.steps, 1.001, "\(label): onnxruntime's QDQ and the int8 engine differ by \(agreement.steps) steps")
      XCTAssertGreaterThan(agreement.equal, 0.9, "\(label): \(agreement.equal) of outputs equal")
    }
  }

  /// Whole models: d6_m7 quantized here and by TensorFlow, BTSbot (two inputs, a folded batch norm as Mul and
  /// Add with constants), ResNet18 (residual Adds). Differences of a step compound through the layers.
  func testWholeModels() throws {
    let triplets = try realAlertTriplets()
    let d6m7 = try PostTrainingQuantization.quantize(try BraaiModel().model, calibration: [try triplets.batch(0..<10)])
    let ours = try compare(d6m7.graph, [triplets])
    let fused = try compare(d6m7.graph, [triplets], level: "all")
    print(String(format: "d6_m7 QDQ on %d real alerts: max |Δscore| %.4f (%.0f steps), %.0f%% equal; fused integer kernels %.4f",
                 triplets.shape[0], ours.absolute, ours.steps, ours.equal * 100, fused.absolute))
    XCTAssertLessThanOrEqual(ours.absolute, 0.04)
    XCTAssertGreaterThan(ours.equal, 0.5)
    // TensorFlow's own int8 conversion (shape computations before its reshape), when ../shared is there.
    if let tfFile = try? SharedData.path("reference/tflite/d6_m7.tf-int8.tflite") {
      let tf = try compare(try TFLiteModel.read(path: tfFile).graph, [triplets])
      print(String(format: "TF's int8 d6_m7 as QDQ: max |Δscore| %.4f", tf.absolute))
      XCTAssertLessThanOrEqual(tf.absolute, 0.04)
    }

    let bts = try Model.loadKeras(from: SharedData.packageRoot.appendingPathComponent("Datasets/btsbot/btsbot_v1.0.1.h5").path)
    let triplet = TestTensors.uniform([8, 63, 63, 3], low: 0, high: 0.05, seed: 1)
    let metadata = TestTensors.uniform([8, 25], low: -1, high: 1, seed: 2)
    let btsAgreement = try compare(try PostTrainingQuantization.quantize(bts, calibration: [triplet, metadata]).graph, [triplet, metadata])
    XCTAssertLessThanOrEqual(btsAgreement.absolute, 0.04, "BTSbot")

    let resnet = try ResNet.resnet18(inputShape: [64, 64, 1], seed: 5)
    try randomizeWeights(resnet, seed: 6)
    let x = TestTensors.uniform([6, 64, 64, 1], seed: 7)
    let resnetAgreement = try compare(try PostTrainingQuantization.quantize(resnet, calibration: [x]).graph, [x])
    XCTAssertLessThanOrEqual(resnetAgreement.absolute, 0.05, "ResNet18")
  }
}
