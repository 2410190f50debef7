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
}
