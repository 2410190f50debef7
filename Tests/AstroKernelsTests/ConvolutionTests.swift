import AstroKernels
import XCTest

/// Convolution.forward / backwardKernel / backwardInput against naive Double references, for many geometries,
/// batch sizes 1...5 and 1, 2 and 3 workers (uneven splits by rows and by samples), on both routes (direct
/// AVX-512 kernels where the CPU has them, and im2col + sgemm).
final class ConvolutionTests: XCTestCase {
  let workerCounts = [1, 2, 3]

  func testForwardMatchesNaive() {
    forEachRouteAndWorkerCount { workers in
      for (index, c) in ConvCase.all.enumerated() {
        let g = c.geometry, f = c.filters
        let x = randomArray(g.batch * g.inputSampleSize, seed: UInt64(10 * index))
        let k = randomArray(g.patchSize * f, seed: UInt64(10 * index + 1))
        let b = randomArray(f, seed: UInt64(10 * index + 2))
        for (bias, relu) in [(true, false), (false, false), (true, true), (false, true)] {
          var y = [Float](repeating: .nan, count: g.outputRows * f)
          x.withUnsafeBufferPointer { xp in
            k.withUnsafeBufferPointer { kp in
              b.withUnsafeBufferPointer { bp in
                y.withUnsafeMutableBufferPointer { yp in
                  Convolution.forward(
                    g, input: xp.baseAddress!, kernel: kp.baseAddress!, filters: f, bias: bias ? bp.baseAddress! : nil,
                    relu: relu, output: yp.baseAddress!)
                }
              }
            }
          }
          let expected = naiveConvForward(g, x, k, filters: f, bias: bias ? b : nil, relu: relu)
          assertAllClose(y, expected, atol: 1e-4, rtol: 1e-4, "forward \(c) bias \(bias) relu \(relu) workers \(workers)")
        }
      }
    }
  }

  func testBackwardKernelMatchesNaiveAndAccumulates() {
    forEachRouteAndWorkerCount { workers in
      for (index, c) in ConvCase.all.enumerated() {
        let g = c.geometry, f = c.filters
        let x = randomArray(g.batch * g.inputSampleSize, seed: UInt64(10 * index + 3))
        let dy = randomArray(g.outputRows * f, seed: UInt64(10 * index + 4))
        // Start from non-zero gradients: the kernel accumulates (+=) into them.
        let dk0 = randomArray(g.patchSize * f, seed: UInt64(10 * index + 5))
        let db0 = randomArray(f, seed: UInt64(10 * index + 6))
        var dk = dk0, db = db0
        x.withUnsafeBufferPointer { xp in
          dy.withUnsafeBufferPointer { dyp in
            dk.withUnsafeMutableBufferPointer { dkp in
              db.withUnsafeMutableBufferPointer { dbp in
                Convolution.backwardKernel(
                  g, input: xp.baseAddress!, outputGradient: dyp.baseAddress!, filters: f,
                  kernelGradient: dkp.baseAddress!, biasGradient: dbp.baseAddress!)
              }
            }
          }
        }
        let (nk, nb) = naiveBackwardKernel(g, x, dy, filters: f)
        assertAllClose(dk, zip(dk0, nk).map { Double($0) + $1 }, atol: 1e-4, rtol: 1e-4, "dKernel \(c) workers \(workers)")
        assertAllClose(db, zip(db0, nb).map { Double($0) + $1 }, atol: 1e-4, rtol: 1e-4, "dBias \(c) workers \(workers)")

        // Without a bias gradient.
        var dkOnly = [Float](repeating: 0, count: g.patchSize * f)
        x.withUnsafeBufferPointer { xp in
          dy.withUnsafeBufferPointer { dyp in
            dkOnly.withUnsafeMutableBufferPointer { dkp in
              Convolution.backwardKernel(
                g, input: xp.baseAddress!, outputGradient: dyp.baseAddress!, filters: f, kernelGradient: dkp.baseAddress!,
                biasGradient: nil)
            }
          }
        }
        assertAllClose(dkOnly, nk, atol: 1e-4, rtol: 1e-4, "dKernel no bias \(c) workers \(workers)")
      }
    }
  }

  func testBackwardInputMatchesNaive() {
    forEachRouteAndWorkerCount { workers in
      for (index, c) in ConvCase.all.enumerated() {
        let g = c.geometry, f = c.filters
        let dy = randomArray(g.outputRows * f, seed: UInt64(10 * index + 7))
        let k = randomArray(g.patchSize * f, seed: UInt64(10 * index + 8))
        // backwardInput writes dx (it does not accumulate): start from NaN so any element left unwritten shows.
        var dx = [Float](repeating: .nan, count: g.batch * g.inputSampleSize)
        dy.withUnsafeBufferPointer { dyp in
          k.withUnsafeBufferPointer { kp in
            dx.withUnsafeMutableBufferPointer { dxp in
              Convolution.backwardInput(
                g, outputGradient: dyp.baseAddress!, kernel: kp.baseAddress!, filters: f, inputGradient: dxp.baseAddress!)
            }
          }
        }
        let expected = naiveBackwardInput(g, dy, k, filters: f)
        assertAllClose(dx, expected, atol: 1e-4, rtol: 1e-4, "dInput \(c) workers \(workers)")
      }
    }
  }

  func testCombinedBackwardMatchesNaive() {
    // `Convolution.backward` with both gradients: the fused one-pass kernel for stride-1 shapes on the
    // AVX-512 route (split by samples, so 3 workers leave some with none), separate passes otherwise.
    forEachRouteAndWorkerCount { workers in
      for (index, c) in ConvCase.all.enumerated() {
        let g = c.geometry, f = c.filters
        let x = randomArray(g.batch * g.inputSampleSize, seed: UInt64(10 * index + 11))
        let dy = randomArray(g.outputRows * f, seed: UInt64(10 * index + 12))
        let k = randomArray(g.patchSize * f, seed: UInt64(10 * index + 13))
        let dk0 = randomArray(g.patchSize * f + f, seed: UInt64(10 * index + 14))
        var dkdb = dk0
        var dx = [Float](repeating: .nan, count: g.batch * g.inputSampleSize)
        dkdb.withUnsafeMutableBufferPointer { grads in
          Convolution.backward(
            g, input: x, outputGradient: dy, outputMask: nil, kernel: k, filters: f, kernelGradient: grads.baseAddress!,
            biasGradient: grads.baseAddress! + g.patchSize * f, inputGradient: &dx)
        }
        let (nk, nb) = naiveBackwardKernel(g, x, dy, filters: f)
        assertAllClose(dkdb, zip(dk0, nk + nb).map { Double($0) + $1 }, atol: 1e-4, rtol: 1e-4, "dKernel \(c) workers \(workers)")
        assertAllClose(dx, naiveBackwardInput(g, dy, k, filters: f), atol: 1e-4, rtol: 1e-4, "dInput \(c) workers \(workers)")
      }
    }
  }

  func testBackwardInputIsAdjointOfForward() {
    // ⟨conv(x), dy⟩ = ⟨x, convᵀ(dy)⟩ (no bias, no relu), in Double.
    withConvolutionRoutes { route in
    for (index, c) in ConvCase.all.enumerated() {
      let g = c.geometry, f = c.filters
      let x = randomArray(g.batch * g.inputSampleSize, seed: UInt64(500 + index))
      let k = randomArray(g.patchSize * f, seed: UInt64(600 + index))
      let dy = randomArray(g.outputRows * f, seed: UInt64(700 + index))
      var y = [Float](repeating: .nan, count: g.outputRows * f), dx = [Float](repeating: .nan, count: x.count)
      x.withUnsafeBufferPointer { xp in
        k.withUnsafeBufferPointer { kp in
          y.withUnsafeMutableBufferPointer {
            Convolution.forward(g, input: xp.baseAddress!, kernel: kp.baseAddress!, filters: f, bias: nil, relu: false, output: $0.baseAddress!)
          }
          dy.withUnsafeBufferPointer { dyp in
            dx.withUnsafeMutableBufferPointer {
              Convolution.backwardInput(g, outputGradient: dyp.baseAddress!, kernel: kp.baseAddress!, filters: f, inputGradient: $0.baseAddress!)
            }
          }
        }
      }
      let lhs = zip(y, dy).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
      let rhs = zip(x, dx).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
      XCTAssertEqual(lhs, rhs, accuracy: 1e-4 * max(1, abs(lhs)), "\(c) \(route)")
    }
    }
  }

  /// Each worker count on each convolution route, labelled "route/workers".
  func forEachRouteAndWorkerCount(_ body: (String) -> Void) {
    withConvolutionRoutes { route in withWorkerCounts(workerCounts) { body("\(route)/\($0)") } }
  }
}
