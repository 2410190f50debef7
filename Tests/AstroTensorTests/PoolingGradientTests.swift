import AstroKernels
import AstroTensor
import TestSupport
import XCTest

/// Numerical gradient checks of the pooling ops. Max-pooling inputs are distinct values spaced 0.05 apart,
/// more than twice the step, so no perturbation changes a window's arg-max.
final class PoolingGradientTests: XCTestCase {
  func testMaxPool2x2() {
    let x = TestTensors.distinct([2, 4, 6, 3], spacing: 0.05, seed: 300)
    checkGradients("maxPool 2x2", inputs: [x], step: 1e-2) { try $0[0].maxPool2D(size: (2, 2)) }
  }

  func testMaxPool3x3Stride2Overlapping() {
    // Overlapping windows: an input that is the maximum of two windows receives both gradients.
    let x = TestTensors.distinct([2, 7, 7, 2], spacing: 0.05, seed: 301)
    checkGradients("maxPool 3x3 s2", inputs: [x], step: 1e-2) { try $0[0].maxPool2D(size: (3, 3), strides: (2, 2)) }
  }

  func testMaxPoolSamePadding() {
    // 5x5 by 2 with same padding: out 3x3, the last windows hang over the bottom/right edge.
    let x = TestTensors.distinct([2, 5, 5, 2], spacing: 0.05, offset: -3, seed: 302)
    checkGradients("maxPool 2x2 same", inputs: [x], step: 1e-2) { try $0[0].maxPool2D(size: (2, 2), padding: .same) }
  }

  func testMaxPoolSamePaddingAllNegativeInputs() {
    // Padding must never win a window, even when every real value is negative.
    let x = TestTensors.distinct([1, 5, 3, 2], spacing: 0.05, offset: -5, seed: 303)
    XCTAssertTrue(x.values.allSatisfy { $0 < 0 })
    checkGradients("maxPool 3x3 s2 same negative", inputs: [x], step: 1e-2) {
      try $0[0].maxPool2D(size: (3, 3), strides: (2, 2), padding: .same)
    }
  }

  func testMaxPoolDropsLastColumn() {
    // 5 wide pooled by 2: out width 2, the last column never contributes and gets a zero gradient.
    let x = TestTensors.distinct([2, 4, 5, 2], spacing: 0.05, seed: 304)
    let result = checkGradients("maxPool 5-wide by 2", inputs: [x], step: 1e-2) { try $0[0].maxPool2D(size: (2, 2)) }
    if let g = result?.first {
      for j in g.analytic.indices where multiIndex(j, [2, 4, 5, 2])[2] == 4 { XCTAssertEqual(g.analytic[j], 0) }
    }
  }

  func testAveragePool2x2() {
    let x = TestTensors.uniform([2, 4, 6, 3], seed: 310)
    checkGradients("averagePool 2x2", inputs: [x], step: 5e-2) { try $0[0].averagePool2D(size: (2, 2)) }
  }

  func testAveragePool3x3Stride2Same() {
    // Border windows average over fewer (unpadded) pixels.
    let x = TestTensors.uniform([2, 7, 6, 2], seed: 311)
    checkGradients("averagePool 3x3 s2 same", inputs: [x], step: 5e-2) {
      try $0[0].averagePool2D(size: (3, 3), strides: (2, 2), padding: .same)
    }
  }

  func testAveragePoolDropsLastColumn() {
    let x = TestTensors.uniform([2, 5, 5, 2], seed: 312)
    checkGradients("averagePool 5x5 by 2", inputs: [x], step: 5e-2) { try $0[0].averagePool2D(size: (2, 2)) }
  }

  func testGlobalAveragePool() {
    let x = TestTensors.uniform([3, 4, 5, 3], seed: 320)
    checkGradients("globalAveragePool", inputs: [x], step: 5e-2) { try $0[0].globalAveragePool2D() }
  }
}
