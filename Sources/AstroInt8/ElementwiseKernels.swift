import Foundation

/// ADD and MUL of int8/uint8 tensors with NumPy broadcasting, in LiteRT's reference arithmetic. ADD scales
/// both inputs to a common grid 2^20 times finer, sums and rescales to the output; MUL multiplies the
/// zero-point-free values and rescales by s1·s2/s_out.
struct BinaryKernel: Kernel {
  let label: String
  let first: Int, second: Int, outputIndex: Int
  let multiply: Bool
  let type: ElementType
  let zeroPoints: (Int32, Int32, Int32)
  /// ADD: the two input rescales and the output one; MUL: the output one only (the others unused).
  let multipliers: (Requantization.Multiplier, Requantization.Multiplier, Requantization.Multiplier)
  let range: ClosedRange<Int32>

  init(multiply: Bool, _ activation: FusedActivation, _ site: OperatorSite) throws {
    try site.requireCounts(inputs: 2...2)
    label = site.label
    self.multiply = multiply
    first = try site.requiredInput(0)
    second = try site.requiredInput(1)
    outputIndex = site.output
    type = try site.quantizedType(outputIndex)
    guard try site.quantizedType(first) == type, try site.quantizedType(second) == type else {
      throw Int8Error.invalidGraph("\(label): inputs and output must have one type")
    }
    let a = try site.perTensor(first), b = try site.perTensor(second), out = try site.perTensor(outputIndex)
    if multiply {
      // LiteRT computes s1·s2/s_out in float before QuantizeMultiplier.
      let unused = Requantization.Multiplier(0)
      multipliers = (unused, unused, Requantization.Multiplier(Double(a.scale * b.scale / out.scale)))
    } else {
      let twiceMax = Double(2 * max(a.scale, b.scale))
      multipliers = (Requantization.Multiplier(Double(a.scale) / twiceMax), Requantization.Multiplier(Double(b.scale) / twiceMax),
                     Requantization.Multiplier(twiceMax / Double(Float(1 << 20) * out.scale)))
    }
    zeroPoints = (Int32(a.zeroPoint), Int32(b.zeroPoint), Int32(out.zeroPoint))
    range = Requantization.activationRange(activation, type: type, scale: out.scale, zeroPoint: out.zeroPoint)
  }

  func run(_ values: inout [TensorValues?]) throws {
    let a = try values.value(first, for: label), b = try values.value(second, for: label)
    guard let broadcast = Broadcast(a.shape, b.shape) else {
      throw Int8Error.invalidInput("\(label): shapes \(a.shape) and \(b.shape) do not broadcast")
    }
    let x = QuantizedElements.load(a.bytes, type), y = QuantizedElements.load(b.bytes, type)
    var results = [Int32](repeating: 0, count: broadcast.count)
    let (m1, m2, mo) = multipliers
    let (z1, z2, zo) = zeroPoints
    broadcast.forEach { k, i, j in
      let p = x[i] - z1, q = y[j] - z2
      let raw: Int32
      if multiply {
        raw = mo.apply(p &* q)
      } else {
        raw = mo.apply(m1.apply(p &* (1 << 20)) &+ m2.apply(q &* (1 << 20)))
      }
      results[k] = range.clamp(raw &+ zo)
    }
    values[outputIndex] = TensorValues(checkedShape: broadcast.shape, type: type, bytes: QuantizedElements.store(results, type))
  }
}

/// NumPy broadcasting of two shapes: the output shape and, for each output element, the two source indices.
struct Broadcast {
  let shape: [Int]
  private let stridesA: [Int], stridesB: [Int]
  let count: Int

  init?(_ a: [Int], _ b: [Int]) {
    let rank = max(a.count, b.count)
    let paddedA = [Int](repeating: 1, count: rank - a.count) + a
    let paddedB = [Int](repeating: 1, count: rank - b.count) + b
    var shape = [Int]()
    for (p, q) in zip(paddedA, paddedB) {
      guard p == q || p == 1 || q == 1 else { return nil }
      shape.append(p == 1 ? q : p)
    }
    func strides(_ dims: [Int]) -> [Int] {
      var result = [Int](repeating: 0, count: rank), step = 1
      for axis in stride(from: rank - 1, through: 0, by: -1) {
        result[axis] = dims[axis] == 1 ? 0 : step
        step *= dims[axis]
      }
      return result
    }
    self.shape = shape
    stridesA = strides(paddedA)
    stridesB = strides(paddedB)
    count = shape.reduce(1, *)
  }

  /// Calls `body(outputIndex, indexInA, indexInB)` for every output element in order.
  func forEach(_ body: (Int, Int, Int) -> Void) {
    guard count > 0 else { return }
    if stridesA == stridesB {  // same shapes: no index arithmetic
      for k in 0..<count { body(k, k, k) }
      return
    }
    var index = [Int](repeating: 0, count: shape.count)
    var i = 0, j = 0
    for k in 0..<count {
      body(k, i, j)
      var axis = shape.count - 1
      while axis >= 0 {
        index[axis] += 1
        i += stridesA[axis]
        j += stridesB[axis]
        if index[axis] < shape[axis] { break }
        i -= stridesA[axis] * shape[axis]
        j -= stridesB[axis] * shape[axis]
        index[axis] = 0
        axis -= 1
      }
    }
  }
}

/// CONCATENATION of tensors that share the output's scale and zero point (LiteRT's int8 rule): a byte copy.
struct ConcatenationKernel: Kernel {
  let label: String
  let inputs: [Int]
  let outputIndex: Int
  let axis: Int
  let type: ElementType

  init(axis: Int, _ activation: FusedActivation, _ site: OperatorSite) throws {
    guard site.op.inputs.count >= 1, site.op.outputs.count == 1 else {
      throw Int8Error.invalidGraph("\(site.label) needs at least one input and one output")
    }
    label = site.label
    inputs = try (0..<site.op.inputs.count).map { try site.requiredInput($0) }
    outputIndex = site.output
    type = try site.quantizedType(outputIndex)
    let rank = site.tensor(outputIndex).shape.count
    guard (-rank..<rank).contains(axis) else { throw Int8Error.invalidGraph("\(label): axis \(axis) out of range for rank \(rank)") }
    self.axis = axis < 0 ? axis + rank : axis
    let out = try site.perTensor(outputIndex)
    let clamp = Requantization.activationRange(activation, type: type, scale: out.scale, zeroPoint: out.zeroPoint)
    guard clamp == QuantizedElements.limits(type) else {
      throw Int8Error.unsupported("\(label): a fused activation that clamps is not implemented for CONCATENATION")
    }
    for index in inputs {
      guard try site.quantizedType(index) == type, try site.perTensor(index) == out else {
        throw Int8Error.invalidGraph(
          "\(label): input '\(site.tensor(index).name)' must have the output's type, scale and zero point (LiteRT's int8 rule)")
      }
    }
  }

  func run(_ values: inout [TensorValues?]) throws {
    let parts = try inputs.map { try values.value($0, for: label) }
    let rank = parts[0].shape.count
    guard axis < rank, parts.allSatisfy({ $0.shape.count == rank }) else {
      throw Int8Error.invalidInput("\(label): inputs of different ranks or rank below the axis")
    }
    for part in parts {
      for d in 0..<rank where d != axis && part.shape[d] != parts[0].shape[d] {
        throw Int8Error.invalidInput("\(label): shapes \(parts.map(\.shape)) differ outside axis \(axis)")
      }
    }
    var shape = parts[0].shape
    shape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
    let outer = shape[..<axis].reduce(1, *)
    var bytes = [UInt8]()
    bytes.reserveCapacity(shape.reduce(1, *) * type.size)
    let slices = parts.map { $0.shape[axis...].reduce(1, *) * type.size }
    for o in 0..<outer {
      for (part, slice) in zip(parts, slices) { bytes += part.bytes[(o * slice)..<((o + 1) * slice)] }
    }
    values[outputIndex] = try TensorValues(shape: shape, type: type, bytes: bytes)
  }
}

/// PAD with constant paddings, filled with the output's zero point (the quantized 0).
struct PadKernel: Kernel {
  let label: String
  let inputIndex: Int, outputIndex: Int
  let paddings: [(before: Int, after: Int)]
  let type: ElementType
  let fill: UInt8

  init(_ site: OperatorSite) throws {
    (label, inputIndex, outputIndex) = try site.unaryOperands(inputs: 2...3)
    type = try site.quantizedType(inputIndex)
    let rank = site.tensor(inputIndex).shape.count
    let raw = try site.constantIntegers(try site.requiredInput(1), count: 2 * rank)
    guard raw.allSatisfy({ $0 >= 0 }) else { throw Int8Error.invalidGraph("\(label): negative paddings \(raw)") }
    paddings = (0..<rank).map { (raw[2 * $0], raw[2 * $0 + 1]) }
    let input = try site.perTensor(inputIndex), out = try site.perTensor(outputIndex)
    guard input == out else { throw Int8Error.invalidGraph("\(label): input and output must share scale and zero point") }
    if site.input(2) != nil { throw Int8Error.unsupported("\(label): a pad value other than the zero point (PADV2)") }
    fill = type == .uint8 ? UInt8(out.zeroPoint) : UInt8(bitPattern: Int8(out.zeroPoint))
  }

  func run(_ values: inout [TensorValues?]) throws {
    let x = try values.value(inputIndex, for: label)
    guard x.shape.count == paddings.count else { throw Int8Error.invalidInput("\(label): input \(x.shape) has the wrong rank") }
    guard paddings.first.map({ $0.before == 0 && $0.after == 0 }) ?? true else {
      throw Int8Error.unsupported("\(label): padding the batch dimension")
    }
    let shape = zip(x.shape, paddings).map { $0 + $1.before + $1.after }
    guard let count = TensorValues.count(of: shape), count <= TensorValues.maximumElements else {
      throw Int8Error.invalidInput("\(label): padded shape \(shape) is too large")
    }
    var bytes = [UInt8](repeating: fill, count: count)
    // Copy each innermost run of the input to its place in the padded output.
    let rank = shape.count
    let run = x.shape[rank - 1]
    let runs = x.elementCount / max(run, 1)
    var index = [Int](repeating: 0, count: rank)
    for r in 0..<runs {
      var target = 0
      for d in 0..<rank { target = target * shape[d] + index[d] + paddings[d].before }
      bytes.replaceSubrange(target..<(target + run), with: x.bytes[(r * run)..<((r + 1) * run)])
      var d = rank - 2
      while d >= 0 {
        index[d] += 1
        if index[d] < x.shape[d] { break }
        index[d] = 0
        d -= 1
      }
    }
    values[outputIndex] = try TensorValues(shape: shape, type: type, bytes: bytes)
  }
}

/// RESHAPE: the same bytes with a new shape. The batch follows the input: a target whose first dimension is −1
/// or the graph's declared batch takes the input's batch.
struct ReshapeKernel: Kernel {
  let label: String
  let inputIndex: Int, outputIndex: Int
  /// A computed target shape (converters compute a flatten's target from SHAPE for any batch).
  let shapeIndex: Int?
  let target: [Int]
  let declaredBatch: Int

  init(newShape: [Int]?, _ site: OperatorSite) throws {
    (label, inputIndex, outputIndex) = try site.unaryOperands(inputs: 1...2)
    if let shapeIndex = site.input(1), site.tensor(shapeIndex).data == nil {
      self.shapeIndex = shapeIndex
      target = []
    } else {
      shapeIndex = nil
      if let constant = site.input(1) {
        target = try site.constantIntegers(constant)
      } else if let newShape, !newShape.isEmpty {
        target = newShape
      } else {
        target = site.tensor(outputIndex).shape
      }
      guard target.filter({ $0 == -1 }).count <= 1, target.allSatisfy({ $0 >= -1 }) else {
        throw Int8Error.invalidGraph("\(label): target shape \(target) is not valid")
      }
    }
    declaredBatch = site.tensor(inputIndex).shape.first ?? 1
    guard site.tensor(inputIndex).type == site.tensor(outputIndex).type else {
      throw Int8Error.invalidGraph("\(label): input and output types differ")
    }
  }

  func run(_ values: inout [TensorValues?]) throws {
    let x = try values.value(inputIndex, for: label)
    var shape: [Int]
    if let shapeIndex {
      shape = try IntegerValues.read(try values.value(shapeIndex, for: label))
      guard shape.filter({ $0 == -1 }).count <= 1, shape.allSatisfy({ $0 >= -1 }) else {
        throw Int8Error.invalidInput("\(label): computed target shape \(shape) is not valid")
      }
    } else {
      shape = target
      let batch = x.shape.first ?? 1
      if !shape.isEmpty, shape[0] == declaredBatch || shape[0] == -1, x.elementCount % max(batch, 1) == 0 {
        shape[0] = batch
      }
    }
    if let unknown = shape.firstIndex(of: -1) {
      let known = shape.enumerated().filter { $0.offset != unknown }.reduce(1) { $0 * $1.element }
      guard known > 0, x.elementCount % known == 0 else {
        throw Int8Error.invalidInput("\(label): \(x.elementCount) values do not fit shape \(shape)")
      }
      shape[unknown] = x.elementCount / known
    }
    guard shape.reduce(1, *) == x.elementCount else {
      throw Int8Error.invalidInput("\(label): \(x.shape) cannot be reshaped to \(shape)")
    }
    values[outputIndex] = TensorValues(checkedShape: shape, type: x.type, bytes: x.bytes)
  }
}

/// LOGISTIC through LiteRT's 256-entry table (its default and reference kernels both use it).
struct LogisticKernel: Kernel {
  let label: String
  let inputIndex: Int, outputIndex: Int
  let type: ElementType
  let table: [UInt8]

  init(_ site: OperatorSite) throws {
    (label, inputIndex, outputIndex) = try site.unaryOperands(inputs: 1...1)
    type = try site.quantizedType(inputIndex)
    guard try site.quantizedType(outputIndex) == type else { throw Int8Error.invalidGraph("\(label): input and output types differ") }
    let input = try site.perTensor(inputIndex), out = try site.perTensor(outputIndex)
    guard out.scale == 1.0 / 256, out.zeroPoint == (type == .int8 ? -128 : 0) else {
      throw Int8Error.invalidGraph("\(label): the output must have scale 1/256 and zero point \(type == .int8 ? -128 : 0)")
    }
    let limits = QuantizedElements.limits(type), unsigned = type == .uint8
    let inverseScale = 1 / out.scale
    table = limits.map { q -> UInt8 in
      let x = input.scale * Float(Int(q) - input.zeroPoint)
      let y = 1 / (1 + Foundation.exp(-x))
      let rescaled = (y * inverseScale).rounded(.toNearestOrAwayFromZero)
      let value = limits.clamp(Int32(rescaled + Float(out.zeroPoint)))
      return unsigned ? UInt8(value) : UInt8(bitPattern: Int8(value))
    }
  }

  func run(_ values: inout [TensorValues?]) throws {
    let x = try values.value(inputIndex, for: label)
    let offset = type == .uint8 ? 0 : 128
    let bytes = x.bytes.map { table[(type == .uint8 ? Int($0) : Int(Int8(bitPattern: $0))) + offset] }
    values[outputIndex] = try TensorValues(shape: x.shape, type: type, bytes: bytes)
  }
}

/// SOFTMAX along the last axis as LiteRT computes it for int8/uint8: a 256-entry float table of
/// `exp(β·s_in·(q − max))`, the sum in float, each probability rounded (+0.5, truncated) to the output's 1/256 grid.
struct SoftmaxKernel: Kernel {
  let label: String
  let inputIndex: Int, outputIndex: Int
  let type: ElementType
  /// table[k] = exp(−β·s_in·(255 − k)).
  let table: [Float]
  let outputScale: Float, outputZeroPoint: Int32

  init(beta: Float, _ site: OperatorSite) throws {
    (label, inputIndex, outputIndex) = try site.unaryOperands(inputs: 1...1)
    type = try site.quantizedType(inputIndex)
    guard try site.quantizedType(outputIndex) == type else { throw Int8Error.invalidGraph("\(label): input and output types differ") }
    let input = try site.perTensor(inputIndex), output = try site.perTensor(outputIndex)
    let expectedZero = type == .int8 ? -128 : 0
    guard abs(output.scale - 1.0 / 256) <= 1.0 / 256 * 0.001, output.zeroPoint == expectedZero else {
      throw Int8Error.invalidGraph("\(label): the output must have scale 1/256 and zero point \(expectedZero)")
    }
    let scale = -input.scale * beta
    table = (0...255).map { k in Foundation.exp(scale * Float(255 - k)) }
    outputScale = output.scale
    outputZeroPoint = Int32(output.zeroPoint)
  }

  func run(_ values: inout [TensorValues?]) throws {
    let x = try values.value(inputIndex, for: label)
    guard let classes = x.shape.last, classes > 0 else { throw Int8Error.invalidInput("\(label): input \(x.shape) has no classes") }
    let input = QuantizedElements.load(x.bytes, type)
    let limits = QuantizedElements.limits(type)
    var output = [Int32](repeating: 0, count: input.count)
    for row in 0..<(input.count / classes) {
      let slice = input[(row * classes)..<((row + 1) * classes)]
      let largest = slice.max()!
      // LiteRT indexes table + 255 − max by the raw value.
      func entry(_ q: Int32) -> Float { table[Int(255 - largest + q)] }
      var sum: Float = 0
      for q in slice { sum += entry(q) }
      let inverse = 1 / (sum * outputScale)
      for (j, q) in slice.enumerated() {
        output[row * classes + j] = limits.clamp(Int32(entry(q) * inverse + 0.5) &+ outputZeroPoint)
      }
    }
    values[outputIndex] = TensorValues(checkedShape: x.shape, type: type, bytes: QuantizedElements.store(output, type))
  }
}

/// QUANTIZE: float to int8/uint8 (`round(x/s) + zp`), or int8/uint8 to int8/uint8 with new parameters.
struct QuantizeKernel: Kernel {
  let label: String
  let inputIndex: Int, outputIndex: Int
  let inputType: ElementType, outputType: ElementType
  let input: (scale: Float, zeroPoint: Int)?
  let output: (scale: Float, zeroPoint: Int)
  let multiplier: Requantization.Multiplier?

  init(_ site: OperatorSite) throws {
    (label, inputIndex, outputIndex) = try site.unaryOperands(inputs: 1...1)
    inputType = site.tensor(inputIndex).type
    outputType = try site.quantizedType(outputIndex)
    output = try site.perTensor(outputIndex)
    if inputType == .float32 {
      input = nil
      multiplier = nil
    } else {
      _ = try site.quantizedType(inputIndex)
      let given = try site.perTensor(inputIndex)
      input = given
      multiplier = Requantization.Multiplier(Double(given.scale) / Double(output.scale))
    }
  }

  func run(_ values: inout [TensorValues?]) throws {
    let x = try values.value(inputIndex, for: label)
    guard let input, let multiplier else {
      // Float input: the C loop that quantizes graph inputs (NaN to the zero point, saturating at the type's range).
      let target = GraphTensor(name: label, shape: x.shape, type: outputType,
                               quantization: Quantization(scale: output.scale, zeroPoint: output.zeroPoint))
      values[outputIndex] = try TensorValues(quantizing: x.floats, shape: x.shape, for: target)
      return
    }
    let limits = QuantizedElements.limits(outputType)
    let zeroPoint = Int32(output.zeroPoint), inputZero = Int32(input.zeroPoint)
    let results = QuantizedElements.load(x.bytes, inputType).map { limits.clamp(multiplier.apply($0 - inputZero) &+ zeroPoint) }
    values[outputIndex] = try TensorValues(shape: x.shape, type: outputType, bytes: QuantizedElements.store(results, outputType))
  }
}

/// DEQUANTIZE: `s·(q − zp)` as float32.
struct DequantizeKernel: Kernel {
  let label: String
  let inputIndex: Int, outputIndex: Int
  let quantization: Quantization

  init(_ site: OperatorSite) throws {
    (label, inputIndex, outputIndex) = try site.unaryOperands(inputs: 1...1)
    _ = try site.quantizedType(inputIndex)
    let given = try site.perTensor(inputIndex)
    quantization = Quantization(scale: given.scale, zeroPoint: given.zeroPoint)
    guard site.tensor(outputIndex).type == .float32 else { throw Int8Error.invalidGraph("\(label): output must be FLOAT32") }
  }

  func run(_ values: inout [TensorValues?]) throws {
    let x = try values.value(inputIndex, for: label)
    values[outputIndex] = try TensorValues(shape: x.shape, floats: x.dequantized(quantization))
  }
}
