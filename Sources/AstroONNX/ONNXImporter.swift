import AstroNN
import AstroTensor

/// Reads an ONNX graph made of the operators the framework has into a `Model` that predicts and fine-tunes.
///
/// Supported: Conv (2-D, group 1, no dilation), Gemm, MatMul (with a constant right side; a following Add of a
/// constant becomes its bias), BatchNormalization, MaxPool, AveragePool, GlobalAveragePool, Relu, Sigmoid, Tanh,
/// Softmax, Add, Sum, Concat, Pad (constant zeros), Flatten, Reshape, Transpose, Dropout, Identity, Constant and
/// ConstantOfShape (weights made in the graph).
/// The first operator or attribute outside that set is an `ONNXError.unsupported` naming the node.
///
/// ONNX images are NCHW; the model works in NHWC. A rank-4 input read only by `Transpose(0, 3, 1, 2)` (what
/// this library and tf2onnx write) is taken as NHWC, so the model takes Keras' arrays; any other rank-4 input is
/// taken as NCHW, as the file declares it, and a Permute layer moves it to NHWC. Outputs keep the file's layout.
public final class ONNXImporter {
  /// Where a value lives: an image held NHWC (its ONNX tensor is NCHW), or a tensor whose layout is the file's.
  enum Layout { case nchwAsNHWC, asInFile }

  struct Imported {
    let symbol: Symbol
    let layout: Layout
  }

  let file: String
  let onnx: ONNXModel
  let opset: Int64
  var constants: [String: ONNXTensor] = [:]
  var values: [String: Imported] = [:]
  /// Conversions already made (value name and target layout → symbol), so a value is permuted once.
  private var converted: [String: Symbol] = [:]
  /// The layer that produced each symbol (by symbol index).
  var producers: [Int: Layer] = [:]
  private var usedNames = UniqueNames()
  var builder: ModelBuilder!
  /// Nodes folded into an earlier node (a MatMul's bias Add): their output is already set.
  var absorbed: Set<Int> = []
  /// How many nodes read each value, and which.
  var readers: [String: [Int]] = [:]

  private init(_ onnx: ONNXModel, file: String) throws {
    self.onnx = onnx
    self.file = file
    guard let opset = onnx.defaultOpset else { throw ONNXError.unsupported(file: file, "no ai.onnx operator set is imported") }
    self.opset = opset
    for set in onnx.opsetImports where !(set.domain == "" || set.domain == "ai.onnx") {
      guard !onnx.graph.nodes.contains(where: { $0.domain == set.domain }) else {
        throw ONNXError.unsupported(file: file, "operators of domain '\(set.domain)' are not supported")
      }
    }
  }

  /// The model of the ONNX file at `path`.
  public static func importModel(path: String) throws -> Model {
    try importModel(ONNXModel.read(path: path), file: path)
  }

  /// The model of a decoded ONNX file (`file` names it in errors).
  public static func importModel(_ onnx: ONNXModel, file: String = "model.onnx") throws -> Model {
    let importer = try ONNXImporter(onnx, file: file)
    return try importer.run()
  }

  func unsupported(_ node: ONNXNode, _ message: String) -> ONNXError {
    .unsupported(file: file, "\(node.label): \(message)")
  }

  private func run() throws -> Model {
    let graph = onnx.graph
    for t in graph.initializers { constants[t.name] = t }
    for (k, node) in graph.nodes.enumerated() { for input in node.inputs where !input.isEmpty { readers[input, default: []].append(k) } }

    // Inputs: the batch dimension first; rank-4 inputs NHWC when only Transpose(0, 3, 1, 2) reads them.
    var inputs: [(name: String, shape: [Int])] = [], layouts: [Layout] = []
    for input in graph.realInputs {
      guard input.elementType == ONNXTensor.DataType.float.rawValue else {
        throw ONNXError.unsupported(file: file, "input '\(input.name)' has element type \(input.elementType); only float inputs")
      }
      guard let dims = input.shape, dims.count >= 2 else {
        throw ONNXError.unsupported(file: file, "input '\(input.name)' needs a shape of rank 2 or more ([batch, ...])")
      }
      var perSample: [Int] = []
      for d in dims.dropFirst() {
        guard case .value(let n) = d, n > 0, n <= Self.sizeLimit else {
          throw ONNXError.unsupported(
            file: file, "input '\(input.name)' has shape \(dims): only the batch dimension may be symbolic, the others in 1...\(Self.sizeLimit)")
        }
        perSample.append(n)
      }
      let values = perSample.reduce(1) { product, n in
        let (next, overflow) = product.multipliedReportingOverflow(by: n)
        return overflow ? Int.max : next
      }
      guard values <= 1 << 31 else {
        throw ONNXError.unsupported(file: file, "input '\(input.name)' of shape \(dims) holds over 2^31 values per sample")
      }
      let readBy = readers[input.name, default: []].map { graph.nodes[$0] }
      let nhwc = perSample.count == 3 && !readBy.isEmpty
        && readBy.allSatisfy { $0.opType == "Transpose" && $0.attribute("perm") == .ints([0, 3, 1, 2]) && !($0.outputs.first ?? "").isEmpty }
      inputs.append((input.name, perSample))
      layouts.append(nhwc ? .nchwAsNHWC : .asInFile)
      usedNames.insert(input.name)
    }
    guard !inputs.isEmpty else { throw ONNXError.unsupported(file: file, "the graph has no inputs") }
    builder = ModelBuilder(name: graph.name.isEmpty ? "onnx_model" : graph.name, inputs: inputs)
    for (k, input) in inputs.enumerated() {
      // An NHWC input's Transpose readers are skipped below: their outputs are the input itself, as NCHW.
      values[input.name] = Imported(symbol: builder.inputs[k], layout: .asInFile)
      if layouts[k] == .nchwAsNHWC {
        for j in readers[input.name, default: []] {
          values[graph.nodes[j].outputs[0]] = Imported(symbol: builder.inputs[k], layout: .nchwAsNHWC)
          absorbed.insert(j)
        }
      }
    }

    for (k, node) in graph.nodes.enumerated() where !absorbed.contains(k) {
      guard node.domain.isEmpty || node.domain == "ai.onnx" else { throw unsupported(node, "domain '\(node.domain)' is not supported") }
      try importNode(node, index: k)
    }

    var outputs: [Symbol] = []
    for output in graph.outputs {
      guard values[output.name] != nil else {
        throw ONNXError.unsupported(file: file, "output '\(output.name)' is a constant or not computed by the graph")
      }
      var symbol = try asInFile(output.name)
      let wanted = layerName(output.name)
      if producers[symbol.index]?.name != wanted {
        if let clash = producers.values.first(where: { $0.name == wanted }) { clash.name = reserve(wanted + "_inner") }
        usedNames.insert(wanted)
        symbol = try apply(ActivationLayer(.linear, name: wanted), [symbol])
      }
      outputs.append(symbol)
    }
    return try builder.model(outputs: outputs)
  }

  // MARK: Values and layouts

  /// The value `name` as an image held NHWC (converting an NCHW tensor with a Permute once).
  func image(_ name: String, for node: ONNXNode) throws -> Symbol {
    guard let value = values[name] else { throw missing(name, node) }
    if value.layout == .nchwAsNHWC { return value.symbol }
    guard value.symbol.shape.count == 3 else {
      throw unsupported(node, "input '\(name)' of shape [N] + \(value.symbol.shape) is not an NCHW image")
    }
    if let done = converted[name + "\u{0}nhwc"] { return done }
    let symbol = try apply(Permute([2, 3, 1], name: reserve(layerName(name) + "_to_nhwc")), [value.symbol])
    converted[name + "\u{0}nhwc"] = symbol
    return symbol
  }

  /// The value `name` in the file's layout (an NHWC-held image permuted back to NCHW once).
  func asInFile(_ name: String, for node: ONNXNode? = nil) throws -> Symbol {
    guard let value = values[name] else {
      throw node.map { missing(name, $0) } ?? ONNXError.unsupported(file: file, "value '\(name)' is not computed")
    }
    if value.layout == .asInFile { return value.symbol }
    if let done = converted[name + "\u{0}nchw"] { return done }
    let symbol = try apply(Permute([3, 1, 2], name: reserve(layerName(name) + "_to_nchw")), [value.symbol])
    converted[name + "\u{0}nchw"] = symbol
    return symbol
  }

  /// The logical (file) per-sample shape of a value.
  func fileShape(_ value: Imported) -> [Int] {
    let s = value.symbol.shape
    return value.layout == .nchwAsNHWC ? [s[2], s[0], s[1]] : s
  }

  func missing(_ name: String, _ node: ONNXNode) -> ONNXError {
    constants[name] != nil
      ? unsupported(node, "input '\(name)' is a constant where this importer needs a computed value")
      : .malformed(file: file, "\(node.label) reads '\(name)', which no earlier node or input produces")
  }

  /// The constant `name` (an initializer or a Constant node's value).
  func constant(_ name: String, for node: ONNXNode, _ role: String) throws -> ONNXTensor {
    guard let t = constants[name] else { throw unsupported(node, "\(role) '\(name)' must be a constant (an initializer)") }
    return t
  }

  /// Applies `layer` through the builder, recording it as the producer of its output.
  @discardableResult
  func apply(_ layer: Layer, _ inputs: [Symbol]) throws -> Symbol {
    let symbol = try builder.apply(layer, inputs)
    producers[symbol.index] = layer
    return symbol
  }

  /// A layer name for a value name: unique, without `/` (HDF5 weight files use it as a path separator).
  func layerName(_ valueName: String) -> String {
    let cleaned = valueName.replacingOccurrences(of: "/", with: "_")
    return cleaned.isEmpty ? "value" : cleaned
  }

  /// `base`, or `base_1`, `base_2`, ... when taken.
  func reserve(_ base: String) -> String { usedNames.reserve(base) }
}
