import AstroNN
import AstroTensor
import Foundation

/// braai, ZTF's real/bogus classifier: VGG6 on 63×63×3 (science, template, difference) triplets.
///
/// The score is the sigmoid output: near 1 for a real astrophysical transient, near 0 for a bogus
/// subtraction artefact. ZTF packets carry d6_m7's score as `candidate.drb`.
public final class BraaiModel: TripletScoring {
  /// The network (VGG6 with braai's layer names).
  public let model: Model
  /// Where the weights came from.
  public let weightsPath: String

  /// Side of the square cutouts braai takes.
  public static let cutoutSize = 63

  /// The bundled d6_m7 weights (`Datasets/braai/d6_m7.h5`, MIT licence), found through `BRAAI_WEIGHTS`,
  /// the current folder, or the package this module was built from.
  public static var bundledWeightsPath: String? {
    var candidates: [String] = []
    if let env = ProcessInfo.processInfo.environment["BRAAI_WEIGHTS"] { candidates.append(env) }
    candidates.append(FileManager.default.currentDirectoryPath + "/Datasets/braai/d6_m7.h5")
    // Sources/Braai/BraaiModel.swift -> package root.
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    candidates.append(root.appendingPathComponent("Datasets/braai/d6_m7.h5").path)
    return candidates.first { FileManager.default.fileExists(atPath: $0) }
  }

  /// Loads VGG6 with braai weights from a Keras `.h5` file (default: the bundled d6_m7).
  public init(weights: String? = nil) throws {
    guard let path = weights ?? BraaiModel.bundledWeightsPath else {
      throw NNError.model("braai: no weights given and Datasets/braai/d6_m7.h5 not found (set BRAAI_WEIGHTS)")
    }
    let model = try VGG6.make(inputShape: [Self.cutoutSize, Self.cutoutSize, 3])
    try model.loadKerasWeights(from: path)
    self.model = model
    self.weightsPath = path
  }

  /// braai as any model that takes one 63×63×3 triplet and gives one score (a model artefact's).
  public init(model: Model, source: String) throws {
    let size = Self.cutoutSize
    guard model.inputShapes == [[size, size, 3]], model.outputShapes == [[1]] else {
      throw NNError.model(
        "\(source): braai takes one [\(size), \(size), 3] triplet and gives one score; this model takes \(model.inputShapes) and gives \(model.outputShapes)")
    }
    self.model = model
    self.weightsPath = source
  }

  /// Scores a batch of triplets `[N, 63, 63, 3]`; returns N real/bogus scores.
  public func score(_ triplets: Tensor) throws -> [Float] {
    try model.predict(triplets).values
  }

  /// Scores flat HWC triplets (63·63·3 values each) in batches of `batchSize`.
  public func score(triplets: [[Float]], batchSize: Int = 256) throws -> [Float] {
    let size = Self.cutoutSize * Self.cutoutSize * 3
    var scores: [Float] = []
    scores.reserveCapacity(triplets.count)
    for first in stride(from: 0, to: triplets.count, by: max(1, batchSize)) {
      let group = triplets[first..<min(first + max(1, batchSize), triplets.count)]
      let batch = Tensor(uninitializedShape: [group.count, Self.cutoutSize, Self.cutoutSize, 3])
      for (i, t) in group.enumerated() {
        guard t.count == size else {
          throw NNError.model("braai: triplet \(first + i) has \(t.count) values, expected \(size)")
        }
        t.withUnsafeBufferPointer { (batch.storage.pointer + i * size).update(from: $0.baseAddress!, count: size) }
      }
      scores += try score(batch)
    }
    return scores
  }
}
