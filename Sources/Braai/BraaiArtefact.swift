import AstroArtefacts
import AstroNN
import Foundation
import ZTFAlerts

/// braai from a model artefact: a `.h5`, `.onnx` or int8 `.tflite` whose manifest says how its triplets are made.
public struct BraaiArtefact {
  /// The scorer (float for `.h5`/`.onnx`, the int8 engine for `.tflite`).
  public let scorer: any TripletScoring
  /// The manifest (nil only for a `.tflite` without one).
  public let manifest: ModelManifest?
  /// The triplet normalisation the manifest names (row for the bundled d6_m7, nil when nothing says).
  public let normalization: TripletNormalization?
  /// The model's file.
  public let path: String
  /// How messages name the model: its path, or "the bundled d6_m7".
  public let source: String

  /// The version scores are stored under: the manifest's, else the file's name without its extension.
  public var version: String { manifest?.version ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent }

  /// braai as the scoring commands take it: an artefact (`model`); Keras `weights`, which carry a manifest when
  /// written as an artefact; or, with neither, the bundled d6_m7, whose triplets are row-normalised.
  public static func load(model: String?, weights: String?) throws -> BraaiArtefact {
    if let model { return try BraaiArtefact(path: model) }
    let braai = try BraaiModel(weights: weights)
    guard let weights else {
      return BraaiArtefact(scorer: braai, manifest: nil, normalization: .row, path: braai.weightsPath, source: "the bundled d6_m7")
    }
    let manifest = ModelFileFormat(path: weights) == .kerasH5 ? try ModelFile.manifest(at: weights) : nil
    return BraaiArtefact(
      scorer: braai, manifest: manifest, normalization: try manifest.map { try tripletNormalization($0, source: weights) },
      path: weights, source: weights)
  }

  private init(scorer: any TripletScoring, manifest: ModelManifest?, normalization: TripletNormalization?, path: String, source: String) {
    self.scorer = scorer; self.manifest = manifest; self.normalization = normalization; self.path = path; self.source = source
  }

  /// Loads the artefact at `path`, checking that its manifest describes a ZTF triplet model.
  public init(path: String) throws {
    self.path = path
    self.source = path
    if ModelFileFormat(path: path) == .tflite {
      scorer = try BraaiInt8Model(tflite: path)
      manifest = try ModelFile.manifest(at: path)
    } else {
      let loaded = try ModelFile.load(path)
      guard let manifest = loaded.manifest else {
        throw ArtefactError.manifest(path, "the file carries no manifest; give bare Keras weights with --weights (and --norm)")
      }
      scorer = try BraaiModel(model: loaded.model, source: path)
      self.manifest = manifest
    }
    normalization = try manifest.map { try Self.tripletNormalization($0, source: path) }
  }

  /// The triplet normalisation of a manifest's (single) input, which must be a ZTF triplet made as `Triplet` makes
  /// them: NaN → 0, padding 1e-9, channels science, template, difference (a manifest asking otherwise is refused).
  public static func tripletNormalization(_ manifest: ModelManifest, source: String) throws -> TripletNormalization {
    guard manifest.inputs.count == 1, manifest.inputs[0].preprocessing.kind == .ztfTriplet,
      let name = manifest.inputs[0].preprocessing.normalization, let normalization = TripletNormalization(rawValue: name)
    else {
      throw ArtefactError.mismatch(source, "the manifest does not describe one ZTF triplet input (inputs: \(manifest.inputs.map(\.name)))")
    }
    let p = manifest.inputs[0].preprocessing
    guard (p.nanValue ?? 0) == 0, (p.paddingValue ?? Triplet.padValue) == Triplet.padValue,
      (p.channels ?? ["science", "template", "difference"]) == ["science", "template", "difference"]
    else {
      throw ArtefactError.mismatch(
        source, "the manifest asks for NaN → \(p.nanValue ?? 0), padding \(p.paddingValue ?? Triplet.padValue), channels \(p.channels ?? []); "
          + "braai's triplets are NaN → 0, padding \(Triplet.padValue), channels science, template, difference")
    }
    return normalization
  }

  /// The normalisation to score with: the manifest's, refusing a different `option`; `option` (or row, braai
  /// d6_m7's, with `warn` told) when the model carries no manifest.
  public static func normalization(
    option: TripletNormalization?, manifestSays: TripletNormalization?, source: String, warn: (String) -> Void
  ) throws -> TripletNormalization {
    switch (option, manifestSays) {
    case (let given?, let says?) where given != says:
      throw ArtefactError.mismatch(
        source, "--norm \(given.rawValue) given, but this model takes \(says.rawValue)-normalised triplets: drop --norm")
    case (_, let says?): return says
    case (let given?, nil): return given
    case (nil, nil):
      warn("\(source) carries no manifest: assuming row normalisation (braai d6_m7's); give --norm, or score with an artefact")
      return .row
    }
  }
}
