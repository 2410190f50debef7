import AstroNN
import AstroTensor

/// Writes a model the framework builds or loads as an ONNX graph that onnxruntime runs.
///
/// The graph is in NCHW, ONNX's convolution layout: kernels are converted (HWIO → OIHW), and by default one
/// Transpose follows each NHWC image input (and precedes each image output) so the file takes and returns the
/// arrays the Keras model does. Keras' H·W·C flatten order is kept (a Transpose back to NHWC before Flatten),
/// TensorFlow's `same` padding is written as explicit pads (the odd pixel at the end), BatchNormalization's
/// epsilon is always written (ONNX's default is 1e-5, Keras' 1e-3), ZeroPadding2D becomes Pad, and Dropout
/// disappears. A nested model is inlined. A layer of your own exports by conforming to `ONNXExportableLayer`.
///
/// ```swift
/// let file = try ONNXExporter.export(model)        // IR 8, opset 13, NHWC inputs
/// try file.write(to: "braai_d6_m7.onnx")
/// ```
public final class ONNXExporter {
  /// A value of the graph being written: its ONNX name and whether it is an image held in NCHW.
  public struct Value: Sendable {
    /// The value's name in the ONNX graph.
    public let name: String
    /// Whether the value is a batch of images (per-sample `[H, W, C]` in the model) held as NCHW in ONNX.
    public let isImage: Bool
    /// The per-sample shape in the model's layout (`[H, W, C]` for images).
    public let shape: [Int]

    /// A value named `name` in the graph; `isImage` when it is a batch of images held as NCHW.
    public init(name: String, isImage: Bool, shape: [Int]) {
      self.name = name; self.isImage = isImage; self.shape = shape
    }

    func with(shape: [Int]) -> Value { Value(name: name, isImage: isImage, shape: shape) }
  }

  let options: ONNXExportOptions
  private var nodes: [ONNXNode] = []
  private var initializers: [ONNXTensor] = []
  var usedNames = UniqueNames()
  /// Initializers already written for a weight tensor (shared layers write theirs once).
  private var weightNames: [ObjectIdentifier: String] = [:]

  init(options: ONNXExportOptions) { self.options = options }

  /// The ONNX model of `model`.
  public static func export(_ model: Model, options: ONNXExportOptions = ONNXExportOptions()) throws -> ONNXModel {
    try validate(options)
    return try ONNXExporter(options: options).run(model)
  }

  private func run(_ model: Model) throws -> ONNXModel {
    let batch = ONNXValueInfo.Dimension.parameter(options.batchDimension)
    var graphInputs: [ONNXValueInfo] = [], inputs: [Value] = []
    for (name, shape) in zip(model.inputNames, model.inputShapes) {
      usedNames.insert(name)
      let image = shape.count == 3
      if image && options.nchw {
        graphInputs.append(ONNXValueInfo(name: name, shape: [batch] + [shape[2], shape[0], shape[1]].map { .value($0) }))
        inputs.append(Value(name: name, isImage: true, shape: shape))
      } else {
        graphInputs.append(ONNXValueInfo(name: name, shape: [batch] + shape.map { .value($0) }))
        let plain = Value(name: name, isImage: false, shape: shape)
        inputs.append(image ? try transpose(plain, [0, 3, 1, 2], name: name + "/nchw", isImage: true) : plain)
      }
    }
    // An image output is transposed back to NHWC under its own name, so no layer may take that name.
    for (index, name) in zip(model.outputValueIndices, model.outputNames) where model.valueShape(index).count == 3 && !options.nchw {
      usedNames.insert(name)
    }
    let values = try emit(model, inputs: inputs, prefix: "")
    var graphOutputs: [ONNXValueInfo] = []
    for (index, name) in zip(model.outputValueIndices, model.outputNames) {
      var value = values[index]
      if value.isImage && !options.nchw { value = try transpose(value, [0, 2, 3, 1], name: name, isImage: false) }
      // An output that is an input, or a dropped layer's alias: an Identity gives it its own name.
      if value.name != name || model.inputNames.contains(name) {
        let outputName = model.inputNames.contains(name) ? reserve(name + "/output") : name
        usedNames.insert(outputName)
        add(ONNXNode("Identity", inputs: [value.name], outputs: [outputName], name: outputName + "/identity"))
        value = Value(name: outputName, isImage: value.isImage, shape: value.shape)
      }
      let shape = value.isImage ? [value.shape[2], value.shape[0], value.shape[1]] : value.shape
      graphOutputs.append(ONNXValueInfo(name: value.name, shape: [batch] + shape.map { .value($0) }))
    }
    return file(name: model.name, inputs: graphInputs, outputs: graphOutputs)
  }

  /// Emits `model`'s nodes on `inputs`; returns every value of the model (inputs first, then each node's output).
  private func emit(_ model: Model, inputs: [Value], prefix: String) throws -> [Value] {
    var values = inputs
    var calls: [ObjectIdentifier: Int] = [:]
    for node in model.graphNodes {
      let layer = node.layer
      let call = calls[ObjectIdentifier(layer), default: 0]
      calls[ObjectIdentifier(layer)] = call + 1
      let base = prefix + layer.name + (call == 0 ? "" : "/call\(call)")
      let args = node.inputs.map { values[$0] }
      let output: Value
      if let inner = layer as? Model {
        // A model used as a layer has one input and one output (its builder checks), inlined here.
        output = try emit(inner, inputs: args, prefix: base + "/")[inner.outputValueIndices[0]]
      } else {
        output = try convert(layer, args, name: base, outputShape: node.outputShape)
      }
      values.append(output)
    }
    return values
  }

  // MARK: Building blocks, public for `ONNXExportableLayer`

  /// A fresh value name starting with `base` (made unique with a numeric suffix).
  public func reserve(_ base: String) -> String { usedNames.reserve(base) }

  /// Appends a node (nodes must be added in execution order).
  public func add(_ node: ONNXNode) { nodes.append(node) }

  /// Adds a float initializer named after `base`; returns its name. The same weight tensor is written once.
  public func constant(_ base: String, dims: [Int], floats: [Float], weight: Tensor? = nil) -> String {
    if let weight, let existing = weightNames[ObjectIdentifier(weight)] { return existing }
    let name = reserve(base)
    initializers.append(ONNXTensor(name: name, dims: dims, floats: floats))
    if let weight { weightNames[ObjectIdentifier(weight)] = name }
    return name
  }

  /// Adds an int64 initializer named after `base`; returns its name.
  public func constant(_ base: String, dims: [Int], int64s: [Int64]) -> String {
    constant(base, ONNXTensor(name: "", dims: dims, int64s: int64s))
  }

  /// Adds an initializer of any type named after `base` (its own name is replaced); returns its name.
  public func constant(_ base: String, _ tensor: ONNXTensor) -> String {
    var tensor = tensor
    tensor.name = reserve(base)
    initializers.append(tensor)
    return tensor.name
  }

  /// Checks the options' IR version and operator set.
  static func validate(_ options: ONNXExportOptions) throws {
    guard ONNXExportOptions.irVersions.contains(options.irVersion) else {
      throw ONNXError.cannotExport("IR version \(options.irVersion): this exporter writes \(ONNXExportOptions.irVersions)")
    }
    guard ONNXExportOptions.opsets.contains(options.opset) else {
      throw ONNXError.cannotExport("opset \(options.opset): this exporter writes opsets \(ONNXExportOptions.opsets)")
    }
  }

  /// The finished file: the nodes and initializers added, with these inputs and outputs.
  func file(name: String, inputs: [ONNXValueInfo], outputs: [ONNXValueInfo]) -> ONNXModel {
    let graph = ONNXGraph(name: name, nodes: nodes, initializers: initializers, inputs: inputs, outputs: outputs)
    return ONNXModel(
      irVersion: options.irVersion, opsetImports: [.init(version: options.opset)], producerName: "AstroLearn",
      producerVersion: options.producerVersion, graph: graph, metadata: options.metadata)
  }

  /// A Transpose of `value` by `permutation`, named `name`.
  public func transpose(_ value: Value, _ permutation: [Int64], name: String, isImage: Bool) throws -> Value {
    add(ONNXNode("Transpose", inputs: [value.name], outputs: [name], name: name, attributes: [.init("perm", .ints(permutation))]))
    return Value(name: name, isImage: isImage, shape: value.shape)
  }
}

/// A layer of your own that can be exported: it adds the ONNX nodes computing it to the exporter.
///
/// ```swift
/// extension ChannelScale: ONNXExportableLayer {
///   func exportONNX(_ inputs: [ONNXExporter.Value], name: String, outputShape: [Int], to exporter: ONNXExporter) throws -> ONNXExporter.Value {
///     let scale = exporter.constant(name + "/scale", dims: inputs[0].isImage ? [scale.count, 1, 1] : [scale.count], floats: scale.values, weight: scale)
///     exporter.add(ONNXNode("Mul", inputs: [inputs[0].name, scale], outputs: [name], name: name))
///     return ONNXExporter.Value(name: name, isImage: inputs[0].isImage, shape: outputShape)
///   }
/// }
/// ```
public protocol ONNXExportableLayer: Layer {
  /// Adds nodes computing the layer on `inputs` (images are NCHW in the graph), the last of them writing the
  /// value `name` (already reserved); returns that value.
  func exportONNX(_ inputs: [ONNXExporter.Value], name: String, outputShape: [Int], to exporter: ONNXExporter) throws -> ONNXExporter.Value
}
