import AstroIO
import Foundation

/// Full Keras models: the architecture from a `model_config` (Keras 2 or Keras 3, `Sequential` or
/// functional, nested models, several inputs and outputs) and the weights, in the legacy `.h5` layout.
extension Model {
  /// A factory for a layer class of your own, by Keras class name, for `loadKeras`.
  public typealias KerasLayerFactory = @Sendable (KerasLayerConfig) throws -> Layer

  /// Loads a full Keras model file (`model.save("m.h5")`): builds the architecture from its `model_config`
  /// and loads its weights. Errors name the file and the layer or option that cannot be read.
  ///
  /// - Parameters:
  ///   - path: the `.h5` file.
  ///   - customLayers: factories for layer classes that are not built in, by Keras class name.
  public static func loadKeras(from path: String, customLayers: [String: KerasLayerFactory] = [:]) throws -> Model {
    let fileName = (path as NSString).lastPathComponent
    let text: String
    do {
      let file = try HDF5File(path: path, mode: .readOnly)
      guard let config = try file.stringAttribute("model_config", of: "/")?.first else {
        throw NNError.weights(
          file: fileName,
          message: "no 'model_config' attribute: a weights-only file (build the model in code and call loadKerasWeights)")
      }
      text = config
    }
    let model: Model
    do {
      model = try fromKerasJSON(text, customLayers: customLayers)
    } catch let error as NNError {
      throw NNError.weights(file: fileName, message: "\(error)")
    }
    try model.loadKerasWeights(from: path)
    return model
  }

  /// Builds a model (freshly initialised) from Keras JSON: `model.to_json()`, or a file's `model_config`.
  public static func fromKerasJSON(_ text: String, customLayers: [String: KerasLayerFactory] = [:], seed: UInt64 = 0) throws -> Model {
    let json: JSONValue
    do { json = try JSONValue.parse(text) } catch { throw NNError.model("the model config is not valid JSON: \(error)") }
    var reader = KerasConfigReader(custom: customLayers, seed: seed)
    return try reader.model(json)
  }

  /// Saves the full model (architecture and weights) as a Keras legacy `.h5` file that Keras' own
  /// `load_model` reads back; the write is atomic. Layers of your own need `kerasConfig()` and, to be read
  /// back here, a factory given to `loadKeras`. `attributes` are extra string attributes of the file's root
  /// (Keras ignores them; a model artefact keeps its manifest there).
  public func saveKeras(to path: String, attributes: [String: String] = [:]) throws {
    func explicitPadding(_ layer: Layer) -> Bool {
      if case .explicit = (layer as? Conv2D)?.padding ?? (layer as? Pooling2D)?.padding ?? .valid { return true }
      return layer.sublayers.contains(where: explicitPadding)
    }
    if let layer = layers.first(where: explicitPadding) {
      throw NNError.layer(layer.name, "explicit padding has no Keras form (only valid and same); save the weights, or export to ONNX")
    }
    let config = kerasJSON()
    try HDF5File.writeAtomically(to: path) { file in
      try file.setStringAttribute("model_config", of: "/", value: config.text)
      try file.setStringAttribute("keras_version", of: "/", value: "2.13.1")
      try file.setStringAttribute("backend", of: "/", value: "tensorflow")
      for (name, value) in attributes.sorted(by: { $0.key < $1.key }) { try file.setStringAttribute(name, of: "/", value: value) }
      try file.createGroup("/model_weights")
      try writeKerasWeights(into: file, group: "/model_weights")
    }
  }

  /// The model as Keras 2 functional JSON (`{"class_name": "Functional", "config": {...}}`), which Keras 2
  /// and Keras 3 read.
  public func kerasJSON() -> JSONValue {
    // Keras numbers a layer's nodes in the order it was applied.
    var nodeNumber = [Int](repeating: 0, count: nodes.count)
    var perLayer = [[Int]](repeating: [], count: layers.count)
    for k in nodes.indices.sorted(by: { nodes[$0].order < nodes[$1].order }) {
      nodeNumber[k] = perLayer[nodes[k].layer].count
      perLayer[nodes[k].layer].append(k)
    }
    func reference(_ v: Int) -> JSONValue {
      v < inputCount
        ? [.string(inputNames[v]), 0, 0]
        : [.string(layers[nodes[v - inputCount].layer].name), .number(Double(nodeNumber[v - inputCount])), 0]
    }
    var entries: [JSONValue] = zip(inputNames, inputShapes).map { name, shape in
      [
        "class_name": "InputLayer", "name": .string(name), "inbound_nodes": [],
        "config": [
          "batch_input_shape": .ints([nil] + shape), "dtype": "float32", "sparse": false, "ragged": false,
          "name": .string(name),
        ],
      ]
    }
    for (i, layer) in layers.enumerated() {
      let inbound: [JSONValue] = perLayer[i].map { k in
        .array(nodes[k].inputs.map { v in .array(reference(v).arrayValue! + [.object([:])]) })
      }
      let config: JSONValue = (layer as? Model)?.kerasJSON()["config"] ?? .object(KerasLayers.config(of: layer))
      entries.append([
        "class_name": .string(layer.kerasClassName), "name": .string(layer.name), "config": config,
        "inbound_nodes": .array(inbound),
      ])
    }
    return [
      "class_name": "Functional",
      "config": [
        "name": .string(name), "trainable": .bool(trainable), "layers": .array(entries),
        "input_layers": .array(inputNames.indices.map(reference)), "output_layers": .array(outputValues.map(reference)),
      ],
    ]
  }
}

/// Reads Keras model configs into models: the layer graph, layer by layer, through `ModelBuilder`.
struct KerasConfigReader {
  let custom: [String: Model.KerasLayerFactory]
  var seed: UInt64

  init(custom: [String: Model.KerasLayerFactory], seed: UInt64) {
    self.custom = custom; self.seed = seed
  }

  /// A model from `{"class_name": "Sequential" | "Functional" | "Model", "config": ...}`.
  mutating func model(_ entry: JSONValue) throws -> Model {
    guard let className = entry["class_name"]?.stringValue, let config = entry["config"] else {
      throw NNError.model("the model config has no class_name and config")
    }
    switch className {
    case "Sequential": return try sequential(config)
    case "Functional", "Model": return try functional(config)
    default: throw NNError.model("model class '\(className)' is not supported (Sequential or Functional)")
    }
  }

  private func layerEntries(_ config: JSONValue, of model: String) throws -> [JSONValue] {
    // Keras before 2.3 wrote a Sequential's config as the bare list of layers.
    guard let list = config.arrayValue ?? config["layers"]?.arrayValue else {
      throw NNError.model("\(model): the config has no list of layers")
    }
    return list
  }

  private func entryName(_ entry: JSONValue) -> String {
    entry["name"]?.stringValue ?? entry["config"]?["name"]?.stringValue ?? ""
  }

  /// The per-sample shape an `InputLayer` (or a first layer's `batch_input_shape`) declares.
  private func inputShape(_ options: JSONValue?, layer: String) throws -> [Int]? {
    guard let shape = (options?["batch_shape"] ?? options?["batch_input_shape"])?.arrayValue else { return nil }
    let dims = shape.dropFirst().map(\.intValue)
    guard !dims.contains(where: { $0 == nil }), !dims.isEmpty else {
      throw NNError.layer(layer, "input shape \(JSONValue.array(shape)): every dimension but the batch must be known")
    }
    return dims.map { $0! }
  }

  private mutating func sequential(_ config: JSONValue) throws -> Model {
    var entries = try layerEntries(config, of: "Sequential")
    let name = config["name"]?.stringValue ?? "sequential"
    guard let first = entries.first else { throw NNError.model("\(name): a Sequential model without layers") }
    var inputName = "\(entryName(first))_input"
    var shape = try inputShape(first["config"], layer: entryName(first))
    if first["class_name"]?.stringValue == "InputLayer" {
      inputName = entryName(first)
      entries.removeFirst()
    }
    if shape == nil, let built = config["build_input_shape"]?.arrayValue {
      shape = try inputShape(["batch_shape": .array(built)], layer: name)
    }
    guard let shape else { throw NNError.model("\(name): no input shape (no InputLayer, batch_input_shape or build_input_shape)") }
    let b = ModelBuilder(name: name, inputs: [(inputName, shape)], seed: seed)
    var x = b.input
    for entry in entries {
      let layer = try makeLayer(entry)
      x = try b.apply(layer, [x])
      try applyTrainable(entry, to: layer)
    }
    return try b.model(output: x)
  }

  private mutating func functional(_ config: JSONValue) throws -> Model {
    let entries = try layerEntries(config, of: "Functional")
    let name = config["name"]?.stringValue ?? "model"
    let inputRefs = try references(config["input_layers"], what: "input_layers", model: name)
    let outputRefs = try references(config["output_layers"], what: "output_layers", model: name)
    var inputShapes: [String: [Int]] = [:]
    for entry in entries where entry["class_name"]?.stringValue == "InputLayer" {
      let layerName = entryName(entry)
      guard let shape = try inputShape(entry["config"], layer: layerName) else {
        throw NNError.layer(layerName, "InputLayer without a shape")
      }
      inputShapes[layerName] = shape
    }
    let inputs = try inputRefs.map { ref -> (name: String, shape: [Int]) in
      guard let shape = inputShapes[ref.layer] else { throw NNError.model("\(name): input '\(ref.layer)' has no InputLayer") }
      return (ref.layer, shape)
    }
    let b = ModelBuilder(name: name, inputs: inputs, seed: seed)
    // Each layer's outputs by node number; inputs are node 0 of their InputLayer.
    var produced: [String: [Symbol]] = [:]
    for (ref, symbol) in zip(inputRefs, b.inputs) { produced[ref.layer] = [symbol] }
    var pending: [(entry: JSONValue, layer: Layer?, nodes: [[KerasReference]], done: Int)] = []
    for entry in entries where entry["class_name"]?.stringValue != "InputLayer" {
      let layerName = entryName(entry)
      let nodes = try (entry["inbound_nodes"]?.arrayValue ?? []).map { try nodeReferences($0, layer: layerName) }
      pending.append((entry, nil, nodes, 0))
    }
    // Apply nodes as their inputs become available (Keras lists layers in an order where this takes one pass).
    var progress = true
    while progress {
      progress = false
      for i in pending.indices {
        while pending[i].done < pending[i].nodes.count {
          let refs = pending[i].nodes[pending[i].done]
          let available = refs.compactMap { ref in produced[ref.layer].flatMap { ref.node < $0.count ? $0[ref.node] : nil } }
          guard available.count == refs.count else { break }
          let layer = try pending[i].layer ?? makeLayer(pending[i].entry)
          let output = try b.apply(layer, available, sharingWeights: pending[i].done > 0)
          if pending[i].done == 0 { try applyTrainable(pending[i].entry, to: layer) }
          pending[i].layer = layer
          produced[layer.name, default: []].append(output)
          pending[i].done += 1
          progress = true
        }
      }
    }
    if let stuck = pending.first(where: { $0.done < $0.nodes.count }) {
      let missing = stuck.nodes[stuck.done].filter { produced[$0.layer] == nil }.map(\.layer)
      throw NNError.layer(entryName(stuck.entry), "reads \(missing.joined(separator: ", ")), which nothing in the config produces")
    }
    let outputs = try outputRefs.map { ref -> Symbol in
      guard let list = produced[ref.layer], ref.node < list.count else {
        throw NNError.model("\(name): output '\(ref.layer)' is not produced by any layer")
      }
      return list[ref.node]
    }
    return try b.model(outputs: outputs)
  }

  private mutating func makeLayer(_ entry: JSONValue) throws -> Layer {
    let className = entry["class_name"]?.stringValue ?? ""
    if ["Sequential", "Functional", "Model"].contains(className) && custom[className] == nil {
      seed &+= 1
      let nested = try model(entry)
      if let name = entry["name"]?.stringValue { nested.name = name }
      return nested
    }
    guard let options = entry["config"]?.objectValue else { throw NNError.layer(entryName(entry), "no config") }
    return try KerasLayers.make(KerasLayerConfig(className: className, name: entryName(entry), options: options), custom: custom)
  }

  private func applyTrainable(_ entry: JSONValue, to layer: Layer) throws {
    if entry["config"]?["trainable"]?.boolValue == false { layer.trainable = false }
  }

  /// `[[name, node, tensor], ...]`, or a single `[name, node, tensor]` (Keras 3 with one input or output).
  private func references(_ value: JSONValue?, what: String, model: String) throws -> [KerasReference] {
    guard let list = value?.arrayValue, !list.isEmpty else { throw NNError.model("\(model): no \(what)") }
    if list[0].stringValue != nil { return [try KerasReference(list, context: model)] }
    return try list.map { try KerasReference($0.arrayValue ?? [], context: model) }
  }

  /// One inbound node: Keras 2 `[[name, node, tensor, kwargs], ...]` or Keras 3 `{"args": [...], "kwargs": {...}}`
  /// whose tensors carry `keras_history: [name, node, tensor]`.
  private func nodeReferences(_ node: JSONValue, layer: String) throws -> [KerasReference] {
    if let list = node.arrayValue {
      return try list.map { ref in
        guard let parts = ref.arrayValue else { throw NNError.layer(layer, "inbound node entry \(ref) is not a list") }
        try Self.checkKeywords(parts.count > 3 ? parts[3] : nil, layer: layer)
        return try KerasReference(parts, context: layer)
      }
    }
    guard let args = node["args"] else { throw NNError.layer(layer, "inbound node \(node) has neither a list nor args") }
    try Self.checkKeywords(node["kwargs"], layer: layer)
    var found: [KerasReference] = []
    func collect(_ value: JSONValue) throws {
      if let history = value["config"]?["keras_history"]?.arrayValue {
        found.append(try KerasReference(history, context: layer))
      } else if let list = value.arrayValue {
        for item in list { try collect(item) }
      }
    }
    try collect(args)
    return found
  }

  /// Call arguments other than tensors would change what a layer computes; `training` and `mask` do not here.
  private static func checkKeywords(_ kwargs: JSONValue?, layer: String) throws {
    guard let object = kwargs?.objectValue else { return }
    for (key, value) in object where !["training", "mask"].contains(key) && !value.isNull {
      throw NNError.layer(layer, "is called with argument '\(key)' = \(value), which is not supported")
    }
  }
}

/// `[layer name, node index, tensor index]` in a Keras config.
struct KerasReference {
  let layer: String
  let node: Int

  init(_ parts: [JSONValue], context: String) throws {
    guard parts.count >= 3, let layer = parts[0].stringValue, let node = parts[1].intValue, let tensor = parts[2].intValue else {
      throw NNError.layer(context, "reference \(JSONValue.array(parts)) is not [name, node, tensor]")
    }
    guard tensor == 0 else { throw NNError.layer(context, "reads output \(tensor) of '\(layer)': layers with several outputs are not supported") }
    self.layer = layer
    self.node = node
  }
}
