import AstroInt8
import AstroKernels
import XCTest

/// The vector routes of the integer products give the portable route's bytes (which LiteRTParityTests checks
/// against LiteRT) on shapes the LiteRT fixtures do not reach: dilation (patches gathered, not read in place),
/// more than 512 output channels (the VNNI route's channel chunks) with a partial last block, odd channel counts,
/// and uint8 weights whose w − zp does not fit in int8 (the VNNI route hands those to the int16 products).
final class Int8RouteTests: XCTestCase {
  /// A graph of one convolution (or fully-connected layer when `dense`), with random weights and bias.
  func graph(type: ElementType, inputShape: [Int], outputChannels: Int, kernel: Int, options: ConvolutionOptions,
             dense: Bool = false, weightZeroPoint: Int = 0, output: Quantization? = nil, weightLevel: Int = 127,
             biasUnit: Double? = nil, seed: UInt64) -> QuantizedGraph {
    var random = Xoshiro256StarStar(seed: seed)
    let channels = inputShape.last!
    let inputZeroPoint = type == .uint8 ? 131 : -7
    let input = GraphTensor(name: "x", shape: inputShape, type: type, quantization: Quantization(scale: 0.05, zeroPoint: inputZeroPoint))
    let weightShape = dense ? [outputChannels, channels] : [outputChannels, kernel, kernel, channels]
    let weightScales = (0..<outputChannels).map { _ in Float.random(in: 0.002...0.03, using: &random) }
    let levels = type == .uint8 ? max(0, weightZeroPoint - weightLevel)...min(255, weightZeroPoint + weightLevel) : -weightLevel...weightLevel
    let weights = (0..<weightShape.reduce(1, *)).map { _ -> UInt8 in
      let level = Int.random(in: levels, using: &random)
      return type == .uint8 ? UInt8(level) : UInt8(bitPattern: Int8(level))
    }
    let perChannel = type == .int8  // uint8 models have one weight scale and zero point
    let weightQuantization = perChannel
      ? Quantization(scales: weightScales, zeroPoints: Array(repeating: 0, count: outputChannels))
      : Quantization(scale: weightScales[0], zeroPoint: weightZeroPoint)
    // biasUnit: biases of ±150 units (clamped to int32), which spread the outputs over the type's range whatever the rescale.
    let biasValues = (0..<outputChannels).map { _ in
      biasUnit.map { Int32(clamping: Int64(Double.random(in: -150...150, using: &random) * $0)) }
        ?? Int32.random(in: -4000...4000, using: &random)
    }
    let bias = GraphTensor(name: "b", shape: [outputChannels], type: .int32,
                           quantization: Quantization(scales: weightScales.map { $0 * 0.05 }, zeroPoints: Array(repeating: 0, count: outputChannels)),
                           data: biasValues.withUnsafeBytes { Array($0) })
    let outputShape = dense ? [inputShape[0], outputChannels] : [inputShape[0], 1, 1, outputChannels]  // resized by the run
    let tensors = [
      input,
      GraphTensor(name: "w", shape: weightShape, type: type, quantization: weightQuantization, data: weights),
      bias,
      GraphTensor(name: "y", shape: outputShape, type: type,
                  quantization: output ?? Quantization(scale: 0.4, zeroPoint: type == .uint8 ? 100 : 3)),
    ]
    let operation: GraphOperation = dense ? .fullyConnected(activation: options.activation, keepNumDims: false) : .conv2D(options)
    return QuantizedGraph(tensors: tensors, operators: [GraphOperator(operation, inputs: [0, 1, 2], outputs: [3])], inputs: [0], outputs: [3])
  }

  /// Runs the graph on random input with every route and compares each with the portable route (a route this CPU
  /// lacks must fall back to the portable loops, not leave outputs unwritten). Returns the portable route's outputs.
  @discardableResult
  func assertRoutesAgree(_ graph: QuantizedGraph, seed: UInt64, minimumLevels: Int = 21, file: StaticString = #filePath,
                         line: UInt = #line) throws -> [UInt8] {
    var random = Xoshiro256StarStar(seed: seed)
    let tensor = graph.tensors[graph.inputs[0]]
    let bytes = (0..<tensor.shape.reduce(1, *)).map { _ in UInt8.random(in: 0...255, using: &random) }
    let input = try TensorValues(shape: tensor.shape, type: tensor.type, bytes: bytes)
    let expected = try Int8Interpreter(graph, route: .portable).run([input])[0]
    XCTAssertGreaterThanOrEqual(Set(expected.bytes).count, minimumLevels, "the outputs should spread over many levels", file: file, line: line)
    for route in Int8Route.allCases where route != .portable {
      let got = try Int8Interpreter(graph, route: route).run([input])[0]
      XCTAssertEqual(got.shape, expected.shape, "\(route.rawValue)", file: file, line: line)
      let differing = zip(got.bytes, expected.bytes).filter { $0 != $1 }.count
      XCTAssertEqual(differing, 0, "\(route.rawValue): \(differing) of \(expected.bytes.count) outputs differ from the portable route",
                     file: file, line: line)
    }
    return expected.bytes
  }

  func testDilatedStridedConvolutionWithManyChannels() throws {
    let options = ConvolutionOptions(padding: .same, strideHeight: 2, strideWidth: 1, dilationHeight: 2, dilationWidth: 2, activation: .relu)
    try assertRoutesAgree(graph(type: .int8, inputShape: [2, 13, 11, 5], outputChannels: 520, kernel: 3, options: options, seed: 1), seed: 2)
  }

  func testOddChannelsInPlace() throws {
    let options = ConvolutionOptions(padding: .valid, strideHeight: 1, strideWidth: 2)
    try assertRoutesAgree(graph(type: .int8, inputShape: [3, 9, 17, 7], outputChannels: 24, kernel: 3, options: options, seed: 3), seed: 4)
  }

  func testUInt8WeightsBeyondInt8() throws {
    let options = ConvolutionOptions(padding: .same)
    let g = graph(type: .uint8, inputShape: [2, 8, 9, 6], outputChannels: 40, kernel: 3, options: options, weightZeroPoint: 60, seed: 5)
    try assertRoutesAgree(g, seed: 6)
  }

  func testFullyConnectedWithDoubleRescale() throws {
    let g = graph(type: .int8, inputShape: [5, 300], outputChannels: 37, kernel: 1, options: ConvolutionOptions(padding: .valid),
                  dense: true, seed: 7)
    try assertRoutesAgree(g, seed: 8)
  }

  /// The VNNI route's pixel-lane kernel (stride 1, input pixels of 4, 16 or 32 bytes, whole 16-channel output
  /// blocks, rows of at least 16 pixels): each input width (3 and 4 channels widen to 4 bytes, 13 to 16), 16 and 48
  /// output channels, rows of 16 and of 19 or 21 pixels (the last tile overlapping), SAME and VALID padding, with
  /// and without ReLU, int8 and uint8; and a layer beside it that takes the block layout (stride 2).
  func testPixelLaneLayouts() throws {
    var seed: UInt64 = 100
    for type in [ElementType.int8, .uint8] {
      for (channels, width) in [(3, 18), (4, 23), (13, 21), (16, 18), (32, 21)] {
        for outputChannels in [16, 48] {
          for (padding, activation) in [(PaddingMode.same, FusedActivation.relu), (.valid, .none)] {
            let options = ConvolutionOptions(padding: padding, activation: activation)
            let g = graph(type: type, inputShape: [2, 5, width, channels], outputChannels: outputChannels, kernel: 3, options: options,
                          weightZeroPoint: type == .uint8 ? 128 : 0, weightLevel: 100, seed: seed)
            try assertRoutesAgree(g, seed: seed + 1)
            seed += 2
          }
        }
      }
    }
    let strided = ConvolutionOptions(padding: .same, strideHeight: 1, strideWidth: 2)
    try assertRoutesAgree(graph(type: .int8, inputShape: [2, 5, 40, 16], outputChannels: 32, kernel: 3, options: strided, seed: seed), seed: seed + 1)
  }

  /// Output scales from 2 to 2^22 times the accumulator's unit put the channels' right shifts anywhere from a left
  /// shift of 1 to 24, around and beyond the VNNI route's one-shift form (1...22), with zero points at both ends of
  /// the type, with and without ReLU (which lets that form skip the rounding of negative values), for int8 and uint8
  /// outputs. Small weights and biases in output units keep the outputs spread at every scale.
  func testRescaleShiftsAndZeroPoints() throws {
    var seed: UInt64 = 20
    for type in [ElementType.int8, .uint8] {
      let zeroPoints = type == .int8 ? [-128, 0, 127] : [0, 128, 255]
      for exponent in stride(from: 1, through: 22, by: 3) {
        var levels = Set<UInt8>()
        defer { XCTAssertGreaterThan(levels.count, 40, "\(type.name) outputs at 2^\(exponent): too few levels to test the rounding") }
        for zeroPoint in zeroPoints {
          for activation in [FusedActivation.none, .relu] {
            // The accumulator's unit is s_in·s_w ≈ 0.05·0.016 (the weight scales vary by channel, so do the shifts).
            let unit = pow(2.0, Double(exponent))
            let output = Quantization(scale: Float(0.05 * 0.016 * unit), zeroPoint: zeroPoint)
            let options = ConvolutionOptions(padding: .same, activation: activation)
            // 19 channels take the VNNI route's block layout, 32 channels of 16 bytes on 18-pixel rows its pixel lanes.
            for (shape, outputChannels) in [([2, 6, 7, 8], 19), ([1, 4, 18, 16], 32)] {
              let g = graph(type: type, inputShape: shape, outputChannels: outputChannels, kernel: 3, options: options,
                            weightZeroPoint: type == .uint8 ? 128 : 0, output: output,
                            weightLevel: min(127, max(1, 1 << max(0, exponent - 3))), biasUnit: unit, seed: seed)
              levels.formUnion(try assertRoutesAgree(g, seed: seed + 1, minimumLevels: 1))
              seed += 2
            }
          }
        }
      }
    }
  }

  /// ASTRO_ISA=avx2 (KernelISA.active = .avx2) keeps the integer products off AVX-512; portable keeps them portable.
  func testTheKernelISACapsTheRoute() throws {
    guard ProcessInfo.processInfo.environment["ASTRO_INT8_ROUTE"] == nil else { throw XCTSkip("ASTRO_INT8_ROUTE picks the route here") }
    let saved = KernelISA.active
    defer { KernelISA.active = saved }
    KernelISA.active = .portable
    XCTAssertEqual(Int8Route.best, .portable)
    if KernelISA.available.contains(.avx2) {
      KernelISA.active = .avx2
      XCTAssertTrue([.avxVNNI, .avx2].contains(Int8Route.best), "\(Int8Route.best)")
    }
    KernelISA.active = KernelISA.available[0]
    XCTAssertEqual(Int8Route.best, Int8Route.available[0])
  }
}
