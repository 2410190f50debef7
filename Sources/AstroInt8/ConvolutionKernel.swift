import AstroKernels
import AstroKernelsC

/// CONV_2D and FULLY_CONNECTED: Σ w·(x − zp_in) + bias, rescaled per output channel, in the C++ integer kernel.
struct ConvolutionKernel: Kernel {
  let label: String
  let inputIndex: Int, outputIndex: Int
  /// nil for a fully-connected layer.
  let convolution: ConvolutionOptions?
  let keepNumDims: Bool
  let kernelHeight: Int, kernelWidth: Int, inputChannels: Int, outputChannels: Int, depth: Int
  /// Channels per tap in the widened input and kernel: one zero channel is added when a kernel row would
  /// otherwise hold an odd number of values (the vector kernel reads taps in pairs).
  let paddedChannels: Int
  let inputType: ElementType, outputType: ElementType
  let inputZeroPoint: Int, outputZeroPoint: Int
  let range: ClosedRange<Int32>
  /// Weights minus their zero points, packed for the C++ kernel (blocks of 8 channels, tap pairs interleaved).
  let weights: [Int16]
  let route: Int8Route
  /// The AVX-512 VNNI route's kernel (int8, blocks of 16 channels × 4 taps) and the bias less the shifted input
  /// zero point times each channel's weight sum; nil on other routes, or when a weight does not fit in int8.
  let vnni: (weights: [Int8], bias: [Int32])?
  /// The int32 bias (zeros when the operator has none).
  let bias: [Int32]
  let multipliers: [Int32], shifts: [Int32]
  /// s_in·s_w/s_out per output channel in double, for fully-connected layers: LiteRT's reference kernel rescales
  /// with round(sum · scale) in double there, not with the integer multiplier (empty for convolutions).
  let doubleScales: [Double]

  init(convolution options: ConvolutionOptions, _ site: OperatorSite) throws {
    guard options.strideHeight > 0, options.strideWidth > 0, options.dilationHeight > 0, options.dilationWidth > 0 else {
      throw Int8Error.invalidGraph("\(site.label): strides and dilations must be positive")
    }
    try self.init(site, convolution: options, activation: options.activation, keepNumDims: false)
  }

  init(fullyConnected activation: FusedActivation, keepNumDims: Bool, _ site: OperatorSite) throws {
    try self.init(site, convolution: nil, activation: activation, keepNumDims: keepNumDims)
  }

  private init(_ site: OperatorSite, convolution: ConvolutionOptions?, activation: FusedActivation, keepNumDims: Bool) throws {
    try site.requireCounts(inputs: 2...3)
    label = site.label
    self.convolution = convolution
    self.keepNumDims = keepNumDims
    inputIndex = try site.requiredInput(0)
    outputIndex = site.output
    let weightIndex = try site.requiredInput(1)
    inputType = try site.quantizedType(inputIndex)
    outputType = try site.quantizedType(outputIndex)
    let weightType = try site.quantizedType(weightIndex)
    guard weightType == inputType else {
      throw Int8Error.unsupported("\(label): \(inputType.name) input with \(weightType.name) weights (hybrid models are not run)")
    }
    let input = try site.perTensor(inputIndex), output = try site.perTensor(outputIndex)
    inputZeroPoint = input.zeroPoint
    outputZeroPoint = output.zeroPoint
    range = Requantization.activationRange(activation, type: outputType, scale: output.scale, zeroPoint: output.zeroPoint)

    let w = site.tensor(weightIndex)
    if convolution != nil {
      guard w.shape.count == 4, w.shape.allSatisfy({ $0 > 0 }) else {
        throw Int8Error.invalidGraph("\(label): weights '\(w.name)' must be OHWI, got shape \(w.shape)")
      }
      (outputChannels, kernelHeight, kernelWidth, inputChannels) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
      let x = site.tensor(inputIndex)
      guard x.shape.count == 4, x.shape[3] == inputChannels else {
        throw Int8Error.invalidGraph("\(label): input '\(x.name)' \(x.shape) is not NHWC with \(inputChannels) channels")
      }
    } else {
      guard w.shape.count == 2, w.shape.allSatisfy({ $0 > 0 }) else {
        throw Int8Error.invalidGraph("\(label): weights '\(w.name)' must be [units, inputs], got shape \(w.shape)")
      }
      (outputChannels, kernelHeight, kernelWidth, inputChannels) = (w.shape[0], 1, 1, w.shape[1])
    }
    guard let wq = w.quantization, wq.scales.count == wq.zeroPoints.count,
      wq.scales.count == 1 || (wq.scales.count == outputChannels && wq.dimension == 0)
    else {
      throw Int8Error.invalidGraph("\(label): weights '\(w.name)' need one scale or one per output channel (dimension 0)")
    }
    try site.checkScales(wq, w)
    if inputType == .int8, wq.zeroPoints.contains(where: { $0 != 0 }) {
      throw Int8Error.invalidGraph("\(label): int8 weights '\(w.name)' must be symmetric (zero point 0)")
    }
    let raw = try site.constantIntegers(weightIndex, count: outputChannels * kernelHeight * kernelWidth * inputChannels)
    let taps = kernelHeight * kernelWidth * inputChannels
    // Kernel rows of whole groups of 4 taps (the VNNI route reads 4 at a time, the others 2).
    let kernelWidth = kernelWidth
    paddedChannels = (inputChannels...).first { (kernelWidth * $0) % 4 == 0 }!
    depth = astro_int8_depth(kernelHeight, kernelWidth, paddedChannels)
    var widened = [Int16](repeating: 0, count: outputChannels * depth)
    for c in 0..<outputChannels {
      let zeroPoint = wq.zeroPoints.count == 1 ? wq.zeroPoints[0] : wq.zeroPoints[c]
      for k in 0..<taps {
        let (tap, channel) = k.quotientAndRemainder(dividingBy: inputChannels)
        widened[c * depth + tap * paddedChannels + channel] = Int16(raw[c * taps + k] - zeroPoint)
      }
    }
    var geometry = astro_int8_conv()
    geometry.out_c = outputChannels
    geometry.depth = depth
    var packed = [Int16](repeating: 0, count: astro_int8_packed_weights(&geometry))
    astro_int8_pack_weights(&geometry, widened, &packed)
    weights = packed
    route = site.route

    if let biasIndex = site.input(2) {
      let b = site.tensor(biasIndex)
      guard b.type == .int32 else { throw Int8Error.unsupported("\(label): bias '\(b.name)' is \(b.type.name), not INT32") }
      bias = try site.constantIntegers(biasIndex, count: outputChannels).map { Int32(truncatingIfNeeded: $0) }
    } else {
      bias = [Int32](repeating: 0, count: outputChannels)
    }
    let shiftedZeroPoint = inputZeroPoint + (inputType == .int8 ? 128 : 0)
    vnni = route == .avx512VNNI ? Self.vnniKernel(geometry, widened, bias: bias, shiftedZeroPoint: shiftedZeroPoint) : nil

    // LiteRT forms s_in·s_w in double for int8 convolutions and in float for uint8 ones. (Fully-connected
    // layers rescale with `doubleScales`; the C++ kernel still reads these multipliers and ignores them.)
    let productInFloat = inputType == .uint8
    var multipliers = [Int32](), shifts = [Int32]()
    for c in 0..<outputChannels {
      let weightScale = wq.scales.count == 1 ? wq.scales[0] : wq.scales[c]
      let product = productInFloat ? Double(input.scale * weightScale) : Double(input.scale) * Double(weightScale)
      let multiplier = Requantization.Multiplier(product / Double(output.scale))
      multipliers.append(multiplier.mantissa)
      shifts.append(Int32(multiplier.shift))
    }
    self.multipliers = multipliers
    self.shifts = shifts
    doubleScales = convolution != nil ? [] : (0..<outputChannels).map { c in
      Double(input.scale) * Double(wq.scales.count == 1 ? wq.scales[0] : wq.scales[c]) / Double(output.scale)
    }
  }

  func run(_ values: inout [TensorValues?]) throws {
    let x = try values.value(inputIndex, for: label)
    var shape = astro_int8_conv()
    var outputShape: [Int]
    if let options = convolution {
      guard x.shape.count == 4, x.shape[3] == inputChannels else {
        throw Int8Error.invalidInput("\(label): input \(x.shape) is not NHWC with \(inputChannels) channels")
      }
      let rows = SpatialPadding(input: x.shape[1], kernel: kernelHeight, stride: options.strideHeight,
                                dilation: options.dilationHeight, mode: options.padding)
      let columns = SpatialPadding(input: x.shape[2], kernel: kernelWidth, stride: options.strideWidth,
                                   dilation: options.dilationWidth, mode: options.padding)
      guard rows.output > 0, columns.output > 0 else {
        throw Int8Error.invalidInput("\(label): input \(x.shape) is smaller than the \(kernelHeight)x\(kernelWidth) kernel")
      }
      shape.batch = x.shape[0]; shape.in_h = x.shape[1]; shape.in_w = x.shape[2]
      shape.stride_h = options.strideHeight; shape.stride_w = options.strideWidth
      shape.dilation_h = options.dilationHeight; shape.dilation_w = options.dilationWidth
      shape.pad_top = rows.before; shape.pad_left = columns.before
      shape.out_h = rows.output; shape.out_w = columns.output
      outputShape = [x.shape[0], rows.output, columns.output, outputChannels]
    } else {
      guard x.elementCount % inputChannels == 0, x.elementCount > 0 else {
        throw Int8Error.invalidInput("\(label): \(x.elementCount) input values are not rows of \(inputChannels)")
      }
      let rows = x.elementCount / inputChannels
      shape.batch = rows; shape.in_h = 1; shape.in_w = 1
      shape.stride_h = 1; shape.stride_w = 1; shape.dilation_h = 1; shape.dilation_w = 1
      shape.out_h = 1; shape.out_w = 1
      outputShape = keepNumDims ? x.shape.dropLast() + [outputChannels] : [rows, outputChannels]
    }
    shape.in_c = inputChannels; shape.in_c_padded = paddedChannels; shape.k_h = kernelHeight; shape.k_w = kernelWidth
    shape.out_c = outputChannels; shape.depth = depth
    shape.input_unsigned = inputType == .uint8 ? 1 : 0
    shape.output_unsigned = outputType == .uint8 ? 1 : 0
    shape.input_zero_point = Int32(inputZeroPoint); shape.output_zero_point = Int32(outputZeroPoint)
    shape.act_min = range.lowerBound; shape.act_max = range.upperBound

    let inputCount = try preparedInputCount(shape)
    var y = TensorValues(uninitialized: outputShape, type: outputType)
    if let vnni {
      computeRows(shape, x, &y, inputCount: inputCount, prepare: astro_int8_vnni_prepare_input) {
        shape, input, rows, output, scratch in
        vnni.weights.withUnsafeBufferPointer { w in
          vnni.bias.withUnsafeBufferPointer { b in
            withRescaleConstants { m, s, d in
              astro_int8_vnni_conv_rows(shape, input, w.baseAddress!, b.baseAddress!, m, s, d, output, rows.lowerBound,
                                        rows.upperBound, scratch)
            }
          }
        }
      }
    } else {
      computeRows(shape, x, &y, inputCount: inputCount, prepare: astro_int8_widen) {
        shape, input, rows, output, scratch in
        weights.withUnsafeBufferPointer { w in
          bias.withUnsafeBufferPointer { b in
            withRescaleConstants { m, s, d in
              astro_int8_conv_rows(shape, input, w.baseAddress!, b.baseAddress!, m, s, d, output, rows.lowerBound,
                                   rows.upperBound, scratch, route.code)
            }
          }
        }
      }
    }
    values[outputIndex] = y
  }

  /// The element count of the layer's prepared input (the input with the padding every window needs, shifted or
  /// widened to int16 for the route), refused beyond TensorValues' element limit: a graph's strides, dilations and
  /// padding can ask for one far larger than its input (a fuzzed file asked for 86 GB).
  private func preparedInputCount(_ p: astro_int8_conv) throws -> Int {
    var p = p
    let count = vnni != nil ? astro_int8_vnni_input_bytes(&p) : astro_int8_widened_count(&p)
    guard count <= TensorValues.maximumElements else {
      throw Int8Error.invalidInput(
        "\(label): the input with the padding its windows need (strides \(p.stride_h)x\(p.stride_w), dilations "
          + "\(p.dilation_h)x\(p.dilation_w)) would exceed \(TensorValues.maximumElements) elements")
    }
    return count
  }

  /// The VNNI route's packed kernel and corrected bias (wrapping arithmetic, as the sums wrap), or nil when a
  /// weight does not fit in int8.
  private static func vnniKernel(_ geometry: astro_int8_conv, _ widened: [Int16], bias: [Int32], shiftedZeroPoint: Int)
    -> (weights: [Int8], bias: [Int32])?
  {
    var geometry = geometry
    var packed = [Int8](repeating: 0, count: astro_int8_vnni_packed_weights(&geometry))
    var sums = [Int32](repeating: 0, count: bias.count)
    guard astro_int8_vnni_pack_weights(&geometry, widened, &packed, &sums) != 0 else { return nil }
    let corrected = zip(bias, sums).map { $0 &- Int32(shiftedZeroPoint) &* $1 }
    return (packed, corrected)
  }

  /// Prepares the kernel's input (`prepare`: the widened or shifted copy with the padding every window needs),
  /// then computes y's rows on all cores with `rows` (shape, input, rows, output, scratch).
  private func computeRows<Element>(
    _ geometry: astro_int8_conv, _ x: TensorValues, _ y: inout TensorValues, inputCount: Int,
    prepare: (UnsafePointer<astro_int8_conv>, UnsafeRawPointer, UnsafeMutablePointer<Element>, Int, Int) -> Void,
    rows: (UnsafePointer<astro_int8_conv>, UnsafePointer<Element>, Range<Int>, UnsafeMutableRawPointer, UnsafeMutablePointer<Int16>) -> Void
  ) {
    var shape = geometry
    let scratchCount = astro_int8_conv_scratch(&shape)
    let work = shape.out_w * shape.out_c * depth
    // From the shared buffer pool (megabytes, every run: fresh pages would be zeroed by the OS each time),
    // uninitialised: `prepare` writes every element.
    let floats = (inputCount * MemoryLayout<Element>.stride + 3) / 4
    BufferPool.shared.withScratch(floats) { pooled in
      UnsafeMutableRawPointer(pooled).withMemoryRebound(to: Element.self, capacity: inputCount) { input in
        x.bytes.withUnsafeBytes { xBytes in
          Parallel.forEachChunk(geometry.batch) { _, range in
            var shape = geometry
            prepare(&shape, xBytes.baseAddress!, input, range.lowerBound, range.upperBound)
          }
        }
        y.bytes.withUnsafeMutableBytes { yBytes in
          let output = yBytes.baseAddress!
          Parallel.forEachChunk(geometry.batch * geometry.out_h, minimumPerWorker: max(1, 200_000 / max(1, work))) { _, range in
            var shape = geometry
            let scratch = UnsafeMutablePointer<Int16>.allocate(capacity: scratchCount)
            defer { scratch.deallocate() }
            rows(&shape, input, range, output, scratch)
          }
        }
      }
    }
  }

  /// Calls `body` with the rescale constants: multipliers, shifts and, for fully-connected layers, double scales.
  private func withRescaleConstants(_ body: (UnsafePointer<Int32>, UnsafePointer<Int32>, UnsafePointer<Double>?) -> Void) {
    multipliers.withUnsafeBufferPointer { m in
      shifts.withUnsafeBufferPointer { s in
        doubleScales.withUnsafeBufferPointer { d in body(m.baseAddress!, s.baseAddress!, d.isEmpty ? nil : d.baseAddress!) }
      }
    }
  }
}

/// TensorFlow's output size and leading padding along one spatial axis (LiteRT's `kernels/padding.h`).
struct SpatialPadding {
  let output: Int, before: Int

  init(input: Int, kernel: Int, stride: Int, dilation: Int = 1, mode: PaddingMode) {
    let effective = (kernel - 1) * dilation + 1
    switch mode {
    case .same: output = (input + stride - 1) / stride
    case .valid: output = input >= effective ? (input - effective) / stride + 1 : 0
    }
    before = max((output - 1) * stride + effective - input, 0) / 2
  }
}
