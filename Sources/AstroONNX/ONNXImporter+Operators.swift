import AstroNN
import AstroTensor

extension ONNXImporter {
  /// The largest kernel, stride, pad or dimension accepted (a hostile file's 2^62 would overflow shape arithmetic).
  static let sizeLimit: Int64 = 1 << 24

  static let supportedOperators = [
    "Conv", "Gemm", "MatMul", "BatchNormalization", "MaxPool", "AveragePool", "GlobalAveragePool", "Relu", "Sigmoid",
    "Tanh", "Softmax", "Add", "Sum", "Concat", "Pad", "Flatten", "Reshape", "Transpose", "Dropout", "Identity", "Constant",
    "ConstantOfShape",
  ]

  func importNode(_ node: ONNXNode, index: Int) throws {
    guard let first = node.outputs.first, !first.isEmpty else { throw unsupported(node, "has no output") }
    guard node.opType == "Constant" || !(node.inputs.first ?? "").isEmpty else { throw unsupported(node, "has no input") }
    let name = reserve(layerName(first))
    func set(_ symbol: Symbol, _ layout: ONNXImporter.Layout) { values[node.outputs[0]] = Imported(symbol: symbol, layout: layout) }
    func int(_ key: String, _ fallback: Int64) throws -> Int64 {
      switch node.attribute(key) {
      case nil: return fallback
      case .int(let v): return v
      default: throw unsupported(node, "attribute '\(key)' is not an integer")
      }
    }
    func ints(_ key: String) throws -> [Int64]? {
      switch node.attribute(key) {
      case nil: return nil
      case .ints(let v): return v
      default: throw unsupported(node, "attribute '\(key)' is not a list of integers")
      }
    }
    func float(_ key: String, _ fallback: Float) throws -> Float {
      switch node.attribute(key) {
      case nil: return fallback
      case .float(let v): return v
      default: throw unsupported(node, "attribute '\(key)' is not a float")
      }
    }
    func value(_ k: Int) throws -> Imported {
      guard k < node.inputs.count, let v = values[node.inputs[k]] else {
        throw k < node.inputs.count ? missing(node.inputs[k], node) : unsupported(node, "input \(k) is missing")
      }
      return v
    }
    func requireUnused(outputsFrom k: Int) throws {
      for extra in node.outputs.dropFirst(k) where !extra.isEmpty && readers[extra] != nil
        || onnx.graph.outputs.contains(where: { $0.name == extra }) {
        throw unsupported(node, "output '\(extra)' is used; only the first output is supported")
      }
    }

    switch node.opType {
    case "Constant":
      constants[node.outputs[0]] = try constantValue(node)

    case "ConstantOfShape":
      // A constant filled with one value (Caffe2's exports make their placeholder weights this way).
      guard let dims = try constant(node.inputs[0], for: node, "shape").int64s(), dims.allSatisfy({ (0...Self.sizeLimit).contains($0) }) else {
        throw unsupported(node, "needs a constant int64 shape of dimensions in 0...\(Self.sizeLimit)")
      }
      var fill = ONNXTensor(name: "", dims: [1], floats: [0])
      if case .tensor(let t)? = node.attribute("value") { fill = t }
      guard fill.raw.count == fill.dataType.size else { throw unsupported(node, "value must hold one element") }
      let count = dims.reduce(1) { $0.multipliedReportingOverflow(by: Int($1)).overflow ? Int.max : $0 * Int($1) }
      guard count <= 1 << 28 else { throw unsupported(node, "shape \(dims) is too large for a constant") }
      var raw = [UInt8]()
      raw.reserveCapacity(count * fill.raw.count)
      for _ in 0..<count { raw += fill.raw }
      constants[node.outputs[0]] = ONNXTensor(name: node.outputs[0], dims: dims.map(Int.init), dataType: fill.dataType, raw: raw)

    case "Identity", "Dropout":
      if node.opType == "Dropout" {
        try requireUnused(outputsFrom: 1)
        if node.inputs.count > 2, !node.inputs[2].isEmpty {
          guard let mode = constants[node.inputs[2]]?.int64s(), mode.allSatisfy({ $0 == 0 }) else {
            throw unsupported(node, "training_mode must be a constant false")
          }
        }
      }
      if let c = constants[node.inputs[0]] {
        constants[node.outputs[0]] = c
      } else {
        values[node.outputs[0]] = try value(0)
      }

    case "Conv":
      try importConv(node, name: name, ints: ints)

    case "Gemm", "MatMul":
      try importDense(node, index: index, name: name, int: int, float: float)

    case "BatchNormalization":
      try requireUnused(outputsFrom: 1)
      guard try int("training_mode", 0) == 0 else { throw unsupported(node, "training_mode = 1 is not supported") }
      guard try int("spatial", 1) == 1 else { throw unsupported(node, "spatial = 0 (per-activation statistics) is not supported") }
      let x = try value(0)
      let rank = x.symbol.shape.count + 1
      guard rank == 4 || rank == 2 else { throw unsupported(node, "input of rank \(rank); supported: 2 and 4") }
      let input = rank == 4 ? try image(node.inputs[0], for: node) : x.symbol
      let params = try (1...4).map { k -> [Float] in
        guard k < node.inputs.count else { throw unsupported(node, "needs scale, B, mean and var inputs") }
        return try constant(node.inputs[k], for: node, ["", "scale", "B", "mean", "var"][k]).floats()
      }
      let bn = BatchNormalization(momentum: try float("momentum", 0.9), epsilon: try float("epsilon", 1e-5), name: name)
      let out = try apply(bn, [input])
      let c = input.shape.last!
      for (weight, values) in zip([bn.gamma, bn.beta, bn.movingMean, bn.movingVariance], params) {
        guard values.count == c else { throw unsupported(node, "parameter of \(values.count) values for \(c) channels") }
        try weight!.assign(Tensor(shape: [c], values: values))
      }
      set(out, rank == 4 ? .nchwAsNHWC : .asInFile)

    case "MaxPool", "AveragePool":
      try requireUnused(outputsFrom: 1)
      let x = try image(node.inputs[0], for: node)
      guard let kernel = try ints("kernel_shape"), kernel.count == 2 else { throw unsupported(node, "only 2-D pooling (kernel_shape of 2)") }
      guard kernel.allSatisfy({ (1...Self.sizeLimit).contains($0) }) else { throw unsupported(node, "kernel_shape \(kernel)") }
      guard try int("ceil_mode", 0) == 0 else { throw unsupported(node, "ceil_mode = 1 is not supported") }
      guard (try ints("dilations") ?? [1, 1]).allSatisfy({ $0 == 1 }) else { throw unsupported(node, "dilations are not supported") }
      guard try int("storage_order", 0) == 0 else { throw unsupported(node, "storage_order = 1 is not supported") }
      let window = (Int(kernel[0]), Int(kernel[1]))
      let strides = try pair(ints("strides"), default: (1, 1), node)
      let padding = try poolPadding(node, input: x.shape, window: window, strides: strides)
      if case .explicit(let top, let bottom, let left, let right) = padding,
        max(top, bottom) >= window.0 || max(left, right) >= window.1
      {
        throw unsupported(node, "pads \([top, left, bottom, right]) as large as the window \(window): a window of padding only")
      }
      if node.opType == "AveragePool", try int("count_include_pad", 0) != 0, padding != .valid {
        throw unsupported(node, "count_include_pad = 1 with padding is not supported (padded positions are left out of the mean)")
      }
      let layer: Layer = node.opType == "MaxPool"
        ? MaxPooling2D(window, strides: strides, padding: padding, name: name)
        : AveragePooling2D(window, strides: strides, padding: padding, name: name)
      set(try apply(layer, [x]), .nchwAsNHWC)

    case "GlobalAveragePool":
      let x = try image(node.inputs[0], for: node)
      let pooled = try apply(GlobalAveragePooling2D(name: reserve(name + "_pool")), [x])
      set(try apply(Reshape([1, 1, x.shape[2]], name: name), [pooled]), .nchwAsNHWC)

    case "Relu", "Sigmoid", "Tanh":
      let x = try value(0)
      let activation: Activation = node.opType == "Relu" ? .relu : node.opType == "Sigmoid" ? .sigmoid : .tanh
      set(try apply(ActivationLayer(activation, name: name), [x.symbol]), x.layout)

    case "Softmax":
      let x = try value(0)
      let rank = x.symbol.shape.count + 1
      var axis = try int("axis", opset >= 13 ? -1 : 1)
      if axis < 0 { axis += Int64(rank) }
      guard axis >= 1 && axis < Int64(rank) else { throw unsupported(node, "softmax over axis \(axis) of a rank-\(rank) input") }
      // Before opset 13 Softmax flattens to 2-D from `axis`: one axis only when the axes after it have size 1.
      let dims = [1] + fileShape(x)
      guard opset >= 13 || dims[Int(axis + 1)...].allSatisfy({ $0 == 1 }) else {
        throw unsupported(node, "opset \(opset) Softmax over axes \(axis)... of \(dims.dropFirst()) together is not supported")
      }
      let lastStored = x.layout == .nchwAsNHWC ? 1 : Int64(rank - 1)
      guard axis == lastStored else {
        throw unsupported(node, "softmax over axis \(axis) of a rank-\(rank) input; supported: the channel or last axis")
      }
      set(try apply(ActivationLayer(.softmax, name: name), [x.symbol]), x.layout)

    case "Add", "Sum":
      let computed = node.inputs.filter { values[$0] != nil }
      guard computed.count == node.inputs.count, computed.count >= 2 else {
        throw unsupported(node, "adds a constant; only sums of computed values of one shape (and a MatMul's bias) are supported")
      }
      let all = computed.map { values[$0]! }
      let images = all.allSatisfy { $0.layout == .nchwAsNHWC || $0.symbol.shape.count == 3 }
      let symbols = try images ? computed.map { try image($0, for: node) } : computed.map { try asInFile($0, for: node) }
      guard symbols.allSatisfy({ $0.shape == symbols[0].shape }) else {
        throw unsupported(node, "inputs of shapes \(all.map(fileShape)): broadcasting is not supported")
      }
      set(try apply(AstroNN.Add(name: name), symbols), images ? .nchwAsNHWC : .asInFile)

    case "Concat":
      let all = try node.inputs.indices.map(value)
      let rank = all[0].symbol.shape.count + 1
      var axis = try int("axis", 1)
      if axis < 0 { axis += Int64(rank) }
      guard axis >= 1 && axis < rank else { throw unsupported(node, "concatenation along axis \(axis) (the batch axis)") }
      if rank == 4 && all.contains(where: { $0.layout == .nchwAsNHWC }) {
        let symbols = try node.inputs.map { try image($0, for: node) }
        // NCHW axes 1, 2, 3 (C, H, W) are NHWC axes 3, 1, 2.
        set(try apply(Concatenate(axis: [0, 3, 1, 2][Int(axis)], name: name), symbols), .nchwAsNHWC)
      } else {
        let symbols = try node.inputs.map { try asInFile($0, for: node) }
        set(try apply(Concatenate(axis: Int(axis), name: name), symbols), .asInFile)
      }

    case "Pad":
      try importPad(node, name: name, ints: ints, float: float)

    case "Flatten":
      let x = try value(0)
      let rank = x.symbol.shape.count + 1
      var axis = try int("axis", 1)
      if axis < 0 { axis += Int64(rank) }
      guard axis == 1 else { throw unsupported(node, "axis \(axis); only axis 1 (keep the batch axis) is supported") }
      // An image of 1x1 pixels has the same element order in NCHW and NHWC: no Permute needed.
      let s = x.symbol.shape
      let source = x.layout == .nchwAsNHWC && !(s[0] == 1 && s[1] == 1) ? try asInFile(node.inputs[0], for: node) : x.symbol
      set(rank == 2 ? source : try apply(Flatten(name: name), [source]), .asInFile)

    case "Reshape":
      let x = try value(0)
      let target: [Int64]
      if opset >= 5 {
        guard node.inputs.count >= 2, let shape = try constant(node.inputs[1], for: node, "shape").int64s() else {
          throw unsupported(node, "needs a constant int64 shape")
        }
        target = shape
      } else {
        guard let shape = try ints("shape") else { throw unsupported(node, "needs a shape attribute") }
        target = shape
      }
      guard try int("allowzero", 0) == 0 else { throw unsupported(node, "allowzero = 1 is not supported") }
      let fileDims = [-1] + fileShape(x)
      guard target.count >= 2 else { throw unsupported(node, "shape \(target) drops the batch axis") }
      guard !target.dropFirst().enumerated().contains(where: { $0.element == 0 && $0.offset + 1 >= fileDims.count }) else {
        throw unsupported(node, "shape \(target) copies (0) a dimension the input of rank \(fileDims.count) does not have")
      }
      // The first entry is the batch (0, -1 or the file's fixed batch size); 0 elsewhere copies the input's dimension.
      let perSample = target.dropFirst().enumerated().map { k, d in d == 0 ? Int64(fileDims[k + 1]) : d }
      guard perSample.allSatisfy({ (1...Self.sizeLimit).contains($0) || $0 == -1 }), target.filter({ $0 == -1 }).count <= 1 else {
        throw unsupported(node, "shape \(target) is not a per-sample reshape")
      }
      let source = try asInFile(node.inputs[0], for: node)
      let count = source.shape.reduce(1, *)
      var resolved = perSample.map(Int.init)
      var known = 1
      for d in resolved where d > 0 {
        let (product, overflow) = known.multipliedReportingOverflow(by: d)
        guard !overflow, product <= count else { throw unsupported(node, "shape \(target) changes the batch size") }
        known = product
      }
      if let free = resolved.firstIndex(of: -1), count % known == 0 { resolved[free] = count / known }
      guard resolved.reduce(1, *) == count else {
        throw unsupported(node, "shape \(target) changes the batch size (the input holds \(count) values per sample)")
      }
      set(resolved == source.shape ? source : try apply(Reshape(resolved, name: name), [source]), .asInFile)

    case "Transpose" where constants[node.inputs[0]] != nil:
      // PyTorch writes a Linear layer without bias as Transpose(weight) → MatMul: transpose the constant itself.
      let c = constants[node.inputs[0]]!
      let perm = try ints("perm") ?? Array((0..<Int64(c.dims.count)).reversed())
      constants[node.outputs[0]] = try transposed(c, perm.map(Int.init), node)

    case "Transpose":
      let x = try value(0)
      let rank = x.symbol.shape.count + 1
      let perm = try ints("perm") ?? Array((0..<Int64(rank)).reversed())
      guard perm.count == rank, perm.first == 0, Set(perm) == Set(0..<Int64(rank)) else {
        throw unsupported(node, "perm \(perm): the batch axis must stay first")
      }
      if x.layout == .nchwAsNHWC && perm == [0, 2, 3, 1] {
        set(x.symbol, .asInFile)
      } else if x.layout == .asInFile && rank == 4 && perm == [0, 3, 1, 2] {
        set(x.symbol, .nchwAsNHWC)
      } else if perm == Array(0..<Int64(rank)) {
        values[node.outputs[0]] = x
      } else {
        let source = try asInFile(node.inputs[0], for: node)
        set(try apply(Permute(perm.dropFirst().map { Int($0) }, name: name), [source]), .asInFile)
      }

    default:
      throw unsupported(node, "operator '\(node.opType)' is not supported (supported: \(Self.supportedOperators.joined(separator: ", ")))")
    }
  }

  /// A constant with its axes permuted (output axis `i` is input axis `perm[i]`).
  private func transposed(_ c: ONNXTensor, _ perm: [Int], _ node: ONNXNode) throws -> ONNXTensor {
    guard perm.sorted() == Array(0..<c.dims.count) else { throw unsupported(node, "perm \(perm) for a constant of dims \(c.dims)") }
    let size = c.dataType.size
    let outDims = perm.map { c.dims[$0] }
    var inStrides = [Int](repeating: 1, count: c.dims.count)
    for a in stride(from: c.dims.count - 2, through: 0, by: -1) { inStrides[a] = inStrides[a + 1] * c.dims[a + 1] }
    var raw = [UInt8](repeating: 0, count: c.raw.count)
    var index = [Int](repeating: 0, count: outDims.count)
    for flat in 0..<c.count {
      let source = zip(index, perm).reduce(0) { $0 + $1.0 * inStrides[$1.1] }
      for b in 0..<size { raw[flat * size + b] = c.raw[source * size + b] }
      var a = outDims.count - 1
      while a >= 0 {
        index[a] += 1
        if index[a] < outDims[a] { break }
        index[a] = 0
        a -= 1
      }
    }
    return ONNXTensor(name: node.outputs[0], dims: outDims, dataType: c.dataType, raw: raw)
  }

  /// The value of a Constant node (`value`, or `value_float(s)` / `value_int(s)` from opset 12).
  private func constantValue(_ node: ONNXNode) throws -> ONNXTensor {
    let out = node.outputs[0]
    guard let attribute = node.attributes.first else { throw unsupported(node, "a Constant without a value") }
    switch (attribute.name, attribute.value) {
    case ("value", .tensor(var t)): t.name = out; return t
    case ("value_float", .float(let f)): return ONNXTensor(name: out, dims: [], floats: [f])
    case ("value_floats", .floats(let fs)): return ONNXTensor(name: out, dims: [fs.count], floats: fs)
    case ("value_int", .int(let i)): return ONNXTensor(name: out, dims: [], int64s: [i])
    case ("value_ints", .ints(let xs)): return ONNXTensor(name: out, dims: [xs.count], int64s: xs)
    default: throw unsupported(node, "only value, value_float(s) and value_int(s) constants are supported")
    }
  }

  private func pair(_ list: [Int64]?, default fallback: (Int, Int), _ node: ONNXNode) throws -> (Int, Int) {
    guard let list else { return fallback }
    guard list.count == 2, list.allSatisfy({ (1...Self.sizeLimit).contains($0) }) else {
      throw unsupported(node, "expected two values in 1...\(Self.sizeLimit), got \(list)")
    }
    return (Int(list[0]), Int(list[1]))
  }

  /// `[top, left, bottom, right]` from `auto_pad` and `pads` (TensorFlow's `same` is SAME_UPPER).
  private func explicitPads(_ node: ONNXNode, input: [Int], window: (Int, Int), strides: (Int, Int)) throws -> [Int] {
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
  private func poolPadding(_ node: ONNXNode, input: [Int], window: (Int, Int), strides: (Int, Int)) throws -> Padding {
    let pads = try explicitPads(node, input: input, window: window, strides: strides)
    if pads == [0, 0, 0, 0] { return .valid }
    if pads == sameUpperPads(input: input, window: window, strides: strides) { return .same }
    return .explicit(top: pads[0], bottom: pads[2], left: pads[1], right: pads[3])
  }

  private func sameUpperPads(input: [Int], window: (Int, Int), strides: (Int, Int)) -> [Int] {
    tensorFlowSamePads(height: input[0], width: input[1], window: window, strides: strides)
  }

  private func importConv(_ node: ONNXNode, name: String, ints: (String) throws -> [Int64]?) throws {
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
    let oihw = try w.floats()
    var hwio = [Float](repeating: 0, count: oihw.count)
    for o in 0..<co {
      for i in 0..<ci {
        for y in 0..<kh { for z in 0..<kw { hwio[((y * kw + z) * ci + i) * co + o] = oihw[((o * ci + i) * kh + y) * kw + z] } }
      }
    }
    try conv.kernel!.assign(Tensor(shape: [kh, kw, ci, co], values: hwio))
    if let bias {
      guard bias.count == co else { throw unsupported(node, "bias of \(bias.count) values for \(co) filters") }
      try conv.bias!.assign(Tensor(shape: [co], values: bias))
    }
    values[node.outputs[0]] = Imported(symbol: out, layout: .nchwAsNHWC)
  }

  /// Gemm, or MatMul with a constant right side (and the bias of an Add that only adds a constant to it).
  private func importDense(
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
        var t = [Float](repeating: 0, count: kernel.count)
        for r in 0..<k { for c in 0..<n { t[r * n + c] = kernel[c * k + r] } }
        kernel = t
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

  private func broadcastBias(_ c: ONNXTensor, units: Int, _ node: ONNXNode) throws -> [Float] {
    let v = try c.floats()
    if v.count == units && c.dims.filter({ $0 != 1 }).count <= 1 && (c.dims.last ?? units) == units { return v }
    if v.count == 1 { return [Float](repeating: v[0], count: units) }
    throw unsupported(node, "bias of dims \(c.dims) does not broadcast over \(units) outputs")
  }

  private func importPad(_ node: ONNXNode, name: String, ints: (String) throws -> [Int64]?, float: (String, Float) throws -> Float) throws {
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
