import AstroKernels
import AstroTensor
import TestSupport
import XCTest

/// Numerical gradient checks of conv2D with respect to input, kernel and bias over many geometries.
/// Batches of 2-3 samples and >1 channels, and some cases with >= 128 output rows, so that the parallel
/// split of forward, backwardKernel (by rows) and backwardInput (by samples) gives every worker work.
final class ConvGradientTests: XCTestCase {
  /// Checks d/dx, d/dkernel and (when `bias`) d/dbias of one convolution.
  func checkConv(
    _ name: String, input: [Int], kernel: [Int], strides: (Int, Int) = (1, 1), padding: Padding = .valid,
    bias: Bool = true, relu: Bool = false, step: Float = 5e-2, seed: UInt64, file: StaticString = #filePath,
    line: UInt = #line
  ) throws {
    let x = TestTensors.uniform(input, seed: seed)
    let k = TestTensors.uniform(kernel, low: -0.7, high: 0.7, seed: seed &+ 1)
    let b = TestTensors.uniform([kernel[3]], low: -0.5, high: 0.5, seed: seed &+ 2)
    var mask: [Bool]?
    if relu {
      let pre = try withoutGradients { try x.conv2D(kernel: k, bias: bias ? b : nil, strides: strides, padding: padding) }
      let margin = 3 * step * max(k.values.map(abs).max()!, x.values.map(abs).max()!, 1)
      mask = TestTensors.awayFromKink(pre, margin: margin)
      XCTAssertTrue(pre.values.contains { $0 < -margin }, "\(name): no inactive unit", file: file, line: line)
      XCTAssertTrue(pre.values.contains { $0 > margin }, "\(name): no active unit", file: file, line: line)
    }
    let inputs = bias ? [x, k, b] : [x, k]
    let options = GradientCheckOptions(step: relu ? 1e-2 : step, atol: 2e-3, outputMask: mask)
    checkGradients(name, inputs: inputs, options: options, file: file, line: line) { t in
      try t[0].conv2D(kernel: t[1], bias: bias ? t[2] : nil, strides: strides, padding: padding, relu: relu)
    }
  }

  func testValidStride1() throws {
    try checkConv("valid 3x3 s1", input: [3, 6, 5, 2], kernel: [3, 3, 2, 3], seed: 100)
  }

  func testValidStride1NoBias() throws {
    try checkConv("valid 3x3 s1 no bias", input: [2, 5, 6, 3], kernel: [3, 3, 3, 2], bias: false, seed: 110)
  }

  func testValidStride2() throws {
    try checkConv("valid 3x3 s2", input: [2, 7, 6, 3], kernel: [3, 3, 3, 2], strides: (2, 2), seed: 120)
  }

  func testSamePaddingOddInputStride2() throws {
    // 7x7, 3x3, stride 2, same: out 4x4, one padding pixel on every side.
    try checkConv("same 3x3 s2 on 7x7", input: [3, 7, 7, 2], kernel: [3, 3, 2, 3], strides: (2, 2), padding: .same, seed: 130)
  }

  func testSamePaddingEvenInputStride2() throws {
    // 8x8, 3x3, stride 2, same: pad 0 top/left and 1 bottom/right.
    try checkConv("same 3x3 s2 on 8x8", input: [2, 8, 8, 2], kernel: [3, 3, 2, 2], strides: (2, 2), padding: .same, seed: 135)
  }

  func testSamePaddingStride1ManyRows() throws {
    // 3 samples of 8x8: 192 output rows, enough for the forward and kernel gradient to split over workers.
    try checkConv("same 3x3 s1 192 rows", input: [3, 8, 8, 2], kernel: [3, 3, 2, 3], padding: .same, seed: 140)
  }

  func testSamePaddingEvenKernel() throws {
    // A 2x2 kernel with same padding: the single padding pixel goes bottom/right.
    try checkConv("same 2x2 s1", input: [2, 5, 4, 2], kernel: [2, 2, 2, 2], padding: .same, seed: 145)
  }

  func testExplicitPadding() throws {
    try checkConv(
      "explicit padding", input: [2, 5, 6, 2], kernel: [3, 2, 2, 3], strides: (1, 2),
      padding: .explicit(top: 1, bottom: 0, left: 2, right: 1), seed: 150)
  }

  func testExplicitPaddingStride1() throws {
    // Stride 1 with asymmetric padding, and with padding as wide as the kernel: both input-gradient routes.
    try checkConv(
      "explicit padding s1", input: [2, 5, 4, 2], kernel: [3, 3, 2, 2], padding: .explicit(top: 2, bottom: 0, left: 1, right: 2),
      seed: 152)
    try checkConv(
      "explicit padding >= kernel s1", input: [2, 4, 4, 2], kernel: [2, 3, 2, 2], padding: .explicit(top: 2, bottom: 1, left: 3, right: 0),
      seed: 153)
  }

  func testRectangularStrides() throws {
    try checkConv("valid 2x3 strides (2,1)", input: [2, 7, 5, 2], kernel: [2, 3, 2, 2], strides: (2, 1), seed: 155)
  }

  func testPointwise() throws {
    // 1x1 stride 1: the no-im2col path; 192 rows.
    try checkConv("pointwise 1x1", input: [3, 8, 8, 3], kernel: [1, 1, 3, 4], seed: 160)
  }

  func testPointwiseNoBias() throws {
    try checkConv("pointwise 1x1 no bias", input: [2, 4, 5, 3], kernel: [1, 1, 3, 2], bias: false, seed: 165)
  }

  func testPointwiseStride2() throws {
    // 1x1 with stride 2 is not pointwise: it goes through im2col and skips odd pixels.
    try checkConv("1x1 s2", input: [2, 7, 7, 3], kernel: [1, 1, 3, 2], strides: (2, 2), seed: 170)
  }

  func testPointwiseStride2Same() throws {
    try checkConv("1x1 s2 same", input: [2, 6, 5, 2], kernel: [1, 1, 2, 3], strides: (2, 2), padding: .same, seed: 175)
  }

  func test7x7Stride2Same() throws {
    // ResNet's stem geometry on a small odd input: out 6x6, padding 2 top/left and 3 bottom/right.
    try checkConv("7x7 s2 same", input: [2, 11, 11, 2], kernel: [7, 7, 2, 2], strides: (2, 2), padding: .same, seed: 180)
  }

  func test7x7Stride2Valid() throws {
    try checkConv("7x7 s2 valid", input: [2, 10, 9, 2], kernel: [7, 7, 2, 2], strides: (2, 2), seed: 185)
  }

  func testFusedRelu() throws {
    try checkConv("3x3 same + relu", input: [3, 6, 6, 2], kernel: [3, 3, 2, 3], padding: .same, relu: true, seed: 190)
  }

  func testFusedReluNoBias() throws {
    try checkConv("3x3 valid s2 + relu no bias", input: [2, 7, 7, 3], kernel: [3, 3, 3, 2], strides: (2, 2), bias: false, relu: true, seed: 195)
  }

  func testFusedReluPointwise() throws {
    try checkConv("pointwise + relu", input: [3, 8, 8, 2], kernel: [1, 1, 2, 3], relu: true, seed: 197)
  }

  func testOnlyKernelNeedsGradient() {
    // x constant: the backward must skip dx and still produce the kernel and bias gradients.
    let x = TestTensors.uniform([2, 5, 5, 2], seed: 198)
    let k = TestTensors.uniform([3, 3, 2, 2], seed: 199), b = TestTensors.uniform([2], seed: 200)
    checkGradients("conv kernel only", inputs: [k, b], step: 5e-2, atol: 2e-3) { t in
      try x.conv2D(kernel: t[0], bias: t[1], padding: .same)
    }
  }

  func testOnlyBiasNeedsGradient() {
    let x = TestTensors.uniform([2, 5, 5, 2], seed: 201), k = TestTensors.uniform([3, 3, 2, 2], seed: 202)
    let b = TestTensors.uniform([2], seed: 203)
    checkGradients("conv bias only", inputs: [b], step: 5e-2, atol: 2e-3) { t in
      try x.conv2D(kernel: k, bias: t[0], strides: (2, 2), padding: .same)
    }
  }

  func testWithOddWorkerCount() throws {
    // Three workers over 2 samples / 150 rows: uneven splits in every parallel loop.
    let saved = Parallel.workerCount
    Parallel.workerCount = 3
    defer { Parallel.workerCount = saved }
    try checkConv("same 3x3 s1, 3 workers", input: [3, 7, 7, 2], kernel: [3, 3, 2, 2], padding: .same, seed: 205)
    try checkConv("pointwise, 3 workers", input: [3, 7, 7, 2], kernel: [1, 1, 2, 2], seed: 206)
  }
}
