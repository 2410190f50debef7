import AstroInt8
import AstroIO
import AstroKernels
import AstroNN
import AstroQuantization
import AstroTensor
import AstroTFLite
import TestSupport
import XCTest

/// Post-training quantization of a small model with every lowering: conv + BN folded + ReLU, residual ADD, pools,
/// concatenation (shared scales), standalone BN (MUL/ADD), zero padding, global average pooling, dense + sigmoid.
final class PostTrainingQuantizationTests: XCTestCase {
  static func makeModel() throws -> Model {
    let b = ModelBuilder(name: "mixed", inputs: [(name: "image", shape: [12, 12, 3])], seed: 5)
    let x = b.input
    let a = try b.apply(ActivationLayer(.relu), [try b.apply(BatchNormalization(), [try b.apply(Conv2D(8, kernelSize: (3, 3), padding: .same), [x])])])
    let shortcut = try b.apply(Conv2D(8, kernelSize: (1, 1)), [x])
    let residual = try b.apply(ActivationLayer(.relu), [try b.apply(Add(), [a, shortcut])])
    let pooled = try b.apply(MaxPooling2D((2, 2)), [residual])
    let side = try b.apply(AveragePooling2D((2, 2)), [try b.apply(Conv2D(4, kernelSize: (1, 1), activation: .relu), [x])])
    let joined = try b.apply(Concatenate(), [pooled, side])
    let normalised = try b.apply(ActivationLayer(.relu), [try b.apply(BatchNormalization(), [joined])])
    let padded = try b.apply(ZeroPadding2D(top: 1, bottom: 1, left: 1, right: 1), [normalised])
    let reduced = try b.apply(Conv2D(6, kernelSize: (3, 3), strides: (2, 2), activation: .relu), [padded])
    let features = try b.apply(Dense(8, activation: .relu), [try b.apply(GlobalAveragePooling2D(), [reduced])])
    let output = try b.apply(Dense(1, activation: .sigmoid), [try b.apply(Dropout(0.3), [features])])
    let model = try b.model(outputs: [output])
    // Batch-normalisation statistics that are not the identity, so folding and MUL/ADD matter.
    var generator = SeededGenerator(seed: 11)
    for case let bn as BatchNormalization in model.layers {
      let c = bn.movingMean!.count
      try bn.movingMean!.assign(Tensor.uniform([c], low: -0.3, high: 0.3, generator: &generator))
      try bn.movingVariance!.assign(Tensor.uniform([c], low: 0.5, high: 2, generator: &generator))
      try bn.gamma!.assign(Tensor.uniform([c], low: 0.5, high: 1.5, generator: &generator))
      try bn.beta!.assign(Tensor.uniform([c], low: -0.2, high: 0.2, generator: &generator))
    }
    return model
  }

  static func inputs(_ count: Int, seed: UInt64) -> Tensor {
    var generator = SeededGenerator(seed: seed)
    return Tensor.normal([count, 12, 12, 3], generator: &generator)
  }

  func testQuantizedModelTracksTheFloatModel() throws {
    let model = try Self.makeModel()
    let quantized = try PostTrainingQuantization.quantize(model, calibration: [Self.inputs(64, seed: 1)])
    let names = quantized.graph.operators.map(\.operation.name)
    for op in ["CONV_2D", "ADD", "MAX_POOL_2D", "AVERAGE_POOL_2D", "CONCATENATION", "MUL", "PAD", "MEAN", "FULLY_CONNECTED", "LOGISTIC"] {
      XCTAssertTrue(names.contains(op), "\(op) missing from \(names)")
    }
    XCTAssertEqual(names.filter { $0 == "CONV_2D" }.count, 4, "the first BN folded into its convolution")
    // The concatenation's inputs and output share one scale and zero point (LiteRT's int8 rule).
    let concat = try XCTUnwrap(quantized.graph.operators.first { $0.operation.name == "CONCATENATION" })
    let shared = Set((concat.inputs + concat.outputs).map { quantized.graph.tensors[$0].quantization!.scale })
    XCTAssertEqual(shared.count, 1)

    let test = Self.inputs(128, seed: 2)
    let expected = try model.predict(test).values
    let got = try quantized.predict([test])[0].values
    let worst = zip(expected, got).map { abs($0 - $1) }.max()!
    XCTAssertLessThan(worst, 0.03, "largest |Δ| of the sigmoid output over 128 held-out inputs")

    let report = try quantized.report(on: [Self.inputs(32, seed: 3)])
    XCTAssertTrue(report.rows.contains { $0.layer == "conv2d" })
    XCTAssertTrue(report.rows.allSatisfy { $0.relativeError < 0.2 }, report.markdown())
    XCTAssertTrue(report.markdown().contains("| dense_1 | dense_1 | fixed | 0.00390625 | -128 |"), report.markdown())
  }

  func testMethodsAndIOTypes() throws {
    let model = try Self.makeModel()
    let calibration = [Self.inputs(32, seed: 4)]
    let test = Self.inputs(16, seed: 5)
    let reference = try PostTrainingQuantization.quantize(model, calibration: calibration).predict([test])[0].values
    for ioType in [QuantizedIOType.uint8, .float32] {
      let quantized = try PostTrainingQuantization.quantize(model, calibration: calibration, options: QuantizationOptions(ioType: ioType))
      let inputType = quantized.graph.tensors[quantized.graph.inputs[0]].type
      XCTAssertEqual(inputType, ioType == .uint8 ? .uint8 : .float32)
      // The boundary conversions are exact: the same scores as int8 I/O.
      XCTAssertEqual(try quantized.predict([test])[0].values, reference, "\(ioType)")
    }
    for method in [CalibrationMethod.minMax, .percentile(0.999)] {
      let quantized = try PostTrainingQuantization.quantize(model, calibration: calibration, options: QuantizationOptions(method: method))
      let worst = zip(try model.predict(test).values, try quantized.predict([test])[0].values).map { abs($0 - $1) }.max()!
      XCTAssertLessThan(worst, 0.05, "\(method)")
    }
  }

  func testSoftmaxClassifierAndUnsupportedLayers() throws {
    let model = try ModelBuilder.sequential(name: "soft", inputShape: [4], seed: 1, [Dense(8, activation: .relu), Dense(3, activation: .softmax)])
    var generator = SeededGenerator(seed: 2)
    let x = Tensor.normal([64, 4], generator: &generator)
    let quantized = try PostTrainingQuantization.quantize(model, calibration: [x])
    XCTAssertEqual(quantized.graph.operators.last?.operation, .softmax(beta: 1))
    let worst = zip(try model.predict(x).values, try quantized.predict([x])[0].values).map { abs($0 - $1) }.max()!
    XCTAssertLessThan(worst, 0.03)

    let tanh = try ModelBuilder.sequential(name: "tanh", inputShape: [4], seed: 1, [Dense(3, activation: .tanh)])
    XCTAssertThrowsError(try PostTrainingQuantization.quantize(tanh, calibration: [x])) { error in
      XCTAssertTrue("\(error)".contains("dense"), "\(error)")
      XCTAssertTrue("\(error)".contains("tanh"), "\(error)")
    }
    let wrong = Tensor(repeating: 0.5, shape: [2, 5])
    XCTAssertThrowsError(try PostTrainingQuantization.quantize(model, calibration: [wrong])) { error in
      XCTAssertTrue("\(error)".contains("[2, 5]"), "\(error)")
    }
  }

  func testLiteRTRunsTheQuantizedModelToTheSameBytes() throws {
    _ = try LiteRTReference.python()
    let quantized = try PostTrainingQuantization.quantize(try Self.makeModel(), calibration: [Self.inputs(32, seed: 6)])
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ptq-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let modelPath = folder.appendingPathComponent("mixed.tflite").path
    try TFLiteWriter.write(quantized.graph, to: modelPath)
    let input = try QuantizedModelInputs.int8(quantized, Self.inputs(8, seed: 7))
    try NpyArray(shape: input.shape, int8s: input.int8s).write(to: folder.appendingPathComponent("in.npy").path)
    let litert = try XCTUnwrap(try LiteRTReference.run(
      model: modelPath, input: folder.appendingPathComponent("in.npy").path, output: folder.appendingPathComponent("out.npy").path))
    XCTAssertEqual([UInt8](litert.data), try quantized.interpreter.run([input])[0].bytes)
  }
}

/// Quantized inputs for a graph with int8 inputs.
enum QuantizedModelInputs {
  static func int8(_ model: QuantizedModel, _ x: Tensor) throws -> TensorValues {
    let q = model.graph.tensors[model.graph.inputs[0]].quantization!
    let levels = x.values.map { Int8(max(-128, min(127, ($0 / q.scale).rounded(.toNearestOrAwayFromZero) + Float(q.zeroPoint)))) }
    return try TensorValues(shape: x.shape, int8s: levels)
  }
}
