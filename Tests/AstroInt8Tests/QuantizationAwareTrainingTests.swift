import AstroInt8
import AstroNN
import AstroQuantization
import AstroTensor
import TestSupport
import XCTest

final class QuantizationAwareTrainingTests: XCTestCase {
  func testFakeQuantizationRoundsToTheInt8GridAndPassesGradientsInsideTheRange() throws {
    // Range [-1, 1]: scale 2/255, zero point round(−128 + 127.5) = 0 (half away from zero: −0.5 → −1 ... here 0).
    let x = try Tensor(shape: [5], values: [-2, -0.5, 0.3, 0.9, 3], requiresGradient: true)
    let y = x.fakeQuantized(low: -1, high: 1)
    let scale: Float = 2 / 255
    let zeroPoint = (-128 + 1 / scale).rounded(.toNearestOrAwayFromZero)
    let expected = [Float(-2), -0.5, 0.3, 0.9, 3].map { v -> Float in
      (max(-128, min(127, (v / scale).rounded(.toNearestOrAwayFromZero) + zeroPoint)) - zeroPoint) * scale
    }
    XCTAssertEqual(y.values, expected)
    XCTAssertEqual(y.values[0], (-128 - zeroPoint) * scale, "clipped below")
    try y.sum().backward()
    XCTAssertEqual(x.gradient?.values, [0, 1, 1, 1, 0], "straight-through inside the range, zero where clipped")

    let w = try Tensor(shape: [2, 2], values: [0.5, -0.02, -1, 0.013], requiresGradient: true)
    let q = w.fakeQuantizedSymmetric(perLastAxis: true)
    // Column 0: max 1 → scale 1/127; column 1: max 0.02 → scale 0.02/127.
    XCTAssertEqual(q.values[0], (0.5 * 127).rounded(.toNearestOrAwayFromZero) / 127, accuracy: 1e-7)
    XCTAssertEqual(q.values[3], (0.013 / (0.02 / 127)).rounded(.toNearestOrAwayFromZero) * (0.02 / 127), accuracy: 1e-9)
    try q.sum().backward()
    XCTAssertEqual(w.gradient?.values, [1, 1, 1, 1])
  }

  func testTrainingSimulatesTheExportedInt8Graph() throws {
    let (images, labels) = ToyData.blobsVersusHotPixels(count: 256, shape: [16, 16, 1], seed: 3)
    let data = try Dataset(inputs: [images], targets: [labels])
    let model = try ModelBuilder.sequential(name: "toy", inputShape: [16, 16, 1], seed: 4, [
      Conv2D(8, kernelSize: (3, 3), activation: .relu), MaxPooling2D((2, 2)), Conv2D(8, kernelSize: (3, 3), activation: .relu),
      GlobalAveragePooling2D(), Dense(1, activation: .sigmoid),
    ])
    var configuration = TrainingConfiguration()
    configuration.epochs = 3
    configuration.progress = .silent
    try Trainer(model: model, optimizer: Adam(learningRate: 3e-3), configuration: configuration).fit(data)

    let calibration = try images.slice(along: 0, 0..<32)
    let qat = try QuantizationAwareTraining(model, calibration: [calibration])
    configuration.epochs = 1
    try Trainer(model: qat.trainingModel, optimizer: Adam(learningRate: 1e-3), configuration: configuration).fit(data)
    let exported = try qat.export(calibration: [calibration])
    XCTAssertTrue(try exported.report(on: [calibration]).rows.contains { $0.method == "qat" })

    // The simulation is the exported arithmetic (no batch normalisation here), up to int32 accumulation order and
    // the sigmoid's 1/256 output grid.
    let simulated = try qat.trainingModel.predict(images).values
    let int8 = try exported.predict([images])[0].values
    let gap = zip(simulated, int8).map { abs($0 - $1) }.max()!
    XCTAssertLessThan(gap, 0.03, "fake-quantized training graph against the int8 interpreter")
    // And it is closer to the int8 graph than the float model with the same weights is.
    let floatGap = zip(try model.predict(images).values, int8).map { abs($0 - $1) }.max()!
    print("QAT: simulation vs int8 max |Δ| \(gap), float vs int8 \(floatGap)")
    XCTAssertLessThan(gap, floatGap)
    let accuracy = zip(int8, labels.values).filter { ($0 >= 0.5) == ($1 >= 0.5) }.count
    XCTAssertGreaterThan(accuracy, 200, "int8 accuracy after quantization-aware fine-tuning (of 256)")
  }
}
