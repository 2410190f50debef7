import AstroTensor
import TestSupport
import XCTest

/// Gradient checks of the fused ops the models use: BatchNormalization + ReLU and Add + ReLU.
final class FusedActivationGradientTests: XCTestCase {
  func testBatchNormWithReLUInTrainingAndInference() throws {
    let c = 3
    let x = TestTensors.uniform([2, 4, 3, c], low: -2, high: 2, seed: 500)
    let gamma = TestTensors.uniform([c], low: 0.5, high: 1.5, seed: 501)
    let beta = TestTensors.uniform([c], low: -0.5, high: 0.5, seed: 502)
    let mm = TestTensors.uniform([c], seed: 503), mv = TestTensors.uniform([c], low: 0.5, high: 2, seed: 504)
    for training in [true, false] {
      // Leave out outputs whose pre-activation sits within reach of the ReLU kink of a finite difference.
      let pre = try withoutGradients {
        try x.batchNormalized(
          gamma: gamma, beta: beta, movingMean: mm.copy(), movingVariance: mv.copy(), epsilon: 1e-3, momentum: 0.2,
          training: training)
      }
      let awayFromKink = pre.values.map { abs($0) > 0.05 }
      _ = checkGradients("batchNorm+relu training=\(training)", inputs: [x, gamma, beta], step: 2e-3, outputMask: awayFromKink) { t in
        try t[0].batchNormalized(
          gamma: t[1], beta: t[2], movingMean: mm.copy(), movingVariance: mv.copy(), epsilon: 1e-3, momentum: 0.2,
          training: training, relu: true)
      }
    }
  }

  func testBatchNormWithReLUEqualsSeparateOps() throws {
    let x = TestTensors.uniform([3, 5, 5, 4], low: -2, high: 2, seed: 510)
    let gamma = TestTensors.uniform([4], low: 0.5, high: 1.5, seed: 511), beta = TestTensors.uniform([4], seed: 512)
    let fused = try x.batchNormalized(
      gamma: gamma, beta: beta, movingMean: Tensor.zeros([4]), movingVariance: Tensor(repeating: 1, shape: [4]),
      epsilon: 1e-3, momentum: 0.2, training: true, relu: true)
    let separate = try x.batchNormalized(
      gamma: gamma, beta: beta, movingMean: Tensor.zeros([4]), movingVariance: Tensor(repeating: 1, shape: [4]),
      epsilon: 1e-3, momentum: 0.2, training: true
    ).relu()
    assertClose(fused.values, separate.values, atol: 1e-6, rtol: 1e-6)
  }

  func testAddingThenReLU() throws {
    let a = TestTensors.uniform([2, 3, 3, 2], low: -1, high: 1, seed: 520)
    let b = TestTensors.uniform([2, 3, 3, 2], low: -1, high: 1, seed: 521)
    let sum = try a.adding(b).values, double = try a.adding(a).values
    _ = checkGradients("add+relu", inputs: [a, b], step: 1e-3, outputMask: sum.map { abs($0) > 0.01 }) { t in
      try t[0].addingThenRelu(t[1])
    }
    _ = checkGradients("add+relu shared input", inputs: [a], step: 1e-3, outputMask: double.map { abs($0) > 0.01 }) { t in
      try t[0].addingThenRelu(t[0])
    }
    assertClose(try a.addingThenRelu(b).values, try a.adding(b).relu().values, atol: 0, rtol: 0)
  }
}
