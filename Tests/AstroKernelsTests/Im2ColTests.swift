import AstroKernels
import XCTest

final class Im2ColTests: XCTestCase {
  func gather(_ g: WindowGeometry, _ x: [Float], rows: Range<Int>) -> [Float] {
    var cols = [Float](repeating: .nan, count: rows.count * g.patchSize)
    x.withUnsafeBufferPointer { xp in
      cols.withUnsafeMutableBufferPointer { cp in Im2Col.gather(g, input: xp.baseAddress!, rows: rows, into: cp.baseAddress!) }
    }
    return cols
  }

  func testGatherMatchesNaiveOnAllRows() {
    for (index, c) in ConvCase.all.enumerated() {
      let g = c.geometry
      let x = randomArray(g.batch * g.inputSampleSize, seed: UInt64(index))
      XCTAssertEqual(gather(g, x, rows: 0..<g.outputRows), naiveGather(g, x), "\(c)")
    }
  }

  func testGatherOfPartialRowRanges() {
    // Ranges that start and end mid-row and mid-sample, as the parallel chunks do.
    for (index, c) in ConvCase.all.enumerated() {
      let g = c.geometry
      let x = randomArray(g.batch * g.inputSampleSize, seed: 100 + UInt64(index))
      let full = naiveGather(g, x)
      let n = g.outputRows
      for range in [0..<1, (n / 3)..<(2 * n / 3 + 1), (n - 1)..<n, (g.outWidth + 1)..<min(n, 3 * g.outWidth + 2)] where !range.isEmpty {
        let expected = Array(full[(range.lowerBound * g.patchSize)..<(range.upperBound * g.patchSize)])
        XCTAssertEqual(gather(g, x, rows: range), expected, "\(c) rows \(range)")
      }
    }
  }

  func testGatherOfHandWorkedSamePadding() {
    // 1x3x3x1 input 1...9, 3x3 same, stride 2: out 2x2, pad 1 on each side.
    let g = WindowGeometry(
      batch: 1, inHeight: 3, inWidth: 3, channels: 1, kernelHeight: 3, kernelWidth: 3, strideH: 2, strideW: 2,
      padding: .same)!
    XCTAssertEqual([g.outHeight, g.outWidth, g.padTop, g.padBottom, g.padLeft, g.padRight], [2, 2, 1, 1, 1, 1])
    let cols = gather(g, (1...9).map(Float.init), rows: 0..<4)
    XCTAssertEqual(Array(cols[0..<9]), [0, 0, 0, 0, 1, 2, 0, 4, 5])
    XCTAssertEqual(Array(cols[27..<36]), [5, 6, 0, 8, 9, 0, 0, 0, 0])
  }

  func testScatterAddIsTheAdjointOfGather() {
    for (index, c) in ConvCase.all.enumerated() {
      let g = c.geometry
      let x = randomArray(g.batch * g.inputSampleSize, seed: 200 + UInt64(index))
      let cols = randomArray(g.outputRows * g.patchSize, seed: 300 + UInt64(index))
      let gathered = gather(g, x, rows: 0..<g.outputRows)
      var scattered = [Float](repeating: 0, count: x.count)
      cols.withUnsafeBufferPointer { cp in
        scattered.withUnsafeMutableBufferPointer { dp in
          Im2Col.scatterAdd(g, cols: cp.baseAddress!, rows: 0..<g.outputRows, into: dp.baseAddress!)
        }
      }
      var lhs = 0.0, rhs = 0.0, scale = 0.0
      for i in gathered.indices {
        lhs += Double(gathered[i]) * Double(cols[i])
        scale += abs(Double(gathered[i]) * Double(cols[i]))
      }
      for i in x.indices { rhs += Double(x[i]) * Double(scattered[i]) }
      XCTAssertEqual(lhs, rhs, accuracy: 1e-5 * max(scale, 1), "\(c)")
    }
  }

  func testScatterAddAccumulatesPerSampleRanges() {
    // Scattering sample by sample (as backwardInput's workers do) onto a non-zero dx adds to it.
    let c = ConvCase.all[2]
    let g = c.geometry
    let cols = randomArray(g.outputRows * g.patchSize, seed: 400)
    let base = randomArray(g.batch * g.inputSampleSize, seed: 401)
    var whole = base, pieces = base
    cols.withUnsafeBufferPointer { cp in
      whole.withUnsafeMutableBufferPointer { Im2Col.scatterAdd(g, cols: cp.baseAddress!, rows: 0..<g.outputRows, into: $0.baseAddress!) }
      pieces.withUnsafeMutableBufferPointer { dp in
        for n in 0..<g.batch {
          let rows = (n * g.outputRowsPerSample)..<((n + 1) * g.outputRowsPerSample)
          Im2Col.scatterAdd(g, cols: cp.baseAddress! + rows.lowerBound * g.patchSize, rows: rows, into: dp.baseAddress!)
        }
      }
    }
    XCTAssertEqual(whole, pieces)
    // The change equals the naive col2im.
    // (The kernel row of a tap is its index within the im2col patch.)
    var expected = base.map(Double.init)
    forEachTap(g) { row, xi, p in expected[xi] += Double(cols[row * g.patchSize + p]) }
    assertAllClose(whole, expected, atol: 1e-5, rtol: 1e-5, "scatterAdd vs naive col2im")
  }
}
