import AstroKernels
import AstroTensor
import Foundation
import TestSupport
import XCTest

/// Forward values and shapes against Keras semantics (see docs/keras-semantics.md), checked against naive
/// Double references written here or numbers worked out by hand; plus error reporting and autodiff mechanics.
final class SemanticsTests: XCTestCase {
  // MARK: - Naive references

  /// Direct convolution, seven loops, in Double. `padTop`/`padLeft` place the window; positions outside the
  /// input read as zero.
  func naiveConv(
    _ x: Tensor, _ k: Tensor, bias: Tensor?, strides: (Int, Int), padTop: Int, padLeft: Int, outH: Int, outW: Int
  ) -> [Double] {
    let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (kh, kw, f) = (k.shape[0], k.shape[1], k.shape[3])
    let xv = x.values, kv = k.values, bv = bias?.values
    var out = [Double](repeating: 0, count: n * outH * outW * f)
    for s in 0..<n {
      for oh in 0..<outH {
        for ow in 0..<outW {
          for o in 0..<f {
            var total = Double(bv?[o] ?? 0)
            for i in 0..<kh {
              for j in 0..<kw {
                for ch in 0..<c {
                  let ih = oh * strides.0 - padTop + i, iw = ow * strides.1 - padLeft + j
                  guard ih >= 0, ih < h, iw >= 0, iw < w else { continue }
                  total += Double(xv[((s * h + ih) * w + iw) * c + ch]) * Double(kv[((i * kw + j) * c + ch) * f + o])
                }
              }
            }
            out[((s * outH + oh) * outW + ow) * f + o] = total
          }
        }
      }
    }
    return out
  }

  func checkConvAgainstNaive(
    input: [Int], kernel: [Int], strides: (Int, Int), padding: Padding, expectedOut: (Int, Int),
    padTop: Int, padLeft: Int, seed: UInt64, file: StaticString = #filePath, line: UInt = #line
  ) throws {
    let x = TestTensors.uniform(input, seed: seed), k = TestTensors.uniform(kernel, seed: seed + 1)
    let b = TestTensors.uniform([kernel[3]], seed: seed + 2)
    let y = try x.conv2D(kernel: k, bias: b, strides: strides, padding: padding)
    XCTAssertEqual(y.shape, [input[0], expectedOut.0, expectedOut.1, kernel[3]], "output shape", file: file, line: line)
    guard y.shape == [input[0], expectedOut.0, expectedOut.1, kernel[3]] else { return }
    let reference = naiveConv(
      x, k, bias: b, strides: strides, padTop: padTop, padLeft: padLeft, outH: expectedOut.0, outW: expectedOut.1)
    assertClose(y.values.map(Double.init), reference, atol: 1e-5, rtol: 1e-5, "conv vs naive", file: file, line: line)
    // The fused ReLU is max(conv, 0).
    let r = try x.conv2D(kernel: k, bias: b, strides: strides, padding: padding, relu: true)
    assertClose(r.values.map(Double.init), reference.map { max($0, 0) }, atol: 1e-5, rtol: 1e-5, "fused relu", file: file, line: line)
  }

  // MARK: - Convolution

  func testConvValid() throws {
    try checkConvAgainstNaive(input: [2, 6, 5, 3], kernel: [3, 3, 3, 4], strides: (1, 1), padding: .valid,
      expectedOut: (4, 3), padTop: 0, padLeft: 0, seed: 1)
  }

  func testConvValidStridedDropsPartialWindow() throws {
    // floor((8 - 3) / 2) + 1 = 3 rows, floor((7 - 3) / 3) + 1 = 2 columns.
    try checkConvAgainstNaive(input: [2, 8, 7, 2], kernel: [3, 3, 2, 3], strides: (2, 3), padding: .valid,
      expectedOut: (3, 2), padTop: 0, padLeft: 0, seed: 4)
  }

  func testConvSameOddInputStride2() throws {
    // 7 by 2: out ceil(7/2) = 4, pad_total = 3*2 + 3 - 7 = 2 -> 1 top, 1 bottom.
    try checkConvAgainstNaive(input: [2, 7, 7, 2], kernel: [3, 3, 2, 3], strides: (2, 2), padding: .same,
      expectedOut: (4, 4), padTop: 1, padLeft: 1, seed: 7)
  }

  func testConvSameEvenInputStride2PutsExtraPixelBottomRight() throws {
    // 8 by 2: out 4, pad_total = 6 + 3 - 8 = 1 -> 0 top/left, 1 bottom/right (TensorFlow, not PyTorch).
    try checkConvAgainstNaive(input: [2, 8, 8, 2], kernel: [3, 3, 2, 2], strides: (2, 2), padding: .same,
      expectedOut: (4, 4), padTop: 0, padLeft: 0, seed: 10)
  }

  func testConvSameStride1EvenKernel() throws {
    // 2x2 kernel, stride 1: pad_total 1 -> 0 before, 1 after.
    try checkConvAgainstNaive(input: [1, 5, 4, 2], kernel: [2, 2, 2, 3], strides: (1, 1), padding: .same,
      expectedOut: (5, 4), padTop: 0, padLeft: 0, seed: 13)
  }

  func testConvSame7x7Stride2() throws {
    // 12 by 2 with a 7x7 kernel: out 6, pad_total = 10 + 7 - 12 = 5 -> 2 before, 3 after.
    // 11 wide: out 6, pad_total = 10 + 7 - 11 = 6 -> 3 and 3.
    try checkConvAgainstNaive(input: [2, 12, 11, 2], kernel: [7, 7, 2, 2], strides: (2, 2), padding: .same,
      expectedOut: (6, 6), padTop: 2, padLeft: 3, seed: 16)
  }

  func testConvSameRectangular() throws {
    // Height 9 stride 2 (out 5, total 2 -> 1/1), width 10 stride 3 (out 4, total 9 + 3 - 10 = 2 -> 1/1).
    try checkConvAgainstNaive(input: [2, 9, 10, 1], kernel: [3, 3, 1, 2], strides: (2, 3), padding: .same,
      expectedOut: (5, 4), padTop: 1, padLeft: 1, seed: 19)
  }

  func testConvExplicitPadding() throws {
    // 5 + 2 + 0 rows, 6 + 1 + 3 columns; kernel 3x2; strides (2, 1): out (7-3)/2+1 = 3, (10-2)/1+1 = 9.
    try checkConvAgainstNaive(input: [2, 5, 6, 2], kernel: [3, 2, 2, 3], strides: (2, 1),
      padding: .explicit(top: 2, bottom: 0, left: 1, right: 3), expectedOut: (3, 9), padTop: 2, padLeft: 1, seed: 22)
  }

  func testConvPointwiseAndStrided1x1() throws {
    try checkConvAgainstNaive(input: [3, 5, 4, 3], kernel: [1, 1, 3, 2], strides: (1, 1), padding: .valid,
      expectedOut: (5, 4), padTop: 0, padLeft: 0, seed: 25)
    try checkConvAgainstNaive(input: [3, 5, 4, 3], kernel: [1, 1, 3, 2], strides: (2, 2), padding: .valid,
      expectedOut: (3, 2), padTop: 0, padLeft: 0, seed: 28)
    try checkConvAgainstNaive(input: [2, 5, 4, 3], kernel: [1, 1, 3, 2], strides: (2, 2), padding: .same,
      expectedOut: (3, 2), padTop: 0, padLeft: 0, seed: 31)
  }

  func testConvManyRowsSplitOverWorkers() throws {
    // 3 x 12 x 12 output rows: the forward runs on several workers with several chunks.
    try checkConvAgainstNaive(input: [3, 12, 12, 3], kernel: [3, 3, 3, 5], strides: (1, 1), padding: .same,
      expectedOut: (12, 12), padTop: 1, padLeft: 1, seed: 34)
  }

  func testSameOutputSizeIsCeilOfInputOverStride() throws {
    for (size, stride) in [(59, 2), (25, 4), (63, 2), (7, 2), (8, 3), (1, 2)] {
      let x = Tensor.zeros([1, size, size, 1]), k = Tensor.zeros([3, 3, 1, 1])
      let y = try x.conv2D(kernel: k, strides: (stride, stride), padding: .same)
      let expected = (size + stride - 1) / stride
      XCTAssertEqual(y.shape, [1, expected, expected, 1], "same: \(size) by \(stride)")
    }
  }

  // MARK: - Pooling

  func testMaxPoolValidDropsPartialWindows() throws {
    let y59 = try Tensor.zeros([1, 59, 59, 2]).maxPool2D(size: (2, 2))
    XCTAssertEqual(y59.shape, [1, 29, 29, 2])
    let y25 = try Tensor.zeros([2, 25, 25, 1]).maxPool2D(size: (4, 4))
    XCTAssertEqual(y25.shape, [2, 6, 6, 1])
    let yRect = try Tensor.zeros([1, 7, 5, 1]).maxPool2D(size: (3, 2), strides: (2, 1))
    XCTAssertEqual(yRect.shape, [1, 3, 4, 1])
    let ySame = try Tensor.zeros([1, 59, 59, 1]).maxPool2D(size: (2, 2), padding: .same)
    XCTAssertEqual(ySame.shape, [1, 30, 30, 1])
  }

  func testMaxPoolValuesAgainstNaive() throws {
    let x = TestTensors.uniform([2, 9, 7, 3], seed: 40)
    for (size, strides, padding) in [((2, 2), (2, 2), Padding.valid), ((3, 3), (2, 2), .valid), ((3, 2), (2, 1), .same)] {
      let y = try x.maxPool2D(size: size, strides: strides, padding: padding)
      let g = WindowGeometry(
        batch: 2, inHeight: 9, inWidth: 7, channels: 3, kernelHeight: size.0, kernelWidth: size.1,
        strideH: strides.0, strideW: strides.1, padding: padding == .same ? WindowPadding.same : .valid)!
      var reference: [Float] = []
      let xv = x.values
      for n in 0..<2 {
        for oh in 0..<g.outHeight {
          for ow in 0..<g.outWidth {
            for c in 0..<3 {
              var best = -Float.infinity
              for i in 0..<size.0 {
                for j in 0..<size.1 {
                  let ih = oh * strides.0 - g.padTop + i, iw = ow * strides.1 - g.padLeft + j
                  if ih >= 0 && ih < 9 && iw >= 0 && iw < 7 { best = max(best, xv[((n * 9 + ih) * 7 + iw) * 3 + c]) }
                }
              }
              reference.append(best)
            }
          }
        }
      }
      XCTAssertEqual(y.values, reference, "maxPool \(size) \(strides) \(padding)")
    }
  }

  func testMaxPoolSamePaddingNeverWins() throws {
    // All values negative: a padded zero must not be the maximum of a border window.
    let x = TestTensors.make([1, 3, 3, 1], [-9, -8, -7, -6, -5, -4, -3, -2, -1])
    let y = try x.maxPool2D(size: (2, 2), padding: .same)
    XCTAssertEqual(y.shape, [1, 2, 2, 1])
    XCTAssertEqual(y.values, [-5, -4, -2, -1])
  }

  func testMaxPoolGradientGoesToFirstMaximumOnTies() throws {
    // Two channels. Channel 0: window 1 is all 5s (first = top-left), window 2 is [1 2; 2 2] (first = top-right).
    // Channel 1: window 1 is [0 3; 3 3] (first = top-right), window 2 is [4 1; 4 4] (first = top-left).
    let c0: [Float] = [5, 5, 1, 2, 5, 5, 2, 2]
    let c1: [Float] = [0, 3, 4, 1, 3, 3, 4, 4]
    var values: [Float] = []
    for i in 0..<8 { values += [c0[i], c1[i]] }
    let x = try Tensor(shape: [1, 2, 4, 2], values: values, requiresGradient: true)
    let y = try x.maxPool2D(size: (2, 2))
    XCTAssertEqual(y.values, [5, 3, 2, 4])
    try y.backward(seed: TestTensors.make([1, 1, 2, 2], [1, 10, 100, 1000]))
    let g = x.gradient!.values
    let g0 = stride(from: 0, to: 16, by: 2).map { g[$0] }, g1 = stride(from: 1, to: 16, by: 2).map { g[$0] }
    XCTAssertEqual(g0, [1, 0, 0, 100, 0, 0, 0, 0])
    XCTAssertEqual(g1, [0, 10, 1000, 0, 0, 0, 0, 0])
  }

  func testMaxPoolOverlappingWindowsAccumulate() throws {
    // 3x3 windows with stride 1 on a 4x4 input whose maximum is central: it wins all four windows.
    var v = [Float](repeating: 0, count: 16)
    v[5] = 9
    let x = try Tensor(shape: [1, 4, 4, 1], values: v, requiresGradient: true)
    let y = try x.maxPool2D(size: (3, 3), strides: (1, 1))
    XCTAssertEqual(y.values, [9, 9, 9, 9])
    try y.sum().backward()
    XCTAssertEqual(x.gradient!.values[5], 4)
    XCTAssertEqual(x.gradient!.values.reduce(0, +), 4)
  }

  func testAveragePoolValues() throws {
    let x = TestTensors.make([1, 2, 5, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    // valid 2x2: the fifth column is dropped.
    XCTAssertEqual(try x.averagePool2D(size: (2, 2)).values, [4, 6])
    // same: the last window covers only column 4 (and both rows) and averages over 2 real pixels.
    XCTAssertEqual(try x.averagePool2D(size: (2, 2), padding: .same).values, [4, 6, 7.5])
  }

  func testAveragePoolSameExcludesPadding() throws {
    let y = try Tensor(repeating: 1, shape: [1, 5, 5, 2]).averagePool2D(size: (3, 3), strides: (2, 2), padding: .same)
    XCTAssertEqual(y.shape, [1, 3, 3, 2])
    XCTAssertTrue(y.values.allSatisfy { abs($0 - 1) < 1e-6 })
  }

  func testGlobalAveragePool() throws {
    let x = TestTensors.uniform([2, 3, 4, 3], seed: 50)
    let y = try x.globalAveragePool2D()
    XCTAssertEqual(y.shape, [2, 3])
    let xv = x.values
    var reference: [Double] = []
    for n in 0..<2 {
      for c in 0..<3 {
        var s = 0.0
        for p in 0..<12 { s += Double(xv[(n * 12 + p) * 3 + c]) }
        reference.append(s / 12)
      }
    }
    assertClose(y.values.map(Double.init), reference, atol: 1e-6, rtol: 1e-6)
  }

  // MARK: - BatchNormalization

  func testBatchNormTrainingForwardAndMovingStatistics() throws {
    // Channel 0: 1, 2, 3, 6 -> mean 3, biased variance (4 + 1 + 0 + 9) / 4 = 3.5 (unbiased would be 14/3).
    // Channel 1: -1, -1, 1, 1 -> mean 0, variance 1.
    let x = TestTensors.make([2, 1, 2, 2], [1, -1, 2, -1, 3, 1, 6, 1])
    let gamma = TestTensors.make([2], [2, 0.5]), beta = TestTensors.make([2], [0.1, -1])
    let movingMean = TestTensors.make([2], [0.5, 10]), movingVariance = TestTensors.make([2], [2, 4])
    let eps: Float = 1e-3
    let y = try x.batchNormalized(
      gamma: gamma, beta: beta, movingMean: movingMean, movingVariance: movingVariance, epsilon: eps, momentum: 0.2,
      training: true)
    let s0 = 1 / (3.5 + Double(eps)).squareRoot(), s1 = 1 / (1 + Double(eps)).squareRoot()
    let expected: [Double] = [
      2 * (1 - 3) * s0 + 0.1, 0.5 * -1 * s1 - 1, 2 * (2 - 3) * s0 + 0.1, 0.5 * -1 * s1 - 1,
      2 * (3 - 3) * s0 + 0.1, 0.5 * 1 * s1 - 1, 2 * (6 - 3) * s0 + 0.1, 0.5 * 1 * s1 - 1,
    ]
    assertClose(y.values.map(Double.init), expected, atol: 1e-5, rtol: 1e-5, "training output")
    // Keras: moving = moving * momentum + batch * (1 - momentum), momentum 0.2.
    // mean: 0.5*0.2 + 3*0.8 = 2.5, 10*0.2 + 0*0.8 = 2; variance: 2*0.2 + 3.5*0.8 = 3.2, 4*0.2 + 1*0.8 = 1.6.
    assertClose(movingMean.values, [2.5, 2], atol: 1e-6, rtol: 1e-6, "moving mean")
    assertClose(movingVariance.values, [3.2, 1.6], atol: 1e-6, rtol: 1e-6, "moving variance")
    // A second step moves them again from the updated values.
    _ = try x.batchNormalized(
      gamma: gamma, beta: beta, movingMean: movingMean, movingVariance: movingVariance, epsilon: eps, momentum: 0.2,
      training: true)
    assertClose(movingMean.values, [2.5 * 0.2 + 3 * 0.8, 2 * 0.2], atol: 1e-6, rtol: 1e-6, "moving mean, step 2")
    assertClose(movingVariance.values, [3.2 * 0.2 + 3.5 * 0.8, 1.6 * 0.2 + 0.8], atol: 1e-6, rtol: 1e-6, "moving variance, step 2")
  }

  func testBatchNormInferenceUsesMovingStatisticsAndLeavesThem() throws {
    let x = TestTensors.uniform([2, 2, 3, 3], low: -3, high: 3, seed: 60)
    let gamma = TestTensors.make([3], [1.5, 0.5, -1]), beta = TestTensors.make([3], [0, 1, -2])
    let mm = TestTensors.make([3], [0.3, -1, 2]), mv = TestTensors.make([3], [0.5, 2, 9])
    let eps: Float = 1.001e-5
    let y = try x.batchNormalized(
      gamma: gamma, beta: beta, movingMean: mm, movingVariance: mv, epsilon: eps, momentum: 0.99, training: false)
    let xv = x.values
    let expected = xv.indices.map { i -> Double in
      let c = i % 3
      return Double(gamma.values[c]) * (Double(xv[i]) - Double(mm.values[c])) / (Double(mv.values[c]) + Double(eps)).squareRoot()
        + Double(beta.values[c])
    }
    assertClose(y.values.map(Double.init), expected, atol: 1e-5, rtol: 1e-5, "inference output")
    XCTAssertEqual(mm.values, [0.3, -1, 2])
    XCTAssertEqual(mv.values, [0.5, 2, 9])
  }

  func testBatchNormDefaultsWithoutAffineParameters() throws {
    // scale=False, center=False: the plain standardisation.
    let x = TestTensors.make([4, 1], [1, 2, 3, 6])
    let y = try x.batchNormalized(
      gamma: nil, beta: nil, movingMean: .zeros([1]), movingVariance: Tensor(repeating: 1, shape: [1]), epsilon: 0,
      momentum: 0.2, training: true)
    let s = 1 / 3.5.squareRoot()
    assertClose(y.values.map(Double.init), [-2 * s, -s, 0, 3 * s], atol: 1e-6, rtol: 1e-6)
  }

  func testBatchNormShapeErrors() {
    let x = Tensor.zeros([2, 3])
    XCTAssertThrowsError(
      try x.batchNormalized(
        gamma: .zeros([4]), beta: nil, movingMean: .zeros([3]), movingVariance: .zeros([3]), epsilon: 1e-3,
        momentum: 0.2, training: true)
    ) { error in
      XCTAssertTrue("\(error)".contains("batchNormalization"), "\(error)")
    }
  }

  // MARK: - Dropout

  func testDropoutInvertedScalingAndKeepFraction() throws {
    let n = 20_000, rate: Float = 0.3
    let x = TestTensors.uniform([n], low: 1, high: 2, seed: 70)
    var g = SeededGenerator(seed: 71)
    let y = try x.dropout(rate: rate, generator: &g)
    var kept = 0
    for (a, b) in zip(x.values, y.values) {
      if b != 0 {
        kept += 1
        XCTAssertEqual(b, a / (1 - rate), accuracy: 1e-6 * abs(b))
      }
    }
    // Binomial(20000, 0.7): standard deviation ~65; allow 5 sigma.
    XCTAssertEqual(Double(kept), Double(n) * 0.7, accuracy: 325)
    // Expected value preserved: mean(y) ~ mean(x).
    XCTAssertEqual(Double(y.mean().scalarValue), Double(x.mean().scalarValue), accuracy: 0.02)
  }

  func testDropoutRateZeroIsIdentity() throws {
    let x = TestTensors.uniform([5, 4], seed: 72)
    var g = SeededGenerator(seed: 73)
    let y = try x.dropout(rate: 0, generator: &g)
    XCTAssertEqual(y.values, x.values)
  }

  func testDropoutSameSeedSameMask() throws {
    let x = TestTensors.uniform([400], low: 1, high: 2, seed: 74)
    var g1 = SeededGenerator(seed: 75), g2 = SeededGenerator(seed: 75), g3 = SeededGenerator(seed: 76)
    let a = try x.dropout(rate: 0.5, generator: &g1), b = try x.dropout(rate: 0.5, generator: &g2)
    let c = try x.dropout(rate: 0.5, generator: &g3)
    XCTAssertEqual(a.values, b.values)
    XCTAssertNotEqual(a.values.map { $0 == 0 }, c.values.map { $0 == 0 })
    // The generator advances: a second call with the same generator draws a different mask.
    let d = try x.dropout(rate: 0.5, generator: &g1)
    XCTAssertNotEqual(a.values.map { $0 == 0 }, d.values.map { $0 == 0 })
  }

  func testDropoutRejectsBadRates() {
    var g = SeededGenerator(seed: 1)
    let x = Tensor.zeros([3])
    XCTAssertThrowsError(try x.dropout(rate: 1, generator: &g))
    XCTAssertThrowsError(try x.dropout(rate: -0.1, generator: &g))
  }

  // MARK: - Losses and softmax

  func bceReference(_ z: [Float], _ y: [Float], _ w: [Float]?) -> Double {
    var total = 0.0
    for i in z.indices {
      let zi = Double(z[i]), yi = Double(y[i])
      let l = max(zi, 0) - zi * yi + Foundation.log(1 + Foundation.exp(-abs(zi)))
      total += Double(w?[i] ?? 1) * l
    }
    return total / Double(z.count)
  }

  func testBinaryCrossEntropyFormula() throws {
    let z = TestTensors.make([5, 1], [-2.5, -0.3, 0, 0.7, 3.1])
    let y = TestTensors.make([5], [0, 1, 1, 0, 1])
    let loss = try Tensor.binaryCrossEntropy(logits: z, labels: y)
    XCTAssertEqual(loss.shape, [])
    XCTAssertEqual(Double(loss.scalarValue), bceReference(z.values, y.values, nil), accuracy: 1e-6)
    // Same as -[y log p + (1-y) log(1-p)] with p = sigmoid(z), away from the clip.
    var direct = 0.0
    for (zi, yi) in zip(z.values, y.values) {
      let p = 1 / (1 + Foundation.exp(-Double(zi)))
      direct -= Double(yi) * Foundation.log(p) + (1 - Double(yi)) * Foundation.log(1 - p)
    }
    XCTAssertEqual(Double(loss.scalarValue), direct / 5, accuracy: 1e-6)
  }

  func testBinaryCrossEntropyWeightsDivideByBatchSizeNotWeightSum() throws {
    let z = TestTensors.make([4], [0.5, -1, 2, -0.2]), y = TestTensors.make([4], [1, 0, 0, 1])
    let w = TestTensors.make([4], [0.5, 0.5, 0, 1])  // Σw = 2, N = 4
    let loss = try Tensor.binaryCrossEntropy(logits: z, labels: y, weights: w)
    let expected = bceReference(z.values, y.values, w.values)
    XCTAssertEqual(Double(loss.scalarValue), expected, accuracy: 1e-6)
    XCTAssertNotEqual(Double(loss.scalarValue), expected * 4 / 2, accuracy: 1e-3)
  }

  func testBinaryCrossEntropyStableForLargeLogits() throws {
    let z = try Tensor(shape: [4], values: [100, -100, 100, -100], requiresGradient: true)
    let y = TestTensors.make([4], [1, 0, 0, 1])
    let loss = try Tensor.binaryCrossEntropy(logits: z, labels: y)
    // Per-sample losses 0, 0, 100, 100.
    XCTAssertEqual(loss.scalarValue, 50, accuracy: 1e-4)
    try loss.backward()
    let g = z.gradient!.values
    XCTAssertTrue(z.gradient!.isFinite)
    assertClose(g, [0, 0, 0.25, -0.25], atol: 1e-7, rtol: 1e-6)
    // Also at +-1000: still finite.
    let big = try Tensor.binaryCrossEntropy(logits: TestTensors.make([2], [1000, -1000]), labels: TestTensors.make([2], [0, 1]))
    XCTAssertEqual(big.scalarValue, 1000, accuracy: 1e-2)
  }

  func testBinaryCrossEntropyRejectsNonFiniteAndMismatchedInputs() {
    XCTAssertThrowsError(try Tensor.binaryCrossEntropy(logits: TestTensors.make([2], [.nan, 0]), labels: .zeros([2])))
    XCTAssertThrowsError(try Tensor.binaryCrossEntropy(logits: .zeros([3]), labels: .zeros([2])))
    XCTAssertThrowsError(try Tensor.binaryCrossEntropy(logits: .zeros([3]), labels: .zeros([3]), weights: .zeros([2])))
    XCTAssertThrowsError(try Tensor.binaryCrossEntropy(logits: .zeros([3, 2]), labels: .zeros([3])))
  }

  func testSoftmaxAndLogSoftmaxValues() throws {
    let z = TestTensors.make([2, 3], [1, 2, 3, -1, 0, 1000])
    let p = try z.softmax().values, lp = try z.logSoftmax().values
    let row0 = [1.0, 2, 3].map { Foundation.exp($0 - 3) }, s0 = row0.reduce(0, +)
    assertClose(Array(p[0..<3]).map(Double.init), row0.map { $0 / s0 }, atol: 1e-6, rtol: 1e-5)
    assertClose(Array(p[3..<6]), [0, 0, 1], atol: 1e-7, rtol: 0)
    assertClose(Array(lp[0..<3]).map(Double.init), row0.map { Foundation.log($0 / s0) }, atol: 1e-5, rtol: 1e-5)
    // log-softmax far from the maximum: exact values, not a clipped log of an underflowed probability.
    assertClose(Array(lp[3..<6]), [-1001, -1000, 0], atol: 1e-3, rtol: 1e-6)
    let spread = try TestTensors.make([1, 2], [0, -100]).logSoftmax().values
    assertClose(spread, [0, -100], atol: 1e-4, rtol: 1e-6)
  }

  func testCategoricalCrossEntropyValues() throws {
    let z = TestTensors.make([2, 3], [1, 2, 0.5, -1, 0.2, 3])
    let t = TestTensors.make([2, 3], [0, 1, 0, 0.2, 0, 0.8])
    let w = TestTensors.make([2], [1.5, 0.5])
    let loss = try Tensor.categoricalCrossEntropy(logits: z, targets: t, weights: w)
    var total = 0.0
    let zv = z.values.map(Double.init), tv = t.values.map(Double.init), wv = [1.5, 0.5]
    for i in 0..<2 {
      let row = Array(zv[(i * 3)..<(i * 3 + 3)])
      let m = row.max()!, lse = m + Foundation.log(row.map { Foundation.exp($0 - m) }.reduce(0, +))
      var l = 0.0
      for j in 0..<3 { l -= tv[i * 3 + j] * (row[j] - lse) }
      total += wv[i] * l
    }
    XCTAssertEqual(Double(loss.scalarValue), total / 2, accuracy: 1e-5)
  }

  func testCategoricalCrossEntropyExtremeLogits() throws {
    // The target class is 100 below another: the loss is 100 (log-sum-exp), not a clipped log(0).
    let z = try Tensor(shape: [1, 2], values: [100, 0], requiresGradient: true)
    let loss = try Tensor.categoricalCrossEntropy(logits: z, targets: TestTensors.make([1, 2], [0, 1]))
    XCTAssertEqual(loss.scalarValue, 100, accuracy: 1e-3)
    try loss.backward()
    assertClose(z.gradient!.values, [1, -1], atol: 1e-6, rtol: 0)
  }

  // MARK: - Shapes

  func testFlattenOrderIsRowMajorHWC() throws {
    let (h, w, c) = (3, 4, 2)
    var values: [Float] = []
    for n in 0..<2 { for y in 0..<h { for x in 0..<w { for ch in 0..<c { values.append(Float(1000 * n + 100 * y + 10 * x + ch)) } } } }
    let t = try Tensor(shape: [2, h, w, c], values: values)
    let f = try t.flattened()
    XCTAssertEqual(f.shape, [2, h * w * c])
    let fv = f.values
    for n in 0..<2 {
      for y in 0..<h {
        for x in 0..<w {
          for ch in 0..<c {
            XCTAssertEqual(fv[n * h * w * c + (y * w + x) * c + ch], Float(1000 * n + 100 * y + 10 * x + ch))
          }
        }
      }
    }
  }

  func testReshapeInfersOneDimensionAndRejectsBadShapes() throws {
    let t = TestTensors.uniform([2, 3, 4], seed: 80)
    XCTAssertEqual(try t.reshaped(to: [-1, 4]).shape, [6, 4])
    XCTAssertEqual(try t.reshaped(to: [4, -1]).values, t.values)
    XCTAssertThrowsError(try t.reshaped(to: [5, -1]))
    XCTAssertThrowsError(try t.reshaped(to: [-1, -1]))
    XCTAssertThrowsError(try t.reshaped(to: [2, 3, 5]))
  }

  func testConcatenateOrder() throws {
    let a = TestTensors.make([2, 1, 2, 1], [1, 2, 3, 4])
    let b = TestTensors.make([2, 1, 2, 2], [10, 11, 20, 21, 30, 31, 40, 41])
    let c = TestTensors.make([2, 1, 2, 1], [-1, -2, -3, -4])
    let y = try Tensor.concatenateLastAxis([a, b, c])
    XCTAssertEqual(y.shape, [2, 1, 2, 4])
    XCTAssertEqual(y.values, [1, 10, 11, -1, 2, 20, 21, -2, 3, 30, 31, -3, 4, 40, 41, -4])
    XCTAssertThrowsError(try Tensor.concatenateLastAxis([a, TestTensors.make([2, 2, 1, 1], [1, 2, 3, 4])]))
    XCTAssertThrowsError(try Tensor.concatenateLastAxis([]))
  }

  func testZeroPaddedPlacement() throws {
    let x = TestTensors.make([1, 2, 2, 1], [1, 2, 3, 4])
    let y = try x.zeroPadded(top: 1, bottom: 0, left: 0, right: 2)
    XCTAssertEqual(y.shape, [1, 3, 4, 1])
    XCTAssertEqual(y.values, [0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0])
    XCTAssertThrowsError(try x.zeroPadded(top: -1, bottom: 0, left: 0, right: 0))
  }

  func testPreparedKernelConvolutionEqualsPlainConvolution() throws {
    // A 3×3×144×216 kernel is over 1 MB: the direct routes read its packed copy in 64-channel slices (the last
    // one 24 wide). Prepared on each route and run on it, and prepared on each then run on the portable one.
    let x = TestTensors.uniform([2, 5, 4, 144], seed: 31)
    let k = TestTensors.uniform([3, 3, 144, 216], low: -0.1, high: 0.1, seed: 32)
    let b = TestTensors.uniform([216], seed: 33)
    let saved = KernelISA.active
    defer { KernelISA.active = saved }
    let routes = KernelISA.available.flatMap { isa in [(isa, isa), (isa, KernelISA.portable)] }
    for (prepareOn, runOn) in routes {
      KernelISA.active = prepareOn
      let prepared = PreparedConvolutionKernel(k)
      KernelISA.active = runOn
      for (strides, padding) in [((1, 1), Padding.same), ((2, 2), Padding.valid)] {
        let plain = try withoutGradients { try x.conv2D(kernel: k, bias: b, strides: strides, padding: padding, relu: true) }
        let fast = try withoutGradients {
          try x.conv2D(prepared: prepared, bias: b, strides: strides, padding: padding, relu: true)
        }
        XCTAssertEqual(fast.shape, plain.shape)
        assertClose(fast.values, plain.values, atol: 1e-5, rtol: 1e-5, "prepared on \(prepareOn), run on \(runOn), \(padding)")
      }
    }
    // It records no graph, so it refuses inputs that need gradients.
    let trainable = TestTensors.uniform([2, 5, 4, 144], seed: 34)
    trainable.requiresGradient = true
    XCTAssertThrowsError(
      try trainable.conv2D(prepared: PreparedConvolutionKernel(k), bias: b, strides: (1, 1), padding: .same, relu: false))
  }

  func testIsFiniteFindsEveryNonFiniteValue() throws {
    let finite: [Float] = [0, -0.0, 1, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude]
    XCTAssertTrue(TestTensors.make([6], finite).isFinite)
    for bad: Float in [.nan, .infinity, -.infinity, .signalingNaN] {
      for position in [0, 17, 99] {
        var values = [Float](repeating: 1, count: 100)
        values[position] = bad
        XCTAssertFalse(TestTensors.make([100], values).isFinite, "\(bad) at \(position)")
      }
    }
  }

  func testReductions() throws {
    let x = TestTensors.make([2, 3], [1, 2, 3, 4, 5, 6])
    XCTAssertEqual(x.sum().scalarValue, 21)
    XCTAssertEqual(x.mean().scalarValue, 3.5)
    let s = try x.sumLastAxis()
    XCTAssertEqual(s.shape, [2])
    XCTAssertEqual(s.values, [6, 15])
  }

  func testDenseMatchesNaive() throws {
    let x = TestTensors.uniform([5, 7], seed: 81), w = TestTensors.uniform([7, 3], seed: 82)
    let b = TestTensors.uniform([3], seed: 83)
    let y = try x.linear(weight: w, bias: b)
    var reference: [Double] = []
    for i in 0..<5 {
      for j in 0..<3 {
        var s = Double(b.values[j])
        for k in 0..<7 { s += Double(x.values[i * 7 + k]) * Double(w.values[k * 3 + j]) }
        reference.append(s)
      }
    }
    assertClose(y.values.map(Double.init), reference, atol: 1e-5, rtol: 1e-5)
    assertClose(try x.linear(weight: w, bias: b, relu: true).values.map(Double.init), reference.map { max($0, 0) }, atol: 1e-5, rtol: 1e-5)
  }

  // MARK: - Errors

  func assertTensorError(
    _ expression: @autoclosure () throws -> Tensor, mentions fragments: [String], file: StaticString = #filePath,
    line: UInt = #line
  ) {
    XCTAssertThrowsError(try expression(), file: file, line: line) { error in
      guard let tensorError = error as? TensorError else {
        XCTFail("expected a TensorError, got \(type(of: error)): \(error)", file: file, line: line)
        return
      }
      let text = tensorError.description
      for fragment in fragments {
        XCTAssertTrue(text.contains(fragment), "'\(text)' does not mention '\(fragment)'", file: file, line: line)
      }
    }
  }

  func testConvKernelChannelMismatchNamesOpAndShapes() {
    let x = Tensor.zeros([1, 4, 4, 3]), k = Tensor.zeros([3, 3, 2, 4])
    assertTensorError(try x.conv2D(kernel: k), mentions: ["conv2D", "[1, 4, 4, 3]", "[3, 3, 2, 4]"])
  }

  func testConvBiasMismatchNamesOpAndShapes() {
    let x = Tensor.zeros([1, 4, 4, 2]), k = Tensor.zeros([3, 3, 2, 4])
    assertTensorError(try x.conv2D(kernel: k, bias: .zeros([3])), mentions: ["conv2D", "[4]", "[3]"])
  }

  func testAddShapeMismatchNamesOpAndShapes() {
    assertTensorError(try Tensor.zeros([2, 3]).adding(.zeros([3, 2])), mentions: ["add", "[2, 3]", "[3, 2]"])
    assertTensorError(try Tensor.zeros([2, 3]).subtracting(.zeros([2])), mentions: ["subtract", "[2, 3]", "[2]"])
    assertTensorError(try Tensor.zeros([4]).multiplying(.zeros([5])), mentions: ["multiply", "[4]", "[5]"])
  }

  func testDenseMismatchNamesOpAndShapes() {
    assertTensorError(try Tensor.zeros([2, 3]).linear(weight: .zeros([4, 5]), bias: nil), mentions: ["dense", "[2, 3]", "[4, 5]"])
    assertTensorError(try Tensor.zeros([2, 3]).matmul(.zeros([4, 5])), mentions: ["matmul", "[2, 3]", "[4, 5]"])
    assertTensorError(try Tensor.zeros([2, 3]).linear(weight: .zeros([3, 5]), bias: .zeros([4])), mentions: ["dense", "[5]", "[4]"])
  }

  func testWindowThatDoesNotFitNamesOpAndShapes() {
    assertTensorError(try Tensor.zeros([1, 3, 3, 1]).conv2D(kernel: .zeros([5, 5, 1, 2])), mentions: ["conv2D", "[1, 3, 3, 1]", "[5, 5, 1, 2]"])
    assertTensorError(try Tensor.zeros([1, 2, 2, 1]).maxPool2D(size: (3, 3)), mentions: ["maxPool2D", "[1, 2, 2, 1]", "(3, 3)"])
    assertTensorError(try Tensor.zeros([1, 2, 5, 1]).averagePool2D(size: (3, 1)), mentions: ["averagePool2D", "[1, 2, 5, 1]", "(3, 1)"])
    assertTensorError(try Tensor.zeros([1, 4, 4, 1]).conv2D(kernel: .zeros([3, 3, 1, 1]), strides: (0, 1)), mentions: ["conv2D"])
  }

  func testPoolPaddingWiderThanWindowIsRejected() {
    // A window lying entirely in explicit padding has no maximum (and its mean divides by zero).
    let x = TestTensors.make([1, 2, 2, 1], [1, 2, 3, 4])
    let padding = Padding.explicit(top: 2, bottom: 0, left: 0, right: 0)
    assertTensorError(try x.maxPool2D(size: (2, 2), padding: padding), mentions: ["maxPool2D", "[1, 2, 2, 1]", "(2, 2)"])
    assertTensorError(try x.averagePool2D(size: (2, 2), padding: padding), mentions: ["averagePool2D", "[1, 2, 2, 1]"])
    // Padding narrower than the window is fine: every window holds a real pixel.
    let ok = Padding.explicit(top: 1, bottom: 1, left: 0, right: 1)
    XCTAssertEqual(try x.maxPool2D(size: (2, 2), strides: (1, 1), padding: ok).values, [2, 2, 4, 4, 4, 4])
    XCTAssertEqual(try x.averagePool2D(size: (2, 2), strides: (2, 2), padding: ok).values, [1.5, 3.5])
  }

  func testRankErrors() {
    assertTensorError(try Tensor.zeros([4, 4, 1]).conv2D(kernel: .zeros([3, 3, 1, 1])), mentions: ["conv2D", "[4, 4, 1]"])
    assertTensorError(try Tensor.zeros([4, 4]).maxPool2D(size: (2, 2)), mentions: ["maxPool2D", "[4, 4]"])
    assertTensorError(try Tensor.zeros([4, 4]).globalAveragePool2D(), mentions: ["globalAveragePool2D", "[4, 4]"])
    XCTAssertThrowsError(try Tensor(shape: [2, 3], values: [1, 2]))
  }

  // MARK: - Autodiff mechanics

  func testBackwardWithoutParametersThrows() {
    let x = TestTensors.uniform([3], seed: 90)
    let y = x.scaled(by: 2).sum()
    XCTAssertThrowsError(try y.backward()) { error in
      guard case TensorError.gradient = error else { return XCTFail("expected TensorError.gradient, got \(error)") }
    }
  }

  func testBackwardUnderWithoutGradientsRecordsNothing() throws {
    let w = try Tensor(shape: [3], values: [1, 2, 3], requiresGradient: true)
    let y = withoutGradients { w.scaled(by: 2).sum() }
    XCTAssertNil(y.gradientNode)
    XCTAssertThrowsError(try y.backward())
  }

  func testBackwardSeedShapeMustMatch() throws {
    let w = try Tensor(shape: [3], values: [1, 2, 3], requiresGradient: true)
    let y = w.scaled(by: 2)
    XCTAssertThrowsError(try y.backward(seed: .zeros([2])))
  }

  func testBackwardWithSeedEqualsBackwardOfProjectedSum() throws {
    // checkGradients seeds backward with R; that is the gradient of the scalar Σ out * R.
    let x = TestTensors.uniform([2, 5, 5, 2], seed: 93), k = TestTensors.uniform([3, 3, 2, 3], seed: 94)
    let r = TestTensors.uniform([2, 3, 3, 3], seed: 95)
    let a = try Tensor(shape: x.shape, values: x.values, requiresGradient: true)
    let b = try Tensor(shape: x.shape, values: x.values, requiresGradient: true)
    try a.conv2D(kernel: k, strides: (2, 2), padding: .same).tanh().backward(seed: r)
    try b.conv2D(kernel: k, strides: (2, 2), padding: .same).tanh().multiplying(r).sum().backward()
    assertClose(a.gradient!.values, b.gradient!.values, atol: 1e-6, rtol: 1e-5)
  }

  func testGradientsAccumulateAcrossBackwardCallsUntilZeroed() throws {
    let w = try Tensor(shape: [2], values: [1, 2], requiresGradient: true)
    try w.scaled(by: 3).sum().backward()
    try w.scaled(by: 2).sum().backward()
    XCTAssertEqual(w.gradient?.values, [5, 5])
    w.zeroGradient()
    XCTAssertNil(w.gradient)
    try w.multiplying(w).sum().backward()
    XCTAssertEqual(w.gradient?.values, [2, 4])
  }

  func testGraphIsReleasedAfterBackward() throws {
    let w = try Tensor(shape: [3], values: [1, 2, 3], requiresGradient: true)
    let loss = try w.multiplying(w).sum()
    try loss.backward()
    XCTAssertEqual(w.gradient?.values, [2, 4, 6])
    // A second backward through the consumed graph throws instead of crashing or adding a stale gradient.
    XCTAssertThrowsError(try loss.backward()) { error in
      guard case TensorError.gradient = error else { return XCTFail("expected TensorError.gradient, got \(error)") }
    }
    XCTAssertEqual(w.gradient?.values, [2, 4, 6])
  }

  func testSecondBackwardThroughSharedConsumedIntermediateThrows() throws {
    // h feeds two losses; the first backward consumes h's graph. Backward from the second loss must not
    // silently treat h as a constant (w would miss that loss's gradient): it throws.
    let w = try Tensor(shape: [3], values: [1, 2, 3], requiresGradient: true)
    let h = w.scaled(by: 2)
    let first = h.sum()
    let second = try h.multiplying(h).sum()
    try first.backward()
    XCTAssertEqual(w.gradient?.values, [2, 2, 2])
    XCTAssertThrowsError(try second.backward()) { error in
      guard case TensorError.gradient = error else { return XCTFail("expected TensorError.gradient, got \(error)") }
      XCTAssertTrue("\(error)".contains("already used"), "\(error)")
    }
    XCTAssertEqual(w.gradient?.values, [2, 2, 2])
  }

  func testBackwardReleasesSavedBuffers() throws {
    // After backward the nodes drop their inputs, so intermediate tensors are freed.
    let w = try Tensor(shape: [1, 4, 4, 2], values: TestTensors.uniform([1, 4, 4, 2], seed: 91).values, requiresGradient: true)
    weak var weakIntermediate: Tensor?
    let loss: Tensor
    do {
      let intermediate = try w.conv2D(kernel: TestTensors.uniform([3, 3, 2, 2], seed: 92), padding: .same).relu()
      weakIntermediate = intermediate
      loss = intermediate.sum()
    }
    XCTAssertNotNil(weakIntermediate, "the graph keeps the intermediate alive before backward")
    try loss.backward()
    XCTAssertNil(weakIntermediate, "backward released the graph")
    XCTAssertNotNil(w.gradient)
  }

  func testDroppingADeepGraphWithoutBackwardDoesNotOverflow() throws {
    // A forward whose loss is never backpropagated (a step abandoned on a non-finite loss) is simply released.
    let w = try Tensor(shape: [4], values: [1, 2, 3, 4], requiresGradient: true)
    weak var early: Tensor?
    var middle: Tensor?
    var y: Tensor? = w.scaled(by: 1)
    early = y
    for i in 0..<20_000 {
      y = i % 3 == 0 ? try y!.adding(y!) : y!.scaled(by: 0.5)
      if i == 30 { middle = y }
    }
    y = nil
    // The part below a tensor still held keeps its graph; backward from it works.
    XCTAssertNotNil(early)
    try middle!.sum().backward()
    XCTAssertNotNil(w.gradient)
    middle = nil
    XCTAssertNil(early, "the whole graph was freed")
  }

  func testDeepChainBackpropagatesWithoutStackOverflow() throws {
    let depth = 20_000
    let w = try Tensor(shape: [4], values: [1, -2, 3, 0.5], requiresGradient: true)
    var y = w
    let bump = Tensor.zeros([4])
    for i in 0..<depth {
      // Alternate two ops so the chain is not one repeated node type.
      y = i % 2 == 0 ? y.scaled(by: 1.0001) : try y.adding(bump)
    }
    let loss = y.sum()
    try loss.backward()
    let expected = Float(pow(1.0001, Double(depth / 2)))
    assertClose(w.gradient!.values, [Float](repeating: expected, count: 4), atol: 0, rtol: 1e-3)
  }
}

extension SemanticsTests {
  func testSeededGeneratorIsXoshiro256StarStarSeededThroughSplitMix() {
    // The same reference values as AstroKernels' generator test: initial weights drawn before the generators
    // were shared are drawn the same way now.
    var generator = SeededGenerator(seed: 42)
    XCTAssertEqual((0..<4).map { _ in generator.next() },
                   [1_546_998_764_402_558_742, 6_990_951_692_964_543_102, 12_544_586_762_248_559_009,
                    17_057_574_109_182_124_193])
  }
}
