import AstroNN
import AstroTensor

// The operators that carry weights or padding: Conv, Gemm/MatMul, Pad, and the pads of convolutions and pools.
extension ONNXImporter {
  /// Two positive values (strides, a kernel) from an attribute list, or `fallback` when absent.
  func pair(_ list: [Int64]?, default fallback: (Int, Int), _ node: ONNXNode) throws -> (Int, Int) {
    guard let list else { return fallback }
    guard list.count == 2, list.allSatisfy({ (1...Self.sizeLimit).contains($0) }) else {
      throw unsupported(node, "expected two values in 1...\(Self.sizeLimit), got \(list)")
    }
    return (Int(list[0]), Int(list[1]))
  }

  /// `[top, left, bottom, right]` from `auto_pad` and `pads` (TensorFlow's `same` is SAME_UPPER).
  func explicitPads(_ node: ONNXNode, input: [Int], window: (Int, Int), strides: (Int, Int)) throws -> [Int] {
    let autoPad: String
    switch node.attribute("auto_pad") {
    case nil: autoPad = "NOTSET"
    case .string(let s): autoPad = s
    default: throw unsupported(node, "attribute 'auto_pad' is not a string")
    }
    switch autoPad {
    case "NOTSET":
      guard case .ints(let pads) = node.attribute("pads") ?? .ints([0, 0, 0, 0]), pads.count == 4,
        pads.allSatisfy({ (0...Self.sizeLimit).contains($0) })
      else {
        throw unsupported(node, "pads must be four values in 0...\(Self.sizeLimit)")
      }
      return pads.map(Int.init)
    case "VALID": return [0, 0, 0, 0]
    case "SAME_UPPER", "SAME_LOWER":
      let p = sameUpperPads(input: input, window: window, strides: strides)
      return autoPad == "SAME_UPPER" ? p : [p[2], p[3], p[0], p[1]]
    default: throw unsupported(node, "auto_pad '\(autoPad)' is not supported")
    }
  }

  /// The padding of a pooling window: `valid`, TensorFlow's `same` when the pads are exactly those, else explicit.
  func poolPadding(_ node: ONNXNode, input: [Int], window: (Int, Int), strides: (Int, Int)) throws -> Padding {
    let pads = try explicitPads(node, input: input, window: window, strides: strides)
    if pads == [0, 0, 0, 0] { return .valid }
    if pads == sameUpperPads(input: input, window: window, strides: strides) { return .same }
    return .explicit(top: pads[0], bottom: pads[2], left: pads[1], right: pads[3])
  }

  func sameUpperPads(input: [Int], window: (Int, Int), strides: (Int, Int)) -> [Int] {
    tensorFlowSamePads(height: input[0], width: input[1], window: window, strides: strides)
  }

  func importConv(_ node: ONNXNode, name: String, ints: (String) throws -> [Int64]?) throws {
    guard node.inputs.count >= 2 else { throw unsupported(node, "needs a weight input") }
    let w = try constant(node.inputs[1], for: node, "weight W")
    guard w.dims.count == 4 else { throw unsupported(node, "weight of rank \(w.dims.count); only 2-D convolutions") }
    var x = try image(node.inputs[0], for: node)
    if case .int(let group)? = node.attribute("group"), group != 1 {
      throw unsupported(node, "attribute group = \(group) is not supported (grouped and depthwise convolutions)")
    }
    guard (try ints("dilations") ?? [1, 1]).allSatisfy({ $0 == 1 }) else { throw unsupported(node, "attribute dilations ≠ 1 is not supported") }
    let (co, ci, kh, kw) = (w.dims[0], w.dims[1], w.dims[2], w.dims[3])
    guard ci == x.shape[2] else { throw unsupported(node, "weight for \(ci) input channels, input has \(x.shape[2])") }
    if let k = try ints("kernel_shape"), k != [Int64(kh), Int64(kw)] { throw unsupported(node, "kernel_shape \(k) differs from the weight's") }
    let strides = try pair(ints("strides"), default: (1, 1), node)
    let pads = try explicitPads(node, input: x.shape, window: (kh, kw), strides: strides)
    // TensorFlow's `same` where the pads are exactly those; other pads become a ZeroPadding2D (exact for
    // a convolution, and saveable as Keras, which has no explicit convolution padding).
    var padding = Padding.valid
    if pads == sameUpperPads(input: x.shape, window: (kh, kw), strides: strides) && pads != [0, 0, 0, 0] {
      padding = .same
    } else if pads != [0, 0, 0, 0] {
      x = try apply(ZeroPadding2D(top: pads[0], bottom: pads[2], left: pads[1], right: pads[3], name: reserve(name + "_pad")), [x])
    }
    let bias = node.inputs.count > 2 && !node.inputs[2].isEmpty ? try constant(node.inputs[2], for: node, "bias B").floats() : nil
    let conv = Conv2D(co, kernelSize: (kh, kw), strides: strides, padding: padding, useBias: bias != nil, name: name)
    let out = try apply(conv, [x])
    try conv.kernel!.assign(Tensor(shape: [co, ci, kh, kw], values: w.floats()).permuted([2, 3, 1, 0]))
    if let bias {
      guard bias.count == co else { throw unsupported(node, "bias of \(bias.count) values for \(co) filters") }
      try conv.bias!.assign(Tensor(shape: [co], values: bias))
    }
    values[node.outputs[0]] = Imported(symbol: out, layout: .nchwAsNHWC)
  }

  /// Gemm, or MatMul with a constant right side (and the bias of an Add that only adds a constant to it).
  func importDense(
    _ node: ONNXNode, index: Int, name: String, int: (String, Int64) throws -> Int64, float: (String, Float) throws -> Float
  ) throws {
    guard node.inputs.count >= 2 else { throw unsupported(node, "needs inputs A and B") }
    let x = try asInFile(node.inputs[0], for: node)
    guard x.shape.count == 1 else { throw unsupported(node, "input of shape [N] + \(x.shape); only [N, K] matrices") }
    let b = try constant(node.inputs[1], for: node, "B")
    guard b.dims.count == 2 else { throw unsupported(node, "B of dims \(b.dims); a matrix is needed") }
    var kernel = try b.floats()
    var (k, n) = (b.dims[0], b.dims[1])
    var bias: [Float]?
    var output = node.outputs[0]
    if node.opType == "Gemm" {
      guard try int("transA", 0) == 0 else { throw unsupported(node, "transA = 1 is not supported") }
      if try int("transB", 0) != 0 {
        (k, n) = (n, k)
        kernel = try Tensor(shape: [n, k], values: kernel).transposed().values
      }
      let alpha = try float("alpha", 1), beta = try float("beta", 1)
      if alpha != 1 { kernel = kernel.map { $0 * alpha } }
      if node.inputs.count > 2, !node.inputs[2].isEmpty {
        let c = try constant(node.inputs[2], for: node, "C")
        bias = try broadcastBias(c, units: n, node).map { $0 * beta }
      }
    } else if let next = readers[output], next.count == 1, onnx.graph.outputs.allSatisfy({ $0.name != output }) {
      // tf2onnx writes Dense as MatMul + Add: fold the Add of a constant into the layer's bias.
      let add = onnx.graph.nodes[next[0]]
      if add.opType == "Add", add.inputs.count == 2, !(add.outputs.first ?? "").isEmpty, let other = add.inputs.first(where: { $0 != output }),
        let c = constants[other], let folded = try? broadcastBias(c, units: n, add)
      {
        bias = folded
        output = add.outputs[0]
        absorbed.insert(next[0])
      }
    }
    guard k == x.shape[0] else { throw unsupported(node, "B of \(k) rows for inputs of \(x.shape[0]) features") }
    let dense = Dense(n, useBias: bias != nil, name: output == node.outputs[0] ? name : reserve(layerName(output)))
    let out = try apply(dense, [x])
    try dense.kernel!.assign(Tensor(shape: [k, n], values: kernel))
    if let bias { try dense.bias!.assign(Tensor(shape: [n], values: bias)) }
    values[output] = Imported(symbol: out, layout: .asInFile)
  }

  func broadcastBias(_ c: ONNXTensor, units: Int, _ node: ONNXNode) throws -> [Float] {
    let v = try c.floats()
    if v.count == units && c.dims.filter({ $0 != 1 }).count <= 1 && (c.dims.last ?? units) == units { return v }
    if v.count == 1 { return [Float](repeating: v[0], count: units) }
    throw unsupported(node, "bias of dims \(c.dims) does not broadcast over \(units) outputs")
  }

  func importPad(_ node: ONNXNode, name: String, ints: (String) throws -> [Int64]?, float: (String, Float) throws -> Float) throws {
    var mode = "constant"
    if case .string(let m)? = node.attribute("mode") { mode = m }
    guard mode == "constant" else { throw unsupported(node, "mode '\(mode)' is not supported; only constant (zero) padding") }
    let pads: [Int64]
    var value: Float = 0
    if opset >= 11 {
      guard node.inputs.count >= 2, let p = try constant(node.inputs[1], for: node, "pads").int64s() else {
        throw unsupported(node, "needs constant int64 pads")
      }
      pads = p
      if node.inputs.count > 2, !node.inputs[2].isEmpty {
        value = try constant(node.inputs[2], for: node, "constant_value").floats().first ?? 0
      }
      guard node.inputs.count < 4 || node.inputs[3].isEmpty else { throw unsupported(node, "the axes input is not supported") }
    } else {
      guard let p = try ints("pads") else { throw unsupported(node, "needs pads") }
      pads = p
      value = try float("value", 0)
    }
    guard value == 0 else { throw unsupported(node, "constant value \(value); only zero padding is supported") }
    guard pads.count == 8 else { throw unsupported(node, "pads \(pads); only rank-4 (NCHW image) padding is supported") }
    guard pads.allSatisfy({ (0...Self.sizeLimit).contains($0) }), pads[0] == 0, pads[1] == 0, pads[4] == 0, pads[5] == 0 else {
      throw unsupported(node, "pads \(pads); only non-negative padding of height and width is supported")
    }
    let x = try image(node.inputs[0], for: node)
    let layer = ZeroPadding2D(top: Int(pads[2]), bottom: Int(pads[6]), left: Int(pads[3]), right: Int(pads[7]), name: name)
    values[node.outputs[0]] = Imported(symbol: try apply(layer, [x]), layout: .nchwAsNHWC)
  }
}
