import AstroKernels

/// Numerical gradient checks: the analytic gradient of an op (or a whole function of tensors) from
/// `backward()` against central differences. Run it on every op you write with `Tensor.result`.
///
/// ```swift
/// let x = Tensor.normal([3, 4], generator: &rng)
/// let report = try GradientCheck.run("cube", inputs: [x]) { try $0[0].cubed() }
/// precondition(report.passed, report.failures.joined(separator: "\n"))
/// ```
public enum GradientCheck {
  /// Settings of one check. The defaults suit float32 forwards on inputs of moderate scale (|x| ~ 1).
  public struct Options: Sendable {
    /// Central-difference step: `(L(x+h) - L(x-h)) / 2h`. Linear ops tolerate a large step (no truncation
    /// error); smooth nonlinear ones want about 1e-2..1e-3; inputs must stay more than `h` away from kinks.
    public var step: Float
    /// Bound on `‖a - n‖ / max(‖n‖, normFloor)` for each input's whole gradient.
    public var relativeTolerance: Double
    /// Elementwise bound: `|a - n| <= atol + rtol * |n|`.
    public var atol: Double
    /// Relative part of the elementwise bound (see `atol`).
    public var rtol: Double
    /// The floor under the norm of the numerical gradient.
    public var normFloor: Double
    /// Seed of the random projection R (standard normal).
    public var projectionSeed: UInt64
    /// Outputs whose projection weight is forced to 0 (true = keep). Leaves out outputs within one step of a
    /// kink (a ReLU's pre-activation near 0), where central differences are meaningless.
    public var outputMask: [Bool]?
    /// Overwrites freed pool buffers with NaN before the analytic forward and between forward and backward, so
    /// an op that reads memory it no longer owns, or leaves part of its result unwritten, fails.
    public var scribbleFreedBuffers: Bool

    /// Settings of a check; the defaults suit float32 ops on inputs of moderate scale.
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

  /// The analytic and numerical gradient of `L = Σ f(inputs) * R` with respect to one input.
  public struct Comparison: Sendable {
    /// Index of the input in the checked function's `inputs`.
    public let inputIndex: Int
    /// The input's shape.
    public let shape: [Int]
    /// The gradient from `backward()`, in row-major order.
    public let analytic: [Double]
    /// The central-difference gradient, in row-major order.
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

  /// What a check found: one comparison per input, and a message per disagreement (empty when it passed).
  public struct Report: Sendable {
    /// One comparison per input, in input order.
    public let comparisons: [Comparison]
    /// One message per disagreement, naming the check, the input and the elements.
    public let failures: [String]
    /// Whether every input's gradient agreed (no failures).
    public var passed: Bool { failures.isEmpty }
  }

  /// Checks the gradient of `f` with respect to every tensor in `inputs`.
  ///
  /// Forms `L = Σ f(inputs) * R` with a fixed random projection `R`; the analytic gradient comes from
  /// `f(leaves).backward(seed: R)` (leaves are copies of `inputs` with `requiresGradient`), the numerical one
  /// from central differences of `L` accumulated in Double, evaluated without recording. Both the whole
  /// gradient (relative norm) and each element (atol/rtol) must agree; failures name the check, the input and
  /// the element. `f` must be deterministic: re-create any random generator inside it, and give it fresh
  /// copies of any state it mutates. Throws when `f` throws or its output does not depend on the inputs.
  public static func run(
    _ name: String, inputs: [Tensor], options: Options = Options(), _ f: ([Tensor]) throws -> Tensor
  ) throws -> Report {
    guard !inputs.isEmpty else { throw TensorError.invalidArgument(op: "gradient check '\(name)'", message: "no inputs") }
    let leaves = try inputs.map { try Tensor(shape: $0.shape, values: $0.values, requiresGradient: true) }
    var scribbleSizes = Set(1...64)
    for t in inputs { scribbleSizes.insert(t.count) }
    if options.scribbleFreedBuffers { scribbleFreedPoolBuffers(sizes: scribbleSizes) }
    let output = try withGradients { try f(leaves) }
    let outputShape = output.shape
    guard output.needsGradient else {
      throw TensorError.gradient(message: "gradient check '\(name)': the output does not depend on the inputs (no graph)")
    }
    if let mask = options.outputMask {
      guard mask.count == output.count else {
        throw TensorError.invalidArgument(
          op: "gradient check '\(name)'", message: "output mask of \(mask.count) for \(output.count) outputs")
      }
      guard mask.filter({ $0 }).count >= max(1, mask.count / 2) else {
        throw TensorError.invalidArgument(
          op: "gradient check '\(name)'",
          message: "the output mask leaves only \(mask.filter { $0 }.count) of \(mask.count) outputs")
      }
    }
    var generator = SeededGenerator(seed: options.projectionSeed)
    var projection = (0..<output.count).map { _ in generator.nextNormal() }
    if let mask = options.outputMask { for i in projection.indices where !mask[i] { projection[i] = 0 } }
    let seed = try Tensor(shape: outputShape, values: projection)
    scribbleSizes.insert(output.count)
    if options.scribbleFreedBuffers { scribbleFreedPoolBuffers(sizes: scribbleSizes) }
    try output.backward(seed: seed)

    var failures: [String] = []
    var analytic: [[Double]] = []
    for (i, leaf) in leaves.enumerated() {
      if let g = leaf.gradient, g.shape != leaf.shape {
        failures.append("gradient check '\(name)': input #\(i) of shape \(leaf.shape) got a gradient of shape \(g.shape)")
      }
      // No gradient reached it: compare as zero.
      analytic.append(leaf.gradient?.values.map(Double.init) ?? [Double](repeating: 0, count: leaf.count))
    }
    let numerical = try numericalGradients(name, inputs: inputs, outputShape: outputShape, projection: projection, step: options.step, f)

    var comparisons: [Comparison] = []
    for i in inputs.indices {
      let c = Comparison(inputIndex: i, shape: inputs[i].shape, analytic: analytic[i], numerical: numerical[i])
      comparisons.append(c)
      failures += disagreements(name, c, options)
    }
    return Report(comparisons: comparisons, failures: failures)
  }

  /// Central differences of `L` in Double, without recording graphs.
  private static func numericalGradients(
    _ name: String, inputs: [Tensor], outputShape: [Int], projection: [Float], step: Float, _ f: ([Tensor]) throws -> Tensor
  ) throws -> [[Double]] {
    try withoutGradients {
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
      return try work.map { t in
        let p = t.storage.pointer
        return try (0..<t.count).map { j in
          let x0 = p[j]
          let up = x0 + step, down = x0 - step
          p[j] = up
          let lUp = try loss()
          p[j] = down
          let lDown = try loss()
          p[j] = x0
          return (lUp - lDown) / (Double(up) - Double(down))
        }
      }
    }
  }

  private static func disagreements(_ name: String, _ c: Comparison, _ options: Options) -> [String] {
    var failures: [String] = []
    let relative = c.relativeError(floor: options.normFloor)
    if !(relative <= options.relativeTolerance) {
      failures.append(
        "gradient check '\(name)': input #\(c.inputIndex) \(c.shape): relative error ‖a-n‖/‖n‖ = \(relative) > "
          + "\(options.relativeTolerance) (first elements analytic \(Array(c.analytic.prefix(6))) "
          + "numerical \(Array(c.numerical.prefix(6))))")
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
      failures.append(
        "gradient check '\(name)': input #\(c.inputIndex) \(c.shape): \(badCount) of \(c.analytic.count) elements "
          + "disagree (atol \(options.atol), rtol \(options.rtol)): " + bad.joined(separator: "; "))
    }
    return failures
  }

  /// Takes several pool buffers of each size, fills them with NaN and frees them again, so that memory an op
  /// freed (and may wrongly still read) or hands out uninitialised is poisoned.
  public static func scribbleFreedPoolBuffers(sizes: Set<Int>, copies: Int = 8) {
    var held: [Tensor] = []
    held.reserveCapacity(sizes.count * copies)
    for size in sizes.sorted() where size > 0 {
      for _ in 0..<copies { held.append(Tensor(repeating: .nan, shape: [size])) }
    }
    held.removeAll()
  }

  /// The multi-dimensional index of flat index `flat` in a row-major `shape`.
  public static func multiIndex(_ flat: Int, _ shape: [Int]) -> [Int] {
    var index = [Int](repeating: 0, count: shape.count)
    var rest = flat
    for axis in shape.indices.reversed() where shape[axis] > 0 {
      index[axis] = rest % shape[axis]
      rest /= shape[axis]
    }
    return index
  }
}
