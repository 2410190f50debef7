import AstroKernels
import XCTest

final class GeometryTests: XCTestCase {
  func testWindowedAxisFollowsTensorFlow() {
    // valid: floor((in - k) / s) + 1.
    XCTAssertEqual(windowedAxis(input: 59, window: 2, stride: 2, padding: .valid, axis: 0)?.output, 29)
    XCTAssertEqual(windowedAxis(input: 25, window: 4, stride: 4, padding: .valid, axis: 0)?.output, 6)
    XCTAssertNil(windowedAxis(input: 2, window: 3, stride: 1, padding: .valid, axis: 0))
    // same: ceil(in / s), pad_total = max((out-1)*s + k - in, 0), extra pixel after.
    for (input, window, stride, out, before, after) in [
      (7, 3, 2, 4, 1, 1), (8, 3, 2, 4, 0, 1), (12, 7, 2, 6, 2, 3), (11, 7, 2, 6, 3, 3), (5, 2, 1, 5, 0, 1),
      (6, 1, 2, 3, 0, 0), (63, 3, 1, 63, 1, 1), (1, 5, 3, 1, 2, 2), (10, 2, 3, 4, 0, 1),
    ] {
      let a = windowedAxis(input: input, window: window, stride: stride, padding: .same, axis: 1)
      XCTAssertEqual(a?.output, out, "same \(input) k\(window) s\(stride)")
      XCTAssertEqual(a?.padBefore, before, "same \(input) k\(window) s\(stride)")
      XCTAssertEqual(a?.padAfter, after, "same \(input) k\(window) s\(stride)")
    }
    // explicit: axis 0 uses top/bottom, axis 1 left/right.
    let p = WindowPadding.explicit(top: 1, bottom: 2, left: 3, right: 0)
    XCTAssertEqual(windowedAxis(input: 5, window: 3, stride: 1, padding: p, axis: 0)?.output, 6)
    XCTAssertEqual(windowedAxis(input: 5, window: 3, stride: 1, padding: p, axis: 1)?.output, 6)
    XCTAssertEqual(windowedAxis(input: 5, window: 3, stride: 2, padding: p, axis: 1)?.padBefore, 3)
  }

  func testWindowGeometry() {
    let g = WindowGeometry(
      batch: 2, inHeight: 8, inWidth: 7, channels: 3, kernelHeight: 3, kernelWidth: 3, strideH: 2, strideW: 2,
      padding: .same)!
    XCTAssertEqual([g.outHeight, g.outWidth, g.padTop, g.padBottom, g.padLeft, g.padRight], [4, 4, 0, 1, 1, 1])
    XCTAssertEqual(g.patchSize, 27)
    XCTAssertEqual(g.outputRows, 32)
    XCTAssertFalse(g.isPointwise)
    let pw = WindowGeometry(
      batch: 1, inHeight: 4, inWidth: 4, channels: 2, kernelHeight: 1, kernelWidth: 1, strideH: 1, strideW: 1,
      padding: .same)!
    XCTAssertTrue(pw.isPointwise)
    let strided = WindowGeometry(
      batch: 1, inHeight: 4, inWidth: 4, channels: 2, kernelHeight: 1, kernelWidth: 1, strideH: 2, strideW: 2,
      padding: .valid)!
    XCTAssertFalse(strided.isPointwise)
    XCTAssertNil(
      WindowGeometry(
        batch: 1, inHeight: 4, inWidth: 4, channels: 1, kernelHeight: 3, kernelWidth: 3, strideH: 0, strideW: 1,
        padding: .valid))
    XCTAssertNil(
      WindowGeometry(
        batch: 1, inHeight: 2, inWidth: 4, channels: 1, kernelHeight: 3, kernelWidth: 3, strideH: 1, strideW: 1,
        padding: .valid))
  }
}

final class BLASTests: XCTestCase {
  func naive(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, transA: Bool, transB: Bool) -> [Double] {
    var c = [Double](repeating: 0, count: m * n)
    for i in 0..<m {
      for j in 0..<n {
        var s = 0.0
        for p in 0..<k {
          let av = transA ? a[p * m + i] : a[i * k + p]
          let bv = transB ? b[j * k + p] : b[p * n + j]
          s += Double(av) * Double(bv)
        }
        c[i * n + j] = s
      }
    }
    return c
  }

  func testParallelMatmulAllTransposes() {
    // On the AVX-512 route, products with n ≥ 16, beta 0, not both transposed and, without transA, m ≥ 64
    // run on the direct convolution kernels (`DirectMatmul`); 993 × 272 is a kernel over 1 MB, run in packed
    // slices.
    withAVX512Routes { _ in withWorkerCounts([1, 2, 3]) { workers in
      for (m, n, k) in [(1, 1, 1), (5, 3, 4), (130, 17, 33), (257, 9, 70), (64, 272, 993)] {
        for transA in [false, true] {
          for transB in [false, true] {
            let a = randomArray(m * k, seed: UInt64(m + k)), b = randomArray(k * n, seed: UInt64(n + 7 * k))
            let c0 = randomArray(m * n, seed: 9)
            for beta: Float in [0, 1] {
              var c = c0
              a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                  c.withUnsafeMutableBufferPointer { cp in
                    BLAS.parallelMatmul(
                      m: m, n: n, k: k, a: ap.baseAddress!, transA: transA, b: bp.baseAddress!, transB: transB, beta: beta,
                      c: cp.baseAddress!)
                  }
                }
              }
              let expected = zip(naive(a, b, m: m, n: n, k: k, transA: transA, transB: transB), c0).map { $0 + Double(beta * $1) }
              assertAllClose(c, expected, atol: 1e-4, rtol: 1e-4, "m\(m) n\(n) k\(k) tA \(transA) tB \(transB) beta \(beta) w\(workers) AVX-512 \(AVX512.enabled)")
            }
          }
        }
      }
    } }
  }

  func testParallelMatmulSplitOverWorkers() {
    // 2·n·k = 200,000 flops per row: at least 10 rows per worker, so 70 rows go to 3 (or 2) workers, in each
    // transpose combination (transA offsets the rows of A by columns of the stored matrix); on the AVX-512
    // route `DirectMatmul` splits them (at least 16 rows per worker).
    withAVX512Routes { _ in withWorkerCounts([2, 3]) { workers in
      let (m, n, k) = (70, 200, 500)
      let a = randomArray(m * k, seed: 11), b = randomArray(k * n, seed: 12)
      for transA in [false, true] {
        for transB in [false, true] {
          var c = [Float](repeating: .nan, count: m * n)
          a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
              c.withUnsafeMutableBufferPointer { cp in
                BLAS.parallelMatmul(
                  m: m, n: n, k: k, a: ap.baseAddress!, transA: transA, b: bp.baseAddress!, transB: transB,
                  c: cp.baseAddress!)
              }
            }
          }
          let expected = naive(a, b, m: m, n: n, k: k, transA: transA, transB: transB)
          assertAllClose(c, expected, atol: 1e-3, rtol: 1e-4, "split m\(m) tA \(transA) tB \(transB) w\(workers) AVX-512 \(AVX512.enabled)")
        }
      }
    } }
  }

  func testSgemmWithEmptyInnerDimension() {
    var c: [Float] = [1, 2, 3, 4]
    let a: [Float] = [0], b: [Float] = [0]
    BLAS.sgemm(m: 2, n: 2, k: 0, a: a, lda: 1, b: b, ldb: 2, beta: 0, c: &c, ldc: 2)
    XCTAssertEqual(c, [0, 0, 0, 0])
    c = [1, 2, 3, 4]
    BLAS.sgemm(m: 2, n: 2, k: 0, a: a, lda: 1, b: b, ldb: 2, beta: 0.5, c: &c, ldc: 2)
    XCTAssertEqual(c, [0.5, 1, 1.5, 2])
  }
}

final class PoolingKernelTests: XCTestCase {
  func naiveMax(_ g: WindowGeometry, _ x: [Float]) -> (values: [Float], firstArgmax: [Int]) {
    var values: [Float] = [], positions: [Int] = []
    for n in 0..<g.batch {
      for oh in 0..<g.outHeight {
        for ow in 0..<g.outWidth {
          for c in 0..<g.channels {
            var best = -Float.infinity, bestIndex = -1
            for i in 0..<g.kernelHeight {
              for j in 0..<g.kernelWidth {
                let ih = oh * g.strideH - g.padTop + i, iw = ow * g.strideW - g.padLeft + j
                guard ih >= 0 && ih < g.inHeight && iw >= 0 && iw < g.inWidth else { continue }
                let idx = n * g.inputSampleSize + (ih * g.inWidth + iw) * g.channels + c
                if x[idx] > best { best = x[idx]; bestIndex = idx }  // strict: first maximum wins ties
              }
            }
            values.append(best)
            positions.append(bestIndex)
          }
        }
      }
    }
    return (values, positions)
  }

  func testMaxForwardAndBackwardMatchNaive() {
    // Values on a coarse grid so that windows contain ties; padding (same) must never win.
    withWorkerCounts([1, 3]) { _ in
      for padding in [WindowPadding.valid, .same] {
        let g = WindowGeometry(
          batch: 3, inHeight: 5, inWidth: 5, channels: 2, kernelHeight: 3, kernelWidth: 3, strideH: 2, strideW: 2,
          padding: padding)!
        let x = randomArray(g.batch * g.inputSampleSize, seed: 77).map { ($0 * 3).rounded() - 2 }
        let outCount = g.outputRows * g.channels
        var y = [Float](repeating: .nan, count: outCount)
        x.withUnsafeBufferPointer { xp in
          y.withUnsafeMutableBufferPointer { Pooling.maxForward(g, input: xp.baseAddress!, output: $0.baseAddress!) }
        }
        let (values, first) = naiveMax(g, x)
        XCTAssertEqual(y, values, "\(padding)")
        let dy = randomArray(outCount, seed: 78)
        var dx = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xp in
          y.withUnsafeBufferPointer { yp in
            dy.withUnsafeBufferPointer { dyp in
              dx.withUnsafeMutableBufferPointer {
                Pooling.maxBackward(
                  g, input: xp.baseAddress!, output: yp.baseAddress!, outputGradient: dyp.baseAddress!,
                  inputGradient: $0.baseAddress!)
              }
            }
          }
        }
        var expected = [Double](repeating: 0, count: x.count)
        for o in 0..<outCount { expected[first[o]] += Double(dy[o]) }
        assertAllClose(dx, expected, atol: 1e-6, rtol: 1e-6, "maxBackward \(padding)")
      }
    }
  }

  func testAverageBackwardIsAdjointOfForward() {
    for padding in [WindowPadding.valid, .same] {
      let g = WindowGeometry(
        batch: 3, inHeight: 7, inWidth: 6, channels: 2, kernelHeight: 3, kernelWidth: 2, strideH: 2, strideW: 1,
        padding: padding)!
      let x = randomArray(g.batch * g.inputSampleSize, seed: 80)
      let dy = randomArray(g.outputRows * 2, seed: 81)
      var y = [Float](repeating: .nan, count: dy.count), dx = [Float](repeating: 0, count: x.count)
      x.withUnsafeBufferPointer { xp in
        y.withUnsafeMutableBufferPointer { Pooling.averageForward(g, input: xp.baseAddress!, output: $0.baseAddress!) }
      }
      dy.withUnsafeBufferPointer { dyp in
        dx.withUnsafeMutableBufferPointer { Pooling.averageBackward(g, outputGradient: dyp.baseAddress!, inputGradient: $0.baseAddress!) }
      }
      let lhs = zip(y, dy).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
      let rhs = zip(x, dx).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
      XCTAssertEqual(lhs, rhs, accuracy: 1e-5 * max(1, abs(lhs)), "\(padding)")
    }
  }
}
