import AstroTensor
import TestSupport
import XCTest

/// Numerical gradient checks of BatchNormalization (training and inference) and dropout.
final class NormalizationGradientTests: XCTestCase {
  /// Batch norm with fresh copies of the moving statistics on every call (training mutates them).
  func bn(
    _ x: Tensor, gamma: Tensor?, beta: Tensor?, movingMean: Tensor, movingVariance: Tensor, training: Bool,
    epsilon: Float = 1e-3
  ) throws -> Tensor {
    try x.batchNormalized(
      gamma: gamma, beta: beta, movingMean: movingMean.copy(), movingVariance: movingVariance.copy(),
      epsilon: epsilon, momentum: 0.2, training: training)
  }

  func testTrainingModeGradients() {
    let c = 3
    let x = TestTensors.uniform([2, 4, 3, c], low: -2, high: 2, seed: 400)
    let gamma = TestTensors.uniform([c], low: 0.5, high: 1.5, seed: 401)
    let beta = TestTensors.uniform([c], seed: 402)
    let mm = TestTensors.uniform([c], seed: 403), mv = TestTensors.uniform([c], low: 0.5, high: 2, seed: 404)
    checkGradients("batchNorm training x/gamma/beta", inputs: [x, gamma, beta], step: 5e-3) { t in
      try self.bn(t[0], gamma: t[1], beta: t[2], movingMean: mm, movingVariance: mv, training: true)
    }
  }

  func testTrainingModeOnRankTwoInput() {
    // BN after a Dense layer: [N, C].
    let x = TestTensors.uniform([6, 4], low: -2, high: 2, seed: 405)
    let gamma = TestTensors.uniform([4], low: 0.5, high: 1.5, seed: 406), beta = TestTensors.uniform([4], seed: 407)
    let mm = Tensor.zeros([4]), mv = Tensor(repeating: 1, shape: [4])
    checkGradients("batchNorm training rank 2", inputs: [x, gamma, beta], step: 5e-3) { t in
      try self.bn(t[0], gamma: t[1], beta: t[2], movingMean: mm, movingVariance: mv, training: true)
    }
  }

  func testTrainingModeWithoutGammaAndBeta() {
    let x = TestTensors.uniform([3, 3, 2, 2], low: -2, high: 2, seed: 408)
    let mm = Tensor.zeros([2]), mv = Tensor(repeating: 1, shape: [2])
    checkGradients("batchNorm training no affine", inputs: [x], step: 5e-3) { t in
      try self.bn(t[0], gamma: nil, beta: nil, movingMean: mm, movingVariance: mv, training: true)
    }
  }

  func testTrainingModeBetaOnly() {
    // center=True, scale=False: the gradient list is [dx, dbeta].
    let x = TestTensors.uniform([3, 3, 2, 2], low: -2, high: 2, seed: 409)
    let beta = TestTensors.uniform([2], seed: 410)
    let mm = Tensor.zeros([2]), mv = Tensor(repeating: 1, shape: [2])
    checkGradients("batchNorm training beta only", inputs: [x, beta], step: 5e-3) { t in
      try self.bn(t[0], gamma: nil, beta: t[1], movingMean: mm, movingVariance: mv, training: true)
    }
  }

  func testTrainingModeManyRowsSplitOverWorkers() {
    // 3*16*16 = 768 rows x 24 channels: over the row threshold of the parallel statistics and gradient loops.
    let c = 24
    let x = TestTensors.uniform([3, 16, 16, c], low: -2, high: 2, seed: 411)
    let gamma = TestTensors.uniform([c], low: 0.5, high: 1.5, seed: 412), beta = TestTensors.uniform([c], seed: 413)
    let mm = Tensor.zeros([c]), mv = Tensor(repeating: 1, shape: [c])
    // Differentiate with respect to gamma and beta numerically (x has 18k elements); x is checked on
    // smaller shapes above, and here via a rank-1 summary of its analytic gradient below.
    checkGradients("batchNorm training many rows gamma/beta", inputs: [gamma, beta], step: 5e-3) { t in
      try self.bn(x, gamma: t[0], beta: t[1], movingMean: mm, movingVariance: mv, training: true)
    }
    // The input gradient of a training BN is orthogonal to constants and to x - mean, per channel.
    let leaf = try! Tensor(shape: x.shape, values: x.values, requiresGradient: true)
    let seed = TestTensors.uniform(x.shape, seed: 414)
    let y = try! bn(leaf, gamma: gamma, beta: beta, movingMean: mm, movingVariance: mv, training: true)
    try! y.backward(seed: seed)
    let g = leaf.gradient!.values, xv = x.values
    let rows = xv.count / c
    for ch in 0..<c {
      var sumG = 0.0, mean = 0.0, sumGX = 0.0, normG = 0.0
      for r in 0..<rows { mean += Double(xv[r * c + ch]) }
      mean /= Double(rows)
      for r in 0..<rows {
        sumG += Double(g[r * c + ch])
        sumGX += Double(g[r * c + ch]) * (Double(xv[r * c + ch]) - mean)
        normG += Double(g[r * c + ch]) * Double(g[r * c + ch])
      }
      XCTAssertLessThan(abs(sumG), 1e-3 * normG.squareRoot() * Double(rows).squareRoot(), "channel \(ch)")
      XCTAssertLessThan(abs(sumGX), 1e-3 * normG.squareRoot() * Double(rows).squareRoot(), "channel \(ch)")
    }
  }

  func testInferenceModeGradients() {
    let c = 3
    let x = TestTensors.uniform([2, 3, 4, c], low: -2, high: 2, seed: 420)
    let gamma = TestTensors.uniform([c], low: 0.5, high: 1.5, seed: 421), beta = TestTensors.uniform([c], seed: 422)
    let mm = TestTensors.uniform([c], seed: 423), mv = TestTensors.uniform([c], low: 0.5, high: 2, seed: 424)
    checkGradients("batchNorm inference x/gamma/beta", inputs: [x, gamma, beta], step: 1e-2) { t in
      try self.bn(t[0], gamma: t[1], beta: t[2], movingMean: mm, movingVariance: mv, training: false)
    }
  }

  func testInferenceModeWithoutGamma() {
    let x = TestTensors.uniform([2, 3, 2, 2], low: -2, high: 2, seed: 425)
    let beta = TestTensors.uniform([2], seed: 426)
    let mm = TestTensors.uniform([2], seed: 427), mv = TestTensors.uniform([2], low: 0.5, high: 2, seed: 428)
    checkGradients("batchNorm inference beta only", inputs: [x, beta], step: 1e-2) { t in
      try self.bn(t[0], gamma: nil, beta: t[1], movingMean: mm, movingVariance: mv, training: false)
    }
  }

  func testDropout() {
    // The generator is re-created inside f, so every evaluation draws the same mask.
    let x = TestTensors.uniform([4, 5, 3], seed: 430)
    let result = checkGradients("dropout", inputs: [x], step: 5e-2) { t in
      var g = SeededGenerator(seed: 431)
      return try t[0].dropout(rate: 0.4, generator: &g)
    }
    // The gradient is zero exactly where the mask dropped the element.
    if let grad = result?.first?.analytic {
      var g = SeededGenerator(seed: 431)
      let y = try! withoutGradients { try x.dropout(rate: 0.4, generator: &g) }
      for (d, v) in zip(grad, y.values) { XCTAssertEqual(d == 0, v == 0) }
      XCTAssertTrue(grad.contains(0))
    }
  }

  func testDropoutRateZero() {
    let x = TestTensors.uniform([3, 4], seed: 432)
    checkGradients("dropout rate 0", inputs: [x], step: 5e-2) { t in
      var g = SeededGenerator(seed: 433)
      return try t[0].dropout(rate: 0, generator: &g).scaled(by: 1.5)
    }
  }
}
