import AstroKernels
import XCTest

final class NormalizationKernelTests: XCTestCase {
  func meanAndVariance(_ x: [Float], channels c: Int) -> ([Float], [Float]) {
    var mean = [Float](repeating: .nan, count: c), variance = [Float](repeating: .nan, count: c)
    x.withUnsafeBufferPointer { xp in
      mean.withUnsafeMutableBufferPointer { mp in
        variance.withUnsafeMutableBufferPointer { vp in
          Normalization.meanAndVariance(xp.baseAddress!, rows: x.count / c, channels: c, mean: mp.baseAddress!, variance: vp.baseAddress!)
        }
      }
    }
    return (mean, variance)
  }

  /// Two-pass Double reference.
  func reference(_ x: [Float], channels c: Int) -> ([Double], [Double]) {
    let rows = x.count / c
    var mean = [Double](repeating: 0, count: c), variance = [Double](repeating: 0, count: c)
    for r in 0..<rows { for ch in 0..<c { mean[ch] += Double(x[r * c + ch]) } }
    for ch in 0..<c { mean[ch] /= Double(rows) }
    for r in 0..<rows {
      for ch in 0..<c {
        let d = Double(x[r * c + ch]) - mean[ch]
        variance[ch] += d * d
      }
    }
    for ch in 0..<c { variance[ch] /= Double(rows) }
    return (mean, variance)
  }

  func testMeanAndVarianceOnAMillionRowsWithLargeOffset() {
    // 1e6 + 3 rows (not a multiple of the 256-row blocks), 3 channels with means 1e4, -3e3, 0.5 and
    // standard deviations 1, 0.01, 2: a one-pass E[x²] - E[x]² in Float would lose the variance entirely.
    let rows = 1_000_003, c = 3
    var rng = KernelRNG(seed: 42)
    let offsets: [Float] = [10_000, -3_000, 0.5], scales: [Float] = [1, 0.01, 2]
    var x = [Float](repeating: 0, count: rows * c)
    for r in 0..<rows {
      for ch in 0..<c { x[r * c + ch] = offsets[ch] + scales[ch] * Float(2 * rng.unit() - 1) * 1.7320508 }
    }
    let (rm, rv) = reference(x, channels: c)
    withKernelRoutes { isa in
      withWorkerCounts([2, 3]) { workers in
        let (mean, variance) = meanAndVariance(x, channels: c)
        for ch in 0..<c {
          // Mean within a couple of Float ulps of the offset; variance to 1e-4 relative.
          let label = "channel \(ch), \(workers) workers, route \(isa.rawValue)"
          XCTAssertEqual(Double(mean[ch]), rm[ch], accuracy: 4 * Double(abs(offsets[ch]).ulp) + 1e-6, "mean, \(label)")
          XCTAssertEqual(Double(variance[ch]), rv[ch], accuracy: 1e-4 * rv[ch], "variance, \(label)")
        }
      }
    }
  }

  func testMeanAndVarianceOverManyChannelsMatchReference() {
    // 70 channels (a masked tail of 6 lanes) and 3,001 rows: several row blocks per worker on the vector routes.
    let rows = 3_001, c = 70
    let x = randomArray(rows * c, seed: 7, low: -3, high: 5)
    let (rm, rv) = reference(x, channels: c)
    withKernelRoutes { isa in
      withWorkerCounts([1, 2, 3]) { workers in
        let (mean, variance) = meanAndVariance(x, channels: c)
        assertAllClose(mean, rm, atol: 1e-5, rtol: 1e-5, "mean, \(workers) workers, route \(isa.rawValue)")
        assertAllClose(variance, rv, atol: 1e-5, rtol: 1e-5, "variance, \(workers) workers, route \(isa.rawValue)")
      }
    }
  }

  func testMeanAndVarianceSmallCasesAreBiased() {
    // 4 rows: 1, 2, 3, 6 -> mean 3, biased variance 3.5.
    let (mean, variance) = meanAndVariance([1, 2, 3, 6], channels: 1)
    XCTAssertEqual(mean, [3])
    XCTAssertEqual(variance, [3.5])
    let (m1, v1) = meanAndVariance([7, -2], channels: 2)  // one row
    XCTAssertEqual(m1, [7, -2])
    XCTAssertEqual(v1, [0, 0])
  }

  func testGradientSumsAndTrainingInputGradientMatchNaive() {
    // Every route (AVX-512, AVX2, portable), a channel count that is not a multiple of 16, and a fused ReLU's mask.
    withKernelRoutes { isa in
      for c in [5, 37] {
        for masked in [false, true] {
          checkGradientSumsAndInputGradient(channels: c, masked: masked, "route \(isa.rawValue) c \(c) masked \(masked)")
        }
      }
    }
  }

  func checkGradientSumsAndInputGradient(channels c: Int, masked: Bool, _ label: String) {
    let rows = 1000
    let x = randomArray(rows * c, seed: 1, low: -2, high: 3), dy = randomArray(rows * c, seed: 2)
    let mask = masked ? randomArray(rows * c, seed: 4).map { max($0, 0) } : nil
    let gamma = randomArray(c, seed: 3, low: 0.5, high: 1.5)
    let (rm, rv) = reference(x, channels: c)
    let mean = rm.map { Float($0) }, invStd = rv.map { Float(1 / ($0 + 1e-3).squareRoot()) }
    var sumDy = [Float](repeating: 0, count: c), sumDyXhat = [Float](repeating: 0, count: c)
    var dx = [Float](repeating: .nan, count: rows * c)
    withWorkerCounts([3]) { _ in
      Normalization.gradientSums(
        x, outputGradient: dy, outputMask: mask, rows: rows, channels: c, mean: mean, invStd: invStd,
        sumDy: &sumDy, sumDyXhat: &sumDyXhat)
      Normalization.trainingInputGradient(
        x, outputGradient: dy, outputMask: mask, rows: rows, channels: c, mean: mean, invStd: invStd, gamma: gamma,
        sumDy: sumDy, sumDyXhat: sumDyXhat, inputGradient: &dx)
    }
    let g = (0..<(rows * c)).map { i in Double(mask.map { $0[i] > 0 ? dy[i] : 0 } ?? dy[i]) }
    var sd = [Double](repeating: 0, count: c), sdx = [Double](repeating: 0, count: c)
    for r in 0..<rows {
      for ch in 0..<c {
        sd[ch] += g[r * c + ch]
        sdx[ch] += g[r * c + ch] * (Double(x[r * c + ch]) - Double(mean[ch])) * Double(invStd[ch])
      }
    }
    assertAllClose(sumDy, sd, atol: 1e-3, rtol: 1e-4, "Σdy \(label)")
    assertAllClose(sumDyXhat, sdx, atol: 1e-3, rtol: 1e-4, "Σdy·xhat \(label)")
    var expected: [Double] = []
    for r in 0..<rows {
      for ch in 0..<c {
        let xhat = (Double(x[r * c + ch]) - Double(mean[ch])) * Double(invStd[ch])
        let n = Double(rows)
        expected.append(Double(gamma[ch]) * Double(invStd[ch]) / n * (n * g[r * c + ch] - sd[ch] - xhat * sdx[ch]))
      }
    }
    assertAllClose(dx, expected, atol: 1e-4, rtol: 1e-3, "training dx \(label)")
  }

  func testScaleShift() {
    let x: [Float] = [1, 2, 3, 4, -5, 6]
    var y = [Float](repeating: .nan, count: 6)
    Normalization.scaleShift(x, rows: 3, channels: 2, scale: [2, -1], shift: [0.5, 1], relu: false, output: &y)
    XCTAssertEqual(y, [2.5, -1, 6.5, -3, -9.5, -5])
    Normalization.scaleShift(x, rows: 3, channels: 2, scale: [2, -1], shift: [0.5, 1], relu: true, output: &y)
    XCTAssertEqual(y, [2.5, 0, 6.5, 0, 0, 0])
  }
}
