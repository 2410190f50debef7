import AstroKernels
import AstroKernelsC

/// MAX_POOL_2D and AVERAGE_POOL_2D on int8/uint8 NHWC tensors (input and output share scale and zero point).
struct PoolKernel: Kernel {
  let label: String
  let inputIndex: Int, outputIndex: Int
  let options: PoolOptions
  let average: Bool
  let type: ElementType
  let range: ClosedRange<Int32>

  init(_ options: PoolOptions, average: Bool, _ site: OperatorSite) throws {
    (label, inputIndex, outputIndex) = try site.unaryOperands(inputs: 1...1)
    guard options.strideHeight > 0, options.strideWidth > 0, options.filterHeight > 0, options.filterWidth > 0 else {
      throw Int8Error.invalidGraph("\(label): filter sizes and strides must be positive")
    }
    self.options = options
    self.average = average
    type = try site.quantizedType(inputIndex)
    guard try site.quantizedType(outputIndex) == type else { throw Int8Error.invalidGraph("\(label): input and output types differ") }
    let input = try site.perTensor(inputIndex), output = try site.perTensor(outputIndex)
    guard input.zeroPoint == output.zeroPoint, abs(input.scale - output.scale) <= 1e-6 else {
      throw Int8Error.invalidGraph("\(label): input and output must share scale and zero point (LiteRT's rule for pools)")
    }
    range = Requantization.activationRange(options.activation, type: type, scale: output.scale, zeroPoint: output.zeroPoint)
  }

  func run(_ values: inout [TensorValues?]) throws {
    let x = try values.value(inputIndex, for: label)
    guard x.shape.count == 4 else { throw Int8Error.invalidInput("\(label): input \(x.shape) is not NHWC") }
    let (batch, height, width, channels) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let rows = SpatialPadding(input: height, kernel: options.filterHeight, stride: options.strideHeight, mode: options.padding)
    let columns = SpatialPadding(input: width, kernel: options.filterWidth, stride: options.strideWidth, mode: options.padding)
    guard rows.output > 0, columns.output > 0 else {
      throw Int8Error.invalidInput("\(label): input \(x.shape) is smaller than the pool window")
    }
    var shape = astro_int8_pool()
    shape.batch = batch; shape.in_h = height; shape.in_w = width; shape.channels = channels
    shape.filter_h = options.filterHeight; shape.filter_w = options.filterWidth
    shape.stride_h = options.strideHeight; shape.stride_w = options.strideWidth
    shape.pad_top = rows.before; shape.pad_left = columns.before
    shape.out_h = rows.output; shape.out_w = columns.output
    shape.average = average ? 1 : 0; shape.is_unsigned = type == .uint8 ? 1 : 0
    shape.act_min = range.lowerBound; shape.act_max = range.upperBound
    var y = TensorValues(uninitialized: [batch, rows.output, columns.output, channels], type: type)
    let geometry = shape
    x.bytes.withUnsafeBytes { input in
      y.bytes.withUnsafeMutableBytes { output in
        let target = output.baseAddress!
        Parallel.forEachChunk(batch * rows.output, minimumPerWorker: max(1, 50_000 / max(1, columns.output * channels))) { _, range in
          var shape = geometry
          astro_int8_pool_rows(&shape, input.baseAddress!, target, range.lowerBound, range.upperBound)
        }
      }
    }
    values[outputIndex] = y
  }
}

/// MEAN over constant axes (LiteRT's reference `QuantizedMeanOrSum`): the sum minus the zero points, rescaled
/// by s_in/(s_out·N) folded into one fixed-point multiplier.
struct MeanKernel: Kernel {
  let label: String
  let inputIndex: Int, outputIndex: Int
  let axes: [Int]
  let keepDims: Bool
  let type: ElementType
  let inputZeroPoint: Int32, outputZeroPoint: Int32
  let multiplier: Requantization.Multiplier

  init(keepDims: Bool, _ site: OperatorSite) throws {
    (label, inputIndex, outputIndex) = try site.unaryOperands(inputs: 2...2)
    self.keepDims = keepDims
    type = try site.quantizedType(inputIndex)
    guard try site.quantizedType(outputIndex) == type else { throw Int8Error.invalidGraph("\(label): input and output types differ") }
    let rank = site.tensor(inputIndex).shape.count
    let rawAxes = try site.constantIntegers(try site.requiredInput(1))
    guard rawAxes.allSatisfy({ (-rank..<rank).contains($0) }) else {
      throw Int8Error.invalidGraph("\(label): axes \(rawAxes) out of range for rank \(rank)")
    }
    axes = Array(Set(rawAxes.map { $0 < 0 ? $0 + rank : $0 })).sorted()
    let input = try site.perTensor(inputIndex), output = try site.perTensor(outputIndex)
    inputZeroPoint = Int32(input.zeroPoint)
    outputZeroPoint = Int32(output.zeroPoint)
    multiplier = Requantization.Multiplier(Double(input.scale) / Double(output.scale))
  }

  func run(_ values: inout [TensorValues?]) throws {
    let x = try values.value(inputIndex, for: label)
    guard axes.allSatisfy({ $0 < x.shape.count }) else { throw Int8Error.invalidInput("\(label): input \(x.shape) lacks axes \(axes)") }
    let reduced = axes.reduce(1) { $0 * x.shape[$1] }
    guard reduced > 0 else { throw Int8Error.invalidInput("\(label): mean over no elements") }
    var outputShape = [Int](), keptShape = [Int]()
    for (axis, size) in x.shape.enumerated() {
      if axes.contains(axis) {
        if keepDims { outputShape.append(1) }
      } else {
        outputShape.append(size)
        keptShape.append(size)
      }
    }
    let input = QuantizedElements.load(x.bytes, type)
    var sums = [Int32](repeating: 0, count: keptShape.reduce(1, *))
    // Strides of the kept axes in the output, walked with an odometer over the input.
    var index = [Int](repeating: 0, count: x.shape.count)
    for value in input {
      var target = 0
      for (axis, size) in x.shape.enumerated() where !axes.contains(axis) { target = target * size + index[axis] }
      sums[target] &+= value
      var axis = x.shape.count - 1
      while axis >= 0 {
        index[axis] += 1
        if index[axis] < x.shape[axis] { break }
        index[axis] = 0
        axis -= 1
      }
    }
    let k = max(0, min(min(Int(63 - UInt64(reduced).leadingZeroBitCount), 32), 31 + multiplier.shift))
    let folded = Requantization.Multiplier(
      mantissa: Int32(truncatingIfNeeded: (Int64(multiplier.mantissa) << Int64(k)) / Int64(reduced)),
      shift: multiplier.shift - k)
    let limits = QuantizedElements.limits(type)
    let outputs = sums.map { sum in
      limits.clamp(folded.apply(sum &- inputZeroPoint &* Int32(truncatingIfNeeded: reduced)) &+ outputZeroPoint)
    }
    values[outputIndex] = try TensorValues(shape: outputShape, type: type, bytes: QuantizedElements.store(outputs, type))
  }
}
