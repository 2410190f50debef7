import AstroIO
import AstroNN
import AstroONNX
import AstroTFLite
import Foundation

/// The model file formats: a full Keras model (`.h5`), ONNX (`.onnx`) and int8 TFLite (`.tflite`).
public enum ModelFileFormat: String, Sendable, CaseIterable {
  case kerasH5 = "keras-h5", onnx, tflite

  /// The format a path's extension names (`.h5`/`.hdf5`, `.onnx`, `.tflite`), if any.
  public init?(path: String) {
    switch URL(fileURLWithPath: path).pathExtension.lowercased() {
    case "h5", "hdf5": self = .kerasH5
    case "onnx": self = .onnx
    case "tflite": self = .tflite
    default: return nil
    }
  }
}

/// A float model read from a file, with the manifest the file carries (nil for a plain Keras or ONNX file).
public struct LoadedModel {
  public let model: Model
  public let manifest: ModelManifest?
  public let path: String
  public let format: ModelFileFormat
}

/// Model files that carry their manifest: reading any of them with its manifest checked against the model,
/// and writing a model with its manifest as a Keras `.h5` or an `.onnx`.
public enum ModelFile {
  /// Where a Keras `.h5` keeps the manifest: a string attribute of the root group.
  public static let kerasAttribute = "astrolearn_manifest"
  /// Where `.onnx` (`metadata_props`) and `.tflite` (model metadata) keep the manifest.
  public static let metadataKey = "astrolearn.manifest"

  /// The manifest `path` carries, or nil; an invalid manifest is an error naming the file and field. A path
  /// without a known extension is read as a Keras HDF5 file.
  public static func manifest(at path: String) throws -> ModelManifest? {
    let json: String?
    switch ModelFileFormat(path: path) ?? .kerasH5 {
    case .kerasH5:
      let file = try HDF5File(path: path, mode: .readOnly)
      json = try file.stringAttribute(kerasAttribute, of: "/")?.first
    case .onnx:
      json = try ONNXModel.read(path: path).metadata(metadataKey)
    case .tflite:
      json = try TFLiteModel.read(path: path).metadata[metadataKey].map { String(decoding: $0, as: UTF8.self) }
    }
    return try json.map { try ModelManifest(json: $0, source: path) }
  }

  /// Reads a float model (`.onnx`, else a full Keras model in HDF5) and its manifest, checked against the model.
  public static func load(_ path: String) throws -> LoadedModel {
    let format = ModelFileFormat(path: path) ?? .kerasH5
    guard format != .tflite else {
      throw ArtefactError.unsupportedFile(path, "not a float model file (.h5 or .onnx); an int8 .tflite runs on the int8 engine")
    }
    let model: Model
    let manifest: ModelManifest?
    if format == .onnx {
      let file = try ONNXModel.read(path: path)
      model = try ONNXImporter.importModel(file, file: path)
      manifest = try file.metadata(metadataKey).map { try ModelManifest(json: $0, source: path) }
    } else {
      model = try Model.loadKeras(from: path)
      manifest = try self.manifest(at: path)
    }
    if let manifest { try check(manifest, against: model, source: path) }
    return LoadedModel(model: model, manifest: manifest, path: path, format: format)
  }

  /// Writes `model` as a Keras `.h5` or an `.onnx`, with `manifest` (its weight hash filled in) when given.
  /// An NCHW ONNX export rewrites the manifest's image inputs to NCHW, so it describes the file's inputs.
  public static func save(
    _ model: Model, manifest: ModelManifest?, to path: String, format: ModelFileFormat, onnx: ONNXExportOptions = ONNXExportOptions()
  ) throws {
    var manifest = manifest
    if var m = manifest {
      try check(m, against: model, source: path, checkingWeights: false)
      m.weightsSHA256 = ModelManifest.weightsDigest(of: model)
      manifest = format == .onnx && onnx.nchw ? m.withNCHWInputs() : m
    }
    switch format {
    case .kerasH5:
      try model.saveKeras(to: path, attributes: try manifest.map { [kerasAttribute: try $0.json()] } ?? [:])
    case .onnx:
      var options = onnx
      if let manifest { options.metadata.append(.init(key: metadataKey, value: try manifest.json())) }
      try ONNXExporter.export(model, options: options).write(to: path)
    case .tflite:
      throw ArtefactError.unsupportedFile(path, "a .tflite is written by quantizing (astrolearn quantize --manifest)")
    }
  }

  /// The metadata entry that carries `manifest` in a `.tflite` (for `TFLiteWriter.write(metadata:)`).
  public static func tfliteMetadata(_ manifest: ModelManifest) throws -> [(name: String, data: [UInt8])] {
    [(metadataKey, Array(try manifest.json().utf8))]
  }

  /// Throws unless `manifest` names the model's inputs (in order, with their shapes) and outputs, and, when
  /// `checkingWeights` and the manifest has a weight hash, the model's weights hash to it.
  public static func check(_ manifest: ModelManifest, against model: Model, source: String, checkingWeights: Bool = true) throws {
    let names = manifest.inputs.map(\.name)
    guard names == model.inputNames else {
      throw ArtefactError.mismatch(source, "the manifest's inputs \(names) are not the model's \(model.inputNames)")
    }
    for (input, shape) in zip(manifest.inputs, model.inputShapes) where input.shape != shape {
      throw ArtefactError.mismatch(source, "the manifest gives input '\(input.name)' shape \(input.shape); the model takes [N] + \(shape)")
    }
    guard manifest.outputs.map(\.name) == model.outputNames else {
      throw ArtefactError.mismatch(source, "the manifest's outputs \(manifest.outputs.map(\.name)) are not the model's \(model.outputNames)")
    }
    if checkingWeights, let expected = manifest.weightsSHA256 {
      let actual = ModelManifest.weightsDigest(of: model)
      guard actual == expected else {
        throw ArtefactError.mismatch(
          source, "the weights hash to \(actual), the manifest says \(expected): the weights were changed after the manifest was written")
      }
    }
  }
}
