import AstroTensor

/// Built-in layers to and from their Keras config.
///
/// Reading refuses any option that would change what a layer computes and is not implemented here (a
/// dilation, a `channels_first` layout, a BatchNormalization without centre or scale, an activation
/// outside `Activation`), naming the layer and the option. Options that only matter when Keras trains
/// (initialisers, regularisers, constraints) do not change a loaded model's outputs and are not read.
enum KerasLayers {
  /// A custom layer's factory: builds the layer from its config entry.
  typealias Factory = @Sendable (KerasLayerConfig) throws -> Layer

  static func make(_ c: KerasLayerConfig, custom: [String: Factory]) throws -> Layer {
    if let factory = custom[c.className] { return try factory(c) }
    try c.requireFloat32()
    try c.require("data_format", in: ["channels_last"])
    let name = c.name
    switch c.className {
    case "Conv2D":
      try c.require("dilation_rate", in: ["[1,1]", "1"])
      try c.require("groups", in: ["1"])
      return Conv2D(
        try c.int("filters"), kernelSize: try c.pair("kernel_size"), strides: try c.pair("strides", default: (1, 1)),
        padding: try padding(c), activation: try c.activation(), useBias: try c.bool("use_bias", default: true), name: name)
    case "Dense":
      return Dense(try c.int("units"), activation: try c.activation(), useBias: try c.bool("use_bias", default: true), name: name)
    case "BatchNormalization":
      try c.require("center", in: ["true"])
      try c.require("scale", in: ["true"])
      try c.require("renorm", in: ["false"])
      try c.require("synchronized", in: ["false"])
      let axis: Int
      if let list = c.value("axis")?.arrayValue {
        guard list.count == 1, let a = list[0].intValue else { throw c.error("option 'axis' = \(JSONValue.array(list)): only one axis is supported") }
        axis = a
      } else {
        axis = try c.int("axis", default: -1)
      }
      return BatchNormalization(
        momentum: try c.float("momentum", default: 0.99), epsilon: try c.float("epsilon", default: 1e-3), axis: axis, name: name)
    case "MaxPooling2D", "AveragePooling2D":
      let size = try c.pair("pool_size", default: (2, 2))
      let strides = try c.pair("strides", default: size)
      return c.className == "MaxPooling2D"
        ? MaxPooling2D(size, strides: strides, padding: try padding(c), name: name)
        : AveragePooling2D(size, strides: strides, padding: try padding(c), name: name)
    case "GlobalAveragePooling2D":
      try c.require("keepdims", in: ["false"])
      return GlobalAveragePooling2D(name: name)
    case "Dropout":
      try c.require("noise_shape", in: [])
      return Dropout(try c.float("rate"), name: name)
    case "Flatten":
      return Flatten(name: name)
    case "Activation":
      return ActivationLayer(try c.activation(), name: name)
    case "ZeroPadding2D":
      let p = try zeroPadding(c)
      return ZeroPadding2D(top: p[0], bottom: p[1], left: p[2], right: p[3], name: name)
    case "Add":
      return Add(name: name)
    case "Concatenate":
      return Concatenate(axis: try c.int("axis", default: -1), name: name)
    case "Permute":
      return Permute(try c.ints("dims"), name: name)
    case "Reshape":
      return Reshape(try c.ints("target_shape"), name: name)
    default:
      let supported = "Conv2D, Dense, BatchNormalization, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, "
        + "Dropout, Flatten, Activation, ZeroPadding2D, Add, Concatenate, Permute, Reshape, InputLayer, Sequential, Functional"
      throw c.error("layer class '\(c.className)' is not supported (supported: \(supported); pass a factory for your own layers)")
    }
  }

  private static func padding(_ c: KerasLayerConfig) throws -> Padding {
    switch try c.string("padding", default: "valid") {
    case "valid": return .valid
    case "same": return .same
    default: throw c.error("option 'padding' = \(c.value("padding")!) is not supported; supported: valid, same")
    }
  }

  /// `[top, bottom, left, right]` from `p`, `[rows, columns]` or `[[top, bottom], [left, right]]`.
  private static func zeroPadding(_ c: KerasLayerConfig) throws -> [Int] {
    let v = c.value("padding") ?? .number(1)
    if let n = v.intValue { return [n, n, n, n] }
    if let list = v.arrayValue, list.count == 2 {
      if let rows = list[0].intValue, let columns = list[1].intValue { return [rows, rows, columns, columns] }
      if let rows = list[0].arrayValue?.compactMap(\.intValue), let columns = list[1].arrayValue?.compactMap(\.intValue),
        rows.count == 2, columns.count == 2
      {
        return rows + columns
      }
    }
    throw c.error("option 'padding' = \(v) is not an integer, a pair or a pair of pairs")
  }

  /// The Keras 2 config of a built-in layer (Keras 3 reads it too); a custom layer's own `kerasConfig()`.
  static func config(of layer: Layer) -> [String: JSONValue] {
    var c: [String: JSONValue] = ["name": .string(layer.name), "trainable": .bool(layer.trainable), "dtype": "float32"]
    func pair(_ p: (Int, Int)) -> JSONValue { .ints([p.0, p.1]) }
    func padding(_ p: Padding) -> JSONValue { p == .same ? "same" : "valid" }
    switch layer {
    case let l as Conv2D:
      c["filters"] = .number(Double(l.filters)); c["kernel_size"] = pair(l.kernelSize); c["strides"] = pair(l.strides)
      c["padding"] = padding(l.padding); c["data_format"] = "channels_last"; c["dilation_rate"] = .ints([1, 1])
      c["groups"] = 1; c["activation"] = .string(l.activation.rawValue); c["use_bias"] = .bool(l.useBias)
    case let l as Dense:
      c["units"] = .number(Double(l.units)); c["activation"] = .string(l.activation.rawValue); c["use_bias"] = .bool(l.useBias)
    case let l as BatchNormalization:
      c["axis"] = .number(Double(l.axis)); c["momentum"] = .float(l.momentum); c["epsilon"] = .float(l.epsilon)
      c["center"] = true; c["scale"] = true
    case let l as Pooling2D:
      c["pool_size"] = pair(l.poolSize); c["strides"] = pair(l.strides); c["padding"] = padding(l.padding)
      c["data_format"] = "channels_last"
    case is GlobalAveragePooling2D, is Flatten:
      c["data_format"] = "channels_last"
    case let l as Dropout:
      c["rate"] = .float(l.rate)
    case let l as ActivationLayer:
      c["activation"] = .string(l.activation.rawValue)
    case let l as ZeroPadding2D:
      c["padding"] = [.ints([l.top, l.bottom]), .ints([l.left, l.right])]; c["data_format"] = "channels_last"
    case let l as Concatenate:
      c["axis"] = .number(Double(l.axis))
    case let l as Permute:
      c["dims"] = .ints(l.dims)
    case let l as Reshape:
      c["target_shape"] = .ints(l.builtOutputShape ?? l.targetShape)
    case is Add:
      break
    default:
      return layer.kerasConfig().merging(["name": .string(layer.name), "trainable": .bool(layer.trainable)]) { _, new in new }
    }
    return c
  }
}
