import AstroNN
import AstroTensor
import XCTest

/// Optimizer updates against the formulas in Keras' documentation, computed by hand in Double.
final class OptimizerTests: XCTestCase {
  func parameter(_ values: [Float], gradient: [Float]) throws -> Tensor {
    let p = try Tensor(shape: [values.count], values: values, requiresGradient: true)
    p.gradient = try Tensor(shape: [values.count], values: gradient)
    return p
  }

  func testAdamMatchesKerasFormulaOverThreeSteps() throws {
    let p = try parameter([0.5, -1, 2], gradient: [0.1, -0.2, 0.3])
    let adam = Adam(learningRate: 0.01)
    var w: [Double] = [0.5, -1, 2], m = [0.0, 0, 0], v = [0.0, 0, 0]
    let grads: [[Double]] = [[0.1, -0.2, 0.3], [0.05, 0.4, -0.1], [-0.3, 0.0, 0.2]]
    for (t, g) in grads.enumerated() {
      p.gradient = try Tensor(shape: [3], values: g.map(Float.init))
      try adam.step([p])
      let step = Double(t + 1)
      let lr = 0.01 * (1 - pow(0.999, step)).squareRoot() / (1 - pow(0.9, step))
      for i in 0..<3 {
        m[i] = 0.9 * m[i] + 0.1 * g[i]
        v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i]
        w[i] -= lr * m[i] / (v[i].squareRoot() + 1e-7)
      }
    }
    for (a, b) in zip(p.values, w) { XCTAssertEqual(Double(a), b, accuracy: 1e-6) }
    XCTAssertEqual(adam.iterations, 3)
  }

  func testSGDNesterovWithLegacyDecay() throws {
    let p = try parameter([1, -2], gradient: [0.5, 0.25])
    let sgd = SGD(learningRate: 0.1, momentum: 0.9, nesterov: true, decay: 0.5)
    var w: [Double] = [1, -2], velocity = [0.0, 0]
    for t in 0..<3 {
      try sgd.step([p])
      let lr = 0.1 / (1 + 0.5 * Double(t))
      for (i, g) in [0.5, 0.25].enumerated() {
        velocity[i] = 0.9 * velocity[i] - lr * g
        w[i] += 0.9 * velocity[i] - lr * g
      }
    }
    for (a, b) in zip(p.values, w) { XCTAssertEqual(Double(a), b, accuracy: 1e-6) }
  }

  func testPlainAndMomentumSGD() throws {
    let plain = try parameter([1], gradient: [2])
    try SGD(learningRate: 0.1).step([plain])
    XCTAssertEqual(plain.values[0], 0.8, accuracy: 1e-7)
    let heavy = try parameter([1], gradient: [2])
    let sgd = SGD(learningRate: 0.1, momentum: 0.5)
    try sgd.step([heavy]); try sgd.step([heavy])
    // v1 = -0.2, w = 0.8; v2 = 0.5*(-0.2) - 0.2 = -0.3, w = 0.5.
    XCTAssertEqual(heavy.values[0], 0.5, accuracy: 1e-6)
  }

  func testStateRoundTripContinuesIdentically() throws {
    let a = try parameter([0.3, 0.7], gradient: [0.2, -0.1])
    let b = try parameter([0.3, 0.7], gradient: [0.2, -0.1])
    let first = Adam(learningRate: 0.05)
    try first.step([a])
    let second = Adam(learningRate: 0.05)
    try second.step([b])
    let restored = Adam(learningRate: 0.05)
    try restored.restoreState(Dictionary(uniqueKeysWithValues: second.stateTensors(for: [b]).map { ($0.name, $0.tensor) }), for: [b])
    try first.step([a]); try restored.step([b])
    XCTAssertEqual(a.values, b.values)
    XCTAssertEqual(restored.iterations, 2)
  }

  func testGradientShapeMismatchThrows() throws {
    let p = try parameter([1, 2], gradient: [1, 2])
    p.gradient = Tensor.zeros([3])
    XCTAssertThrowsError(try Adam().step([p])) { XCTAssertTrue("\($0)".contains("[2]"), "\($0)") }
  }

  func testStateBelongsToItsParameterOnly() throws {
    // A reused optimizer: model A's parameters are freed, model B's (other shapes, perhaps at the same
    // addresses) get fresh state instead of A's buffers.
    let adam = Adam(learningRate: 0.1)
    for count in [4096, 3, 4096, 7] {
      let p = Tensor(repeating: 1, shape: [count], requiresGradient: true)
      p.gradient = Tensor(repeating: 0.5, shape: [count])
      try adam.step([p])
      XCTAssertEqual(adam.stateTensors(for: [p]).count, 3, "iterations, m and v for the live parameter")
      XCTAssertEqual(adam.stateTensors(for: [p])[1].tensor.shape, [count])
      XCTAssertTrue(p.isFinite)
    }
    let gone = Tensor(repeating: 1, shape: [2], requiresGradient: true)
    let sgd = SGD(learningRate: 0.1, momentum: 0.9)
    gone.gradient = Tensor(repeating: 1, shape: [2])
    try sgd.step([gone])
    let other = Tensor(repeating: 1, shape: [5], requiresGradient: true)
    XCTAssertEqual(sgd.stateTensors(for: [other]).count, 1, "no velocity for a parameter it never stepped")
  }
}
