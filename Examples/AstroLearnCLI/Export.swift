import ArgumentParser
import AstroArtefacts
import AstroNN
import AstroONNX
import AstroTFLite
import AstroTensor
import Foundation

struct Export: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write a model as ONNX, a Keras .h5, or an artefact (a Keras .h5 carrying its manifest).",
    discussion: """
      MODEL is a full Keras .h5, an .onnx, or an int8 .tflite (written to ONNX as a QDQ graph: float operators \
      between QuantizeLinear/DequantizeLinear carrying the int8 parameters, per-channel int8 weights). Its manifest (what its inputs are and how they are preprocessed, \
      what its outputs mean, its thresholds) travels with it; --manifest gives one (JSON) to a model that has none, \
      or replaces it. The weight hash in the manifest is computed here. ONNX files are IR 8 / opset 13 by default \
      (what onnxruntime 1.31 reads), NHWC inputs with one Transpose (the arrays Keras takes); --nchw declares \
      NCHW inputs instead.
      """)

  @Argument(help: "The model: a full Keras .h5, an .onnx, or an int8 .tflite (to ONNX QDQ).") var model: String
  @Option(help: "onnx, keras-h5 or artefact.") var format: String
  @Option(help: "The file to write.") var out: String
  @Option(help: "A manifest (JSON) to write with the model.") var manifest: String?
  @Option(help: "ONNX operator set (\(ONNXExportOptions.opsets.lowerBound)-\(ONNXExportOptions.opsets.upperBound)).")
  var opset: Int64 = 13
  @Option(help: "ONNX IR version (\(ONNXExportOptions.irVersions.lowerBound)-\(ONNXExportOptions.irVersions.upperBound)).")
  var irVersion: Int64 = 8
  @Flag(help: "ONNX image inputs and outputs in NCHW (PyTorch's layout) instead of NHWC.") var nchw = false
  @OptionGroup var isolation: IsolationOption

  func validate() throws {
    guard ["onnx", "keras-h5", "artefact"].contains(format) else {
      throw ValidationError("--format \(format): one of onnx, keras-h5, artefact")
    }
    if nchw && format != "onnx" { throw ValidationError("--nchw applies to --format onnx") }
    let written = format == "onnx" ? ModelFileFormat.onnx : .kerasH5
    guard ModelFileFormat(path: out) == written else {
      throw ValidationError("--out \(out): --format \(format) writes \(written == .onnx ? "an .onnx" : "a Keras .h5") file; name it so")
    }
  }

  func run() throws {
    try isolation.check(model)
    var options = ONNXExportOptions()
    options.opset = opset
    options.irVersion = irVersion
    options.nchw = nchw
    if ModelFileFormat(path: model) == .tflite {
      guard format == "onnx" else { throw ValidationError("an int8 .tflite exports only as --format onnx (QDQ)") }
      let manifest = try self.manifest.map(ModelManifest.read) ?? ModelFile.manifest(at: model)
      if let manifest { options.metadata.append(.init(key: ModelFile.metadataKey, value: try (nchw ? manifest.withNCHWInputs() : manifest).json())) }
      let name = URL(fileURLWithPath: model).deletingPathExtension().lastPathComponent
      try ONNXExporter.exportQDQ(try TFLiteModel.read(path: model).graph, name: name, options: options).write(to: out)
      FileHandle.standardError.write(Data("astrolearn: wrote \(out) (QDQ)\n".utf8))
      return
    }
    let loaded = try ModelFile.load(model)
    let manifest = try self.manifest.map(ModelManifest.read) ?? loaded.manifest
    if format == "artefact" && manifest == nil {
      throw ValidationError("\(model) carries no manifest: give one with --manifest FILE.json to write an artefact")
    }
    try ModelFile.save(loaded.model, manifest: manifest, to: out, format: format == "onnx" ? .onnx : .kerasH5, onnx: options)
    let what = manifest.map { " with the manifest of \($0.name) \($0.version)" } ?? ""
    FileHandle.standardError.write(Data("astrolearn: wrote \(out)\(what)\n".utf8))
  }
}

/// What a manifest says about `.npy` inputs given to `astrolearn predict`: feature vectors are standardised as it
/// says; images must already be preprocessed as it says (printed to stderr, since an array cannot show it).
enum ManifestPreprocessing {
  static func apply(_ manifest: ModelManifest, to arrays: [Tensor], source: String) throws -> [Tensor] {
    try zip(manifest.inputs, arrays).map { input, array in
      let p = input.preprocessing
      switch p.kind {
      case .features:
        guard let features = p.features, features.contains(where: { $0.mean != nil || $0.scale != nil }) else { return array }
        var values = array.values
        for (k, f) in features.enumerated() {
          let (mean, scale) = (Float(f.mean ?? 0), Float(f.scale ?? 1))
          for i in stride(from: k, to: values.count, by: features.count) { values[i] = (values[i] - mean) / scale }
        }
        FileHandle.standardError.write(Data("astrolearn: '\(input.name)' standardised with the manifest's feature means and scales\n".utf8))
        return try Tensor(shape: array.shape, values: values)
      case .ztfTriplet:
        let note = "'\(input.name)' is taken as triplets already made as \(source)'s manifest says: "
          + "\(p.normalization ?? "?") normalisation, NaN → \(p.nanValue ?? 0), padding \(p.paddingValue ?? 0)"
        FileHandle.standardError.write(Data("astrolearn: \(note)\n".utf8))
        return array
      case .none:
        return array
      }
    }
  }
}
