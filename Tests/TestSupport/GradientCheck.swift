import AstroTensor
import Foundation
import XCTest

/// What `checkGradients` measured for one input: the analytic gradient from `backward()` and the
/// central-difference estimate, both of `L = Σ out * R` with respect to that input.
public struct GradientComparison {
  public let inputIndex: Int
  public let shape: [Int]
  public let analytic: [Double]
  public let numerical: [Double]

  /// `‖analytic - numerical‖ / max(‖numerical‖, floor)`.
  public func relativeError(floor: Double) -> Double {
    var diff = 0.0, norm = 0.0
    for (a, n) in zip(analytic, numerical) {
      diff += (a - n) * (a - n)
      norm += n * n
    }
    return diff.squareRoot() / max(norm.squareRoot(), floor)
  }
}

/// Settings of one gradient check. The defaults suit float32 forwards on inputs of moderate scale (|x| ~ 1).
public struct GradientCheckOptions {
  /// Central-difference step: `(L(x+h) - L(x-h)) / 2h`. Linear ops tolerate a large step (no truncation
  /// error); smooth nonlinear ones want about 1e-2..1e-3; inputs must stay more than `h` away from kinks.
  public var step: Float
  /// Bound on `‖a - n‖ / max(‖n‖, normFloor)` for each input's whole gradient.
  public var relativeTolerance: Double
  /// Elementwise bound: `|a - n| <= atol + rtol * |n|`.
  public var atol: Double
  public var rtol: Double
  /// The `tiny` under the norm of the numerical gradient.
  public var normFloor: Double
  /// Seed of the random projection R (standard normal).
  public var projectionSeed: UInt64
  /// Outputs whose projection weight is forced to 0 (true = keep). Used to leave out outputs that sit within
  /// one step of a kink (a fused ReLU's pre-activation near 0), where central differences are meaningless.
  public var outputMask: [Bool]?
  /// Overwrites freed pool buffers with NaN before the analytic forward and between forward and backward, so
  /// an op that reads memory it no longer owns, or leaves part of an uninitialised result unwritten, fails.
  public var scribbleFreedBuffers: Bool

  public init(
    step: Float = 1e-2, relativeTolerance: Double = 1e-2, atol: Double = 1e-3, rtol: Double = 1e-2,
    normFloor: Double = 1e-6, projectionSeed: UInt64 = 0x5EED_CAFE, outputMask: [Bool]? = nil,
    scribbleFreedBuffers: Bool = true
  ) {
    self.step = step; self.relativeTolerance = relativeTolerance; self.atol = atol; self.rtol = rtol
    self.normFloor = normFloor; self.projectionSeed = projectionSeed; self.outputMask = outputMask
    self.scribbleFreedBuffers = scribbleFreedBuffers
  }
}

/// Numerical gradient check of `f` with respect to every tensor in `inputs`.
///
/// Forms `L = Σ f(inputs) * R` with a fixed random projection `R`; the analytic gradient comes from
/// `f(leaves).backward(seed: R)` (leaves are copies of `inputs` with `requiresGradient`), the numerical one
/// from central differences of `L` accumulated in Double, evaluated under `withoutGradients`. Both the whole
/// gradient (relative norm) and each element (atol/rtol) must agree; failures name the check, the input and
/// the element. `f` must be deterministic: re-create any random generator inside it, and give it fresh copies
/// of any state it mutates (BatchNorm's moving statistics).
///
/// Returns the comparison per input (nil when the check could not run), for extra assertions.
@discardableResult
public func checkGradients(
  _ name: String, inputs: [Tensor], options: GradientCheckOptions = GradientCheckOptions(),
  file: StaticString = #filePath, line: UInt = #line, _ f: ([Tensor]) throws -> Tensor
) -> [GradientComparison]? {
  do {
    return try runGradientCheck(name, inputs: inputs, options: options, file: file, line: line, f)
  } catch {
    XCTFail("gradient check '\(name)': threw \(error)", file: file, line: line)
    return nil
  }
}

/// Shorthand with the common options as arguments.
@discardableResult
public func checkGradients(
  _ name: String, inputs: [Tensor], step: Float, relativeTolerance: Double = 1e-2, atol: Double = 1e-3,
  rtol: Double = 1e-2, outputMask: [Bool]? = nil, file: StaticString = #filePath, line: UInt = #line,
  _ f: ([Tensor]) throws -> Tensor
) -> [GradientComparison]? {
  let options = GradientCheckOptions(
    step: step, relativeTolerance: relativeTolerance, atol: atol, rtol: rtol, outputMask: outputMask)
  return checkGradients(name, inputs: inputs, options: options, file: file, line: line, f)
}

private func runGradientCheck(
  _ name: String, inputs: [Tensor], options: GradientCheckOptions, file: StaticString, line: UInt,
  _ f: ([Tensor]) throws -> Tensor
) throws -> [GradientComparison]? {
  precondition(!inputs.isEmpty, "checkGradients needs at least one input")
  let wasEnabled = GradientMode.isEnabled
  GradientMode.isEnabled = true
  defer { GradientMode.isEnabled = wasEnabled }

  // Analytic: backward from the output seeded with R.
  let leaves = try inputs.map { try Tensor(shape: $0.shape, values: $0.values, requiresGradient: true) }
  var scribbleSizes = Set(1...64)
  for t in inputs { scribbleSizes.insert(t.count) }
  if options.scribbleFreedBuffers { scribbleFreedPoolBuffers(sizes: scribbleSizes) }
  let output = try f(leaves)
  let outputShape = output.shape
  guard output.needsGradient else {
    XCTFail("gradient check '\(name)': the output does not depend on the inputs (no graph)", file: file, line: line)
    return nil
  }
  if let mask = options.outputMask, mask.count != output.count {
    XCTFail("gradient check '\(name)': output mask of \(mask.count) for \(output.count) outputs", file: file, line: line)
    return nil
  }
  var generator = SeededGenerator(seed: options.projectionSeed)
  var projection = (0..<output.count).map { _ in generator.nextNormal() }
  if let mask = options.outputMask {
    for i in projection.indices where !mask[i] { projection[i] = 0 }
    if mask.filter({ $0 }).count < max(1, mask.count / 2) {
      XCTFail(
        "gradient check '\(name)': the output mask leaves only \(mask.filter { $0 }.count) of \(mask.count) outputs",
        file: file, line: line)
    }
  }
  let seed = try Tensor(shape: outputShape, values: projection)
  scribbleSizes.insert(output.count)
  if options.scribbleFreedBuffers { scribbleFreedPoolBuffers(sizes: scribbleSizes) }
  try output.backward(seed: seed)

  var analytic: [[Double]] = []
  for (i, leaf) in leaves.enumerated() {
    if let g = leaf.gradient {
      guard g.shape == leaf.shape else {
        XCTFail(
          "gradient check '\(name)': input #\(i) of shape \(leaf.shape) got a gradient of shape \(g.shape)",
          file: file, line: line)
        return nil
      }
      analytic.append(g.values.map(Double.init))
    } else {
      analytic.append([Double](repeating: 0, count: leaf.count))  // no gradient reached it: compare as zero
    }
  }

  // Numerical: central differences of L in Double, without recording graphs.
  let numerical: [[Double]] = try withoutGradients {
    let work = try inputs.map { try Tensor(shape: $0.shape, values: $0.values) }
    func loss() throws -> Double {
      let out = try f(work)
      guard out.shape == outputShape else {
        throw TensorError.invalidShape(op: "gradient check '\(name)'", shape: out.shape, expected: "\(outputShape)")
      }
      let p = out.storage.pointer
      var total = 0.0
      for k in 0..<out.count where projection[k] != 0 { total += Double(p[k]) * Double(projection[k]) }
      return total
    }
    var result: [[Double]] = []
    for t in work {
      let p = t.storage.pointer
      var column = [Double](repeating: 0, count: t.count)
      for j in 0..<t.count {
        let x0 = p[j]
        let up = x0 + options.step, down = x0 - options.step
        p[j] = up
        let lUp = try loss()
        p[j] = down
        let lDown = try loss()
        p[j] = x0
        column[j] = (lUp - lDown) / (Double(up) - Double(down))
      }
      result.append(column)
    }
    return result
  }

  var comparisons: [GradientComparison] = []
  for i in inputs.indices {
    let c = GradientComparison(inputIndex: i, shape: inputs[i].shape, analytic: analytic[i], numerical: numerical[i])
    comparisons.append(c)
    let relative = c.relativeError(floor: options.normFloor)
    if !(relative <= options.relativeTolerance) {
      XCTFail(
        "gradient check '\(name)': input #\(i) \(c.shape): relative error ‖a-n‖/‖n‖ = \(relative) > \(options.relativeTolerance)"
          + " (first elements analytic \(Array(c.analytic.prefix(6))) numerical \(Array(c.numerical.prefix(6))))",
        file: file, line: line)
    }
    var bad: [String] = []
    var badCount = 0
    for j in c.analytic.indices {
      let a = c.analytic[j], n = c.numerical[j]
      if !(abs(a - n) <= options.atol + options.rtol * abs(n)) {
        badCount += 1
        if bad.count < 5 {
          bad.append("element \(j) \(multiIndex(j, c.shape)): analytic \(a), numerical \(n), |diff| \(abs(a - n))")
        }
      }
    }
    if badCount > 0 {
      XCTFail(
        "gradient check '\(name)': input #\(i) \(c.shape): \(badCount) of \(c.analytic.count) elements disagree"
          + " (atol \(options.atol), rtol \(options.rtol)): " + bad.joined(separator: "; "),
        file: file, line: line)
    }
  }
  return comparisons
}

/// Takes several pool buffers of each size, fills them with NaN and frees them again, so that memory an op
/// freed (and may wrongly still read) or hands out uninitialised is poisoned.
public func scribbleFreedPoolBuffers(sizes: Set<Int>, copies: Int = 8) {
  var held: [Tensor] = []
  held.reserveCapacity(sizes.count * copies)
  for size in sizes.sorted() where size > 0 {
    for _ in 0..<copies { held.append(Tensor(repeating: .nan, shape: [size])) }
  }
  held.removeAll()
}

/// The multi-dimensional index of flat index `flat` in a row-major `shape`.
public func multiIndex(_ flat: Int, _ shape: [Int]) -> [Int] {
  var index = [Int](repeating: 0, count: shape.count)
  var rest = flat
  for axis in shape.indices.reversed() where shape[axis] > 0 {
    index[axis] = rest % shape[axis]
    rest /= shape[axis]
  }
  return index
}

/// Asserts `|a[i] - b[i]| <= atol + rtol * |b[i]|` for every element (and equal counts); names the elements that
/// differ. NaN never compares close.
public func assertClose(
  _ a: [Float], _ b: [Float], atol: Float = 1e-5, rtol: Float = 1e-5, _ message: @autoclosure () -> String = "",
  file: StaticString = #filePath, line: UInt = #line
) {
  assertClose(a.map(Double.init), b.map(Double.init), atol: Double(atol), rtol: Double(rtol), message(), file: file, line: line)
}

/// Double version of `assertClose`.
public func assertClose(
  _ a: [Double], _ b: [Double], atol: Double = 1e-9, rtol: Double = 1e-9, _ message: @autoclosure () -> String = "",
  file: StaticString = #filePath, line: UInt = #line
) {
  let prefix = message().isEmpty ? "" : message() + ": "
  guard a.count == b.count else {
    XCTFail("\(prefix)counts differ: \(a.count) vs \(b.count)", file: file, line: line)
    return
  }
  var bad: [String] = []
  var badCount = 0
  for i in a.indices where !(abs(a[i] - b[i]) <= atol + rtol * abs(b[i])) {
    badCount += 1
    if bad.count < 5 { bad.append("[\(i)] \(a[i]) vs \(b[i])") }
  }
  if badCount > 0 {
    XCTFail(
      "\(prefix)\(badCount) of \(a.count) elements differ (atol \(atol), rtol \(rtol)): " + bad.joined(separator: ", "),
      file: file, line: line)
  }
}
