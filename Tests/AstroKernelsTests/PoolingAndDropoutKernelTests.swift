import AstroKernels
import XCTest

/// Max pooling with a recorded arg-max (every vector route) against the portable route, and dropout masks: the same bits
/// on every route and for any thread count, kept at the asked rate.
final class PoolingAndDropoutKernelTests: XCTestCase {
  func testArgMaxPoolingEqualsPortableRouteWithTies() throws {
    let vectorRoutes = KernelISA.available.filter { $0 != .portable }
    try XCTSkipIf(vectorRoutes.isEmpty, "this CPU has no vector route: only the portable pooling route exists here")
    let saved = KernelISA.active
    defer { KernelISA.active = saved }
    let cases: [(h: Int, w: Int, c: Int, k: (Int, Int), s: (Int, Int), padding: WindowPadding)] = [
      (59, 59, 16, (2, 2), (2, 2), .valid),  // VGG6: a row and a column past the last window
      (25, 25, 32, (4, 4), (4, 4), .valid),
      (9, 11, 17, (3, 3), (2, 2), .same),  // overlapping, padded windows; a 16-lane vector plus a tail
      (7, 6, 3, (2, 3), (1, 2), .valid),
      (8, 8, 40, (2, 2), (2, 2), .same),
      (9, 9, 32, (3, 3), (2, 2), .same),  // whole 16-channel vectors in overlapping, padded windows
    ]
    for isa in vectorRoutes {
      KernelISA.active = isa
      for (index, c) in cases.enumerated() {
        let g = WindowGeometry(
          batch: 3, inHeight: c.h, inWidth: c.w, channels: c.c, kernelHeight: c.k.0, kernelWidth: c.k.1,
          strideH: c.s.0, strideW: c.s.1, padding: c.padding)!
        XCTAssertTrue(Pooling.recordsArgMax(g))
        // Values on a coarse grid, so most windows hold ties: the gradient must go to the first maximum.
        let x = randomArray(g.batch * g.inputSampleSize, seed: UInt64(index)).map { ($0 * 3).rounded() }
        let dy = randomArray(g.outputRows * c.c, seed: UInt64(100 + index))
        var y = [Float](repeating: .nan, count: g.outputRows * c.c), argMax = [UInt8](repeating: 0, count: y.count)
        var dx = [Float](repeating: .nan, count: x.count)
        Pooling.maxForward(g, input: x, output: &y, argMax: &argMax)
        Pooling.maxBackward(g, argMax: argMax, outputGradient: dy, inputGradient: &dx)

        var yPortable = [Float](repeating: .nan, count: y.count), dxPortable = [Float](repeating: 0, count: x.count)
        Pooling.maxForward(g, input: x, output: &yPortable)
        Pooling.maxBackward(g, input: x, output: yPortable, outputGradient: dy, inputGradient: &dxPortable)
        XCTAssertEqual(y, yPortable, "forward case \(index), route \(isa.rawValue)")
        var yInference = [Float](repeating: .nan, count: y.count)
        Pooling.maxForward(g, input: x, output: &yInference, argMax: nil)
        XCTAssertEqual(yInference, yPortable, "forward without arg-max, case \(index), route \(isa.rawValue)")
        XCTAssertEqual(dx, dxPortable, "backward case \(index), route \(isa.rawValue)")
      }
    }
  }

  func testDropoutMaskIsTheSameOnEveryRouteAndThreadCount() {
    let count = 100_003  // not a multiple of 32: scalar head and tail around the vector blocks
    let x = randomArray(count, seed: 7)
    var reference: (y: [Float], mask: [Float])?
    withKernelRoutes { isa in
      withWorkerCounts([1, 2, 3]) { workers in
        var y = [Float](repeating: .nan, count: count), mask = [Float](repeating: .nan, count: count)
        Elementwise.dropout(x, output: &y, mask: &mask, count: count, key: 42, keepProbability: 0.75)
        if let reference {
          XCTAssertEqual(y, reference.y, "route \(isa.rawValue), \(workers) workers")
          XCTAssertEqual(mask, reference.mask, "route \(isa.rawValue), \(workers) workers")
        } else {
          reference = (y, mask)
        }
      }
    }
    guard let (y, mask) = reference else { return XCTFail("no run") }
    let kept = mask.filter { $0 != 0 }.count
    XCTAssertEqual(Double(kept) / Double(count), 0.75, accuracy: 0.01)
    XCTAssertTrue(mask.allSatisfy { $0 == 0 || $0 == 1 / Float(0.75) })
    for i in 0..<count { XCTAssertEqual(y[i], x[i] * mask[i]) }

    // Another key gives another mask.
    var other = [Float](repeating: 0, count: count), otherMask = [Float](repeating: 0, count: count)
    Elementwise.dropout(x, output: &other, mask: &otherMask, count: count, key: 43, keepProbability: 0.75)
    XCTAssertNotEqual(otherMask, mask)
  }

  func testDropoutKeepsEverythingAtKeepProbabilityOne() {
    let x = randomArray(1000, seed: 3)
    var y = [Float](repeating: .nan, count: 1000), mask = [Float](repeating: .nan, count: 1000)
    withKernelRoutes { isa in
      Elementwise.dropout(x, output: &y, mask: &mask, count: 1000, key: 1, keepProbability: 1)
      XCTAssertEqual(y, x, "route \(isa.rawValue)")
      XCTAssertTrue(mask.allSatisfy { $0 == 1 }, "route \(isa.rawValue)")
    }
  }
}
