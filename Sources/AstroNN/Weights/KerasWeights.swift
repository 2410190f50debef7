import AstroIO
import AstroTensor
import Foundation

/// Keras HDF5 weight files (the legacy `.h5` layout that braai's and DeepStreaks' models use).
///
/// Layout: an optional `model_weights` group (full-model files) holding attribute `layer_names`, and per
/// layer a group with attribute `weight_names` listing dataset paths relative to it
/// (`conv1/kernel:0` in Keras 2, `sequential/conv2d/kernel` or `conv2d/kernel` in Keras 3).
extension Model {
  /// Loads weights from a Keras `.h5` file (full model or weights only, Keras 2 or 3 variable names).
  ///
  /// Layers are paired by name when every layer of this model that has weights is named in the file
  /// (braai's files); otherwise by the order of layers with weights, as Keras' legacy loader does (files
  /// with Keras' automatic names). Every count and shape is checked, and nothing is changed unless the
  /// whole file fits: an error names the layer and weight that do not match.
  public func loadKerasWeights(from path: String) throws {
    let file = try HDF5File(path: path, mode: .readOnly)
    let fileName = (path as NSString).lastPathComponent
    func fail(_ message: String) -> NNError { .weights(file: fileName, message: message) }

    let root = file.isGroup("/model_weights") ? "/model_weights" : "/"
    guard let layerNames = try file.stringAttribute("layer_names", of: root) else {
      throw fail("no 'layer_names' attribute at \(root): not a Keras weights file")
    }
    var fileLayers: [(name: String, weightPaths: [String])] = []
    for name in layerNames {
      let group = root == "/" ? "/\(name)" : "\(root)/\(name)"
      guard file.isGroup(group) else { throw fail("layer '\(name)' is listed in layer_names but has no group") }
      let weightNames = try file.stringAttribute("weight_names", of: group) ?? []
      if !weightNames.isEmpty { fileLayers.append((name, weightNames.map { "\(group)/\($0)" })) }
    }
    let modelLayers = layers.filter { !$0.weights.isEmpty }
    let byName = Dictionary(fileLayers.map { ($0.name, $0.weightPaths) }, uniquingKeysWith: { a, _ in a })
    var pairs: [(Layer, String, [String])] = []
    if modelLayers.allSatisfy({ byName[$0.name] != nil }) {
      pairs = modelLayers.map { ($0, $0.name, byName[$0.name]!) }
    } else {
      guard fileLayers.count == modelLayers.count else {
        let missing = modelLayers.map(\.name).filter { byName[$0] == nil }.prefix(5)
        throw fail(
          "file has \(fileLayers.count) layers with weights, model '\(name)' has \(modelLayers.count); "
            + "model layers not in the file: \(missing.joined(separator: ", "))")
      }
      pairs = zip(modelLayers, fileLayers).map { ($0, $1.name, $1.weightPaths) }
    }

    // Read and check everything first; assign only when the whole file fits.
    var staged: [(Tensor, [Float])] = []
    for (layer, fileLayer, paths) in pairs {
      guard paths.count == layer.weights.count else {
        throw fail(
          "layer '\(layer.name)' (\(layer.kerasClassName)) has \(layer.weights.count) weights, "
            + "file layer '\(fileLayer)' has \(paths.count)")
      }
      for (i, (weight, path)) in zip(layer.weights, paths).enumerated() {
        // A nested model's weights are named `inner_layer/kernel`: compare the variable part.
        let expected = Model.variableName(layer.weightNames[i])
        let stored = Model.variableName(path)
        if Model.knownVariableNames.contains(stored) && stored != expected {
          throw fail("layer '\(layer.name)': weight \(i) is '\(expected)' but the file has '\(stored)' at \(path)")
        }
        // The shape is compared before anything is read: a file may declare any size.
        let shape = try file.datasetShape(path)
        guard shape == weight.shape else {
          throw fail("layer '\(layer.name)' \(expected): shape \(shape) in file, model expects \(weight.shape)")
        }
        let values = try file.readFloats(path, expecting: weight.shape).values
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
          throw fail("layer '\(layer.name)' \(expected): non-finite value \(values[bad]) at element \(bad)")
        }
        staged.append((weight, values))
      }
    }
    for (weight, values) in staged {
      values.withUnsafeBufferPointer { weight.storage.pointer.update(from: $0.baseAddress!, count: values.count) }
    }
  }

  /// Saves weights in Keras' legacy weights-only layout, which `model.load_weights("file.h5")` reads
  /// (Keras 2 names: `<layer>/<layer>/kernel:0`). The write is atomic: a temporary file renamed into place.
  public func saveKerasWeights(to path: String) throws {
    try HDF5File.writeAtomically(to: path) { file in
      try writeKerasWeights(into: file, group: "/")
    }
  }

  /// Writes the weight groups and `layer_names` under `group` of an open file (also used by checkpoints).
  public func writeKerasWeights(into file: HDF5File, group: String) throws {
    let base = group == "/" ? "" : group
    let ordered = kerasLayerOrder
    try file.setStringAttribute("layer_names", of: group, values: ordered.map(\.name))
    try file.setStringAttribute("backend", of: group, value: "tensorflow")
    try file.setStringAttribute("keras_version", of: group, value: "2.2.4-tf")
    for layer in ordered {
      let layerGroup = "\(base)/\(layer.name)"
      try file.createGroup(layerGroup)
      // Keras 2 variable names are scoped by the layer that owns them (`conv1/kernel:0`); a nested
      // model's weights carry their inner layer's name already, and come trainable first, as Keras lists them.
      var pairs = Array(zip(layer.weights, layer.weightNames))
      if layer is Model {
        let trainable = Set(layer.trainableWeights.map(ObjectIdentifier.init))
        pairs = pairs.filter { trainable.contains(ObjectIdentifier($0.0)) } + pairs.filter { !trainable.contains(ObjectIdentifier($0.0)) }
      }
      let names = pairs.map { layer is Model ? "\($0.1):0" : "\(layer.name)/\($0.1):0" }
      try file.setStringAttribute("weight_names", of: layerGroup, values: names)
      for ((weight, _), name) in zip(pairs, names) {
        try file.writeFloats("\(layerGroup)/\(name)", shape: weight.shape, values: weight.values)
      }
    }
  }

  static let knownVariableNames: Set<String> = ["kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance"]

  /// `conv1/kernel:0` -> `kernel`; `sequential/conv2d/kernel` -> `kernel`.
  static func variableName(_ path: String) -> String {
    let last = path.split(separator: "/").last.map(String.init) ?? path
    return last.split(separator: ":").first.map(String.init) ?? last
  }
}
