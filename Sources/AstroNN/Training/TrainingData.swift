import AstroTensor
import Foundation

/// Labelled images in memory: `images` `[N, H, W, C]`, binary `labels` `[N]`, and an id per sample
/// (ZTF candids; the row index when none are given).
public struct LabelledImages {
  /// The images, `[N, H, W, C]`.
  public let images: Tensor
  /// Binary labels `[N]`, each 0 or 1.
  public let labels: Tensor
  /// One id per sample (ZTF candids; the row index when none were given).
  public let ids: [Int64]

  /// Checks that the counts agree, that labels are 0 or 1, and that every value is finite; errors name the
  /// offending sample and `source` (or, for a fault of the images themselves, `imagesSource` when the images came
  /// from a file of their own).
  public init(
    images: Tensor, labels: Tensor, ids: [Int64]? = nil, source: String = "dataset", imagesSource: String? = nil
  ) throws {
    let imagesSource = imagesSource ?? source
    guard images.rank >= 2 else {
      throw NNError.model("\(imagesSource): images of shape \(images.shape), expected [N, H, W, C]")
    }
    let n = images.shape[0]
    guard labels.count == n else {
      throw NNError.model("\(source): \(n) images but \(labels.count) labels")
    }
    if let ids, ids.count != n { throw NNError.model("\(source): \(n) images but \(ids.count) ids") }
    if let bad = labels.values.firstIndex(where: { $0 != 0 && $0 != 1 }) {
      throw NNError.model("\(source): label \(labels.values[bad]) of sample \(bad) is not 0 or 1")
    }
    if !images.isFinite {
      let p = images.storage.pointer
      let i = (0..<images.count).first { !p[$0].isFinite }!
      throw NNError.model("\(imagesSource): non-finite value \(p[i]) in sample \(i / (images.count / max(n, 1)))")
    }
    self.images = images
    self.labels = try labels.reshaped(to: [n]).detached()
    self.ids = ids ?? (0..<n).map(Int64.init)
  }

  /// Number of samples, N.
  public var count: Int { images.shape[0] }
  /// Per-sample shape, e.g. `[63, 63, 3]`.
  public var sampleShape: [Int] { Array(images.shape.dropFirst()) }

  /// The samples at `indices`, in that order; an index outside `0..<count` is an error.
  public func subset(_ indices: [Int]) throws -> LabelledImages {
    try checkIndices(indices)
    return try LabelledImages(images: images.rows(indices), labels: labels.rows(indices), ids: indices.map { ids[$0] }, checked: ())
  }

  private func checkIndices<C: Collection<Int>>(_ indices: C) throws {
    if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
      throw NNError.model("labelled images: index \(bad) outside 0..<\(count)")
    }
  }

  private init(images: Tensor, labels: Tensor, ids: [Int64], checked: Void) throws {
    self.images = images; self.labels = labels; self.ids = ids
  }

  /// The same samples as a `Dataset` (one input, one target), for `Trainer`.
  public var dataset: Dataset { Dataset(checkedInputs: [images], targets: [labels], ids: ids) }

  /// Samples of each class: `[count of 0, count of 1]`.
  public var classCounts: [Int] {
    let positives = labels.values.reduce(0) { $0 + Int($1) }
    return [count - positives, positives]
  }

  /// braai's class weights: `w_c = (1/n_c) / ||1/n||`, divided by `max(w)` (the rarer class gets 1).
  public func balancedClassWeights() throws -> [Float] {
    let counts = classCounts
    guard counts.allSatisfy({ $0 > 0 }) else {
      throw NNError.model("class weights: a class has no training samples (counts \(counts))")
    }
    let inverse = counts.map { 1 / Double($0) }
    let norm = inverse.map { $0 * $0 }.reduce(0, +).squareRoot()
    let weights = inverse.map { $0 / norm }
    let top = weights.max()!
    return weights.map { Float($0 / top) }
  }

  /// Copies the samples `indices` into a batch, flipping each image left-right and/or up-down with
  /// probability 1/2 each when `flips` is set (braai's augmentation).
  public func batch(_ indices: ArraySlice<Int>, flips: Bool, generator: inout SeededGenerator) throws -> (images: Tensor, labels: Tensor) {
    try checkIndices(indices)
    let (x, y) = dataset.batch(indices, flips: flips, generator: &generator)
    return (x[0], y[0])
  }
}
