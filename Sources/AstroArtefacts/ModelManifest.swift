import Foundation

/// What a model file must say about itself so that it is run correctly: its name and version, its inputs
/// (names, shapes, layout and the preprocessing that makes them), what its outputs mean, its decision
/// thresholds, where it came from, and a hash of its weights.
///
/// The same JSON travels in every format: a Keras `.h5` (root attribute `astrolearn_manifest`), an `.onnx`
/// (`metadata_props` entry `astrolearn.manifest`) and a `.tflite` (metadata entry `astrolearn.manifest`).
///
/// ```json
/// {"format": "astrolearn-model-manifest", "format_version": 1, "name": "braai", "version": "d6_m7",
///  "inputs": [{"name": "triplet", "shape": [63, 63, 3], "layout": "NHWC",
///              "preprocessing": {"kind": "ztf-triplet", "normalization": "row", "nan_value": 0,
///                                "padding_value": 1e-9, "channels": ["science", "template", "difference"]}}],
///  "outputs": [{"name": "score", "meaning": "real/bogus: 1 real, 0 bogus", "activation": "sigmoid"}],
///  "thresholds": [{"name": "default", "value": 0.5}], "weights_sha256": "..."}
/// ```
public struct ModelManifest: Codable, Sendable, Equatable {
  /// The `format` every manifest carries.
  public static let formatName = "astrolearn-model-manifest"
  /// The manifest format version this library writes and reads.
  public static let currentFormatVersion = 1

  public var format = ModelManifest.formatName
  public var formatVersion = ModelManifest.currentFormatVersion
  /// The model family (`braai`, `btsbot`, `deepstreaks-rb`).
  public var name: String
  /// This model's version (`d6_m7`); scores are stored under it.
  public var version: String
  public var description: String?
  public var inputs: [Input]
  public var outputs: [Output]
  public var thresholds: [Threshold]
  public var training: Training?
  /// `ModelManifest.weightsDigest(of:)` of the float weights the manifest was written for.
  public var weightsSHA256: String?

  /// One model input.
  public struct Input: Codable, Sendable, Equatable {
    public var name: String
    /// Per-sample shape in `layout` (`[63, 63, 3]` for an NHWC triplet).
    public var shape: [Int]
    public var layout: Layout
    public var preprocessing: Preprocessing

    public init(name: String, shape: [Int], layout: Layout, preprocessing: Preprocessing) {
      self.name = name; self.shape = shape; self.layout = layout; self.preprocessing = preprocessing
    }
  }

  /// How an input's axes are ordered.
  public enum Layout: String, Codable, Sendable, CaseIterable {
    case nhwc = "NHWC", nchw = "NCHW", features
  }

  /// How raw data becomes an input.
  public struct Preprocessing: Codable, Sendable, Equatable {
    /// `ztf-triplet` (science, template and difference cutouts), `features` (a vector of named values) or `none`.
    public var kind: Kind
    /// For triplets: `row` (each row to unit L2 norm; braai d6_m7) or `global` (each cutout to unit L2 norm; d6_m9).
    public var normalization: String?
    /// The value NaN pixels are replaced by, before normalising.
    public var nanValue: Float?
    /// The value cutouts smaller than the input are padded with (bottom/right), after normalising.
    public var paddingValue: Float?
    /// The channels in order (`science`, `template`, `difference`).
    public var channels: [String]?
    /// For feature vectors: the features in input order, each with an optional standardisation.
    public var features: [Feature]?

    public enum Kind: String, Codable, Sendable { case ztfTriplet = "ztf-triplet", features, none }

    public init(
      kind: Kind, normalization: String? = nil, nanValue: Float? = nil, paddingValue: Float? = nil, channels: [String]? = nil,
      features: [Feature]? = nil
    ) {
      self.kind = kind; self.normalization = normalization; self.nanValue = nanValue; self.paddingValue = paddingValue
      self.channels = channels; self.features = features
    }

    enum CodingKeys: String, CodingKey {
      case kind, normalization, nanValue = "nan_value", paddingValue = "padding_value", channels, features
    }
  }

  /// A named feature of a vector input: the model reads `(value - mean) / scale` (raw values when both are absent).
  public struct Feature: Codable, Sendable, Equatable {
    public var name: String
    public var mean: Double?
    public var scale: Double?
    public init(name: String, mean: Double? = nil, scale: Double? = nil) { self.name = name; self.mean = mean; self.scale = scale }
  }

  /// One model output and what it means.
  public struct Output: Codable, Sendable, Equatable {
    public var name: String
    public var meaning: String
    /// The final activation (`sigmoid`, `softmax`, `linear`).
    public var activation: String?
    public init(name: String, meaning: String, activation: String? = nil) { self.name = name; self.meaning = meaning; self.activation = activation }
  }

  /// A decision threshold on an output (`default` 0.5; a survey's operating points).
  public struct Threshold: Codable, Sendable, Equatable {
    public var name: String
    public var value: Double
    public var meaning: String?
    public init(name: String, value: Double, meaning: String? = nil) { self.name = name; self.value = value; self.meaning = meaning }
  }

  /// Where the model came from.
  public struct Training: Codable, Sendable, Equatable {
    /// The training data (name, version, where it is).
    public var data: String?
    /// The code and version that trained (or converted) it.
    public var code: String?
    public init(data: String? = nil, code: String? = nil) { self.data = data; self.code = code }
  }

  public init(
    name: String, version: String, description: String? = nil, inputs: [Input], outputs: [Output],
    thresholds: [Threshold] = [], training: Training? = nil, weightsSHA256: String? = nil
  ) {
    self.name = name; self.version = version; self.description = description; self.inputs = inputs
    self.outputs = outputs; self.thresholds = thresholds; self.training = training; self.weightsSHA256 = weightsSHA256
  }

  enum CodingKeys: String, CodingKey {
    case format, formatVersion = "format_version", name, version, description, inputs, outputs, thresholds, training
    case weightsSHA256 = "weights_sha256"
  }

  /// The input called `name`, if any.
  public func input(_ name: String) -> Input? { inputs.first { $0.name == name } }

  /// The manifest of the same model exported with NCHW image inputs (`[C, H, W]`, layout NCHW).
  public func withNCHWInputs() -> ModelManifest {
    var m = self
    for k in m.inputs.indices where m.inputs[k].layout == .nhwc {
      let s = m.inputs[k].shape
      m.inputs[k].shape = [s[2], s[0], s[1]]
      m.inputs[k].layout = .nchw
    }
    return m
  }
}

extension ModelManifest {
  /// The manifest as JSON (sorted keys, so equal manifests have equal bytes).
  public func json() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
  }

  /// Reads and validates a manifest from JSON; `source` names it in errors.
  public init(json: String, source: String) throws {
    let decoded: ModelManifest
    do {
      decoded = try JSONDecoder().decode(ModelManifest.self, from: Data(json.utf8))
    } catch let DecodingError.keyNotFound(key, context) {
      throw ArtefactError.manifest(source, "field '\(Self.path(context.codingPath + [key]))' is missing")
    } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
      throw ArtefactError.manifest(source, "field '\(Self.path(context.codingPath))': \(context.debugDescription)")
    } catch let DecodingError.dataCorrupted(context) {
      throw ArtefactError.manifest(source, "\(context.codingPath.isEmpty ? "" : "field '\(Self.path(context.codingPath))': ")\(context.debugDescription)")
    }
    try decoded.validate(source: source)
    self = decoded
  }

  /// Reads and validates a manifest file (`.json`).
  public static func read(path: String) throws -> ModelManifest {
    guard let data = FileManager.default.contents(atPath: path) else { throw ArtefactError.manifest(path, "cannot read the file") }
    return try ModelManifest(json: String(decoding: data, as: UTF8.self), source: path)
  }

  private static func path(_ keys: [CodingKey]) -> String {
    keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
      .replacingOccurrences(of: ".[", with: "[")
  }

  /// Checks what JSON decoding cannot: the format and version, names, shapes, normalisations and thresholds.
  public func validate(source: String) throws {
    func fail(_ field: String, _ message: String) -> ArtefactError { .manifest(source, "field '\(field)': \(message)") }
    guard format == Self.formatName else { throw fail("format", "'\(format)', expected '\(Self.formatName)'") }
    guard formatVersion == Self.currentFormatVersion else {
      throw fail("format_version", "\(formatVersion); this library reads version \(Self.currentFormatVersion)")
    }
    guard !name.isEmpty else { throw fail("name", "empty") }
    guard !version.isEmpty else { throw fail("version", "empty") }
    guard !inputs.isEmpty else { throw fail("inputs", "a model has at least one input") }
    guard !outputs.isEmpty else { throw fail("outputs", "a model has at least one output") }
    for (k, input) in inputs.enumerated() {
      let field = "inputs[\(k)]"
      guard !input.name.isEmpty else { throw fail("\(field).name", "empty") }
      guard inputs.filter({ $0.name == input.name }).count == 1 else { throw fail("\(field).name", "'\(input.name)' appears twice") }
      guard !input.shape.isEmpty, input.shape.allSatisfy({ $0 > 0 }) else { throw fail("\(field).shape", "\(input.shape) is not a shape") }
      guard input.layout == .features || input.shape.count == 3 else {
        throw fail("\(field).shape", "\(input.shape): an \(input.layout.rawValue) image has three dimensions")
      }
      let p = input.preprocessing
      switch p.kind {
      case .ztfTriplet:
        guard let n = p.normalization, ["row", "global"].contains(n) else {
          throw fail("\(field).preprocessing.normalization", "\(p.normalization.map { "'\($0)'" } ?? "missing"); a ztf-triplet takes row or global")
        }
        guard input.shape.count == 3, input.shape[input.layout == .nchw ? 0 : 2] == 3 else {
          throw fail("\(field).shape", "\(input.shape) in \(input.layout.rawValue) is not a three-channel triplet")
        }
      case .features:
        if let features = p.features {
          guard input.shape == [features.count] else {
            throw fail("\(field).preprocessing.features", "\(features.count) features for an input of shape \(input.shape)")
          }
          for (j, f) in features.enumerated() where f.scale == 0 || !(f.scale ?? 1).isFinite || !(f.mean ?? 0).isFinite {
            throw fail("\(field).preprocessing.features[\(j)]", "'\(f.name)' has mean \(f.mean ?? 0) and scale \(f.scale ?? 1)")
          }
        }
      case .none: break
      }
    }
    for (k, output) in outputs.enumerated() where output.name.isEmpty || outputs.filter({ $0.name == output.name }).count > 1 {
      throw fail("outputs[\(k)].name", "'\(output.name)' is empty or appears twice")
    }
    for (k, t) in thresholds.enumerated() where !t.value.isFinite {
      throw fail("thresholds[\(k)].value", "\(t.value) is not a finite number")
    }
    if let hash = weightsSHA256, hash.count != 64 || !hash.allSatisfy(\.isHexDigit) {
      throw fail("weights_sha256", "'\(hash)' is not a SHA-256 in hexadecimal")
    }
  }
}
