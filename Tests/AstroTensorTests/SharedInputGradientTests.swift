import AstroKernels
import AstroTensor
import TestSupport
import XCTest

/// A tensor used by several ops must receive the sum of their gradients.
final class SharedInputGradientTests: XCTestCase {
  func testAddToItself() {
    let x = TestTensors.uniform([3, 4], seed: 600)
    let result = checkGradients("x + x", inputs: [x], step: 5e-2) { try $0[0].adding($0[0]) }
    // d(Σ (x+x) R)/dx = 2R exactly.
    if let g = result?.first { XCTAssertTrue(g.analytic.allSatisfy { $0 != 0 }) }
  }

  func testMultiplyByItself() {
    let x = TestTensors.uniform([3, 4], low: -2, high: 2, seed: 601)
    checkGradients("x * x", inputs: [x], step: 1e-2) { try $0[0].multiplying($0[0]) }
  }

  func testReluTimesInput() {
    let x = TestTensors.awayFromZero([3, 5], minimum: 0.2, seed: 602)
    checkGradients("relu(x) * x", inputs: [x], step: 1e-2) { try $0[0].relu().multiplying($0[0]) }
  }

  func testResidualConvPlusInput() {
    // ResNet identity block shape: conv(x) + x, with the conv keeping the shape.
    let x = TestTensors.uniform([2, 5, 5, 3], seed: 603)
    let k = TestTensors.uniform([3, 3, 3, 3], low: -0.5, high: 0.5, seed: 604)
    let b = TestTensors.uniform([3], seed: 605)
    checkGradients("conv(x) + x", inputs: [x, k, b], step: 5e-2, atol: 2e-3) { t in
      try t[0].conv2D(kernel: t[1], bias: t[2], padding: .same).adding(t[0])
    }
  }

  func testDenseNetConcatenation() {
    // DenseNet: concat([x, conv(x)]) followed by a 1x1 conv that mixes both parts.
    let x = TestTensors.uniform([2, 5, 4, 2], seed: 606)
    let k = TestTensors.uniform([3, 3, 2, 3], low: -0.5, high: 0.5, seed: 607)
    let mix = TestTensors.uniform([1, 1, 5, 2], seed: 608)
    checkGradients("concat([x, conv(x)])", inputs: [x, k, mix], step: 5e-2, atol: 2e-3) { t in
      try Tensor.concatenateLastAxis([t[0], t[0].conv2D(kernel: t[1], padding: .same)]).conv2D(kernel: t[2])
    }
  }

  func testDenseBlockTwoLayers() {
    // Two DenseNet layers: every earlier feature map feeds every later one.
    let x = TestTensors.uniform([2, 4, 4, 2], seed: 609)
    let k1 = TestTensors.uniform([3, 3, 2, 2], low: -0.5, high: 0.5, seed: 610)
    let k2 = TestTensors.uniform([3, 3, 4, 2], low: -0.5, high: 0.5, seed: 611)
    checkGradients("dense block", inputs: [x, k1, k2], step: 5e-2, atol: 2e-3) { t in
      let c1 = try Tensor.concatenateLastAxis([t[0], t[0].conv2D(kernel: t[1], padding: .same)])
      return try Tensor.concatenateLastAxis([c1, c1.conv2D(kernel: t[2], padding: .same)])
    }
  }

  func testParameterUsedByTwoBranches() {
    // The same weight in two matmuls (weight sharing) and an input reused after a reshape.
    let x = TestTensors.uniform([3, 4], seed: 612), w = TestTensors.uniform([4, 4], seed: 613)
    checkGradients("shared weight", inputs: [x, w], step: 5e-2, atol: 2e-3) { t in
      let h = try t[0].matmul(t[1])
      return try h.matmul(t[1]).adding(t[0].reshaped(to: [3, 4]))
    }
  }

  func testSharedInputThroughBatchNormAndResidual() {
    // x feeds both a training BN (whose statistics depend on all of x) and the residual path.
    let x = TestTensors.uniform([2, 3, 3, 2], low: -2, high: 2, seed: 614)
    let gamma = TestTensors.uniform([2], low: 0.5, high: 1.5, seed: 615), beta = TestTensors.uniform([2], seed: 616)
    checkGradients("bn(x) + x", inputs: [x, gamma, beta], step: 5e-3) { t in
      let y = try t[0].batchNormalized(
        gamma: t[1], beta: t[2], movingMean: .zeros([2]), movingVariance: Tensor(repeating: 1, shape: [2]),
        epsilon: 1e-3, momentum: 0.2, training: true)
      return try y.multiplying(t[0]).adding(t[0])
    }
  }
}
