import AstroInt8

extension ONNXExporter {
  /// A full-integer graph (what `PostTrainingQuantization` and quantization-aware training make, or a `.tflite`
  /// read by `TFLiteModel`) as an ONNX QDQ model: float operators between QuantizeLinear/DequantizeLinear pairs
  /// carrying each activation's scale and zero point, int8 weights with per-channel DequantizeLinear (axis 0 of
  /// OIHW), int32 biases dequantized at `s_in·s_w`. onnxruntime fuses the pairs into its integer kernels
  /// (QLinearConv, QGemm), as its own quantizer's S8S8 QDQ output. The file takes and returns floats: integer
  /// inputs are quantized with the graph's input parameters, integer outputs dequantized.
  public static func exportQDQ(_ graph: QuantizedGraph, name: String = "quantized", options: ONNXExportOptions = ONNXExportOptions())
    throws -> ONNXModel
  {
    try validate(options)
    let exporter = ONNXExporter(options: options)
    return try exporter.runQDQ(graph, name: name)
  }

  private func runQDQ(_ graph: QuantizedGraph, name: String) throws -> ONNXModel {
    let batch = ONNXValueInfo.Dimension.parameter(options.batchDimension)
    var values: [Int: Value] = [:]
    var graphInputs: [ONNXValueInfo] = []
    // The outputs keep their tensors' names: no node inside takes them.
    for index in graph.outputs { usedNames.insert(graph.tensors[index].name) }
    for index in graph.inputs {
      let t = graph.tensors[index]
      let inputName = reserve(t.name)
      let image = t.shape.count == 4
      let declared = image && options.nchw ? [t.shape[3], t.shape[1], t.shape[2]] : Array(t.shape.dropFirst())
      graphInputs.append(ONNXValueInfo(name: inputName, shape: [batch] + declared.map { .value($0) }))
      var value = Value(name: inputName, isImage: image && options.nchw, shape: Array(t.shape.dropFirst()))
      if image && !options.nchw { value = try transpose(value, [0, 3, 1, 2], name: reserve(inputName + "/nchw"), isImage: true) }
      values[index] = t.quantization == nil ? value : try quantizeDequantize(value, t, name: reserve(t.name + "/dq"))
    }
    for (k, op) in graph.operators.enumerated() {
      let label = "operator \(k) (\(op.operation.name))"
      guard let outputIndex = op.outputs.first else { throw ONNXError.cannotExport("\(label) has no output") }
      let output = graph.tensors[outputIndex]
      func input(_ i: Int) throws -> Value {
        guard i < op.inputs.count, op.inputs[i] >= 0 else { throw ONNXError.cannotExport("\(label): input \(i) is missing") }
        if let v = values[op.inputs[i]] { return v }
        // A constant operand (a folded batch norm's scale and shift): dequantized once, as a float initializer.
        let t = graph.tensors[op.inputs[i]]
        guard t.data != nil else { throw ONNXError.cannotExport("\(label): input \(i) is not computed before it") }
        let v = try dequantizedConstant(t, image: isImageGraph(op, graph))
        values[op.inputs[i]] = v
        return v
      }
      func constant(_ i: Int) throws -> GraphTensor {
        guard i < op.inputs.count, op.inputs[i] >= 0, graph.tensors[op.inputs[i]].data != nil else {
          throw ONNXError.cannotExport("\(label): input \(i) must be a constant")
        }
        return graph.tensors[op.inputs[i]]
      }
      let base = output.name
      let isImage = output.shape.count == 4
      var float: Value
      switch op.operation {
      case .conv2D(let o):
        guard o.dilationHeight == 1 && o.dilationWidth == 1 else { throw ONNXError.cannotExport("\(label): dilation") }
        let x = try input(0), w = try constant(1)
        guard w.shape.count == 4 else { throw ONNXError.cannotExport("\(label): a kernel of shape \(w.shape)") }
        let (co, kh, kw, ci) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let kernel = try dequantizedWeight(w, dims: [co, ci, kh, kw], base: base + "/kernel") { o, i, y, z in ((o * kh + y) * kw + z) * ci + i }
        var inputs = [x.name, kernel]
        if op.inputs.count > 2, op.inputs[2] >= 0 { inputs.append(try dequantizedBias(try constant(2), base: base + "/bias")) }
        let inputShape = graph.tensors[op.inputs[0]].shape
        guard inputShape.count == 4 else { throw ONNXError.cannotExport("\(label): an input of shape \(inputShape)") }
        let pads = o.padding == .valid
          ? [0, 0, 0, 0]
          : tensorFlowSamePads(height: inputShape[1], width: inputShape[2], window: (kh, kw), strides: (o.strideHeight, o.strideWidth))
        let out = reserve(base + "/conv")
        add(ONNXNode("Conv", inputs: inputs, outputs: [out], name: out, attributes: [
          .init("kernel_shape", .ints([Int64(kh), Int64(kw)])), .init("pads", .ints(pads.map(Int64.init))),
          .init("strides", .ints([Int64(o.strideHeight), Int64(o.strideWidth)])),
        ]))
        float = try fusedActivation(o.activation, Value(name: out, isImage: true, shape: []), base: base)

      case .fullyConnected(let activation, _):
        var x = try input(0)
        if x.isImage { x = try transpose(x, [0, 2, 3, 1], name: reserve(base + "/nhwc"), isImage: false) }
        if graph.tensors[op.inputs[0]].shape.count != 2 {
          let flat = reserve(base + "/flatten")
          add(ONNXNode("Flatten", inputs: [x.name], outputs: [flat], name: flat, attributes: [.init("axis", .int(1))]))
          x = Value(name: flat, isImage: false, shape: [])
        }
        let w = try constant(1)
        guard w.shape.count == 2 else { throw ONNXError.cannotExport("\(label): weights of shape \(w.shape)") }
        let (units, features) = (w.shape[0], w.shape[1])
        let kernel = try dequantizedWeight(w, dims: [units, features], base: base + "/kernel") { o, i, _, _ in o * features + i }
        var inputs = [x.name, kernel]
        if op.inputs.count > 2, op.inputs[2] >= 0 { inputs.append(try dequantizedBias(try constant(2), base: base + "/bias")) }
        let out = reserve(base + "/gemm")
        add(ONNXNode("Gemm", inputs: inputs, outputs: [out], name: out, attributes: [.init("transB", .int(1))]))
        float = try fusedActivation(activation, Value(name: out, isImage: false, shape: []), base: base)

      case .maxPool2D(let o), .averagePool2D(let o):
        let x = try input(0)
        let inputShape = graph.tensors[op.inputs[0]].shape
        guard inputShape.count == 4 else { throw ONNXError.cannotExport("\(label): an input of shape \(inputShape)") }
        let window = (o.filterHeight, o.filterWidth), strides = (o.strideHeight, o.strideWidth)
        let pads = o.padding == .valid ? [0, 0, 0, 0] : tensorFlowSamePads(height: inputShape[1], width: inputShape[2], window: window, strides: strides)
        let isMax: Bool
        if case .maxPool2D = op.operation { isMax = true } else { isMax = false }
        let out = reserve(base + "/pool")
        var attributes: [ONNXAttribute] = [
          .init("kernel_shape", .ints([Int64(window.0), Int64(window.1)])), .init("pads", .ints(pads.map(Int64.init))),
          .init("strides", .ints([Int64(strides.0), Int64(strides.1)])),
        ]
        if !isMax { attributes.append(.init("count_include_pad", .int(0))) }
        add(ONNXNode(isMax ? "MaxPool" : "AveragePool", inputs: [x.name], outputs: [out], name: out, attributes: attributes))
        float = try fusedActivation(o.activation, Value(name: out, isImage: true, shape: []), base: base)

      case .mean(let keepDims):
        let x = try input(0)
        let axesTensor = try constant(1)
        let axes = try TensorValues(shape: axesTensor.shape, type: axesTensor.type, bytes: axesTensor.data ?? []).integers()
        guard x.isImage, Set(axes) == [1, 2] else { throw ONNXError.cannotExport("\(label): only the mean over height and width") }
        let pooled = reserve(keepDims ? base + "/mean" : base + "/pool")
        add(ONNXNode("GlobalAveragePool", inputs: [x.name], outputs: [pooled], name: pooled))
        float = Value(name: pooled, isImage: true, shape: [])
        if !keepDims {
          let flat = reserve(base + "/mean")
          add(ONNXNode("Flatten", inputs: [pooled], outputs: [flat], name: flat, attributes: [.init("axis", .int(1))]))
          float = Value(name: flat, isImage: false, shape: [])
        }

      case .add(let activation), .mul(let activation):
        let a = try input(0), b = try input(1)
        guard a.isImage == b.isImage else { throw ONNXError.cannotExport("\(label): inputs in different layouts") }
        let out = reserve(base + "/sum")
        let opType: String
        if case .add = op.operation { opType = "Add" } else { opType = "Mul" }
        add(ONNXNode(opType, inputs: [a.name, b.name], outputs: [out], name: out))
        float = try fusedActivation(activation, Value(name: out, isImage: a.isImage, shape: []), base: base)

      case .concatenation(let axis, let activation):
        let inputs = try op.inputs.indices.map(input)
        let rank = output.shape.count
        let a = axis < 0 ? axis + rank : axis
        guard a >= 1 && a < rank && (rank == 4 || !isImage) else { throw ONNXError.cannotExport("\(label): axis \(axis) of rank \(rank)") }
        let out = reserve(base + "/concat")
        add(ONNXNode("Concat", inputs: inputs.map(\.name), outputs: [out], name: out, attributes: [.init("axis", .int(Int64(isImage ? [0, 2, 3, 1][a] : a)))]))
        float = try fusedActivation(activation, Value(name: out, isImage: isImage, shape: []), base: base)

      case .pad:
        let x = try input(0), paddings = try constant(1)
        let p = try TensorValues(shape: paddings.shape, type: paddings.type, bytes: paddings.data ?? []).integers().map(Int64.init)
        guard x.isImage, p.count == 8 else { throw ONNXError.cannotExport("\(label): only 4-D padding") }
        // TFLite pads NHWC as [[n0, n1], [h0, h1], [w0, w1], [c0, c1]]; ONNX wants NCHW begins, then ends.
        let pads = self.constant(base + "/pads", dims: [8], int64s: [p[0], p[6], p[2], p[4], p[1], p[7], p[3], p[5]])
        let out = reserve(base + "/pad")
        add(ONNXNode("Pad", inputs: [x.name, pads], outputs: [out], name: out, attributes: [.init("mode", .string("constant"))]))
        float = Value(name: out, isImage: true, shape: [])

      case .reshape:
        var x = try input(0)
        if x.isImage { x = try transpose(x, [0, 2, 3, 1], name: reserve(base + "/nhwc"), isImage: false) }
        let shape = self.constant(base + "/shape", dims: [output.shape.count], int64s: [-1] + output.shape.dropFirst().map(Int64.init))
        let out = reserve(isImage ? base + "/reshape_nhwc" : base + "/reshape")
        add(ONNXNode("Reshape", inputs: [x.name, shape], outputs: [out], name: out))
        float = Value(name: out, isImage: false, shape: [])
        if isImage { float = try transpose(float, [0, 3, 1, 2], name: reserve(base + "/reshape"), isImage: true) }

      case .logistic:
        let out = reserve(base + "/sigmoid")
        add(ONNXNode("Sigmoid", inputs: [try input(0).name], outputs: [out], name: out))
        float = Value(name: out, isImage: isImage, shape: [])

      case .softmax(let beta):
        var x = try input(0)
        if beta != 1 {
          let scaled = reserve(base + "/beta")
          add(ONNXNode("Mul", inputs: [x.name, self.constant(base + "/beta_value", dims: [], floats: [beta])], outputs: [scaled], name: scaled))
          x = Value(name: scaled, isImage: x.isImage, shape: [])
        }
        let out = reserve(base + "/softmax")
        add(ONNXNode("Softmax", inputs: [x.name], outputs: [out], name: out, attributes: [.init("axis", .int(x.isImage ? 1 : -1))]))
        float = Value(name: out, isImage: x.isImage, shape: [])

      case .quantize, .dequantize:
        float = try input(0)

      case .shape, .stridedSlice, .pack:
        // TensorFlow's converter computes a reshape's target from the input's shape; the QDQ graph gives Reshape
        // the static per-sample shape with a -1 batch instead, so these shape computations have no ONNX node.
        continue

      default:
        throw ONNXError.cannotExport("\(label): \(op.operation.name) has no QDQ form here")
      }
      values[outputIndex] = output.quantization == nil || output.type == .float32
        ? float : try quantizeDequantize(float, output, name: reserve(base))
    }

    var graphOutputs: [ONNXValueInfo] = []
    for index in graph.outputs {
      let t = graph.tensors[index]
      guard var value = values[index] else { throw ONNXError.cannotExport("output '\(t.name)' is not computed") }
      if value.isImage && !options.nchw { value = try transpose(value, [0, 2, 3, 1], name: reserve(t.name + "/nhwc"), isImage: false) }
      let outputName = t.name
      add(ONNXNode("Identity", inputs: [value.name], outputs: [outputName], name: outputName + "/identity"))
      let shape = value.isImage ? [t.shape[3], t.shape[1], t.shape[2]] : Array(t.shape.dropFirst())
      graphOutputs.append(ONNXValueInfo(name: outputName, shape: [batch] + shape.map { .value($0) }))
    }
    return file(name: name, inputs: graphInputs, outputs: graphOutputs)
  }

  /// Whether an operator's computed inputs are images (rank 4), so that its constant operands broadcast over channels.
  private func isImageGraph(_ op: GraphOperator, _ graph: QuantizedGraph) -> Bool {
    op.inputs.contains { $0 >= 0 && graph.tensors[$0].data == nil && graph.tensors[$0].shape.count == 4 }
  }

  /// A constant operand as a float initializer: dequantized with its parameters; a per-channel vector of an image
  /// operation reshaped to `[C, 1, 1]`, so it broadcasts over NCHW's channel axis.
  private func dequantizedConstant(_ t: GraphTensor, image: Bool) throws -> Value {
    guard (t.quantization?.scales.count ?? 1) == 1 else {
      throw ONNXError.cannotExport("constant '\(t.name)': per-channel constant operands are not exported")
    }
    let values = try TensorValues(shape: t.shape, type: t.type, bytes: t.data ?? []).dequantized(t.quantization)
    let channelVector = image && t.shape.filter({ $0 != 1 }).count <= 1 && !t.shape.isEmpty
    let dims = channelVector ? [t.shape.last!, 1, 1] : t.shape
    let name = constant(t.name, dims: dims, floats: values)
    return Value(name: name, isImage: image, shape: dims)
  }

  /// QuantizeLinear then DequantizeLinear of a float value with a tensor's (per-tensor) parameters.
  private func quantizeDequantize(_ value: Value, _ tensor: GraphTensor, name: String) throws -> Value {
    guard let q = tensor.quantization, q.scales.count == 1 else {
      throw ONNXError.cannotExport("tensor '\(tensor.name)': activations need per-tensor quantization")
    }
    guard tensor.type == .int8 || tensor.type == .uint8 else {
      throw ONNXError.cannotExport("tensor '\(tensor.name)' of type \(tensor.type): only int8 and uint8 activations")
    }
    let scale = constant(name + "/scale", dims: [], floats: [q.scale])
    let zeroPoint = constant(
      name + "/zero_point",
      ONNXTensor(name: "", dims: [], dataType: tensor.type == .int8 ? .int8 : .uint8, raw: [UInt8(truncatingIfNeeded: q.zeroPoint)]))
    let quantized = reserve(name + "/q")
    add(ONNXNode("QuantizeLinear", inputs: [value.name, scale, zeroPoint], outputs: [quantized], name: quantized))
    add(ONNXNode("DequantizeLinear", inputs: [quantized, scale, zeroPoint], outputs: [name], name: name))
    return Value(name: name, isImage: value.isImage, shape: value.shape)
  }

  /// An int8 weight reordered to `dims` (`source(o, i, y, x)` gives each element's index in the file) and its
  /// DequantizeLinear, per channel along axis 0 when the weight has one scale per output.
  private func dequantizedWeight(
    _ w: GraphTensor, dims: [Int], base: String, source: (Int, Int, Int, Int) -> Int
  ) throws -> String {
    guard w.type == .int8 || w.type == .uint8, let data = w.data, let q = w.quantization, data.count == dims.reduce(1, *),
      q.scales.count == 1 || (q.scales.count == dims[0] && q.dimension == 0), q.zeroPoints.count == q.scales.count
    else {
      throw ONNXError.cannotExport("weight '\(w.name)' is not a quantized int8 constant of \(dims.reduce(1, *)) values")
    }
    let (co, ci) = (dims[0], dims[1])
    let (kh, kw) = dims.count == 4 ? (dims[2], dims[3]) : (1, 1)
    var raw = [UInt8](repeating: 0, count: data.count)
    for o in 0..<co { for i in 0..<ci { for y in 0..<kh { for x in 0..<kw { raw[((o * ci + i) * kh + y) * kw + x] = data[source(o, i, y, x)] } } } }
    let type: ONNXTensor.DataType = w.type == .int8 ? .int8 : .uint8
    let weight = constant(base + "/quantized", ONNXTensor(name: "", dims: dims, dataType: type, raw: raw))
    let perChannel = q.scales.count > 1
    let scale = constant(base + "/scale", dims: perChannel ? [co] : [], floats: q.scales)
    let zeroPoint = constant(
      base + "/zero_point", ONNXTensor(name: "", dims: perChannel ? [co] : [], dataType: type, raw: q.zeroPoints.map { UInt8(truncatingIfNeeded: $0) }))
    let out = reserve(base)
    add(ONNXNode("DequantizeLinear", inputs: [weight, scale, zeroPoint], outputs: [out], name: out,
                 attributes: perChannel ? [.init("axis", .int(0))] : []))
    return out
  }

  /// An int32 bias and its DequantizeLinear (scale `s_in·s_w` per output, zero point 0).
  private func dequantizedBias(_ b: GraphTensor, base: String) throws -> String {
    let count = b.elementCount
    guard b.type == .int32, let data = b.data, let q = b.quantization, data.count == 4 * count,
      q.scales.count == 1 || (q.scales.count == count && q.dimension == 0)
    else {
      throw ONNXError.cannotExport("bias '\(b.name)' is not a quantized int32 constant of \(count) values")
    }
    let bias = constant(base + "/quantized", ONNXTensor(name: "", dims: [count], dataType: .int32, raw: data))
    let perChannel = q.scales.count > 1
    let scale = constant(base + "/scale", dims: perChannel ? [count] : [], floats: q.scales)
    let zeroPoint = constant(
      base + "/zero_point", ONNXTensor(name: "", dims: perChannel ? [count] : [], dataType: .int32, raw: [UInt8](repeating: 0, count: 4 * q.scales.count)))
    let out = reserve(base)
    add(ONNXNode("DequantizeLinear", inputs: [bias, scale, zeroPoint], outputs: [out], name: out,
                 attributes: perChannel ? [.init("axis", .int(0))] : []))
    return out
  }

  /// A fused activation of a TFLite operator as its own node.
  private func fusedActivation(_ activation: FusedActivation, _ x: Value, base: String) throws -> Value {
    switch activation {
    case .none: return x
    case .relu:
      let out = reserve(base + "/relu")
      add(ONNXNode("Relu", inputs: [x.name], outputs: [out], name: out))
      return Value(name: out, isImage: x.isImage, shape: x.shape)
    case .relu6, .reluN1To1:
      let (low, high): (Float, Float) = activation == .relu6 ? (0, 6) : (-1, 1)
      let out = reserve(base + "/clip")
      let bounds = [constant(base + "/clip_min", dims: [], floats: [low]), constant(base + "/clip_max", dims: [], floats: [high])]
      add(ONNXNode("Clip", inputs: [x.name] + bounds, outputs: [out], name: out))
      return Value(name: out, isImage: x.isImage, shape: x.shape)
    }
  }
}
