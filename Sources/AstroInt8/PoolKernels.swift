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
    let input = QuantizedElements.load(x.bytes, type)
    var output = [Int32](repeating: 0, count: batch * rows.output * columns.output * channels)
    var position = 0
    for n in 0..<batch {
      for oy in 0..<rows.output {
        let originY = oy * options.strideHeight - rows.before
        let y0 = max(0, -originY), y1 = min(options.filterHeight, height - originY)
        for ox in 0..<columns.output {
          let originX = ox * options.strideWidth - columns.before
          let x0 = max(0, -originX), x1 = min(options.filterWidth, width - originX)
          for c in 0..<channels {
            var result: Int32
            if average {
              var sum: Int32 = 0, count: Int32 = 0
              for fy in y0..<max(y0, y1) {
                for fx in x0..<max(x0, x1) {
                  sum += input[((n * height + originY + fy) * width + originX + fx) * channels + c]
                  count += 1
                }
              }
              guard count > 0 else { throw Int8Error.invalidInput("\(label): a pool window covers no input") }
              // Rounded half away from zero, as LiteRT's reference average pool does.
              result = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count
            } else {
              result = Int32.min
              for fy in y0..<max(y0, y1) {
                for fx in x0..<max(x0, x1) {
                  result = max(result, input[((n * height + originY + fy) * width + originX + fx) * channels + c])
                }
              }
            }
            output[position] = range.clamp(result)
            position += 1
          }
        }
      }
    }
    values[outputIndex] = try TensorValues(shape: [batch, rows.output, columns.output, channels], type: type,
                                           bytes: QuantizedElements.store(output, type))
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
