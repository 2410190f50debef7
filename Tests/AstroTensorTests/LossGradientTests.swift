import AstroTensor
import TestSupport
import XCTest

/// Numerical gradient checks of softmax, logSoftmax and the losses (gradient with respect to the logits).
final class LossGradientTests: XCTestCase {
  func testSoftmax() {
    let z = TestTensors.uniform([4, 5], low: -3, high: 3, seed: 500)
    checkGradients("softmax", inputs: [z], step: 5e-3) { try $0[0].softmax() }
  }

  func testSoftmaxRank4() {
    let z = TestTensors.uniform([2, 2, 3, 4], low: -3, high: 3, seed: 501)
    checkGradients("softmax rank 4", inputs: [z], step: 5e-3) { try $0[0].softmax() }
  }

  func testLogSoftmax() {
    let z = TestTensors.uniform([4, 5], low: -3, high: 3, seed: 502)
    checkGradients("logSoftmax", inputs: [z], step: 5e-3) { try $0[0].logSoftmax() }
  }

  func testBinaryCrossEntropy() {
    let z = TestTensors.uniform([8], low: -4, high: 4, seed: 510)
    let y = TestTensors.make([8], [0, 1, 1, 0, 1, 0, 0, 1])
    checkGradients("BCE", inputs: [z], step: 1e-2, atol: 1e-4) { t in
      try Tensor.binaryCrossEntropy(logits: t[0], labels: y)
    }
  }

  func testBinaryCrossEntropyWithWeights() {
    let z = TestTensors.uniform([6, 1], low: -4, high: 4, seed: 511)
    let y = TestTensors.make([6], [1, 0, 1, 0, 1, 1])
    let w = TestTensors.make([6], [0.25, 1, 2, 0.5, 1.5, 0])
    checkGradients("BCE weighted", inputs: [z], step: 1e-2, atol: 1e-4) { t in
      try Tensor.binaryCrossEntropy(logits: t[0], labels: y, weights: w)
    }
  }

  func testBinaryCrossEntropySoftLabels() {
    let z = TestTensors.uniform([5], low: -3, high: 3, seed: 512)
    let y = TestTensors.make([5], [0.1, 0.9, 0.5, 0.3, 1])
    checkGradients("BCE soft labels", inputs: [z], step: 1e-2, atol: 1e-4) { t in
      try Tensor.binaryCrossEntropy(logits: t[0], labels: y)
    }
  }

  func testBinaryCrossEntropyAfterSigmoidFreeChain() {
    // The usual head: Dense -> BCE from logits, gradient into the Dense weights.
    let x = TestTensors.uniform([5, 4], seed: 513), w = TestTensors.uniform([4, 1], seed: 514)
    let y = TestTensors.make([5], [1, 0, 0, 1, 1])
    checkGradients("dense + BCE", inputs: [x, w], step: 1e-2, atol: 1e-4) { t in
      try Tensor.binaryCrossEntropy(logits: t[0].matmul(t[1]), labels: y)
    }
  }

  func testCategoricalCrossEntropyOneHot() {
    let z = TestTensors.uniform([4, 3], low: -3, high: 3, seed: 520)
    let t = TestTensors.make([4, 3], [1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1])
    checkGradients("CCE one-hot", inputs: [z], step: 1e-2, atol: 1e-4) { x in
      try Tensor.categoricalCrossEntropy(logits: x[0], targets: t)
    }
  }

  func testCategoricalCrossEntropySoftTargetsAndWeights() {
    let z = TestTensors.uniform([3, 4], low: -3, high: 3, seed: 521)
    let t = TestTensors.make([3, 4], [0.7, 0.1, 0.1, 0.1, 0, 0.5, 0.5, 0, 0.25, 0.25, 0.25, 0.25])
    let w = TestTensors.make([3], [2, 0.5, 1])
    checkGradients("CCE soft weighted", inputs: [z], step: 1e-2, atol: 1e-4) { x in
      try Tensor.categoricalCrossEntropy(logits: x[0], targets: t, weights: w)
    }
  }

  func testCategoricalCrossEntropyUnnormalisedTargets() {
    // Targets summing to 2 (label smoothing gone wrong, or multi-label): the gradient uses Σt.
    let z = TestTensors.uniform([2, 3], low: -2, high: 2, seed: 522)
    let t = TestTensors.make([2, 3], [1, 1, 0, 0.5, 0, 1])
    checkGradients("CCE unnormalised targets", inputs: [z], step: 1e-2, atol: 1e-4) { x in
      try Tensor.categoricalCrossEntropy(logits: x[0], targets: t)
    }
  }

  func testMultiLabelBinaryCrossEntropy() throws {
    let z = TestTensors.uniform([4, 3], low: -4, high: 4, seed: 520)
    let y = TestTensors.make([4, 3], [0, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 0])
    let w = TestTensors.make([4], [1, 0.5, 2, 1])
    checkGradients("multi-label BCE", inputs: [z], step: 1e-2, atol: 1e-4) { t in
      try Tensor.binaryCrossEntropy(logits: t[0], labels: y, weights: w)
    }
    // Keras: the mean over the K outputs of each sample, then the weighted sum over samples / N.
    let logits = TestTensors.make([2, 2], [0, 2, -1, 0]), labels = TestTensors.make([2, 2], [1, 0, 0, 1])
    let l = { (z: Double, y: Double) in max(z, 0) - z * y + log1p(exp(-abs(z))) }
    let expected = ((l(0, 1) + l(2, 0)) / 2 + (l(-1, 0) + l(0, 1)) / 2) / 2
    XCTAssertEqual(Double(try Tensor.binaryCrossEntropy(logits: logits, labels: labels).scalarValue), expected, accuracy: 1e-6)
  }

  func testSparseCategoricalCrossEntropy() throws {
    let z = TestTensors.uniform([4, 5], low: -3, high: 3, seed: 521)
    let labels = TestTensors.make([4], [0, 4, 2, 2])
    checkGradients("sparse CCE", inputs: [z], step: 1e-2, atol: 1e-4) { x in
      try Tensor.sparseCategoricalCrossEntropy(logits: x[0], labels: labels, weights: TestTensors.make([4], [1, 2, 1, 0.5]))
    }
    // Equal to the categorical loss of the one-hot targets.
    var oneHot = [Float](repeating: 0, count: 20)
    for (i, c) in [0, 4, 2, 2].enumerated() { oneHot[i * 5 + c] = 1 }
    XCTAssertEqual(
      try Tensor.sparseCategoricalCrossEntropy(logits: z, labels: labels).scalarValue,
      try Tensor.categoricalCrossEntropy(logits: z, targets: TestTensors.make([4, 5], oneHot)).scalarValue)
    XCTAssertThrowsError(try Tensor.sparseCategoricalCrossEntropy(logits: z, labels: TestTensors.make([4], [0, 5, 1, 1]))) {
      XCTAssertTrue("\($0)".contains("label 5.0 of sample 1 is not a class index in 0..<5"), "\($0)")
    }
  }
}
