import AstroTensor
import TestSupport
import XCTest

/// Numerical gradient checks of the elementwise ops, for every input.
final class ElementwiseGradientTests: XCTestCase {
  let shape = [2, 3, 4, 3]

  func testAdd() {
    let a = TestTensors.uniform(shape, seed: 1), b = TestTensors.uniform(shape, seed: 2)
    checkGradients("add", inputs: [a, b], step: 5e-2) { try $0[0].adding($0[1]) }
  }

  func testSubtract() {
    let a = TestTensors.uniform(shape, seed: 3), b = TestTensors.uniform(shape, seed: 4)
    checkGradients("subtract", inputs: [a, b], step: 5e-2) { try $0[0].subtracting($0[1]) }
  }

  func testMultiply() {
    let a = TestTensors.uniform(shape, low: -2, high: 2, seed: 5), b = TestTensors.uniform(shape, low: -2, high: 2, seed: 6)
    checkGradients("multiply", inputs: [a, b], step: 1e-2) { try $0[0].multiplying($0[1]) }
  }

  func testScale() {
    let a = TestTensors.uniform(shape, seed: 7)
    checkGradients("scale", inputs: [a], step: 5e-2) { $0[0].scaled(by: -1.75) }
  }

  func testRelu() {
    // |x| >= 0.2 and h = 1e-2: no element crosses the kink; negatives must get exactly zero gradient.
    let a = TestTensors.awayFromZero(shape, minimum: 0.2, seed: 8)
    let result = checkGradients("relu", inputs: [a], step: 1e-2) { $0[0].relu() }
    if let g = result?.first {
      for (x, d) in zip(a.values, g.analytic) where x < 0 { XCTAssertEqual(d, 0) }
    }
  }

  func testSigmoid() {
    let a = TestTensors.uniform(shape, low: -4, high: 4, seed: 9)
    checkGradients("sigmoid", inputs: [a], step: 1e-2) { $0[0].sigmoid() }
  }

  func testSigmoidSaturatedInputsHaveFiniteGradients() {
    let a = TestTensors.make([4], [-60, -20, 20, 60])
    checkGradients("sigmoid saturated", inputs: [a], step: 1e-2, atol: 1e-6) { $0[0].sigmoid() }
  }

  func testTanh() {
    let a = TestTensors.uniform(shape, low: -2.5, high: 2.5, seed: 10)
    checkGradients("tanh", inputs: [a], step: 5e-3) { $0[0].tanh() }
  }

  func testExp() {
    let a = TestTensors.uniform(shape, low: -2, high: 1.5, seed: 11)
    checkGradients("exp", inputs: [a], step: 5e-3) { $0[0].exp() }
  }

  func testLog() {
    // Positive inputs well away from 0 so x - h stays in the domain and the curvature is mild.
    let a = TestTensors.uniform(shape, low: 0.5, high: 3, seed: 12)
    checkGradients("log", inputs: [a], step: 2e-3) { $0[0].log() }
  }

  func testComposedElementwiseChain() {
    // sigmoid(a*b) - exp(tanh(a)) + log(b^2 + 1)-like mixture: every op's backward in one graph.
    let a = TestTensors.uniform([3, 5], seed: 13), b = TestTensors.uniform([3, 5], low: 0.5, high: 2, seed: 14)
    checkGradients("elementwise chain", inputs: [a, b], step: 5e-3) { t in
      let ab = try t[0].multiplying(t[1]).sigmoid()
      let e = t[0].tanh().exp()
      let l = t[1].log().scaled(by: 0.5)
      return try ab.subtracting(e).adding(l)
    }
  }
}
