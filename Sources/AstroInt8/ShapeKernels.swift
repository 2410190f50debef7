/// SHAPE: the runtime shape of the input as an int32 (or int64) vector.
struct ShapeKernel: Kernel {
  let label: String
  let inputIndex: Int, outputIndex: Int
  let type: ElementType

  init(_ type: ElementType, _ site: OperatorSite) throws {
    (label, inputIndex, outputIndex) = try site.unaryOperands(inputs: 1...1)
    guard type == .int32 || type == .int64 else { throw Int8Error.invalidGraph("\(label): output type \(type.name)") }
    self.type = type
  }

  func run(_ values: inout [TensorValues?]) throws {
    let x = try values.value(inputIndex, for: label)
    values[outputIndex] = IntegerValues.make(x.shape, shape: [x.shape.count], type: type)
  }
}

/// PACK: stacks same-shape inputs along a new axis (a byte copy).
struct PackKernel: Kernel {
  let label: String
  let inputs: [Int]
  let outputIndex: Int
  let axis: Int

  init(axis: Int, _ site: OperatorSite) throws {
    guard !site.op.inputs.isEmpty, site.op.outputs.count == 1 else {
      throw Int8Error.invalidGraph("\(site.label) needs at least one input and one output")
    }
    label = site.label
    inputs = try (0..<site.op.inputs.count).map { try site.requiredInput($0) }
    outputIndex = site.output
    let rank = site.tensor(inputs[0]).shape.count + 1
    guard (-rank..<rank).contains(axis) else { throw Int8Error.invalidGraph("\(label): axis \(axis) for rank \(rank)") }
    self.axis = axis < 0 ? axis + rank : axis
  }

  func run(_ values: inout [TensorValues?]) throws {
    let parts = try inputs.map { try values.value($0, for: label) }
    guard parts.allSatisfy({ $0.shape == parts[0].shape && $0.type == parts[0].type }) else {
      throw Int8Error.invalidInput("\(label): inputs of different shapes or types")
    }
    var shape = parts[0].shape
    shape.insert(parts.count, at: axis)
    let inner = parts[0].shape[axis...].reduce(1, *) * parts[0].type.size
    let outer = parts[0].shape[..<axis].reduce(1, *)
    var bytes = [UInt8]()
    for o in 0..<outer {
      for part in parts { bytes += part.bytes[(o * inner)..<((o + 1) * inner)] }
    }
    values[outputIndex] = try TensorValues(shape: shape, type: parts[0].type, bytes: bytes)
  }
}

/// STRIDED_SLICE with TensorFlow's begin/end/shrink masks (begin, end and strides may be computed).
struct StridedSliceKernel: Kernel {
  let label: String
  let inputIndex: Int, beginIndex: Int, endIndex: Int, stridesIndex: Int?, outputIndex: Int
  let options: StridedSliceOptions

  init(_ options: StridedSliceOptions, _ site: OperatorSite) throws {
    try site.requireCounts(inputs: 3...4)
    label = site.label
    guard options.ellipsisMask == 0, options.newAxisMask == 0 else {
      throw Int8Error.unsupported("\(label): ellipsis and new-axis masks")
    }
    self.options = options
    inputIndex = try site.requiredInput(0)
    beginIndex = try site.requiredInput(1)
    endIndex = try site.requiredInput(2)
    stridesIndex = site.input(3)
    outputIndex = site.output
  }

  func run(_ values: inout [TensorValues?]) throws {
    let x = try values.value(inputIndex, for: label)
    let begins = try IntegerValues.read(try values.value(beginIndex, for: label))
    let ends = try IntegerValues.read(try values.value(endIndex, for: label))
    let strides = try stridesIndex.map { try IntegerValues.read(try values.value($0, for: label)) }
      ?? [Int](repeating: 1, count: begins.count)
    guard begins.count == ends.count, strides.count == begins.count, begins.count <= x.shape.count else {
      throw Int8Error.invalidInput("\(label): begin, end and strides of \(begins.count), \(ends.count), \(strides.count) for \(x.shape)")
    }
    var starts = [Int](), steps = [Int](), counts = [Int](), outputShape = [Int]()
    for (axis, size) in x.shape.enumerated() {
      guard axis < begins.count else {
        starts.append(0); steps.append(1); counts.append(size); outputShape.append(size)
        continue
      }
      let step = strides[axis]
      guard step != 0 else { throw Int8Error.invalidInput("\(label): stride 0 on axis \(axis)") }
      func normalized(_ value: Int) -> Int { value < 0 ? value + size : value }
      if options.shrinkAxisMask >> axis & 1 == 1 {
        let index = normalized(begins[axis])
        guard (0..<size).contains(index) else { throw Int8Error.invalidInput("\(label): index \(begins[axis]) out of \(size)") }
        starts.append(index); steps.append(1); counts.append(1)
        continue
      }
      let lower = step > 0 ? 0 : -1, upper = step > 0 ? size : size - 1
      var start = options.beginMask >> axis & 1 == 1 ? (step > 0 ? 0 : size - 1) : normalized(begins[axis])
      start = min(max(start, lower), upper)
      var stop: Int
      if options.endMask >> axis & 1 == 1 {
        stop = step > 0 ? size : -1
      } else {
        stop = options.offset ? start + ends[axis] : normalized(ends[axis])
        stop = min(max(stop, lower), upper)
      }
      let count = step > 0 ? max(0, (stop - start + step - 1) / step) : max(0, (start - stop - step - 1) / -step)
      starts.append(start); steps.append(step); counts.append(count); outputShape.append(count)
    }
    let size = x.type.size
    var bytes = [UInt8]()
    bytes.reserveCapacity(counts.reduce(1, *) * size)
    var index = [Int](repeating: 0, count: counts.count)
    if counts.allSatisfy({ $0 > 0 }) {
      repeat {
        var source = 0
        for axis in 0..<counts.count { source = source * x.shape[axis] + starts[axis] + index[axis] * steps[axis] }
        bytes += x.bytes[(source * size)..<((source + 1) * size)]
      } while Self.advance(&index, counts)
    }
    values[outputIndex] = try TensorValues(shape: outputShape, type: x.type, bytes: bytes)
  }

  /// Steps an odometer over `counts`; false after the last index.
  static func advance(_ index: inout [Int], _ counts: [Int]) -> Bool {
    var axis = counts.count - 1
    while axis >= 0 {
      index[axis] += 1
      if index[axis] < counts[axis] { return true }
      index[axis] = 0
      axis -= 1
    }
    return false
  }
}

/// int32/int64 vectors of shape arithmetic.
enum IntegerValues {
  static func read(_ values: TensorValues) throws -> [Int] {
    guard values.type == .int32 || values.type == .int64 else {
      throw Int8Error.invalidInput("expected an INT32 or INT64 tensor, got \(values.type.name)")
    }
    return values.integers()
  }

  static func make(_ integers: [Int], shape: [Int], type: ElementType) -> TensorValues {
    let bytes = type == .int64
      ? integers.map { Int64($0) }.withUnsafeBytes { Array($0) }
      : integers.map { Int32(truncatingIfNeeded: $0) }.withUnsafeBytes { Array($0) }
    return TensorValues(checkedShape: shape, type: type, bytes: bytes)
  }
}
