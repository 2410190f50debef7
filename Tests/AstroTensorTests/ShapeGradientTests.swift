import AstroTensor
import TestSupport
import XCTest

/// Numerical gradient checks of the reductions and the shape ops.
final class ShapeGradientTests: XCTestCase {
  func testSum() {
    let a = TestTensors.uniform([2, 3, 4], seed: 21)
    checkGradients("sum", inputs: [a], step: 5e-2) { $0[0].sum() }
  }

  func testMean() {
    let a = TestTensors.uniform([2, 3, 4], seed: 22)
    checkGradients("mean", inputs: [a], step: 5e-2) { $0[0].mean() }
  }

  func testSumLastAxis() {
    let a = TestTensors.uniform([2, 3, 5], seed: 23)
    checkGradients("sumLastAxis", inputs: [a], step: 5e-2) { try $0[0].sumLastAxis() }
  }

  func testSumLastAxisOfVector() {
    let a = TestTensors.uniform([7], seed: 24)
    checkGradients("sumLastAxis rank 1", inputs: [a], step: 5e-2) { try $0[0].sumLastAxis() }
  }

  func testReshape() {
    // Multiply after the reshape so that the gradient depends on where each element went.
    let a = TestTensors.uniform([2, 3, 4], seed: 25)
    let w = TestTensors.uniform([4, 6], seed: 26)
    checkGradients("reshape", inputs: [a], step: 5e-2) { try $0[0].reshaped(to: [4, -1]).multiplying(w) }
  }

  func testFlatten() {
    let a = TestTensors.uniform([2, 3, 2, 4], seed: 27)
    let w = TestTensors.uniform([24, 3], seed: 28)
    checkGradients("flatten", inputs: [a, w], step: 5e-2) { try $0[0].flattened().matmul($0[1]) }
  }

  func testConcatenateThreeInputsOfDifferentWidths() {
    let a = TestTensors.uniform([2, 3, 3, 1], seed: 29)
    let b = TestTensors.uniform([2, 3, 3, 4], seed: 30)
    let c = TestTensors.uniform([2, 3, 3, 2], seed: 31)
    // A second op after the concatenation so the slices' destinations matter.
    let k = TestTensors.uniform([1, 1, 7, 3], seed: 32)
    checkGradients("concatenate", inputs: [a, b, c], step: 5e-2) { t in
      try Tensor.concatenateLastAxis([t[0], t[1], t[2]]).conv2D(kernel: k)
    }
  }

  func testConcatenateWithOneConstantInput() {
    // Only some inputs need a gradient: the constant slice must be skipped, the others still routed.
    let a = TestTensors.uniform([3, 2], seed: 33)
    let constant = TestTensors.uniform([3, 3], seed: 34)
    let b = TestTensors.uniform([3, 1], seed: 35)
    checkGradients("concatenate with constant", inputs: [a, b], step: 5e-2) { t in
      try Tensor.concatenateLastAxis([t[0], constant, t[1]])
    }
  }

  func testZeroPaddedAsymmetric() {
    let a = TestTensors.uniform([2, 3, 4, 2], seed: 36)
    checkGradients("zeroPadded", inputs: [a], step: 5e-2) { t in
      try t[0].zeroPadded(top: 1, bottom: 2, left: 3, right: 0)
    }
  }

  func testZeroPaddedThenConv() {
    let a = TestTensors.uniform([2, 4, 3, 2], seed: 37)
    let k = TestTensors.uniform([3, 2, 2, 2], seed: 38)
    checkGradients("zeroPadded + conv", inputs: [a, k], step: 5e-2) { t in
      try t[0].zeroPadded(top: 0, bottom: 1, left: 2, right: 1).conv2D(kernel: t[1])
    }
  }
}
