import AstroNN
import AstroTensor

extension ONNXExporter {
  /// Adds the nodes of one built-in (or `ONNXExportableLayer`) layer applied to `args`.
  func convert(_ layer: Layer, _ args: [Value], name: String, outputShape: [Int]) throws -> Value {
    func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
      guard condition else { throw ONNXError.cannotExport("layer '\(layer.name)' (\(layer.kerasClassName)): \(message())") }
    }
    let x = args[0]
    switch layer {
    case let conv as Conv2D:
      guard let kernel = conv.kernel else { throw ONNXError.cannotExport("layer '\(layer.name)' is not built") }
      let (kh, kw) = conv.kernelSize
      let (ci, co) = (kernel.shape[2], kernel.shape[3])
      try require(x.isImage, "input is not an image")
      let w = constant(name + "/kernel", dims: [co, ci, kh, kw], floats: try kernel.permuted([3, 2, 0, 1]).values, weight: kernel)
      var inputs = [x.name, w]
      if let bias = conv.bias { inputs.append(constant(name + "/bias", dims: [co], floats: bias.values, weight: bias)) }
      let pads = explicitPads(conv.padding, input: x.shape, window: conv.kernelSize, strides: conv.strides)
      let conved = conv.activation == .linear ? reserve(name) : reserve(name + "/conv")
      add(ONNXNode("Conv", inputs: inputs, outputs: [conved], name: conved, attributes: [
        .init("dilations", .ints([1, 1])), .init("group", .int(1)), .init("kernel_shape", .ints([Int64(kh), Int64(kw)])),
        .init("pads", .ints(pads)), .init("strides", .ints([Int64(conv.strides.0), Int64(conv.strides.1)])),
      ]))
      return try activation(conv.activation, Value(name: conved, isImage: true, shape: outputShape), name: name)

    case let dense as Dense:
      guard let kernel = dense.kernel else { throw ONNXError.cannotExport("layer '\(layer.name)' is not built") }
      try require(!x.isImage && x.shape.count == 1, "input of shape \(x.shape) is not a feature vector")
      var inputs = [x.name, constant(name + "/kernel", dims: kernel.shape, floats: kernel.values, weight: kernel)]
      if let bias = dense.bias { inputs.append(constant(name + "/bias", dims: [dense.units], floats: bias.values, weight: bias)) }
      let product = dense.activation == .linear ? reserve(name) : reserve(name + "/gemm")
      add(ONNXNode("Gemm", inputs: inputs, outputs: [product], name: product))
      return try activation(dense.activation, Value(name: product, isImage: false, shape: outputShape), name: name)

    case let bn as BatchNormalization:
      guard let gamma = bn.gamma, let beta = bn.beta, let mean = bn.movingMean, let variance = bn.movingVariance else {
        throw ONNXError.cannotExport("layer '\(layer.name)' is not built")
      }
      try require(x.isImage || x.shape.count == 1, "normalises the last axis of \(x.shape); ONNX's BatchNormalization normalises axis 1")
      let c = gamma.count
      let inputs = [x.name] + [(gamma, "gamma"), (beta, "beta"), (mean, "moving_mean"), (variance, "moving_variance")].map {
        constant(name + "/" + $0.1, dims: [c], floats: $0.0.values, weight: $0.0)
      }
      let out = reserve(name)
      add(ONNXNode("BatchNormalization", inputs: inputs, outputs: [out], name: out, attributes: [
        .init("epsilon", .float(bn.epsilon)), .init("momentum", .float(bn.momentum)),
      ]))
      return Value(name: out, isImage: x.isImage, shape: outputShape)

    case let pool as Pooling2D:
      try require(x.isImage, "input is not an image")
      let isMax = pool is MaxPooling2D
      try require(isMax || pool is AveragePooling2D, "unknown pooling")
      let out = reserve(name)
      var attributes: [ONNXAttribute] = [
        .init("kernel_shape", .ints([Int64(pool.poolSize.0), Int64(pool.poolSize.1)])),
        .init("pads", .ints(explicitPads(pool.padding, input: x.shape, window: pool.poolSize, strides: pool.strides))),
        .init("strides", .ints([Int64(pool.strides.0), Int64(pool.strides.1)])),
      ]
      // TensorFlow leaves padded positions out of each window's mean, as ONNX does with count_include_pad 0.
      if !isMax { attributes.append(.init("count_include_pad", .int(0))) }
      add(ONNXNode(isMax ? "MaxPool" : "AveragePool", inputs: [x.name], outputs: [out], name: out, attributes: attributes))
      return Value(name: out, isImage: true, shape: outputShape)

    case is GlobalAveragePooling2D:
      try require(x.isImage, "input is not an image")
      let pooled = reserve(name + "/pool")
      add(ONNXNode("GlobalAveragePool", inputs: [x.name], outputs: [pooled], name: pooled))
      let out = reserve(name)
      add(ONNXNode("Flatten", inputs: [pooled], outputs: [out], name: out, attributes: [.init("axis", .int(1))]))
      return Value(name: out, isImage: false, shape: outputShape)

    case is Flatten:
      // Keras flattens NHWC as H·W·C: back to NHWC first, so the Dense after it reads its rows in Keras' order.
      let source = x.isImage ? try transpose(x, [0, 2, 3, 1], name: reserve(name + "/nhwc"), isImage: false) : x
      let out = reserve(name)
      add(ONNXNode("Flatten", inputs: [source.name], outputs: [out], name: out, attributes: [.init("axis", .int(1))]))
      return Value(name: out, isImage: false, shape: outputShape)

    case let a as ActivationLayer:
      return try activation(a.activation, x, name: name, always: true)

    case is Dropout:
      return x

    case let p as ZeroPadding2D:
      try require(x.isImage, "input is not an image")
      let pads = constant(name + "/pads", dims: [8], int64s: [0, 0, p.top, p.left, 0, 0, p.bottom, p.right].map(Int64.init))
      let out = reserve(name)
      add(ONNXNode("Pad", inputs: [x.name, pads], outputs: [out], name: out, attributes: [.init("mode", .string("constant"))]))
      return Value(name: out, isImage: true, shape: outputShape)

    case is Add:
      try require(args.allSatisfy { $0.isImage == x.isImage }, "inputs in different layouts")
      var sum = x
      for (k, y) in args.dropFirst().enumerated() {
        let out = k == args.count - 2 ? reserve(name) : reserve(name + "/partial\(k)")
        add(ONNXNode("Add", inputs: [sum.name, y.name], outputs: [out], name: out))
        sum = Value(name: out, isImage: x.isImage, shape: outputShape)
      }
      return sum

    case let cat as Concatenate:
      try require(args.allSatisfy { $0.isImage == x.isImage }, "inputs in different layouts")
      let rank = x.shape.count + 1
      let axis = cat.axis < 0 ? cat.axis + rank : cat.axis
      try require(axis >= 1 && axis < rank, "axis \(cat.axis)")
      // NHWC axes 1, 2, 3 (H, W, C) are NCHW axes 2, 3, 1.
      let onnxAxis = x.isImage ? [0, 2, 3, 1][axis] : axis
      let out = reserve(name)
      add(ONNXNode("Concat", inputs: args.map(\.name), outputs: [out], name: out, attributes: [.init("axis", .int(Int64(onnxAxis)))]))
      return Value(name: out, isImage: x.isImage, shape: outputShape)

    case let permute as Permute:
      // One Transpose from the ONNX layout of the input (NCHW for images) to that of the output.
      let onnxAxis = { (k: Int) in x.isImage ? [2, 3, 1][k] : k + 1 }
      let outputIsImage = outputShape.count == 3
      var perm: [Int64] = [0]
      for p in 1...outputShape.count {
        let j = outputIsImage ? [2, 0, 1][p - 1] : p - 1
        perm.append(Int64(onnxAxis(permute.dims[j] - 1)))
      }
      return try transpose(x, perm, name: reserve(name), isImage: outputIsImage).with(shape: outputShape)

    case is Reshape:
      // Keras reshapes the NHWC element order.
      let source = x.isImage ? try transpose(x, [0, 2, 3, 1], name: reserve(name + "/nhwc"), isImage: false) : x
      let outputIsImage = outputShape.count == 3
      let target = constant(name + "/shape", dims: [outputShape.count + 1], int64s: [-1] + outputShape.map(Int64.init))
      let reshaped = outputIsImage ? reserve(name + "/nhwc_out") : reserve(name)
      add(ONNXNode("Reshape", inputs: [source.name, target], outputs: [reshaped], name: reshaped))
      let value = Value(name: reshaped, isImage: false, shape: outputShape)
      return outputIsImage ? try transpose(value, [0, 3, 1, 2], name: reserve(name), isImage: true) : value

    case let custom as ONNXExportableLayer:
      return try custom.exportONNX(args, name: reserve(name), outputShape: outputShape, to: self)

    default:
      throw ONNXError.cannotExport(
        "layer '\(layer.name)' (\(layer.kerasClassName)) has no ONNX form; conform it to ONNXExportableLayer to export it")
    }
  }

  /// Applies `activation` to `x` as a node named `name` (nothing for linear, unless `always`: an Identity).
  private func activation(_ activation: Activation, _ x: Value, name: String, always: Bool = false) throws -> Value {
    let out: String
    switch activation {
    case .linear:
      guard always else { return x }
      out = reserve(name)
      add(ONNXNode("Identity", inputs: [x.name], outputs: [out], name: out))
    case .relu, .sigmoid, .tanh:
      out = reserve(name)
      let op = ["relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh"][activation.rawValue]!
      add(ONNXNode(op, inputs: [x.name], outputs: [out], name: out))
    case .softmax:
      out = reserve(name)
      // Keras' softmax runs over the last axis: the channels, which NCHW holds on axis 1.
      add(ONNXNode("Softmax", inputs: [x.name], outputs: [out], name: out, attributes: [.init("axis", .int(x.isImage ? 1 : -1))]))
    }
    return Value(name: out, isImage: x.isImage, shape: x.shape)
  }

  /// ONNX `pads` `[top, left, bottom, right]` for `padding` on an input `[H, W, C]`: TensorFlow's `same` puts the
  /// odd pixel at the end (bottom/right).
  private func explicitPads(_ padding: Padding, input: [Int], window: (Int, Int), strides: (Int, Int)) -> [Int64] {
    switch padding {
    case .valid: return [0, 0, 0, 0]
    case .explicit(let top, let bottom, let left, let right): return [top, left, bottom, right].map(Int64.init)
    case .same: return tensorFlowSamePads(height: input[0], width: input[1], window: window, strides: strides).map(Int64.init)
    }
  }
}
