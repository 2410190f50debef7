import AstroTensor
import TestSupport
import XCTest

/// Numerical gradient checks of matmul and Dense (`linear`) for x, weight and bias.
final class DenseGradientTests: XCTestCase {
  func testMatmul() {
    let a = TestTensors.uniform([5, 4], seed: 41), b = TestTensors.uniform([4, 3], seed: 42)
    checkGradients("matmul", inputs: [a, b], step: 5e-2) { try $0[0].matmul($0[1]) }
  }

  func testMatmulTallAndWide() {
    // Odd, unequal sizes in every dimension (the parallel split of the products is covered by BLASTests).
    let a = TestTensors.uniform([23, 17], seed: 43), b = TestTensors.uniform([17, 11], seed: 44)
    checkGradients("matmul 23x17x11", inputs: [a, b], step: 5e-2, atol: 2e-3) { try $0[0].matmul($0[1]) }
  }

  func testLinearWithBias() {
    let x = TestTensors.uniform([4, 5], seed: 45), w = TestTensors.uniform([5, 3], seed: 46)
    let b = TestTensors.uniform([3], seed: 47)
    checkGradients("linear + bias", inputs: [x, w, b], step: 5e-2) { try $0[0].linear(weight: $0[1], bias: $0[2]) }
  }

  func testLinearWithoutBias() {
    let x = TestTensors.uniform([4, 5], seed: 48), w = TestTensors.uniform([5, 3], seed: 49)
    checkGradients("linear no bias", inputs: [x, w], step: 5e-2) { try $0[0].linear(weight: $0[1], bias: nil) }
  }

  func testLinearWithFusedRelu() throws {
    let h: Float = 1e-2
    let x = TestTensors.uniform([6, 5], seed: 50), w = TestTensors.uniform([5, 4], seed: 51)
    let b = TestTensors.uniform([4], low: -0.5, high: 0.5, seed: 52)
    // Leave out outputs whose pre-activation lies within reach of the kink under one perturbation.
    let pre = try withoutGradients { try x.linear(weight: w, bias: b) }
    let margin = 3 * h * max(w.values.map(abs).max()!, x.values.map(abs).max()!, 1)
    let mask = TestTensors.awayFromKink(pre, margin: margin)
    XCTAssertTrue(pre.values.contains { $0 < -margin }, "the case must include inactive units")
    checkGradients("linear + relu", inputs: [x, w, b], step: h, outputMask: mask) {
      try $0[0].linear(weight: $0[1], bias: $0[2], relu: true)
    }
    // The fused ReLU equals a separate relu of the affine map.
    let fused = try withoutGradients { try x.linear(weight: w, bias: b, relu: true) }
    XCTAssertEqual(fused.values, pre.values.map { max($0, 0) })
  }

  func testLinearWithFusedReluNoBias() throws {
    let h: Float = 1e-2
    let x = TestTensors.uniform([6, 5], seed: 53), w = TestTensors.uniform([5, 4], seed: 54)
    let pre = try withoutGradients { try x.linear(weight: w, bias: nil) }
    let margin = 3 * h * max(w.values.map(abs).max()!, x.values.map(abs).max()!, 1)
    checkGradients("linear + relu no bias", inputs: [x, w], step: h, outputMask: TestTensors.awayFromKink(pre, margin: margin)) {
      try $0[0].linear(weight: $0[1], bias: nil, relu: true)
    }
  }
}
