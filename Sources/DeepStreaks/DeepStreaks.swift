import AstroIO
import AstroNN
import AstroTensor
import Foundation

/// DeepStreaks' three classifier families on 144×144×1 cutouts of streaks from fast-moving objects.
public enum StreakFamily: String, CaseIterable, Sendable {
  /// real streak (1) vs bogus (0)
  case rb
  /// short (1) vs long (0) streak
  case sl
  /// keep (1) vs ditch (0)
  case kd

  public var positiveMeaning: String {
    switch self {
    case .rb: return "real streak"
    case .sl: return "short streak"
    case .kd: return "keep"
    }
  }
}

/// The member architectures of each family (DeepStreaks' own builders at 144×144×1).
public enum StreakModelKind: String, CaseIterable, Sendable {
  case vgg6, resnet50, densenet121

  public static let inputShape = [144, 144, 1]

  public func make(seed: UInt64 = 0) throws -> Model {
    switch self {
    case .vgg6: return try VGG6.make(inputShape: Self.inputShape, seed: seed)
    case .resnet50: return try ResNet.resnet50(inputShape: Self.inputShape, seed: seed)
    case .densenet121: return try DenseNet.densenet121(inputShape: Self.inputShape, seed: seed)
    }
  }

  /// The file a trained member is saved as: `<family>_<model>.h5`.
  public func fileName(_ family: StreakFamily) -> String { "\(family.rawValue)_\(rawValue).h5" }
}

/// Streak sets in the generator's `.npy` layout: `streaks.<stamp>.npy` `(N, 144, 144, 1)`,
/// `labels_{rb,sl,kd}.<stamp>.npy`, `mask_slkd.<stamp>.npy` (where sl and kd apply: real streaks) and
/// `ids.<stamp>.npy`.
public enum StreakData {
  /// All images with their ids (for classification).
  public static func images(folder: String, stamp: String) throws -> (images: Tensor, ids: [Int64]) {
    let images = try Tensor.load(npy: path(folder, "streaks", stamp))
    guard images.rank == 4, Array(images.shape.dropFirst()) == StreakModelKind.inputShape else {
      throw NNError.model("\(path(folder, "streaks", stamp)): shape \(images.shape), expected (N, 144, 144, 1)")
    }
    let idPath = path(folder, "ids", stamp)
    let ids = FileManager.default.fileExists(atPath: idPath) ? try NpyArray.read(path: idPath).int64s() : (0..<images.shape[0]).map(Int64.init)
    guard ids.count == images.shape[0] else { throw NNError.model("\(idPath): \(ids.count) ids for \(images.shape[0]) images") }
    return (images, ids)
  }

  /// The labelled set of one family: every sample for rb; for sl and kd only samples where they apply.
  public static func labelled(folder: String, stamp: String, family: StreakFamily) throws -> LabelledImages {
    let (images, ids) = try images(folder: folder, stamp: stamp)
    let labelPath = path(folder, "labels_\(family.rawValue)", stamp)
    let all = try LabelledImages(images: images, labels: Tensor.load(npy: labelPath), ids: ids, source: labelPath)
    guard family != .rb else { return all }
    let mask = try NpyArray.read(path: path(folder, "mask_slkd", stamp)).uint8s()
    guard mask.count == all.count else { throw NNError.model("\(path(folder, "mask_slkd", stamp)): \(mask.count) flags for \(all.count) images") }
    return try all.subset(mask.indices.filter { mask[$0] != 0 })
  }

  /// Labels of the joint rule: a candidate is a real, short streak worth keeping (rb, sl and kd all 1).
  public static func jointLabels(folder: String, stamp: String) throws -> [Float] {
    let columns = try StreakFamily.allCases.map { try NpyArray.read(path: path(folder, "labels_\($0.rawValue)", stamp)).floats() }
    return (0..<columns[0].count).map { i in columns.allSatisfy { $0[i] == 1 } ? 1 : 0 }
  }

  static func path(_ folder: String, _ name: String, _ stamp: String) -> String {
    (folder as NSString).appendingPathComponent("\(name).\(stamp).npy")
  }
}

/// The DeepStreaks ensemble: trained members per family, each with a threshold (0.5 by default).
///
/// A cutout is a streak candidate when, for EVERY family, AT LEAST ONE member scores at or above its
/// threshold (DeepStreaks' rule).
public final class DeepStreaksEnsemble {
  public struct Member {
    public let family: StreakFamily
    public let kind: StreakModelKind
    public let model: Model
    public var threshold: Float

    public init(family: StreakFamily, kind: StreakModelKind, model: Model, threshold: Float = 0.5) {
      self.family = family; self.kind = kind; self.model = model; self.threshold = threshold
    }
  }

  public private(set) var members: [Member]

  /// Loads every `<family>_<model>.h5` found in `folder`; each family needs at least one member.
  public init(folder: String, threshold: Float = 0.5) throws {
    var members: [Member] = []
    for family in StreakFamily.allCases {
      for kind in StreakModelKind.allCases {
        let path = (folder as NSString).appendingPathComponent(kind.fileName(family))
        guard FileManager.default.fileExists(atPath: path) else { continue }
        let model = try kind.make()
        try model.loadKerasWeights(from: path)
        members.append(Member(family: family, kind: kind, model: model, threshold: threshold))
      }
      guard members.contains(where: { $0.family == family }) else {
        throw NNError.model("\(folder): no member of family '\(family.rawValue)' (expected files like \(StreakModelKind.vgg6.fileName(family)))")
      }
    }
    self.members = members
  }

  /// Each member's scores on `images` `(N, 144, 144, 1)`, keyed `"<family>_<model>"`, in member order.
  public func scores(_ images: Tensor) throws -> [(member: Member, scores: [Float])] {
    try members.map { ($0, try $0.model.predict(images).values) }
  }

  /// Per family: whether any member passes its threshold; and the joint rule over all families.
  public static func decide(_ scored: [(member: Member, scores: [Float])]) -> (families: [StreakFamily: [Bool]], candidate: [Bool]) {
    let n = scored.first?.scores.count ?? 0
    var families: [StreakFamily: [Bool]] = [:]
    for family in StreakFamily.allCases {
      let own = scored.filter { $0.member.family == family }
      families[family] = (0..<n).map { i in own.contains { $0.scores[i] >= $0.member.threshold } }
    }
    let candidate = (0..<n).map { i in StreakFamily.allCases.allSatisfy { families[$0]?[i] ?? false } }
    return (families, candidate)
  }
}
