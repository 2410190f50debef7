import AstroTensor
import TestSupport
import XCTest

/// Broadcasting, operators, slicing, permutations, axis reductions, concatenation/stacking on any axis and
/// batched matmul: values against hand-computed NumPy results, and a numerical gradient check of each.
final class TensorBasicsTests: XCTestCase {
  // MARK: broadcasting and operators

  func testBroadcastShapesFollowNumPy() throws {
    XCTAssertEqual(try Tensor.broadcastShape([2, 1, 4], [3, 1]), [2, 3, 4])
    XCTAssertEqual(try Tensor.broadcastShape([], [5]), [5])
    XCTAssertThrowsError(try Tensor.broadcastShape([2, 3], [4])) { error in
      XCTAssertEqual("\(error)", "broadcast: shapes [2, 3] and [4] do not match")
    }
  }

  func testBroadcastingArithmeticValues() throws {
    let a = TestTensors.make([2, 3], [1, 2, 3, 4, 5, 6])
    let row = TestTensors.make([3], [10, 20, 30])
    let column = TestTensors.make([2, 1], [2, 4])
    XCTAssertEqual(try (a + row).values, [11, 22, 33, 14, 25, 36])
    XCTAssertEqual(try (a - column).values, [-1, 0, 1, 0, 1, 2])
    XCTAssertEqual(try (a * column).values, [2, 4, 6, 16, 20, 24])
    XCTAssertEqual(try (a / column).values, [0.5, 1, 1.5, 1, 1.25, 1.5])
    XCTAssertEqual((2 * a - 1).values, [1, 3, 5, 7, 9, 11])
    XCTAssertEqual((-a / 2).values, [-0.5, -1, -1.5, -2, -2.5, -3])
    XCTAssertEqual(try (6 / a).values, [6, 3, 2, 1.5, 1.2, 1])
    XCTAssertThrowsError(try a + TestTensors.make([2], [1, 2])) { error in
      XCTAssertEqual("\(error)", "add: shapes [2, 3] and [2] do not match")
    }
  }

  func testBroadcastingGradients() {
    let a = TestTensors.uniform([2, 3, 4], seed: 101)
    let b = TestTensors.uniform([3, 1], seed: 102)
    let positive = TestTensors.uniform([1, 4], low: 0.5, high: 2, seed: 103)
    checkGradients("add broadcast", inputs: [a, b], step: 5e-2) { try $0[0] + $0[1] }
    checkGradients("subtract broadcast", inputs: [b, a], step: 5e-2) { try $0[0] - $0[1] }
    checkGradients("multiply broadcast", inputs: [a, b], step: 5e-2) { try $0[0] * $0[1] }
    checkGradients("divide broadcast", inputs: [a, positive], step: 1e-3) { try $0[0] / $0[1] }
    checkGradients("broadcast(to:)", inputs: [b], step: 5e-2) { try $0[0].broadcast(to: [2, 3, 4]) }
  }

  func testUnaryGradients() {
    let positive = TestTensors.uniform([3, 4], low: 0.5, high: 2, seed: 104)
    let away = TestTensors.awayFromZero([3, 4], seed: 105)
    checkGradients("pow", inputs: [positive], step: 1e-3) { $0[0].raised(to: 2.5) }
    checkGradients("sqrt", inputs: [positive], step: 1e-3) { $0[0].squareRoot() }
    checkGradients("abs", inputs: [away], step: 1e-2) { $0[0].absolute() }
    checkGradients("scalar operators", inputs: [positive], step: 1e-3) { try 3 - $0[0] * 2 + 1 / $0[0] }
  }

  // MARK: slicing and indexing

  func testSlicingValuesAndBounds() throws {
    let x = try Tensor(shape: [2, 3, 4], values: (0..<24).map(Float.init))
    XCTAssertEqual(try x.slice([1..<2, 1..<3]).values, [16, 17, 18, 19, 20, 21, 22, 23])
    XCTAssertEqual(try x.slice(along: -1, 2..<4).shape, [2, 3, 2])
    XCTAssertEqual(try x.slice(along: -1, 2..<4).values, [2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23])
    XCTAssertEqual(try x[1].shape, [3, 4])
    XCTAssertEqual(try x[1].values.first, 12)
    XCTAssertEqual(try x.select(2, along: 1).values, [8, 9, 10, 11, 20, 21, 22, 23])
    XCTAssertEqual(try x.gathering([2, 0, 2], along: 1).values.prefix(12), [8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11])
    XCTAssertThrowsError(try x.slice([0..<3])) { XCTAssertTrue("\($0)".contains("range 0..<3 out of bounds for axis 0")) }
    XCTAssertThrowsError(try x[2]) { XCTAssertTrue("\($0)".contains("index 2 out of bounds for axis 0")) }
    XCTAssertThrowsError(try x.select(0, along: 3)) { XCTAssertTrue("\($0)".contains("axis 3 out of range")) }
    XCTAssertThrowsError(try x.gathering([0, -1])) { XCTAssertTrue("\($0)".contains("index -1 out of bounds")) }
    XCTAssertThrowsError(try x.batch(1..<3)) { XCTAssertTrue("\($0)".contains("rows 1..<3 out of bounds")) }
    XCTAssertEqual(try x.batch(1..<2).values, Array(x.values[12...]))
  }

  func testSlicingGradients() {
    let x = TestTensors.uniform([3, 4, 5], seed: 106)
    checkGradients("slice", inputs: [x], step: 5e-2) { try $0[0].slice([1..<3, 0..<4, 2..<5]) }
    checkGradients("select", inputs: [x], step: 5e-2) { try $0[0].select(1, along: -2) }
    // Repeated indices: both copies' gradients must add up.
    checkGradients("gather", inputs: [x], step: 5e-2) { try $0[0].gathering([2, 0, 2], along: 1) }
  }

  // MARK: permutations

  func testPermuteValues() throws {
    let x = try Tensor(shape: [2, 3, 4], values: (0..<24).map(Float.init))
    let p = try x.permuted([2, 0, 1])
    XCTAssertEqual(p.shape, [4, 2, 3])
    // p[i, j, k] = x[j, k, i]
    XCTAssertEqual(p.values.prefix(6), [0, 4, 8, 12, 16, 20])
    let m = try TestTensors.make([2, 3], [1, 2, 3, 4, 5, 6]).transposed()
    XCTAssertEqual(m.shape, [3, 2])
    XCTAssertEqual(m.values, [1, 4, 2, 5, 3, 6])
    XCTAssertThrowsError(try x.permuted([0, 0, 1])) { XCTAssertTrue("\($0)".contains("not a permutation")) }
  }

  func testPermuteGradients() {
    let x = TestTensors.uniform([2, 3, 4], seed: 107)
    checkGradients("permute", inputs: [x], step: 5e-2) { try $0[0].permuted([1, 2, 0]) }
    checkGradients("transpose", inputs: [TestTensors.uniform([3, 5], seed: 108)], step: 5e-2) { try $0[0].transposed() }
  }

  // MARK: reductions along axes

  func testAxisReductionValues() throws {
    let x = try Tensor(shape: [2, 3], values: [1, 5, 3, 4, 2, 6])
    XCTAssertEqual(try x.sum(alongAxes: [0]).values, [5, 7, 9])
    XCTAssertEqual(try x.sum(alongAxes: [-1], keepingDimensions: true).shape, [2, 1])
    XCTAssertEqual(try x.mean(alongAxes: [1]).values, [3, 4])
    XCTAssertEqual(try x.maximum(alongAxes: [1]).values, [5, 6])
    XCTAssertEqual(try x.minimum(alongAxes: [0]).values, [1, 2, 3])
    XCTAssertEqual(try x.sum(alongAxes: [0, 1]).shape, [])
    XCTAssertEqual(try x.sum(alongAxes: [0, 1]).scalarValue, 21)
  }

  func testAxisReductionGradients() {
    let x = TestTensors.uniform([2, 3, 4], seed: 109)
    let distinct = TestTensors.distinct([2, 3, 4], spacing: 0.1, seed: 110)
    checkGradients("sum axes", inputs: [x], step: 5e-2) { try $0[0].sum(alongAxes: [0, 2]) }
    checkGradients("mean axis keepdims", inputs: [x], step: 5e-2) { try $0[0].mean(alongAxes: [1], keepingDimensions: true) }
    checkGradients("max axis", inputs: [distinct], step: 1e-2) { try $0[0].maximum(alongAxes: [-1]) }
    checkGradients("min axes", inputs: [distinct], step: 1e-2) { try $0[0].minimum(alongAxes: [0, 1]) }
  }

  // MARK: concatenate and stack

  func testConcatenateAndStackOnAnyAxis() throws {
    let a = TestTensors.make([2, 2], [1, 2, 3, 4]), b = TestTensors.make([1, 2], [5, 6])
    XCTAssertEqual(try Tensor.concatenate([a, b], axis: 0).values, [1, 2, 3, 4, 5, 6])
    let c = TestTensors.make([2, 1], [7, 8])
    XCTAssertEqual(try Tensor.concatenate([a, c], axis: 1).values, [1, 2, 7, 3, 4, 8])
    let s = try Tensor.stack([a, a.scaled(by: 10)], axis: 1)
    XCTAssertEqual(s.shape, [2, 2, 2])
    XCTAssertEqual(s.values, [1, 2, 10, 20, 3, 4, 30, 40])
    XCTAssertThrowsError(try Tensor.concatenate([a, c], axis: 0)) { XCTAssertTrue("\($0)".contains("concatenate along axis 0")) }
    XCTAssertThrowsError(try Tensor.stack([a, b])) { XCTAssertTrue("\($0)".contains("stack")) }
  }

  func testConcatenateAndStackGradients() {
    let a = TestTensors.uniform([2, 3, 4], seed: 111), b = TestTensors.uniform([2, 1, 4], seed: 112)
    checkGradients("concatenate axis 1", inputs: [a, b], step: 5e-2) { t in
      try Tensor.concatenate([t[0], t[1]], axis: 1).multiplying(TestTensors.uniform([2, 4, 4], seed: 113))
    }
    let c = TestTensors.uniform([2, 3, 4], seed: 114)
    checkGradients("stack axis 2", inputs: [a, c], step: 5e-2) { t in
      try Tensor.stack([t[0], t[1]], axis: 2).multiplying(TestTensors.uniform([2, 3, 2, 4], seed: 115))
    }
  }

  // MARK: batched matmul

  func testBatchedMatmulValues() throws {
    let a = try Tensor(shape: [2, 2, 3], values: (0..<12).map(Float.init))
    let b = try Tensor(shape: [3, 1], values: [1, 1, 1])
    XCTAssertEqual(try a.matmul(b).shape, [2, 2, 1])
    XCTAssertEqual(try a.matmul(b).values, [3, 12, 21, 30])
    let c = try Tensor(shape: [2, 3, 2], values: (0..<12).map(Float.init))
    // Batch 1: [[6,7,8],[9,10,11]] · [[6,7],[8,9],[10,11]] = [[172, 193], [244, 274]]
    XCTAssertEqual(try a.matmul(c).values.suffix(4), [172, 193, 244, 274])
    XCTAssertThrowsError(try a.matmul(a)) { XCTAssertTrue("\($0)".contains("matmul")) }
  }

  func testBatchedMatmulGradients() {
    let a = TestTensors.uniform([2, 3, 4], seed: 116), b = TestTensors.uniform([2, 4, 5], seed: 117)
    let shared = TestTensors.uniform([4, 2], seed: 118)
    let broadcastBatch = TestTensors.uniform([3, 1, 2, 4], seed: 119)
    checkGradients("batched matmul", inputs: [a, b], step: 5e-2) { try $0[0].matmul($0[1]) }
    checkGradients("batched matmul, shared rhs", inputs: [a, shared], step: 5e-2) { try $0[0].matmul($0[1]) }
    checkGradients("batched matmul, broadcast batch", inputs: [broadcastBatch, b], step: 5e-2) { try $0[0].matmul($0[1]) }
  }
}
